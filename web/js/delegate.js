// The delegate's page: a board of sticky notes for the room, the phase banner (what to do
// now, timer, vote budget), people, help and the facilitators' messages.
import { $, h, fill, say } from './dom.js';
import { t, tn, errorText } from './i18n.js';
import { start, roomName, notice, personLabel, makeGroupForm, groupForm, wireGroupForm, shownTitle, timeOf } from './common.js';
import { notify, dismiss, dismissWhere } from './notices.js';
import { icon } from './icons.js';
import { banner, tick, votesLeft } from './phase.js';
import { ui, cardView, mayWrite, mayGroup, sortCards, voteBlocked } from './card.js';

const TONES = 6;
let posted = new Map(); // post_card id -> the seq seen when it was queued
let state = null; // room, phase, open and session state: a change ends notices that no longer hold
let lastBroadcast = null;

// A card still in the outbox is shown as "not sent yet" until its ack, or until its own
// card_posted (same author, column and text, after it was queued) is on the board.
function waiting(app, room, col) {
  const m = app.model;
  const mine = m.s.cards.filter((c) => c.author === m.me.id && c.room === room.id && c.column === col.key);
  const used = new Set();
  return app.conn.pending('post_card').filter((p) => p.room === room.id && p.column === col.key).filter((p) => {
    const after = posted.get(p.id);
    if (after === undefined) return true;
    const twin = mine.find((c) => !used.has(c) && c.seq > after && c.text === p.text);
    if (twin) used.add(twin);
    return !twin;
  }).map((p) => ({ text: p.text, author: m.me.id, column: p.column }));
}

function post(app, room, col, area) {
  if (!area.value.trim()) return;
  const id = app.conn.send({ type: 'post_card', room: room.id, column: col.key, text: area.value });
  posted.set(id, app.conn.seq || 0);
  area.value = '';
  app.render(app);
  $(`#new-${col.key}`).focus();
}

function column(app, room, col, i) {
  const m = app.model;
  const cards = sortCards(room, m.s.cards.filter((c) => c.room === room.id && c.column === col.key));
  const pending = waiting(app, room, col);
  const title = shownTitle(col);
  const id = `col-${col.key}`;
  let form = null;
  if (mayWrite(m, room)) {
    const area = h('textarea', { id: `new-${col.key}`, 'data-key': `new-${col.key}`, maxlength: 1000, rows: 2,
      placeholder: t('card.placeholder'), 'aria-describedby': `hint-${col.key}` });
    // Enter posts, Shift+Enter starts a new line.
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); post(app, room, col, area); }
    });
    form = h('form', { class: 'add', onsubmit: (ev) => { ev.preventDefault(); post(app, room, col, area); } },
      h('label', { for: `new-${col.key}`, class: 'sr-only', text: t('card.new_in', { column: title }) }), area,
      h('div', { class: 'cluster' }, h('p', { class: 'hint', id: `hint-${col.key}`, text: t('card.enter_hint') }),
        h('button', { type: 'submit', class: 'primary small', 'data-key': `add-${col.key}`, text: t('card.add') })));
  }
  const list = [...cards.map((c) => cardView(app, c, room, false)), ...pending.map((c) => cardView(app, c, room, true))];
  return h('section', { class: 'column', 'data-tone': (i % TONES) + 1, 'aria-labelledby': id, 'data-home': col.key, 'data-key': `home-${col.key}`, tabindex: -1 },
    h('h3', { id, class: 'column-head' }, h('span', { text: title }), h('span', { class: 'count', text: tn('n.cards', cards.length) })),
    form, list.length ? h('ul', { class: 'cards' }, list) : h('p', { class: 'muted', text: t('board.empty_column') }));
}

// The board keeps what is being typed: new-card text areas are refilled after a redraw.
function renderBoard(app, room) {
  const board = $('#board');
  const typed = {};
  for (const a of board.querySelectorAll('textarea[id^="new-"]')) typed[a.id] = a.value;
  fill(board, app.model.s.workshop.columns.map((col, i) => column(app, room, col, i)));
  for (const [id, v] of Object.entries(typed)) { const a = document.getElementById(id); if (a) a.value = v; }
}

function renderLobby(app) {
  const m = app.model;
  const kids = [h('div', { class: 'empty' }, icon('people'), h('p', { text: t('delegate.lobby_wait') }))];
  if (m.s.session.self_select && !m.s.session.closed) {
    kids.push(h('h3', { text: t('delegate.choose_room') }), h('ul', { class: 'rooms-pick' },
      m.s.rooms.filter((r) => !r.removed && r.open).map((r) => h('li', {}, h('button', { type: 'button', 'data-key': `pick-${r.id}`, text: r.name,
        onclick: () => app.conn.send({ type: 'choose_room', room: r.id }) })))));
  }
  fill($('#board'), kids);
}

// Room members, then the staff (marked as such); a participant this snapshot does not list
// is left out.
function renderPeople(app, room) {
  const m = app.model;
  const here = room ? m.members(room.id) : m.members('lobby').filter((p) => p.role === 'delegate');
  const staff = m.s.participants.filter((p) => !p.removed && p.role === 'facilitator' && !here.includes(p));
  fill($('#people'), [...here, ...staff].map((p) => {
    const on = m.isOnline(p.id);
    const role = p.role === 'delegate' ? null : (m.s.session.lead === p.id ? 'role.lead' : `role.${p.role}`);
    return h('li', { class: on ? 'on' : 'off' }, h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { text: personLabel(m, p.id) + (p.id === m.me.id ? ` · ${t('people.you')}` : '') }),
      role ? h('span', { class: 'pill staff staff-mark', text: t(role) }) : null,
      h('span', { class: 'muted', text: t(on ? 'people.online' : 'people.offline') }));
  }));
}

