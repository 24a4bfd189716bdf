// The organizer's page: create a workshop, hand out codes (links and a QR code made by the
// server), follow progress, export, close or reopen, and erase.
import { $, h, fill, say, options } from './dom.js';
import { load, t, tn, errorText, switcher, LANGS, onChange, current } from './i18n.js';
import { Conn } from './conn.js';
import { Model } from './model.js';
import { saveSession, forget, personLabel } from './common.js';
import { notify } from './notices.js';
import { ask } from './confirm.js';
import { list, wireList } from './home.js';
import { barChart } from './charts.js';
import { countries as countryNames } from './countries.js';
import { openProjector } from './cockpit/projector-link.js';
import { loadCockpit } from './cockpit/strings.js';
import { mountBriefs, updateBriefs } from './briefs.js';

const FORMATS = ['md', 'html', 'docx', 'csv', 'json'];
let session = null;
let conn = null;
const model = new Model();
let draft = null; // the themes being edited; null while they are the workshop's
let saving = null; // the id of the set_themes command waiting for its answer

function notice(text, kind = 'info') { notify({ kind, key: 'org', text }); }

function lines(id) { return $(id).value.split('\n').map((s) => s.trim()).filter(Boolean); }

function slug(s, i) {
  const k = s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 32);
  return k || `k${i + 1}`;
}

function uniqueKey(seen, title, i) {
  let key = slug(title, i);
  for (let n = i + 1; seen.has(key); n++) key = `${slug(title, i).slice(0, 28)}-${n}`;
  seen.add(key);
  return key;
}

function labelled(list) {
  const seen = new Set();
  return list.map((title, i) => ({ key: uniqueKey(seen, title, i), title }));
}

function fillForm() {
  const first = !$('#language').options.length;
  options($('#language'), LANGS.map((l) => [l, t(`lang.${l}`)]));
  if (first) $('#language').value = current();
  options($('#visibility'), ['live', 'after_vote'].map((v) => [v, t(`org.visibility_${v}`)]));
  const box = $('#languages');
  const checked = new Set([...box.querySelectorAll('input:checked')].map((x) => x.value));
  fill(box, LANGS.map((l) => {
    const cb = h('input', { type: 'checkbox', value: l, id: `lg-${l}` });
    cb.checked = !box.children.length || checked.has(l);
    return h('label', { for: `lg-${l}` }, cb, ` ${t(`lang.${l}`)}`);
  }));
  for (const [id, key] of [['#columns', 'org.default_columns'], ['#themes', 'org.default_themes']]) {
    if (!$(id).dataset.touched) $(id).value = t(key).split('|').join('\n');
  }
  roomNames();
}

// The number of rooms names them "Room 1" … "Room n" until the names are edited (under
// "More options"); edited names set the number.
const DEFAULT_ROOMS = 4;
function roomCount() {
  const n = Math.trunc(Number($('#room-count').value));
  return n >= 1 && n <= 100 ? n : DEFAULT_ROOMS;
}
function roomNames() {
  if ($('#rooms').dataset.touched) return;
  $('#rooms').value = Array.from({ length: roomCount() }, (_, i) => t('org.room_name', { n: i + 1 })).join('\n');
}

