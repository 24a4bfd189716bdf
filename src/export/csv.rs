//! Every visible card as one CSV row, for spreadsheets: RFC 4180 (written by the `csv`
//! crate, CRLF line ends), UTF-8, optionally with a byte-order mark.
//!
//! Rows follow the report: rooms in the workshop's order, columns in the board's order,
//! cards in posting order. Column and theme titles are the report's (translated defaults);
//! `cited_by_conclusions` lists the conclusion numbers the report uses.
//!
//! A cell that a spreadsheet could run as a formula — one starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return — gets a leading `'`, as OWASP recommends, and every text
//! cell is quoted.

use super::report::{conclusion_numbers, list};
use super::{printable, ExportError, Lang};
use crate::domain::reports::effective_theme;
use crate::domain::{Card, Workshop};
use std::collections::HashMap;

/// The header row.
pub const HEADER: [&str; 9] = [
    "workshop",
    "room",
    "column",
    "theme",
    "group",
    "text",
    "author_country",
    "votes",
    "cited_by_conclusions",
];

const BOM: &str = "\u{FEFF}";

/// `cell` made safe to open in a spreadsheet: prefixed with `'` when it starts with a
/// character that makes spreadsheets read a formula.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

pub fn render(state: &Workshop, bom: bool) -> Result<Vec<u8>, ExportError> {
    let settings = state.settings.as_ref().ok_or(ExportError::NoWorkshop)?;
    let labels = Lang::of(state).labels();
    let numbers: HashMap<_, _> = conclusion_numbers(state).into_iter().collect();
    let mut out = Vec::with_capacity(16 * 1024);
    if bom {
        out.extend_from_slice(BOM.as_bytes());
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(&mut out);
    let fail = |e: csv::Error| ExportError::Write(e.to_string());
    writer.write_record(HEADER).map_err(fail)?;
    let mut cards: Vec<&Card> = state.cards.values().filter(|c| !c.hidden).collect();
    cards.sort_by_key(|c| c.seq);
    let title = |key: &str, list: &[(String, String)]| {
        list.iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_string(), |(_, t)| t.clone())
    };
    let columns: Vec<(String, String)> = settings
        .columns
        .iter()
        .map(|c| (c.key.clone(), labels.title(&c.key, &c.title).to_string()))
        .collect();
    let themes: Vec<(String, String)> = settings
        .themes
        .iter()
        .map(|t| (t.key.clone(), labels.title(&t.key, &t.title).to_string()))
        .collect();
    for room in &state.rooms {
        for (column, column_title) in &columns {
            for card in cards
                .iter()
                .filter(|c| c.room == room.id && &c.column == column)
            {
                let mut cited: Vec<usize> = state
                    .conclusions
                    .iter()
                    .filter(|k| k.cards.contains(&card.id))
                    .filter_map(|k| numbers.get(&k.id).copied())
                    .collect();
                cited.sort_unstable();
                let group = card
                    .group
                    .and_then(|g| state.groups.get(&g))
                    .map(|g| g.name.clone())
                    .unwrap_or_default();
                let country = state
                    .participants
                    .get(&card.author)
                    .and_then(|p| p.country.clone())
                    .unwrap_or_default();
                let row = [
                    neutralise(&printable(&settings.title)),
                    neutralise(&printable(&room.name)),
                    neutralise(&printable(column_title)),
                    neutralise(&printable(
                        &effective_theme(state, card)
                            .map(|t| title(t, &themes))
                            .unwrap_or_default(),
                    )),
                    neutralise(&printable(&group)),
                    neutralise(&printable(&card.text)),
                    neutralise(&country),
                    state.votes_on(card.id).to_string(),
                    list(&cited).replace(", ", "; "),
                ];
                writer.write_record(&row).map_err(fail)?;
            }
        }
    }
    // The review's endorsement record, after an empty line, with its own header row and
    // as many columns (`docs/protocol/review.md`).
    writer
        .flush()
        .map_err(|e| ExportError::Write(e.to_string()))?;
    drop(writer);
    let review = super::review::csv_rows(state);
    if !review.is_empty() {
        out.extend_from_slice(b"\r\n");
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::NonNumeric)
            .from_writer(&mut out);
        writer
            .write_record(super::review::CSV_HEADER)
            .map_err(fail)?;
        for row in review {
            let row: Vec<String> = row.iter().map(|c| neutralise(c)).collect();
            writer.write_record(&row).map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|e| ExportError::Write(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_trigger_is_neutralised() {
        let cases = [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("plain text", "plain text"),
            ("a=b", "a=b"),
            ("", ""),
            ("'already", "'already"),
        ];
        for (cell, expected) in cases {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }
}
