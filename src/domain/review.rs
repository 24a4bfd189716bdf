//! The review by delegations: after the breakout sessions, each country's delegation
//! endorses, endorses with a reservation, or comments on each draft conclusion; the
//! facilitators reply to comments and revise the texts; closing the review freezes the
//! final conclusions with their endorsement record.
//!
//! Rules (`docs/protocol/review.md`):
//! - staff open the review with a deadline (ms since the Unix epoch) and a rule for who
//!   answers per country: every delegate of the country (`all`), or only the roster's head
//!   of delegation (`head`; a country whose roster names no head falls back to `all`).
//!   Opening again while open changes the deadline or the rule and keeps the answers.
//! - a country's answer to a conclusion is the latest answer of one of its eligible
//!   delegates (who gave it is kept); it is bound to the conclusion's version, so an answer
//!   to a text revised meanwhile is refused with `Conflict`.
//! - answers are refused once the deadline has passed or the review is closed (`Closed`).
//! - a revision restarts that conclusion's answers and keeps the old text for reviewers.
//! - while a review is open or closed, conclusions change only by `revise_conclusion`;
//!   after `close_review` they are final for good (there is no reopen).
//!
//! The countries of a review are those of the workshop's delegates and roster delegates.

use super::settings::clean_text;
use super::{
    require_staff, ConclusionId, ConclusionStatus, DomainError, Event, Participant, ParticipantId,
    Role, Workshop,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest reservation, comment or reply, in characters.
pub const REVIEW_TEXT_MAX: usize = 2000;
/// Furthest deadline from the time the review is opened: 180 days, in ms.
pub const DEADLINE_MAX_MS: i64 = 180 * 24 * 3600 * 1000;

/// Who answers for a country.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerRule {
    /// Every delegate of the country.
    #[default]
    All,
    /// Only the roster's head of delegation (every delegate when the roster names none).
    Head,
}

/// A country's answer on one conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Endorse,
    /// Endorse with a reservation (text required).
    Reserve,
    /// Neither endorsement nor reservation: a comment (text required).
    Comment,
}

/// A facilitator's reply to a country's comment or reservation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub text: String,
    pub by: ParticipantId,
    pub seq: u64,
}

/// The answer a country gave on one conclusion (the latest of its eligible delegates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub kind: AnswerKind,
    /// The reservation or the comment.
    pub text: Option<String>,
    /// The delegate who gave it.
    pub by: ParticipantId,
    /// The conclusion's version it answers.
    pub version: u64,
    pub seq: u64,
    pub reply: Option<Reply>,
}

/// A revision of a conclusion's text during the review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextRevision {
    pub conclusion: ConclusionId,
    /// The version the revision made.
    pub version: u64,
    pub previous_text: String,
    pub text: String,
    pub by: ParticipantId,
    pub seq: u64,
}

/// The review period of a workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// After it (ms since the Unix epoch) answers are refused.
    pub deadline: i64,
    pub rule: AnswerRule,
    /// Closed: the conclusions are final, with this record.
    pub closed: bool,
    /// Per conclusion, per country (ISO code): the country's answer.
    pub answers: BTreeMap<ConclusionId, BTreeMap<String, Answer>>,
    /// Every revision made during the review, oldest first.
    pub revisions: Vec<TextRevision>,
}

/// Refuses any change to conclusions other than a revision once a review exists.
pub(super) fn require_editable(state: &Workshop) -> Result<(), DomainError> {
    match &state.review {
        None => Ok(()),
        Some(r) if r.closed => Err(DomainError::Closed(
            "the review is closed: the conclusions are final".into(),
        )),
        Some(_) => Err(DomainError::Closed(
            "the conclusions are under review: change a text with `revise_conclusion`".into(),
        )),
    }
}

fn open_review_of(state: &Workshop) -> Result<&Review, DomainError> {
    match &state.review {
        None => Err(DomainError::NotFound("no review is open".into())),
        Some(r) if r.closed => Err(DomainError::Closed(
            "the review is closed: the conclusions are final".into(),
        )),
        Some(r) => Ok(r),
    }
}

pub(super) fn open(
    state: &Workshop,
    me: &Participant,
    deadline: i64,
    rule: AnswerRule,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "open the review")?;
    if state.review.as_ref().is_some_and(|r| r.closed) {
        return Err(DomainError::Closed(
            "the review is closed: the conclusions are final".into(),
        ));
    }
    if state.conclusions.is_empty() {
        return Err(DomainError::Invalid(
            "there are no conclusions to review".into(),
        ));
    }
    if deadline <= now {
        return Err(DomainError::Invalid(
            "`deadline` must be in the future".into(),
        ));
    }
    if deadline - now > DEADLINE_MAX_MS {
        return Err(DomainError::Invalid(
            "`deadline` must be within 180 days".into(),
        ));
    }
    if state
        .review
        .as_ref()
        .is_some_and(|r| r.deadline == deadline && r.rule == rule)
    {
        return Ok(vec![]);
    }
    Ok(vec![Event::ReviewOpened { deadline, rule }])
}

/// The delegates who may answer for `country` under the review's rule.
pub fn eligible(state: &Workshop, rule: AnswerRule, who: &Participant) -> Result<(), DomainError> {
    let country = match (&who.role, &who.country) {
        (Role::Delegate, Some(c)) => c,
        _ => {
            return Err(DomainError::Forbidden(
                "only delegates answer for their country".into(),
            ))
        }
    };
    if rule == AnswerRule::Head {
        let heads = heads_of(state, country);
        if !heads.is_empty() && !heads.contains(&who.id) {
            return Err(DomainError::Forbidden(format!(
                "the head of delegation answers for {country}"
            )));
        }
    }
    Ok(())
}

