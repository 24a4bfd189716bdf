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
    // The projector opens from here too, in a new tab.
    page.wait_text("#projector-open", "Open the projector")
        .await;
    page.click("#projector-open").await;
    page.wait_text("#notices", "The projector opened in a new tab.")
        .await;
    assert_eq!(page.client.windows().await.expect("windows").len(), 2);
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

/// The organizer's own session token, as the page stored it.
async fn organizer_token(page: &browser::Page) -> String {
    page.js(
        "const k = Object.keys(localStorage).find((k) => k.startsWith('cabildo.session.')); return JSON.parse(localStorage.getItem(k)).token;",
        vec![],
    )
    .await
    .as_str()
    .expect("a token")
    .to_string()
}

/// The `field` of each object in `list`.
fn names(list: &serde_json::Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .filter_map(|x| x[field].as_str().map(str::to_string))
        .collect()
}

/// Creating a workshop asks for the title, the language and the number of rooms; every
/// other field the API takes waits, with its default, under "More options" (folded). In
/// en, es and pt at 1280 and 320 px; then two workshops are made, checked on the server.
#[tokio::test]
async fn creating_a_workshop_takes_a_title_a_language_and_a_number_of_rooms() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    for lang in ["en", "es", "pt"] {
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            page.goto(&server.url(&format!("/organizer?lang={lang}")))
                .await;
            page.until("the form translated", "return document.querySelector('#room-count') && document.documentElement.lang === arguments[0] && document.querySelector('#rooms').value;", vec![json!(lang)]).await;
            let shown = page
                .js(
                    "return [...document.querySelectorAll('#create input, #create select, #create textarea')].filter((e) => e.checkVisibility()).map((e) => e.id);",
                    vec![],
                )
                .await;
            assert_eq!(
                shown,
                json!(["admin", "title", "language", "room-count"]),
                "{lang}"
            );
            page.fits_the_width().await;
            page.accessible("the create form").await;
            page.screenshot(&format!("organizer-create-{width}px-{lang}"))
                .await;
            page.click("#more-options summary").await;
            let more = page
                .js(
                    "return [...document.querySelectorAll('#more-options input, #more-options select, #more-options textarea')].filter((e) => e.checkVisibility()).map((e) => e.id);",
                    vec![],
                )
                .await;
            assert_eq!(
                more,
                json!([
                    "lg-en",
                    "lg-es",
                    "lg-pt",
                    "rooms",
                    "columns",
                    "themes",
                    "budget",
                    "per-card",
                    "visibility",
                    "can-group"
                ]),
                "{lang}"
            );
            page.fits_the_width().await;
            page.accessible("the create form's options").await;
            page.screenshot(&format!("organizer-create-more-{width}px-{lang}"))
                .await;
            page.close().await;
        }
    }

    // Title, language, six rooms, and go: defaults for the rest.
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url("/organizer?lang=en")).await;
    page.type_into("#admin", ADMIN_TOKEN).await;
    page.type_into("#title", "Going Digital").await;
    page.select("#language", "es").await;
    page.type_into("#room-count", "6").await;
    page.click("#create-button").await;
    page.wait_text("#ws-title", "Going Digital").await;
    let snapshot = server.connect(&organizer_token(&page).await).await.welcome["snapshot"].clone();
    assert_eq!(snapshot["workshop"]["language"], "es");
    assert_eq!(snapshot["workshop"]["languages"], json!(["en", "es", "pt"]));
    assert_eq!(snapshot["workshop"]["votes_per_participant"], 5);
    assert_eq!(
        names(&snapshot["rooms"], "name"),
        ["Room 1", "Room 2", "Room 3", "Room 4", "Room 5", "Room 6"]
    );
    page.close().await;

    // Under "More options": languages offered, room names (their number follows), columns.
    let page = driver.page(PHONE.0, PHONE.1).await;
    page.goto(&server.url("/organizer?lang=pt")).await;
    page.type_into("#admin", ADMIN_TOKEN).await;
    page.type_into("#title", "Governo digital").await;
    page.select("#language", "pt").await;
    page.click("#more-options summary").await;
    page.click("#lg-es").await;
    page.type_into("#rooms", "Norte\nSul\nCentro").await;
    assert_eq!(
        page.js(
            "return document.querySelector('#room-count').value;",
            vec![]
        )
        .await,
        "3"
    );
    page.type_into("#columns", "Forças\nIdeias").await;
    page.click("#create-button").await;
    page.wait_text("#ws-title", "Governo digital").await;
    let snapshot = server.connect(&organizer_token(&page).await).await.welcome["snapshot"].clone();
    assert_eq!(snapshot["workshop"]["languages"], json!(["en", "pt"]));
    assert_eq!(
        names(&snapshot["rooms"], "name"),
        ["Norte", "Sul", "Centro"]
    );
    assert_eq!(
        names(&snapshot["workshop"]["columns"], "title"),
        ["Forças", "Ideias"]
    );
    page.close().await;
}

