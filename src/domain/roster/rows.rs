//! A roster's rows: reading a table (CSV, `;`-separated or pasted from a spreadsheet) and
//! checking each row against the rules and the workshop's rooms, with every problem
//! reported by row.

use super::super::names::{clean_country, clean_name};
use super::super::{ParticipantId, Role, Workshop};
use super::{RosterPerson, EMAIL_MAX, ROSTER_MAX};
use serde::{Deserialize, Serialize};

/// One row as typed (CSV, pasted table or one person added), before any check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RawRow {
    /// The row's number as the organizer sees it (the header is row 1 of a table).
    #[serde(skip)]
    pub row: usize,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub head: String,
}

/// What is wrong with one row (or, with `row: 0`, with the whole table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The row number (the header is row 1); 0 for the table as a whole.
    pub row: usize,
    /// The column at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<&'static str>,
    /// `missing_name`, `bad_name`, `unknown_country`, `missing_country`, `bad_role`,
    /// `bad_email`, `unknown_room`, `bad_head`, `duplicate`, `too_many_rows`, `no_header`,
    /// `missing_column`.
    pub error: &'static str,
    pub message: String,
}

pub(super) fn row_error(
    row: usize,
    column: Option<&'static str>,
    error: &'static str,
    message: String,
) -> RowError {
    RowError {
        row,
        column,
        error,
        message,
    }
}

/// The columns a table may have, with the header names accepted for each (en, es, pt).
const COLUMNS: [(&str, &[&str]); 6] = [
    ("name", &["name", "full name", "nombre", "nome"]),
    ("country", &["country", "país", "pais"]),
    (
        "email",
        &["email", "e-mail", "mail", "correo", "correo electrónico"],
    ),
    ("role", &["role", "rol", "papel", "função", "funcao"]),
    (
        "room",
        &["room", "preferred room", "sala", "sala preferida", "grupo"],
    ),
    (
        "head",
        &[
            "head",
            "head of delegation",
            "jefe de delegación",
            "jefe de delegacion",
            "chefe de delegação",
            "chefe de delegacao",
        ],
    ),
];

