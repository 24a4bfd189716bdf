//! The origin check over real HTTP: a browser page from a foreign origin can neither open
//! the WebSocket nor call a state-changing REST endpoint (403 `forbidden`); the server's
//! own origin, configured origins and clients sending no `Origin` (curl, scripts) can.

mod common;
use common::*;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const FOREIGN: &str = "https://evil.example";

async fn post_with_origin(
    server: &TestServer,
    path: &str,
    origin: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = server
        .http
        .post(server.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Opens the WebSocket with this `Origin`; returns the HTTP status of a refused upgrade
/// and its body, or `None` when the upgrade succeeded.
async fn upgrade_with_origin(server: &TestServer, origin: &str) -> Option<(u16, Value)> {
    let mut request = server.ws_url().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_str(origin).expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Some((response.status().as_u16(), body))
        }
        Err(e) => panic!("unexpected handshake error {e}"),
    }
}

fn assert_forbidden(status: u16, body: &Value) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "forbidden", "{body}");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("origin")));
}

#[tokio::test]
async fn a_foreign_origin_cannot_create_join_or_open_the_websocket() {
    let server = TestServer::start().await;
    let (status, body) = post_with_origin(
        &server,
        "/api/workshops",
        Some(FOREIGN),
        json!({"title": "x"}),
    )
    .await;
    assert_forbidden(status, &body);
    let w = server.workshop().await;
    let join = json!({"code": w.delegate_code, "name": "Eve", "country": "AR"});
    let path = format!("/api/workshops/{}/join", w.id);
    let (status, body) = post_with_origin(&server, &path, Some(FOREIGN), join.clone()).await;
    assert_forbidden(status, &body);
    let (status, body) = post_with_origin(&server, &path, Some("null"), join).await;
    assert_forbidden(status, &body);
    let (status, body) = upgrade_with_origin(&server, FOREIGN)
        .await
        .expect("the upgrade is refused");
    assert_forbidden(status, &body);
    // A foreign origin on the same host but another port is another origin.
    let port: u16 = server
        .addr
        .rsplit(':')
        .next()
        .expect("port")
        .parse()
        .expect("port");
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    assert!(upgrade_with_origin(&server, &other_port).await.is_some());
    // Nobody joined: only the organizer is there.
    let welcome = server.connect(&w.organizer_token).await.welcome;
    assert_eq!(
        welcome["snapshot"]["participants"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn the_servers_own_origin_and_clients_without_origin_are_served() {
    let server = TestServer::start().await;
    let own = format!("http://{}", server.addr);
    let (status, body) =
        post_with_origin(&server, "/api/workshops", Some(&own), json!({"title": "x"})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) =
        post_with_origin(&server, "/api/workshops", None, json!({"title": "y"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(upgrade_with_origin(&server, &own).await, None);
    // Reading is not guarded: it needs a token, and no cookie carries one.
    let r = server
        .http
        .get(server.url("/healthz"))
        .header("Origin", FOREIGN)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn configured_origins_are_allowed_and_others_still_refused() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "0",
        "--allowed-origins",
        "https://workshop.example.org/, http://localhost:5173",
    ])
    .await;
    for origin in ["https://WORKSHOP.example.org:443", "http://localhost:5173"] {
        let (status, body) = post_with_origin(
            &server,
            "/api/workshops",
            Some(origin),
            json!({"title": "x"}),
        )
        .await;
        assert_eq!(status, 201, "{origin}: {body}");
        assert_eq!(upgrade_with_origin(&server, origin).await, None, "{origin}");
    }
    let (status, body) = post_with_origin(
        &server,
        "/api/workshops",
        Some("http://localhost:5174"),
        json!({"title": "x"}),
    )
    .await;
    assert_forbidden(status, &body);
}
