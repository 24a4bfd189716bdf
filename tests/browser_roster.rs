//! The roster in real headless Chromium against the real server: the organizer uploads a
//! CSV in the page, sees the list and copies a personal link; a delegate opens it and lands
//! on the board as herself, in her room; the organizer then sees her as joined. A bad
//! roster's rows are listed. Screenshots at 1280 and 320 px in en, es and pt go to
//! `target/screenshots/roster-*.png`; each state is checked with axe-core.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::json;

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

const CSV: &str = "name,country,email,role,preferred room,head of delegation\n\
Ana Souza,BR,ana@example.org,delegate,Sur,yes\n\
Juan Pérez,AR,,delegate,,no\n";

/// The organizer's page of `w` in `lang`, with the roster panel shown.
async fn organizer_page(page: &Page, server: &TestServer, w: &Workshop, lang: &str) {
    page.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": w.organizer_token, "participant": w.json["organizer_id"],
        "role": "organizer", "language": lang, "title": "Roster",
        "delegate_code": w.delegate_code, "facilitator_code": w.facilitator_code,
    });
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); localStorage.setItem('cabildo.lang.chosen', arguments[2]); return true;",
        vec![json!(w.id), json!(session.to_string()), json!(lang)],
    )
    .await;
    page.goto(&server.url(&format!("/organizer?w={}&lang={lang}", w.id)))
        .await;
    page.until(
        "the roster panel",
        "return !!document.querySelector('#roster #roster-list');",
        vec![],
    )
    .await;
}

#[tokio::test]
async fn the_organizer_uploads_a_roster_and_a_delegate_opens_her_link_into_her_room() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Roster", "rooms": ["Norte", "Sur"]}))
        .await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    organizer_page(&page, &server, &w, "en").await;

    // Upload the CSV file in the page.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("roster.csv");
    std::fs::write(&file, CSV).expect("csv written");
    page.element("#roster-file")
        .await
        .send_keys(file.to_str().expect("utf-8 path"))
        .await
        .expect("file chosen");
    page.until(
        "the file's text in the box",
        "return document.querySelector('#roster-table').value.includes('Ana Souza');",
        vec![],
    )
    .await;
    page.click("#roster-import").await;
    page.until(
        "two people on the roster",
        "return document.querySelectorAll('#roster-list .roster-person').length === 2;",
        vec![],
    )
    .await;
    assert_eq!(page.text("#roster-count").await, "0 of 2 joined");
    let link = page
        .until(
            "Ana's personal link",
            "const p = [...document.querySelectorAll('.roster-person')].find((e) => e.textContent.includes('Ana Souza')); const u = p && p.querySelector('.roster-url'); return u && u.value;",
            vec![],
        )
        .await
        .as_str()
        .expect("a link")
        .to_string();
    assert!(
        link.starts_with(&server.url(&format!("/#link={}.", w.id))),
        "{link}"
    );
    assert!(
        page.js(
            "return !!document.querySelector('.roster-person .roster-qr');",
            vec![]
        )
        .await
        .as_bool()
        .unwrap_or(false),
        "a QR code of the link"
    );
    page.click(".roster-person .roster-copy").await;
    page.accessible("roster uploaded").await;
    page.screenshot("roster-uploaded-en-1280").await;

    // Ana opens her link in her own browser: no form, her board, her room.
    let ana = driver.page(PHONE.0, PHONE.1).await;
    ana.goto(&link).await;
    ana.until(
        "Ana's board",
        "return location.pathname === '/delegate' && document.querySelector('#room-name') && document.querySelector('#room-name').textContent.includes('Sur');",
        vec![],
    )
    .await;
    let me = ana
        .js(
            "const k = Object.keys(localStorage).find((k) => k.startsWith('cabildo.session.')); return JSON.parse(localStorage.getItem(k));",
            vec![],
        )
        .await;
    assert_eq!(me["role"], "delegate");
    ana.fits_the_width().await;
    ana.screenshot("roster-delegate-landed-320").await;

    // The organizer sees her as joined.
    page.until(
        "Ana joined",
        "const p = [...document.querySelectorAll('.roster-person')].find((e) => e.textContent.includes('Ana Souza')); return p && p.dataset.state === 'joined';",
        vec![],
    )
    .await;
    assert_eq!(page.text("#roster-count").await, "1 of 2 joined");
    ana.close().await;
    page.close().await;
}

#[tokio::test]
async fn a_bad_roster_lists_its_rows_in_every_language_and_width() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Roster", "rooms": ["Norte", "Sur"]}))
        .await;
    let (status, _) = {
        let r = server
            .http
            .post(server.url(&format!("/api/workshops/{}/roster", w.id)))
            .bearer_auth(&w.organizer_token)
            .json(&json!({"table": CSV}))
            .send()
            .await
            .expect("request");
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 201);
    for lang in ["en", "es", "pt"] {
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            organizer_page(&page, &server, &w, lang).await;
            page.type_into(
                "#roster-table",
                "name,country,role\nAna,XX,delegate\n,BR,delegate\n",
            )
            .await;
            page.click("#roster-import").await;
            page.until(
                "the rows in error",
                "return document.querySelectorAll('#roster-errors li').length === 2;",
                vec![],
            )
            .await;
            let rows = page
                .js(
                    "return [...document.querySelectorAll('#roster-errors li')].map((e) => e.dataset.row + ':' + e.dataset.error);",
                    vec![],
                )
                .await;
            assert_eq!(rows, json!(["2:unknown_country", "3:missing_name"]));
            assert_eq!(
                page.js(
                    "return document.querySelectorAll('#roster-list .roster-person').length;",
                    vec![]
                )
                .await,
                2,
                "nothing added"
            );
            // The strings are translated (no key shows).
            let text = page.text("#roster").await;
            assert!(!text.contains("roster."), "{lang}: {text}");
            page.js(
                "document.querySelector('#roster-errors').scrollIntoView(); return true;",
                vec![],
            )
            .await;
            page.fits_the_width().await;
            page.accessible(&format!("roster errors {lang} {width}"))
                .await;
            page.screenshot(&format!("roster-errors-{lang}-{width}"))
                .await;
            page.close().await;
        }
    }
}
