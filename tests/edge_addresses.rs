//! Per-address limits on the code endpoints (issue #21, items 1 and 2): joins and code
//! lookups are rate-limited per client address, answered `429 rate_limited` with
//! `Retry-After`; wrong codes block the address from both with a back-off; a trusted
//! proxy's `X-Forwarded-For` names the client, anyone else's is ignored; failed lookups
//! are not logged at INFO; facilitator codes are long enough not to be guessed.

mod common;
use common::*;
use serde_json::{json, Value};

async fn join_as(
    server: &TestServer,
    w: &Workshop,
    code: &str,
    name: &str,
    forwarded_for: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut request = server
        .http
        .post(server.url(&format!("/api/workshops/{}/join", w.id)))
        .json(&json!({"code": code, "name": name, "country": "AR"}));
    if let Some(xff) = forwarded_for {
        request = request.header("X-Forwarded-For", xff);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

async fn lookup(server: &TestServer, code: &str) -> (u16, Option<String>, Value) {
    let r = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

fn assert_limited(status: u16, retry: &Option<String>, body: &Value) {
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "rate_limited", "{body}");
    let seconds: u64 = retry
        .as_deref()
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(seconds >= 1, "{seconds}");
}

#[tokio::test]
async fn joins_from_one_address_are_limited_and_a_delegate_code_cannot_fill_a_workshop() {
    let server = TestServer::start_with(&["--join-rate-limit", "5"]).await;
    let w = server.workshop().await;
    for i in 0..5 {
        let (status, _, body) =
            join_as(&server, &w, &w.delegate_code, &format!("Bot {i}"), None).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, retry, body) = join_as(&server, &w, &w.delegate_code, "Bot 5", None).await;
    assert_limited(status, &retry, &body);
    // Only those five (and the organizer) are in.
    let welcome = server.connect(&w.organizer_token).await.welcome;
    assert_eq!(
        welcome["snapshot"]["participants"].as_array().map(Vec::len),
        Some(6)
    );
    let metrics = scrape(&server).await;
    assert!(value(&metrics, "cabildo_rate_limited_total{limit=\"join\"}") >= 1.0);
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_for_names_the_client_and_anyone_elses_is_ignored() {
    // The test client's own address is the trusted proxy.
    let proxied =
        TestServer::start_with(&["--join-rate-limit", "2", "--trusted-proxy", "127.0.0.0/8"]).await;
    let w = proxied.workshop().await;
    for name in ["A1", "A2"] {
        let (status, _, body) =
            join_as(&proxied, &w, &w.delegate_code, name, Some("198.51.100.1")).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, retry, body) =
        join_as(&proxied, &w, &w.delegate_code, "A3", Some("198.51.100.1")).await;
    assert_limited(status, &retry, &body);
    // Another client behind the same proxy has its own budget.
    let (status, _, body) =
        join_as(&proxied, &w, &w.delegate_code, "B1", Some("198.51.100.2")).await;
    assert_eq!(status, 201, "{body}");

    // Without --trusted-proxy the header is the client's own word: ignored.
    let direct = TestServer::start_with(&["--join-rate-limit", "2"]).await;
    let w = direct.workshop().await;
    for (name, xff) in [("C1", "203.0.113.1"), ("C2", "203.0.113.2")] {
        let (status, _, body) = join_as(&direct, &w, &w.delegate_code, name, Some(xff)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, retry, body) =
        join_as(&direct, &w, &w.delegate_code, "C3", Some("203.0.113.3")).await;
    assert_limited(status, &retry, &body);
}

#[tokio::test]
async fn code_lookups_from_one_address_are_limited() {
    let server = TestServer::start_with(&["--lookup-rate-limit", "4"]).await;
    let w = server.workshop().await;
    for _ in 0..4 {
        let (status, _, body) = lookup(&server, &w.delegate_code).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, retry, body) = lookup(&server, &w.delegate_code).await;
    assert_limited(status, &retry, &body);
}

#[tokio::test]
async fn wrong_codes_block_lookups_and_joins_and_are_not_logged_at_info() {
    let server = TestServer::start_with(&["--code-failure-limit", "3"]).await;
    let w = server.workshop().await;
    for guess in ["AAAAAAAA", "BBBBBBBB"] {
        let (status, _, body) = lookup(&server, guess).await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, _, body) = join_as(&server, &w, "CCCCCCCC", "Eve", None).await;
    assert_eq!(status, 401, "{body}");
    // The budget is spent: even the right code is refused now, for a while.
    let (status, retry, body) = lookup(&server, &w.delegate_code).await;
    assert_limited(status, &retry, &body);
    let seconds: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((30..=60).contains(&seconds), "{seconds}");
    let (status, retry, body) = join_as(&server, &w, &w.delegate_code, "Eve", None).await;
    assert_limited(status, &retry, &body);

    // The failed lookups were answered at DEBUG, never INFO.
    let log = strip_ansi(&server.log());
    let answered_404: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("answered") && l.contains("status=404"))
        .collect();
    assert_eq!(answered_404.len(), 2, "{log}");
    assert!(
        answered_404.iter().all(|l| !l.contains(" INFO ")),
        "{answered_404:?}"
    );
}

#[tokio::test]
async fn facilitator_codes_are_long_and_typed_in_any_grouping() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    assert!(w.facilitator_code.len() >= 12, "{}", w.facilitator_code);
    let c = &w.facilitator_code;
    let typed = format!("{}-{} {}", &c[..4], &c[4..8], c[8..].to_lowercase());
    let (status, _, body) = lookup(&server, &typed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "facilitator");
}

/// The log without its terminal colours.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
