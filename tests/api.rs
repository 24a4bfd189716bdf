//! The REST API as an organizer and delegates use it: health, OpenAPI, creating a workshop
//! and joining one (metrics: operations.rs).

mod common;
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn healthz_answers_200() {
    let server = TestServer::start().await;
    let r = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn openapi_document_is_json_for_openapi_3_1() {
    let server = TestServer::start().await;
    let r = server
        .http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.expect("valid JSON");
    let version = doc["openapi"].as_str().expect("openapi field");
    assert!(version.starts_with("3.1"), "{version}");
}

#[tokio::test]
async fn unknown_path_is_404_not_found() {
    let server = TestServer::start().await;
    let r = server
        .http
        .get(server.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_error(r.json().await.unwrap(), "not_found");
}

#[tokio::test]
async fn creating_a_workshop_without_a_token_is_401_unauthorized() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post_json("/api/workshops", json!({"title": "No token"}))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_error(body, "unauthorized");
}

#[tokio::test]
async fn creating_a_workshop_with_a_wrong_token_is_403_forbidden() {
    let server = TestServer::start().await;
    let r = server
        .http
        .post(server.url("/api/workshops"))
        .bearer_auth("not-the-admin-token")
        .json(&json!({"title": "Wrong token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_error(r.json().await.unwrap(), "forbidden");
}

#[tokio::test]
async fn new_workshop_has_four_rooms_three_columns_six_themes_and_five_votes() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let names: Vec<&str> = w.json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Room 1", "Room 2", "Room 3", "Room 4"]);
    assert_eq!(w.rooms.len(), 4);
    let s = &w.json["settings"];
    assert_eq!(keys(&s["columns"]), ["strengths", "problems", "solutions"]);
    assert_eq!(
        keys(&s["themes"]),
        [
            "governance",
            "data",
            "capabilities",
            "innovation",
            "services",
            "divide"
        ]
    );
    assert_eq!(s["votes_per_participant"], 5);
    assert_eq!(s["title"], "Going Digital");
}

#[tokio::test]
async fn new_workshop_takes_custom_rooms_columns_themes_and_votes() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({
            "title": "Andes",
            "language": "es",
            "languages": ["es", "pt"],
            "rooms": ["Norte", "Sur"],
            "columns": ["strengths", {"key": "ideas", "title": "Ideas"}],
            "themes": [{"key": "data", "title": "Datos"}],
            "votes_per_participant": 3
        }))
        .await;
    let names: Vec<&str> = w.json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Norte", "Sur"]);
    let s = &w.json["settings"];
    assert_eq!(keys(&s["columns"]), ["strengths", "ideas"]);
    assert_eq!(s["columns"][1]["title"], "Ideas");
    assert_eq!(keys(&s["themes"]), ["data"]);
    assert_eq!(s["themes"][0]["title"], "Datos");
    assert_eq!(s["votes_per_participant"], 3);
    assert_eq!(s["language"], "es");
    assert_eq!(s["languages"], json!(["es", "pt"]));
}

#[tokio::test]
async fn invalid_workshop_bodies_are_400_invalid() {
    let server = TestServer::start().await;
    let cases = [
        ("malformed JSON", r#"{"title": "#.to_string()),
        ("missing title", json!({"rooms": ["A"]}).to_string()),
        ("empty title", json!({"title": "   "}).to_string()),
        (
            "unknown field",
            json!({"title": "T", "colour": "red"}).to_string(),
        ),
        (
            "duplicate column keys",
            json!({"title": "T", "columns": ["problems", "problems"]}).to_string(),
        ),
        (
            "bad language",
            json!({"title": "T", "language": "fr"}).to_string(),
        ),
        ("zero rooms", json!({"title": "T", "rooms": []}).to_string()),
    ];
    for (what, body) in cases {
        let (status, v) = create_raw(&server, body).await;
        assert_eq!(status, 400, "{what}: {v}");
        assert_eq!(v["code"], "invalid", "{what}: {v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty(), "{what}");
    }
}

#[tokio::test]
async fn workshop_body_over_64_kib_is_413_too_large() {
    let server = TestServer::start().await;
    let body = json!({"title": "x".repeat(70 * 1024)}).to_string();
    let (status, v) = create_raw(&server, body).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["code"], "too_large", "{v}");
}

#[tokio::test]
async fn join_codes_are_unambiguous_characters_and_the_organizer_token_is_long() {
    let server = TestServer::start().await;
    for _ in 0..5 {
        let w = server.workshop().await;
        // Delegate codes 8 characters, facilitator codes 12 (docs/RELIABILITY.md, Limits).
        for (code, len) in [(&w.facilitator_code, 12), (&w.delegate_code, 8)] {
            assert_eq!(code.chars().count(), len, "{code}");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                "{code}"
            );
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
        assert_ne!(w.facilitator_code, w.delegate_code);
        assert!(w.organizer_token.len() >= 32, "{}", w.organizer_token);
    }
}

#[tokio::test]
async fn delegate_code_joins_as_delegate_and_facilitator_code_as_facilitator() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let d = server.delegate(&w, "Ana", "AR").await;
    assert_eq!(d.role, "delegate");
    let f = server.facilitator(&w, "Fran").await;
    assert_eq!(f.role, "facilitator");
}

#[tokio::test]
async fn join_code_is_case_insensitive() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let m = server
        .join(&w, &w.delegate_code.to_lowercase(), "Ana", "AR")
        .await;
    assert_eq!(m.role, "delegate");
}

