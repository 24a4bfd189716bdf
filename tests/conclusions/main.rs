//! Conclusions over real sockets: what supports them (rooms, countries, votes), versions and
//! conflicts, the consolidation view and the per-country overview of the reference workshop.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

mod reference;
mod support;
mod versions;

// ---- Helpers ------------------------------------------------------------------------

/// A workshop with Ana (AR) in room 1 and Bia (BR) and Carla (CL) in room 2, each having
/// posted one card: `a` (strengths), `b` and `c` (problems).
struct TwoRooms {
    server: TestServer,
    w: Workshop,
    fac: Member,
    ana: Member,
    bia: Member,
    carla: Member,
    a: String,
    b: String,
    c: String,
}

impl TwoRooms {
    async fn posted() -> TwoRooms {
        let server = TestServer::start().await;
        let w = server.workshop().await;
        let fac = server.facilitator(&w, "Facilitator").await;
        let mut f = server.connect(&fac.token).await;
        let ana = server.delegate(&w, "Ana", "AR").await;
        let bia = server.delegate(&w, "Bia", "BR").await;
        let carla = server.delegate(&w, "Carla", "CL").await;
        f.ok(move_to(&ana.id, &w.rooms[0])).await;
        f.ok(move_to(&bia.id, &w.rooms[1])).await;
        f.ok(move_to(&carla.id, &w.rooms[1])).await;
        let a = post_as(&server, &ana, &w.rooms[0], "strengths", "National agenda").await;
        let b = post_as(&server, &bia, &w.rooms[1], "problems", "No broadband").await;
        let c = post_as(&server, &carla, &w.rooms[1], "problems", "Paper forms").await;
        TwoRooms {
            server,
            w,
            fac,
            ana,
            bia,
            carla,
            a,
            b,
            c,
        }
    }

    /// As `posted`, then in the vote phase: Ana votes `a` twice, Bia votes `b`, Carla votes
    /// `b` once and `c` three times.
    async fn voted() -> TwoRooms {
        let t = TwoRooms::posted().await;
        let mut f = t.server.connect(&t.fac.token).await;
        f.ok(json!({"type": "set_phase", "phase": "vote"})).await;
        vote_as(&t.server, &t.ana, &[&t.a, &t.a]).await;
        vote_as(&t.server, &t.bia, &[&t.b]).await;
        vote_as(&t.server, &t.carla, &[&t.b, &t.c, &t.c, &t.c]).await;
        t
    }
}

/// Votes for each card in turn as `who`, over a fresh connection.
async fn vote_as(server: &TestServer, who: &Member, cards: &[&str]) {
    let mut c = server.connect(&who.token).await;
    for card in cards {
        c.ok(json!({"type": "vote", "card": card})).await;
    }
    c.close().await;
}

/// Posts a card as `who` over a fresh connection; returns its id.
async fn post_as(
    server: &TestServer,
    who: &Member,
    room: &str,
    column: &str,
    text: &str,
) -> String {
    let mut c = server.connect(&who.token).await;
    let seq = c.ok(post_card(room, column, text)).await;
    let id = created(&mut c, "card_posted", "card", seq).await;
    c.close().await;
    id
}

/// Adds a conclusion; returns its id.
async fn add(f: &mut TestClient, theme: &str, text: &str, cards: &[&str]) -> String {
    let seq = f
        .ok(json!({"type": "add_conclusion", "theme": theme, "text": text, "cards": cards}))
        .await;
    created(f, "conclusion_added", "conclusion", seq).await
}

fn edit_text(conclusion: &str, version: u64, text: &str) -> Value {
    json!({"type": "edit_conclusion", "conclusion": conclusion, "version": version, "text": text})
}

/// The id in field `field` of the `ty` event with this `seq`.
async fn created(c: &mut TestClient, ty: &str, field: &str, seq: u64) -> String {
    loop {
        let ev = c.event_of_type(ty).await;
        if ev["seq"].as_u64() == Some(seq) {
            return ev["event"][field].as_str().expect("id").to_string();
        }
    }
}

