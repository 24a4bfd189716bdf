//! The workshop's conclusions: written by facilitators under a theme, each citing cards of
//! any room. Every edit carries the version it was based on; a stale one is refused with
//! `Conflict`, so two facilitators never silently overwrite each other.
//!
//! What supports a conclusion (rooms, countries, votes) is derived from its cited cards in
//! `reports.rs`, never stored.

use super::settings::{clean_text, limits};
use super::{
    require_staff, CardId, Conclusion, ConclusionId, ConclusionStatus, DomainError, Event,
    Participant, Workshop,
};

/// The fields an `edit_conclusion` changes; `None` keeps the current value.
pub(super) struct Changes<'a> {
    pub text: Option<&'a str>,
    pub cards: Option<&'a [CardId]>,
    pub theme: Option<&'a str>,
    pub status: Option<ConclusionStatus>,
}

fn check_theme(state: &Workshop, theme: &str) -> Result<String, DomainError> {
    if state.settings()?.themes.iter().any(|t| t.key == theme) {
        Ok(theme.to_string())
    } else {
        Err(DomainError::Invalid(format!(
            "no theme {theme:?} in this workshop"
        )))
    }
}

/// Checks that every cited card exists; drops repeats, keeps the order.
fn check_cards(state: &Workshop, cards: &[CardId]) -> Result<Vec<CardId>, DomainError> {
    if cards.len() > limits::CARDS_PER_COMMAND_MAX {
        return Err(DomainError::TooLarge(format!(
            "a conclusion cites at most {} cards",
            limits::CARDS_PER_COMMAND_MAX
        )));
    }
    let mut unique = Vec::with_capacity(cards.len());
    for card in cards {
        state.card(*card)?;
        if !unique.contains(card) {
            unique.push(*card);
        }
    }
    Ok(unique)
}

pub(super) fn current(
    state: &Workshop,
    conclusion: ConclusionId,
    version: u64,
) -> Result<&Conclusion, DomainError> {
    let c = state.conclusion(conclusion)?;
    if c.version != version {
        return Err(DomainError::Conflict {
            message: format!(
                "this conclusion changed meanwhile: your edit is based on version {version}, it is at version {}",
                c.version
            ),
            current: c.version,
        });
    }
    Ok(c)
}

pub(super) fn add(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    theme: &str,
    text: &str,
    cards: &[CardId],
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "write conclusions")?;
    super::review::require_editable(state)?;
    let theme = check_theme(state, theme)?;
    let text = clean_text("text", text, limits::CONCLUSION_TEXT_MAX)?;
    let cards = check_cards(state, cards)?;
    if state.conclusions.len() >= limits::CONCLUSIONS_MAX {
        return Err(DomainError::TooLarge(format!(
            "a workshop holds at most {} conclusions",
            limits::CONCLUSIONS_MAX
        )));
    }
    if state.conclusions.iter().any(|c| c.id == conclusion) {
        return Err(DomainError::Invalid(
            "that conclusion id is already used".into(),
        ));
    }
    Ok(vec![Event::ConclusionAdded {
        conclusion,
        theme,
        text,
        cards,
    }])
}

pub(super) fn edit(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    version: u64,
    changes: Changes<'_>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "edit conclusions")?;
    super::review::require_editable(state)?;
    let c = current(state, conclusion, version)?;
    let theme = match changes.theme {
        Some(t) => check_theme(state, t)?,
        None => c.theme.clone(),
    };
    let text = match changes.text {
        Some(t) => clean_text("text", t, limits::CONCLUSION_TEXT_MAX)?,
        None => c.text.clone(),
    };
    let cards = match changes.cards {
        Some(cards) => check_cards(state, cards)?,
        None => c.cards.clone(),
    };
    let status = changes.status.unwrap_or(c.status);
    if theme == c.theme && text == c.text && cards == c.cards && status == c.status {
        return Ok(vec![]);
    }
    Ok(vec![Event::ConclusionEdited {
        conclusion,
        version: c.version + 1,
        theme,
        text,
        cards,
        status,
    }])
}

pub(super) fn reorder(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    position: usize,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "reorder conclusions")?;
    super::review::require_editable(state)?;
    let c = state.conclusion(conclusion)?;
    let siblings: Vec<ConclusionId> = state
        .conclusions
        .iter()
        .filter(|k| k.theme == c.theme)
        .map(|k| k.id)
        .collect();
    if position >= siblings.len() {
        return Err(DomainError::Invalid(format!(
            "`position` must be below {}, the number of conclusions under this theme",
            siblings.len()
        )));
    }
    if siblings[position] == conclusion {
        return Ok(vec![]);
    }
    Ok(vec![Event::ConclusionMoved {
        conclusion,
        position,
    }])
}

pub(super) fn remove(
    state: &Workshop,
    me: &Participant,
    conclusion: ConclusionId,
    version: u64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "remove conclusions")?;
    super::review::require_editable(state)?;
    current(state, conclusion, version)?;
    Ok(vec![Event::ConclusionRemoved { conclusion }])
}
