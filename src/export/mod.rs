//! Exports: the workshop's report (Markdown, printable HTML, DOCX), its cards as CSV, and its
//! complete record as JSON, which `import.rs` reads back.
//!
//! Every renderer is a pure function of a workshop snapshot (`&Workshop`) and the options
//! (the generation date, the CSV byte-order mark): nothing here reads a clock, a file, a
//! socket or a random source. The caller (the REST handler, `cabildo export`) takes the
//! date and writes the bytes. The report is written in the workshop's language; the table
//! of translated headings is at the end of this file.
//!
//! Architecture invariant: hidden (moderated) cards appear only in the JSON record; the
//! report and the CSV leave them out. Every text a participant typed is rendered inert:
//! escaped for HTML and XML, backslash-escaped in Markdown, neutralised against spreadsheet
//! formulas in CSV.

pub mod brief;
pub mod brief_render;
#[cfg(test)]
mod brief_tests;
mod countries;
pub mod csv;
mod date;
pub mod docx;
pub mod history;
pub mod html;
pub mod import;
pub mod json;
pub mod markdown;
#[cfg(test)]
mod render_tests;
mod report;
mod review;
#[cfg(test)]
mod sample;

pub use date::Date;

use crate::domain::{Phase, Workshop};
use std::fmt;

/// The formats an export can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Docx,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Markdown,
        Format::Html,
        Format::Docx,
        Format::Csv,
        Format::Json,
    ];

    /// The name used in `?format=` and `--format`, which is also the file extension.
    pub fn key(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.key() == s)
    }

    /// `md, html, docx, csv, json`, for messages.
    pub fn keys() -> String {
        Format::ALL.map(Format::key).join(", ")
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The choices of one export besides its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The date the export is made: printed in the report and used in the file name. The
    /// JSON record does not carry it, so exporting the same state twice gives the same
    /// JSON document.
    pub date: Date,
    /// Start the CSV with a UTF-8 byte-order mark, which spreadsheet programs need to read
    /// accents right. Ignored by the other formats.
    pub bom: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("this workshop does not exist")]
    NoWorkshop,
    #[error("the document could not be written: {0}")]
    Write(String),
}

/// Renders `state` in `format`.
pub fn render(state: &Workshop, format: Format, options: &Options) -> Result<Vec<u8>, ExportError> {
    if state.settings.is_none() {
        return Err(ExportError::NoWorkshop);
    }
    match format {
        Format::Markdown => Ok(markdown::render(state, options.date)?.into_bytes()),
        Format::Html => Ok(html::render(state, options.date)?.into_bytes()),
        Format::Docx => docx::render(state, options.date),
        Format::Csv => csv::render(state, options.bom),
        Format::Json => json::render(state),
    }
}

/// The file name an export is offered under: a slug of the title, the date and the
/// format's extension, e.g. `going-digital-review-2026-11-27.md`.
pub fn filename(state: &Workshop, format: Format, date: Date) -> String {
    let title = state.settings.as_ref().map_or("", |s| s.title.as_str());
    format!("{}-{date}.{}", slug(title), format.key())
}

/// Most characters of the title kept in a file name.
const SLUG_MAX: usize = 60;

/// Lower-case ASCII letters and digits separated by single dashes; accents folded
/// (`Revisión` → `revision`); cut at a dash to at most `SLUG_MAX` characters.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars().map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    if out.len() > SLUG_MAX {
        let cut = out[..=SLUG_MAX].rfind('-').unwrap_or(SLUG_MAX);
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("workshop");
    }
    out
}

/// The unaccented letter of a Latin letter with a diacritic; anything else unchanged.
pub(crate) fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' => 'c',
        'Ç' => 'C',
        other => other,
    }
}

/// A sort key that ignores case and accents, so `Perú` sorts between `Panamá` and `Uruguay`.
pub(crate) fn sort_key(s: &str) -> String {
    s.chars()
        .map(|c| fold_accent(c).to_ascii_lowercase())
        .collect()
}

/// Text as the report shows it: characters that XML cannot carry and that no reader
/// expects (control characters other than tab and line breaks) are dropped.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            !(c.is_control() && c != '\n' && c != '\t') && c != '\u{FFFE}' && c != '\u{FFFF}'
        })
        .collect()
}

/// Whether the workshop is still running: the report calls itself a draft until the
/// organizer or lead facilitator closes the workshop (`close_workshop`).
pub fn is_draft(state: &Workshop) -> bool {
    !state.session.closed
}

/// A language the report is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Es,
    Pt,
}

impl Lang {
    pub(crate) fn of(state: &Workshop) -> Lang {
        match state.settings.as_ref().map(|s| s.language.as_str()) {
            Some("es") => Lang::Es,
            Some("pt") => Lang::Pt,
            _ => Lang::En,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
        }
    }

    pub(crate) fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
            Lang::Pt => &PT,
        }
    }
}