/// Reads a roster table: CSV with `,` or `;`, or tab-separated text pasted from a
/// spreadsheet (the header line decides). The header names the columns, in any order.
pub fn parse_table(text: &str) -> Result<Vec<RawRow>, Vec<RowError>> {
    // Line ends as Windows and old Macs write them count as lines too (for row numbers).
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let text = text.as_str();
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .filter(|d| header.bytes().any(|b| b == *d))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            Some(Ok(r)) if r.iter().all(|f| f.trim().is_empty()) => continue,
            Some(Ok(r)) => break r,
            Some(Err(e)) => {
                return Err(vec![row_error(1, None, "no_header", format!("the header cannot be read: {e}"))])
            }
            None => {
                return Err(vec![row_error(
                    0,
                    None,
                    "no_header",
                    "the roster is empty: it needs a header line (name, country, role…) and one line per person".into(),
                )])
            }
        }
    };
    let mut index = [None; 6];
    for (i, title) in header.iter().enumerate() {
        let title = title.trim().to_lowercase();
        if let Some(c) = COLUMNS
            .iter()
            .position(|(_, names)| names.contains(&title.as_str()))
        {
            index[c].get_or_insert(i);
        }
    }
    let missing: Vec<RowError> = [0, 1, 3]
        .into_iter()
        .filter(|c| index[*c].is_none())
        .map(|c| {
            row_error(
                1,
                Some(COLUMNS[c].0),
                "missing_column",
                format!("the header has no `{}` column", COLUMNS[c].0),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(0, |p| line_at(text, p.byte()));
                errors.push(row_error(
                    row,
                    None,
                    "unreadable",
                    format!("this line cannot be read: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() == ROSTER_MAX {
            return Err(vec![too_many()]);
        }
        let row = record.position().map_or(0, |p| line_at(text, p.byte()));
        let field = |c: usize| {
            index[c]
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        rows.push(RawRow {
            row,
            name: field(0),
            country: field(1),
            email: field(2),
            role: field(3),
            room: field(4),
            head: field(5),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The line number (from 1) of the first thing that is not a line end at `byte` or after:
/// where a record starts, skipped blank lines aside.
fn line_at(text: &str, byte: u64) -> usize {
    let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    let skipped = text.as_bytes()[start..]
        .iter()
        .take_while(|b| **b == b'\n')
        .count();
    text.as_bytes()[..start + skipped]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

pub(super) fn too_many() -> RowError {
    row_error(
        0,
        None,
        "too_many_rows",
        format!("a roster holds at most {ROSTER_MAX} people"),
    )
}

fn parse_role(text: &str) -> Option<Role> {
    match text.trim().to_lowercase().as_str() {
        "" | "delegate" | "delegado" | "delegada" => Some(Role::Delegate),
        "facilitator" | "facilitador" | "facilitadora" => Some(Role::Facilitator),
        _ => None,
    }
}

fn parse_yes(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "no" | "não" | "nao" | "false" | "0" | "n" => Some(false),
        "yes" | "y" | "x" | "true" | "1" | "sí" | "si" | "s" | "sim" => Some(true),
        _ => None,
    }
}

fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Checks one row against the rules and the workshop's rooms; the id is the person's.
pub fn check_row(
    state: &Workshop,
    raw: &RawRow,
    id: ParticipantId,
) -> Result<RosterPerson, Vec<RowError>> {
    let r = raw.row;
    let mut errors = Vec::new();
    let role = match parse_role(&raw.role) {
        Some(role) => role,
        None => {
            errors.push(row_error(
                r,
                Some("role"),
                "bad_role",
                format!(
                    "role {:?} is neither \"delegate\" nor \"facilitator\"",
                    raw.role.trim()
                ),
            ));
            Role::Delegate
        }
    };
    let name = if raw.name.trim().is_empty() {
        errors.push(row_error(
            r,
            Some("name"),
            "missing_name",
            "the name is missing".into(),
        ));
        None
    } else {
        match clean_name(&raw.name, role) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(row_error(r, Some("name"), "bad_name", e.to_string()));
                None
            }
        }
    };
    let country = match raw.country.trim() {
        "" if role == Role::Delegate => {
            errors.push(row_error(
                r,
                Some("country"),
                "missing_country",
                "a delegate needs a country (a two-letter ISO code such as \"AR\")".into(),
            ));
            None
        }
        "" => None,
        c => {
            match clean_country(c) {
                Ok(c) => Some(c),
                Err(_) => {
                    errors.push(row_error(
                    r,
                    Some("country"),
                    "unknown_country",
                    format!("unknown country {c:?}: use a two-letter ISO 3166-1 code such as \"AR\""),
                ));
                    None
                }
            }
        }
    };
    let email = match raw.email.trim() {
        "" => None,
        e if e.chars().count() <= EMAIL_MAX && plausible_email(e) => Some(e.to_string()),
        e => {
            errors.push(row_error(
                r,
                Some("email"),
                "bad_email",
                format!("{e:?} is not an e-mail address"),
            ));
            None
        }
    };
    let room = match raw.room.trim() {
        "" => None,
        wanted => {
            let folded = wanted.to_lowercase();
            let found = state
                .rooms
                .iter()
                .filter(|room| !room.removed)
                .find(|room| room.name.to_lowercase() == folded || room.id.to_string() == folded);
            match found {
                Some(room) => Some(room.id),
                None => {
                    errors.push(row_error(
                        r,
                        Some("room"),
                        "unknown_room",
                        format!("this workshop has no room named {wanted:?}"),
                    ));
                    None
                }
            }
        }
    };
    let head = parse_yes(&raw.head).unwrap_or_else(|| {
        errors.push(row_error(
            r,
            Some("head"),
            "bad_head",
            format!(
                "head of delegation {:?} is neither yes nor no",
                raw.head.trim()
            ),
        ));
        false
    });
    match name {
        Some(name) if errors.is_empty() => Ok(RosterPerson {
            id,
            name,
            country,
            email,
            role,
            room,
            head,
            link_hash: None,
            link_revoked: false,
        }),
        _ => Err(errors),
    }
}
