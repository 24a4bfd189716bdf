// The delegate's phase banner: the room, its phase, one plain sentence of what to do now,
// the timer and the vote budget as dots.
import { $, h } from './dom.js';
import { t, tn } from './i18n.js';
import { clock } from './model.js';
import { icon } from './icons.js';

// What the delegate can do now, in one sentence.
export function sentence(m, room) {
  if (m.s.session.closed) return t('say.session_closed');
  if (!room) return m.s.session.self_select ? t('say.lobby_choose') : t('say.lobby');
  if (!room.open) return t('say.room_closed');
  switch (room.phase) {
    case 'brainstorm': return t(room.hidden ? 'say.brainstorm_hidden' : 'say.brainstorm');
    case 'reveal': return t('say.reveal');
    case 'vote': {
      const cap = m.s.workshop.max_votes_per_card;
      const n = tn('n.votes', m.s.workshop.votes_per_participant);
      return cap ? t('say.vote_cap', { votes: n, cap: tn('n.votes', cap) }) : t('say.vote', { votes: n });
    }
    case 'consolidate': return t('say.consolidate');
    default: return t('say.closed');
  }
}

// Votes the delegate has left in `room`.
export function votesLeft(m, room) {
  return m.s.workshop.votes_per_participant - m.votesUsed(room.id);
}

export function banner(m, room) {
  const closed = m.s.session.closed;
  const box = $('#phase-banner');
  box.dataset.phase = room ? room.phase : 'lobby';
  box.toggleAttribute('data-shut', closed || (room && !room.open));
  $('#room-name').textContent = room ? room.name : t('room.lobby');
  const pill = $('#phase');
  pill.hidden = !room;
  // A closed session closes every board: the pill says so as for a closed room.
  if (room) pill.textContent = t(`phase.${room.phase}`) + (room.open && !closed ? '' : ` · ${t('room.closed')}`);
  const say = $('#phase-say');
  if (say.textContent !== sentence(m, room)) say.textContent = sentence(m, room);
  const budget = $('#budget');
  budget.hidden = !room || room.phase !== 'vote' || closed || !room.open;
  if (!budget.hidden) {
    const all = m.s.workshop.votes_per_participant;
    const left = votesLeft(m, room);
    budget.replaceChildren(h('span', { class: 'dots', 'aria-hidden': 'true' },
      Array.from({ length: all }, (_, i) => h('span', { class: `vdot${i < left ? '' : ' used'}` }))),
    h('span', { id: 'budget-text', text: t('vote.left', { n: left, of: all }) }));
  }
}

// The timer: counts down while the room has one and the session is open.
export function tick(m) {
  const el = $('#timer');
  const left = m.me.room === 'lobby' || m.s.session.closed ? null : m.left(m.me.room);
  el.hidden = left === null;
  if (left === null) return;
  const text = t('timer.left', { time: clock(left) });
  if (el.dataset.text !== text) {
    el.dataset.text = text;
    el.replaceChildren(icon('clock'), h('span', { text }));
  }
  el.classList.toggle('urgent', left < 60000);
}
