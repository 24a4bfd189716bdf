//! The cockpit: every room and help in the tab title in three languages, session-ending
//! actions that ask first, the language chosen in the header.

use super::*;

#[tokio::test]
async fn the_cockpit_shows_every_room_and_help_in_the_tab_title_in_three_languages() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let ana = server.delegate(&w, "Dora", "UY").await;
    org.ok(move_to(&ana.id, &w.rooms[0])).await;
    server
        .connect(&ana.token)
        .await
        .ok(json!({"type": "request_help", "text": "Our board froze"}))
        .await;
    let fran = server.facilitator(&w, "Fran").await;
    let words = |lang: &str| match lang {
        "es" => (
            "Se aplica a",
            "Ocultar el tablero",
            "Toda la sesión",
            "Conectados: 0 de 2",
        ),
        "pt" => (
            "Aplica-se a",
            "Ocultar o quadro",
            "Sessão inteira",
            "Conectados: 0 de 2",
        ),
        _ => (
            "Applies to",
            "Hide the board",
            "Whole session",
            "Online: 0 of 2",
        ),
    };
    for size in [LAPTOP, PHONE] {
        for lang in LANGS {
            let page = cockpit(&driver, &server, &w, &fran, lang, size).await;
            let (scope, board, session, online) = words(lang);
            page.wait_text("label[for=scope]", scope).await;
            page.wait_text(".danger-group legend", session).await;
            // Help: a badge on the room's tile, the count in the header and the tab title.
            page.wait_text(&format!("[data-room='{}'] .badge", w.rooms[0]), "1")
                .await;
            page.until(
                "the tab title counting the help request",
                "return document.title.startsWith('(1) Going Digital');",
                vec![],
            )
            .await;
            // The chime for new help requests is a toggle, kept in this browser.
            page.click("#chime").await;
            page.until(
        "the chime on",
        "return document.querySelector('#chime').getAttribute('aria-pressed') === 'true' && localStorage.getItem('cabildo.chime') === 'on';",
        vec![],
    )
    .await;
            // Who is online, in the reader's language ("online" was English in pt).
            page.wait_text(&format!("[data-room='{}'] .hint", w.rooms[0]), online)
                .await;
            // Every room's card counts per column, facilitators marked as such.
            page.wait_text(&format!("[data-room='{}'] .counts", w.rooms[0]), "2")
                .await;
            // The room's board, as its delegates see it, opened in its tile.
            page.click(&format!("[data-key='bd-{}']", w.rooms[0])).await;
            page.wait_text(&format!("#board-{}", w.rooms[0]), "Open data portal")
                .await;
            page.wait_text(&format!("[data-key='bd-{}']", w.rooms[0]), board)
                .await;
            let (width, _) = size;
            let shot = format!("cockpit-{lang}-{width}");
            page.screenshot(&shot).await;
            if width < 1280 {
                // Opening the board scrolled the phone to it: the header and the tabs too.
                page.js("window.scrollTo(0, 0); return true;", vec![]).await;
                page.screenshot(&format!("cockpit-top-{lang}-{width}"))
                    .await;
            }
            page.accessible(&shot).await;
            page.fits_the_width().await;
            // The consolidation workspace, filtered to one room, most voted first.
            page.select("#f-room", &w.rooms[0]).await;
            page.until(
                "the cards of room 1 only, most voted first",
                "const c = [...document.querySelectorAll('#cons [data-card]')].map((e) => e.dataset.card); return c.length === 3 && c[0] === arguments[0] && c;",
                vec![json!(cards[1])],
            )
            .await;
            page.client
                .execute(
                    "document.querySelector('#consolidate').scrollIntoView();",
                    vec![],
                )
                .await
                .expect("scroll");
            let shot = format!("cockpit-consolidation-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }
}

#[tokio::test]
async fn session_ending_actions_ask_first_and_grouping_is_apart_from_citing() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;

    // Defect 10: cards selected to group are not cited by the next conclusion.
    page.click(&format!("#pick-{}", cards[0])).await;
    page.click(&format!("#pick-{}", cards[1])).await;
    page.wait_text("#g-picked", "2 cards selected to group")
        .await;
    page.type_into("#g-name", "Identity").await;
    page.click("#g-form button[type=submit]").await;
    let grouped = org.event_of_type("group_created").await;
    assert_eq!(grouped["event"]["cards"], json!([cards[0], cards[1]]));
    page.wait_text("#g-picked", "Select cards with").await;
    page.click(&format!("#cite-{}", cards[3])).await;
    page.wait_text("#k-cites", "Citing 1 card from: Room 2")
        .await;
    page.wait_text("#k-live", "Cited cards by room").await;
    page.type_into("#k-text", "Registries must talk to each other.")
        .await;
    page.click("#k-form button[type=submit]").await;
    loop {
        let added = org.event_of_type("conclusion_added").await;
        if added["event"]["text"] == "Registries must talk to each other." {
            assert_eq!(
                added["event"]["cards"],
                json!([cards[3]]),
                "only the cited card"
            );
            break;
        }
    }

    // The projector opens from the cockpit, in a new tab, with a link of its own.
    page.click("#projector-open").await;
    page.wait_text("#notices", "The projector opened in a new tab")
        .await;
    let windows = page.client.windows().await.expect("windows");
    assert_eq!(windows.len(), 2, "a new tab");
    let cockpit_window = page.client.window().await.expect("this window");
    let other = windows
        .into_iter()
        .find(|w| *w != cockpit_window)
        .expect("the projector's tab");
    page.client.switch_to_window(other).await.expect("switch");
    page.wait_text("#where", "Room 1 of 4").await;
    let url = page.client.current_url().await.expect("url").to_string();
    assert!(url.contains("/projector#w="), "{url}");
    page.client.close_window().await.expect("close the tab");
    page.client
        .switch_to_window(cockpit_window)
        .await
        .expect("back");

    // The scope is chosen once: a timer for room 1 only.
    page.select("#scope", &w.rooms[0]).await;
    page.click("#timer-form button[type=submit]").await;
    let timer = org.event_of_type("timer_started").await;
    assert_eq!(timer["event"]["room"], w.rooms[0]);

    // Defect 2: ending actions look dangerous and ask first; "No" sends nothing.
    for button in ["#back", "#close-ws"] {
        let class = page
            .js(
                "return document.querySelector(arguments[0]).className;",
                vec![json!(button)],
            )
            .await;
        assert_eq!(class, "danger", "{button} looks dangerous");
    }
    page.click("#close-ws").await;
    assert_eq!(asked(&page).await, "Close the session?");
    page.screenshot("cockpit-asks-before-closing-en-1280").await;
    page.accessible("the closing question").await;
    page.click("dialog.confirm [data-answer=no]").await;
    page.click("#back").await;
    assert_eq!(asked(&page).await, "Send everyone back to the lobby?");
    page.click("dialog.confirm [data-answer=no]").await;
    // Closing a room's board asks too.
    page.click(&format!("[data-key='oc-{}']", w.rooms[1])).await;
    asked(&page).await;
    page.click("dialog.confirm [data-answer=no]").await;
    // An ordering barrier: a message sent after the answers "No" arrives, and nothing was
    // closed or moved before it.
    page.type_into("#b-text", "Ten more minutes").await;
    page.click("#broadcast-form button[type=submit]").await;
    loop {
        let e = org.next_event().await;
        let kind = e["event"]["type"].as_str().unwrap_or_default().to_string();
        assert!(
            !["workshop_closed", "returned_to_lobby", "room_closed"].contains(&kind.as_str()),
            "{kind} was sent although the answer was No"
        );
        if kind == "broadcast_sent" {
            break;
        }
    }
    // "Yes" closes.
    page.click("#close-ws").await;
    asked(&page).await;
    page.click("dialog.confirm [data-answer=yes]").await;
    org.event_of_type("workshop_closed").await;
    page.wait_text("#notices", "closed").await;
    page.close().await;
}

#[tokio::test]
async fn a_language_chosen_in_the_header_redraws_the_tiles_in_it() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, _org, _cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    let tile = format!("[data-room='{}']", w.rooms[0]);
    page.wait_text(&format!("{tile} .hint"), "Online: 0 of 1")
        .await;
    page.select("#lang", "es").await;
    // The page's strings and the cockpit's own (loaded after them) both reach the tiles.
    page.wait_text(&format!("{tile} .pill"), "Consolidar").await;
    page.wait_text(&format!("{tile} .hint"), "Conectados: 0 de 1")
        .await;
    page.wait_text(&format!("[data-key='bd-{}']", w.rooms[0]), "Ver el tablero")
        .await;
    page.close().await;
}
