//! Slowloris (issue #21, item 3): a connection that sends nothing, half a request line or
//! a header a second is closed after the header-read timeout; at most `--max-connections`
//! are open at once, one more answered 503 with `Retry-After`; a WebSocket that never
//! sends `hello` holds a slot until the hello timeout closes it (4000); and the server
//! keeps answering while slow clients hold connections.

mod common;
use common::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn host(server: &TestServer) -> String {
    server.addr.clone()
}

/// Reads until the server closes the connection (or `WAIT` passes: `None`); returns what
/// came.
async fn read_until_closed(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(WAIT, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(all)
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed() {
    let server = TestServer::start_with(&["--header-read-timeout", "1"]).await;
    // Nothing at all.
    let mut silent = TcpStream::connect(host(&server)).await.expect("tcp");
    // Half a request line.
    let mut half = TcpStream::connect(host(&server)).await.expect("tcp");
    half.write_all(b"GET /heal").await.expect("write");
    // A header now and then, never the blank line.
    let mut trickle = TcpStream::connect(host(&server)).await.expect("tcp");
    trickle
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", host(&server)).as_bytes())
        .await
        .expect("write");
    let trickling = tokio::spawn(async move {
        for i in 0..(2 * WAIT.as_secs()) {
            if trickle
                .write_all(format!("X-Slow-{i}: a\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        false
    });
    for (name, tcp) in [("silent", &mut silent), ("half", &mut half)] {
        let got = read_until_closed(tcp).await;
        assert!(got.is_some(), "{name}: still open");
    }
    assert!(
        trickling.await.expect("task"),
        "the trickling connection was never closed"
    );
    // A kept-alive connection that goes quiet after a request is closed the same way.
    let mut idle = TcpStream::connect(host(&server)).await.expect("tcp");
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", host(&server)).as_bytes())
        .await
        .expect("write");
    let got = read_until_closed(&mut idle)
        .await
        .expect("closed when idle");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn one_connection_over_the_cap_is_answered_503_and_the_slot_comes_back() {
    let server =
        TestServer::start_with(&["--max-connections", "3", "--header-read-timeout", "2"]).await;
    // The health check's pooled connection may hold a slot: drop the client's pool first.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let mut held = Vec::new();
    while held.len() < 3 {
        held.push(TcpStream::connect(host(&server)).await.expect("tcp"));
    }
    // Ordering barrier: the server has accepted all three before the fourth comes, since
    // it accepts in order; the fourth is refused.
    let r = http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("an answer, not a reset");
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(body["code"], "unavailable", "{body}");
    let refused = value(
        &scrape_when_free(&server, &http, held).await,
        "cabildo_connections_refused_total",
    );
    assert!(refused >= 1.0, "{refused}");
}

/// Drops the held connections, then scrapes the metrics (which needs a free slot).
async fn scrape_when_free(
    server: &TestServer,
    http: &reqwest::Client,
    held: Vec<TcpStream>,
) -> std::collections::HashMap<String, f64> {
    drop(held);
    for _ in 0..200 {
        if let Ok(r) = http.get(server.url("/metrics")).send().await {
            if r.status() == 200 {
                return samples(&r.text().await.expect("text"));
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the slots never came back");
}

#[tokio::test]
async fn websockets_without_hello_hold_a_slot_until_the_hello_timeout_closes_them() {
    // Three slots: the start-up health check's kept-alive connection holds one.
    let server = TestServer::start_with(&[
        "--max-connections",
        "3",
        "--hello-timeout",
        "1",
        "--header-read-timeout",
        "60",
    ])
    .await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let mut a = TestClient::raw(&server.ws_url()).await;
    let mut b = TestClient::raw(&server.ws_url()).await;
    // Both upgraded sockets count: a third connection is refused.
    let r = http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 503);
    // Neither sent hello: both are closed with 4000.
    assert_eq!(raw_close_code(&mut a).await, Some(4000));
    assert_eq!(raw_close_code(&mut b).await, Some(4000));
    drop((a, b));
    let mut served = false;
    for _ in 0..200 {
        let r = http
            .get(server.url("/healthz"))
            .send()
            .await
            .expect("answer");
        if r.status() == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(served, "the slots came back after the close");
}

/// The figure in docs/RELIABILITY.md: 1,000 slowloris connections (half a request line
/// each) held while the server answers others.
#[tokio::test]
async fn the_server_answers_while_a_thousand_slow_clients_hold_connections() {
    let server = TestServer::start_with(&["--header-read-timeout", "30"]).await;
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut tcp = TcpStream::connect(host(&server)).await.expect("tcp");
        tcp.write_all(b"GET /healthz HTT").await.expect("write");
        slow.push(tcp);
    }
    for _ in 0..20 {
        let r = server
            .http
            .get(server.url("/healthz"))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 200);
    }
    let w = server.workshop().await;
    server.delegate(&w, "Ana", "AR").await;
    drop(slow);
}
