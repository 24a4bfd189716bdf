//! A client of Janus's HTTP API, server to server: one session, its handles, and the
//! long poll that carries Janus's events back.
//!
//! Synchronous plugin requests (`create`, `destroy`, `listparticipants`) answer in the HTTP
//! response. Asynchronous ones (`join`, `configure`, `changeroom`) answer `ack`, and their
//! result arrives later as an event with the same transaction, through the long poll; the
//! waiter is registered before the request goes out, so an event that overtakes the `ack`
//! is not lost. Events no request waits for (talking, hangup) go to their handle's channel.
//!
//! When the long poll fails (Janus stopped, restarted, or forgot the session), the session
//! is lost: every waiter and every handle channel is dropped, and the owner starts anew.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Longest wait for a plain request, and for the event answering an asynchronous one.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for one long poll: Janus answers a `keepalive` after 30 s of quiet.
const POLL_TIMEOUT: Duration = Duration::from_secs(45);
/// Events a long poll may bring at once.
const POLL_BATCH: u32 = 20;
/// Events queued for one handle before further ones are dropped (talking events only).
const HANDLE_QUEUE: usize = 64;
/// AudioBridge: a room with that id exists already.
pub const ROOM_EXISTS: i64 = 486;

#[derive(Debug, thiserror::Error)]
pub enum JanusError {
    #[error("Janus is unreachable: {0}")]
    Unreachable(String),
    #[error("Janus refused: {code} {reason}")]
    Janus { code: i64, reason: String },
    #[error("the AudioBridge refused: {code} {reason}")]
    Plugin { code: i64, reason: String },
    #[error("Janus did not answer in time")]
    Timeout,
    #[error("the Janus session was lost")]
    Lost,
    #[error("Janus answered something unexpected")]
    Unexpected,
}

/// One Janus session and what waits on it.
pub struct Session {
    http: reqwest::Client,
    base: String,
    pub id: u64,
    next: AtomicU64,
    waiters: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    handles: Mutex<HashMap<u64, mpsc::Sender<Value>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The plugin's answer inside a Janus message, or its error.
fn plugin_data(answer: &Value) -> Result<Value, JanusError> {
    let data = answer
        .pointer("/plugindata/data")
        .cloned()
        .ok_or(JanusError::Unexpected)?;
    if let Some(code) = data.get("error_code").and_then(Value::as_i64) {
        let reason = data["error"].as_str().unwrap_or_default().to_string();
        return Err(JanusError::Plugin { code, reason });
    }
    Ok(data)
}

fn janus_error(answer: &Value) -> Option<JanusError> {
    (answer["janus"] == "error").then(|| JanusError::Janus {
        code: answer
            .pointer("/error/code")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        reason: answer
            .pointer("/error/reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Result<Value, JanusError> {
    let response = http
        .post(url)
        .json(body)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                JanusError::Timeout
            } else {
                JanusError::Unreachable(e.without_url().to_string())
            }
        })?;
    let answer: Value = response
        .json()
        .await
        .map_err(|e| JanusError::Unreachable(e.without_url().to_string()))?;
    match janus_error(&answer) {
        Some(e) => Err(e),
        None => Ok(answer),
    }
}

impl Session {
    /// Opens a session on the Janus whose API is at `base` (e.g. `http://127.0.0.1:8088/janus`).
    pub async fn create(http: reqwest::Client, base: &str) -> Result<Arc<Session>, JanusError> {
        let base = base.trim_end_matches('/').to_string();
        let answer = post(
            &http,
            &base,
            &json!({"janus": "create", "transaction": "c"}),
        )
        .await?;
        let id = answer
            .pointer("/data/id")
            .and_then(Value::as_u64)
            .ok_or(JanusError::Unexpected)?;
        Ok(Arc::new(Session {
            http,
            base,
            id,
            next: AtomicU64::new(1),
            waiters: Mutex::new(HashMap::new()),
            handles: Mutex::new(HashMap::new()),
        }))
    }

