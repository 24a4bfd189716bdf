// A card on the delegate's board: a sticky note with its text, votes (once they mean
// something), and what the delegate may do with it now (edit, delete, vote, group).
import { $, h, options } from './dom.js';
import { t, tn } from './i18n.js';
import { notice } from './common.js';
import { votesLeft } from './phase.js';

const MAY_WRITE = ['brainstorm', 'reveal'];
export const ui = { editing: null, naming: null };

export function mayWrite(m, room) {
  return room.open && !m.s.session.closed && MAY_WRITE.includes(room.phase);
}

// What the server lets a delegate do with groups: when the workshop allows it, in an open
// room, while brainstorming (not hidden) or after the reveal.
export function mayGroup(m, room) {
  return m.s.workshop.delegates_can_group && room.open && !m.s.session.closed
    && (room.phase === 'reveal' || (room.phase === 'brainstorm' && !room.hidden));
}

// Why a vote on `c` would be refused now (null: it would not).
export function voteBlocked(m, room, c) {
  if (votesLeft(m, room) <= 0) return t('why.budget', { n: m.s.workshop.votes_per_participant });
  const cap = m.s.workshop.max_votes_per_card;
  if (cap && c.my_votes >= cap) return t('why.cap', { n: cap });
  return null;
}

function voteButtons(app, c, room) {
  const m = app.model;
  const blocked = voteBlocked(m, room, c);
  const vote = h('button', { type: 'button', class: 'vote-btn', 'data-key': `v-${c.id}`, 'data-also': `u-${c.id}`,
    'aria-label': `${t('card.vote')}: ${c.text}`, 'aria-disabled': blocked ? 'true' : null,
    'aria-describedby': blocked ? 'budget-text' : null, text: t('card.vote'),
    onclick: () => {
      if (blocked) { notice(blocked, () => voteBlocked(m, room, c) || blocked, 'info', 'why'); return; }
      app.conn.send({ type: 'vote', card: c.id });
    } });
  const out = [vote];
  if (c.my_votes) {
    out.push(h('button', { type: 'button', 'data-key': `u-${c.id}`, 'data-also': `v-${c.id}`, text: t('card.unvote'),
      'aria-label': `${t('card.unvote')}: ${c.text}`, onclick: () => app.conn.send({ type: 'unvote', card: c.id }) }));
  }
  return out;
}

function editForm(app, c) {
  const area = h('textarea', { 'aria-label': t('card.edit_label'), maxlength: 1000, 'data-key': `edit-${c.id}` });
  area.value = c.text;
  const done = () => { ui.editing = null; app.render(app); const b = $(`[data-key="e-${c.id}"]`); if (b) b.focus(); };
  const save = () => { app.conn.send({ type: 'edit_card', card: c.id, text: area.value }); done(); };
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); if (area.value.trim()) save(); }
    if (ev.key === 'Escape') done();
  });
  return h('form', { class: 'edit', onsubmit: (ev) => { ev.preventDefault(); save(); } }, area,
    h('div', { class: 'cluster' }, h('button', { type: 'submit', class: 'primary small', text: t('card.save') }),
      h('button', { type: 'button', class: 'small', text: t('card.cancel'), onclick: done })));
}

// When the workshop lets delegates group: the card's group, another one, or a new one.
function groupMenu(app, c) {
  const m = app.model;
  const mine = ui.naming && ui.naming.card === c.id;
  const sel = h('select', { 'aria-label': `${t('card.group')}: ${c.text}`, 'data-key': `g-${c.id}`, onchange: (ev) => {
    const v = ev.target.value;
    ui.naming = v === '+' ? { card: c.id, text: '' } : null;
    if (v !== '+') app.conn.send({ type: 'move_card_to_group', card: c.id, group: v || null });
    app.render(app);
    if (ui.naming) $(`[data-key="gn-${c.id}"]`).focus();
  } });
  options(sel, [['', t('facil.ungrouped')], ...m.s.groups.filter((g) => g.room === c.room).map((g) => [g.id, g.name]), ['+', t('delegate.new_group')]]);
  sel.value = mine ? '+' : c.group || '';
  if (!mine) return [sel];
  const name = h('input', { 'data-key': `gn-${c.id}`, maxlength: 100, required: true, 'aria-label': t('delegate.group_name'),
    oninput: (ev) => { ui.naming.text = ev.target.value; } });
  name.value = ui.naming.text;
  return [sel, h('form', { class: 'row', onsubmit: (ev) => {
    ev.preventDefault();
    app.conn.send({ type: 'group_cards', cards: [c.id], name: name.value });
    ui.naming = null;
    app.render(app);
  } }, name, h('button', { type: 'submit', 'data-key': `gc-${c.id}`, text: t('delegate.create_group') }))];
}

// Votes mean something from the vote on (none are cast before it).
const COUNTED = ['vote', 'consolidate', 'closed'];

export function cardView(app, c, room, pending) {
  const m = app.model;
  const mine = c.author === m.me.id;
  const canWrite = !pending && mine && mayWrite(m, room);
  const canVote = !pending && room.open && !m.s.session.closed && room.phase === 'vote';
  const body = ui.editing === c.id ? editForm(app, c) : h('p', { class: 'text', text: c.text });
  const meta = [];
  if (pending) meta.push(h('span', { class: 'pending', text: t('card.pending') }));
  if (mine && !pending) meta.push(h('span', { class: 'mine-mark', text: t('card.yours') }));
  if (c.edited) meta.push(h('span', { text: t('card.edited') }));
  if (c.group) { const g = m.group(c.group); if (g) meta.push(h('span', { class: 'tag', text: g.name })); }
  if (!pending && COUNTED.includes(room.phase) && c.votes !== null && c.votes !== undefined) {
    meta.push(h('span', { class: 'votes', text: tn('n.votes', c.votes) }));
  }
  if (c.my_votes) meta.push(h('span', { text: tn('n.mine', c.my_votes) }));
  const actions = [];
  if (canWrite && ui.editing !== c.id) {
    actions.push(h('button', { type: 'button', class: 'small', 'data-key': `e-${c.id}`, text: t('card.edit'),
      'aria-label': `${t('card.edit')}: ${c.text}`, onclick: () => { ui.editing = c.id; app.render(app); $(`[data-key="edit-${c.id}"]`).focus(); } }));
    actions.push(h('button', { type: 'button', class: 'small danger', 'data-key': `d-${c.id}`, text: t('card.delete'),
      'aria-label': `${t('card.delete')}: ${c.text}`, onclick: () => app.conn.send({ type: 'delete_card', card: c.id }) }));
  }
  if (canVote) actions.push(...voteButtons(app, c, room));
  if (!pending && mayGroup(m, room)) actions.push(...groupMenu(app, c));
  return h('li', { class: `note${mine ? ' mine' : ''}${pending ? ' is-pending' : ''}`, 'data-card': c.id || '' },
    body, meta.length ? h('p', { class: 'meta' }, meta) : null, actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function sortCards(room, cards) {
  const byVotes = ['consolidate', 'closed'].includes(room.phase);
  return cards.sort((a, b) => (byVotes ? (b.votes || 0) - (a.votes || 0) : 0) || a.seq - b.seq);
}