function sender(m, b) {
  const p = m.person(b.by);
  // Whole phrases per sender: Portuguese contracts "de" with the article ("da organização").
  const from = !p ? t('broadcast.from_staff') : p.role === 'organizer' ? t('broadcast.from_organizer') : t('broadcast.from', { name: p.name });
  return b.at ? t('broadcast.at', { from, time: timeOf(b.at) }) : from;
}

function visibleBroadcasts(m) {
  return m.s.session.broadcasts.filter((b) => b.room === null || b.room === m.me.room);
}

function renderMessages(app) {
  const m = app.model;
  const list = visibleBroadcasts(m);
  $('#messages').hidden = !list.length;
  fill($('#broadcasts'), list.slice().reverse().map((b) => h('li', {}, h('span', { text: b.text }), h('span', { class: 'when', text: sender(m, b) }))));
  const last = list[list.length - 1];
  if (last && last.seq !== lastBroadcast) {
    lastBroadcast = last.seq;
    if (localStorage.getItem('cabildo.seen_broadcast') !== String(last.seq)) {
      notify({ kind: 'broadcast', key: 'broadcast', text: () => last.text, when: () => sender(m, last),
        onClose: () => localStorage.setItem('cabildo.seen_broadcast', String(last.seq)) });
    }
  }
}

function renderHelp(app) {
  const m = app.model;
  const closed = m.s.session.closed;
  for (const el of [$('#help-text'), $('#help-button')]) el.disabled = closed;
  fill($('#help-list'), m.s.session.help.filter((r) => r.participant === m.me.id && r.status !== 'resolved')
    .map((r) => h('li', { text: `${r.text || t('help.no_text')} · ${t(`help.${r.status}`)}` })));
}

function render(app) {
  const m = app.model;
  if (!m.s) return;
  $('#w-title').textContent = m.s.workshop.title;
  const room = m.me.room === 'lobby' ? null : m.room(m.me.room);
  const now = JSON.stringify([m.me.room, room && room.phase, room && room.open, room && room.hidden, m.s.session.closed]);
  if (state !== null && now !== state) dismissWhere((o, key) => key === 'refused' || key === 'why');
  state = now;
  banner(m, room);
  if (room) renderBoard(app, room); else renderLobby(app);
  const groups = room && mayGroup(m, room) ? m.s.groups.filter((g) => g.room === room.id) : [];
  $('#groups').hidden = !groups.length;
  groupForm(m, groups, (g) => g.name);
  renderPeople(app, room);
  renderHelp(app);
  renderMessages(app);
  tick(m);
}

// Why a command was refused, in words that name the rule (the budget, the phase, a closed
// room or session), else the error code's message.
function why(app, f, cmd) {
  const m = app.model;
  const room = m.room(m.me.room);
  if (m.s.session.closed) return t('workshop.closed');
  if (f.code === 'closed' && room && !room.open) return t('say.room_closed');
  if (cmd && cmd.type === 'vote' && room) {
    const c = m.card(cmd.card);
    if (room.phase !== 'vote') return t('why.not_voting');
    if (c) return voteBlocked(m, room, c) || errorText(f.code);
  }
  if (cmd && ['post_card', 'edit_card', 'delete_card'].includes(cmd.type) && room && !mayWrite(m, room)) return t('why.not_writing');
  return errorText(f.code);
}

makeGroupForm($('#groups'));

start(render, {
  tick: (app) => tick(app.model),
  refused: (app, f, cmd) => {
    const text = why(app, f, cmd);
    notice(text, () => why(app, f, cmd), 'error', 'refused');
  },
  answer: (app, f, cmd) => {
    if (f.type !== 'ack' || !cmd) return;
    posted.delete(cmd.id);
    const room = app.model.room(app.model.me.room);
    if ((cmd.type === 'vote' || cmd.type === 'unvote') && room) {
      say('#announce', t(cmd.type === 'vote' ? 'vote.cast' : 'vote.withdrawn', { n: votesLeft(app.model, room), of: app.model.s.workshop.votes_per_participant }));
    }
  },
  moved: (app, before) => {
    const now = app.model.me.room;
    if (now !== before) {
      ui.editing = null;
      const again = () => t('delegate.moved', { room: roomName(app.model, now) });
      notify({ kind: 'info', key: 'moved', text: again });
    }
  },
}).then((app) => {
  if (!app) return;
  import('./audio.js').then((audio) => audio.mountAudio(app));
  import('./review-link.js').then((r) => r.reviewLink(app, $('#phase-banner')));
  import('./agenda-strip.js').then((agenda) => agenda.mountStrip(app));
  wireGroupForm(app);
  $('#help-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (app.model.s && app.model.s.session.closed) return;
    const text = $('#help-text').value.trim();
    app.conn.send(text ? { type: 'request_help', text } : { type: 'request_help' });
    $('#help-text').value = '';
    notify({ kind: 'info', key: 'help', text: () => t('help.sent'), ttl: 8000 });
  });
});
