//! Voice in every room (issue 18): a real Janus and real headless Chromium pages with fake
//! microphones, all inside a network namespace the test makes (loopback only). Voices
//! follow moves, Janus restarts, TURN through a real coturn; what staff do is in
//! `audio_staff.rs`.
//!
//! What a page hears is measured with `getStats()` (inbound-rtp `totalAudioEnergy` over
//! `totalSamplesDuration`); the speaker's microphone plays a 440 Hz tone, listeners' play
//! silence.

#[path = "common/audio_kit.rs"]
mod audio_kit;
#[path = "common/audio_page.rs"]
mod audio_page;
mod common;
#[path = "common/janus.rs"]
mod janus;

use audio_kit::{close, frames_of, joined, until_audio_ends, until_frame, Rig};
use base64::Engine;
use common::{move_to, TestServer};
use hmac::Mac;
use serde_json::{json, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[test]
fn voices_follow_the_people_between_rooms() {
    janus::in_netns("voices_follow_the_people_between_rooms", || async {
        let mut r = Rig::start().await;
        let (room1, room2) = (r.room(0), r.room(1));
        let speaker = r.server.delegate(&r.w, "Speaker", "AR").await;
        let near = r.server.delegate(&r.w, "Near", "BR").await;
        let far = r.server.delegate(&r.w, "Far", "CL").await;
        r.f.ok(move_to(&speaker.id, &room1)).await;
        r.f.ok(move_to(&near.id, &room1)).await;
        r.f.ok(move_to(&far.id, &room2)).await;

        let s = r.page(&r.tone, &speaker.token).await;
        let n = r.page(&r.silence, &near.token).await;
        let x = r.page(&r.silence, &far.token).await;
        for p in [&s, &n, &x] {
            joined(p, None).await;
        }
        r.until_janus_has(&[
            (&room1, vec![&speaker.id, &near.id]),
            (&room2, vec![&far.id]),
        ])
        .await;

        // The tone of room 1 is heard in room 1, not in room 2.
        n.until_heard(Instant::now(), "room 1 hears its speaker")
            .await;
        assert!(!x.hears().await, "room 2 must not hear room 1");

        // Moved from room 2 to room 1, the listener hears room 1.
        let moved = Instant::now();
        r.f.ok(move_to(&far.id, &room1)).await;
        let latency = x
            .until_heard(moved, "the moved listener hears room 1")
            .await;
        println!("MEASURED move-to-heard: {} ms", latency.as_millis());
        r.until_janus_has(&[(&room1, vec![&speaker.id, &near.id, &far.id])])
            .await;

        // The speaker moves to room 2: room 1 no longer hears them, room 2 does.
        r.f.ok(move_to(&speaker.id, &room2)).await;
        x.until_silent("room 1 after its speaker left").await;
        n.until_silent("room 1 after its speaker left").await;
        r.until_janus_has(&[
            (&room1, vec![&near.id, &far.id]),
            (&room2, vec![&speaker.id]),
        ])
        .await;

        // Everyone back to the lobby: the plenary hears the speaker.
        r.f.ok(json!({"type": "return_to_lobby"})).await;
        r.until_janus_has(&[("lobby", vec![&speaker.id, &near.id, &far.id])])
            .await;
        n.until_heard(Instant::now(), "the plenary hears the speaker")
            .await;
        x.until_heard(Instant::now(), "the plenary hears the speaker")
            .await;

        // A removed delegate's audio ends.
        r.f.ok(json!({"type": "remove_participant", "participant": near.id}))
            .await;
        r.until_janus_has(&[("lobby", vec![&speaker.id, &far.id])])
            .await;
        until_audio_ends(&n, "the removed delegate").await;
        x.until_heard(Instant::now(), "the others still hear").await;
        close([s, n, x]).await;
    });
}

#[test]
fn janus_restarts_boards_go_on_and_audio_comes_back() {
    janus::in_netns(
        "janus_restarts_boards_go_on_and_audio_comes_back",
        || async {
            let mut r = Rig::start().await;
            let room1 = r.room(0);
            let speaker = r.server.delegate(&r.w, "Speaker", "AR").await;
            let (listener, mut board) =
                common::seated(&r.server, &r.w, &mut r.f, "Listener", "BR", &room1).await;
            r.f.ok(move_to(&speaker.id, &room1)).await;

            let s = r.page(&r.tone, &speaker.token).await;
            let l = r.page(&r.silence, &listener.token).await;
            for p in [&s, &l] {
                let watched = p.send(json!({"type": "audio_watch", "id": "watch"})).await;
                assert_eq!(watched["type"], "ack", "{watched}");
                joined(p, None).await;
            }
            l.until_heard(Instant::now(), "before the restart").await;

            r.janus.kill().await;
            for p in [&s, &l] {
                until_frame(p, "audio_ended", "Janus died", |f| {
                    f["reason"] == "unavailable"
                })
                .await;
                until_frame(p, "audio_roster", "audio shows unavailable", |f| {
                    f["available"] == false
                })
                .await;
            }
            let (status, body) = r.audio_rooms(&r.w.organizer_token).await;
            assert_eq!(status, 503, "{body}");
            // The boards are not affected.
            board
                .ok(common::post_card(
                    &room1,
                    "strengths",
                    "no voice, still a board",
                ))
                .await;
            r.f.event_of_type("card_posted").await;

            r.janus.restart().await;
            for p in [&s, &l] {
                // The page rejoins once the server says audio is available again.
                let deadline = tokio::time::Instant::now() + janus::WAIT;
                while !frames_of(p, "audio_roster")
                    .await
                    .last()
                    .is_some_and(|r| r["available"] == true)
                {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "audio never came back"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                joined(p, None).await;
            }
            r.until_janus_has(&[(&room1, vec![&speaker.id, &listener.id])])
                .await;
            l.until_heard(Instant::now(), "after the restart").await;
            close([s, l]).await;
        },
    );
}

/// Without `--janus-url` there is no audio: every audio message is refused `unavailable`,
/// and the endpoint says so.
#[tokio::test]
async fn without_janus_there_is_no_audio() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = common::staff(&server, &w).await;
    for message in [
        json!({"type": "audio_join", "sdp": "v=0\r\n"}),
        json!({"type": "audio_leave"}),
        json!({"type": "audio_mute", "muted": true}),
        json!({"type": "audio_watch"}),
        json!({"type": "audio_announce", "on": true}),
        json!({"type": "audio_config"}),
    ] {
        f.refused(message, "unavailable").await;
    }
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/audio", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "not_found", "{body}");
}

const TURN_SECRET: &str = "cabildo-test-turn-secret";

/// What a TURN REST API credential must be: base64(HMAC-SHA1(secret, username)).
fn expected_credential(username: &str) -> String {
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(TURN_SECRET.as_bytes()).expect("any key");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks one `ice_servers` entry handed to `participant`: the configured URL, a username
/// `expiry:participant` expiring `ttl` seconds after it was asked for, and its credential.
fn check_ice_server(server: &Value, participant: &str, ttl: u64, asked: u64) {
    assert_eq!(
        server["urls"],
        json!([janus::TURN_URL]),
        "the configured URL: {server}"
    );
    let username = server["username"].as_str().expect("username");
    let (expiry, who) = username.split_once(':').expect("expiry:participant");
    assert_eq!(who, participant, "{username}");
    let expiry: u64 = expiry.parse().expect("a unix time");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        (asked + ttl..=now + ttl).contains(&expiry),
        "expires {ttl} s after it was handed out: {expiry} vs {asked}..{now}"
    );
    assert_eq!(
        server["credential"].as_str(),
        Some(expected_credential(username).as_str()),
        "the credential is base64(HMAC-SHA1(secret, username))"
    );
    assert!(
        !server.to_string().contains(TURN_SECRET),
        "the secret never leaves the server"
    );
}

/// TURN: the server hands each page time-limited coturn credentials (`audio_config`), the
/// delegate page puts them into its peer connection, and a page allowed to use relays only
/// (`iceTransportPolicy: "relay"`) hears its room through a real coturn.
#[test]
fn turn_credentials_verify_and_carry_the_audio_through_coturn() {
    janus::in_netns(
        "turn_credentials_verify_and_carry_the_audio_through_coturn",
        || async {
            let ttl = 600;
            let ttl_flag = ttl.to_string();
            let turn = janus::Coturn::start(TURN_SECRET).await;
            let mut r = Rig::start_with(&[
                "--turn-url",
                janus::TURN_URL,
                "--turn-secret",
                TURN_SECRET,
                "--turn-ttl",
                &ttl_flag,
            ])
            .await;
            let room1 = r.room(0);
            let speaker = r.server.delegate(&r.w, "Speaker", "AR").await;
            let (listener, mut l_ws) =
                common::seated(&r.server, &r.w, &mut r.f, "Listener", "BR", &room1).await;
            r.f.ok(move_to(&speaker.id, &room1)).await;

            // Over the WebSocket: fresh credentials for this participant.
            let asked = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock")
                .as_secs();
            l_ws.send(json!({"type": "audio_config", "id": "config"}))
                .await;
            let config = loop {
                let v = l_ws.recv().await.expect("an answer");
                if v["id"] == "config" {
                    break v;
                }
            };
            assert_eq!(config["type"], "audio_config", "{config}");
            let servers = config["ice_servers"].as_array().expect("ice_servers");
            assert_eq!(servers.len(), 1, "{config}");
            check_ice_server(&servers[0], &listener.id, ttl, asked);

            // The speaker joins through the relay too.
            let s = r.page(&r.tone, &speaker.token).await;
            s.js("kit.relay = true; return true;", vec![]).await;
            joined(&s, None).await;

            // The delegate page (its own script) joins with what the server handed it; it may
            // use relays only, so what it hears came through coturn.
            let d = r.driver.page(&r.silence).await;
            d.open_as(
                &r.server.url(""),
                "/delegate",
                &r.w.id,
                json!({"workshop": r.w.id, "token": listener.token, "participant": listener.id,
                   "role": "delegate", "language": "en", "title": "Going Digital"}),
            )
            .await;
            d.js(audio_page::RELAY_ONLY, vec![]).await;
            let asked = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock")
                .as_secs();
            d.click("#audio-join").await;
            d.wait_text("#audio-state", "In audio").await;
            let used = d
                .js(
                    "return window.peerConnections.map((pc) => pc.getConfiguration());",
                    vec![],
                )
                .await;
            let used = &used[0];
            assert_eq!(used["iceTransportPolicy"], "relay", "{used}");
            let servers = used["iceServers"].as_array().expect("iceServers");
            assert_eq!(servers.len(), 1, "{used}");
            check_ice_server(&servers[0], &listener.id, ttl, asked);
            d.until_heard(Instant::now(), "the relayed delegate page hears its room")
                .await;
            assert!(
                turn.relayed(),
                "coturn allocated relays for the pages: {}",
                turn.log()
            );
            // Neither the secret nor a credential handed out is in the server's (debug) log.
            let log = r.server.log();
            assert!(log.contains("audio available"), "the log is read: {log}");
            let handed = [&config["ice_servers"][0], &servers[0]];
            for secret in [TURN_SECRET].into_iter().chain(
                handed
                    .iter()
                    .map(|s| s["credential"].as_str().expect("credential")),
            ) {
                assert!(!log.contains(secret), "logged: {secret}");
            }
            close([s, d]).await;
        },
    );
}

/// Janus's CPU and memory as participants are added (two rooms, one speaker in room 1,
/// the others listening), and move-to-heard latency over several moves. Figures for
/// docs/BENCHMARKS.md, not assertions:
/// `cargo test --release --test audio audio_figures -- --ignored --nocapture`.
#[test]
#[ignore]
fn audio_figures() {
    janus::in_netns("audio_figures", || async {
        let mut r = Rig::start().await;
        let (room1, room2) = (r.room(0), r.room(1));
        let pid = r.janus.pid().expect("janus runs");
        measure(pid, "0 participants").await;
        let mut pages = Vec::new();
        let mut members = Vec::new();
        for i in 0..8 {
            let room = if i % 2 == 0 { &room1 } else { &room2 };
            let m = r.server.delegate(&r.w, &format!("P{i}"), "AR").await;
            r.f.ok(move_to(&m.id, room)).await;
            let wav = if i == 0 { &r.tone } else { &r.silence };
            let p = r.page(wav, &m.token).await;
            joined(&p, None).await;
            pages.push(p);
            members.push(m);
            if matches!(i + 1, 2 | 4 | 8) {
                tokio::time::sleep(Duration::from_secs(3)).await;
                measure(pid, &format!("{} participants in 2 rooms", i + 1)).await;
            }
        }
        // Move-to-heard: a silent listener of room 2 moved to room 1, where the speaker is,
        // timed until it hears the tone; then back to room 2 until it hears silence.
        let listener = &members[3];
        let p = &pages[3];
        let mut times = Vec::new();
        for _ in 0..5 {
            let moved = Instant::now();
            r.f.ok(move_to(&listener.id, &room1)).await;
            times.push(p.until_heard(moved, "after a move").await.as_millis());
            r.f.ok(move_to(&listener.id, &room2)).await;
            p.until_silent("back in room 2").await;
        }
        times.sort_unstable();
        println!(
            "MEASURED move-to-heard over {} moves: {times:?} ms",
            times.len()
        );
        close(pages).await;
    });
}

/// Janus's CPU over 10 s (% of one core, from /proc/PID/stat) and its resident memory.
async fn measure(pid: u32, label: &str) {
    let ticks = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after_name = stat.rsplit(')').next().unwrap_or("").to_string();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
    };
    let t0 = ticks();
    let at = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let cpu = (ticks() - t0) as f64 / 100.0 / at.elapsed().as_secs_f64() * 100.0;
    let rss_kb: u64 = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    println!(
        "MEASURED {label}: Janus CPU {cpu:.1} % of one core, RSS {} MB",
        rss_kb / 1024
    );
}
