// The delegate's page: the room's board, votes, people, timer, broadcasts and help.
import { $, h, fill, say, options } from './dom.js';
import { t, tn } from './i18n.js';
import { clock } from './model.js';
import { start, latestBroadcast, personLabel, roomName, notice, makeGroupForm, groupForm, wireGroupForm } from './common.js';

let editing = null;
let naming = null; // { card, text }: a new group being named, from that card
const MAY_WRITE = ['brainstorm', 'reveal'];

// What the server lets a delegate do with groups: when the workshop allows it, in an open
// room, while brainstorming (not hidden) or after the reveal.
function mayGroup(m, room) {
  return m.s.workshop.delegates_can_group && room.open && !m.s.session.closed
    && (room.phase === 'reveal' || (room.phase === 'brainstorm' && !room.hidden));
}

function cardView(app, c, room, pending) {
  const m = app.model;
  const mine = c.author === m.me.id;
  const canWrite = !pending && mine && room.open && !m.s.session.closed && MAY_WRITE.includes(room.phase);
  const canVote = !pending && room.open && !m.s.session.closed && room.phase === 'vote';
  const canGroup = !pending && mayGroup(m, room);
  const body = [];
  if (editing === c.id) {
    const area = h('textarea', { 'aria-label': t('card.edit_label'), maxlength: 1000, 'data-key': `edit-${c.id}` });
    area.value = c.text;
    body.push(h('form', { class: 'edit', onsubmit: (ev) => {
      ev.preventDefault();
      app.conn.send({ type: 'edit_card', card: c.id, text: area.value });
      editing = null; app.render(app);
    } }, area, h('button', { type: 'submit', text: t('card.save') }),
    h('button', { type: 'button', text: t('card.cancel'), onclick: () => { editing = null; app.render(app); } })));
  } else {
    body.push(h('p', { class: 'text', text: c.text }));
  }
  const meta = [];
  if (pending) meta.push(h('span', { class: 'pending', text: t('card.pending') }));
  if (c.edited) meta.push(h('span', { text: t('card.edited') }));
  if (c.group) { const g = m.group(c.group); if (g) meta.push(h('span', { class: 'tag', text: g.name })); }
  if (!pending && c.votes !== null && c.votes !== undefined) meta.push(h('span', { text: tn('n.votes', c.votes) }));
  if (c.my_votes) meta.push(h('span', { text: tn('n.mine', c.my_votes) }));
  const actions = [];
  if (canWrite && editing !== c.id) {
    actions.push(h('button', { type: 'button', 'data-key': `e-${c.id}`, text: t('card.edit'), onclick: () => { editing = c.id; app.render(app); } }));
    actions.push(h('button', { type: 'button', class: 'danger', 'data-key': `d-${c.id}`, text: t('card.delete'),
      onclick: () => app.conn.send({ type: 'delete_card', card: c.id }) }));
  }
  if (canVote) {
    actions.push(h('button', { type: 'button', 'data-key': `v-${c.id}`, text: t('card.vote'), 'aria-label': t('card.vote_on', { text: c.text }),
      onclick: () => app.conn.send({ type: 'vote', card: c.id }) }));
    if (c.my_votes) actions.push(h('button', { type: 'button', 'data-key': `u-${c.id}`, text: t('card.unvote'),
      onclick: () => app.conn.send({ type: 'unvote', card: c.id }) }));
  }
  if (canGroup) actions.push(...groupMenu(app, c));
  return h('li', { class: `card${mine ? ' mine' : ''}${pending ? ' is-pending' : ''}`, 'data-card': c.id || '' },
    body, meta.length ? h('p', { class: 'meta' }, meta) : null, actions.length ? h('div', { class: 'actions' }, actions) : null);
}

// When the workshop lets delegates group: the card's group, another one, or a new one.
function groupMenu(app, c) {
  const m = app.model;
  const mine = naming && naming.card === c.id;
  const sel = h('select', { 'aria-label': t('facil.card_group'), 'data-key': `g-${c.id}`, onchange: (ev) => {
    const v = ev.target.value;
    naming = v === '+' ? { card: c.id, text: '' } : null;
    if (v !== '+') app.conn.send({ type: 'move_card_to_group', card: c.id, group: v || null });
    app.render(app);
    if (naming) $(`[data-key="gn-${c.id}"]`).focus();
  } });
  options(sel, [['', t('facil.ungrouped')], ...m.s.groups.filter((g) => g.room === c.room).map((g) => [g.id, g.name]), ['+', t('delegate.new_group')]]);
  sel.value = mine ? '+' : c.group || '';
  if (!mine) return [sel];
  const name = h('input', { 'data-key': `gn-${c.id}`, maxlength: 100, required: true, 'aria-label': t('delegate.group_name'),
    oninput: (ev) => { naming.text = ev.target.value; } });
  name.value = naming.text;
  return [sel, h('form', { class: 'row', onsubmit: (ev) => {
    ev.preventDefault();
    app.conn.send({ type: 'group_cards', cards: [c.id], name: name.value });
    naming = null;
    app.render(app);
  } }, name, h('button', { type: 'submit', 'data-key': `gc-${c.id}`, text: t('delegate.create_group') }))];
}

