//! Who may export, and hostile or hidden cards in the reports.

use super::*;

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
