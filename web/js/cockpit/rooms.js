// The cockpit's room tiles: people with presence (drag to another tile, or the menu beside
// each name), card counts per column, phase, timer, help badges, and the room's board as
// its delegates see it (opened in the tile). Help requests also show in the tab title.
import { $, h, fill } from '../dom.js';
import { t, tn, current } from '../i18n.js';
import { clock } from '../model.js';
import { personLabel, roomName, confirmed } from '../common.js';
import { ask } from '../confirm.js';
import { ct, ctn, titleIn } from './strings.js';

const opened = new Set(); // rooms whose board is shown in their tile

// The organizer and the lead facilitator may remove facilitators and close the session.
export function leads(m) { return m.me.role === 'organizer' || m.s.session.lead === m.me.id; }

export function live(m) { return m.s.rooms.filter((r) => !r.removed); }

// Each person's entry, kept between draws while nothing it shows changed: with 500
// delegates, building their move menus again on every event took most of a frame. The
// page's own controls draw everything anew (`app.workspaceAgain`), so a question asked in
// place (remove?) is drawn.
const drawn = new Map(); // person id -> { sig, el }

function person(app, p, places) {
  const m = app.model;
  const sig = [current(), places.sig, p.room, m.online.has(p.id), p.name, p.country, p.role, m.s.session.lead === p.id, m.me.role, leads(m)].join('|');
  const kept = drawn.get(p.id);
  if (kept && kept.sig === sig && !app.workspaceAgain) return kept.el;
  const el = personEntry(app, p, places);
  drawn.set(p.id, { sig, el });
  return el;
}

function personEntry(app, p, places) {
  const m = app.model;
  const on = m.online.has(p.id);
  const move = h('select', { 'aria-label': t('facil.move_person', { name: p.name }), 'data-key': `mv-${p.id}`,
    onchange: (ev) => { if (ev.target.value) app.conn.send({ type: 'move_participant', participant: p.id, room: ev.target.value }); } },
  h('option', { value: '', text: t('facil.move_to') }),
  places.filter(([id]) => id !== p.room).map(([id, name]) => h('option', { value: id, text: name })));
  const staff = p.role !== 'delegate';
  return h('li', { draggable: 'true', class: on ? 'on' : 'off', 'data-person': p.id,
    ondragstart: (ev) => { ev.dataTransfer.setData('text/plain', p.id); ev.dataTransfer.effectAllowed = 'move'; } },
  h('span', { class: 'dot', 'aria-hidden': 'true' }),
  h('span', { class: 'who', text: personLabel(m, p.id) }),
  staff ? h('span', { class: 'pill staff', text: t(m.s.session.lead === p.id ? 'role.lead' : 'role.facilitator') }) : null,
  h('span', { class: 'sr-only', text: t(on ? 'people.online' : 'people.offline') }), move,
  m.me.role === 'organizer' && p.role === 'facilitator' && m.s.session.lead !== p.id
    ? h('button', { type: 'button', class: 'small', 'data-key': `lead-${p.id}`, text: t('facil.make_lead'), 'aria-label': t('facil.lead_name', { name: p.name }),
      onclick: () => app.conn.send({ type: 'set_lead', participant: p.id }) }) : null,
  p.id !== m.me.id && (p.role === 'delegate' || leads(m)) ? confirmed(() => app.render(app), `rm-${p.id}`,
    { label: t('facil.remove'), aria: t('facil.remove_person', { name: p.name }), ask: t('facil.remove_q', { name: p.name }) },
    () => app.conn.send({ type: 'remove_participant', participant: p.id })) : null);
}

function dropZone(app, place, el) {
  el.addEventListener('dragover', (ev) => { ev.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.classList.remove('over');
    const pid = ev.dataTransfer.getData('text/plain');
    if (pid) app.conn.send({ type: 'move_participant', participant: pid, room: place });
  });
  return el;
}

