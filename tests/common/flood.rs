//! Floods of pipelined commands from many clients (durability and crash tests).

use super::{TestClient, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Answers (`ack`/`error` frames) by command id, shared by the flood tasks.
#[derive(Clone, Default)]
pub struct Answers(pub Arc<Mutex<HashMap<String, Value>>>);

impl Answers {
    pub fn len(&self) -> usize {
        self.0.lock().expect("answers").len()
    }

    pub fn take(&self) -> HashMap<String, Value> {
        std::mem::take(&mut *self.0.lock().expect("answers"))
    }
}

pub async fn wait_for(answers: &Answers, n: usize) {
    tokio::time::timeout(WAIT, async {
        while answers.len() < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the first answers arrive");
}

/// Connects every client (each has its welcome), then starts them all at once.
pub async fn flood_all(
    server: &TestServer,
    tokens: &[String],
    batches: &[Vec<Value>],
    answers: &Answers,
) -> Vec<tokio::task::JoinHandle<()>> {
    let go = Arc::new(tokio::sync::Barrier::new(tokens.len() + 1));
    let mut ready = Vec::new();
    let floods = tokens
        .iter()
        .zip(batches)
        .map(|(token, cmds)| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            ready.push(rx);
            let (url, token) = (server.ws_url(), token.clone());
            flood(url, token, cmds.clone(), answers.clone(), tx, go.clone())
        })
        .collect();
    for r in ready {
        r.await.expect("connected");
    }
    go.wait().await;
    floods
}

/// Connects and says hello; once welcomed, signals `ready` and waits for `go`. Then sends
/// every command without waiting while a reader collects the answers, until all are
/// answered or the connection drops. Send errors (server gone) end the writer.
pub fn flood(
    url: String,
    token: String,
    cmds: Vec<Value>,
    answers: Answers,
    ready: tokio::sync::oneshot::Sender<()>,
    go: Arc<tokio::sync::Barrier>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut socket = TestClient::raw(&url).await;
        let hello = json!({"type": "hello", "token": token}).to_string();
        socket.send(Message::text(hello)).await.expect("hello");
        let welcome = socket.next().await.expect("welcome").expect("welcome");
        assert!(welcome.to_text().expect("text").contains("welcome"));
        let _ = ready.send(());
        go.wait().await;
        let (mut sink, mut stream) = socket.split();
        let expected = cmds.len();
        let writer = tokio::spawn(async move {
            for cmd in cmds {
                if sink.send(Message::text(cmd.to_string())).await.is_err() {
                    break;
                }
            }
            sink
        });
        let mut answered = 0;
        while answered < expected {
            let msg = match tokio::time::timeout(WAIT, stream.next()).await {
                Ok(Some(Ok(msg))) => msg,
                _ => break,
            };
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(&text).expect("JSON");
            if v["type"] == "ack" || v["type"] == "error" {
                let id = v["id"].as_str().expect("answer id").to_string();
                answers.0.lock().expect("answers").insert(id, v);
                answered += 1;
            }
        }
        let _ = writer.await;
    })
}
