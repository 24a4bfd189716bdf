//! What an organizer chooses when creating a workshop: title, languages, board columns,
//! themes, vote budget, and the limits every text must respect.
//!
//! Pure validation only; defaults mirror the reference event (three columns, six themes).

use super::DomainError;
use serde::{Deserialize, Serialize};

/// Languages the product ships translations for.
pub const SUPPORTED_LANGUAGES: [&str; 3] = ["en", "es", "pt"];

/// Limits on everything a client can grow. Documented in `docs/PROTOCOL.md`.
pub mod limits {
    pub const TITLE_MAX: usize = 200;
    pub const ROOM_NAME_MAX: usize = 100;
    pub const ROOMS_MAX: usize = 100;
    pub const COLUMNS_MAX: usize = 10;
    pub const THEMES_MAX: usize = 30;
    pub const KEY_MAX: usize = 32;
    pub const LABEL_MAX: usize = 100;
    pub const HINT_MAX: usize = 500;
    pub const VOTES_MAX: u32 = 100;
    pub const NAME_MAX: usize = 80;
    pub const CARD_TEXT_MAX: usize = 1000;
    pub const CARDS_PER_ROOM_MAX: usize = 2000;
    /// Participants not removed.
    pub const PARTICIPANTS_MAX: usize = 5000;
    /// Everyone who ever joined, removed participants included.
    pub const PARTICIPANTS_EVER_MAX: usize = 20_000;
    pub const GROUPS_PER_ROOM_MAX: usize = 200;
    pub const CARDS_PER_COMMAND_MAX: usize = 200;
    pub const CONCLUSIONS_MAX: usize = 500;
    pub const CONCLUSION_TEXT_MAX: usize = 4000;
}

/// A board column, e.g. `strengths`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub key: String,
    pub title: String,
}

/// A theme conclusions are written under, e.g. `governance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub key: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The organizer's choices for one workshop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    pub title: String,
    /// The workshop's main language (reports are written in it).
    pub language: String,
    /// Languages participants may choose.
    pub languages: Vec<String>,
    pub columns: Vec<Column>,
    pub themes: Vec<Theme>,
    pub votes_per_participant: u32,
    /// At most this many of one participant's votes on one card (`None`: no limit but the budget).
    #[serde(default)]
    pub max_votes_per_card: Option<u32>,
    /// Whether delegates see vote counts while the vote phase runs, or only after it.
    #[serde(default)]
    pub votes_visibility: VotesVisibility,
    /// Whether delegates may group cards of their room (facilitators always may).
    #[serde(default)]
    pub delegates_can_group: bool,
}

/// When delegates see how many votes the cards of their room got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VotesVisibility {
    /// Every vote reaches the room as it is cast.
    #[default]
    Live,
    /// During the vote phase a delegate sees only their own votes; totals once it ends.
    AfterVote,
}

pub fn default_columns() -> Vec<Column> {
    [
        ("strengths", "Strengths"),
        ("problems", "Main problems"),
        ("solutions", "Possible solutions"),
    ]
    .into_iter()
    .map(|(key, title)| Column {
        key: key.into(),
        title: title.into(),
    })
    .collect()
}

pub fn default_themes() -> Vec<Theme> {
    [
        ("governance", "Governance of digital government"),
        ("data", "Data-driven public sector"),
        ("capabilities", "Public sector capabilities"),
        ("innovation", "Digital innovation"),
        ("services", "Design and delivery of public services"),
        ("divide", "Digital divide"),
    ]
    .into_iter()
    .map(|(key, title)| Theme {
        key: key.into(),
        title: title.into(),
        hint: None,
    })
    .collect()
}

pub fn default_room_names() -> Vec<String> {
    (1..=4).map(|n| format!("Room {n}")).collect()
}

/// Trims `text` and checks it is non-empty, free of NUL characters and at most `max`
/// characters. Everything else is kept as typed: any Unicode, direction marks, emoji,
/// combining characters, line breaks, even other control characters (exports drop those,
/// `export::printable`; clients render every text as text).
pub fn clean_text(field: &str, text: &str, max: usize) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::Invalid(format!("`{field}` must not be empty")));
    }
    if text.contains('\0') {
        return Err(DomainError::Invalid(format!(
            "`{field}` must not contain NUL characters"
        )));
    }
    let len = text.chars().count();
    if len > max {
        return Err(DomainError::TooLarge(format!(
            "`{field}` is {len} characters long; the limit is {max}"
        )));
    }
    Ok(text.to_string())
}

