//! National briefs on the sample workshop (`sample.rs`): what each country's brief holds,
//! its language, hidden cards left out, typed text inert in every format, the ZIP.

use super::brief::{self, country_code, BriefError};
use super::brief_render::{self, render, render_zip, BriefExportError};
use super::sample::{sample, HIDDEN, HOSTILE};
use super::{Date, Format, Options};
use std::io::Read;

fn options() -> Options {
    Options {
        date: Date::new(2026, 11, 27).expect("date"),
        bom: false,
    }
}

fn text(state: &crate::domain::Workshop, country: &str, format: Format) -> String {
    String::from_utf8(render(state, country, format, &options()).expect("brief")).expect("utf-8")
}

#[test]
fn a_brief_holds_the_delegations_cards_and_the_conclusions_they_support() {
    let s = sample("es");
    let ar = brief::build(&s.state, "AR", options().date).expect("AR");
    assert_eq!(ar.country_name, "Argentina");
    assert_eq!(ar.language, "es");
    assert_eq!(ar.delegates.len(), 1);
    assert_eq!(ar.delegates[0].name, "Ana");
    assert_eq!(
        ar.delegates[0].rooms.len(),
        1,
        "the room she is in and voted in"
    );
    let texts: Vec<&str> = ar
        .by_column
        .iter()
        .flat_map(|s| s.cards.iter().map(|c| c.text.as_str()))
        .collect();
    assert_eq!(texts, ["Uno moderado"], "the deleted card is gone");
    // Numbered as the report numbers them: governance first, then data (moved to the top).
    let numbers: Vec<(usize, &str)> = ar
        .conclusions
        .iter()
        .map(|k| (k.number, k.text.as_str()))
        .collect();
    assert_eq!(numbers, [(3, "Datos abiertos, por defecto")]);
    assert_eq!(ar.conclusions[0].other_countries, ["Chile"]);
    assert_eq!(ar.conclusions[0].cards, ["Uno moderado"]);
    assert_eq!(ar.conclusions[0].endorsement, None);

    // Brazil's hidden card stays out; its visible one carries the conclusion they share
    // with nobody else.
    let br = brief::build(&s.state, "BR", options().date).expect("BR");
    let all: Vec<&str> = br
        .by_theme
        .iter()
        .flat_map(|s| s.cards.iter().map(|c| c.text.as_str()))
        .collect();
    assert_eq!(all.len(), 1);
    assert!(!all.contains(&HIDDEN));
    assert_eq!(br.conclusions.len(), 1);
    assert!(br.conclusions[0].other_countries.is_empty());
    for format in [Format::Markdown, Format::Html, Format::Csv, Format::Json] {
        assert!(!text(&s.state, "BR", format).contains(HIDDEN), "{format}");
    }
}

#[test]
fn briefs_are_written_in_the_workshop_language() {
    let es = text(&sample("es").state, "AR", Format::Markdown);
    assert!(es.starts_with("# Informe nacional: Argentina\n"), "{es}");
    assert!(
        es.contains("**Respaldo de la delegación:** sin registrar"),
        "{es}"
    );
    assert!(es.contains("También respaldada por: Chile"), "{es}");
    let pt = text(&sample("pt").state, "BR", Format::Html);
    assert!(pt.contains("<html lang=\"pt\">"));
    assert!(pt.contains("<h1>Brasil</h1>"), "{pt}");
    assert!(pt.contains("Endosso da delegação"));
    assert!(pt.contains("nenhum outro país"));
    let en = text(&sample("en").state, "PE", Format::Markdown);
    assert!(
        en.contains("No conclusion cites this delegation's cards yet."),
        "{en}"
    );
    assert!(en.contains("- Dora\n"), "in the lobby, in no room: {en}");
}

#[test]
fn typed_text_stays_inert_in_every_format() {
    let s = sample("en");
    let html = text(&s.state, "BR", Format::Html);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img"));
    assert!(!html.contains('\u{7}'));
    let md = text(&s.state, "BR", Format::Markdown);
    assert!(md.contains("\\<img src=x onerror=alert(1)\\>"), "{md}");
    let csv = text(&s.state, "BR", Format::Csv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader.records().next().expect("a row").expect("csv");
    assert_eq!(&row[6], HOSTILE.replace('\u{7}', ""));
    let json: serde_json::Value =
        serde_json::from_str(&text(&s.state, "BR", Format::Json)).expect("json");
    assert_eq!(
        json["by_column"][0]["cards"][0]["text"],
        HOSTILE.replace('\u{7}', "")
    );
    let docx = render(&s.state, "BR", Format::Docx, &options()).expect("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let words: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("<img src=x onerror=alert(1)>"));
}

#[test]
fn an_unknown_or_absent_country_has_no_brief() {
    let s = sample("en");
    assert_eq!(country_code(" ar"), Ok("AR".into()));
    for bad in ["XX", "a", "ARG", "../", "", "ár"] {
        assert!(
            matches!(country_code(bad), Err(BriefError::UnknownCode(_))),
            "{bad}"
        );
    }
    let err = render(&s.state, "JP", Format::Markdown, &options()).expect_err("no JP");
    assert!(matches!(
        err,
        BriefExportError::Brief(BriefError::NoDelegation(_))
    ));
}

#[test]
fn the_zip_holds_one_brief_per_country_and_is_the_same_each_time() {
    let s = sample("en");
    let zip = render_zip(&s.state, Format::Markdown, &options()).expect("zip");
    assert_eq!(
        zip,
        render_zip(&s.state, Format::Markdown, &options()).expect("zip")
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    let mut names: Vec<String> = archive.file_names().map(str::to_string).collect();
    names.sort();
    let expected: Vec<String> = ["AR", "BR", "CL", "PE"]
        .iter()
        .map(|c| brief_render::filename(&s.state, c, Format::Markdown, options().date))
        .collect();
    assert_eq!(names, expected);
    let mut ar = String::new();
    archive
        .by_name(&expected[0])
        .expect("AR")
        .read_to_string(&mut ar)
        .expect("utf-8");
    assert_eq!(ar, text(&s.state, "AR", Format::Markdown));
}
