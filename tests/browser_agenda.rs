//! The agenda in real headless Chromium against the real server: the facilitator takes the
//! reference agenda as a template in the cockpit, adds a segment, moves it up, and runs
//! the agenda with "Next segment"; the delegate's strip follows (the segment now, its time
//! left, what comes next) and the cockpit says how far behind the plan the workshop is.
//! The organizer deletes a saved template from the cockpit.
//! Screenshots at 1280 and 320 px in en, es and pt go to `target/screenshots/agenda-*.png`;
//! each state is checked with axe-core.

#[path = "common/board.rs"]
#[allow(dead_code)]
mod board;
#[path = "common/browser.rs"]
mod browser;
mod common;

use board::{board_of, saved};
use browser::{driver, Page};
use common::*;
use serde_json::json;

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

/// The cockpit of staff member `m` in `lang`, with the agenda panel drawn.
async fn cockpit(page: &Page, server: &TestServer, w: &Workshop, m: &Member, lang: &str) {
    page.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": m.token, "participant": m.id,
        "role": m.role, "language": lang, "title": "Going Digital",
    });
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); localStorage.setItem('cabildo.lang', arguments[2]); return true;",
        vec![json!(w.id), json!(session.to_string()), json!(lang)],
    )
    .await;
    page.goto(&server.url(&format!("/facilitator?w={}&lang={lang}", w.id)))
        .await;
    saved(page).await;
    page.until(
        "the agenda panel",
        "return !!document.querySelector('#agenda #ag-form');",
        vec![],
    )
    .await;
}

/// The titles of the cockpit's agenda list, in order.
async fn titles(page: &Page) -> serde_json::Value {
    page.js(
        "return [...document.querySelectorAll('#ag-list > li > span:first-child')].map((e) => e.textContent);",
        vec![],
    )
    .await
}

/// A server, a workshop, its facilitator Fran, Ana (a delegate, in room 1) and the
/// organizer's connection.
async fn workshop() -> (TestServer, Workshop, Member, Member, TestClient) {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fran").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(move_to(&ana.id, &w.rooms[0])).await;
    (server, w, fac, ana, org)
}

#[tokio::test]
async fn the_facilitator_plans_and_runs_the_agenda_and_the_delegate_follows() {
    let Some(driver) = driver().await else { return };
    let (server, w, fac, ana, _org) = workshop().await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    cockpit(&page, &server, &w, &fac, "en").await;
    page.wait_text("#agenda", "No agenda yet").await;

    // The reference agenda from the built-in template, then one more segment, moved up.
    page.click("#ag-use").await;
    page.until(
        "seven segments",
        "return document.querySelectorAll('#ag-list > li').length === 7;",
        vec![],
    )
    .await;
    page.js(
        "document.querySelector('#agenda details.agenda-add').open = true; return true;",
        vec![],
    )
    .await;
    page.type_into("#ag-title", "Coffee break").await;
    page.type_into("#ag-minutes", "10").await;
    page.click("#ag-form button[type=submit]").await;
    page.until(
        "eight segments",
        "return document.querySelectorAll('#ag-list > li').length === 8;",
        vec![],
    )
    .await;
    page.click("#ag-list > li:last-child [data-key^=up-]").await;
    page.until(
        "the break before the last segment",
        "const t = [...document.querySelectorAll('#ag-list > li > span:first-child')].map((e) => e.textContent); return t[6] === 'Coffee break';",
        vec![],
    )
    .await;

    // Ana's board shows the agenda, not started yet.
    let board = driver.page(PHONE.0, PHONE.1).await;
    board_of(&board, &server, &w, &ana, "en").await;
    board.wait_text("#agenda-strip", "has not started").await;

    // Next: the welcome, in the plenary: Ana goes to the lobby, her strip says so.
    page.click("#ag-next").await;
    page.wait_text("#ag-head", "Now: Welcome and opening remarks")
        .await;
    page.wait_text("#ag-late", "On time").await;
    board
        .wait_text("#agenda-strip", "Welcome and opening remarks")
        .await;
    board.wait_text("#agenda-strip", "left").await;
    board.wait_text("#agenda-strip", "Next: Presentation").await;
    // Skip the presentation; next: the hidden brainstorm in the rooms: Ana is back in
    // her room, in a hidden brainstorm.
    page.click("#ag-skip").await;
    page.wait_text("#ag-next", "Breakout").await;
    page.click("#ag-next").await;
    board
        .wait_text("#agenda-strip", "Breakout: strengths")
        .await;
    board
        .until(
            "Ana back in her room",
            "return !!document.querySelector('#col-strengths');",
            vec![],
        )
        .await;
    assert_eq!(
        titles(&page).await[1],
        "Presentation: Going Digital, the review of digital government"
    );
    page.wait_text("#ag-list", "skipped").await;
    page.click("#ag-extend").await;
    page.wait_text("#ag-list", "extended by 5 min").await;
    page.accessible("agenda running en 1280").await;
    page.screenshot("agenda-cockpit-en-1280").await;
    board.fits_the_width().await;
    board.accessible("agenda strip en 320").await;
    board.screenshot("agenda-strip-en-320").await;
    board.close().await;
    page.close().await;
}

