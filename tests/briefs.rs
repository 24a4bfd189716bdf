//! National briefs (issue 22): one country's brief in every export format over real HTTP,
//! every country's brief in one ZIP, the errors for an unknown or absent country, the
//! credentials, and `cabildo export --country` matching the download.

mod common;
#[path = "export/support.rs"]
#[allow(dead_code)]
mod support;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use support::*;

/// What the reference fixture says about one country: its delegates' names, the texts of
/// their cards, and each conclusion citing them with the other countries that support it.
struct Country {
    name: String,
    delegates: BTreeSet<String>,
    cards: BTreeSet<String>,
    /// (conclusion text, names of the other supporting countries, sorted)
    conclusions: Vec<(String, Vec<String>)>,
}

fn country(fx: &Value, code: &str) -> Country {
    let names: BTreeMap<&str, &str> = fx["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code"),
                c["name"].as_str().expect("name"),
            )
        })
        .collect();
    let participants = fx["participants"].as_array().expect("participants");
    let country_of = |key: &str| {
        participants
            .iter()
            .find(|p| p["key"] == key && p["role"] == "delegate")
            .and_then(|p| p["country"].as_str())
    };
    let cards = fx["cards"].as_array().expect("cards");
    let card = |key: &str| cards.iter().find(|c| c["key"] == key).expect("card");
    let conclusions = fx["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .filter_map(|k| {
            let cited: Vec<&Value> = k["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .map(|key| card(key.as_str().expect("key")))
                .collect();
            let countries: BTreeSet<&str> = cited
                .iter()
                .filter_map(|c| country_of(c["author"].as_str().expect("author")))
                .collect();
            if !countries.contains(code) {
                return None;
            }
            let mut others: Vec<String> = countries
                .iter()
                .filter(|c| **c != code)
                .map(|c| names[c].to_string())
                .collect();
            others.sort();
            Some((k["text"].as_str().expect("text").to_string(), others))
        })
        .collect();
    Country {
        name: names[code].to_string(),
        delegates: participants
            .iter()
            .filter(|p| p["country"] == code && p["role"] == "delegate")
            .map(|p| p["display_name"].as_str().expect("name").to_string())
            .collect(),
        cards: cards
            .iter()
            .filter(|c| country_of(c["author"].as_str().expect("author")) == Some(code))
            .map(|c| c["text"].as_str().expect("text").to_string())
            .collect(),
        conclusions,
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A country whose cards some conclusion cites together with other countries' cards.
const CODE: &str = "AR";

#[tokio::test]
async fn one_country_brief_downloads_in_every_format_and_says_what_the_fixture_says() {
    let d = demo().await;
    let fx = fixture();
    let want = country(&fx, CODE);
    assert!(!want.conclusions.is_empty() && !want.cards.is_empty());
    assert!(want
        .conclusions
        .iter()
        .any(|(_, others)| !others.is_empty()));

    let mut bodies = BTreeMap::new();
    for (format, content_type) in [
        ("md", "text/markdown; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("csv", "text/csv; charset=utf-8"),
        ("json", "application/json"),
    ] {
        // The code is accepted in any case.
        let r = d
            .get(&format!("format={format}&country=ar"), Some(&d.lead))
            .await;
        assert_eq!(r.status(), 200, "{format}");
        assert_eq!(header(&r, "content-type"), content_type);
        let disposition = header(&r, "content-disposition");
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"{CODE}-{SLUG}-"))
                && disposition.ends_with(&format!(".{format}\"")),
            "{disposition}"
        );
        bodies.insert(format, r.bytes().await.expect("body").to_vec());
    }

    // JSON: the model itself.
    let brief: Value = serde_json::from_slice(&bodies["json"]).expect("json");
    assert_eq!(brief["country"], CODE);
    assert_eq!(brief["country_name"], want.name.as_str());
    let delegates: BTreeSet<String> = brief["delegates"]
        .as_array()
        .expect("delegates")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(delegates, want.delegates);
    assert!(brief["delegates"]
        .as_array()
        .expect("delegates")
        .iter()
        .all(|p| !p["rooms"].as_array().expect("rooms").is_empty()));
    let texts = |key: &str| -> BTreeSet<String> {
        brief[key]
            .as_array()
            .expect("sections")
            .iter()
            .flat_map(|s| s["cards"].as_array().expect("cards").iter())
            .map(|c| c["text"].as_str().expect("text").to_string())
            .collect()
    };
    assert_eq!(texts("by_column"), want.cards);
    assert_eq!(texts("by_theme"), want.cards);
    // The demo's review has Argentina endorsing every conclusion: each line says so.
    let endorsements: Vec<String> = brief["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .map(|k| k["endorsement"].as_str().unwrap_or_default().to_string())
        .collect();
    for line in &endorsements {
        assert!(line.starts_with("Endorsed (answered by "), "{line}");
    }
    let conclusions: Vec<(String, Vec<String>)> = brief["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .map(|k| {
            let others = k["other_countries"]
                .as_array()
                .expect("others")
                .iter()
                .map(|c| c.as_str().expect("name").to_string())
                .collect();
            (k["text"].as_str().expect("text").to_string(), others)
        })
        .collect();
    assert_eq!(conclusions, want.conclusions);

    // Markdown, read by a CommonMark parser.
    let md = String::from_utf8(bodies["md"].clone()).expect("utf-8");
    let (blocks, headings) = markdown_blocks(&md);
    assert_eq!(headings[0], (1, format!("National brief: {}", want.name)));
    for name in &want.delegates {
        assert!(
            blocks.iter().any(|b| b.starts_with(name.as_str())),
            "{name}"
        );
    }
    for text in &want.cards {
        assert!(
            blocks.iter().any(|b| b.starts_with(text.as_str())),
            "{text}"
        );
    }
    for ((text, others), line) in want.conclusions.iter().zip(&endorsements) {
        let at = position(&blocks, |b| b == text).expect("conclusion");
        let shown = if others.is_empty() {
            "no other country".to_string()
        } else {
            others.join(", ")
        };
        assert!(
            blocks[at..]
                .iter()
                .take(6)
                .any(|b| *b == format!("Also supported by: {shown}")),
            "{text}: {shown}"
        );
        assert!(blocks[at..]
            .iter()
            .take(6)
            .any(|b| *b == format!("Delegation's endorsement: {line}")));
    }

    // HTML: the same, with a box for the endorsement of each conclusion.
    let html = String::from_utf8(bodies["html"].clone()).expect("utf-8");
    let doc = scraper::Html::parse_document(&html);
    let select = |css: &str| scraper::Selector::parse(css).expect("selector");
    let h1: String = doc
        .select(&select("h1"))
        .next()
        .expect("h1")
        .text()
        .collect();
    assert_eq!(h1, want.name);
    assert_eq!(
        doc.select(&select("#conclusions article .endorsement"))
            .count(),
        want.conclusions.len()
    );
    assert_eq!(doc.select(&select("script")).count(), 0);

    // CSV: one row per card, then one per conclusion.
    let mut csv = csv::Reader::from_reader(bodies["csv"].as_slice());
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    assert_eq!(
        rows.iter().filter(|r| &r[1] == "card").count(),
        want.cards.len()
    );
    let csv_conclusions: Vec<&str> = rows
        .iter()
        .filter(|r| &r[1] == "conclusion")
        .map(|r| &r[6])
        .collect();
    assert_eq!(
        csv_conclusions,
        want.conclusions
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
    );
    assert!(rows.iter().all(|r| &r[0] == CODE));

    // DOCX: a Word package whose text names the country and each conclusion.
    let xml = docx_part(&bodies["docx"], "word/document.xml");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let text: String = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "t")
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains(&format!("National brief: {}", want.name)));
    for (conclusion, _) in &want.conclusions {
        assert!(text.contains(conclusion.as_str()), "{conclusion}");
    }
}

