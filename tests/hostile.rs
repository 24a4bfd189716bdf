//! Hostile text, from the corpus in `tests/hostile_corpus.json`: every string is stored
//! verbatim (trimmed) as card, group, conclusion, broadcast, room and participant text and
//! survives a restart; NUL is refused `invalid` everywhere; and every export renders the
//! corpus inert: no markup, no links, no formulas, well-formed XML, exact JSON.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn corpus() -> Vec<String> {
    let raw = std::fs::read_to_string("tests/hostile_corpus.json").expect("corpus");
    let corpus: Vec<String> = serde_json::from_str(&raw).expect("corpus JSON");
    assert!(corpus.len() >= 40);
    corpus
}

/// What the server keeps of `s`: trimmed, nothing else changed.
fn kept(s: &str) -> String {
    s.trim().to_string()
}

/// What exports show of `s`: control characters other than tab and line feed dropped.
fn printable(s: &str) -> String {
    kept(s)
        .chars()
        .filter(|c| !(c.is_control() && *c != '\n' && *c != '\t'))
        .collect()
}

struct Hostile {
    server: TestServer,
    w: Workshop,
    org: TestClient,
}

/// A workshop holding the whole corpus: one card, one group, one conclusion, one broadcast
/// and one participant per string; plus a room named after the first ones.
async fn hostile_workshop() -> Hostile {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let mut org = server.connect(&w.organizer_token).await;
    let room = &w.rooms[0];
    for (i, s) in corpus().iter().enumerate() {
        org.ok(post_card(room, "strengths", s)).await;
        let card = org.event_of_type("card_posted").await;
        assert_eq!(card["event"]["text"], kept(s), "card {i}");
        let card = card["event"]["card"].clone();
        let name: String = s.chars().take(100).collect();
        org.ok(json!({"type": "group_cards", "cards": [card], "name": name}))
            .await;
        org.ok(json!({"type": "tag_card", "card": card, "theme": "data"}))
            .await;
        org.ok(json!({"type": "add_conclusion", "theme": "data", "text": s, "cards": [card]}))
            .await;
        org.ok(json!({"type": "broadcast", "text": s})).await;
        let name: String = s.chars().take(80).collect();
        let (status, body) = server
            .post_json(
                &format!("/api/workshops/{}/join", w.id),
                json!({"code": w.delegate_code, "name": name, "country": "AR"}),
            )
            .await;
        // Names refuse control and bidi-override characters and staff role words
        // (`domain::names`): those strings are refused whole, the others kept verbatim.
        let expected = if name_allowed(&name) { 201 } else { 400 };
        assert_eq!(status, expected, "join as {name:?}: {body}");
    }
    org.ok(json!({"type": "rename_room", "room": room, "name": "<b>Sala</b> \u{202E}1 👩🏽‍💻"}))
        .await;
    // Stored, not just echoed: everything survives a restart.
    drop(org);
    assert!(server.terminate().await.success());
    server.restart().await;
    let org = server.connect(&w.organizer_token).await;
    Hostile { server, w, org }
}

fn name_allowed(name: &str) -> bool {
    cabildo::domain::names::clean_name(name, cabildo::domain::Role::Delegate).is_ok()
}

fn texts(snapshot: &Value, list: &str, field: &str) -> BTreeSet<String> {
    snapshot[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|v| v[field].as_str().expect("text").to_string())
        .collect()
}

