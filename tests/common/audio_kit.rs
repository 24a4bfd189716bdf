//! What every audio test uses: a rig (Janus, a Cabildo server driving it, a workshop with a
//! facilitator, a tone and a silence for fake microphones, a chromedriver), and the checks of
//! who Janus has where (`GET …/audio`) and of the frames a page got.

#![allow(dead_code)]

use crate::audio_page::{self, AudioPage, Driver};
use crate::common::{self, Member, TestClient, TestServer, Workshop, NO_RATE_LIMITS};
use crate::janus::{self, Janus};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// One audio test's world; everything stops when it is dropped.
pub struct Rig {
    pub janus: Janus,
    pub server: TestServer,
    pub w: Workshop,
    pub fac: Member,
    pub f: TestClient,
    pub driver: Driver,
    /// A 440 Hz tone (10 s, looped by Chromium) and a silence, for fake microphones.
    pub tone: PathBuf,
    pub silence: PathBuf,
}

impl Rig {
    pub async fn start() -> Rig {
        Rig::start_with(&[]).await
    }

    /// With more server flags.
    pub async fn start_with(extra: &[&str]) -> Rig {
        let janus = Janus::start().await;
        let url = janus.url();
        let mut flags: Vec<&str> = NO_RATE_LIMITS.to_vec();
        flags.extend(["--janus-url", &url, "--janus-admin-key", janus::ADMIN_KEY]);
        flags.extend(extra);
        let server = TestServer::start_with(&flags).await;
        let w = server.workshop().await;
        let (fac, f) = common::staff(&server, &w).await;
        let tone = janus.dir.path().join("tone.wav");
        let silence = janus.dir.path().join("silence.wav");
        audio_page::wav(&tone, 0.5, 10);
        audio_page::wav(&silence, 0.0, 2);
        let driver = audio_page::driver().await;
        Rig {
            janus,
            server,
            w,
            fac,
            f,
            driver,
            tone,
            silence,
        }
    }

    pub fn room(&self, i: usize) -> String {
        self.w.rooms[i].clone()
    }

    /// A kit page (no Cabildo page script) connected as `token`, its microphone playing `wav`.
    pub async fn page(&self, wav: &std::path::Path, token: &str) -> AudioPage {
        let p = self.driver.page(wav).await;
        p.connect(&self.server.url(""), &self.server.ws_url(), token)
            .await;
        p
    }

    /// `GET /api/workshops/{id}/audio` with `token`: status and body.
    pub async fn audio_rooms(&self, token: &str) -> (u16, Value) {
        let r = self
            .server
            .http
            .get(
                self.server
                    .url(&format!("/api/workshops/{}/audio", self.w.id)),
            )
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Polls `GET …/audio` until Janus reports exactly `expected` (rooms not named: empty).
    pub async fn until_janus_has(&self, expected: &[(&str, Vec<&str>)]) {
        let want: BTreeMap<String, Vec<String>> = expected
            .iter()
            .map(|(r, ps)| {
                let mut v: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
                v.sort();
                (r.to_string(), v)
            })
            .collect();
        let deadline = tokio::time::Instant::now() + janus::WAIT;
        loop {
            let (status, body) = self.audio_rooms(&self.w.organizer_token).await;
            if status == 200 {
                let got = by_room(&body);
                let same = got
                    .iter()
                    .all(|(room, ps)| want.get(room).map_or(ps.is_empty(), |w| w == ps))
                    && want.keys().all(|r| got.contains_key(r));
                if same {
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
}

/// Who Janus has where: room (`lobby` or id) → sorted participant ids.
pub fn by_room(body: &Value) -> BTreeMap<String, Vec<String>> {
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

/// Joins audio (listening in to `room` when given) and requires Janus's answer.
pub async fn joined(p: &AudioPage, room: Option<&str>) {
    let answer = p.join(room).await;
    assert_eq!(answer["type"], "audio_answer", "{answer}");
}

/// The frames of `kind` a page got so far.
pub async fn frames_of(p: &AudioPage, kind: &str) -> Vec<Value> {
    p.frames()
        .await
        .into_iter()
        .filter(|f| f["type"] == kind)
        .collect()
}

/// Polls until the page got a frame of `kind` matching `pred`.
pub async fn until_frame(p: &AudioPage, kind: &str, what: &str, pred: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + janus::WAIT;
    while !frames_of(p, kind).await.iter().any(&pred) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never got {kind}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's connection is closed, or its audio plays nothing or silence.
pub async fn until_audio_ends(p: &AudioPage, what: &str) {
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

/// Closes the pages' browser sessions.
pub async fn close(pages: impl IntoIterator<Item = AudioPage>) {
    for p in pages {
        let _ = p.client.close().await;
    }
}