/// The fixed words of a report, in one language.
pub(crate) struct Labels {
    pub lang: Lang,
    pub report: &'static str,
    pub generated: &'static str,
    pub draft_notice: &'static str,
    pub final_notice: &'static str,
    pub contents: &'static str,
    pub participation: &'static str,
    pub delegates: &'static str,
    pub countries: &'static str,
    pub country: &'static str,
    pub rooms: &'static str,
    pub rooms_and_people: &'static str,
    pub facilitators: &'static str,
    pub unplaced: &'static str,
    /// Beside a delegate listed in one room who also posted in others: "moved from".
    pub moved_from: &'static str,
    /// Before the delegates who took part in a room and then moved to another.
    pub moved_on: &'static str,
    /// Beside one of them: "now in" the room they are in.
    pub now_in: &'static str,
    pub nobody: &'static str,
    pub conclusions: &'static str,
    pub no_conclusions: &'static str,
    pub status: &'static str,
    pub draft: &'static str,
    pub final_: &'static str,
    pub votes: &'static str,
    pub cited_cards: &'static str,
    pub cited_cards_intro: &'static str,
    pub boards: &'static str,
    pub phase: &'static str,
    pub open: &'static str,
    pub closed: &'static str,
    pub card: &'static str,
    pub group: &'static str,
    pub groups: &'static str,
    pub cards: &'static str,
    pub theme: &'static str,
    pub themes: &'static str,
    pub no_theme: &'static str,
    pub no_cards: &'static str,
    pub cited_in: &'static str,
    pub overview: &'static str,
    pub raised: &'static str,
    pub page: &'static str,
    pub phases: [&'static str; 5],
    pub months: [&'static str; 12],
    /// Titles of the default columns and themes, by key, used when the organizer kept the
    /// default (English) title.
    pub defaults: &'static [(&'static str, &'static str)],
}

impl Labels {
    pub(crate) fn phase(&self, phase: Phase) -> &'static str {
        self.phases[match phase {
            Phase::Brainstorm => 0,
            Phase::Reveal => 1,
            Phase::Vote => 2,
            Phase::Consolidate => 3,
            Phase::Closed => 4,
        }]
    }

    /// The title of a column or theme in this language: the organizer's own title, or the
    /// translation of a default title the organizer left unchanged.
    pub(crate) fn title<'a>(&self, key: &str, title: &'a str) -> &'a str {
        let is_default = EN.defaults.iter().any(|(k, t)| *k == key && *t == title);
        if !is_default {
            return title;
        }
        self.defaults
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(title, |(_, t)| t)
    }
}

static EN: Labels = Labels {
    lang: Lang::En,
    report: "Workshop report",
    generated: "Generated on",
    draft_notice: "Draft: the workshop is still in progress; conclusions may change.",
    final_notice: "Final: the workshop is closed.",
    contents: "Contents",
    participation: "Participation",
    delegates: "Delegates",
    countries: "Countries",
    country: "Country",
    rooms: "Rooms",
    rooms_and_people: "Rooms and participants",
    facilitators: "Facilitators",
    unplaced: "Not placed in a room",
    moved_from: "moved from",
    moved_on: "Took part here, then moved",
    now_in: "now in",
    nobody: "Nobody took part in this room.",
    conclusions: "Conclusions",
    no_conclusions: "No conclusions have been written yet.",
    status: "Status",
    draft: "draft",
    final_: "final",
    votes: "Votes",
    cited_cards: "Cited cards",
    cited_cards_intro: "The cards the conclusions draw on, numbered as cited above.",
    boards: "Room boards",
    phase: "Phase",
    open: "open",
    closed: "closed",
    card: "Card",
    group: "Group",
    groups: "Groups",
    cards: "Cards",
    theme: "Theme",
    themes: "Themes",
    no_theme: "No theme",
    no_cards: "No cards.",
    cited_in: "Cited in conclusions",
    overview: "Overview by country",
    raised: "What its delegates raised",
    page: "Page",
    phases: ["Brainstorm", "Reveal", "Vote", "Consolidate", "Closed"],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    defaults: &[
        ("strengths", "Strengths"),
        ("problems", "Main problems"),
        ("solutions", "Possible solutions"),
        ("governance", "Governance of digital government"),
        ("data", "Data-driven public sector"),
        ("capabilities", "Public sector capabilities"),
        ("innovation", "Digital innovation"),
        ("services", "Design and delivery of public services"),
        ("divide", "Digital divide"),
    ],
};