async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

fn conclusion<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("conclusion {id} not in {snapshot}"))
}

fn conclusion_ids(snapshot: &Value, theme: &str) -> Vec<String> {
    snapshot["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .filter(|c| c["theme"] == theme)
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// `GET path` with an optional bearer token; status and JSON body.
async fn get(server: &TestServer, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = server.http.get(server.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn consolidation(server: &TestServer, workshop: &str, token: &str) -> Value {
    let (status, body) = get(
        server,
        &format!("/api/workshops/{workshop}/consolidation"),
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The cards of one theme block's column in a consolidation view.
fn cards_at<'a>(view: &'a Value, theme: &str, column: &str) -> &'a Vec<Value> {
    let block = view["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .find(|b| b["theme"] == theme)
        .unwrap_or_else(|| panic!("no theme {theme}"));
    block["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("no column {column}"))["cards"]
        .as_array()
        .expect("cards")
}

/// The last word of the first printed line starting with `label`.
fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// Counts per key, as the JSON object the overview answers with.
fn counts<'a>(keys: impl Iterator<Item = &'a String>) -> Value {
    let mut m: BTreeMap<&str, u64> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    json!(m)
}

/// The reference workshop as the fixture describes it.
struct Fixture {
    /// Delegates per country code.
    delegates: BTreeMap<String, u64>,
    /// (key, name) in room order.
    rooms: Vec<(String, String)>,
    /// Countries of each room key.
    room_countries: Vec<Vec<String>>,
    cards: Vec<FixtureCard>,
    conclusions: Vec<FixtureConclusion>,
}

struct FixtureCard {
    key: String,
    room: String,
    column: String,
    theme: String,
    text: String,
    /// The author's country.
    country: String,
}

struct FixtureConclusion {
    theme: String,
    text: String,
    cards: Vec<String>,
}

impl Fixture {
    fn load() -> Fixture {
        let fx: Value = serde_json::from_str(include_str!("../../data/going-digital-2020.json"))
            .expect("fixture");
        let s = |v: &Value| v.as_str().expect("string").to_string();
        let country_of: BTreeMap<String, String> = fx["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .filter(|p| p["country"].is_string())
            .map(|p| (s(&p["key"]), s(&p["country"])))
            .collect();
        Fixture {
            delegates: fx["countries"]
                .as_array()
                .expect("countries")
                .iter()
                .map(|c| (s(&c["code"]), c["delegates"].as_u64().expect("delegates")))
                .collect(),
            rooms: fx["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| (s(&r["key"]), s(&r["name"])))
                .collect(),
            room_countries: fx["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| {
                    r["countries"]
                        .as_array()
                        .expect("countries")
                        .iter()
                        .map(s)
                        .collect()
                })
                .collect(),
            cards: fx["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .map(|c| FixtureCard {
                    key: s(&c["key"]),
                    room: s(&c["room"]),
                    column: s(&c["column"]),
                    theme: c["theme"].as_str().unwrap_or("untagged").to_string(),
                    text: s(&c["text"]),
                    country: country_of[&s(&c["author"])].clone(),
                })
                .collect(),
            conclusions: fx["conclusions"]
                .as_array()
                .expect("conclusions")
                .iter()
                .map(|k| FixtureConclusion {
                    theme: s(&k["theme"]),
                    text: s(&k["text"]),
                    cards: k["cards"]
                        .as_array()
                        .expect("cards")
                        .iter()
                        .map(s)
                        .collect(),
                })
                .collect(),
        }
    }

    fn card(&self, key: &str) -> &FixtureCard {
        self.cards
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("no card {key} in the fixture"))
    }

    /// The name of the room the fixture puts a country's delegation in.
    fn room_of_country(&self, code: &str) -> &str {
        let i = self
            .room_countries
            .iter()
            .position(|cs| cs.iter().any(|c| c == code))
            .unwrap_or_else(|| panic!("no room for {code}"));
        &self.rooms[i].1
    }
}