fn check_key(field: &str, key: &str) -> Result<(), DomainError> {
    let ok = !key.is_empty()
        && key.len() <= limits::KEY_MAX
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!(
            "`{field}` key {key:?} must be 1-{} characters of a-z, 0-9, '_' or '-'",
            limits::KEY_MAX
        )))
    }
}

fn check_unique<'a>(field: &str, keys: impl Iterator<Item = &'a str>) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(DomainError::Invalid(format!("`{field}` has {k:?} twice")));
        }
    }
    Ok(())
}

pub fn check_language(field: &str, lang: &str) -> Result<(), DomainError> {
    if SUPPORTED_LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!(
            "`{field}` must be one of {SUPPORTED_LANGUAGES:?}, not {lang:?}"
        )))
    }
}

impl Settings {
    /// Checks and normalises (trims) every field; returns the settings to store.
    pub fn validated(mut self) -> Result<Self, DomainError> {
        self.title = clean_text("title", &self.title, limits::TITLE_MAX)?;
        check_language("language", &self.language)?;
        if self.languages.is_empty() {
            self.languages = vec![self.language.clone()];
        }
        for l in &self.languages {
            check_language("languages", l)?;
        }
        check_unique("languages", self.languages.iter().map(String::as_str))?;
        if !self.languages.contains(&self.language) {
            return Err(DomainError::Invalid(
                "`languages` must include `language`".into(),
            ));
        }
        if self.columns.is_empty() || self.columns.len() > limits::COLUMNS_MAX {
            return Err(DomainError::Invalid(format!(
                "`columns` must have 1-{} entries",
                limits::COLUMNS_MAX
            )));
        }
        for c in &mut self.columns {
            check_key("columns", &c.key)?;
            c.title = clean_text("columns.title", &c.title, limits::LABEL_MAX)?;
        }
        check_unique("columns", self.columns.iter().map(|c| c.key.as_str()))?;
        self.themes = validated_themes(std::mem::take(&mut self.themes))?;
        if self.max_votes_per_card == Some(0)
            || self
                .max_votes_per_card
                .is_some_and(|m| m > limits::VOTES_MAX)
        {
            return Err(DomainError::Invalid(format!(
                "`max_votes_per_card` must be 1-{}",
                limits::VOTES_MAX
            )));
        }
        if self.votes_per_participant > limits::VOTES_MAX {
            return Err(DomainError::Invalid(format!(
                "`votes_per_participant` must be at most {}",
                limits::VOTES_MAX
            )));
        }
        Ok(self)
    }
}

/// Checks the room names of a new workshop.
pub fn validated_room_names(names: Vec<String>) -> Result<Vec<String>, DomainError> {
    if names.is_empty() || names.len() > limits::ROOMS_MAX {
        return Err(DomainError::Invalid(format!(
            "`rooms` must have 1-{} names",
            limits::ROOMS_MAX
        )));
    }
    names
        .iter()
        .map(|n| clean_text("rooms", n, limits::ROOM_NAME_MAX))
        .collect()
}

/// Checks and trims a list of themes (at workshop creation and when the organizer edits it).
pub fn validated_themes(mut themes: Vec<Theme>) -> Result<Vec<Theme>, DomainError> {
    if themes.len() > limits::THEMES_MAX {
        return Err(DomainError::Invalid(format!(
            "`themes` must have at most {} entries",
            limits::THEMES_MAX
        )));
    }
    for t in &mut themes {
        check_key("themes", &t.key)?;
        t.title = clean_text("themes.title", &t.title, limits::LABEL_MAX)?;
        if let Some(h) = &t.hint {
            t.hint = Some(clean_text("themes.hint", h, limits::HINT_MAX)?);
        }
    }
    check_unique("themes", themes.iter().map(|t| t.key.as_str()))?;
    Ok(themes)
}