    fn transaction(&self) -> String {
        format!("t{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    fn url(&self, handle: Option<u64>) -> String {
        match handle {
            Some(h) => format!("{}/{}/{h}", self.base, self.id),
            None => format!("{}/{}", self.base, self.id),
        }
    }

    /// Attaches a new AudioBridge handle; returns it and the channel of its unasked events.
    pub async fn attach(&self) -> Result<(u64, mpsc::Receiver<Value>), JanusError> {
        let body = json!({
            "janus": "attach",
            "plugin": "janus.plugin.audiobridge",
            "transaction": self.transaction(),
        });
        let answer = post(&self.http, &self.url(None), &body).await?;
        let handle = answer
            .pointer("/data/id")
            .and_then(Value::as_u64)
            .ok_or(JanusError::Unexpected)?;
        let (tx, rx) = mpsc::channel(HANDLE_QUEUE);
        lock(&self.handles).insert(handle, tx);
        Ok((handle, rx))
    }

    /// Detaches a handle: Janus hangs up its peer connection and takes it out of its room.
    pub async fn detach(&self, handle: u64) {
        lock(&self.handles).remove(&handle);
        let body = json!({"janus": "detach", "transaction": self.transaction()});
        if let Err(e) = post(&self.http, &self.url(Some(handle)), &body).await {
            tracing::debug!(error = %e, "detaching a Janus handle failed");
        }
    }

    /// A synchronous plugin request; returns the plugin's answer.
    pub async fn request(&self, handle: u64, body: Value) -> Result<Value, JanusError> {
        let message = json!({
            "janus": "message",
            "transaction": self.transaction(),
            "body": body,
        });
        let answer = post(&self.http, &self.url(Some(handle)), &message).await?;
        plugin_data(&answer)
    }

    /// An asynchronous plugin request (with an SDP offer when `jsep` is set): waits for the
    /// event that answers it; returns the plugin's answer and Janus's `jsep`, if any.
    pub async fn call(
        &self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<(Value, Option<Value>), JanusError> {
        let transaction = self.transaction();
        let (tx, rx) = oneshot::channel();
        lock(&self.waiters).insert(transaction.clone(), tx);
        let mut message = json!({
            "janus": "message",
            "transaction": transaction,
            "body": body,
        });
        if let Some(jsep) = jsep {
            message["jsep"] = jsep;
        }
        let sent = post(&self.http, &self.url(Some(handle)), &message).await;
        let event = match sent {
            Ok(answer) if answer["janus"] == "ack" => {
                match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
                    Ok(Ok(event)) => Ok(event),
                    Ok(Err(_)) => Err(JanusError::Lost),
                    Err(_) => Err(JanusError::Timeout),
                }
            }
            // Some requests answer at once, in the response itself.
            Ok(answer) => Ok(answer),
            Err(e) => Err(e),
        };
        lock(&self.waiters).remove(&transaction);
        let event = event?;
        let data = plugin_data(&event)?;
        Ok((data, event.get("jsep").cloned()))
    }

    /// Long-polls the session until it is lost; passes each event to whoever waits for it.
    /// When it returns, every waiter and handle channel has been dropped.
    pub async fn poll(&self) -> JanusError {
        let url = format!("{}?maxev={POLL_BATCH}", self.url(None));
        let lost = loop {
            let got = self.http.get(&url).timeout(POLL_TIMEOUT).send().await;
            let answer: Value = match got {
                Ok(r) => match r.json().await {
                    Ok(v) => v,
                    Err(e) => break JanusError::Unreachable(e.without_url().to_string()),
                },
                Err(e) if e.is_timeout() => break JanusError::Timeout,
                Err(e) => break JanusError::Unreachable(e.without_url().to_string()),
            };
            let events = match answer {
                Value::Array(events) => events,
                single => vec![single],
            };
            if let Some(e) = events.iter().find_map(janus_error) {
                break e;
            }
            for event in events {
                self.dispatch(event);
            }
        };
        lock(&self.waiters).clear();
        lock(&self.handles).clear();
        lost
    }

    fn dispatch(&self, event: Value) {
        if event["janus"] == "keepalive" {
            return;
        }
        if let Some(transaction) = event["transaction"].as_str() {
            if let Some(waiter) = lock(&self.waiters).remove(transaction) {
                let _caller_may_have_given_up = waiter.send(event);
                return;
            }
        }
        let Some(sender) = event["sender"].as_u64() else {
            return;
        };
        let channel = lock(&self.handles).get(&sender).cloned();
        if let Some(channel) = channel {
            match channel.try_send(event) {
                Ok(()) => {}
                // Nobody listens to that handle's events (an announcement's relay).
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    lock(&self.handles).remove(&sender);
                }
                Err(mpsc::error::TrySendError::Full(_)) => tracing::debug!(
                    handle = sender,
                    "a Janus event was dropped: its handle is busy"
                ),
            }
        }
    }

    /// Ends the session on Janus's side (at shutdown).
    pub async fn destroy(&self) {
        let body = json!({"janus": "destroy", "transaction": self.transaction()});
        let _janus_may_be_gone = post(&self.http, &self.url(None), &body).await;
    }
}
