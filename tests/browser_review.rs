//! The review by delegations in real headless Chromium against the real server: a delegate
//! answers on a phone (320 px) for her country, with a reservation; the facilitator (1280
//! px) sees per conclusion which countries endorsed, reserved, commented or have not
//! answered, replies to the reservation, and closes the review. In en, es and pt, each
//! state checked with axe-core; screenshots go to `target/screenshots/review-*.png`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The review page of `w` as `who` (a stored session, as the join page leaves it), in `lang`.
async fn review_page(
    page: &Page,
    server: &TestServer,
    w: &Workshop,
    who: (&str, &str, &str),
    lang: &str,
) {
    let (participant, token, role) = who;
    page.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": token, "participant": participant,
        "role": role, "language": lang, "title": "Going Digital",
    });
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); localStorage.setItem('cabildo.last', arguments[0]); localStorage.setItem('cabildo.lang.chosen', arguments[2]); return true;",
        vec![json!(w.id), json!(session.to_string()), json!(lang)],
    )
    .await;
    page.goto(&server.url(&format!("/review?w={}&lang={lang}", w.id)))
        .await;
    page.until(
        "two conclusions under review",
        "return document.querySelectorAll('#rv-list .rv-item').length === 2;",
        vec![],
    )
    .await;
}

/// Texts of the `.rv-record` entries of the first conclusion, by class.
async fn first_record(page: &Page) -> Value {
    page.js(
        "const r = document.querySelector('.rv-item .rv-record'); \
         return Object.fromEntries([...r.children].map((li) => [li.className, li.textContent]));",
        vec![],
    )
    .await
}