static ES: Labels = Labels {
    lang: Lang::Es,
    report: "Informe del taller",
    generated: "Generado el",
    draft_notice: "Borrador: el taller sigue en curso; las conclusiones pueden cambiar.",
    final_notice: "Versión final: el taller está cerrado.",
    contents: "Índice",
    participation: "Participación",
    delegates: "Delegados",
    countries: "Países",
    country: "País",
    rooms: "Salas",
    rooms_and_people: "Salas y participantes",
    facilitators: "Facilitadores",
    unplaced: "Sin sala asignada",
    moved_from: "vino de",
    moved_on: "Participaron aquí y luego cambiaron de sala",
    now_in: "ahora en",
    nobody: "Nadie participó en esta sala.",
    conclusions: "Conclusiones",
    no_conclusions: "Todavía no se han redactado conclusiones.",
    status: "Estado",
    draft: "borrador",
    final_: "definitiva",
    votes: "Votos",
    cited_cards: "Tarjetas citadas",
    cited_cards_intro:
        "Las tarjetas en las que se basan las conclusiones, numeradas como se citan arriba.",
    boards: "Tableros de las salas",
    phase: "Fase",
    open: "abierta",
    closed: "cerrada",
    card: "Tarjeta",
    group: "Grupo",
    groups: "Grupos",
    cards: "Tarjetas",
    theme: "Tema",
    themes: "Temas",
    no_theme: "Sin tema",
    no_cards: "Sin tarjetas.",
    cited_in: "Citadas en las conclusiones",
    overview: "Resumen por país",
    raised: "Lo que plantearon sus delegados",
    page: "Página",
    phases: [
        "Lluvia de ideas",
        "Revelación",
        "Votación",
        "Consolidación",
        "Cerrada",
    ],
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    defaults: &[
        ("strengths", "Fortalezas"),
        ("problems", "Principales problemas"),
        ("solutions", "Posibles soluciones"),
        ("governance", "Gobernanza del gobierno digital"),
        ("data", "Sector público impulsado por datos"),
        ("capabilities", "Capacidades del sector público"),
        ("innovation", "Innovación digital"),
        ("services", "Diseño y prestación de servicios públicos"),
        ("divide", "Brecha digital"),
    ],
};

static PT: Labels = Labels {
    lang: Lang::Pt,
    report: "Relatório da oficina",
    generated: "Gerado em",
    draft_notice: "Rascunho: a oficina ainda está em andamento; as conclusões podem mudar.",
    final_notice: "Versão final: a oficina está encerrada.",
    contents: "Sumário",
    participation: "Participação",
    delegates: "Delegados",
    countries: "Países",
    country: "País",
    rooms: "Salas",
    rooms_and_people: "Salas e participantes",
    facilitators: "Facilitadores",
    unplaced: "Sem sala atribuída",
    moved_from: "veio de",
    moved_on: "Participaram aqui e depois mudaram de sala",
    now_in: "agora em",
    nobody: "Ninguém participou desta sala.",
    conclusions: "Conclusões",
    no_conclusions: "Ainda não foram redigidas conclusões.",
    status: "Status",
    draft: "rascunho",
    final_: "final",
    votes: "Votos",
    cited_cards: "Cartões citados",
    cited_cards_intro: "Os cartões em que as conclusões se baseiam, numerados como citados acima.",
    boards: "Quadros das salas",
    phase: "Fase",
    open: "aberta",
    closed: "fechada",
    card: "Cartão",
    group: "Grupo",
    groups: "Grupos",
    cards: "Cartões",
    theme: "Tema",
    themes: "Temas",
    no_theme: "Sem tema",
    no_cards: "Sem cartões.",
    cited_in: "Citados nas conclusões",
    overview: "Panorama por país",
    raised: "O que seus delegados levantaram",
    page: "Página",
    phases: [
        "Brainstorming",
        "Revelação",
        "Votação",
        "Consolidação",
        "Encerrada",
    ],
    months: [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    defaults: &[
        ("strengths", "Pontos fortes"),
        ("problems", "Principais problemas"),
        ("solutions", "Possíveis soluções"),
        ("governance", "Governança do governo digital"),
        ("data", "Setor público orientado por dados"),
        ("capabilities", "Capacidades do setor público"),
        ("innovation", "Inovação digital"),
        ("services", "Desenho e prestação de serviços públicos"),
        ("divide", "Exclusão digital"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_a_slug_of_the_title() {
        assert_eq!(
            slug("Going Digital: Review of Digital Government in Latin America"),
            "going-digital-review-of-digital-government-in-latin-america"
        );
        assert_eq!(slug("Revisión  — Año 2026!"), "revision-ano-2026");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("<script>"), "script");
        assert_eq!(slug("¿?"), "workshop");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= SLUG_MAX && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn formats_round_trip_through_their_keys() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.key()), Some(f));
        }
        assert_eq!(Format::parse("pdf"), None);
    }

    #[test]
    fn default_titles_are_translated_and_custom_ones_kept() {
        let es = Lang::Es.labels();
        assert_eq!(es.title("strengths", "Strengths"), "Fortalezas");
        assert_eq!(es.title("strengths", "Lo que funciona"), "Lo que funciona");
        assert_eq!(es.title("custom", "Strengths"), "Strengths");
        assert_eq!(
            Lang::Pt.labels().title("divide", "Digital divide"),
            "Exclusão digital"
        );
        assert_eq!(EN.title("divide", "Digital divide"), "Digital divide");
    }

    #[test]
    fn printable_text_drops_control_characters_but_keeps_line_breaks() {
        assert_eq!(printable("a\u{0}b\u{1b}c\nd\te\u{FFFF}"), "abc\nd\te");
    }
}
