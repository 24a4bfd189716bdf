//! Abuse from a shared code (issue 21, items 1 and 9): staff lock joining and replace
//! either code (old links stop working, people already in stay, the lookup follows, across
//! a restart), and a join retried with its idempotency key never makes a second
//! participant.

mod common;
use common::*;
use serde_json::{json, Value};

async fn join_with(server: &TestServer, w: &Workshop, body: Value) -> (u16, Value) {
    server
        .post_json(&format!("/api/workshops/{}/join", w.id), body)
        .await
}

async fn lookup(server: &TestServer, code: &str) -> (u16, Value) {
    let r = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits for the `code_rotated` event; returns the new code.
async fn rotated(c: &mut TestClient, role: &str) -> String {
    let ev = c.event_of_type("code_rotated").await;
    assert_eq!(ev["event"]["role"], role, "{ev}");
    ev["event"]["code"].as_str().expect("code").to_string()
}

#[tokio::test]
async fn staff_lock_joining_and_open_it_again() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    a.refused(json!({"type": "lock_joining", "locked": true}), "forbidden")
        .await;
    f.ok(json!({"type": "lock_joining", "locked": true})).await;
    let ev = f.event_of_type("joining_locked").await;
    assert_eq!(ev["event"]["locked"], true);
    let body = json!({"code": w.delegate_code, "name": "Late", "country": "BR"});
    let (status, answer) = join_with(&server, &w, body.clone()).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("closed")),
        "{answer}"
    );
    assert!(answer["message"].as_str().unwrap_or("").contains("locked"));
    // Those already in stay in.
    a.ok(post_card(&w.rooms[0], "strengths", "still here"))
        .await;
    let again = server.connect(&ana.token).await;
    assert_eq!(again.welcome["type"], "welcome");
    assert!(again.welcome["snapshot"]["session"]
        .get("joining_locked")
        .is_none());
    assert_eq!(
        server.connect(&w.organizer_token).await.welcome["snapshot"]["session"]["joining_locked"],
        true
    );
    // Staff-only: the delegate never hears of it (their own later command's answer is
    // the barrier).
    let id = a.fresh_id();
    a.send(json!({"type": "post_card", "id": id, "room": w.rooms[0], "column": "strengths", "text": "barrier"}))
        .await;
    loop {
        let v = a.recv().await.expect("barrier");
        assert_ne!(v["event"]["type"], "joining_locked", "{v}");
        if v["id"] == id {
            break;
        }
    }
    f.ok(json!({"type": "lock_joining", "locked": false})).await;
    let (status, answer) = join_with(&server, &w, body).await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn a_rotated_delegate_code_stops_old_links_and_reaches_staff_across_a_restart() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut org = server.connect(&w.organizer_token).await;
    f.ok(json!({"type": "rotate_code", "role": "delegate"}))
        .await;
    let new_code = rotated(&mut f, "delegate").await;
    assert_eq!(rotated(&mut org, "delegate").await, new_code);
    assert_ne!(new_code, w.delegate_code);
    let id = a.fresh_id();
    a.send(json!({"type": "post_card", "id": id, "room": w.rooms[0], "column": "strengths", "text": "barrier"}))
        .await;
    loop {
        let v = a.recv().await.expect("barrier");
        assert_ne!(
            v["event"]["type"], "code_rotated",
            "a delegate never sees a code: {v}"
        );
        if v["id"] == id {
            break;
        }
    }
    check_rotated(&server, &w, &new_code, &ana.token, "before the restart").await;
    drop((a, f, org));
    assert!(server.terminate().await.success());
    server.restart().await;
    check_rotated(&server, &w, &new_code, &ana.token, "after the restart").await;
}

