// The projector view: read-only, large type, live. Room by room (arrow keys, Page Up/Down
// from a presentation clicker, or the buttons): each room's top cards by votes per column;
// then the conclusions with the rooms and countries supporting each. The link carries the
// workshop and a projector token in its fragment (#w=…&t=…), never sent to the server
// except as the bearer token of GET /api/workshops/{id}/projector, polled with ETag.
import { $, h } from './dom.js';
import { load, pick, t, switcher, current } from './i18n.js';
import { barChart } from './charts.js';
import { ct, ctn, loadCockpit, onCockpit, labelTitle } from './cockpit/strings.js';

const POLL_MS = 3000;
const args = new URLSearchParams(location.hash.slice(1));
const workshop = args.get('w');
const token = args.get('t');
let view = null;
let etag = null;
let at = Number(args.get('s')) || 0;
let stopped = false;

const slides = () => (view ? view.rooms.length + 1 : 0);

function fatal(key) {
  stopped = true;
  $('#fatal').hidden = false;
  $('#fatal').dataset.ct = key;
  $('#fatal').textContent = ct(key);
  $('#slide').replaceChildren();
  $('#deck-nav').hidden = true;
  live('lost');
}

function live(state) {
  const pill = $('#live');
  pill.dataset.state = state;
  pill.textContent = ct(`proj.${state}`);
}

const columnTitle = (key) => labelTitle('column', view.columns.find((c) => c.key === key)) || key;
const themeTitle = (key) => labelTitle('theme', view.themes.find((x) => x.key === key)) || key;

function countryName(code) {
  try { return new Intl.DisplayNames([document.documentElement.lang], { type: 'region' }).of(code) || code; } catch { return code; }
}

function roomSlide(r) {
  const facts = [t(`phase.${r.phase}`), ctn('proj.people', r.people), ctn('proj.countries', r.countries)];
  const secret = r.hidden && r.phase === 'brainstorm';
  const columns = r.columns.map((c) => {
    const items = c.top.map((card) => ({ name: card.country ? `${card.text} (${card.country})` : card.text,
      value: card.votes || 0, label: card.votes === null ? '' : ctn('proj.votes', card.votes) }));
    let body;
    if (secret) body = h('p', { class: 'empty', text: ct('proj.hidden_brainstorm') });
    else if (!c.top.length) body = h('p', { class: 'empty', text: ct('proj.no_cards') });
    else if (r.votes_shown) body = barChart(items);
    else body = h('ul', { class: 'plain-cards' }, c.top.map((card) => h('li', { text: card.text })));
    return h('section', { class: 'proj-column', 'data-column': c.key },
      h('h3', {}, h('span', { text: columnTitle(c.key) }), ' ', h('span', { class: 'count', text: ctn('proj.cards', c.count) })),
      body);
  });
  return [h('h2', { text: r.name }), h('p', { class: 'facts', text: facts.join(' · ') }),
    r.votes_shown ? null : h('p', { class: 'hint', text: ct('proj.votes_later') }),
    h('div', { class: 'proj-columns' }, columns)];
}

// The endorsement record of the review by delegations (docs/protocol/review.md), with the
// review page's strings (i18n/<lang>.review.json), loaded when a review is shown.
let rvDict = {};
let rvLang = null;
const rvt = (key) => rvDict[key] || key;
function reviewStrings() {
  const lang = current();
  if (rvLang === lang) return;
  rvLang = lang;
  fetch(`/static/i18n/${lang}.review.json`).then((r) => (r.ok ? r.json() : {})).then((d) => { rvDict = d; render(); });
}
function endorsement(k) {
  if (!k.review) return null;
  reviewStrings();
  const names = (list) => (list.length ? list.map(countryName).join(', ') : rvt('rv.none'));
  const reserved = k.review.reserved.map((r) => `${countryName(r.country)}: ${r.text}`).join(' · ');
  const line = (cls, key, text) => h('li', { class: cls }, h('strong', { text: `${rvt(key)}: ` }), text);
  return h('ul', { class: 'proj-review' }, line('endorsed', 'rv.endorsed', names(k.review.endorsed)),
    line('reserved', 'rv.reserved', reserved || rvt('rv.none')), line('commented', 'rv.commented', names(k.review.commented)),
    line('unanswered', 'rv.unanswered', names(k.review.unanswered)));
}