#[tokio::test]
async fn join_with_a_wrong_code_is_401_unauthorized() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    // A code from the valid alphabet that is neither of this workshop's codes.
    let wrong = if w.delegate_code == "ABCDEFGH" || w.facilitator_code == "ABCDEFGH" {
        "HGFEDCBA"
    } else {
        "ABCDEFGH"
    };
    let (status, v) = join_raw(
        &server,
        &w.id,
        json!({"code": wrong, "name": "Eve", "country": "AR", "language": "es"}),
    )
    .await;
    assert_eq!(status, 401, "{v}");
    assert_error(v, "unauthorized");
}

#[tokio::test]
async fn join_of_an_unknown_or_malformed_workshop_id_is_404_not_found() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let body = json!({"code": w.delegate_code, "name": "Ana", "country": "AR", "language": "es"});
    let unknown = "6f1c1a0e-3b9a-4c1e-9a57-6a7e2f3b1c00";
    for id in [unknown, "not-a-uuid"] {
        let (status, v) = join_raw(&server, id, body.clone()).await;
        assert_eq!(status, 404, "{id}: {v}");
        assert_error(v, "not_found");
    }
}

#[tokio::test]
async fn join_with_bad_details_is_400_invalid() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "T", "language": "es", "languages": ["es", "en"]}))
        .await;
    let code = &w.delegate_code;
    let cases = [
        (
            "missing name",
            json!({"code": code, "country": "AR", "language": "es"}),
        ),
        (
            "delegate without country",
            json!({"code": code, "name": "Ana", "language": "es"}),
        ),
        (
            "country not ISO",
            json!({"code": code, "name": "Ana", "country": "Argentina", "language": "es"}),
        ),
        (
            "language not in workshop",
            json!({"code": code, "name": "Ana", "country": "AR", "language": "pt"}),
        ),
    ];
    for (what, body) in cases {
        let (status, v) = join_raw(&server, &w.id, body).await;
        assert_eq!(status, 400, "{what}: {v}");
        assert_eq!(v["code"], "invalid", "{what}: {v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty(), "{what}");
    }
}

#[tokio::test]
async fn every_join_gets_its_own_token_and_participant() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let a = server.delegate(&w, "Ana", "AR").await;
    let b = server.delegate(&w, "Ana", "AR").await;
    assert_ne!(a.token, b.token);
    assert_ne!(a.id, b.id);
    assert!(a.token.len() >= 32, "{}", a.token);
}

#[tokio::test]
async fn joined_token_opens_a_websocket_as_that_participant() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let m = server.delegate(&w, "Ana", "ar").await;
    let c = server.connect(&m.token).await;
    let you = &c.welcome["you"];
    assert_eq!(you["id"], m.id.as_str());
    assert_eq!(you["role"], "delegate");
    assert_eq!(you["name"], "Ana");
    assert_eq!(you["country"], "AR");
    assert_eq!(c.welcome["snapshot"]["workshop"]["id"], w.id.as_str());
}

// ---- helpers for this file ----

fn assert_error(body: Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        !body["message"].as_str().unwrap_or("").is_empty(),
        "message in {body}"
    );
}

fn keys(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("array: {list}"))
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect()
}

/// `POST /api/workshops` with the admin token and a raw JSON body.
async fn create_raw(server: &TestServer, body: String) -> (u16, Value) {
    let r = server
        .http
        .post(server.url("/api/workshops"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn join_raw(server: &TestServer, id: &str, body: Value) -> (u16, Value) {
    server
        .post_json(&format!("/api/workshops/{id}/join"), body)
        .await
}
