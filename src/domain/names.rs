//! What a participant may be called and where they may say they come from.
//!
//! A name is trimmed and must show at least one visible character. Characters that change
//! how the text around a name is shown are refused rather than neutralised, so that the
//! name stored is the name typed: control characters (newlines, tabs, the ESC that starts
//! an ANSI escape sequence) and the Unicode bidirectional embeddings, overrides and
//! isolates. A delegate may not take a staff role's name. A country is an assigned
//! ISO 3166-1 alpha-2 code.

use super::countries;
use super::settings::{clean_text, limits};
use super::{DomainError, Role};

/// The names staff roles are shown with, in every shipped language, compared without case.
const RESERVED_NAMES: [&str; 8] = [
    "organizer",
    "organiser",
    "facilitator",
    "organizador",
    "organizadora",
    "facilitador",
    "facilitadora",
    "lead facilitator",
];

/// Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no room on screen: zero-width and format characters, fillers,
/// variation selectors and the blank braille pattern.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
        )
        || is_bidi_control(c)
}

/// Checks and trims a participant's name.
pub fn clean_name(name: &str, role: Role) -> Result<String, DomainError> {
    let name = clean_text("name", name, limits::NAME_MAX)?;
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(DomainError::Invalid(format!(
            "`name` must not contain control characters such as line breaks, tabs or escapes (U+{:04X})",
            u32::from(c)
        )));
    }
    if let Some(c) = name.chars().find(|c| is_bidi_control(*c)) {
        return Err(DomainError::Invalid(format!(
            "`name` must not contain bidirectional override characters (U+{:04X})",
            u32::from(c)
        )));
    }
    if name.chars().all(is_invisible) {
        return Err(DomainError::Invalid(
            "`name` must contain a visible character".into(),
        ));
    }
    if role == Role::Delegate {
        let folded: String = name
            .chars()
            .filter(|c| !is_invisible(*c) || *c == ' ')
            .collect::<String>()
            .to_lowercase();
        let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
        if RESERVED_NAMES.contains(&folded.as_str()) {
            return Err(DomainError::Invalid(format!(
                "`name` {name:?} is the name of a staff role; choose your own name"
            )));
        }
    }
    Ok(name)
}

/// Normalises a country to an upper-case ISO 3166-1 alpha-2 code that exists.
pub fn clean_country(country: &str) -> Result<String, DomainError> {
    let c = country.trim().to_ascii_uppercase();
    if c.len() == 2 && countries::exists(&c) {
        Ok(c)
    } else {
        Err(DomainError::Invalid(format!(
            "`country` must be an assigned two-letter ISO 3166-1 code such as \"AR\", not {country:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str, role: Role) -> bool {
        matches!(clean_name(name, role), Err(DomainError::Invalid(_)))
    }

    #[test]
    fn names_are_trimmed_and_ordinary_names_pass() {
        assert_eq!(clean_name("  Ana  ", Role::Delegate).unwrap(), "Ana");
        for name in [
            "José Peña",
            "Zoë",
            "محمد",
            "李雷",
            "Anne-Marie O'Neil",
            "Ana 🙂",
        ] {
            assert_eq!(clean_name(name, Role::Delegate).unwrap(), name);
        }
    }

    #[test]
    fn names_without_a_visible_character_are_refused() {
        for name in [
            "\u{200B}\u{200B}",
            "\u{FEFF}",
            " \u{2060} ",
            "\u{3164}",
            "\u{2800}",
        ] {
            assert!(refused(name, Role::Delegate), "{name:?}");
        }
    }

    #[test]
    fn control_bidi_and_escape_characters_are_refused() {
        for name in [
            "Ana\nBruno",
            "Ana\tB",
            "\u{1b}[31mRed",
            "Ana\u{202E}olleh",
            "x\u{2066}y",
            "a\u{7f}b",
            "a\u{85}b",
        ] {
            assert!(refused(name, Role::Delegate), "{name:?}");
            assert!(refused(name, Role::Facilitator), "{name:?}");
        }
    }

    #[test]
    fn delegates_may_not_take_a_staff_role_name_in_any_language() {
        for name in [
            "Organizer",
            "FACILITATOR",
            "facilitadora",
            "Organizador",
            " Lead  Facilitator ",
            "Facilitator\u{200B}",
        ] {
            assert!(refused(name, Role::Delegate), "{name:?}");
        }
        assert!(clean_name("Facilitator", Role::Facilitator).is_ok());
        assert!(clean_name("Organizer Smith", Role::Delegate).is_ok());
    }

    #[test]
    fn countries_must_exist() {
        assert_eq!(clean_country(" ar ").unwrap(), "AR");
        for c in ["XX", "ZZ", "EU", "A", "ARG", "1A"] {
            assert!(clean_country(c).is_err(), "{c}");
        }
    }
}