async function create(ev) {
  ev.preventDefault();
  const language = $('#language').value;
  const languages = [...$('#languages').querySelectorAll('input:checked')].map((x) => x.value);
  if (!languages.includes(language)) languages.push(language);
  const body = { title: $('#title').value, language, languages, votes_per_participant: Number($('#budget').value),
    votes_visibility: $('#visibility').value, delegates_can_group: $('#can-group').checked };
  if ($('#per-card').value) body.max_votes_per_card = Number($('#per-card').value);
  // Rooms go as named in the form ("Sala 1" … in Spanish), not as the server's English
  // defaults: a room's name is shown as given.
  body.rooms = lines('#rooms');
  if (!body.rooms.length) delete body.rooms;
  // Columns and themes left as suggested go as the server's defaults (their titles are
  // then translated for each reader and in reports); edited lists go as typed.
  if ($('#columns').dataset.touched) body.columns = labelled(lines('#columns'));
  if ($('#themes').dataset.touched) body.themes = labelled(lines('#themes'));
  $('#create-button').disabled = true;
  try {
    const r = await fetch('/api/workshops', { method: 'POST', headers: { Authorization: `Bearer ${$('#admin').value}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const v = await r.json().catch(() => ({}));
    if (!r.ok) { notice(r.status === 403 ? t('home.wrong_admin') : errorText(v.code), 'error'); return; }
    session = { workshop: v.id, token: v.organizer_token, participant: v.organizer_id, role: 'organizer', language: current(),
      title: v.title, delegate_code: v.delegate_code, facilitator_code: v.facilitator_code };
    saveSession(session);
    history.replaceState(null, '', `/organizer?w=${v.id}`);
    show();
    list(open, $('#admin').value);
  } catch {
    notice(t('error.offline'));
  } finally {
    $('#create-button').disabled = false;
  }
}

function show() {
  $('#create').hidden = true;
  $('#workshop').hidden = false;
  $('#ws-title').textContent = session.title;
  for (const [p, code] of [['d', session.delegate_code], ['f', session.facilitator_code]]) {
    const link = `${location.origin}/j/${code}`;
    $(`#${p}-code`).textContent = code;
    $(`#${p}-link`).textContent = link;
    $(`#${p}-link`).href = link;
    $(`#${p}-copy`).onclick = async () => {
      try { await navigator.clipboard.writeText(link); say('#announce', t('org.copied')); notice(t('org.copied')); } catch { notice(link); }
    };
  }
  $('#qr').src = `/qr.svg?text=${encodeURIComponent(`${location.origin}/j/${session.delegate_code}`)}`;
  $('#qr').alt = t('org.qr');
  $('#facil-view').href = `/facilitator?w=${session.workshop}`;
  $('#org-token').textContent = session.token;
  $('#token-show').onclick = () => {
    $('#org-token').hidden = !$('#org-token').hidden;
    $('#token-show').textContent = t($('#org-token').hidden ? 'home.token_show' : 'home.token_hide');
  };
  $('#token-copy').onclick = async () => {
    try { await navigator.clipboard.writeText(session.token); notice(t('home.token_copied')); } catch { $('#org-token').hidden = false; }
  };
  import('./roster.js').then((r) => r.mountRoster(session));
  fill($('#exports'), FORMATS.map((f) => h('button', { type: 'button', 'data-format': f, text: t(`org.format_${f}`), onclick: () => download(f) })));
  mountBriefs(session).then(() => updateBriefs(model));
  if (!conn) connect();
}

async function download(format) {
  const r = await fetch(`/api/workshops/${session.workshop}/export?format=${format}`, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!r.ok) { const v = await r.json().catch(() => ({})); notice(errorText(v.code)); return; }
  const name = (r.headers.get('Content-Disposition') || '').match(/filename="([^"]+)"/);
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: name ? name[1] : `cabildo.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  notice(t('org.exported', { format: t(`org.format_${format}`) }));
}

function progress() {
  const m = model;
  if (!m.s) return;
  updateBriefs(m);
  const delegates = m.s.participants.filter((p) => p.role === 'delegate' && !p.removed);
  const countries = new Set(delegates.map((p) => p.country));
  $('#totals').textContent = t('org.totals', { delegates: tn('n.delegates', delegates.length), countries: tn('n.countries', countries.size), cards: tn('n.cards', m.s.cards.length), conclusions: tn('n.conclusions', (m.s.conclusions || []).length) });
  fill($('#progress'), m.s.rooms.filter((r) => !r.removed).map((r) => h('li', { text: t('org.room_line', {
    room: r.name, phase: t(`phase.${r.phase}`), people: tn('n.people', m.members(r.id).length), cards: tn('n.cards', m.s.cards.filter((c) => c.room === r.id).length) }) })));
  // Pictures of the same: cards per room, delegates per country.
  const rooms = m.s.rooms.filter((r) => !r.removed).map((r) => ({ name: r.name, value: m.s.cards.filter((c) => c.room === r.id).length }));
  const names = new Map(countryNames(current()).map((c) => [c.code, c.name]));
  const byCountry = [...countries].filter(Boolean).map((code) => ({ name: names.get(code) || code, value: delegates.filter((p) => p.country === code).length }))
    .sort((a, b) => b.value - a.value);
  fill($('#progress-charts'), barChart(rooms, { caption: t('org.chart_rooms'), tone: 'rooms' }),
    barChart(byCountry, { caption: t('org.chart_countries'), tone: 'countries' }));
  $('#close-ws').hidden = m.s.session.closed;
  $('#reopen-ws').hidden = !m.s.session.closed;
  const lead = m.s.session.lead;
  $('#lead-now').textContent = lead ? t('org.lead_now', { name: personLabel(m, lead) }) : t('org.lead_none');
  const facilitators = m.s.participants.filter((p) => p.role === 'facilitator' && !p.removed);
  options($('#lead'), facilitators.map((p) => [p.id, p.name]));
  $('#lead-form').hidden = !facilitators.length;
  renderThemes();
}

// The themes, editable: a change starts a draft that the workshop's themes no longer replace.
function editing() {
  if (!draft) draft = model.s.workshop.themes.map((x) => ({ ...x }));
  return draft;
}

function renderThemes() {
  fill($('#theme-list'), (draft || model.s.workshop.themes).map((th, i) => {
    const title = h('input', { 'data-key': `th-${i}`, maxlength: 100, required: true, 'aria-label': t('org.theme_title', { n: i + 1 }),
      oninput: (ev) => { editing()[i].title = ev.target.value; } });
    title.value = th.title;
    return h('li', { class: 'row' }, title, h('button', { type: 'button', class: 'danger', 'data-key': `thr-${i}`, text: t('org.remove'),
      'aria-label': t('org.theme_remove', { n: i + 1 }), onclick: () => { editing().splice(i, 1); renderThemes(); } }));
  }));
}

function addTheme() {
  const title = $('#th-new').value.trim();
  if (!title || !model.s) return;
  const list = editing();
  list.push({ key: uniqueKey(new Set(list.map((x) => x.key)), title, list.length), title });
  $('#th-new').value = '';
  renderThemes();
}

function saveThemes(ev) {
  ev.preventDefault();
  if (!model.s) return;
  saving = conn.send({ type: 'set_themes', themes: (draft || model.s.workshop.themes).map(({ key, title, hint }) => ({ key, title: title.trim(), hint })) });
}

function answered(f) {
  if (f.type === 'error') notice(errorText(f.code), 'error');
  else if (f.id === saving) { draft = null; notice(t('org.themes_saved')); progress(); }
}

function connect() {
  $('#status').hidden = false;
  conn = new Conn(session.token, `${session.workshop}.${session.participant}`, {
    status: (s, n) => { $('#status').dataset.state = s; $('#status').textContent = t(`status.${s}`, { n }); },
    welcome: (f) => { model.welcome(f); progress(); },
    event: (f) => { model.event(f); progress(); },
    snapshot: (f) => { model.snapshot(f.snapshot); progress(); },
    presence: (f) => model.presence(f),
    answer: answered,
    fatal: (why) => { notice(t(`fatal.${why}`)); },
  });
  conn.start();
}

async function erase(ev) {
  ev.preventDefault();
  if ($('#erase-confirm').value.trim() !== session.title.trim()) { notice(t('org.erase_mismatch'), 'error'); return; }
  const r = await fetch(`/api/workshops/${session.workshop}`, { method: 'DELETE', headers: { Authorization: `Bearer ${session.token}` } }).catch(() => null);
  if (!r) { notice(t('error.offline'), 'error'); return; }
  if (r.status === 204) {
    if (conn) conn.stopped = true;
    forget(session.workshop);
    $('#workshop').hidden = true;
    $('#create').hidden = false;
    notice(t('org.erased'));
    list(open);
    return;
  }
  const v = await r.json().catch(() => ({}));
  notice(errorText(v.code), 'error');
}

// Shows a workshop this browser holds the organizer token of.
function open(s) {
  session = s;
  history.replaceState(null, '', `/organizer?w=${s.workshop}`);
  if (conn) { conn.stopped = true; if (conn.ws) { conn.ws.onclose = null; conn.ws.close(); } conn = null; }
  draft = null;
  show();
  $('#workshop').scrollIntoView();
}

async function main() {
  await load();
  await loadCockpit();
  switcher($('#lang'));
  fillForm();
  onChange(() => { fillForm(); if (session) show(); progress(); });
  for (const id of ['#rooms', '#columns', '#themes']) $(id).addEventListener('input', () => { $(id).dataset.touched = '1'; });
  $('#room-count').addEventListener('input', roomNames);
  $('#rooms').addEventListener('input', () => { const n = lines('#rooms').length; if (n) $('#room-count').value = n; });
  $('#create').addEventListener('submit', create);
  $('#erase').addEventListener('submit', erase);
  $('#close-ws').addEventListener('click', async () => {
    if (await ask({ title: t('confirm.close_title'), text: t('confirm.close_text'), yes: t('facil.close_workshop') })) conn.send({ type: 'close_workshop' });
  });
  $('#lead-form').addEventListener('submit', (ev) => { ev.preventDefault(); conn.send({ type: 'set_lead', participant: $('#lead').value }); });
  $('#th-add').addEventListener('click', addTheme);
  $('#projector-open').addEventListener('click', () => openProjector(session, (kind, text) => notice(text, kind)));
  $('#th-new').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); addTheme(); } });
  $('#themes-form').addEventListener('submit', saveThemes);
  $('#reopen-ws').addEventListener('click', () => conn.send({ type: 'reopen_workshop' }));
  const w = new URLSearchParams(location.search).get('w');
  if (w) {
    try { session = JSON.parse(localStorage.getItem(`cabildo.session.${w}`)); } catch { session = null; }
    if (session && session.role === 'organizer') show(); else session = null;
  }
  wireList(open);
}

main();
