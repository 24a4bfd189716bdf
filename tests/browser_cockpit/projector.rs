//! The projector: its link made by staff (SQLite and PostgreSQL), a read-only summary, each
//! room then the conclusions with the arrow keys.

use super::*;

#[tokio::test]
async fn the_projector_link_is_made_by_staff_and_shows_a_read_only_summary() {
    projector_link_story(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_projector_link_works_on_postgres_too() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipping: no PostgreSQL (CABILDO_TEST_POSTGRES_URL)");
        return;
    };
    projector_link_story(&TestServer::start_on(std::sync::Arc::new(db), &[]).await).await;
}

#[tokio::test]
async fn the_projector_shows_each_room_then_the_conclusions_with_the_arrow_keys() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, _cards) = plenary(&server).await;
    let (_, link) = make_projector_link(&server, &w, Some(&w.organizer_token)).await;
    let url = link["url"].as_str().expect("url").to_string();

    for (width, height) in [LAPTOP, PHONE] {
        for lang in LANGS {
            let page = driver.page(width, height).await;
            let (column, conclusions, first) = projector_words(lang);
            page.goto(&server.url(&format!("{url}&lang={lang}"))).await;
            page.wait_text("#where", first).await;
            page.wait_text("#slide [data-column=strengths] h3", column)
                .await;
            // Most voted first, with its votes drawn as a bar.
            page.wait_text(
                "#slide [data-column=strengths] .bars li:first-child .bar-name",
                "Open data portal",
            )
            .await;
            // Counted in the page's language, zero as plural everywhere: Portuguese
            // follows the delegate's board ("0 votos"), not Brazil's rule ("0 voto").
            let votes = page
                .js(
                    "return [...document.querySelectorAll(
                        '#slide [data-column=strengths] .bar-value')].map((e) => e.textContent);",
                    vec![],
                )
                .await;
            let (two, zero) = match lang {
                "en" => ("2 votes", "0 votes"),
                _ => ("2 votos", "0 votos"),
            };
            assert_eq!(votes, json!([two, zero]), "{lang}");
            let bars = page
                .js(
                    "return document.querySelectorAll('#slide svg.chart-bar').length;",
                    vec![],
                )
                .await;
            assert!(bars.as_u64().expect("count") >= 3, "{bars} bars");
            let shot = format!("projector-room-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;

            // Room 3 is in a hidden brainstorm: counted, not read out.
            page.click("#main").await;
            for _ in 0..2 {
                page.client
                    .active_element()
                    .await
                    .expect("focus")
                    .send_keys("\u{E014}")
                    .await
                    .expect("arrow right");
            }
            page.wait_text(
                "#where",
                if lang == "en" {
                    "Room 3 of 4"
                } else {
                    "Sala 3 de 4"
                },
            )
            .await;
            assert!(!page.text("#slide").await.contains("A secret idea"));
            // End: the conclusions, with their support by room and by country.
            page.client
                .active_element()
                .await
                .expect("focus")
                .send_keys("\u{E010}")
                .await
                .expect("End");
            page.wait_text("#where", conclusions).await;
            page.wait_text(
                "#slide .proj-conclusion .text",
                "A single digital identity unlocks online services.",
            )
            .await;
            let support = page.text("#slide .support").await;
            assert!(
                support.contains("Room 1") && support.contains("Room 2"),
                "{support}"
            );
            // Countries by name in the page's language (Brazil, Brasil).
            assert!(
                support.contains("Argentina") && support.contains("Bra"),
                "{support}"
            );
            let shot = format!("projector-conclusions-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }

    // Live: a conclusion added while the projector shows the conclusions appears by itself.
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url(&format!("{url}&s=4"))).await;
    page.wait_text("#where", "Conclusions").await;
    org.ok(
        json!({"type": "add_conclusion", "theme": "data", "text": "Publish open data by default."}),
    )
    .await;
    page.wait_text("#slide", "Publish open data by default.")
        .await;
    page.close().await;
}
