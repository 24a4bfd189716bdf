//! The complete record of a workshop as JSON: settings, rooms, participants (without
//! tokens), every card with its history (hidden ones included, flagged), groups, votes,
//! conclusions and the moderation audit. `docs/export.schema.json` describes it;
//! `import.rs` reads it back.
//!
//! The record is a function of the workshop's state alone: it carries no generation time
//! and no `seq` numbers or timestamps of the event log. Order stands in for them: cards in
//! posting order, groups in creation order, the moderation audit in the order it happened,
//! conclusions in the organizer's order, participants and votes sorted by id. So the same
//! state always gives the same bytes, and a workshop imported from a record exports that
//! record again, byte for byte, although its event log was rewritten.

use super::history::HistoryEntry;
use super::ExportError;
use crate::domain::reports::{group_votes, support};
use crate::domain::{
    Card, CardId, ConclusionId, ConclusionStatus, GroupId, Participant, ParticipantId,
    RevisionAction, Room, RoomId, Settings, Workshop, WorkshopId,
};
use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or a required field is added.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub schema_version: u32,
    pub workshop: WorkshopRecord,
    /// In the workshop's order.
    pub rooms: Vec<Room>,
    /// Sorted by id. Tokens are never part of the record.
    pub participants: Vec<Participant>,
    /// In posting order.
    pub cards: Vec<CardRecord>,
    /// In creation order.
    pub groups: Vec<GroupRecord>,
    /// Sorted by card id, then participant id.
    pub votes: Vec<VoteRecord>,
    /// In the organizer's order.
    pub conclusions: Vec<ConclusionRecord>,
    /// Every edit, hide and show of a card by anyone, in the order they happened.
    pub moderation: Vec<ModerationRecord>,
    /// The roster, without personal links (an imported roster's links are issued anew).
    /// Left out while empty.
    #[serde(default, skip_serializing_if = "RosterRecord::is_empty")]
    pub roster: RosterRecord,
    /// The session's history, read from the event log (`history.rs`): broadcasts, help
    /// requests, timers, moves, removals, closing and reopening, in order, each with its
    /// time and actor. Absent from records made without the log (and from files written
    /// before it was added); `import.rs` then rebuilds only where everyone is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
    /// The review of the conclusions by delegations (`docs/protocol/review.md`). Left out
    /// while no review was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewRecord>,
    /// The agenda with what happened: each segment's plan, status, actual start and end,
    /// and minutes added. Left out while empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agenda: Vec<crate::domain::agenda::Segment>,
    /// The breakout room each participant was last in, where a `rooms` segment of the
    /// agenda sends them back; sorted by participant id. Left out while empty (and absent
    /// from files written before it was added: `import.rs` then keeps what it rebuilt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agenda_last_rooms: Vec<LastRoomRecord>,
}

/// A participant's last breakout room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastRoomRecord {
    pub participant: ParticipantId,
    pub room: RoomId,
}

/// The review: its deadline and rule, whether it is closed, every country's current answer
/// (in the order they were given) and every revision (in the order they were made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRecord {
    /// ms since the Unix epoch.
    pub deadline: i64,
    pub rule: crate::domain::review::AnswerRule,
    pub closed: bool,
    pub answers: Vec<ReviewAnswerRecord>,
    pub revisions: Vec<ReviewRevisionRecord>,
}

/// A country's current answer on one conclusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswerRecord {
    pub conclusion: ConclusionId,
    pub country: String,
    pub answer: crate::domain::review::AnswerKind,
    pub text: Option<String>,
    /// The delegate who gave it.
    pub by: ParticipantId,
    /// The conclusion's version it answers.
    pub version: u64,
    pub reply: Option<ReviewReplyRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewReplyRecord {
    pub text: String,
    pub by: ParticipantId,
}

/// A revision of a conclusion's text during the review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRevisionRecord {
    pub conclusion: ConclusionId,
    /// The version the revision made.
    pub version: u64,
    pub previous_text: String,
    pub text: String,
    pub by: ParticipantId,
}

