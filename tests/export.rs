//! An organizer exports the reference workshop: the report in Markdown, HTML and DOCX,
//! the cards as CSV, the complete record as JSON; offline with `cabildo export`; and the
//! record imported into a fresh database with `cabildo import`.

mod common;
#[path = "export/support.rs"]
mod support;

use common::*;
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn every_format_downloads_with_its_type_and_file_name() {
    let d = demo().await;
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
        let r = d.get(&format!("format={format}"), Some(&d.lead)).await;
        assert_eq!(r.status(), 200, "{format}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), content_type);
        assert_eq!(header("x-content-type-options"), "nosniff");
        let disposition = header("content-disposition");
        let name = disposition
            .strip_prefix(&format!("attachment; filename=\"{SLUG}-"))
            .and_then(|rest| rest.strip_suffix(&format!(".{format}\"")))
            .unwrap_or_else(|| panic!("{disposition}"));
        let date: Vec<&str> = name.split('-').collect();
        assert!(
            date.len() == 3 && [4, 2, 2] == [date[0].len(), date[1].len(), date[2].len()],
            "{disposition}"
        );
        assert!(!r.bytes().await.expect("body").is_empty());
    }
}

#[tokio::test]
async fn markdown_report_traces_each_conclusion_to_its_theme_countries_and_cited_cards() {
    let d = demo().await;
    let fx = fixture();
    let expected = expected_conclusions(&fx);
    assert_eq!(expected.len(), 6);

    // Markdown, read by a CommonMark parser.
    let md = d.text("md").await;
    let (blocks, headings) = markdown_blocks(&md);
    assert_eq!(
        headings[0],
        (
            1,
            fx["workshop"]["title"].as_str().expect("title").to_string()
        )
    );
    let h2: Vec<&str> = headings
        .iter()
        .filter(|(l, _)| *l == 2)
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        h2,
        [
            "Participation",
            "Conclusions",
            "Room boards",
            "Overview by country",
            // The demo ships with a review by delegations in progress.
            "Review by delegations"
        ]
    );
    assert!(blocks
        .iter()
        .any(|b| b == "Delegates: 55 · Countries: 15 · Rooms: 4"));
    let cited_section = position(&blocks, |b| b == "Cited cards").expect("cited cards");
    let mut last_theme = 0;
    for k in &expected {
        let theme = position(&blocks, |b| b == k.theme).expect("theme heading");
        assert!(theme > last_theme, "themes in the organizer's order");
        last_theme = theme;
        let at = position(&blocks, |b| b.ends_with(&k.text)).expect("conclusion");
        assert!(at > theme && at < cited_section);
        let support = &blocks[at + 1];
        assert!(support.starts_with("Status: draft"), "{support}");
        assert!(
            support.contains(&format!("Countries: {}", k.countries.join(", "))),
            "{support} vs {:?}",
            k.countries
        );
        for card in &k.cards {
            let cited = position(&blocks, |b| b.starts_with(card.as_str())).expect("cited card");
            assert!(cited > cited_section, "{card}");
        }
    }
    assert_eq!(
        blocks.iter().filter(|b| b.starts_with("Status: ")).count(),
        6
    );
}

#[tokio::test]
async fn html_report_is_self_contained_printable_and_says_the_same() {
    let d = demo().await;
    let expected = expected_conclusions(&fixture());

    // HTML, read by an HTML parser: the same content, no script, nothing external.
    let html = d.text("html").await;
    let doc = scraper::Html::parse_document(&html);
    let select = |css: &str| scraper::Selector::parse(css).expect("selector");
    assert_eq!(
        doc.select(&select("script, link, img, iframe, object"))
            .count(),
        0
    );
    assert_eq!(doc.select(&select("[src], [onerror], [onload]")).count(), 0);
    let style: String = doc
        .select(&select("style"))
        .flat_map(|s| s.text())
        .collect();
    assert!(style.contains("@media print") && style.contains("break-before: page"));
    // Participation, conclusions, boards, overview, and the demo's review by delegations.
    assert_eq!(doc.select(&select("section.part")).count(), 5);
    let h3: Vec<String> = doc
        .select(&select("#conclusions h3"))
        .map(|h| h.text().collect())
        .collect();
    let themes: Vec<&str> = expected.iter().map(|k| k.theme.as_str()).collect();
    assert_eq!(&h3[..6], themes.as_slice());
    let items: Vec<String> = doc
        .select(&select("ol.conclusions > li"))
        .map(|li| li.text().collect())
        .collect();
    for k in &expected {
        let item = items
            .iter()
            .find(|i| i.contains(&k.text))
            .expect("conclusion in HTML");
        assert!(item.contains(&format!("Countries: {}", k.countries.join(", "))));
    }
    let cited: String = doc
        .select(&select("ol.cited"))
        .flat_map(|o| o.text())
        .collect();
    for card in expected.iter().flat_map(|k| &k.cards) {
        assert!(cited.contains(card.as_str()), "{card}");
    }
}

