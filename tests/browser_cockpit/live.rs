//! Live changes and dragging: an event redraws only what it touches, cards dragged onto a
//! theme and into a group, the HTML export of a moved delegate.

use super::*;

#[tokio::test]
async fn an_event_changes_only_the_elements_it_touches() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    // Dora joins first (a join may bring a new author's country into the workspace).
    let dora = server.delegate(&w, "Dora", "UY").await;
    let card = format!("#cons [data-card='{}']", cards[0]);
    let voted = format!("#cons [data-card='{}']", cards[3]);
    page.wait_text(&card, "One national digital ID").await;
    page.wait_text("[data-room=lobby]", "Dora").await;
    let mark = "for (const css of arguments) document.querySelector(css).dataset.seen = 'yes'; return true;";
    let marked =
        "const e = document.querySelector(arguments[0]); return !!e && e.dataset.seen === 'yes';";
    page.js(mark, vec![json!(card), json!(voted)]).await;
    // Room 3's tile and the grid's list of tiles are watched while Dora goes to room 2.
    let other = format!("#room-grid [data-room='{}']", w.rooms[2]);
    watch_changes(&page, "room 3", &other).await;
    page.js(
        "window.tilesMoved = 0; new MutationObserver((l) => { window.tilesMoved += l.length; }).observe(document.querySelector('#room-grid'), { childList: true }); return true;",
        vec![],
    )
    .await;
    // A delegate is moved, comes online and asks for help: room 2's tile changes...
    org.ok(move_to(&dora.id, &w.rooms[1])).await;
    let mut d = server.connect(&dora.token).await;
    d.ok(json!({"type": "request_help", "text": "Where is the timer?"}))
        .await;
    page.wait_text(&format!("[data-room='{}'] .badge", w.rooms[1]), "1")
        .await;
    page.until(
        "Dora online in room 2",
        "return !!document.querySelector(`[data-room='${arguments[0]}'] [data-person='${arguments[1]}'].on`);",
        vec![json!(w.rooms[1]), json!(dora.id)],
    )
    .await;
    // ...the other tiles are untouched, none was taken out and put back, and the workspace
    // was not drawn again: its cards are the same elements.
    assert_eq!(changes(&page, "room 3").await, 0, "room 3's tile changed");
    assert_eq!(
        page.js("return window.tilesMoved;", vec![]).await,
        0,
        "tiles were taken out of the grid and put back"
    );
    assert_eq!(page.js(marked, vec![json!(card)]).await, true);
    // A vote touches one card: that card's entry is drawn again (it shows "1 vote"), the
    // others stay the same elements.
    org.ok(json!({"type": "set_phase", "room": w.rooms[1], "phase": "vote"}))
        .await;
    d.ok(json!({"type": "vote", "card": cards[3]})).await;
    page.wait_text(&format!("{voted} .meta"), "1 vote").await;
    assert_eq!(page.js(marked, vec![json!(voted)]).await, false);
    assert_eq!(page.js(marked, vec![json!(card)]).await, true);
    assert_eq!(changes(&page, "room 3").await, 0, "room 3's tile changed");
    page.close().await;
}

#[tokio::test]
async fn cards_are_dragged_onto_a_theme_and_into_a_group() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    org.ok(json!({"type": "group_cards", "cards": [cards[2]], "name": "Paperwork"}))
        .await;
    let group = org.event_of_type("group_created").await["event"]["group"]
        .as_str()
        .expect("group")
        .to_string();
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    // Arranged by theme, an empty theme is there to drop on.
    page.wait_text("#cons [data-block=data] h4", "(0)").await;
    drag_card(&page, &cards[0], "data").await;
    let tagged = org.event_of_type("card_tagged").await;
    assert_eq!(
        (
            tagged["event"]["card"].as_str(),
            tagged["event"]["theme"].as_str()
        ),
        (Some(cards[0].as_str()), Some("data"))
    );
    page.wait_text("#cons [data-block=data] h4", "(1)").await;
    // Arranged by group, a card of the same room goes into a group.
    page.select("#by", "group").await;
    page.wait_text(&format!("#cons [data-block='{group}'] h4"), "Paperwork")
        .await;
    drag_card(&page, &cards[1], &group).await;
    let moved = org.event_of_type("card_regrouped").await;
    assert_eq!(moved["event"]["card"], cards[1]);
    assert_eq!(moved["event"]["group"], group);
    page.wait_text(&format!("#cons [data-block='{group}'] h4"), "(2)")
        .await;
    // The group's bar gives its votes; the heading above it names the group, once.
    let chart = page
        .js(
            "return document.querySelector(`#cons [data-block='${arguments[0]}'] figure.chart`).textContent;",
            vec![json!(group)],
        )
        .await;
    assert_eq!(chart, "2 votes");
    page.screenshot("cockpit-grouped-by-drag-en-1280").await;
    page.accessible("cards grouped by drag").await;
    page.close().await;
}

#[tokio::test]
async fn the_html_export_lists_a_moved_delegate_once_with_charts_and_large_links() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let files = tempfile::tempdir().expect("dir");
    for lang in LANGS {
        let (w, mut org, _cards, ana) = plenary_in(&server, lang).await;
        // Ana posted in Room 1, then moved to Room 2.
        org.ok(move_to(&ana, &w.rooms[1])).await;
        let html = reqwest::Client::new()
            .get(server.url(&format!("/api/workshops/{}/export?format=html", w.id)))
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("text");
        let path = files.path().join(format!("report-{lang}.html"));
        std::fs::write(&path, &html).expect("written");
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            page.goto(&format!("file://{}", path.display())).await;
            page.wait_text("#participation", moved_from(lang)).await;
            let listed = page
                .js(
                    "return [...document.querySelectorAll('#participation .people li')].filter((li) => /\\bAna\\b/.test(li.textContent)).map((li) => li.closest('li').textContent);",
                    vec![],
                )
                .await;
            assert_eq!(
                listed.as_array().map(Vec::len),
                Some(1),
                "Ana is listed once: {listed}"
            );
            // Each conclusion's support by room and by country, as charts.
            let charts = page
                .js(
                    "return [...document.querySelectorAll('#conclusions figure.chart')].map((f) => f.textContent);",
                    vec![],
                )
                .await;
            let charts = charts.to_string();
            assert!(
                charts.contains("Room 1") && charts.contains("Room 2"),
                "{charts}"
            );
            assert!(
                charts.contains("Argentin") && charts.contains("Bra"),
                "{charts}"
            );
            // Citation links are large enough to hit (axe target-size, WCAG 2.2 AA).
            let small = page
                .js(
                    "return [...document.querySelectorAll('a.ref')].filter((a) => { const r = a.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).length;",
                    vec![],
                )
                .await;
            assert_eq!(small, 0, "citation links under 24 px");
            let shot = format!("export-html-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }
}
