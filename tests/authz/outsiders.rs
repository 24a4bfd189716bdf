//! Outsiders: another workshop's participants, removed participants and bad tokens, over
//! WebSocket and REST.

use super::matrix::{cases, command};
use super::*;

#[tokio::test]
async fn a_participant_of_another_workshop_even_its_organizer_touches_nothing_here() {
    let server = TestServer::start().await;
    let f = fixture(&server).await;
    let before = server.connect(&f.w.organizer_token).await;
    let other = server.workshop().await;
    let mut outsider = server.connect(&other.organizer_token).await;
    let mut tried = 0;
    for case in cases() {
        let cmd = command(&case, &f.targets);
        // Only commands naming something of the first workshop have a target there.
        let names_ours = cmd.as_object().expect("object").values().any(|v| {
            [
                &f.targets.room_a,
                &f.targets.room_b,
                &f.targets.room_c,
                &f.targets.card,
                &f.targets.group_1,
                &f.targets.group_2,
                &f.targets.conclusion,
                &f.targets.help,
                &f.targets.facilitator,
                &f.targets.lobby_delegate,
            ]
            .iter()
            .any(|id| v == &json!(id) || v.as_array().is_some_and(|a| a.contains(&json!(id))))
        });
        if !names_ours {
            continue;
        }
        tried += 1;
        let answer = outsider.command(cmd).await;
        assert_eq!(answer["type"], "error", "{}: {answer}", case.command);
        assert!(
            answer["code"] == "not_found" || answer["code"] == "forbidden",
            "{}: {answer}",
            case.command
        );
    }
    assert!(tried >= 30, "{tried}");
    let after = server.connect(&f.w.organizer_token).await;
    assert_eq!(after.seq, before.seq);
    assert_eq!(after.welcome["snapshot"], before.welcome["snapshot"]);
}

#[tokio::test]
async fn a_removed_participant_and_bad_tokens_cannot_connect() {
    let server = TestServer::start().await;
    let mut f = fixture(&server).await;
    let here = f.tokens[2].1.clone();
    let ana_id = f.delegate_here.welcome["you"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    f.org
        .ok(json!({"type": "remove_participant", "participant": ana_id}))
        .await;
    // Her open connection is closed with 4003, and her token no longer opens one.
    assert_eq!(f.delegate_here.close_code().await, Some(4003));
    let organizer_of_nothing = "0".repeat(64);
    let too_long = "a".repeat(300);
    for token in [
        here.as_str(),
        "",
        "not-a-token",
        &organizer_of_nothing,
        &too_long,
    ] {
        let mut ws = TestClient::raw(&server.ws_url()).await;
        use futures_util::{SinkExt, StreamExt};
        let hello = json!({"type": "hello", "token": token}).to_string();
        ws.send(tokio_tungstenite::tungstenite::Message::text(hello))
            .await
            .expect("hello");
        let code = match tokio::time::timeout(WAIT, ws.next()).await.expect("close") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                frame.map(|f| u16::from(f.code))
            }
            other => panic!("{token:?}: expected a close frame, got {other:?}"),
        };
        assert_eq!(code, Some(4001), "{token:?}");
    }
}

#[tokio::test]
async fn the_rest_reports_follow_the_same_roles() {
    let server = TestServer::start().await;
    let mut f = fixture(&server).await;
    let other = server.workshop().await;
    let removed = server.delegate(&f.w, "Dora", "DO").await;
    f.org
        .ok(json!({"type": "remove_participant", "participant": removed.id}))
        .await;
    let mut who: Vec<(String, String, u16)> = f
        .tokens
        .iter()
        .map(|(role, token)| {
            let status = if STAFF.contains(role) { 200 } else { 403 };
            (format!("{role:?}"), token.clone(), status)
        })
        .collect();
    who.push((
        "another workshop's organizer".into(),
        other.organizer_token.clone(),
        403,
    ));
    who.push(("removed".into(), removed.token.clone(), 401));
    who.push(("bad token".into(), "nope".into(), 401));
    who.push(("admin token".into(), ADMIN_TOKEN.into(), 401));
    for path in ["overview", "consolidation", "export?format=json"] {
        let url = server.url(&format!("/api/workshops/{}/{path}", f.w.id));
        for (name, token, status) in &who {
            let r = server
                .http
                .get(&url)
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status().as_u16(), *status, "{path} as {name}");
        }
        let r = server.http.get(&url).send().await.expect("request");
        assert_eq!(r.status().as_u16(), 401, "{path} without a token");
    }
    // Only the admin token creates workshops.
    for (name, token, _) in &who {
        if name == "admin token" {
            continue;
        }
        let r = server
            .http
            .post(server.url("/api/workshops"))
            .bearer_auth(token)
            .json(&json!({"title": "x"}))
            .send()
            .await
            .expect("request");
        assert!(
            r.status() == 401 || r.status() == 403,
            "create as {name}: {}",
            r.status()
        );
    }
}