#[tokio::test]
async fn pages_preload_their_modules_and_translation_and_the_favicon_is_served() {
    let server = TestServer::start().await;
    let mut versions = std::collections::BTreeSet::new();
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
        let html = r.text().await.expect("html");
        // Every address of the page is under one version (a hash of the web files), and
        // the translation preloaded is under it too.
        let version = html
            .split("\"/static/v/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .expect("a versioned address")
            .to_string();
        assert_eq!(
            html.matches("\"/static/").count(),
            html.matches("\"/static/v/").count(),
            "{page}: an address without the version"
        );
        assert_eq!(
            html.matches("\"/static/v/").count(),
            html.matches(&format!("\"/static/v/{version}/")).count(),
            "{page}: two versions"
        );
        assert!(
            link.contains(&format!(
                "</static/v/{version}/i18n/pt.json>; rel=preload; as=fetch"
            )),
            "{address}: {link}"
        );
        versions.insert(version.clone());
        // Every module the page imports, transitively, is preloaded.
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/js");
        let main = html
            .split(&format!(
                "<script type=\"module\" src=\"/static/v/{version}/js/"
            ))
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
            // Imports are relative to the importing module's folder (js/ or js/cockpit/).
            let folder = m.rsplit_once('/').map_or("", |(dir, _)| dir);
            for (prefix, up) in [("from './", false), ("from '../", true)] {
                for part in text.split(prefix).skip(1) {
                    let name = part.split('\'').next().expect("a name");
                    let base = if up { "" } else { folder };
                    todo.push(if base.is_empty() {
                        name.to_string()
                    } else {
                        format!("{base}/{name}")
                    });
                }
            }
        }
        for m in seen {
            assert!(
                html.contains(&format!(
                    "<link rel=\"modulepreload\" href=\"/static/v/{version}/js/{m}\">"
                )),
                "{page} does not preload {m}"
            );
        }
    }
    // Versioned files are kept a year without asking again; the same file at its plain
    // address, or under a version that is not this build's, is revalidated.
    assert_eq!(versions.len(), 1, "{versions:?}");
    let version = versions.pop_first().expect("a version");
    for (path, cache) in [
        (
            format!("/static/v/{version}/js/conn.js"),
            "public, max-age=31536000, immutable",
        ),
        ("/static/js/conn.js".to_string(), "no-cache"),
        ("/static/v/0123456789ab/js/conn.js".to_string(), "no-cache"),
    ] {
        let r = server
            .http
            .get(server.url(&path))
            .send()
            .await
            .expect("file");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], cache, "{path}");
        assert!(r.text().await.expect("body").contains("last_seq"), "{path}");
    }
    let missing = server
        .http
        .get(server.url(&format!("/static/v/{version}/js/nothing.js")))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
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
        .contains(&format!("/static/v/{version}/i18n/es.json")));
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

/// `GET /api/admin/workshops` (no browser): newest first, counts of what is not removed,
/// the join codes; no token is 401, another token 403.
#[tokio::test]
async fn the_admin_list_counts_each_workshop_and_needs_the_admin_token() {
    let server = TestServer::start().await;
    let old = server.create_workshop(json!({"title": "First"})).await;
    let w = server
        .create_workshop(json!({"title": "Second", "rooms": ["North", "South"]}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    server.delegate(&w, "Bruno", "BR").await;
    let carla = server.delegate(&w, "Carla", "AR").await;
    server.facilitator(&w, "Fran").await;
    org.ok(json!({"type": "remove_participant", "participant": carla.id}))
        .await;
    org.ok(json!({"type": "move_participant", "participant": ana.id, "room": w.rooms[0]}))
        .await;
    posted(&mut org, &w.rooms[0], "One national digital ID").await;
    org.ok(json!({"type": "close_workshop"})).await;

    let list = |token: Option<&str>| {
        let mut rq = server.http.get(server.url("/api/admin/workshops"));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        rq.send()
    };
    let r = list(Some(ADMIN_TOKEN)).await.expect("list");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    // Newest first (two workshops made in the same millisecond may come in either order).
    assert_eq!(body.as_array().expect("a list").len(), 2);
    assert!(body[0]["created"].as_i64() >= body[1]["created"].as_i64());
    let e = body
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["id"] == w.id.as_str())
        .expect("the second workshop");
    let first = body
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["id"] == old.id.as_str())
        .expect("the first workshop");
    assert_eq!(first["title"], "First");
    assert_eq!(first["closed"], false);
    assert_eq!(e["id"], w.id.as_str());
    assert_eq!(e["closed"], true);
    assert_eq!(e["delegates"], 2, "the removed one is not counted: {e}");
    assert_eq!(e["facilitators"], 1);
    assert_eq!(e["countries"], 2);
    assert_eq!(e["rooms"], 2);
    assert_eq!(e["cards"], 1);
    assert_eq!(e["conclusions"], 0);
    assert_eq!(e["delegate_code"], w.delegate_code.as_str());
    assert_eq!(e["facilitator_code"], w.facilitator_code.as_str());
    assert!(e["created"].as_i64().expect("created") > 0);
    assert!(
        !body.to_string().contains(&w.organizer_token),
        "organizer tokens are not listed"
    );

    assert_eq!(list(None).await.expect("list").status(), 401);
    assert_eq!(
        list(Some(&w.organizer_token)).await.expect("list").status(),
        403
    );
}
