//! National briefs on the organizer's page, in real headless Chromium against the real
//! server: one button per country of the delegates who joined and a ZIP of all, both
//! downloading the file the export endpoint names; in en, es and pt at 1280 and 320 px,
//! checked with axe-core. Screenshots: `target/screenshots/briefs-*.png`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::json;

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

/// The organizer's page of `w` in `lang`, scrolled to the briefs once their buttons show.
async fn organizer_page(page: &Page, server: &TestServer, w: &Workshop, lang: &str) {
    page.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": w.organizer_token, "participant": w.json["organizer_id"],
        "role": "organizer", "language": lang, "title": "Briefs",
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
        "a brief button per country",
        "return document.querySelectorAll('#brief-list button[data-country]').length === 2;",
        vec![],
    )
    .await;
    page.js(
        "document.querySelector('#briefs').scrollIntoView(); return true;",
        vec![],
    )
    .await;
}

#[tokio::test]
async fn the_organizer_downloads_a_countrys_brief_and_the_zip_of_all() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Briefs", "rooms": ["Norte", "Sur"]}))
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let _bia = server.delegate(&w, "Bia", "BR").await;
    a.ok(post_card(&w.rooms[0], "strengths", "Open data by default"))
        .await;

    for lang in ["en", "es", "pt"] {
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            organizer_page(&page, &server, &w, lang).await;
            let countries: Vec<String> = page
                .js(
                    "return [...document.querySelectorAll('#brief-list button')].map((b) => b.dataset.country);",
                    vec![],
                )
                .await
                .as_array()
                .expect("buttons")
                .iter()
                .map(|c| c.as_str().expect("code").to_string())
                .collect();
            assert_eq!(countries, ["AR", "BR"]);
            let label = page.text("#brief-list button[data-country=AR]").await;
            let expected = match lang {
                "es" => "Informe de Argentina",
                "pt" => "Relatório: Argentina",
                _ => "Argentina's brief",
            };
            assert_eq!(label, expected);
            page.fits_the_width().await;
            page.accessible(&format!("briefs {lang} {width}")).await;
            page.screenshot(&format!("briefs-{lang}-{width}")).await;
            page.close().await;
        }
    }

    // One country's brief, in the chosen format, then every country's in one ZIP.
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    organizer_page(&page, &server, &w, "en").await;
    page.select("#brief-format", "md").await;
    page.click("#brief-list button[data-country=AR]").await;
    let name = page
        .until(
            "the AR brief downloaded",
            "const n = document.querySelector('#briefs').dataset.downloaded; return n && n.startsWith('AR-') ? n : null;",
            vec![],
        )
        .await;
    assert!(
        name.as_str()
            .is_some_and(|n| n.starts_with("AR-briefs-") && n.ends_with(".md")),
        "{name}"
    );
    page.click("#briefs-zip").await;
    let name = page
        .until(
            "the ZIP downloaded",
            "const n = document.querySelector('#briefs').dataset.downloaded; return n && n.endsWith('.zip') ? n : null;",
            vec![],
        )
        .await;
    assert!(
        name.as_str()
            .is_some_and(|n| n.starts_with("briefs-briefs-")),
        "{name}"
    );
    page.close().await;
}
