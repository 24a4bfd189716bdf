// The cockpit's room tiles: people with presence (drag to another tile, or the menu beside
// each name), card counts per column, phase, timer, help badges, and the room's board as
// its delegates see it (opened in the tile). Help requests also show in the tab title.
import { $, h, fill } from '../dom.js';
import { Kept, place, setClass, setText, keepFocus } from './keyed.js';
import { t, tn } from '../i18n.js';
import { clock } from '../model.js';
import { personLabel, roomName, confirmed } from '../common.js';
import { ask } from '../confirm.js';
import { ct, ctn, titleIn, drawnIn } from './strings.js';
import { voiceOf, micBadge } from './voice.js';

const opened = new Set(); // rooms whose board is shown in their tile

// The organizer and the lead facilitator may remove facilitators and close the session.
export function leads(m) { return m.me.role === 'organizer' || m.s.session.lead === m.me.id; }

export function live(m) { return m.s.rooms.filter((r) => !r.removed); }

// Each person's entry is kept while nothing it shows changed (see keyed.js). Its move menu
// gets its choices when it is used (focus, a click or a tap): 500 menus of every room each
// were most of the page's elements.
const people = new Kept(); // person id -> li
let asked = null; // the person whose removal is being asked (their entry is drawn again)

function person(app, p, places) {
  const m = app.model;
  const sig = [drawnIn(), places.sig, p.room, m.isOnline(p.id), voiceOf(p.id), p.name, p.country, p.role, m.s.session.lead === p.id, m.me.role, leads(m)].join('|');
  return people.get(p.id, sig, () => personEntry(app, p, places));
}

function label(p) { return p.country ? `${p.name} (${p.country})` : p.name; }

function moveMenu(app, p, places) {
  const sel = h('select', { 'aria-label': t('facil.move_person', { name: p.name }), 'data-key': `mv-${p.id}`,
    onchange: (ev) => { if (ev.target.value) app.conn.send({ type: 'move_participant', participant: p.id, room: ev.target.value }); } },
  h('option', { value: '', text: t('facil.move_to') }));
  const offer = () => { if (sel.options.length === 1) sel.append(...places.filter(([id]) => id !== p.room).map(([id, name]) => h('option', { value: id, text: name }))); };
  for (const on of ['focus', 'pointerdown', 'mousedown', 'keydown']) sel.addEventListener(on, offer);
  return sel;
}

