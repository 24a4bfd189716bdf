//! The join page, the organizer's home and how pages load, in real headless Chromium
//! against the real server (issue #17's defects 5 and 13): every page in every language at
//! 1280 and 320 px with axe-core, the admin's list of workshops, the organizer token carried
//! to another device, the preloads and the favicon.

#[path = "common/board.rs"]
mod board;
#[path = "common/browser.rs"]
mod browser;
mod common;

use board::{board_of, posted, room_with};
use browser::driver;
use common::*;
use serde_json::json;

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

#[tokio::test]
async fn the_organizer_finds_every_workshop_with_the_admin_token_and_carries_its_token() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let other = server
        .create_workshop(json!({"title": "Made elsewhere"}))
        .await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url("/organizer")).await;
    page.wait_text("#home", "Your workshops").await;
    // A wrong admin token is named as such.
    page.type_into("#list-admin", "not-the-token").await;
    page.click("#list-form button[type=submit]").await;
    page.wait_text("#notices", "That admin token is not valid on this server.")
        .await;
    page.type_into("#list-admin", ADMIN_TOKEN).await;
    page.click("#list-form button[type=submit]").await;
    page.wait_text("#ws-list", "Made elsewhere").await;
    page.wait_text(
        &format!("[data-workshop='{}']", other.id),
        &other.delegate_code,
    )
    .await;

    // A workshop created here is listed too, and opens in full; its token can be shown.
    page.type_into("#admin", ADMIN_TOKEN).await;
    page.type_into("#title", "Going Digital").await;
    page.click("#create-button").await;
    page.wait_text("#ws-title", "Going Digital").await;
    page.wait_text("#ws-list", "Going Digital").await;
    page.click("#token-show").await;
    let shown = page.text("#org-token").await;
    let held = page
        .js(
            "const k = Object.keys(localStorage).find((k) => k.startsWith('cabildo.session.')); return JSON.parse(localStorage.getItem(k)).token;",
            vec![],
        )
        .await;
    assert_eq!(json!(shown), held);
    let welcome = server.connect(&shown).await.welcome;
    assert_eq!(welcome["you"]["role"], "organizer");
    page.screenshot("organizer-home-en").await;
    page.accessible("the organizer's home").await;

    // On another device: the list remembers nothing, the admin token brings it back.
    let phone = driver.page(PHONE.0, PHONE.1).await;
    phone.goto(&server.url("/organizer?lang=es")).await;
    phone.wait_text("#home", "Tus talleres").await;
    phone.type_into("#list-admin", ADMIN_TOKEN).await;
    phone.click("#list-form button[type=submit]").await;
    phone.wait_text("#ws-list", "Going Digital").await;
    phone.wait_text("#ws-list", "Made elsewhere").await;
    phone.fits_the_width().await;
    phone.screenshot("organizer-home-320px-es").await;
    phone.accessible("the organizer's home on a phone").await;
    page.close().await;
    phone.close().await;
}

#[tokio::test]
async fn pages_preload_their_modules_and_translation_and_the_favicon_is_served() {
    let server = TestServer::start().await;
    for (page, address) in [
        ("delegate.html", "/delegate?w=x&lang=pt"),
        ("index.html", "/?lang=pt"),
        ("organizer.html", "/organizer?lang=pt"),
    ] {
        let r = server
            .http
            .get(server.url(address))
            .send()
            .await
            .expect("page");
        let link = r.headers()["link"]
            .to_str()
            .expect("a Link header")
            .to_string();
        assert!(
            link.contains("</static/i18n/pt.json>; rel=preload; as=fetch"),
            "{address}: {link}"
        );
        let html = r.text().await.expect("html");
        // Every module the page imports, transitively, is preloaded.
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/js");
        let main = html
            .split("<script type=\"module\" src=\"/static/js/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the page's module")
            .to_string();
        let mut todo = vec![main];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(m) = todo.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            let text = std::fs::read_to_string(web.join(&m)).expect("module");
            for part in text.split("from './").skip(1) {
                todo.push(part.split('\'').next().expect("a name").to_string());
            }
        }
        for m in seen {
            assert!(
                html.contains(&format!(
                    "<link rel=\"modulepreload\" href=\"/static/js/{m}\">"
                )),
                "{page} does not preload {m}"
            );
        }
    }
    // The browser's language when the address names none.
    let r = server
        .http
        .get(server.url("/delegate"))
        .header("accept-language", "es-AR,es;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("page");
    assert!(r.headers()["link"]
        .to_str()
        .expect("link")
        .contains("/static/i18n/es.json"));
    let icon = server
        .http
        .get(server.url("/favicon.ico"))
        .send()
        .await
        .expect("favicon");
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    assert!(!icon.bytes().await.expect("bytes").is_empty());
}

/// The join page, the delegate's board and the organizer's home in every language at a
/// laptop's and the narrowest phone's width: no WCAG A/AA violation, no sideways scroll, a
/// screenshot of each.
#[tokio::test]
async fn every_page_in_every_language_at_1280_and_320_px() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({"title": "Going Digital"})).await;
    let room = w.rooms[0].clone();
    for text in ["One national digital ID", "Open data by default"] {
        posted(&mut org, &room, text).await;
    }
    org.ok(json!({"type": "broadcast", "text": "Ten minutes left"}))
        .await;
    org.ok(json!({"type": "set_phase", "room": room, "phase": "vote"}))
        .await;
    for (width, height) in [LAPTOP, PHONE] {
        for lang in ["en", "es", "pt"] {
            let page = driver.page(width, height).await;
            page.goto(&server.url(&format!("/j/{}?lang={lang}", w.delegate_code)))
                .await;
            page.until(
                "the join form",
                "return !document.querySelector('#join-form').hidden;",
                vec![],
            )
            .await;
            page.fits_the_width().await;
            page.screenshot(&format!("join-{width}px-{lang}")).await;
            page.accessible(&format!("join page, {lang}, {width} px"))
                .await;

            board_of(&page, &server, &w, &ana, lang).await;
            page.wait_text("#board", "Open data by default").await;
            page.wait_text(".notice.broadcast", "Ten minutes left")
                .await;
            page.fits_the_width().await;
            page.screenshot(&format!("delegate-vote-{width}px-{lang}"))
                .await;
            page.accessible(&format!("delegate board, {lang}, {width} px"))
                .await;

            page.goto(&server.url(&format!("/organizer?lang={lang}")))
                .await;
            page.type_into("#list-admin", ADMIN_TOKEN).await;
            page.click("#list-form button[type=submit]").await;
            page.wait_text("#ws-list", "Going Digital").await;
            page.fits_the_width().await;
            page.screenshot(&format!("organizer-home-{width}px-{lang}"))
                .await;
            page.accessible(&format!("organizer's home, {lang}, {width} px"))
                .await;
            page.close().await;
        }
    }
}
