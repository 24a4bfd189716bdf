//! The review by delegations, end to end over WebSocket and REST: who may open, answer,
//! reply, revise and close; the head-of-delegation rule; the deadline; a revision
//! restarting a conclusion's answers; closing freezing the conclusions across a restart;
//! and stable error codes for bad input (`docs/protocol/review.md`).

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod answering;
mod closing;
mod records;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `GET /api/workshops/{id}/review` with `token`.
async fn review(server: &TestServer, w: &Workshop, token: Option<&str>) -> (u16, Value) {
    let mut r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/review", w.id)));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Adds a conclusion as `staff`; returns its id.
async fn conclusion(staff: &mut TestClient, text: &str) -> String {
    staff
        .ok(json!({"type": "add_conclusion", "theme": "governance", "text": text}))
        .await;
    let e = staff.event_of_type("conclusion_added").await;
    e["event"]["conclusion"]
        .as_str()
        .expect("conclusion id")
        .to_string()
}

fn answer(conclusion: &str, version: u64, kind: &str, text: Option<&str>) -> Value {
    let mut v = json!({"type": "answer_review", "conclusion": conclusion, "version": version, "answer": kind});
    if let Some(t) = text {
        v["text"] = json!(t);
    }
    v
}

fn open(deadline: i64, rule: &str) -> Value {
    json!({"type": "open_review", "deadline": deadline, "rule": rule})
}

/// The record of conclusion `id` in a review answer.
fn record<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .find(|c| c["conclusion"] == id)
        .unwrap_or_else(|| panic!("{id} in {v}"))
}

fn countries(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            a.as_str()
                .or_else(|| a["country"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// `GET /api/workshops/{id}/export?format=…` with the organizer's token.
async fn export(server: &TestServer, w: &Workshop, format: &str) -> Vec<u8> {
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/export?format={format}", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200, "{format}");
    r.bytes().await.expect("body").to_vec()
}

fn docx_text(docx: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut s = String::new();
    zip.by_name("word/document.xml")
        .expect("the document")
        .read_to_string(&mut s)
        .expect("utf-8 xml");
    s
}

/// The value after `label` in the demo's printed lines.
fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// One country's national brief (`…/export?format=…&country=…`), as text.
async fn brief(server: &TestServer, w: &Workshop, format: &str, country: &str) -> String {
    let body = export(server, w, &format!("{format}&country={country}")).await;
    String::from_utf8(body).expect("utf-8")
}
