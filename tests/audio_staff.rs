//! Audio for facilitators and organizers (issue 18), with a real Janus and real headless
//! Chromium in a network namespace (see `audio.rs`): what a delegate cannot reach, listening
//! in, muting someone, audio off, speaking to every room at once, the pages' panels, and
//! the figures of docs/BENCHMARKS.md.

#[path = "common/audio_kit.rs"]
mod audio_kit;
#[path = "common/audio_page.rs"]
mod audio_page;
mod common;
#[path = "common/janus.rs"]
mod janus;

use audio_kit::{close, joined, until_frame, Rig};
use common::move_to;
use serde_json::{json, Value};
use std::time::Instant;

/// Whether a roster frame shows `participant` muted.
fn shows_muted(roster: &Value, participant: &str) -> bool {
    roster["rooms"].as_array().is_some_and(|rooms| {
        rooms.iter().any(|r| {
            r["participants"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["participant"] == participant && p["muted"] == true)
            })
        })
    })
}

#[test]
fn a_delegate_reaches_no_other_rooms_audio_and_staff_listen_in_and_mute() {
    janus::in_netns(
        "a_delegate_reaches_no_other_rooms_audio_and_staff_listen_in_and_mute",
        || async {
            let mut r = Rig::start().await;
            let (room1, room2) = (r.room(0), r.room(1));
            let speaker = r.server.delegate(&r.w, "Speaker", "AR").await;
            r.f.ok(move_to(&speaker.id, &room1)).await;
            let (other, mut o) =
                common::seated(&r.server, &r.w, &mut r.f, "Elsewhere", "UY", &room2).await;
            let s = r.page(&r.tone, &speaker.token).await;
            joined(&s, None).await;
            r.until_janus_has(&[(&room1, vec![&speaker.id])]).await;

            // A delegate of room 2 tries every message that could reach room 1's audio.
            let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
            for room in [room1.as_str(), "lobby"] {
                o.refused(
                    json!({"type": "audio_join", "sdp": offer, "room": room}),
                    "forbidden",
                )
                .await;
            }
            for message in [
                json!({"type": "audio_mute", "muted": true, "participant": speaker.id}),
                json!({"type": "audio_announce", "on": true}),
            ] {
                o.refused(message, "forbidden").await;
            }
            o.refused(
                json!({"type": "audio_join", "sdp": offer, "workshop": r.w.id}),
                "invalid",
            )
            .await;
            let (status, _) = r.audio_rooms(&other.token).await;
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
            r.until_janus_has(&[(&room1, vec![&speaker.id])]).await;

            // A facilitator listens in to room 1 without being moved, and hears it.
            let fac = r.fac.id.clone();
            let l = r.page(&r.silence, &r.fac.token).await;
            joined(&l, Some(&room1)).await;
            l.until_heard(Instant::now(), "the facilitator listening in")
                .await;
            r.until_janus_has(&[(&room1, vec![&speaker.id, &fac])])
                .await;
            // …sees who is connected, and mutes the speaker: room 1 goes silent.
            let watched = l.send(json!({"type": "audio_watch", "id": "watch"})).await;
            assert_eq!(watched["type"], "ack", "{watched}");
            let muted = l
                .send(json!({"type": "audio_mute", "id": "mute", "muted": true, "participant": speaker.id}))
                .await;
            assert_eq!(muted["type"], "ack", "{muted}");
            until_frame(&s, "audio_muted", "the speaker is told", |f| {
                f["by"] == fac.as_str()
            })
            .await;
            until_frame(&l, "audio_roster", "the speaker shows muted", |f| {
                shows_muted(f, &speaker.id)
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
            r.until_janus_has(&[(&room1, vec![&speaker.id])]).await;
            o.ok(common::post_card(&room2, "strengths", "still here"))
                .await;

            // The organizer turns audio off: it ends, and cannot be joined; then on again.
            let mut org_ws = r.server.connect(&r.w.organizer_token).await;
            org_ws.ok(json!({"type": "set_audio", "on": false})).await;
            until_frame(&s, "audio_ended", "audio turned off", |f| {
                f["reason"] == "off"
            })
            .await;
            r.until_janus_has(&[]).await;
            let refused = s.join(None).await;
            assert_eq!(refused["code"], "closed", "{refused}");
            org_ws.ok(json!({"type": "set_audio", "on": true})).await;
            joined(&s, None).await;
            r.until_janus_has(&[(&room1, vec![&speaker.id])]).await;
            // Closing the workshop ends every audio.
            org_ws.ok(json!({"type": "close_workshop"})).await;
            until_frame(&s, "audio_ended", "the workshop closed", |f| {
                f["reason"] == "closed"
            })
            .await;
            r.until_janus_has(&[]).await;
            close([s, l]).await;
        },
    );
}

/// A facilitator speaks to every room at once: a tone they speak is heard in two rooms
/// and in the lobby, Janus lists nobody new in those rooms, and it stops being heard when
/// they stop; it also ends when they leave audio.
#[test]
fn a_facilitator_speaks_to_every_room_and_the_lobby_at_once() {
    janus::in_netns(
        "a_facilitator_speaks_to_every_room_and_the_lobby_at_once",
        || async {
            let mut r = Rig::start().await;
            let (room1, room2) = (r.room(0), r.room(1));
            let one = r.server.delegate(&r.w, "One", "AR").await;
            let two = r.server.delegate(&r.w, "Two", "BR").await;
            let plenary = r.server.delegate(&r.w, "Plenary", "CL").await;
            r.f.ok(move_to(&one.id, &room1)).await;
            r.f.ok(move_to(&two.id, &room2)).await;
            let listeners = [
                r.page(&r.silence, &one.token).await,
                r.page(&r.silence, &two.token).await,
                r.page(&r.silence, &plenary.token).await,
            ];
            for p in &listeners {
                joined(p, None).await;
            }
            let fac = r.fac.id.clone();
            let a = r.page(&r.tone, &r.fac.token).await;
            joined(&a, None).await;
            let before = [
                (room1.as_str(), vec![one.id.as_str()]),
                (room2.as_str(), vec![two.id.as_str()]),
                ("lobby", vec![plenary.id.as_str(), fac.as_str()]),
            ];
            r.until_janus_has(&before).await;
            // The facilitator in the lobby is heard there only.
            listeners[2]
                .until_heard(Instant::now(), "the lobby hears the facilitator")
                .await;
            assert!(!listeners[0].hears().await, "room 1 does not, yet");

            let watched = a.send(json!({"type": "audio_watch", "id": "watch"})).await;
            assert_eq!(watched["type"], "ack", "{watched}");
            let on = a
                .send(json!({"type": "audio_announce", "id": "on", "on": true}))
                .await;
            assert_eq!(on["type"], "ack", "{on}");
            until_frame(&a, "audio_roster", "speaking to all rooms", |f| {
                f["joined"] == "all" && f["announcing"] == json!([fac])
            })
            .await;
            for (p, place) in listeners.iter().zip(["room 1", "room 2", "the lobby"]) {
                p.until_heard(Instant::now(), &format!("{place} hears the announcement"))
                    .await;
            }
            // The relays are not participants: Janus lists the same people (the
            // facilitator is in the announcement room, no place's).
            r.until_janus_has(&[
                (room1.as_str(), vec![one.id.as_str()]),
                (room2.as_str(), vec![two.id.as_str()]),
                ("lobby", vec![plenary.id.as_str()]),
            ])
            .await;

            let off = a
                .send(json!({"type": "audio_announce", "id": "off", "on": false}))
                .await;
            assert_eq!(off["type"], "ack", "{off}");
            for (p, place) in listeners.iter().zip(["room 1", "room 2"]) {
                p.until_silent(&format!("{place} after the announcement"))
                    .await;
            }
            r.until_janus_has(&before).await;
            // Back in the lobby, the facilitator is heard there again.
            listeners[2]
                .until_heard(Instant::now(), "the lobby hears the facilitator again")
                .await;

            // Speaking to all again, then leaving audio: the announcement ends with it.
            let on = a
                .send(json!({"type": "audio_announce", "id": "on2", "on": true}))
                .await;
            assert_eq!(on["type"], "ack", "{on}");
            listeners[0]
                .until_heard(Instant::now(), "room 1 hears the second announcement")
                .await;
            let left = a.send(json!({"type": "audio_leave", "id": "leave"})).await;
            assert_eq!(left["type"], "ack", "{left}");
            listeners[0]
                .until_silent("room 1 after the facilitator left audio")
                .await;
            let [l1, l2, l3] = listeners;
            close([a, l1, l2, l3]).await;
        },
    );
}

/// The panels of the delegate and facilitator pages, in Spanish and Portuguese: join,
/// listen in, see who is connected, mute someone, speak to all rooms, follow a move.
#[test]
fn the_pages_join_listen_in_mute_announce_and_follow_a_move() {
    janus::in_netns(
        "the_pages_join_listen_in_mute_announce_and_follow_a_move",
        || async {
            let mut r = Rig::start().await;
            let (room1, room2) = (r.room(0), r.room(1));
            let room2_name = r.w.json["rooms"][1]["name"]
                .as_str()
                .expect("name")
                .to_string();
            let ana = r.server.delegate(&r.w, "Ana", "AR").await;
            r.f.ok(move_to(&ana.id, &room1)).await;
            let base = r.server.url("");
            let d = r.driver.page(&r.tone).await;
            d.open_as(
                &base,
                "/delegate",
                &r.w.id,
                json!({"workshop": r.w.id, "token": ana.token, "participant": ana.id,
                   "role": "delegate", "language": "es", "title": "Going Digital"}),
            )
            .await;
            d.click("#audio-join").await;
            d.wait_text("#audio-state", "En el audio").await;
            let fac = r.fac.id.clone();
            let fp = r.driver.page(&r.silence).await;
            fp.open_as(
                &base,
                "/facilitator",
                &r.w.id,
                json!({"workshop": r.w.id, "token": r.fac.token, "participant": fac,
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
            r.until_janus_has(&[(&room1, vec![&ana.id, &fac])]).await;
            let ana_entry = format!("#audio [data-participant=\"{}\"]", ana.id);
            fp.wait_text(&ana_entry, "Ana").await;
            fp.click(&format!("{ana_entry} button")).await;
            d.wait_text("#audio-mute", "Activar micrófono").await;
            fp.wait_text(&ana_entry, "🔇").await;

            // Speaking to all rooms: the facilitator's panel says so, the delegate's names
            // who speaks; stopping brings the facilitator back to the room listened in to.
            fp.click("#audio-announce").await;
            fp.wait_text("#audio-state", "Falando para todas as salas")
                .await;
            d.wait_text("#audio-announcement", "Anuncio a todas las salas")
                .await;
            fp.wait_text("#audio-announce", "Parar de falar").await;
            fp.click("#audio-announce").await;
            fp.wait_text("#audio-state", "No áudio").await;
            r.until_janus_has(&[(&room1, vec![&ana.id, &fac])]).await;

            // Moved by a facilitator, the delegate's audio follows: the panel says where.
            r.f.ok(move_to(&ana.id, &room2)).await;
            d.wait_text("#audio-state", &room2_name).await;
            r.until_janus_has(&[(&room1, vec![&fac]), (&room2, vec![&ana.id])])
                .await;
            close([d, fp]).await;
        },
    );
}
