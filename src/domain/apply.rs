//! `Workshop::apply`: folds one event into the state. It never fails and never checks a
//! rule — `decide` already did — and an event that no longer fits is ignored.

use super::assignment::Move;
use super::session::{self, Broadcast, HelpRequest, HelpStatus, Timer};
use super::{
    Card, Conclusion, ConclusionStatus, Event, Group, Place, Revision, RevisionAction, Role,
    Workshop,
};

impl Workshop {
    pub fn apply(&mut self, seq: u64, event: &Event) {
        self.seq = seq;
        self.apply_agenda(event);
        match event {
            Event::WorkshopCreated {
                workshop,
                settings,
                rooms,
            } => {
                self.id = *workshop;
                self.settings = Some(settings.clone());
                self.rooms = rooms.clone();
            }
            Event::ParticipantJoined { participant } => {
                self.participants
                    .insert(participant.id, participant.clone());
                if participant.role == Role::Facilitator && self.session.lead.is_none() {
                    self.session.lead = Some(participant.id);
                }
            }
            Event::CardPosted {
                card,
                room,
                column,
                text,
                author,
            } => {
                let previous = self.cards.insert(
                    *card,
                    Card {
                        id: *card,
                        room: *room,
                        column: column.clone(),
                        text: text.clone(),
                        author: *author,
                        seq,
                        edited: false,
                        group: None,
                        theme: None,
                        hidden: false,
                        history: Vec::new(),
                        earlier_revisions: 0,
                    },
                );
                if let Some(previous) = previous {
                    self.uncount_card(previous.room);
                }
                *self.cards_per_room.entry(*room).or_default() += 1;
            }
            Event::CardEdited { card, text, by, .. } => {
                if let Some(c) = self.cards.get_mut(card) {
                    let previous = std::mem::replace(&mut c.text, text.clone());
                    c.edited = true;
                    c.revise(
                        Revision {
                            seq,
                            by: *by,
                            action: RevisionAction::Edited,
                            previous_text: Some(previous),
                        },
                        self.history_kept,
                    );
                }
            }
            Event::CardDeleted { card, .. } => {
                if let Some(gone) = self.cards.remove(card) {
                    self.uncount_card(gone.room);
                }
                self.votes.remove(card);
            }
            Event::CardHidden { card, by, .. } | Event::CardShown { card, by, .. } => {
                let hidden = matches!(event, Event::CardHidden { .. });
                if hidden {
                    // A moderated card gives its votes back to those who cast them.
                    self.votes.remove(card);
                }
                if let Some(c) = self.cards.get_mut(card) {
                    c.hidden = hidden;
                    c.revise(
                        Revision {
                            seq,
                            by: *by,
                            action: if hidden {
                                RevisionAction::Hidden
                            } else {
                                RevisionAction::Shown
                            },
                            previous_text: None,
                        },
                        self.history_kept,
                    );
                }
            }
            Event::ParticipantMoved {
                participant, room, ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.room = *room;
                }
            }
            Event::RoomClosed { room } | Event::RoomOpened { room } => {
                let open = matches!(event, Event::RoomOpened { .. });
                if let Some(r) = self.rooms.iter_mut().find(|r| r.id == *room) {
                    r.open = open;
                }
            }
            Event::PhaseSet {
                room,
                phase,
                hidden,
                ..
            } => {
                if let Some(r) = self.rooms.iter_mut().find(|r| r.id == *room) {
                    r.phase = *phase;
                    r.hidden = *hidden;
                }
            }
            Event::VoteCast {
                card, participant, ..
            } => {
                *self
                    .votes
                    .entry(*card)
                    .or_default()
                    .entry(*participant)
                    .or_default() += 1;
            }
            Event::VoteWithdrawn {
                card, participant, ..
            } => {
                if let Some(by_card) = self.votes.get_mut(card) {
                    if let Some(n) = by_card.get_mut(participant) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            by_card.remove(participant);
                        }
                    }
                    if by_card.is_empty() {
                        self.votes.remove(card);
                    }
                }
            }
            Event::GroupCreated {
                group,
                room,
                name,
                cards,
            } => {
                self.groups.insert(
                    *group,
                    Group {
                        id: *group,
                        room: *room,
                        name: name.clone(),
                        theme: None,
                        seq,
                    },
                );
                for card in cards {
                    if let Some(c) = self.cards.get_mut(card) {
                        c.group = Some(*group);
                    }
                }
            }
            Event::CardRegrouped { card, group, .. } => {
                if let Some(c) = self.cards.get_mut(card) {
                    c.group = *group;
                }
            }
            Event::GroupsMerged { group, into, .. } => {
                self.groups.remove(group);
                for c in self.cards.values_mut().filter(|c| c.group == Some(*group)) {
                    c.group = Some(*into);
                }
            }
            Event::GroupDissolved { group, .. } => {
                self.groups.remove(group);
                for c in self.cards.values_mut().filter(|c| c.group == Some(*group)) {
                    c.group = None;
                }
            }
            Event::GroupRenamed { group, name, .. } => {
                if let Some(g) = self.groups.get_mut(group) {
                    g.name = name.clone();
                }
            }
            Event::CardTagged { card, theme, .. } => {
                if let Some(c) = self.cards.get_mut(card) {
                    c.theme = theme.clone();
                }
            }
            Event::GroupTagged { group, theme, .. } => {
                if let Some(g) = self.groups.get_mut(group) {
                    g.theme = theme.clone();
                }
            }
            Event::ThemesSet { themes } => {
                let known = |t: &Option<String>| {
                    t.as_ref()
                        .is_none_or(|t| themes.iter().any(|k| &k.key == t))
                };
                for c in self.cards.values_mut().filter(|c| !known(&c.theme)) {
                    c.theme = None;
                }
                for g in self.groups.values_mut().filter(|g| !known(&g.theme)) {
                    g.theme = None;
                }
                if let Some(s) = self.settings.as_mut() {
                    s.themes = themes.clone();
                }
            }
            Event::ConclusionAdded {
                conclusion,
                theme,
                text,
                cards,
            } => self.conclusions.push(Conclusion {
                id: *conclusion,
                theme: theme.clone(),
                text: text.clone(),
                cards: cards.clone(),
                status: ConclusionStatus::Draft,
                version: 1,
            }),
            Event::ConclusionEdited {
                conclusion,
                version,
                theme,
                text,
                cards,
                status,
            } => {
                if let Some(c) = self.conclusions.iter_mut().find(|c| c.id == *conclusion) {
                    c.version = *version;
                    c.theme = theme.clone();
                    c.text = text.clone();
                    c.cards = cards.clone();
                    c.status = *status;
                }
            }
            Event::ConclusionMoved {
                conclusion,
                position,
            } => {
                let Some(from) = self.conclusions.iter().position(|c| c.id == *conclusion) else {
                    return;
                };
                let moving = self.conclusions.remove(from);
                // The global index of the `position`-th conclusion of the same theme.
                let at = self
                    .conclusions
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.theme == moving.theme)
                    .nth(*position)
                    .map(|(i, _)| i)
                    .unwrap_or_else(|| {
                        self.conclusions
                            .iter()
                            .rposition(|c| c.theme == moving.theme)
                            .map_or(self.conclusions.len(), |i| i + 1)
                    });
                self.conclusions.insert(at, moving);
            }
            Event::ConclusionRemoved { conclusion } => {
                self.conclusions.retain(|c| c.id != *conclusion);
            }
            _ => self.apply_session(seq, event),
        }
    }

    /// The events of running the session: rooms, assignment, broadcasts, timers, help.
    fn apply_session(&mut self, seq: u64, event: &Event) {
        let s = &mut self.session;
        match event {
            Event::RoomCreated { room } => self.rooms.push(room.clone()),
            Event::RoomRenamed { room, name } => {
                if let Some(r) = self.rooms.iter_mut().find(|r| r.id == *room) {
                    r.name = name.clone();
                }
            }
            Event::RoomCapacitySet { room, capacity } => {
                if let Some(r) = self.rooms.iter_mut().find(|r| r.id == *room) {
                    r.capacity = *capacity;
                }
            }
            Event::RoomRemoved { room, moves } => {
                if let Some(r) = self.rooms.iter_mut().find(|r| r.id == *room) {
                    r.removed = true;
                }
                s.timers.remove(room);
                self.apply_moves(moves);
            }
            Event::RoomsAssigned { moves, .. } | Event::ReturnedToLobby { moves } => {
                self.apply_moves(moves)
            }
            Event::SelfSelectSet { open } => s.self_select = *open,
            Event::JoiningLocked { locked } => s.joining_locked = *locked,
            // The code lives in the store; the actor follows it (`hub::workshop`).
            Event::CodeRotated { .. } => {}
            Event::RosterAdded { .. }
            | Event::RosterLinkIssued { .. }
            | Event::RosterLinkRevoked { .. }
            | Event::SharedCodesSet { .. } => self.apply_roster(event),
            Event::ReviewOpened { .. }
            | Event::ReviewAnswered { .. }
            | Event::ReviewReplied { .. }
            | Event::ConclusionRevised { .. }
            | Event::ReviewClosed => self.apply_review(seq, event),
            Event::LateJoinersSet { policy } => s.late_joiners = *policy,
            Event::AudioSet { on } => s.audio_off = !*on,
            Event::BroadcastSent { text, room, by, at } => {
                if s.broadcasts.len() == session::BROADCASTS_KEPT {
                    s.broadcasts.remove(0);
                }
                s.broadcasts.push(Broadcast {
                    seq,
                    text: text.clone(),
                    room: *room,
                    by: *by,
                    at: *at,
                });
            }
            Event::TimerStarted {
                room,
                deadline,
                seconds,
                warnings,
                close_at_end,
            } => {
                s.timers.insert(
                    *room,
                    Timer {
                        deadline: Some(*deadline),
                        remaining_ms: i64::from(*seconds) * 1000,
                        warnings: warnings.clone(),
                        fired: Vec::new(),
                        close_at_end: *close_at_end,
                    },
                );
            }
            Event::TimerExtended {
                room,
                deadline,
                remaining_ms,
                fired,
            } => {
                if let Some(t) = s.timers.get_mut(room) {
                    t.deadline = *deadline;
                    t.remaining_ms = *remaining_ms;
                    t.fired = fired.clone();
                }
            }
            Event::TimerPaused { room, remaining_ms } => {
                if let Some(t) = s.timers.get_mut(room) {
                    t.deadline = None;
                    t.remaining_ms = *remaining_ms;
                }
            }
            Event::TimerResumed { room, deadline } => {
                if let Some(t) = s.timers.get_mut(room) {
                    t.deadline = Some(*deadline);
                }
            }
            Event::TimerWarning { room, seconds, .. } => {
                if let Some(t) = s.timers.get_mut(room) {
                    // This warning and every earlier (larger) one are past.
                    let past: Vec<u32> = t
                        .warnings
                        .iter()
                        .copied()
                        .filter(|w| w >= seconds && !t.fired.contains(w))
                        .collect();
                    t.fired.extend(past);
                }
            }
            Event::TimerCancelled { room } | Event::TimerEnded { room } => {
                s.timers.remove(room);
            }
            Event::HelpRequested {
                request,
                participant,
                room,
                text,
            } => {
                if s.help.len() >= session::HELP_KEPT {
                    // Forget the oldest resolved request, else the oldest of all.
                    let i = s
                        .help
                        .iter()
                        .position(|h| h.status == HelpStatus::Resolved)
                        .unwrap_or(0);
                    s.help.remove(i);
                }
                s.help.push(HelpRequest {
                    id: *request,
                    seq,
                    participant: *participant,
                    room: *room,
                    text: text.clone(),
                    status: HelpStatus::Open,
                    handled_by: None,
                });
            }
            Event::HelpAcknowledged { request, by } | Event::HelpResolved { request, by } => {
                if let Some(h) = s.help.iter_mut().find(|h| h.id == *request) {
                    h.status = if matches!(event, Event::HelpResolved { .. }) {
                        HelpStatus::Resolved
                    } else {
                        HelpStatus::Acknowledged
                    };
                    h.handled_by = Some(*by);
                }
            }
            Event::WorkshopClosed => s.closed = true,
            Event::WorkshopReopened => s.closed = false,
            Event::ParticipantRemoved { participant } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.removed = true;
                    p.room = Place::Lobby;
                }
                if s.lead == Some(*participant) {
                    s.lead = None;
                }
            }
            Event::LeadSet { participant } => s.lead = Some(*participant),
            _ => {}
        }
    }

    fn apply_moves(&mut self, moves: &[Move]) {
        for m in moves {
            if let Some(p) = self.participants.get_mut(&m.participant) {
                p.room = m.room;
            }
        }
    }
}

impl Workshop {
    /// One card fewer on `room`'s board.
    fn uncount_card(&mut self, room: crate::domain::RoomId) {
        if let Some(n) = self.cards_per_room.get_mut(&room) {
            *n -= 1;
            if *n == 0 {
                self.cards_per_room.remove(&room);
            }
        }
    }
}