function conclusionsSlide() {
  const kids = [h('h2', { text: ct('proj.conclusions') })];
  if (!view.conclusions.length) {
    kids.push(h('p', { class: 'empty', text: ct('proj.no_conclusions') }));
    return kids;
  }
  const byTheme = new Map();
  for (const k of view.conclusions) {
    if (!byTheme.has(k.theme)) byTheme.set(k.theme, []);
    byTheme.get(k.theme).push(k);
  }
  for (const [theme, list] of byTheme) {
    kids.push(h('h3', { class: 'theme', text: themeTitle(theme) }));
    kids.push(h('ol', { class: 'proj-conclusions' }, list.map((k) => h('li', { class: 'proj-conclusion' },
      h('p', { class: 'text', text: k.text }),
      h('p', { class: 'facts', text: [ctn('proj.rooms', k.rooms.length), ctn('proj.countries', k.countries.length), ctn('proj.votes', k.votes),
        k.status === 'final' ? ct('proj.final') : ct('proj.draft')].join(' · ') }),
      h('div', { class: 'support' },
        barChart(k.rooms.map((r) => ({ name: r.name, value: r.cards, label: ctn('proj.cards', r.cards) })), { caption: ct('proj.by_room'), tone: 'rooms' }),
        barChart(k.countries.map((c) => ({ name: countryName(c.name), value: c.cards, label: ctn('proj.cards', c.cards) })), { caption: ct('proj.by_country'), tone: 'countries' })),
      endorsement(k)))));
  }
  return kids;
}

function render() {
  if (!view || stopped) return;
  $('#w-title').textContent = view.title;
  document.title = `${view.title} · ${ct('proj.page_title')}`;
  at = Math.max(0, Math.min(at, slides() - 1));
  const room = view.rooms[at];
  $('#deck-nav').hidden = false;
  $('#where').textContent = room ? ct('proj.room_of', { n: at + 1, total: view.rooms.length }) : ct('proj.conclusions');
  $('#prev').setAttribute('aria-disabled', at === 0 ? 'true' : 'false');
  $('#next').setAttribute('aria-disabled', at === slides() - 1 ? 'true' : 'false');
  const slide = $('#slide');
  slide.dataset.slide = room ? 'room' : 'conclusions';
  slide.replaceChildren(...[view.closed ? h('p', { class: 'pill', text: ct('proj.closed') }) : null,
    ...(room ? roomSlide(room) : conclusionsSlide())].filter(Boolean));
  const a = new URLSearchParams(location.hash.slice(1));
  a.set('s', at);
  history.replaceState(null, '', `#${a}`);
}

function go(step) {
  const to = Math.max(0, Math.min(at + step, slides() - 1));
  if (to === at) return;
  at = to;
  render();
}

async function poll() {
  if (stopped) return;
  try {
    const headers = { Authorization: `Bearer ${token}` };
    if (etag) headers['If-None-Match'] = etag;
    const r = await fetch(`/api/workshops/${encodeURIComponent(workshop)}/projector`, { headers, cache: 'no-store' });
    if (r.status === 401 || r.status === 403) { fatal('proj.revoked'); return; }
    if (r.status === 404) { fatal('proj.gone'); return; }
    if (r.ok) {
      etag = r.headers.get('ETag');
      view = await r.json();
      render();
    } else if (r.status !== 304) throw new Error(String(r.status));
    live('live');
  } catch {
    live('lost');
  }
  setTimeout(poll, POLL_MS);
}

async function main() {
  await load(pick(args.get('lang')));
  await loadCockpit();
  switcher($('#lang'));
  onCockpit(() => { if (stopped) $('#fatal').textContent = ct($('#fatal').dataset.ct); else render(); if ($('#live').dataset.state) live($('#live').dataset.state); });
  if (!workshop || !token) { fatal('proj.incomplete'); return; }
  live('connecting');
  $('#prev').addEventListener('click', () => go(-1));
  $('#next').addEventListener('click', () => go(1));
  addEventListener('keydown', (ev) => {
    if (ev.target.closest && ev.target.closest('select, input, textarea')) return;
    const step = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ' ': 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 }[ev.key];
    if (ev.key === 'Home') { at = 0; render(); ev.preventDefault(); } else if (ev.key === 'End') { at = slides() - 1; render(); ev.preventDefault(); } else if (step) { ev.preventDefault(); go(step); }
  });
  poll();
}

main();