/// The review part of the record of `state`.
fn review_record(state: &Workshop) -> Option<ReviewRecord> {
    let r = state.review.as_ref()?;
    let mut answers: Vec<(u64, ReviewAnswerRecord)> = r
        .answers
        .iter()
        .flat_map(|(conclusion, by_country)| {
            by_country.iter().map(|(country, a)| {
                (
                    a.seq,
                    ReviewAnswerRecord {
                        conclusion: *conclusion,
                        country: country.clone(),
                        answer: a.kind,
                        text: a.text.clone(),
                        by: a.by,
                        version: a.version,
                        reply: a.reply.as_ref().map(|r| ReviewReplyRecord {
                            text: r.text.clone(),
                            by: r.by,
                        }),
                    },
                )
            })
        })
        .collect();
    answers.sort_by_key(|(seq, _)| *seq);
    Some(ReviewRecord {
        deadline: r.deadline,
        rule: r.rule,
        closed: r.closed,
        answers: answers.into_iter().map(|(_, a)| a).collect(),
        revisions: r
            .revisions
            .iter()
            .map(|v| ReviewRevisionRecord {
                conclusion: v.conclusion,
                version: v.version,
                previous_text: v.previous_text.clone(),
                text: v.text.clone(),
                by: v.by,
            })
            .collect(),
    })
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterRecord {
    /// The organizer turned the shared join codes off (only personal links let people in).
    #[serde(default)]
    pub shared_codes_off: bool,
    /// In the organizer's order.
    #[serde(default)]
    pub people: Vec<RosterPersonRecord>,
}

impl RosterRecord {
    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && !self.shared_codes_off
    }
}

