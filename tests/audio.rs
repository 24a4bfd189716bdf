//! Voice in every room (issue 18): a real Janus and real headless Chromium pages with fake
//! microphones, all inside a network namespace the test makes (loopback only).
//!
//! What a page hears is measured with `getStats()` (inbound-rtp `totalAudioEnergy` over
//! `totalSamplesDuration`); the speaker's microphone plays a 440 Hz tone, listeners' play
//! silence.

#[path = "common/audio_page.rs"]
mod audio_page;
mod common;
#[path = "common/janus.rs"]
mod janus;

use audio_page::AudioPage;
use common::{move_to, TestServer, NO_RATE_LIMITS};
use janus::Janus;
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
    driver: &audio_page::Driver,
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
            Some(l) if l < audio_page::SILENT => return,
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
        audio_page::wav(&tone, 0.5, 10);
        audio_page::wav(&silence, 0.0, 2);
        let driver = audio_page::driver().await;
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

/// The frames of `kind` a page got so far.
async fn frames_of(p: &AudioPage, kind: &str) -> Vec<Value> {
    p.frames()
        .await
        .into_iter()
        .filter(|f| f["type"] == kind)
        .collect()
}

/// Polls until the page got a frame of `kind` matching `pred`.
async fn until_frame(p: &AudioPage, kind: &str, what: &str, pred: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + janus::WAIT;
    while !frames_of(p, kind).await.iter().any(&pred) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never got {kind}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn a_delegate_reaches_no_other_rooms_audio_and_staff_listen_in_and_mute() {
    janus::in_netns(
        "a_delegate_reaches_no_other_rooms_audio_and_staff_listen_in_and_mute",
        || async {
            let janus = Janus::start().await;
            let server = server_with(&janus).await;
            let w = server.workshop().await;
            let (room1, room2) = (w.rooms[0].clone(), w.rooms[1].clone());
            let (fac, mut f) = common::staff(&server, &w).await;
            let speaker = server.delegate(&w, "Speaker", "AR").await;
            f.ok(move_to(&speaker.id, &room1)).await;
            let (other, mut o) =
                common::seated(&server, &w, &mut f, "Elsewhere", "UY", &room2).await;

            let tone = janus.dir.path().join("tone.wav");
            let silence = janus.dir.path().join("silence.wav");
            audio_page::wav(&tone, 0.5, 10);
            audio_page::wav(&silence, 0.0, 2);
            let driver = audio_page::driver().await;
            let s = page(&driver, &server, &tone, &speaker.token).await;
            joined(&s, None).await;
            let org = w.organizer_token.clone();
            until_janus_has(&server, &w.id, &org, &[(&room1, vec![&speaker.id])]).await;

            // A delegate of room 2 tries every message that could reach room 1's audio.
            let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
            for room in [room1.as_str(), "lobby"] {
                o.refused(
                    json!({"type": "audio_join", "sdp": offer, "room": room}),
                    "forbidden",
                )
                .await;
            }
            o.refused(
                json!({"type": "audio_mute", "muted": true, "participant": speaker.id}),
                "forbidden",
            )
            .await;
            o.refused(
                json!({"type": "audio_join", "sdp": offer, "workshop": w.id}),
                "invalid",
            )
            .await;
            let (status, _) = audio_rooms(&server, &w.id, &other.token).await;
            assert_eq!(status, 403, "a delegate does not list the audio rooms");
            // Watching shows only the delegate's own room: nobody of room 1.
            let watch = o.command(json!({"type": "audio_watch"})).await;
            assert_eq!(watch["type"], "ack", "{watch}");
            let roster = loop {
                let v = o.recv().await.expect("a roster");
                if v["type"] == "audio_roster" {
                    break v;
                }
            };
            assert_eq!(roster["available"], true, "{roster}");
            assert!(
                !roster.to_string().contains(&speaker.id),
                "a delegate's roster names nobody of another room: {roster}"
            );
            // Only the speaker is in Janus: the delegate got into no room.
            until_janus_has(&server, &w.id, &org, &[(&room1, vec![&speaker.id])]).await;

            // A facilitator listens in to room 1 without being moved, and hears it.
            let l = page(&driver, &server, &silence, &fac.token).await;
            joined(&l, Some(&room1)).await;
            l.until_heard(Instant::now(), "the facilitator listening in")
                .await;
            until_janus_has(
                &server,
                &w.id,
                &org,
                &[(&room1, vec![&speaker.id, &fac.id])],
            )
            .await;
            // …sees who is connected, and mutes the speaker: room 1 goes silent.
            let watched = l.send(json!({"type": "audio_watch", "id": "watch"})).await;
            assert_eq!(watched["type"], "ack", "{watched}");
            let muted = l
                .send(json!({"type": "audio_mute", "id": "mute", "muted": true, "participant": speaker.id}))
                .await;
            assert_eq!(muted["type"], "ack", "{muted}");
            until_frame(&s, "audio_muted", "the speaker is told", |f| {
                f["by"] == fac.id.as_str()
            })
            .await;
            let speaker_id = speaker.id.clone();
            until_frame(&l, "audio_roster", "the speaker shows muted", move |f| {
                f["rooms"].as_array().is_some_and(|rooms| {
                    rooms.iter().any(|r| {
                        r["participants"].as_array().is_some_and(|ps| {
                            ps.iter().any(|p| {
                                p["participant"] == speaker_id.as_str() && p["muted"] == true
                            })
                        })
                    })
                })
            })
            .await;
            l.until_silent("room 1 with its speaker muted").await;
            // Staff may not unmute someone else.
            let unmute = l
                .send(json!({"type": "audio_mute", "id": "unmute", "muted": false, "participant": speaker.id}))
                .await;
            assert_eq!(unmute["code"], "forbidden", "{unmute}");
            // The facilitator leaves; the delegate's own board still works meanwhile.
            let left = l.send(json!({"type": "audio_leave", "id": "leave"})).await;
            assert_eq!(left["type"], "ack", "{left}");
            until_janus_has(&server, &w.id, &org, &[(&room1, vec![&speaker.id])]).await;
            o.ok(common::post_card(&room2, "strengths", "still here"))
                .await;

            // The organizer turns audio off: it ends, and cannot be joined; then on again.
            let mut org_ws = server.connect(&org).await;
            org_ws.ok(json!({"type": "set_audio", "on": false})).await;
            until_frame(&s, "audio_ended", "audio turned off", |f| {
                f["reason"] == "off"
            })
            .await;
            until_janus_has(&server, &w.id, &org, &[]).await;
            let refused = s.join(None).await;
            assert_eq!(refused["code"], "closed", "{refused}");
            org_ws.ok(json!({"type": "set_audio", "on": true})).await;
            joined(&s, None).await;
            until_janus_has(&server, &w.id, &org, &[(&room1, vec![&speaker.id])]).await;
            for p in [s, l] {
                let _ = p.client.close().await;
            }
        },
    );
}

#[test]
fn janus_restarts_boards_go_on_and_audio_comes_back() {
    janus::in_netns(
        "janus_restarts_boards_go_on_and_audio_comes_back",
        || async {
            let mut janus = Janus::start().await;
            let server = server_with(&janus).await;
            let w = server.workshop().await;
            let room1 = w.rooms[0].clone();
            let (_fac, mut f) = common::staff(&server, &w).await;
            let speaker = server.delegate(&w, "Speaker", "AR").await;
            let (listener, mut board) =
                common::seated(&server, &w, &mut f, "Listener", "BR", &room1).await;
            f.ok(move_to(&speaker.id, &room1)).await;

            let tone = janus.dir.path().join("tone.wav");
            let silence = janus.dir.path().join("silence.wav");
            audio_page::wav(&tone, 0.5, 10);
            audio_page::wav(&silence, 0.0, 2);
            let driver = audio_page::driver().await;
            let s = page(&driver, &server, &tone, &speaker.token).await;
            let l = page(&driver, &server, &silence, &listener.token).await;
            for p in [&s, &l] {
                let watched = p.send(json!({"type": "audio_watch", "id": "watch"})).await;
                assert_eq!(watched["type"], "ack", "{watched}");
                joined(p, None).await;
            }
            l.until_heard(Instant::now(), "before the restart").await;

            janus.kill().await;
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
            let (status, body) = audio_rooms(&server, &w.id, &w.organizer_token).await;
            assert_eq!(status, 503, "{body}");
            // The boards are not affected.
            board
                .ok(common::post_card(
                    &room1,
                    "strengths",
                    "no voice, still a board",
                ))
                .await;
            f.event_of_type("card_posted").await;

            janus.restart().await;
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
            until_janus_has(
                &server,
                &w.id,
                &w.organizer_token,
                &[(&room1, vec![&speaker.id, &listener.id])],
            )
            .await;
            l.until_heard(Instant::now(), "after the restart").await;
            for p in [s, l] {
                let _ = p.client.close().await;
            }
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
    ] {
        f.refused(message, "unavailable").await;
    }
    let (status, body) = audio_rooms(&server, &w.id, &w.organizer_token).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "not_found", "{body}");
}

/// The panels of the delegate and facilitator pages, in Spanish and Portuguese: join,
/// listen in, see who is connected, mute someone, and follow a move.
#[test]
fn the_pages_join_listen_in_mute_and_follow_a_move() {
    janus::in_netns(
        "the_pages_join_listen_in_mute_and_follow_a_move",
        || async {
            let janus = Janus::start().await;
            let server = server_with(&janus).await;
            let w = server.workshop().await;
            let (room1, room2) = (w.rooms[0].clone(), w.rooms[1].clone());
            let room2_name = w.json["rooms"][1]["name"]
                .as_str()
                .expect("name")
                .to_string();
            let (fac, mut f) = common::staff(&server, &w).await;
            let ana = server.delegate(&w, "Ana", "AR").await;
            f.ok(move_to(&ana.id, &room1)).await;

            let tone = janus.dir.path().join("tone.wav");
            let silence = janus.dir.path().join("silence.wav");
            audio_page::wav(&tone, 0.5, 10);
            audio_page::wav(&silence, 0.0, 2);
            let driver = audio_page::driver().await;
            let base = server.url("");
            let d = driver.page(&tone).await;
            d.open_as(
                &base,
                "/delegate",
                &w.id,
                json!({"workshop": w.id, "token": ana.token, "participant": ana.id,
                   "role": "delegate", "language": "es", "title": "Going Digital"}),
            )
            .await;
            d.click("#audio-join").await;
            d.wait_text("#audio-state", "En el audio").await;
            let fp = driver.page(&silence).await;
            fp.open_as(
                &base,
                "/facilitator",
                &w.id,
                json!({"workshop": w.id, "token": fac.token, "participant": fac.id,
                   "role": "facilitator", "language": "pt", "title": "Going Digital"}),
            )
            .await;
            fp.until(
            "the room choice",
            "const s = document.querySelector('#audio-room'); if (!s) return false; \
             s.value = arguments[0]; s.dispatchEvent(new Event('change')); return s.value === arguments[0];",
            vec![json!(room1)],
        )
        .await;
            fp.click("#audio-join").await;
            fp.wait_text("#audio-state", "No áudio").await;
            until_janus_has(
                &server,
                &w.id,
                &w.organizer_token,
                &[(&room1, vec![&ana.id, &fac.id])],
            )
            .await;
            let ana_entry = format!("#audio [data-participant=\"{}\"]", ana.id);
            fp.wait_text(&ana_entry, "Ana").await;
            fp.click(&format!("{ana_entry} button")).await;
            d.wait_text("#audio-mute", "Activar micrófono").await;
            fp.wait_text(&ana_entry, "🔇").await;

            // Moved by a facilitator, the delegate's audio follows: the panel says where.
            f.ok(move_to(&ana.id, &room2)).await;
            d.wait_text("#audio-state", &room2_name).await;
            until_janus_has(
                &server,
                &w.id,
                &w.organizer_token,
                &[(&room1, vec![&fac.id]), (&room2, vec![&ana.id])],
            )
            .await;
            for p in [d, fp] {
                let _ = p.client.close().await;
            }
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
        let janus = Janus::start().await;
        let server = server_with(&janus).await;
        let w = server.workshop().await;
        let (room1, room2) = (w.rooms[0].clone(), w.rooms[1].clone());
        let (_fac, mut f) = common::staff(&server, &w).await;
        let tone = janus.dir.path().join("tone.wav");
        let silence = janus.dir.path().join("silence.wav");
        audio_page::wav(&tone, 0.5, 10);
        audio_page::wav(&silence, 0.0, 2);
        let driver = audio_page::driver().await;
        let pid = janus.pid().expect("janus runs");
        measure(pid, "0 participants").await;
        let mut pages = Vec::new();
        let mut members = Vec::new();
        for i in 0..8 {
            let room = if i % 2 == 0 { &room1 } else { &room2 };
            let m = server.delegate(&w, &format!("P{i}"), "AR").await;
            f.ok(move_to(&m.id, room)).await;
            let wav = if i == 0 { &tone } else { &silence };
            let p = page(&driver, &server, wav, &m.token).await;
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
            f.ok(move_to(&listener.id, &room1)).await;
            times.push(p.until_heard(moved, "after a move").await.as_millis());
            f.ok(move_to(&listener.id, &room2)).await;
            p.until_silent("back in room 2").await;
        }
        times.sort_unstable();
        println!(
            "MEASURED move-to-heard over {} moves: {times:?} ms",
            times.len()
        );
        for p in pages {
            let _ = p.client.close().await;
        }
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
