// The organizer's roster panel: upload or paste a roster (CSV or a spreadsheet's
// tab-separated text) or add people one by one, see who joined, copy each personal link
// (and its QR code, made by the server), re-send (a new link) or revoke a link, and turn
// the shared codes off. Strings: web/i18n/<lang>.roster.json (`rt`).
import { $, h, fill, options, say } from './dom.js';
import { current, onChange } from './i18n.js';
import { countries } from './countries.js';
import { notify } from './notices.js';

let dict = {};
let loaded = null;
let session = null;
let data = null;
const fresh = new Map(); // person id → the link just issued (shown in this page only)
let timer = null;

function rt(key, vars) {
  let s = dict[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

async function strings() {
  if (loaded === current()) return;
  const r = await fetch(`/static/i18n/${current()}.roster.json`);
  dict = await r.json();
  loaded = current();
}

function notice(text, kind = 'info') { notify({ kind, key: 'roster', text }); }

async function api(method, path, body) {
  const r = await fetch(`/api/workshops/${session.workshop}/roster${path}`, {
    method, headers: { Authorization: `Bearer ${session.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const v = r.status === 204 ? {} : await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, v };
}

const urlOf = (path) => `${location.origin}${path}`;

function panel() {
  let box = $('#roster');
  if (box) return box;
  box = h('section', { id: 'roster', class: 'roster', 'aria-labelledby': 'roster-h' });
  const anchor = $('#workshop .token-box');
  anchor.after(box);
  return box;
}

function field(id, label, input) {
  return h('div', { class: 'roster-field' }, h('label', { for: id, text: label }), input);
}

function form() {
  const file = h('input', { id: 'roster-file', type: 'file', accept: '.csv,.tsv,.txt,text/csv,text/plain' });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (f) $('#roster-table').value = await f.text();
  });
  const table = h('textarea', { id: 'roster-table', rows: 5, spellcheck: 'false', placeholder: 'name,country,email,role,room,head' });
  const upload = h('form', { id: 'roster-upload', class: 'roster-upload' },
    h('p', { class: 'muted', text: rt('roster.table_hint') }),
    field('roster-file', rt('roster.file'), file),
    field('roster-table', rt('roster.paste'), table),
    h('button', { type: 'submit', class: 'primary', id: 'roster-import', text: rt('roster.import') }));
  upload.addEventListener('submit', (ev) => { ev.preventDefault(); add({ table: table.value }); });
  const country = h('select', { id: 'rp-country' });
  options(country, [['', rt('roster.no_country')], ...countries(current()).map((c) => [c.code, `${c.name} (${c.code})`])]);
  const role = h('select', { id: 'rp-role' });
  options(role, [['delegate', rt('roster.role_delegate')], ['facilitator', rt('roster.role_facilitator')]]);
  const room = h('select', { id: 'rp-room' });
  options(room, [['', rt('roster.no_room')], ...(data ? data.rooms.map((r) => [r.id, r.name]) : [])]);
  const head = h('input', { type: 'checkbox', id: 'rp-head' });
  const one = h('form', { id: 'roster-one', class: 'roster-one' },
    field('rp-name', rt('roster.name'), h('input', { id: 'rp-name', maxlength: 80, required: true })),
    field('rp-country', rt('roster.country'), country),
    field('rp-email', rt('roster.email'), h('input', { id: 'rp-email', type: 'email', maxlength: 254 })),
    field('rp-role', rt('roster.role'), role),
    field('rp-room', rt('roster.room'), room),
    h('label', { class: 'roster-check' }, head, ` ${rt('roster.head')}`),
    h('button', { type: 'submit', id: 'rp-add', text: rt('roster.add_one') }));
  one.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = { name: $('#rp-name').value, role: role.value, head: head.checked };
    if (country.value) p.country = country.value;
    if ($('#rp-email').value.trim()) p.email = $('#rp-email').value.trim();
    if (room.value) p.room = room.value;
    add({ people: [p] }, () => { one.reset(); });
  });
  return [upload, one];
}

async function add(body, done) {
  const { ok, status, v } = await api('POST', '', body).catch(() => ({ ok: false, status: 0, v: {} }));
  if (ok) {
    for (const l of v.links) fresh.set(l.id, l);
    fill($('#roster-errors'));
    if (body.table !== undefined) $('#roster-table').value = '';
    if (done) done();
    notice(rt('roster.added', { n: v.added }));
    say('#announce', rt('roster.added', { n: v.added }));
    await refresh();
    return;
  }
  if (v.rows) {
    const items = v.rows.map((e) => h('li', { 'data-row': e.row, 'data-error': e.error,
      text: `${e.row ? rt('roster.row', { row: e.row }) : rt('roster.table')}: ${rt(`roster.err.${e.error}`)}${e.column ? ` (${e.column})` : ''}` }));
    fill($('#roster-errors'), h('p', { text: rt('roster.nothing_added') }), h('ul', {}, items));
    $('#roster-errors').focus();
    return;
  }
  notice(status ? rt('roster.failed', { code: v.code || status }) : rt('roster.offline'), 'error');
}

function statusOf(p) {
  if (p.removed) return ['removed', rt('roster.st_removed')];
  if (p.joined) return ['joined', rt('roster.st_joined')];
  if (p.link === 'revoked') return ['revoked', rt('roster.st_revoked')];
  return ['waiting', rt('roster.st_waiting')];
}

function linkBox(p, l) {
  const url = urlOf(l.path);
  const input = h('input', { readonly: true, value: url, 'aria-label': rt('roster.link_of', { name: p.name }), class: 'roster-url' });
  const copy = h('button', { type: 'button', 'data-key': `copy-${p.id}`, class: 'roster-copy', text: rt('roster.copy') });
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(url); notice(rt('roster.copied', { name: p.name })); } catch { input.select(); }
  });
  const qr = h('img', { class: 'roster-qr', width: 120, height: 120, alt: rt('roster.qr_of', { name: p.name }), src: `/qr.svg?text=${encodeURIComponent(url)}` });
  return h('div', { class: 'roster-link' }, input, copy, qr);
}

function row(p) {
  const [state, label] = statusOf(p);
  const room = p.room && data.rooms.find((r) => r.id === p.room);
  const resend = h('button', { type: 'button', 'data-key': `resend-${p.id}`, class: 'roster-resend', text: rt('roster.resend') });
  resend.addEventListener('click', async () => {
    const { ok, v } = await api('POST', `/${p.id}/link`);
    if (!ok) { notice(rt('roster.failed', { code: v.code }), 'error'); return; }
    fresh.set(p.id, v);
    notice(rt('roster.resent', { name: p.name }));
    refresh();
  });
  const revoke = h('button', { type: 'button', class: 'danger roster-revoke', 'data-key': `revoke-${p.id}`, text: rt('roster.revoke'), disabled: p.link !== 'active' });
  revoke.addEventListener('click', async () => {
    const { ok, v } = await api('DELETE', `/${p.id}/link`);
    if (!ok) { notice(rt('roster.failed', { code: v.code }), 'error'); return; }
    fresh.delete(p.id);
    notice(rt('roster.revoked', { name: p.name }));
    refresh();
  });
  const l = fresh.get(p.id);
  return h('li', { class: 'roster-person', 'data-id': p.id, 'data-state': state },
    h('div', { class: 'roster-who' },
      h('strong', { text: p.name }), p.head ? h('span', { class: 'roster-head', text: rt('roster.head_short') }) : null,
      h('span', { class: 'muted', text: [p.country, rt(`roster.role_${p.role}`), room ? room.name : null, p.email].filter(Boolean).join(' · ') }),
      h('span', { class: 'roster-state', text: label })),
    h('div', { class: 'roster-actions' }, resend, revoke),
    l && p.link === 'active' ? linkBox(p, l) : null);
}

function render() {
  const box = panel();
  const shared = h('input', { type: 'checkbox', id: 'roster-shared' });
  shared.checked = !data || data.shared_codes;
  shared.addEventListener('change', async () => {
    const { ok, v } = await api('PUT', '/shared_codes', { open: shared.checked });
    if (!ok) notice(rt('roster.failed', { code: v.code }), 'error');
    else notice(rt(shared.checked ? 'roster.codes_on' : 'roster.codes_off'));
    refresh();
  });
  const people = data ? data.people : [];
  const joined = people.filter((p) => p.joined).length;
  fill(box,
    h('h3', { id: 'roster-h', text: rt('roster.heading') }),
    h('p', { class: 'muted', text: rt('roster.intro') }),
    h('label', { class: 'roster-check' }, shared, ` ${rt('roster.shared_codes')}`),
    ...form(),
    h('div', { id: 'roster-errors', class: 'roster-errors', tabindex: -1, role: 'alert' }),
    h('p', { id: 'roster-count', text: rt('roster.count', { joined, total: people.length }) }),
    h('p', { id: 'roster-once', class: 'muted', text: rt('roster.links_once'), hidden: !fresh.size }),
    h('ul', { id: 'roster-list', class: 'roster-list' }, people.map(row)));
}

async function refresh() {
  if (!session) return;
  const { ok, v } = await api('GET', '').catch(() => ({ ok: false, v: {} }));
  if (!ok) return;
  data = v;
  // Keep what is being typed: only the list and the count are redrawn after the first time.
  if (!$('#roster-list')) { render(); return; }
  const people = data.people;
  $('#roster-count').textContent = rt('roster.count', { joined: people.filter((p) => p.joined).length, total: people.length });
  $('#roster-shared').checked = data.shared_codes;
  $('#roster-once').hidden = !fresh.size;
  options($('#rp-room'), [['', rt('roster.no_room')], ...data.rooms.map((r) => [r.id, r.name])]);
  fill($('#roster-list'), people.map(row));
}

// Shows the roster panel of the organizer's workshop `s` (called each time it is shown).
export async function mountRoster(s) {
  const again = session && session.workshop === s.workshop;
  session = s;
  if (!again) { fresh.clear(); data = null; const old = $('#roster'); if (old) old.remove(); }
  if (!document.querySelector('link[href="/static/css/roster.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/static/css/roster.css' }));
  }
  await strings();
  const old = $('#roster');
  if (old) old.remove();
  render();
  await refresh();
  if (!timer) timer = setInterval(() => { if (!document.hidden) refresh(); }, 5000);
}

onChange(async () => { if (session) { await strings(); const old = $('#roster'); if (old) old.remove(); render(); refresh(); } });