// The room's board, read-only, as its delegates see it: columns of notes, most voted first
// once voting ended.
function board(m, r, cards) {
  const sorted = ['consolidate', 'closed'].includes(r.phase);
  return h('div', { class: 'mini-board', id: `board-${r.id}` }, m.s.workshop.columns.map((c, i) => {
    const list = cards.filter((x) => x.column === c.key);
    if (sorted) list.sort((a, b) => (b.votes || 0) - (a.votes || 0));
    return h('section', { class: 'mini-column', 'data-tone': (i % 6) + 1 },
      h('h4', { text: `${titleIn(m, 'column', c.key)} (${list.length})` }),
      list.length ? h('ul', { class: 'mini-notes' }, list.map((x) => h('li', { text: x.text },
        r.phase === 'brainstorm' ? null : h('span', { class: 'votes', text: tn('n.votes', x.votes || 0) })))) : h('p', { class: 'hint', text: ct('ck.no_cards') }));
  }));
}

function closeRoom(app, r) {
  if (!r.open) { app.conn.send({ type: 'open_room', room: r.id }); return; }
  ask({ title: ct('ck.close_room_q', { room: r.name }), text: ct('ck.close_room_text'), yes: t('facil.close_room') })
    .then((yes) => { if (yes) app.conn.send({ type: 'close_room', room: r.id }); });
}

function tile(app, r, places) {
  const m = app.model;
  const cards = m.s.cards.filter((c) => c.room === r.id && !c.hidden);
  const left = m.left(r.id);
  const help = m.s.session.help.filter((x) => x.room === r.id && x.status !== 'resolved').length;
  const people = m.members(r.id).filter((p) => p.role !== 'organizer');
  const online = people.filter((p) => m.online.has(p.id)).length;
  const open = opened.has(r.id);
  // The tile is kept while nothing it shows changed (an event in one room redraws one tile).
  const entries = people.map((p) => person(app, p, places));
  const sig = [current(), places.sig, r.name, r.phase, r.hidden, r.open, r.capacity, left === null, help, open,
    m.s.workshop.columns.map((c) => `${c.key}=${c.title}`).join(','),
    cards.map((c) => `${c.id}:${c.column}:${open ? `${c.votes}:${c.text}` : ''}`).join(','),
    entries.map((e) => e.dataset.person).join(',')].join('|');
  const kept = tiles.get(r.id);
  if (kept && kept.sig === sig && kept.entries.every((e, i) => e === entries[i]) && !app.workspaceAgain) return kept.el;
  const el = tileEntry(app, r, { cards, left, help, people: entries, online, all: people.length, open });
  tiles.set(r.id, { sig, entries, el });
  return el;
}

const tiles = new Map(); // room id -> { sig, entries, el }

function tileEntry(app, r, { cards, left, help, people, online, all, open }) {
  const m = app.model;
  return dropZone(app, r.id, h('section', { class: `room tile${r.open ? '' : ' shut'}${help ? ' needs-help' : ''}`, 'aria-labelledby': `rt-${r.id}`, 'data-room': r.id },
    h('div', { class: 'tile-head' },
      h('h3', { id: `rt-${r.id}`, text: r.name }),
      help ? h('span', { class: 'badge', text: String(help), 'aria-hidden': 'true' }) : null),
    h('p', { class: 'meta' },
      h('span', { class: `pill phase-${r.phase}`, text: t(`phase.${r.phase}`) + (r.hidden ? ` (${t('facil.hidden')})` : '') }),
      r.open ? null : h('span', { class: 'pill alert', text: t('room.closed') }),
      r.capacity ? h('span', { class: 'pill', text: t('facil.cap', { n: r.capacity }) }) : null,
      h('span', { class: 'pill timer', 'data-timer': r.id, hidden: left === null, text: left === null ? '' : t('timer.left', { time: clock(left) }) }),
      help ? h('span', { class: 'pill alert', text: tn('n.help', help) }) : null),
    h('ul', { class: 'counts' }, m.s.workshop.columns.map((c) => h('li', {}, h('span', { text: titleIn(m, 'column', c.key) }), ' ',
      h('strong', { text: String(cards.filter((x) => x.column === c.key).length) })))),
    h('p', { class: 'hint' }, h('span', { class: 'dot on', 'aria-hidden': 'true' }), ' ', ct('ck.online_count', { n: online, of: all })),
    h('ul', { class: 'people' }, people),
    h('div', { class: 'row tile-actions' },
      h('button', { type: 'button', class: 'small', 'data-key': `bd-${r.id}`, 'aria-expanded': open ? 'true' : 'false', 'aria-controls': `board-${r.id}`,
        text: ct(open ? 'ck.board_hide' : 'ck.board_show'), onclick: () => { if (open) opened.delete(r.id); else opened.add(r.id); app.render(app); } }),
      h('button', { type: 'button', class: r.open ? 'small danger' : 'small', 'data-key': `oc-${r.id}`, text: t(r.open ? 'facil.close_room' : 'facil.open_room'),
        onclick: () => closeRoom(app, r) })),
    open ? board(m, r, cards) : null));
}

