//! Nothing acknowledged is lost, nothing is done twice: idempotent retries, resuming after
//! a dropped connection, restarts (SIGTERM and `kill -9`) on the same database, and a commit
//! that fails.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

mod failed_commit;
mod restarts;
mod resume;
mod retry;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A workshop with a connected facilitator.
async fn session(server: &TestServer) -> (Workshop, TestClient) {
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fran").await;
    let f = server.connect(&fac.token).await;
    (w, f)
}

fn with_id(mut command: Value, id: &str) -> Value {
    command["id"] = json!(id);
    command
}

fn seq_of(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("seq in {frame}"))
}

/// The text of the card posted by kill-test command `k-{d}-{n}`.
fn text_of(id: &str) -> String {
    let mut parts = id.split('-').skip(1);
    let (d, n) = (parts.next().expect("d"), parts.next().expect("n"));
    format!("d{d} card {n}")
}

/// Every card on every board, as a fresh staff connection sees them.
async fn board(server: &TestServer, w: &Workshop) -> Vec<String> {
    card_texts(&server.connect(&w.organizer_token).await.welcome)
}

/// Texts of the cards of a snapshot, each with the seqs of the cards carrying it.
fn cards_by_text(welcome: &Value) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for card in welcome["snapshot"]["cards"].as_array().expect("cards") {
        let text = card["text"].as_str().expect("text").to_string();
        out.entry(text).or_default().push(seq_of(card));
    }
    out
}

/// The `card_posted` event frames that arrived before the barrier at `until`.
async fn posted_events(c: &mut TestClient, until: u64) -> Vec<Value> {
    c.until_seq(until)
        .await
        .into_iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == "card_posted")
        .collect()
}

async fn posted_texts(c: &mut TestClient, until: u64) -> Vec<String> {
    posted_events(c, until)
        .await
        .iter()
        .map(|e| e["event"]["text"].as_str().expect("text").to_string())
        .collect()
}
