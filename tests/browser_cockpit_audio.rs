//! The cockpit's room tiles show who is on audio, muted or speaking (issue #18), from the
//! server's real `audio_roster` frames: a real Janus and real headless Chromium pages (the
//! delegates' with a fake microphone), inside a network namespace of the test's own
//! (tests/common/janus.rs, as in tests/audio.rs).

#[path = "common/audio_page.rs"]
mod audio_page;
mod common;
#[path = "common/janus.rs"]
mod janus;

use audio_page::AudioPage;
use common::{move_to, TestServer, NO_RATE_LIMITS};
use janus::Janus;
use serde_json::{json, Value};

/// The audio state the cockpit `page` shows for `person` (`None`: no microphone shown).
const MIC: &str = "const li = document.querySelector(`#room-grid [data-person='${arguments[0]}']`); \
     const mic = li && li.querySelector('.mic'); return !!li && (mic ? mic.dataset.audio : 'none');";

async fn until_mic(page: &AudioPage, person: &str, state: &str) {
    page.until(
        &format!("{person} shown {state}"),
        &format!("return ((() => {{ {MIC} }})()) === arguments[1];"),
        vec![json!(person), json!(state)],
    )
    .await;
}

#[test]
fn the_tiles_show_who_is_on_audio_muted_or_speaking() {
    janus::in_netns(
        "the_tiles_show_who_is_on_audio_muted_or_speaking",
        || async {
            let janus = Janus::start().await;
            let url = janus.url();
            let mut flags: Vec<&str> = NO_RATE_LIMITS.to_vec();
            flags.extend(["--janus-url", &url, "--janus-admin-key", janus::ADMIN_KEY]);
            let server = TestServer::start_with(&flags).await;
            let w = server.workshop().await;
            let room = w.rooms[0].clone();
            let mut org = server.connect(&w.organizer_token).await;
            let speaker = server.delegate(&w, "Speaker", "AR").await;
            let quiet = server.delegate(&w, "Quiet", "BR").await;
            let away = server.delegate(&w, "Away", "CL").await;
            for d in [&speaker, &quiet, &away] {
                org.ok(move_to(&d.id, &room)).await;
            }
            let tone = janus.dir.path().join("tone.wav");
            let silence = janus.dir.path().join("silence.wav");
            audio_page::wav(&tone, 0.5, 10);
            audio_page::wav(&silence, 0.0, 2);
            let driver = audio_page::driver().await;

            // The facilitator's cockpit, before anyone is on audio: no microphone on the tiles.
            let fran = server.facilitator(&w, "Fran").await;
            let cockpit = driver.page(&silence).await;
            cockpit
                .open_as(
                    &server.url(""),
                    "/facilitator",
                    &w.id,
                    json!({"workshop": w.id, "token": fran.token, "participant": fran.id,
                    "role": "facilitator", "language": "en", "title": "Workshop"}),
                )
                .await;
            cockpit
            .until(
                "the cockpit connected",
                "return document.querySelector('#status').dataset.state === 'saved' && !!document.querySelector('#room-grid .tile h3');",
                vec![],
            )
            .await;
            until_mic(&cockpit, &speaker.id, "none").await;

            // The speaker talks (a tone), Quiet mutes, Away never joins audio.
            let mut pages = Vec::new();
            for (wav, who) in [(&tone, &speaker), (&silence, &quiet)] {
                let p = driver.page(wav).await;
                p.connect(&server.url(""), &server.ws_url(), &who.token)
                    .await;
                let answer = p.join(None).await;
                assert_eq!(
                    answer["type"], "audio_answer",
                    "{} joined: {answer}",
                    who.id
                );
                pages.push(p);
            }
            let q = &pages[1];
            let muted = q
                .send(json!({"type": "audio_mute", "id": "mute", "muted": true}))
                .await;
            assert_eq!(muted["type"], "ack", "{muted}");
            until_mic(&cockpit, &speaker.id, "speaking").await;
            until_mic(&cockpit, &quiet.id, "muted").await;
            // Said in words for screen readers, in the page's language.
            cockpit
                .wait_text(
                    &format!("[data-person='{}'] .mic .sr-only", quiet.id),
                    "on audio, muted",
                )
                .await;

            // Unmuted, Quiet is on audio (silent: not speaking).
            let unmuted = q
                .send(json!({"type": "audio_mute", "id": "unmute", "muted": false}))
                .await;
            assert_eq!(unmuted["type"], "ack", "{unmuted}");
            until_mic(&cockpit, &quiet.id, "connected").await;
            // Leaving audio takes the microphone off the tile; Away (an ordering barrier: the
            // roster that drops Quiet came after every earlier one) never had one.
            let left = q.send(json!({"type": "audio_leave", "id": "leave"})).await;
            assert_eq!(left["type"], "ack", "{left}");
            until_mic(&cockpit, &quiet.id, "none").await;
            let away_mic = cockpit
                .js(
                    &format!("return ((() => {{ {MIC} }})());"),
                    vec![json!(away.id)],
                )
                .await;
            assert_eq!(away_mic, Value::String("none".into()));
            pages.push(cockpit);
            for p in pages {
                let _ = p.client.close().await;
            }
        },
    );
}