/// The roster's heads of delegation of `country`.
pub fn heads_of(state: &Workshop, country: &str) -> Vec<ParticipantId> {
    state
        .roster
        .people
        .iter()
        .filter(|p| p.head && p.role == Role::Delegate && p.country.as_deref() == Some(country))
        .map(|p| p.id)
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn answer(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    version: u64,
    kind: AnswerKind,
    text: Option<&str>,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    let review = open_review_of(state)?;
    eligible(state, review.rule, me)?;
    if now > review.deadline {
        return Err(DomainError::Closed(
            "the review's deadline has passed".into(),
        ));
    }
    let c = state.conclusion(conclusion)?;
    if c.version != version {
        return Err(DomainError::Conflict {
            message: format!(
                "this conclusion was revised: you answered version {version}, it is at version {}",
                c.version
            ),
            current: c.version,
        });
    }
    let text = match (kind, text) {
        (AnswerKind::Endorse, None) => None,
        (AnswerKind::Endorse, Some(_)) => {
            return Err(DomainError::Invalid(
                "an endorsement carries no `text`: use `reserve` or `comment`".into(),
            ))
        }
        (_, Some(t)) => Some(clean_text("text", t, REVIEW_TEXT_MAX)?),
        (_, None) => {
            return Err(DomainError::Invalid(
                "a reservation or a comment needs `text`".into(),
            ))
        }
    };
    let country = me.country.clone().unwrap_or_default();
    Ok(vec![Event::ReviewAnswered {
        conclusion,
        version,
        country,
        by: me.id,
        answer: kind,
        text,
    }])
}

pub(super) fn reply(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    country: &str,
    text: &str,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "reply to comments")?;
    let review = open_review_of(state)?;
    state.conclusion(conclusion)?;
    let answered = review
        .answers
        .get(&conclusion)
        .and_then(|a| a.get(country))
        .filter(|a| a.kind != AnswerKind::Endorse);
    if answered.is_none() {
        return Err(DomainError::NotFound(format!(
            "no comment or reservation from {country:?} on this conclusion"
        )));
    }
    let text = clean_text("text", text, REVIEW_TEXT_MAX)?;
    Ok(vec![Event::ReviewReplied {
        conclusion,
        country: country.to_string(),
        text,
        by: me.id,
    }])
}

pub(super) fn revise(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    version: u64,
    text: &str,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "revise conclusions")?;
    open_review_of(state)?;
    let c = super::conclusions::current(state, conclusion, version)?;
    let text = clean_text("text", text, super::settings::limits::CONCLUSION_TEXT_MAX)?;
    if text == c.text {
        return Ok(vec![]);
    }
    Ok(vec![Event::ConclusionRevised {
        conclusion,
        version: c.version + 1,
        previous_text: c.text.clone(),
        text,
        by: me.id,
    }])
}

pub(super) fn close(state: &Workshop, me: &Participant) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "close the review")?;
    match &state.review {
        None => Err(DomainError::NotFound("no review is open".into())),
        Some(r) if r.closed => Ok(vec![]),
        Some(_) => Ok(vec![Event::ReviewClosed]),
    }
}

impl Workshop {
    /// Folds a review event (called by `apply`).
    pub(super) fn apply_review(&mut self, seq: u64, event: &Event) {
        match event {
            Event::ReviewOpened { deadline, rule } => match &mut self.review {
                Some(r) => {
                    r.deadline = *deadline;
                    r.rule = *rule;
                }
                None => {
                    self.review = Some(Review {
                        deadline: *deadline,
                        rule: *rule,
                        closed: false,
                        answers: BTreeMap::new(),
                        revisions: Vec::new(),
                    })
                }
            },
            Event::ReviewAnswered {
                conclusion,
                version,
                country,
                by,
                answer,
                text,
            } => {
                if let Some(r) = &mut self.review {
                    r.answers.entry(*conclusion).or_default().insert(
                        country.clone(),
                        Answer {
                            kind: *answer,
                            text: text.clone(),
                            by: *by,
                            version: *version,
                            seq,
                            reply: None,
                        },
                    );
                }
            }
            Event::ReviewReplied {
                conclusion,
                country,
                text,
                by,
            } => {
                let answer = self
                    .review
                    .as_mut()
                    .and_then(|r| r.answers.get_mut(conclusion))
                    .and_then(|a| a.get_mut(country));
                if let Some(a) = answer {
                    a.reply = Some(Reply {
                        text: text.clone(),
                        by: *by,
                        seq,
                    });
                }
            }
            Event::ConclusionRevised {
                conclusion,
                version,
                previous_text,
                text,
                by,
            } => {
                if let Some(c) = self.conclusions.iter_mut().find(|c| c.id == *conclusion) {
                    c.text = text.clone();
                    c.version = *version;
                }
                if let Some(r) = &mut self.review {
                    r.answers.remove(conclusion);
                    r.revisions.push(TextRevision {
                        conclusion: *conclusion,
                        version: *version,
                        previous_text: previous_text.clone(),
                        text: text.clone(),
                        by: *by,
                        seq,
                    });
                }
            }
            Event::ReviewClosed => {
                if let Some(r) = &mut self.review {
                    r.closed = true;
                    for c in &mut self.conclusions {
                        c.status = ConclusionStatus::Final;
                    }
                }
            }
            _ => {}
        }
    }
}

mod record;

pub use record::{
    countries, country_record, record, view, ConclusionRecord, CountryAnswer, CountryConclusion,
    CountryRecord, ReviewConclusion, ReviewView, SupportingCard,
};

#[cfg(test)]
mod tests;