#[tokio::test]
async fn the_corpus_is_stored_verbatim_everywhere_and_rendered_inert_in_every_export() {
    let h = hostile_workshop().await;
    let corpus = corpus();
    let snapshot = &h.org.welcome["snapshot"];
    let expected: BTreeSet<String> = corpus.iter().map(|s| kept(s)).collect();
    assert_eq!(texts(snapshot, "cards", "text"), expected);
    assert_eq!(texts(snapshot, "conclusions", "text"), expected);
    let names: BTreeSet<String> = corpus
        .iter()
        .map(|s| kept(&s.chars().take(80).collect::<String>()))
        .filter(|n| name_allowed(n))
        .collect();
    assert!(names.len() >= 20, "most of the corpus is a name");
    let participants = texts(snapshot, "participants", "name");
    assert!(names.is_subset(&participants), "{participants:?}");
    let broadcasts: BTreeSet<String> = snapshot["session"]["broadcasts"]
        .as_array()
        .expect("broadcasts")
        .iter()
        .map(|b| b["text"].as_str().expect("text").to_string())
        .collect();
    assert_eq!(broadcasts, expected);
    assert_eq!(snapshot["rooms"][0]["name"], "<b>Sala</b> \u{202E}1 👩🏽‍💻");

    let export = |format: &'static str| {
        let url = h
            .server
            .url(&format!("/api/workshops/{}/export?format={format}", h.w.id));
        let token = h.w.organizer_token.clone();
        let http = h.server.http.clone();
        async move {
            let r = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("export");
            assert_eq!(r.status(), 200, "{format}");
            r.bytes().await.expect("body").to_vec()
        }
    };

    // JSON: the exact texts (the record keeps them as stored).
    let record: Value = serde_json::from_slice(&export("json").await).expect("JSON record");
    let mut in_record = BTreeSet::new();
    collect_strings(&record, &mut in_record);
    for s in &expected {
        assert!(in_record.contains(s), "json lost {s:?}");
    }
    for name in group_names(&corpus) {
        assert!(
            in_record.contains(&kept(&name)),
            "json lost the group {name:?}"
        );
    }

    // CSV: every card's text in a cell, none of them a formula.
    let csv = export("csv").await;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&csv[..]);
    let mut cells = BTreeSet::new();
    for row in reader.records() {
        for cell in row.expect("CSV row").iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell:?}"
            );
            cells.insert(cell.to_string());
        }
    }
    for s in &corpus {
        let shown = printable(s);
        let cell = if shown.starts_with(['=', '+', '-', '@']) {
            format!("'{shown}")
        } else {
            shown
        };
        assert!(cells.contains(&cell), "csv lost {s:?} ({cell:?})");
    }
    for name in group_names(&corpus) {
        let shown = printable(&name);
        let cell = if shown.starts_with(['=', '+', '-', '@']) {
            format!("'{shown}")
        } else {
            shown
        };
        assert!(
            cells.contains(&cell),
            "csv lost the group {name:?} ({cell:?})"
        );
    }

    // Markdown: no raw HTML, no links, no images, whatever the texts hold.
    let md = String::from_utf8(export("md").await).expect("UTF-8");
    let mut md_text = String::new();
    for event in pulldown_cmark::Parser::new(&md) {
        use pulldown_cmark::{Event, Tag};
        match event {
            Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML in the report: {h}"),
            Event::Start(Tag::Link { dest_url, .. }) => panic!("a link: {dest_url}"),
            Event::Start(Tag::Image { dest_url, .. }) => panic!("an image: {dest_url}"),
            Event::Text(t) | Event::Code(t) => md_text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => md_text.push('\n'),
            Event::End(_) => md_text.push('\n'),
            _ => {}
        }
    }
    // Every text reads back as itself once the Markdown is rendered, its whitespace runs
    // made one space (markdown::escape keeps every text on one line).
    shows_all(&collapse(&md_text), &corpus, "md");

    // HTML: no scripts, frames, images or event handlers; the markup shows as text.
    let html = String::from_utf8(export("html").await).expect("UTF-8");
    let doc = scraper::Html::parse_document(&html);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name();
        assert!(
            !["script", "iframe", "img", "object", "embed", "x:evil"].contains(&name),
            "<{name}> in the report"
        );
        // The report's own bar charts are the only SVG it may hold (src/export/html.rs).
        if name == "svg" {
            assert_eq!(
                el.value().attr("class"),
                Some("chart-bar"),
                "a foreign <svg> in the report"
            );
        }
        for (attr, value) in el.value().attrs() {
            assert!(!attr.starts_with("on"), "<{name} {attr}={value:?}>");
            assert!(
                !value.trim_start().starts_with("javascript:"),
                "{attr}={value}"
            );
        }
    }
    let text: String = doc.root_element().text().collect();
    shows_all(&text, &corpus, "html");

    // DOCX: well-formed XML whose text holds the markup as text.
    let docx = export("docx").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("UTF-8");
    let parsed = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let mut words = String::new();
    for n in parsed.descendants() {
        match n.tag_name().name() {
            "t" => words.push_str(n.text().unwrap_or_default()),
            "br" | "p" => words.push('\n'),
            "tab" => words.push('\t'),
            _ => {}
        }
    }
    shows_all(&words, &corpus, "docx");
    assert!(!parsed.descendants().any(|n| n.tag_name().name() == "evil"));
}

/// The group names `hostile_workshop` gave: each string's first 100 characters.
fn group_names(corpus: &[String]) -> Vec<String> {
    corpus
        .iter()
        .map(|s| s.chars().take(100).collect())
        .collect()
}

/// Every corpus string, and every group name, is in `text` (a report as a reader sees it:
/// control characters dropped).
fn shows_all(text: &str, corpus: &[String], format: &str) {
    let mut lost = Vec::new();
    for s in corpus.iter().chain(&group_names(corpus)) {
        let shown = if format == "md" {
            collapse(&printable(s))
        } else {
            printable(s)
        };
        if !text.contains(&shown) {
            lost.push(s.clone());
        }
    }
    assert!(
        lost.is_empty(),
        "the {format} report lost {} texts: {lost:?}",
        lost.len()
    );
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn collect_strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn nul_is_refused_invalid_in_every_text() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut org = server.connect(&w.organizer_token).await;
    let room = &w.rooms[0];
    org.ok(post_card(room, "strengths", "clean")).await;
    let card = org.event_of_type("card_posted").await["event"]["card"].clone();
    let nul = "before\u{0}after";
    let commands = [
        post_card(room, "strengths", nul),
        json!({"type": "edit_card", "card": card, "text": nul}),
        json!({"type": "group_cards", "cards": [card], "name": nul}),
        json!({"type": "add_conclusion", "theme": "data", "text": nul}),
        json!({"type": "broadcast", "text": nul}),
        json!({"type": "rename_room", "room": room, "name": nul}),
        json!({"type": "create_room", "name": nul}),
    ];
    for c in commands {
        let e = org.refused(c.clone(), "invalid").await;
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains("NUL")),
            "{c}: {e}"
        );
    }
    let (status, body) = server
        .post_json(
            &format!("/api/workshops/{}/join", w.id),
            json!({"code": w.delegate_code, "name": nul, "country": "AR"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid")),
        "{body}"
    );
    let r = server
        .http
        .post(server.url("/api/workshops"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"title": nul}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
    // Nothing of it was stored.
    let snapshot = server.connect(&w.organizer_token).await.welcome;
    assert!(
        !snapshot.to_string().contains("before"),
        "a NUL text was stored"
    );
    assert!(!server.log().contains("panicked"));
}