#[tokio::test]
async fn a_delegate_answers_on_a_phone_and_the_facilitator_replies_and_closes() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "rooms": ["Norte", "Sur"]}))
        .await;
    let fac = server.facilitator(&w, "Fernanda").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let cho = server.delegate(&w, "Cho", "CL").await;
    let mut f = server.connect(&fac.token).await;
    f.ok(json!({"type": "move_participant", "participant": ana.id, "room": w.rooms[0]}))
        .await;
    let mut a = server.connect(&ana.token).await;
    a.ok(
        json!({"type": "post_card", "room": w.rooms[0], "column": "solutions",
        "text": "A regional fibre backbone"}),
    )
    .await;
    let card = a.event_of_type("card_posted").await["event"]["card"].clone();
    let mut ids = Vec::new();
    for (text, cards) in [
        ("Build a shared regional fibre backbone", json!([card])),
        ("Train civil servants in data skills", json!([])),
    ] {
        f.ok(
            json!({"type": "add_conclusion", "theme": "governance", "text": text, "cards": cards}),
        )
        .await;
        ids.push(f.event_of_type("conclusion_added").await["event"]["conclusion"].clone());
    }
    f.ok(json!({"type": "open_review", "deadline": now_ms() + 7 * 86_400_000, "rule": "all"}))
        .await;
    f.ok(
        json!({"type": "revise_conclusion", "conclusion": ids[1], "version": 1,
        "text": "Train all civil servants in data skills"}),
    )
    .await;
    let mut b = server.connect(&ben.token).await;
    b.ok(json!({"type": "answer_review", "conclusion": ids[0], "version": 1, "answer": "endorse"}))
        .await;
    let mut c = server.connect(&cho.token).await;
    c.ok(
        json!({"type": "answer_review", "conclusion": ids[0], "version": 1, "answer": "comment",
        "text": "Name the funding sources"}),
    )
    .await;

    // Ana, on her phone, reads the conclusion's support and answers with a reservation.
    let phone = driver.page(PHONE.0, PHONE.1).await;
    review_page(&phone, &server, &w, (&ana.id, &ana.token, "delegate"), "en").await;
    phone.wait_text("#rv-you", "You answer for Argentina").await;
    phone.wait_text(".rv-item .rv-support", "Norte").await;
    phone.click(".rv-item details summary").await;
    phone
        .wait_text(".rv-item .rv-cards", "A regional fibre backbone")
        .await;
    phone
        .wait_text(".rv-revised ins", "Train all civil servants")
        .await;
    phone
        .click(&format!(
            "input[data-key=\"kind-{}-reserve\"]",
            ids[0].as_str().unwrap_or_default()
        ))
        .await;
    let area = format!("#text-{}", ids[0].as_str().unwrap_or_default());
    phone.type_into(&area, "Only with public funding").await;
    phone
        .click(&format!(
            "button[data-key=\"send-{}\"]",
            ids[0].as_str().unwrap_or_default()
        ))
        .await;
    phone
        .wait_text(".rv-item .rv-mine", "endorsed with a reservation (Ana)")
        .await;
    // The stored reservation stays in the box, to amend rather than retype.
    let kept = phone
        .js(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(area)],
        )
        .await;
    assert_eq!(kept, json!("Only with public funding"));
    let record = first_record(&phone).await;
    assert!(
        record["reserved"]
            .as_str()
            .unwrap_or_default()
            .contains("Argentina"),
        "{record}"
    );
    assert!(
        record["endorsed"]
            .as_str()
            .unwrap_or_default()
            .contains("Brazil"),
        "{record}"
    );
    assert!(
        record["commented"]
            .as_str()
            .unwrap_or_default()
            .contains("Chile"),
        "{record}"
    );
    phone.fits_the_width().await;
    phone.accessible("review on a phone, en").await;
    phone.screenshot("review-delegate-en-320").await;
    phone
        .js("window.scrollTo(0, 0); return true;", vec![])
        .await;
    phone.screenshot("review-delegate-top-en-320").await;

    // The facilitator sees the record, replies to Argentina's reservation and closes.
    let laptop = driver.page(LAPTOP.0, LAPTOP.1).await;
    review_page(
        &laptop,
        &server,
        &w,
        (&fac.id, &fac.token, "facilitator"),
        "en",
    )
    .await;
    assert!(!laptop
        .js(
            "return document.querySelector('#rv-manage').hidden;",
            vec![]
        )
        .await
        .as_bool()
        .unwrap_or(true));
    let reply = format!("#reply-{}-AR", ids[0].as_str().unwrap_or_default());
    laptop.type_into(&reply, "The annex lists the funds").await;
    laptop
        .js(
            "document.querySelector(arguments[0]).form.requestSubmit(); return true;",
            vec![json!(reply)],
        )
        .await;
    laptop
        .wait_text(".rv-remarks .rv-reply", "The annex lists the funds")
        .await;
    // The delegate's page shows the reply too (a review event makes it read again).
    phone
        .wait_text(".rv-remarks .rv-reply", "The annex lists the funds")
        .await;
    laptop.accessible("review for staff, en").await;
    laptop.screenshot("review-facilitator-en-1280").await;
    // Every language, both widths, both sides: translated (no key shows), fits,
    // accessible. (English's phone delegate and laptop facilitator are the pages above.)
    for lang in ["en", "es", "pt"] {
        for ((width, height), who, role) in [
            (PHONE, (&ana.id, &ana.token), "delegate"),
            (LAPTOP, (&ana.id, &ana.token), "delegate"),
            (PHONE, (&fac.id, &fac.token), "facilitator"),
            (LAPTOP, (&fac.id, &fac.token), "facilitator"),
        ] {
            if lang == "en" && (role == "delegate") == (width == PHONE.0) {
                continue;
            }
            let page = driver.page(width, height).await;
            review_page(&page, &server, &w, (who.0, who.1, role), lang).await;
            let text = page.text("main").await;
            assert!(!text.contains("rv."), "{lang} {width}: {text}");
            page.fits_the_width().await;
            page.accessible(&format!("review {lang} {width}")).await;
            page.screenshot(&format!("review-{role}-{lang}-{width}"))
                .await;
            page.close().await;
        }
    }
    laptop.click("[data-key=\"rv-close\"]").await;
    laptop.click("[data-key=\"rv-close-yes\"]").await;
    laptop.wait_text("#rv-state", "Closed").await;
    phone.wait_text("#rv-state", "Closed").await;
    assert!(phone
        .js(
            "return document.querySelectorAll('.rv-answer fieldset').length === 0;",
            vec![]
        )
        .await
        .as_bool()
        .unwrap_or(false));
    laptop.accessible("review closed, en").await;
    laptop.screenshot("review-closed-en-1280").await;
    phone.accessible("review closed on a phone, en").await;
    phone.screenshot("review-delegate-closed-en-320").await;
    phone.close().await;

    // The projector shows the record under each conclusion.
    let link: Value = server
        .http
        .post(server.url(&format!("/api/workshops/{}/projector", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("projector link")
        .json()
        .await
        .expect("json");
    let url = link["url"].as_str().expect("url");
    laptop.goto(&server.url(&format!("{url}&lang=en"))).await;
    laptop.until(
        "the projector's deck",
        "return !!document.querySelector('#slide') && !document.querySelector('#deck-nav').hidden;",
        vec![],
    )
    .await;
    laptop
        .js(
            "dispatchEvent(new KeyboardEvent('keydown', { key: 'End' })); return true;",
            vec![],
        )
        .await;
    laptop
        .wait_text(
            ".proj-review .reserved",
            "Argentina: Only with public funding",
        )
        .await;
    laptop.wait_text(".proj-review .endorsed", "Brazil").await;
    laptop.accessible("projector with the review, en").await;
    laptop.screenshot("review-projector-en-1280").await;
    laptop.close().await;
}
