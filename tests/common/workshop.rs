//! A workshop and its members as a test sets them up, and builders of the commands
//! most tests send.

use super::{TestClient, TestServer};
use serde_json::{json, Value};

pub struct Workshop {
    pub id: String,
    pub organizer_token: String,
    pub facilitator_code: String,
    pub delegate_code: String,
    pub rooms: Vec<String>,
    pub json: Value,
}

impl Workshop {
    pub(super) fn from_json(v: Value) -> Workshop {
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {v}"))
                .to_string()
        };
        Workshop {
            id: s("id"),
            organizer_token: s("organizer_token"),
            facilitator_code: s("facilitator_code"),
            delegate_code: s("delegate_code"),
            rooms: v["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| r["id"].as_str().expect("room id").to_string())
                .collect(),
            json: v,
        }
    }
}

pub struct Member {
    pub id: String,
    pub token: String,
    pub role: String,
}

/// A facilitator of `w`, connected.
pub async fn staff(server: &TestServer, w: &Workshop) -> (Member, TestClient) {
    let fac = server.facilitator(w, "Facilitator").await;
    let f = server.connect(&fac.token).await;
    (fac, f)
}

/// Joins a delegate, has the facilitator `f` place them in `room`, and connects them.
pub async fn seated(
    server: &TestServer,
    w: &Workshop,
    f: &mut TestClient,
    name: &str,
    country: &str,
    room: &str,
) -> (Member, TestClient) {
    let m = server.delegate(w, name, country).await;
    f.ok(move_to(&m.id, room)).await;
    let c = server.connect(&m.token).await;
    assert_eq!(c.welcome["you"]["room"], room, "{name} placed");
    (m, c)
}

/// A broadcast to everyone from staff client `f`; returns its seq, an ordering barrier for
/// every connected participant (see `TestClient::until_seq`).
pub async fn barrier(f: &mut TestClient) -> u64 {
    f.ok(json!({"type": "broadcast", "text": "barrier"})).await
}

/// Command builders for the fixed protocol names.
pub fn post_card(room: &str, column: &str, text: &str) -> Value {
    json!({"type": "post_card", "room": room, "column": column, "text": text})
}

pub fn move_to(participant: &str, room: &str) -> Value {
    json!({"type": "move_participant", "participant": participant, "room": room})
}

/// The cards of a welcome or snapshot frame, as texts.
pub fn card_texts(frame: &Value) -> Vec<String> {
    frame["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["text"].as_str().expect("text").to_string())
        .collect()
}
