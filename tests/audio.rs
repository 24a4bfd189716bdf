//! Voice in every room (issue 18): a real Janus and real headless Chromium pages with fake
//! microphones, all inside a network namespace the test makes (loopback only).
//!
//! What a page hears is measured with `getStats()` (inbound-rtp `totalAudioEnergy` over
//! `totalSamplesDuration`); the speaker's microphone plays a 440 Hz tone, listeners' play
//! silence.

mod common;
#[path = "common/janus.rs"]
mod janus;

use common::{move_to, TestServer, NO_RATE_LIMITS};
use janus::{AudioPage, Janus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

async fn server_with(janus: &Janus) -> TestServer {
    let url = janus.url();
    let mut flags: Vec<&str> = NO_RATE_LIMITS.to_vec();
    flags.extend(["--janus-url", &url, "--janus-admin-key", janus::ADMIN_KEY]);
    TestServer::start_with(&flags).await
}

/// `GET /api/workshops/{id}/audio` with `token`: status and body.
async fn audio_rooms(server: &TestServer, workshop: &str, token: &str) -> (u16, Value) {
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{workshop}/audio")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Who Janus has where: room (`lobby` or id) → sorted participant ids.
fn by_room(body: &Value) -> BTreeMap<String, Vec<String>> {
    body["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| {
            let mut ps: Vec<String> = r["participants"]
                .as_array()
                .expect("participants")
                .iter()
                .map(|p| p.as_str().expect("id").to_string())
                .collect();
            ps.sort();
            (r["room"].as_str().expect("room").to_string(), ps)
        })
        .collect()
}

/// Polls `GET …/audio` until Janus reports exactly `expected` (rooms not named: empty).
async fn until_janus_has(
    server: &TestServer,
    workshop: &str,
    token: &str,
    expected: &[(&str, Vec<&str>)],
) {
    let deadline = tokio::time::Instant::now() + janus::WAIT;
    loop {
        let (status, body) = audio_rooms(server, workshop, token).await;
        if status == 200 {
            let got = by_room(&body);
            let matches = got.iter().all(|(room, ps)| {
                let want: Vec<String> = expected
                    .iter()
                    .find(|(r, _)| r == room)
                    .map(|(_, ps)| {
                        let mut v: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
                        v.sort();
                        v
                    })
                    .unwrap_or_default();
                *ps == want
            }) && expected.iter().all(|(r, _)| got.contains_key(*r));
            if matches {
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Janus never reported {expected:?}; last: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn page(
    driver: &janus::Driver,
    server: &TestServer,
    wav: &std::path::Path,
    token: &str,
) -> AudioPage {
    let p = driver.page(wav).await;
    p.connect(&server.url(""), &server.ws_url(), token).await;
    p
}

async fn joined(p: &AudioPage, room: Option<&str>) {
    let answer = p.join(room).await;
    assert_eq!(answer["type"], "audio_answer", "{answer}");
}

/// Waits until the page's connection is closed, or its audio plays nothing or silence.
async fn until_audio_ends(p: &AudioPage, what: &str) {
    let deadline = tokio::time::Instant::now() + janus::WAIT;
    loop {
        match p.loudness(Duration::from_millis(1500)).await {
            None => return,
            Some(l) if l < janus::SILENT => return,
            Some(_) => {}
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "audio never ended: {what}"
        );
    }
}

#[test]
fn voices_follow_the_people_between_rooms() {
    janus::in_netns("voices_follow_the_people_between_rooms", || async {
        let janus = Janus::start().await;
        let server = server_with(&janus).await;
        let w = server.workshop().await;
        let (room1, room2) = (w.rooms[0].clone(), w.rooms[1].clone());
        let (_fac, mut f) = common::staff(&server, &w).await;
        let speaker = server.delegate(&w, "Speaker", "AR").await;
        let near = server.delegate(&w, "Near", "BR").await;
        let far = server.delegate(&w, "Far", "CL").await;
        f.ok(move_to(&speaker.id, &room1)).await;
        f.ok(move_to(&near.id, &room1)).await;
        f.ok(move_to(&far.id, &room2)).await;

        let tone = janus.dir.path().join("tone.wav");
        let silence = janus.dir.path().join("silence.wav");
        janus::wav(&tone, 0.5, 10);
        janus::wav(&silence, 0.0, 2);
        let driver = janus::driver().await;
        let s = page(&driver, &server, &tone, &speaker.token).await;
        let n = page(&driver, &server, &silence, &near.token).await;
        let x = page(&driver, &server, &silence, &far.token).await;
        joined(&s, None).await;
        joined(&n, None).await;
        joined(&x, None).await;
        let org = w.organizer_token.clone();
        until_janus_has(
            &server,
            &w.id,
            &org,
            &[
                (&room1, vec![&speaker.id, &near.id]),
                (&room2, vec![&far.id]),
            ],
        )
        .await;

        // The tone of room 1 is heard in room 1, not in room 2.
        n.until_heard(Instant::now(), "room 1 hears its speaker")
            .await;
        assert!(!x.hears().await, "room 2 must not hear room 1");

        // Moved from room 2 to room 1, the listener hears room 1.
        let moved = Instant::now();
        f.ok(move_to(&far.id, &room1)).await;
        let latency = x
            .until_heard(moved, "the moved listener hears room 1")
            .await;
        println!("MEASURED move-to-heard: {} ms", latency.as_millis());
        until_janus_has(
            &server,
            &w.id,
            &org,
            &[(&room1, vec![&speaker.id, &near.id, &far.id])],
        )
        .await;

        // The speaker moves to room 2: room 1 no longer hears them, room 2 does.
        f.ok(move_to(&speaker.id, &room2)).await;
        x.until_silent("room 1 after its speaker left").await;
        n.until_silent("room 1 after its speaker left").await;
        until_janus_has(
            &server,
            &w.id,
            &org,
            &[
                (&room1, vec![&near.id, &far.id]),
                (&room2, vec![&speaker.id]),
            ],
        )
        .await;

        // Everyone back to the lobby: the plenary hears the speaker.
        f.ok(json!({"type": "return_to_lobby"})).await;
        until_janus_has(
            &server,
            &w.id,
            &org,
            &[("lobby", vec![&speaker.id, &near.id, &far.id])],
        )
        .await;
        n.until_heard(Instant::now(), "the plenary hears the speaker")
            .await;
        x.until_heard(Instant::now(), "the plenary hears the speaker")
            .await;

        // A removed delegate's audio ends.
        f.ok(json!({"type": "remove_participant", "participant": near.id}))
            .await;
        until_janus_has(
            &server,
            &w.id,
            &org,
            &[("lobby", vec![&speaker.id, &far.id])],
        )
        .await;
        until_audio_ends(&n, "the removed delegate").await;
        x.until_heard(Instant::now(), "the others still hear").await;
        for p in [s, n, x] {
            let _ = p.client.close().await;
        }
    });
}