/// The agenda started 20 minutes ago with a 15-minute welcome: "+5 min behind plan" in the
/// cockpit, the strip over its time, in every language and width.
#[tokio::test]
async fn running_late_shows_in_every_language_and_width() {
    let Some(driver) = driver().await else { return };
    let (server, w, fac, ana, mut org) = workshop().await;
    let segments = json!([
        {"title": "Welcome", "where": "plenary", "minutes": 15, "message": "Welcome"},
        {"title": "Breakout", "where": "rooms", "phase": "brainstorm", "hidden": true, "minutes": 10},
        {"title": "Report-back", "where": "plenary"}
    ]);
    org.ok(json!({"type": "set_agenda", "version": 0, "segments": segments}))
        .await;
    org.ok(json!({"type": "next_segment", "version": 1})).await;
    // Pushing the whole plan 20 minutes into the past is not a command: the browser's
    // clock is set (and held) 20 minutes after the welcome started instead.
    let started = server.connect(&w.organizer_token).await.welcome["snapshot"]["agenda"]
        ["segments"][0]["started_at"]
        .clone();
    let later = "const t = arguments[0] + 20 * 60000; Date.now = () => t; return true;";
    for lang in ["en", "es", "pt"] {
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            cockpit(&page, &server, &w, &fac, lang).await;
            page.js(later, vec![started.clone()]).await;
            page.until(
                "five minutes late",
                "const e = document.querySelector('#ag-late'); return e && e.classList.contains('late') && e.textContent.includes('+5 min');",
                vec![],
            )
            .await;
            page.wait_text("#ag-left", "5:00").await;
            let text = page.text("#agenda").await;
            assert!(
                !text.contains("status.") && !text.contains("where."),
                "{lang}: {text}"
            );
            page.fits_the_width().await;
            page.accessible(&format!("agenda late {lang} {width}"))
                .await;
            page.screenshot(&format!("agenda-late-{lang}-{width}"))
                .await;
            page.close().await;

            let board = driver.page(width, height).await;
            board_of(&board, &server, &w, &ana, lang).await;
            board.js(later, vec![started.clone()]).await;
            board.wait_text("#agenda-strip .agenda-left", "5:00").await;
            // The segment's broadcast names its sender in the reader's language
            // (Portuguese contracts "de a" to "da").
            let from = match lang {
                "es" => "de la organización a las ",
                "pt" => "da organização às ",
                _ => "from the organizer at ",
            };
            board.wait_text(".notice.broadcast .when", from).await;
            let strip = board.text("#agenda-strip").await;
            assert!(
                strip.contains("Welcome") && strip.contains("Breakout"),
                "{lang}: {strip}"
            );
            board.fits_the_width().await;
            // The board follows the banner under the strip, however tall the side panels.
            let gap = board
                .js(
                    "return document.querySelector('#board').getBoundingClientRect().top \
                     - document.querySelector('#phase-banner').getBoundingClientRect().bottom;",
                    vec![],
                )
                .await;
            assert!(
                gap.as_f64().is_some_and(|g| (0.0..=24.0).contains(&g)),
                "{lang} {width}: {gap} px between the banner and the board"
            );
            board
                .accessible(&format!("agenda strip {lang} {width}"))
                .await;
            board
                .screenshot(&format!("agenda-strip-{lang}-{width}"))
                .await;
            board.close().await;
        }
    }
}

/// The organizer deletes a saved template from the cockpit's template list, after
/// confirming; the built-in template offers no delete button and a facilitator sees none.
/// Screenshots `agenda-template-delete-{1280,320}` (the list) and
/// `agenda-template-confirm-{1280,320}` (the confirmation).
#[tokio::test]
async fn the_organizer_deletes_a_saved_template_from_the_cockpit() {
    let Some(driver) = driver().await else { return };
    let (server, w, fac, _ana, _org) = workshop().await;
    let url = server.url(&format!("/api/workshops/{}/agenda-templates", w.id));
    let save = || async {
        let body = json!({"name": "Our plan", "segments": [{"title": "Welcome", "minutes": 10}]});
        let r = server
            .http
            .post(&url)
            .bearer_auth(&w.organizer_token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 201);
    };
    save().await;
    let options =
        "return document.querySelectorAll('#ag-template option').length === arguments[0];";

    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    cockpit(&page, &server, &w, &fac, "en").await;
    page.until("both templates", options, vec![json!(2)]).await;
    page.select("#ag-template", "1").await;
    let none = page
        .js("return !document.querySelector('#ag-delete');", vec![])
        .await;
    assert_eq!(none, json!(true), "a facilitator was offered to delete");
    page.close().await;

    let organizer = Member {
        id: w.json["organizer_id"]
            .as_str()
            .expect("organizer id")
            .into(),
        token: w.organizer_token.clone(),
        role: "organizer".into(),
    };
    for (width, height) in [LAPTOP, PHONE] {
        let page = driver.page(width, height).await;
        cockpit(&page, &server, &w, &organizer, "en").await;
        page.until("both templates", options, vec![json!(2)]).await;
        page.until(
            "no delete button for the built-in template",
            "const b = document.querySelector('#ag-delete'); return !!b && b.hidden;",
            vec![],
        )
        .await;
        page.select("#ag-template", "1").await;
        page.until(
            "the delete button",
            "return !document.querySelector('#ag-delete').hidden;",
            vec![],
        )
        .await;
        page.fits_the_width().await;
        page.accessible(&format!("agenda templates {width}")).await;
        page.screenshot(&format!("agenda-template-delete-{width}"))
            .await;
        page.click("#ag-delete").await;
        page.wait_text("dialog.confirm[open]", "Delete the template “Our plan”?")
            .await;
        page.accessible(&format!("agenda template confirm {width}"))
            .await;
        page.screenshot(&format!("agenda-template-confirm-{width}"))
            .await;
        page.click("dialog.confirm [data-answer=yes]").await;
        page.wait_text("#ag-tpl-status", "Template “Our plan” deleted.")
            .await;
        page.until("the built-in template alone", options, vec![json!(1)])
            .await;
        let r = server
            .http
            .get(&url)
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("request");
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["templates"].as_array().map(Vec::len), Some(1), "{v}");
        page.close().await;
        save().await;
    }
}