#[tokio::test]
async fn docx_report_uses_word_heading_styles_and_board_tables() {
    let d = demo().await;
    let expected = expected_conclusions(&fixture());

    // DOCX: a zip whose XML has Word heading styles, headings and the board tables.
    let docx = d.export("docx").await;
    let styles_xml = docx_part(&docx, "word/styles.xml");
    let document_xml = docx_part(&docx, "word/document.xml");
    assert!(docx_part(&docx, "[Content_Types].xml").contains("wordprocessingml.document.main+xml"));
    let styles = roxmltree::Document::parse(&styles_xml).expect("styles.xml parses");
    for level in 1..=3 {
        let style = styles
            .descendants()
            .find(|n| {
                n.tag_name().name() == "style"
                    && n.attributes()
                        .any(|a| a.name() == "styleId" && a.value() == format!("Heading{level}"))
            })
            .unwrap_or_else(|| panic!("Heading{level} style"));
        let child = |tag: &str| {
            style
                .descendants()
                .find(|n| n.tag_name().name() == tag)
                .and_then(|n| n.attributes().find(|a| a.name() == "val"))
                .map(|a| a.value().to_string())
        };
        assert_eq!(
            child("name").as_deref(),
            Some(format!("heading {level}").as_str())
        );
        assert_eq!(child("outlineLvl"), Some((level - 1).to_string()));
    }
    let document = roxmltree::Document::parse(&document_xml).expect("document.xml parses");
    let paragraphs_of = |style: &str| -> Vec<String> {
        document
            .descendants()
            .filter(|p| p.tag_name().name() == "p")
            .filter(|p| {
                p.descendants().any(|s| {
                    s.tag_name().name() == "pStyle"
                        && s.attributes()
                            .any(|a| a.name() == "val" && a.value() == style)
                })
            })
            .map(|p| {
                p.descendants()
                    .filter(|t| t.tag_name().name() == "t")
                    .filter_map(|t| t.text())
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        paragraphs_of("Heading1"),
        [
            "Participation",
            "Conclusions",
            "Room boards",
            "Overview by country",
            // The demo ships with a review by delegations in progress.
            "Review by delegations"
        ]
    );
    let h2 = paragraphs_of("Heading2");
    for k in &expected {
        assert!(h2.contains(&k.theme), "{}", k.theme);
    }
    let tables = document
        .descendants()
        .filter(|n| n.tag_name().name() == "tbl")
        .count();
    // The countries, then one table per room and column with cards.
    let expected_tables = 1 + 4 * 3;
    assert!(tables >= expected_tables, "{tables} tables");
    let all_text: String = document
        .descendants()
        .filter(|t| t.tag_name().name() == "t")
        .filter_map(|t| t.text())
        .collect();
    for k in &expected {
        assert!(all_text.contains(&k.text));
        assert!(all_text.contains(&format!("Countries: {}", k.countries.join(", "))));
    }
}

#[tokio::test]
async fn csv_has_one_row_per_card_and_cites_conclusion_numbers() {
    let d = demo().await;
    let expected = expected_conclusions(&fixture());

    // CSV: one row per card, read back by a CSV reader.
    let csv = d.export("csv").await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "workshop",
            "room",
            "column",
            "theme",
            "group",
            "text",
            "author_country",
            "votes",
            "cited_by_conclusions"
        ]
    );
    // The cards, up to the review's table (after an empty line, its own header).
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("row"))
        .take_while(|r| &r[0] != "number")
        .collect();
    assert_eq!(rows.len(), 46);
    let cited_rows = rows.iter().filter(|r| !r[8].is_empty()).count();
    assert_eq!(
        cited_rows,
        expected.iter().map(|k| k.cards.len()).sum::<usize>()
    );
}

