//! Each format as downloaded: its type and file name, and what the Markdown, HTML, Word and
//! CSV reports say, in three languages.

use super::*;

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