function column(app, room, col) {
  const m = app.model;
  const cards = m.s.cards.filter((c) => c.room === room.id && c.column === col.key).sort((a, b) => a.seq - b.seq);
  const pending = app.conn.pending('post_card').filter((c) => c.room === room.id && c.column === col.key)
    .map((c) => ({ text: c.text, author: m.me.id, column: c.column }));
  const canPost = room.open && !m.s.session.closed && MAY_WRITE.includes(room.phase);
  const id = `col-${col.key}`;
  const form = canPost ? h('form', { class: 'add', onsubmit: (ev) => {
    ev.preventDefault();
    const area = ev.target.querySelector('textarea');
    if (!area.value.trim()) return;
    app.conn.send({ type: 'post_card', room: room.id, column: col.key, text: area.value });
    area.value = '';
    app.render(app);
  } }, h('label', { for: `new-${col.key}`, class: 'sr-only', text: t('card.new_in', { column: col.title }) }),
  h('textarea', { id: `new-${col.key}`, 'data-key': `new-${col.key}`, maxlength: 1000, rows: 2, placeholder: t('card.placeholder') }),
  h('button', { type: 'submit', 'data-key': `add-${col.key}`, text: t('card.add') })) : null;
  return h('section', { class: 'column', 'aria-labelledby': id },
    h('h3', { id, text: `${col.title} (${cards.length})` }), form,
    h('ul', { class: 'cards' }, cards.map((c) => cardView(app, c, room, false)), pending.map((c) => cardView(app, c, room, true))));
}

// The board keeps what is being typed: new-card text areas are moved, not rebuilt.
function renderBoard(app, room) {
  const board = $('#board');
  const typed = {};
  for (const a of board.querySelectorAll('textarea[id^="new-"]')) typed[a.id] = a.value;
  fill(board, app.model.s.workshop.columns.map((col) => column(app, room, col)));
  for (const [id, v] of Object.entries(typed)) { const a = document.getElementById(id); if (a) a.value = v; }
}

function renderLobby(app) {
  const m = app.model;
  const kids = [h('p', { class: 'panel', text: t('delegate.lobby_wait') })];
  if (m.s.session.self_select) {
    kids.push(h('h3', { text: t('delegate.choose_room') }), h('ul', { class: 'rooms-pick' },
      m.s.rooms.filter((r) => !r.removed && r.open).map((r) => h('li', {}, h('button', { type: 'button', 'data-key': `pick-${r.id}`, text: r.name,
        onclick: () => app.conn.send({ type: 'choose_room', room: r.id }) })))));
  }
  fill($('#board'), kids);
}

function render(app) {
  const m = app.model;
  if (!m.s) return;
  $('#w-title').textContent = m.s.workshop.title;
  const room = m.me.room === 'lobby' ? null : m.room(m.me.room);
  $('#room-name').textContent = room ? room.name : t('room.lobby');
  $('#phase').textContent = room ? t(`phase.${room.phase}`) + (room.open ? '' : ` · ${t('room.closed')}`) : '';
  $('#phase').hidden = !room;
  if (room) renderBoard(app, room); else renderLobby(app);
  const groups = room && mayGroup(m, room) ? m.s.groups.filter((g) => g.room === room.id) : [];
  $('#groups').hidden = !groups.length;
  groupForm(m, groups, (g) => g.name);
  const budget = m.s.workshop.votes_per_participant;
  $('#budget').hidden = !room || room.phase !== 'vote';
  if (room) $('#budget').textContent = t('vote.left', { n: budget - m.votesUsed(room.id), of: budget });
  const b = latestBroadcast(m);
  $('#broadcast').hidden = !b;
  if (b) $('#broadcast').textContent = t('broadcast.label', { text: b.text });
  fill($('#people'), (room ? m.members(room.id) : m.members('lobby').filter((p) => p.role !== 'organizer')).map((p) => {
    const on = m.online.has(p.id);
    return h('li', { class: on ? 'on' : 'off' }, h('span', { class: 'dot', 'aria-hidden': 'true' }),
      `${personLabel(m, p.id)} · `, h('span', { text: t(on ? 'people.online' : 'people.offline') }));
  }));
  fill($('#help-list'), m.s.session.help.filter((r) => r.participant === m.me.id && r.status !== 'resolved')
    .map((r) => h('li', { text: `${r.text || t('help.no_text')} · ${t(`help.${r.status}`)}` })));
  if (m.s.session.closed) notice(t('workshop.closed'), () => t('workshop.closed'));
  tick(app);
}

function tick(app) {
  const m = app.model;
  const left = m.me.room === 'lobby' ? null : m.left(m.me.room);
  const el = $('#timer');
  el.hidden = left === null;
  if (left !== null) {
    el.textContent = t('timer.left', { time: clock(left) });
    el.classList.toggle('urgent', left < 60000);
  }
}

makeGroupForm($('#groups'));

start(render, {
  tick,
  moved: (app, before) => {
    const now = app.model.me.room;
    if (now !== before) {
      editing = null;
      const again = () => t('delegate.moved', { room: roomName(app.model, now) });
      notice(again(), again);
      say('#announce', again());
    }
  },
}).then((app) => {
  if (!app) return;
  import('./audio.js').then((audio) => audio.mountAudio(app));
  wireGroupForm(app);
  $('#help-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('#help-text').value.trim();
    app.conn.send(text ? { type: 'request_help', text } : { type: 'request_help' });
    $('#help-text').value = '';
    say('#announce', t('help.sent'));
  });
});
