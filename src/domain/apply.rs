//! `Workshop::apply`: folds one event into the state. It never fails and never checks a
//! rule — `decide` already did — and an event that no longer fits is ignored.

use super::{Card, Conclusion, ConclusionStatus, Event, Group, Revision, RevisionAction, Workshop};

impl Workshop {
    pub fn apply(&mut self, seq: u64, event: &Event) {
        self.seq = seq;
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
            }
            Event::CardPosted {
                card,
                room,
                column,
                text,
                author,
            } => {
                self.cards.insert(
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
                    },
                );
            }
            Event::CardEdited { card, text, by, .. } => {
                if let Some(c) = self.cards.get_mut(card) {
                    let previous = std::mem::replace(&mut c.text, text.clone());
                    c.edited = true;
                    c.history.push(Revision {
                        seq,
                        by: *by,
                        action: RevisionAction::Edited,
                        previous_text: Some(previous),
                    });
                }
            }
            Event::CardDeleted { card, .. } => {
                self.cards.remove(card);
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
                    c.history.push(Revision {
                        seq,
                        by: *by,
                        action: if hidden {
                            RevisionAction::Hidden
                        } else {
                            RevisionAction::Shown
                        },
                        previous_text: None,
                    });
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
        }
    }
}
