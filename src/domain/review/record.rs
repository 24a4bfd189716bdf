//! What a review says, derived from the state: the countries asked, every conclusion's
//! endorsement record, one delegation's record (`country_record`, for national briefs)
//! and the review as one participant sees it (`view`). Pure functions; nothing is stored.

use super::super::reports::{self, RoomRef, Support};
use super::{eligible, AnswerKind, AnswerRule, Reply, TextRevision};
use crate::domain::{CardId, ConclusionId, Participant, ParticipantId, Role, Workshop};
use serde::Serialize;
use std::collections::BTreeSet;

/// The countries a review asks: those of the workshop's delegates (removed ones included:
/// they were there) and of the roster's delegates, sorted.
pub fn countries(state: &Workshop) -> Vec<String> {
    let mut all: BTreeSet<String> = state
        .participants
        .values()
        .filter(|p| p.role == Role::Delegate)
        .filter_map(|p| p.country.clone())
        .collect();
    all.extend(
        state
            .roster
            .people
            .iter()
            .filter(|p| p.role == Role::Delegate)
            .filter_map(|p| p.country.clone()),
    );
    all.into_iter().collect()
}

/// One country's answer as the record shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CountryAnswer {
    pub country: String,
    pub answer: AnswerKind,
    pub text: Option<String>,
    pub by: ParticipantId,
    /// The name of the delegate who answered.
    pub by_name: String,
    pub reply: Option<Reply>,
}

/// The endorsement record of one conclusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConclusionRecord {
    pub conclusion: ConclusionId,
    pub theme: String,
    pub text: String,
    pub version: u64,
    pub endorsed: Vec<CountryAnswer>,
    pub reserved: Vec<CountryAnswer>,
    pub commented: Vec<CountryAnswer>,
    /// Countries that have not answered the current version.
    pub unanswered: Vec<String>,
}

fn name_of(state: &Workshop, who: ParticipantId) -> String {
    state
        .participants
        .get(&who)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// The endorsement record of every conclusion, in the workshop's order; empty without a
/// review.
pub fn record(state: &Workshop) -> Vec<ConclusionRecord> {
    let Some(review) = &state.review else {
        return Vec::new();
    };
    let countries = countries(state);
    state
        .conclusions
        .iter()
        .map(|c| {
            let answers = review.answers.get(&c.id);
            let mut rec = ConclusionRecord {
                conclusion: c.id,
                theme: c.theme.clone(),
                text: c.text.clone(),
                version: c.version,
                endorsed: Vec::new(),
                reserved: Vec::new(),
                commented: Vec::new(),
                unanswered: Vec::new(),
            };
            for country in &countries {
                match answers.and_then(|a| a.get(country)) {
                    None => rec.unanswered.push(country.clone()),
                    Some(a) => {
                        let entry = CountryAnswer {
                            country: country.clone(),
                            answer: a.kind,
                            text: a.text.clone(),
                            by: a.by,
                            by_name: name_of(state, a.by),
                            reply: a.reply.clone(),
                        };
                        match a.kind {
                            AnswerKind::Endorse => rec.endorsed.push(entry),
                            AnswerKind::Reserve => rec.reserved.push(entry),
                            AnswerKind::Comment => rec.commented.push(entry),
                        }
                    }
                }
            }
            rec
        })
        .collect()
}

/// One conclusion as one country's delegation answered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CountryConclusion {
    pub conclusion: ConclusionId,
    pub theme: String,
    pub text: String,
    /// `None`: the country has not answered (the current version).
    pub answer: Option<CountryAnswer>,
}

/// One delegation's endorsement of the conclusions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CountryRecord {
    pub country: String,
    /// Whether the review is closed (the conclusions final).
    pub closed: bool,
    pub deadline: i64,
    pub conclusions: Vec<CountryConclusion>,
}

/// The endorsement of `country`'s delegation (ISO code): what the national brief shows.
/// `None` when the workshop has no review.
pub fn country_record(state: &Workshop, country: &str) -> Option<CountryRecord> {
    let review = state.review.as_ref()?;
    let conclusions = record(state)
        .into_iter()
        .map(|rec| {
            let answer = rec
                .endorsed
                .iter()
                .chain(&rec.reserved)
                .chain(&rec.commented)
                .find(|a| a.country == country)
                .cloned();
            CountryConclusion {
                conclusion: rec.conclusion,
                theme: rec.theme,
                text: rec.text,
                answer,
            }
        })
        .collect();
    Some(CountryRecord {
        country: country.to_string(),
        closed: review.closed,
        deadline: review.deadline,
        conclusions,
    })
}

/// A supporting card as reviewers see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SupportingCard {
    pub id: CardId,
    pub text: String,
    pub room: RoomRef,
    pub column: String,
    /// The author's country; `null` for staff.
    pub country: Option<String>,
}

/// One conclusion on the review page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewConclusion {
    #[serde(flatten)]
    pub record: ConclusionRecord,
    pub support: Support,
    /// The cited cards on the record (no moderated card, no card of a room in a hidden
    /// brainstorm).
    pub cards: Vec<SupportingCard>,
    /// Its revisions during the review, oldest first (old and new text).
    pub revisions: Vec<TextRevision>,
}

/// The review as one participant sees it (`GET /api/workshops/{id}/review`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub deadline: i64,
    pub rule: AnswerRule,
    pub closed: bool,
    pub countries: Vec<String>,
    /// The viewer's country (`null` for staff).
    pub country: Option<String>,
    /// Whether the viewer may answer for their country now: under the rule, while the review
    /// is open and before its deadline.
    pub eligible: bool,
    pub conclusions: Vec<ReviewConclusion>,
}

/// The review as `viewer` sees it; `None` without a review. Every participant sees the
/// whole record: the review is open among delegations.
pub fn view(state: &Workshop, viewer: &Participant, now: i64) -> Option<ReviewView> {
    let review = state.review.as_ref()?;
    let records = record(state);
    let conclusions = state
        .conclusions
        .iter()
        .zip(records)
        .map(|(c, record)| ReviewConclusion {
            record,
            support: reports::support(state, c),
            cards: c
                .cards
                .iter()
                .filter_map(|id| state.cards.get(id))
                .filter(|card| !card.hidden)
                .filter(|card| state.room(card.room).is_ok_and(|r| !r.hidden))
                .map(|card| SupportingCard {
                    id: card.id,
                    text: card.text.clone(),
                    room: RoomRef {
                        id: card.room,
                        name: state
                            .room(card.room)
                            .map(|r| r.name.clone())
                            .unwrap_or_default(),
                    },
                    column: card.column.clone(),
                    country: state
                        .participants
                        .get(&card.author)
                        .filter(|p| p.role == Role::Delegate)
                        .and_then(|p| p.country.clone()),
                })
                .collect(),
            revisions: review
                .revisions
                .iter()
                .filter(|r| r.conclusion == c.id)
                .cloned()
                .collect(),
        })
        .collect();
    Some(ReviewView {
        deadline: review.deadline,
        rule: review.rule,
        closed: review.closed,
        countries: countries(state),
        country: viewer.country.clone().filter(|_| !viewer.role.is_staff()),
        eligible: !review.closed
            && now <= review.deadline
            && eligible(state, review.rule, viewer).is_ok(),
        conclusions,
    })
}
