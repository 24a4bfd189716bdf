// The participant's copy of the workshop: the snapshot, kept up to date by applying events
// (docs/PROTOCOL.md, "Events"). Derived numbers (votes, counts) are recomputed here.
import { applyAgenda } from './agenda-model.js';

export class Model {
  constructor() { this.s = null; this.me = null; this.online = new Set(); this.offset = 0; this.connected = false; }

  welcome(f) {
    this.me = f.you;
    this.online = new Set(f.online);
    if (f.resumed) for (const e of f.events) this.event(e);
    else this.snapshot(f.snapshot);
  }

  snapshot(s) {
    this.s = s;
    const me = s.participants.find((p) => p.id === this.me.id);
    if (me) this.me = me;
  }

  presence(f) { if (f.online) this.online.add(f.participant); else this.online.delete(f.participant); }

  // Whether someone is online: the server's word for the others; for oneself, this page's
  // own connection (`connected`, kept by common.js), so an offline page never shows its
  // reader online.
  isOnline(id) { return this.me && id === this.me.id ? this.connected : this.online.has(id); }

  // Server time now, estimated from the events' `at` (server clock) as they arrive.
  now() { return Date.now() + this.offset; }

  get staff() { return this.me && this.me.role !== 'delegate'; }
  room(id) { return this.s.rooms.find((r) => r.id === id); }
  // A participant, or undefined for one this snapshot does not list (a delegate's snapshot
  // may hold only their room's people and the staff).
  person(id) { return this.s.participants.find((p) => p.id === id); }
  card(id) { return this.s.cards.find((c) => c.id === id); }
  group(id) { return this.s.groups.find((g) => g.id === id); }
  timer(room) { return this.s.session.timers.find((t) => t.room === room); }
  members(room) { return this.s.participants.filter((p) => !p.removed && p.room === room); }

  move(pid, to) {
    const p = this.person(pid);
    if (!p) return;
    const from = p.room;
    if (from === 'lobby') this.s.lobby = this.s.lobby.filter((x) => x !== pid);
    else { const r = this.room(from); if (r) r.members = r.members.filter((x) => x !== pid); }
    p.room = to;
    if (to === 'lobby') this.s.lobby.push(pid);
    else { const r = this.room(to); if (r) r.members.push(pid); }
    if (pid === this.me.id) this.me.room = to;
  }

  setTimer(room, fields) {
    const t = this.timer(room);
    if (t) Object.assign(t, fields);
    else this.s.session.timers.push({ room, warnings: [], fired: [], close_at_end: false, remaining_ms: 0, ...fields });
  }