#[tokio::test]
async fn an_unknown_or_absent_country_is_a_clear_error() {
    let d = demo().await;
    for (query, status, code) in [
        ("format=md&country=ZZ", 400, "invalid"),
        ("format=md&country=..%2Fetc", 400, "invalid"),
        ("format=md&country=", 400, "invalid"),
        ("format=md&country=ARG", 400, "invalid"),
        // A real country none of whose delegates took part.
        ("format=md&country=JP", 404, "not_found"),
        ("format=zip&country=AR", 400, "invalid"),
        ("format=md&brief_format=md", 400, "invalid"),
        ("format=zip&brief_format=pdf", 400, "invalid"),
    ] {
        let r = d.get(query, Some(&d.organizer)).await;
        assert_eq!(r.status(), status, "{query}");
        let body: Value = r.json().await.expect("json error");
        assert_eq!(body["code"], code, "{query}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn briefs_need_an_organizer_or_facilitator_token() {
    let d = demo().await;
    let other = d.server.workshop().await;
    for query in ["format=md&country=AR", "format=zip", "format=md&country=ZZ"] {
        assert_eq!(d.get(query, None).await.status(), 401, "{query}");
        assert_eq!(
            d.get(query, Some(&d.delegate)).await.status(),
            403,
            "{query}"
        );
        assert_eq!(
            d.get(query, Some(&other.organizer_token)).await.status(),
            403,
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_zip_holds_every_countrys_brief_one_file_each() {
    let d = demo().await;
    let fx = fixture();
    let codes: BTreeSet<String> = fx["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["role"] == "delegate")
        .filter_map(|p| p["country"].as_str().map(str::to_string))
        .collect();
    assert_eq!(codes.len(), 15);
    let r = d
        .get("format=zip&brief_format=md", Some(&d.organizer))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/zip");
    let disposition = header(&r, "content-disposition");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"briefs-{SLUG}-"))
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    let bytes = r.bytes().await.expect("zip").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut names = BTreeSet::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).expect("entry");
        let name = file.name().to_string();
        let code = &name[..2];
        assert!(
            name.starts_with(&format!("{code}-{SLUG}-")) && name.ends_with(".md"),
            "{name}"
        );
        let mut text = String::new();
        file.read_to_string(&mut text).expect("utf-8");
        drop(file);
        // Each file is that country's brief, as its own download gives it.
        let single = d
            .get(&format!("format=md&country={code}"), Some(&d.organizer))
            .await;
        assert_eq!(single.status(), 200);
        assert_eq!(text, single.text().await.expect("brief"), "{name}");
        let want = country(&fx, code);
        assert!(text.starts_with(&format!("# National brief: {}", want.name)));
        names.insert(code.to_string());
    }
    assert_eq!(names, codes);

    // The default format inside is HTML.
    let r = d.get("format=zip", Some(&d.lead)).await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("zip").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    assert_eq!(zip.len(), 15);
    assert!(zip.by_index(0).expect("entry").name().ends_with(".html"));
}

/// `cabildo export --db <the demo's> --workshop <id> --format md --country <country>` and
/// `extra`: (success, stdout, stderr).
async fn cli_brief(d: &Demo, country: &str, extra: &[&str]) -> (bool, String, String) {
    let db = d.server.db_path();
    let mut args = vec![
        "export",
        "--db",
        path(&db),
        "--workshop",
        &d.id,
        "--format",
        "md",
        "--country",
        country,
    ];
    args.extend_from_slice(extra);
    cabildo(&args).await
}

#[tokio::test]
async fn cli_export_of_a_country_brief_matches_the_download() {
    let d = demo().await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("brief.md");
    let (ok, stdout, stderr) = cli_brief(&d, "ar", &["--out", path(&out)]).await;
    assert!(ok, "{stdout}{stderr}");
    let rest = d
        .get("format=md&country=AR", Some(&d.organizer))
        .await
        .text()
        .await
        .expect("brief");
    assert_eq!(std::fs::read_to_string(&out).expect("written"), rest);

    let (ok, stdout, stderr) = cli_brief(&d, "XX", &[]).await;
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("country code"), "{stderr}");
    let (ok, stdout, stderr) = cli_brief(&d, "JP", &["--out", "-"]).await;
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("no delegate of JP"), "{stderr}");
}