/// One roster person; `id` is also their participant id once they joined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterPersonRecord {
    pub id: ParticipantId,
    pub name: String,
    pub country: Option<String>,
    pub email: Option<String>,
    pub role: crate::domain::Role,
    pub room: Option<RoomId>,
    pub head: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The workshop is running (not closed with `close_workshop`).
    Draft,
    /// The organizer or lead facilitator closed the workshop.
    Final,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkshopRecord {
    pub id: WorkshopId,
    pub status: Status,
    pub settings: Settings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardRecord {
    pub id: CardId,
    pub room: RoomId,
    pub column: String,
    /// The text as it is now; earlier versions are in `history`.
    pub text: String,
    pub author: ParticipantId,
    pub edited: bool,
    /// Taken off delegates' boards by a facilitator.
    pub hidden: bool,
    pub group: Option<GroupId>,
    /// The card's own theme tag (a group's tag is on the group).
    pub theme: Option<String>,
    /// Votes the card received (the detail is in `votes`).
    pub votes: u32,
    pub history: Vec<RevisionRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRecord {
    pub action: RevisionAction,
    pub by: ParticipantId,
    /// For `edited`: the text before the edit.
    pub previous_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRecord {
    pub id: GroupId,
    pub room: RoomId,
    pub name: String,
    pub theme: Option<String>,
    /// Its cards, in posting order.
    pub cards: Vec<CardId>,
    /// Votes its cards received.
    pub votes: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRecord {
    pub card: CardId,
    pub participant: ParticipantId,
    /// Dot voting: one participant may put several votes on one card.
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConclusionRecord {
    pub id: ConclusionId,
    pub theme: String,
    pub text: String,
    pub cards: Vec<CardId>,
    pub status: ConclusionStatus,
    pub version: u64,
    pub support: SupportRecord,
}

/// What backs a conclusion, derived from every card it cites (hidden ones included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportRecord {
    pub rooms: Vec<RoomId>,
    pub countries: Vec<String>,
    pub votes: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationRecord {
    pub card: CardId,
    pub room: RoomId,
    pub action: RevisionAction,
    pub by: ParticipantId,
    pub previous_text: Option<String>,
}

/// The record of `state`.
pub fn record(state: &Workshop) -> Result<Record, ExportError> {
    let settings = state.settings.clone().ok_or(ExportError::NoWorkshop)?;
    let mut cards: Vec<&Card> = state.cards.values().collect();
    cards.sort_by_key(|c| c.seq);
    let mut groups: Vec<&crate::domain::Group> = state.groups.values().collect();
    groups.sort_by_key(|g| g.seq);
    let mut moderation: Vec<(u64, ModerationRecord)> = cards
        .iter()
        .flat_map(|c| {
            c.history.iter().map(|r| {
                (
                    r.seq,
                    ModerationRecord {
                        card: c.id,
                        room: c.room,
                        action: r.action,
                        by: r.by,
                        previous_text: r.previous_text.clone(),
                    },
                )
            })
        })
        .collect();
    moderation.sort_by_key(|(seq, _)| *seq);
    Ok(Record {
        schema_version: SCHEMA_VERSION,
        workshop: WorkshopRecord {
            id: state.id,
            status: if super::is_draft(state) {
                Status::Draft
            } else {
                Status::Final
            },
            settings,
        },
        rooms: state.rooms.clone(),
        participants: state.participants.values().cloned().collect(),
        roster: RosterRecord {
            shared_codes_off: state.roster.codes_off,
            people: state
                .roster
                .people
                .iter()
                .map(|p| RosterPersonRecord {
                    id: p.id,
                    name: p.name.clone(),
                    country: p.country.clone(),
                    email: p.email.clone(),
                    role: p.role,
                    room: p.room,
                    head: p.head,
                })
                .collect(),
        },
        agenda: state.agenda.segments.clone(),
        agenda_last_rooms: state
            .agenda
            .last_rooms
            .iter()
            .map(|(participant, room)| LastRoomRecord {
                participant: *participant,
                room: *room,
            })
            .collect(),
        cards: cards
            .iter()
            .map(|c| CardRecord {
                id: c.id,
                room: c.room,
                column: c.column.clone(),
                text: c.text.clone(),
                author: c.author,
                edited: c.edited,
                hidden: c.hidden,
                group: c.group,
                theme: c.theme.clone(),
                votes: state.votes_on(c.id),
                history: c
                    .history
                    .iter()
                    .map(|r| RevisionRecord {
                        action: r.action,
                        by: r.by,
                        previous_text: r.previous_text.clone(),
                    })
                    .collect(),
            })
            .collect(),
        groups: groups
            .iter()
            .map(|g| GroupRecord {
                id: g.id,
                room: g.room,
                name: g.name.clone(),
                theme: g.theme.clone(),
                cards: cards
                    .iter()
                    .filter(|c| c.group == Some(g.id))
                    .map(|c| c.id)
                    .collect(),
                votes: group_votes(state, g.id),
            })
            .collect(),
        votes: state
            .votes
            .iter()
            .flat_map(|(card, by)| {
                by.iter().map(|(participant, count)| VoteRecord {
                    card: *card,
                    participant: *participant,
                    count: *count,
                })
            })
            .collect(),
        conclusions: state
            .conclusions
            .iter()
            .map(|k| {
                let s = support(state, k);
                ConclusionRecord {
                    id: k.id,
                    theme: k.theme.clone(),
                    text: k.text.clone(),
                    cards: k.cards.clone(),
                    status: k.status,
                    version: k.version,
                    support: SupportRecord {
                        rooms: s.rooms.iter().map(|r| r.id).collect(),
                        countries: s.countries,
                        votes: s.votes,
                    },
                }
            })
            .collect(),
        moderation: moderation.into_iter().map(|(_, m)| m).collect(),
        history: None,
        review: review_record(state),
    })
}

/// The record of `state` as pretty-printed JSON, ending with a line break.
pub fn render(state: &Workshop) -> Result<Vec<u8>, ExportError> {
    to_json(&record(state)?)
}

/// The record of `state` with the session's `history` (from the log `state` was folded
/// from, `history::from_log`), as `render` writes it.
pub fn render_with_history(
    state: &Workshop,
    history: Vec<HistoryEntry>,
) -> Result<Vec<u8>, ExportError> {
    let mut r = record(state)?;
    r.history = Some(history);
    to_json(&r)
}

fn to_json(record: &Record) -> Result<Vec<u8>, ExportError> {
    let mut out =
        serde_json::to_vec_pretty(record).map_err(|e| ExportError::Write(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}