#[tokio::test]
async fn hostile_cards_stay_inert_and_hidden_cards_stay_out_of_the_report() {
    let d = demo().await;
    let mut lead = d.server.connect(&d.lead).await;
    let room = lead.welcome["snapshot"]["rooms"][0]["id"]
        .as_str()
        .expect("room")
        .to_string();
    let hostile = [
        "<img src=x onerror=alert(1)>",
        "=HYPERLINK(\"https://evil.example\",\"click\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "[click](https://evil.example) <script>alert(1)</script>",
    ];
    for text in hostile {
        lead.ok(post_card(&room, "strengths", text)).await;
    }
    lead.ok(post_card(&room, "problems", "Removed by the moderator"))
        .await;
    let posted = loop {
        let e = lead.event_of_type("card_posted").await;
        if e["event"]["text"] == "Removed by the moderator" {
            break e["event"]["card"].as_str().expect("card").to_string();
        }
    };
    lead.ok(json!({"type": "hide_card", "card": posted})).await;

    let md = d.text("md").await;
    let (blocks, _) = markdown_blocks(&md);
    for text in hostile {
        assert!(blocks.iter().any(|b| b.starts_with(text)), "{text}");
    }
    let html = d.text("html").await;
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let doc = scraper::Html::parse_document(&html);
    let none = scraper::Selector::parse("script, img, [onerror]").expect("selector");
    assert_eq!(doc.select(&none).count(), 0);
    let body: String = doc.root_element().text().collect();
    for text in hostile {
        assert!(body.contains(text), "{text}");
    }
    let xml = docx_part(&d.export("docx").await, "word/document.xml");
    let document = roxmltree::Document::parse(&xml).expect("document.xml parses");
    let words: String = document
        .descendants()
        .filter(|t| t.tag_name().name() == "t")
        .filter_map(|t| t.text())
        .collect();
    for text in hostile {
        assert!(words.contains(text), "{text}");
    }

    let csv = d.export("csv").await;
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(|r| r.expect("row"))
        .take_while(|r| &r[0] != "number")
        .collect();
    assert_eq!(
        rows.len(),
        46 + hostile.len(),
        "the hidden card is left out"
    );
    let texts: Vec<&str> = rows.iter().map(|r| r.get(5).expect("text")).collect();
    for text in hostile {
        let safe = match text.chars().next() {
            Some('=' | '+' | '-' | '@') => format!("'{text}"),
            _ => text.to_string(),
        };
        assert!(texts.contains(&safe.as_str()), "{safe}");
    }
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
        }
    }

    // The hidden card is only in the JSON record, flagged, with its audit entry.
    for format in ["md", "html", "csv"] {
        assert!(!d.text(format).await.contains("Removed by the moderator"));
    }
    let record: Value = serde_json::from_slice(&d.export("json").await).expect("json");
    let card = record["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["id"] == posted.as_str())
        .expect("hidden card in the record");
    assert_eq!(card["hidden"], true);
    assert_eq!(card["history"][0]["action"], "hidden");
    assert_eq!(
        record["moderation"]
            .as_array()
            .expect("moderation")
            .last()
            .expect("entry")["card"],
        posted.as_str()
    );
}

#[tokio::test]
async fn export_needs_an_organizer_or_facilitator_token() {
    let d = demo().await;
    let other = d.server.workshop().await;
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(d.get("format=md", None).await), 401);
    assert_eq!(status(d.get("format=md", Some("not-a-token")).await), 401);
    let r = d.get("format=md", Some(&d.delegate)).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.expect("json error");
    assert_eq!(body["code"], "forbidden");
    assert_eq!(
        status(d.get("format=md", Some(&other.organizer_token)).await),
        403
    );
    let r = d
        .server
        .http
        .get(
            d.server
                .url("/api/workshops/not-a-workshop/export?format=md"),
        )
        .bearer_auth(&d.organizer)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 404);
    for query in ["format=pdf", "", "format=csv&bom=maybe"] {
        let r = d.get(query, Some(&d.organizer)).await;
        assert_eq!(r.status(), 400, "{query}");
        let body: Value = r.json().await.expect("json error");
        assert_eq!(body["code"], "invalid");
    }
    // Without credentials a bad format is still a 401: nothing is told before auth.
    assert_eq!(status(d.get("format=pdf", None).await), 401);
    let with_bom = d.get("format=csv&bom=true", Some(&d.lead)).await;
    let bytes = with_bom.bytes().await.expect("csv");
    assert!(
        bytes.starts_with("\u{FEFF}workshop,".as_bytes())
            || bytes.starts_with("\u{FEFF}\"workshop\"".as_bytes())
    );
}