  event(f) {
    if (f.at) {
      const sample = f.at - Date.now();
      this.offset = this.offsetSeen ? Math.max(this.offset, sample) : sample;
      this.offsetSeen = true;
    }
    const e = f.event;
    const s = this.s;
    // Events that move people name them, for those a delegate's snapshot left out.
    for (const p of f.participants || []) if (!this.person(p.id)) s.participants.push({ ...p });
    const card = e.card ? this.card(e.card) : null;
    switch (e.type) {
      case 'participant_joined': s.participants.push(e.participant); s.lobby.push(e.participant.id); break;
      case 'card_posted':
        s.cards.push({ id: e.card, room: e.room, column: e.column, text: e.text, author: e.author, seq: f.seq,
          edited: false, group: null, theme: null, votes: 0, my_votes: 0, hidden: false, history: [] });
        break;
      case 'card_edited': if (card) { card.text = e.text; card.edited = true; } break;
      case 'card_deleted': s.cards = s.cards.filter((c) => c.id !== e.card); break;
      case 'card_hidden':
        if (this.staff) { if (card) { card.hidden = true; card.votes = 0; } } else s.cards = s.cards.filter((c) => c.id !== e.card);
        break;
      case 'card_shown': if (card) card.hidden = false; break;
      case 'card_tagged': if (card) card.theme = e.theme; break;
      case 'card_regrouped': if (card) card.group = e.group; break;
      case 'vote_cast':
      case 'vote_withdrawn': {
        const d = e.type === 'vote_cast' ? 1 : -1;
        if (card && card.votes !== null) card.votes += d;
        if (card && e.participant === this.me.id) card.my_votes += d;
        break;
      }
      case 'group_created':
        s.groups.push({ id: e.group, room: e.room, name: e.name, theme: null, seq: f.seq, votes: 0 });
        for (const id of e.cards) { const c = this.card(id); if (c) c.group = e.group; }
        break;
      case 'groups_merged':
        for (const c of s.cards) if (c.group === e.group) c.group = e.into;
        s.groups = s.groups.filter((g) => g.id !== e.group);
        break;
      case 'group_dissolved':
        for (const c of s.cards) if (c.group === e.group) c.group = null;
        s.groups = s.groups.filter((g) => g.id !== e.group);
        break;
      case 'group_renamed': { const g = this.group(e.group); if (g) g.name = e.name; break; }
      case 'group_tagged': { const g = this.group(e.group); if (g) g.theme = e.theme; break; }
      case 'themes_set': {
        s.workshop.themes = e.themes;
        const keys = new Set(e.themes.map((x) => x.key));
        for (const c of s.cards) if (c.theme && !keys.has(c.theme)) c.theme = null;
        for (const g of s.groups) if (g.theme && !keys.has(g.theme)) g.theme = null;
        break;
      }
      case 'participant_moved': this.move(e.participant, e.room); break;
      case 'rooms_assigned': case 'returned_to_lobby':
        for (const m of e.moves) this.move(m.participant, m.room);
        break;
      case 'room_removed':
        for (const m of e.moves) this.move(m.participant, m.room);
        this.room(e.room).removed = true;
        s.session.timers = s.session.timers.filter((t) => t.room !== e.room);
        break;
      case 'room_created': s.rooms.push({ ...e.room, members: [] }); break;
      case 'room_renamed': this.room(e.room).name = e.name; break;
      case 'room_capacity_set': this.room(e.room).capacity = e.capacity; break;
      case 'room_closed': this.room(e.room).open = false; break;
      case 'room_opened': this.room(e.room).open = true; break;
      case 'phase_set': Object.assign(this.room(e.room), { phase: e.phase, hidden: e.hidden }); break;
      case 'conclusion_added':
        s.conclusions.push({ id: e.conclusion, theme: e.theme, text: e.text, cards: e.cards, status: 'draft', version: 1 });
        break;
      case 'conclusion_edited': {
        const k = s.conclusions.find((x) => x.id === e.conclusion);
        if (k) Object.assign(k, { version: e.version, theme: e.theme, text: e.text, cards: e.cards, status: e.status });
        break;
      }
      case 'conclusion_moved': {
        const k = s.conclusions.find((x) => x.id === e.conclusion);
        if (!k) break;
        const rest = s.conclusions.filter((x) => x !== k);
        const same = rest.filter((x) => x.theme === k.theme);
        const at = e.position < same.length ? rest.indexOf(same[e.position]) : (same.length ? rest.indexOf(same[same.length - 1]) + 1 : rest.length);
        rest.splice(at, 0, k);
        s.conclusions = rest;
        break;
      }
      case 'conclusion_removed': s.conclusions = s.conclusions.filter((x) => x.id !== e.conclusion); break;
      case 'self_select_set': s.session.self_select = e.open; break;
      case 'late_joiners_set': s.session.late_joiners = e.policy; break;
      case 'broadcast_sent': s.session.broadcasts.push({ seq: f.seq, at: f.at, text: e.text, room: e.room, by: e.by }); break;
      case 'timer_started':
        this.setTimer(e.room, { deadline: e.deadline, remaining_ms: e.seconds * 1000, warnings: e.warnings, fired: [], close_at_end: e.close_at_end });
        break;
      case 'timer_extended': this.setTimer(e.room, { deadline: e.deadline, remaining_ms: e.remaining_ms, fired: e.fired }); break;
      case 'timer_paused': this.setTimer(e.room, { deadline: null, remaining_ms: e.remaining_ms }); break;
      case 'timer_resumed': this.setTimer(e.room, { deadline: e.deadline }); break;
      case 'timer_warning': { const t = this.timer(e.room); if (t) t.fired.push(e.seconds); break; }
      case 'timer_cancelled': case 'timer_ended':
        s.session.timers = s.session.timers.filter((t) => t.room !== e.room);
        break;
      case 'help_requested':
        s.session.help.push({ id: e.request, seq: f.seq, participant: e.participant, room: e.room, text: e.text, status: 'open', handled_by: null });
        break;
      case 'help_acknowledged': case 'help_resolved': {
        const r = s.session.help.find((x) => x.id === e.request);
        if (r && r.status !== 'resolved') Object.assign(r, { status: e.type === 'help_resolved' ? 'resolved' : 'acknowledged', handled_by: e.by });
        break;
      }
      case 'workshop_closed': s.session.closed = true; break;
      case 'workshop_reopened': s.session.closed = false; break;
      case 'lead_set': s.session.lead = e.participant; break;
      case 'agenda_set': case 'agenda_advanced': case 'segment_skipped': case 'segment_extended': applyAgenda(s, e); break;
      case 'participant_removed': {
        const p = this.person(e.participant);
        if (p) {
          this.move(p.id, 'lobby');
          s.lobby = s.lobby.filter((x) => x !== p.id);
          p.removed = true;
        }
        if (s.session.lead === e.participant) s.session.lead = null;
        this.online.delete(e.participant);
        break;
      }
    }
  }

  // Time left on a room's timer, in ms (null: no timer).
  left(room) {
    const t = this.timer(room);
    if (!t) return null;
    return t.deadline === null ? t.remaining_ms : Math.max(0, t.deadline - this.now());
  }

  votesUsed(room) {
    return this.s.cards.filter((c) => c.room === room).reduce((n, c) => n + c.my_votes, 0);
  }
}

export function clock(ms) {
  const sec = Math.ceil(ms / 1000);
  return `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`;
}