async fn check_rotated(server: &TestServer, w: &Workshop, new_code: &str, ana: &str, when: &str) {
    let old = json!({"code": w.delegate_code, "name": "Old link", "country": "BR"});
    let (status, answer) = join_with(server, w, old).await;
    assert_eq!(status, 401, "{when}: {answer}");
    assert_eq!(lookup(server, &w.delegate_code).await.0, 404, "{when}");
    let (status, found) = lookup(server, new_code).await;
    assert_eq!(status, 200, "{when}: {found}");
    assert_eq!(found["workshop"], w.id.as_str());
    assert_eq!(found["role"], "delegate");
    let fresh = json!({"code": new_code, "name": "New link", "country": "BR"});
    assert_eq!(join_with(server, w, fresh).await.0, 201, "{when}");
    // The facilitator code is untouched, and Ana is still in.
    assert_eq!(lookup(server, &w.facilitator_code).await.0, 200, "{when}");
    let mut a = server.connect(ana).await;
    a.ok(post_card(&w.rooms[0], "strengths", "still in")).await;
}

#[tokio::test]
async fn only_the_organizer_and_the_lead_replace_the_facilitator_code() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let lead = server.facilitator(&w, "Lead").await;
    let other = server.facilitator(&w, "Other").await;
    let mut o = server.connect(&other.token).await;
    o.refused(
        json!({"type": "rotate_code", "role": "facilitator"}),
        "forbidden",
    )
    .await;
    o.refused(
        json!({"type": "rotate_code", "role": "organizer"}),
        "invalid",
    )
    .await;
    let mut l = server.connect(&lead.token).await;
    l.ok(json!({"type": "rotate_code", "role": "facilitator"}))
        .await;
    let code = rotated(&mut l, "facilitator").await;
    assert_eq!(rotated(&mut o, "facilitator").await, code);
    let old = json!({"code": w.facilitator_code, "name": "Old", "language": "en"});
    assert_eq!(join_with(&server, &w, old).await.0, 401);
    let (status, found) = lookup(&server, &code).await;
    assert_eq!((status, found["role"].as_str()), (200, Some("facilitator")));
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "rotate_code", "role": "facilitator"}))
        .await;
    assert_ne!(rotated(&mut org, "facilitator").await, code);
    assert_eq!(lookup(&server, &code).await.0, 404);
}

#[tokio::test]
async fn a_retried_join_with_its_key_is_the_same_participant_even_after_a_restart() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let key = "3f0c9a52-7d61-4e1b-9a8e-5b2d6c7e8f90";
    let body =
        json!({"code": w.delegate_code, "name": "Ana", "country": "AR", "idempotency_key": key});
    let (status, first) = join_with(&server, &w, body.clone()).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = join_with(&server, &w, body.clone()).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(first, second);
    let other = json!({"code": w.delegate_code, "name": "Ana", "country": "AR", "idempotency_key": format!("{key}-2")});
    let (_, third) = join_with(&server, &w, other).await;
    assert_ne!(third["participant_id"], first["participant_id"]);
    // Concurrent retries (a double click) make one participant.
    let both = futures_util::future::join_all((0..4).map(|_| {
        join_with(&server, &w, json!({"code": w.delegate_code, "name": "Bo", "country": "BR", "idempotency_key": "double-click-0123456789"}))
    }))
    .await;
    assert!(
        both.iter().all(|(s, v)| *s == 201 && v == &both[0].1),
        "{both:?}"
    );
    let names = |welcome: &Value| -> Vec<String> {
        welcome["snapshot"]["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let org = server.connect(&w.organizer_token).await;
    let mut seen = names(&org.welcome);
    seen.sort();
    assert_eq!(seen, ["Ana", "Ana", "Bo", "Organizer"]);
    drop(org);
    assert!(server.terminate().await.success());
    server.restart().await;
    let (status, after) = join_with(&server, &w, body).await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(
        after, first,
        "the same participant and token after a restart"
    );
    let mut c = server
        .connect(after["token"].as_str().expect("token"))
        .await;
    assert_eq!(c.welcome["you"]["id"], first["participant_id"]);
    c.drain().await;
    // A short key is refused (it would unseal a token if guessed).
    let short =
        json!({"code": w.delegate_code, "name": "Cy", "country": "CL", "idempotency_key": "abc"});
    let (status, answer) = join_with(&server, &w, short).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalid")),
        "{answer}"
    );
}