export function renderRooms(app) {
  const m = app.model;
  const places = [['lobby', t('room.lobby')], ...live(m).map((r) => [r.id, r.name])];
  places.sig = places.map(([id, name]) => `${id}=${name}`).join(',');
  const lobby = m.members('lobby').filter((p) => p.role !== 'organizer');
  fill($('#room-grid'),
    dropZone(app, 'lobby', h('section', { class: 'room tile lobby', 'aria-labelledby': 'rt-lobby', 'data-room': 'lobby' },
      h('h3', { id: 'rt-lobby', text: `${t('room.lobby')} (${lobby.length})` }),
      lobby.length ? h('ul', { class: 'people' }, lobby.map((p) => person(app, p, places))) : h('p', { class: 'hint', text: ct('ck.lobby_empty') }))),
    live(m).map((r) => tile(app, r, places)));
}

// A short two-note chime (Web Audio, nothing loaded) when a new help request arrives, if the
// facilitator turned it on (kept in this browser).
let heard = null; // the open requests' ids last seen
export const chimeOn = () => localStorage.getItem('cabildo.chime') === 'on';
function chime() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  [660, 880].forEach((f, i) => {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.15, ctx.currentTime + i * 0.18);
    g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + i * 0.18 + 0.3);
    o.connect(g).connect(ctx.destination);
    o.start(ctx.currentTime + i * 0.18);
    o.stop(ctx.currentTime + i * 0.18 + 0.3);
  });
  setTimeout(() => ctx.close(), 1000);
}

// Open help requests: listed, counted in the header and in the tab title.
export function renderHelp(app) {
  const m = app.model;
  const open = m.s.session.help.filter((x) => x.status !== 'resolved');
  $('#help-box').hidden = !open.length;
  const waiting = open.filter((x) => x.status === 'open').length;
  $('#help-count').hidden = !open.length;
  $('#help-count').textContent = ctn('ck.help_open', open.length);
  document.title = open.length ? `(${open.length}) ${m.s.workshop.title} · ${t('facil.page_title')}` : `${m.s.workshop.title} · ${t('facil.page_title')}`;
  app.helpWaiting = waiting;
  const ids = new Set(open.map((x) => x.id));
  if (heard && chimeOn() && [...ids].some((id) => !heard.has(id))) chime();
  heard = ids;
  const bell = $('#chime');
  bell.setAttribute('aria-pressed', chimeOn() ? 'true' : 'false');
  fill($('#help'), open.map((x) => h('li', { class: x.status },
    h('span', { text: `${personLabel(m, x.participant)} · ${roomName(m, x.room)} · ${x.text || t('help.no_text')} · ${t(`help.${x.status}`)}` }),
    x.status === 'open' ? h('button', { type: 'button', class: 'small primary', 'data-key': `ha-${x.id}`, text: t('facil.help_ack'), onclick: () => app.conn.send({ type: 'acknowledge_help', request: x.id }) }) : null,
    h('button', { type: 'button', class: 'small', 'data-key': `hr-${x.id}`, text: t('facil.help_resolve'), onclick: () => app.conn.send({ type: 'resolve_help', request: x.id }) }))));
}