function personEntry(app, p, places) {
  const m = app.model;
  const on = m.isOnline(p.id);
  const staff = p.role !== 'delegate';
  // Asking "remove?" in place: this entry and the one asked before are drawn again.
  const redraw = () => { people.forget(p.id); if (asked) people.forget(asked); asked = p.id; app.render(app); };
  return h('li', { draggable: 'true', class: on ? 'on' : 'off', 'data-person': p.id,
    ondragstart: (ev) => { ev.dataTransfer.setData('text/plain', p.id); ev.dataTransfer.effectAllowed = 'move'; } },
  h('span', { class: 'dot', 'aria-hidden': 'true' }),
  h('span', { class: 'who', text: label(p) }),
  voiceOf(p.id) ? micBadge(voiceOf(p.id)) : null,
  staff ? h('span', { class: 'pill staff', text: t(m.s.session.lead === p.id ? 'role.lead' : 'role.facilitator') }) : null,
  h('span', { class: 'sr-only', text: t(on ? 'people.online' : 'people.offline') }), moveMenu(app, p, places),
  m.me.role === 'organizer' && p.role === 'facilitator' && m.s.session.lead !== p.id
    ? h('button', { type: 'button', class: 'small', 'data-key': `lead-${p.id}`, text: t('facil.make_lead'), 'aria-label': t('facil.lead_name', { name: p.name }),
      onclick: () => app.conn.send({ type: 'set_lead', participant: p.id }) }) : null,
  p.id !== m.me.id && (p.role === 'delegate' || leads(m)) ? confirmed(redraw, `rm-${p.id}`,
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

// A tile: its section is made once per room; each of its parts (head, pills, counts, who is
// online, people, actions, board) is built again only when what it shows changed, and the
// people's entries are put in place one by one (an event in one room touches one tile).
const tiles = new Map(); // place id -> { el, parts: Kept, list: ul.people }

function tileOf(app, id) {
  let x = tiles.get(id);
  if (!x) {
    x = { el: dropZone(app, id, h('section', { 'aria-labelledby': `rt-${id}`, 'data-room': id })), parts: new Kept(),
      list: h('ul', { class: 'people' }) };
    tiles.set(id, x);
  }
  return x;
}

function tile(app, r, { cards, help, people: members }, places) {
  const m = app.model;
  const x = tileOf(app, r.id);
  const lang = drawnIn();
  const left = m.left(r.id);
  const online = members.filter((p) => m.isOnline(p.id)).length;
  const open = opened.has(r.id);
  const counts = m.s.workshop.columns.map((c) => [c, cards.filter((y) => y.column === c.key).length]);
  setClass(x.el, `room tile${r.open ? '' : ' shut'}${help ? ' needs-help' : ''}`);
  place(x.list, members.map((p) => person(app, p, places)));
  place(x.el, [
    x.parts.get('head', [lang, r.name, help].join('|'), () => h('div', { class: 'tile-head' },
      h('h3', { id: `rt-${r.id}`, text: r.name }),
      help ? h('span', { class: 'badge', text: String(help), 'aria-hidden': 'true' }) : null)),
    x.parts.get('meta', [lang, r.phase, r.hidden, r.open, r.capacity, left === null, help].join('|'), () => h('p', { class: 'meta' },
      h('span', { class: `pill phase-${r.phase}`, text: t(`phase.${r.phase}`) + (r.hidden ? ` (${t('facil.hidden')})` : '') }),
      r.open ? null : h('span', { class: 'pill alert', text: t('room.closed') }),
      r.capacity ? h('span', { class: 'pill', text: t('facil.cap', { n: r.capacity }) }) : null,
      h('span', { class: 'pill timer', 'data-timer': r.id, hidden: left === null, text: left === null ? '' : t('timer.left', { time: clock(left) }) }),
      help ? h('span', { class: 'pill alert', text: tn('n.help', help) }) : null)),
    x.parts.get('counts', [lang, ...counts.map(([c, n]) => `${c.key}=${c.title}=${n}`)].join('|'), () => h('ul', { class: 'counts' },
      counts.map(([c, n]) => h('li', {}, h('span', { text: titleIn(m, 'column', c.key) }), ' ', h('strong', { text: String(n) }))))),
    x.parts.get('online', [lang, online, members.length].join('|'), () => h('p', { class: 'hint' },
      h('span', { class: 'dot on', 'aria-hidden': 'true' }), ' ', ct('ck.online_count', { n: online, of: members.length }))),
    x.list,
    x.parts.get('actions', [lang, open, r.open].join('|'), () => h('div', { class: 'row tile-actions' },
      h('button', { type: 'button', class: 'small', 'data-key': `bd-${r.id}`, 'aria-expanded': open ? 'true' : 'false', 'aria-controls': `board-${r.id}`,
        text: ct(open ? 'ck.board_hide' : 'ck.board_show'), onclick: () => { if (opened.has(r.id)) opened.delete(r.id); else opened.add(r.id); app.render(app); } }),
      h('button', { type: 'button', class: r.open ? 'small danger' : 'small', 'data-key': `oc-${r.id}`, text: t(r.open ? 'facil.close_room' : 'facil.open_room'),
        onclick: () => closeRoom(app, m.room(r.id)) }))),
    open ? x.parts.get('board', [lang, r.phase, ...m.s.workshop.columns.map((c) => `${c.key}=${c.title}`), ...cards.map((c) => `${c.id}:${c.column}:${c.votes}:${c.text}`)].join('|'),
      () => board(m, r, cards)) : null,
  ].filter(Boolean));
  return x.el;
}

// The tiles, drawn in place: one pass over the people, cards and help requests sorts them by
// room; each tile then changes only where what it shows changed.
export function renderRooms(app) {
  const m = app.model;
  const grid = $('#room-grid');
  const rooms = live(m);
  const places = [['lobby', t('room.lobby')], ...rooms.map((r) => [r.id, r.name])];
  places.sig = places.map(([id, name]) => `${id}=${name}`).join(',');
  const by = new Map([['lobby', { cards: [], help: 0, people: [] }], ...rooms.map((r) => [r.id, { cards: [], help: 0, people: [] }])]);
  for (const p of m.s.participants) if (!p.removed && p.role !== 'organizer' && by.has(p.room)) by.get(p.room).people.push(p);
  for (const c of m.s.cards) if (!c.hidden && by.has(c.room)) by.get(c.room).cards.push(c);
  for (const x of m.s.session.help) if (x.status !== 'resolved' && by.has(x.room)) by.get(x.room).help += 1;
  people.keep(new Set(m.s.participants.map((p) => p.id)));
  for (const id of tiles.keys()) if (!by.has(id)) tiles.delete(id);
  keepFocus(grid, () => {
    const lobby = tileOf(app, 'lobby');
    const { people: waiting } = by.get('lobby');
    setClass(lobby.el, 'room tile lobby');
    place(lobby.list, waiting.map((p) => person(app, p, places)));
    place(lobby.el, [
      lobby.parts.get('head', [drawnIn(), waiting.length].join('|'), () => h('h3', { id: 'rt-lobby', text: `${t('room.lobby')} (${waiting.length})` })),
      waiting.length ? lobby.list : lobby.parts.get('empty', drawnIn(), () => h('p', { class: 'hint', text: ct('ck.lobby_empty') })),
    ]);
    place(grid, [lobby.el, ...rooms.map((r) => tile(app, r, by.get(r.id), places))]);
  });
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

let helpShown = null; // what the list of help requests shows

// Open help requests: listed, counted in the header and in the tab title.
export function renderHelp(app) {
  const m = app.model;
  const open = m.s.session.help.filter((x) => x.status !== 'resolved');
  $('#help-box').hidden = !open.length;
  const waiting = open.filter((x) => x.status === 'open').length;
  $('#help-count').hidden = !open.length;
  setText($('#help-count'), ctn('ck.help_open', open.length));
  const title = open.length ? `(${open.length}) ${m.s.workshop.title} · ${t('facil.page_title')}` : `${m.s.workshop.title} · ${t('facil.page_title')}`;
  if (document.title !== title) document.title = title;
  app.helpWaiting = waiting;
  const ids = new Set(open.map((x) => x.id));
  if (heard && chimeOn() && [...ids].some((id) => !heard.has(id))) chime();
  heard = ids;
  const bell = $('#chime');
  bell.setAttribute('aria-pressed', chimeOn() ? 'true' : 'false');
  const lines = open.map((x) => [x, `${personLabel(m, x.participant)} · ${roomName(m, x.room)} · ${x.text || t('help.no_text')} · ${t(`help.${x.status}`)}`]);
  const sig = [drawnIn(), ...lines.map(([x, line]) => `${x.id}:${x.status}:${line}`)].join('|');
  if (helpShown === sig) return;
  helpShown = sig;
  fill($('#help'), lines.map(([x, line]) => h('li', { class: x.status },
    h('span', { text: line }),
    x.status === 'open' ? h('button', { type: 'button', class: 'small primary', 'data-key': `ha-${x.id}`, text: t('facil.help_ack'), onclick: () => app.conn.send({ type: 'acknowledge_help', request: x.id }) }) : null,
    h('button', { type: 'button', class: 'small', 'data-key': `hr-${x.id}`, text: t('facil.help_resolve'), onclick: () => app.conn.send({ type: 'resolve_help', request: x.id }) }))));
}