#[tokio::test]
async fn cli_export_matches_rest_and_the_record_round_trips_through_import() {
    let d = demo().await;
    let rest = d.export("json").await;

    // The record is valid against the published schema.
    let schema: Value =
        serde_json::from_str(include_str!("../docs/export.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let record: Value = serde_json::from_slice(&rest).expect("json");
    let errors: Vec<String> = validator
        .iter_errors(&record)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(record["schema_version"], 1);
    assert_eq!(record["cards"].as_array().expect("cards").len(), 46);
    assert!(!String::from_utf8_lossy(&rest).contains("token"));

    // Offline, from the same database while the server runs.
    let dir = tempfile::tempdir().expect("dir");
    let offline = dir.path().join("record.json");
    let db = d.server.db_path();
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&offline),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&offline).expect("written"), rest);
    let report = dir.path().join("report.md");
    let (ok, out, err) = cabildo(&[
        "--db",
        path(&db),
        "export",
        "--workshop",
        &d.id,
        "--format",
        "md",
        "--date",
        "2020-06-24",
        "--out",
        path(&report),
    ])
    .await;
    assert!(ok, "{out}{err}");
    let md = std::fs::read_to_string(&report).expect("report");
    assert!(md.contains("Generated on 24 June 2020"), "{md}");

    // Import into a fresh database (a new server's, stopped), export again: the same
    // document.
    let mut fresh = TestServer::start().await;
    assert!(fresh.terminate().await.success());
    let fresh_db = fresh.db_path();
    let (ok, out, err) =
        cabildo(&["import", "--db", path(&fresh_db), "--file", path(&offline)]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("Imported workshop {}", d.id)),
        "{out}"
    );
    let token = out
        .lines()
        .find(|l| l.trim_start().starts_with("organizer token:"))
        .and_then(|l| l.split_whitespace().last())
        .expect("an organizer token")
        .to_string();
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&fresh_db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&again).expect("written"), rest);

    // A second import into the same database is refused.
    let (ok, _, err) =
        cabildo(&["import", "--db", path(&fresh_db), "--file", path(&offline)]).await;
    assert!(!ok);
    assert!(err.contains("already in this database"), "{err}");

    // The server, started again on that database, serves the workshop to the printed token.
    fresh.restart().await;
    let r = fresh
        .http
        .get(fresh.url(&format!("/api/workshops/{}/export?format=json", d.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").to_vec(), rest);
}

#[tokio::test]
async fn spanish_and_portuguese_reports_use_translated_headings() {
    let server = TestServer::start().await;
    for (language, title, headings) in [
        (
            "es",
            "Revisión digital",
            [
                "Participación",
                "Conclusiones",
                "Tableros de las salas",
                "Resumen por país",
            ],
        ),
        (
            "pt",
            "Revisão digital",
            [
                "Participação",
                "Conclusões",
                "Quadros das salas",
                "Panorama por país",
            ],
        ),
    ] {
        let w = server
            .create_workshop(json!({"title": title, "language": language}))
            .await;
        let r = server
            .http
            .get(server.url(&format!("/api/workshops/{}/export?format=md", w.id)))
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            disposition.starts_with("attachment; filename=\"revis"),
            "{disposition}"
        );
        let md = r.text().await.expect("md");
        let (_, found) = markdown_blocks(&md);
        let h2: Vec<&str> = found
            .iter()
            .filter(|(l, _)| *l == 2)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(h2, headings, "{language}");
        let board_column = if language == "es" {
            "Fortalezas"
        } else {
            "Pontos fortes"
        };
        assert!(found.iter().any(|(_, t)| t == board_column), "{md}");
        let html = server
            .http
            .get(server.url(&format!("/api/workshops/{}/export?format=html", w.id)))
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("html");
        assert!(html.contains(&format!("<html lang=\"{language}\">")));
    }
}

#[tokio::test]
async fn a_closed_session_with_removals_round_trips_through_import_as_final() {
    let d = demo().await;
    let mut org = d.server.connect(&d.organizer).await;
    let rooms: Vec<String> = org.welcome["snapshot"]["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    let delegate = org.welcome["snapshot"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["role"] == "delegate")
        .expect("a delegate")["id"]
        .as_str()
        .expect("id")
        .to_string();
    org.ok(json!({"type": "set_room_capacity", "room": rooms[0], "capacity": 30}))
        .await;
    org.ok(json!({"type": "remove_participant", "participant": delegate}))
        .await;
    org.ok(json!({"type": "remove_room", "room": rooms[3]}))
        .await;
    org.ok(json!({"type": "close_workshop"})).await;
    let rest = d.export("json").await;
    let record: Value = serde_json::from_slice(&rest).expect("json");
    assert_eq!(record["workshop"]["status"], "final");
    let md = d.text("md").await;
    assert!(
        !md.contains("Draft: the workshop is still in progress"),
        "{md}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, &rest).expect("written");
    let mut fresh = TestServer::start().await;
    assert!(fresh.terminate().await.success());
    let db = fresh.db_path();
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(ok, "{out}{err}");
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&again).expect("written"), rest);
}

/// A room whose delegates posted and voted there, then all moved to another room, lists
/// them as having taken part, each with the room they are in now; that room lists them as
/// moved from it; a room nobody used still says so. In Markdown, HTML and DOCX.
#[tokio::test]
async fn a_room_whose_people_moved_lists_who_took_part_in_it() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "language": "en"}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    for who in [&ana, &bruno] {
        org.ok(move_to(&who.id, &w.rooms[0])).await;
    }
    let mut ana_ws = server.connect(&ana.token).await;
    ana_ws
        .ok(json!({"type": "post_card", "room": w.rooms[0], "column": "strengths", "text": "Open data"}))
        .await;
    let card = ana_ws.event_of_type("card_posted").await["event"]["card"].clone();
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    let mut bruno_ws = server.connect(&bruno.token).await;
    bruno_ws.ok(json!({"type": "vote", "card": card})).await;
    for who in [&ana, &bruno] {
        org.ok(move_to(&who.id, &w.rooms[1])).await;
    }
    let export = |format: &'static str| {
        let url = server.url(&format!("/api/workshops/{}/export?format={format}", w.id));
        let token = w.organizer_token.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("export");
            assert_eq!(r.status(), 200, "{format}");
            r.bytes().await.expect("body").to_vec()
        }
    };
    let md = String::from_utf8(export("md").await).expect("utf-8");
    let html = String::from_utf8(export("html").await).expect("utf-8");
    let docx = docx_part(&export("docx").await, "word/document.xml");
    for (format, text, heading) in [("md", &md, "#### "), ("html", &html, "<h4>")] {
        let section = |room: &str| {
            text.split(heading)
                .find(|s| s.starts_with(room))
                .unwrap_or_else(|| panic!("{format}: no section {room}"))
                .to_string()
        };
        let left = section("Room 1");
        assert!(!left.contains("Nobody took part"), "{format}: {left}");
        assert!(
            left.contains("Took part here, then moved"),
            "{format}: {left}"
        );
        for name in ["Ana (now in Room 2)", "Bruno (now in Room 2)"] {
            assert!(left.contains(name), "{format}: {name} in {left}");
        }
        let now = section("Room 2");
        for name in ["Ana (moved from Room 1)", "Bruno (moved from Room 1)"] {
            assert!(now.contains(name), "{format}: {name} in {now}");
        }
        assert!(section("Room 3").contains("Nobody took part"), "{format}");
    }
    assert!(docx.contains("Took part here, then moved"), "{docx}");
    assert!(docx.contains("Ana (now in Room 2)"), "docx");
    assert_eq!(docx.matches("Nobody took part").count(), 2, "rooms 3 and 4");
}
