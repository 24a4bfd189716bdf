//! The renderers on a workshop with a bit of everything (`sample.rs`).

use super::sample::{sample, HIDDEN, HOSTILE};
use super::{render, Date, Format, Options};
use std::io::Read;

fn options() -> Options {
    Options {
        date: Date::new(2026, 11, 27).expect("date"),
        bom: false,
    }
}

fn text(state: &crate::domain::Workshop, format: Format) -> String {
    String::from_utf8(render(state, format, &options()).expect("render")).expect("utf-8")
}

/// The text of `word/document.xml`, which must be well-formed XML.
fn docx_text(state: &crate::domain::Workshop) -> String {
    let bytes = render(state, Format::Docx, &options()).expect("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "t")
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn hidden_cards_appear_only_in_the_json_record() {
    let s = sample("en");
    for format in [Format::Markdown, Format::Html, Format::Csv] {
        assert!(!text(&s.state, format).contains(HIDDEN), "{format}");
    }
    assert!(!docx_text(&s.state).contains(HIDDEN));
    let record: serde_json::Value =
        serde_json::from_str(&text(&s.state, Format::Json)).expect("json");
    let card = record["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["id"] == s.hidden.to_string())
        .expect("hidden card");
    assert_eq!(card["text"], HIDDEN);
    assert_eq!(card["hidden"], true);
}

#[test]
fn texts_keep_their_words_but_lose_control_characters() {
    let s = sample("en");
    let shown = HOSTILE.replace('\u{7}', "");
    assert!(docx_text(&s.state).contains(&shown));
    let html = text(&s.state, Format::Html);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains('\u{7}') && !html.contains("<img"));
    assert!(!text(&s.state, Format::Markdown).contains('\u{7}'));
    let record: serde_json::Value =
        serde_json::from_str(&text(&s.state, Format::Json)).expect("json");
    assert!(record["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .any(|c| c["id"] == s.hostile.to_string() && c["text"] == HOSTILE));
}

#[test]
fn conclusions_are_numbered_by_theme_in_the_organizers_order() {
    let s = sample("en");
    let md = text(&s.state, Format::Markdown);
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {md}"))
    };
    // Governance comes before data in the theme list, whatever the order of writing.
    assert!(at("### Governance of digital government") < at("### Data-driven public sector"));
    assert!(at("1. Una estrategia") < at("2. Interoperabilidad"));
    assert!(at("2. Interoperabilidad") < at("3. Datos abiertos, por defecto"));
    assert!(
        md.contains("Status: final"),
        "the edited conclusion is final"
    );
    // The hidden card a conclusion cites supports it in the record, not in the report.
    let support = &md[at("1. Una estrategia")..at("### Data-driven public sector")];
    assert!(
        support.contains("Countries: Brazil") && support.contains("Votes: 2"),
        "{support}"
    );
}

#[test]
fn csv_rows_follow_the_boards_and_cite_conclusion_numbers() {
    let s = sample("en");
    let bytes = render(&s.state, Format::Csv, &options()).expect("csv");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    let texts: Vec<&str> = rows.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(
        texts,
        [
            "Uno moderado",
            &HOSTILE.replace('\u{7}', ""),
            "Tres\ncon salto"
        ]
    );
    assert_eq!(rows[0][3], "Data-driven public sector");
    assert_eq!(rows[0][4], "Grupo uno");
    assert_eq!(rows[0][8], "3");
    assert_eq!(rows[1][7], "2");
    assert_eq!(rows[2][8], "2; 3");
    let with_bom = render(
        &s.state,
        Format::Csv,
        &Options {
            bom: true,
            ..options()
        },
    )
    .expect("csv");
    assert_eq!(&with_bom[..3], "\u{FEFF}".as_bytes());
    assert_eq!(&with_bom[3..], bytes.as_slice());
}

#[test]
fn reports_are_written_in_the_workshop_language() {
    let pt = text(&sample("pt").state, Format::Markdown);
    for heading in [
        "## Conclusões",
        "#### Pontos fortes",
        "## Panorama por país",
        "Gerado em 27 de novembro de 2026",
    ] {
        assert!(pt.contains(heading), "{heading}");
    }
    assert!(pt.contains("Argentina") && pt.contains("Brasil"));
    let es = text(&sample("es").state, Format::Html);
    assert!(es.contains("<html lang=\"es\">"));
    for heading in [
        "Conclusiones",
        "Tableros de las salas",
        "Fortalezas",
        "Gobernanza del gobierno digital",
    ] {
        assert!(es.contains(heading), "{heading}");
    }
    assert!(docx_text(&sample("es").state).contains("Resumen por país"));
}

#[test]
fn the_json_record_is_the_same_for_the_same_state() {
    let s = sample("en");
    let a = render(&s.state, Format::Json, &options()).expect("json");
    let later = Options {
        date: Date::new(2030, 1, 1).expect("date"),
        bom: true,
    };
    assert_eq!(a, render(&s.state, Format::Json, &later).expect("json"));
}

#[test]
fn the_report_is_final_once_the_workshop_is_closed() {
    let mut s = sample("en");
    assert!(text(&s.state, Format::Markdown).contains("Draft: the workshop is still in progress"));
    let events = crate::domain::decide(
        &s.state,
        crate::domain::Actor::Participant(s.organizer),
        &crate::domain::Command::CloseWorkshop,
    )
    .expect("close");
    for e in events {
        s.state.apply(s.state.seq + 1, &e);
    }
    assert!(text(&s.state, Format::Markdown).contains("Final: the workshop is closed."));
    let record = super::json::record(&s.state).expect("record");
    assert_eq!(record.workshop.status, super::json::Status::Final);
    let imported = super::import::events(&record).expect("import");
    assert_eq!(
        super::json::record(&imported.state).expect("record"),
        record
    );
}
