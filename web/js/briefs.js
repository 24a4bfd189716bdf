// The organizer's national briefs: one country's brief per button (its delegates, the cards
// they raised, the conclusions their cards support), and every country's brief in one ZIP.
// Downloads go through fetch with the organizer's token, as the other exports do.
// Strings: web/i18n/<lang>.briefs.json (`bt`).
import { $, h, fill, options } from './dom.js';
import { current } from './i18n.js';
import { countries } from './countries.js';
import { notify } from './notices.js';

const FORMATS = ['html', 'md', 'docx', 'csv', 'json'];
let dict = {};
let loaded = null;
let session = null;
let codes = [];

function bt(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

async function strings() {
  if (loaded === current()) return;
  const r = await fetch(`/static/i18n/${current()}.briefs.json`);
  dict = await r.json();
  loaded = current();
}

// Shows the panel for `s` (the organizer's session), in the page's language.
export async function mountBriefs(s) {
  session = s;
  if (!document.querySelector('link[href="/static/css/briefs.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/static/css/briefs.css' }));
  }
  await strings();
  render();
}

// The countries of the workshop's delegates, from the live model; re-renders on a change.
export function updateBriefs(model) {
  if (!model.s) return;
  const next = [...new Set(model.s.participants.filter((p) => p.role === 'delegate' && p.country).map((p) => p.country))].sort();
  if (next.join() === codes.join()) return;
  codes = next;
  render();
}

function render() {
  const box = $('#briefs');
  if (!box || !session || loaded !== current()) return;
  const chosen = $('#brief-format') ? $('#brief-format').value : 'html';
  const format = h('select', { id: 'brief-format' });
  options(format, FORMATS.map((f) => [f, bt(`briefs.format_${f}`)]));
  format.value = chosen;
  const names = new Map(countries(current()).map((c) => [c.code, c.name]));
  fill(box,
    h('h3', { id: 'briefs-h', text: bt('briefs.heading') }),
    h('p', { class: 'muted', text: bt('briefs.intro') }),
    h('div', { class: 'row' },
      h('label', { for: 'brief-format', text: bt('briefs.format') }), format,
      h('button', { type: 'button', id: 'briefs-zip', 'data-key': 'briefs-zip', disabled: !codes.length, text: bt('briefs.zip'),
        onclick: () => download({ format: 'zip', brief_format: format.value }) })),
    codes.length
      ? h('ul', { id: 'brief-list', class: 'brief-list', 'aria-labelledby': 'briefs-h' }, codes.map((c) => h('li', {},
        h('button', { type: 'button', 'data-country': c, 'data-key': `brief-${c}`,
          text: bt('briefs.one', { country: names.get(c) || c }),
          onclick: () => download({ format: format.value, country: c }) }))))
      : h('p', { id: 'briefs-none', class: 'muted', text: bt('briefs.none') }));
}

async function download(params) {
  const query = new URLSearchParams(params).toString();
  const r = await fetch(`/api/workshops/${session.workshop}/export?${query}`, { headers: { Authorization: `Bearer ${session.token}` } })
    .catch(() => null);
  if (!r || !r.ok) {
    notify({ kind: 'error', key: 'briefs', text: bt('briefs.failed') });
    return;
  }
  const found = (r.headers.get('Content-Disposition') || '').match(/filename="([^"]+)"/);
  const name = found ? found[1] : `brief.${params.format}`;
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  $('#briefs').dataset.downloaded = name;
  notify({ kind: 'info', key: 'briefs', text: bt('briefs.downloaded', { name }) });
}
