//! `GET /readyz` when something is down, in-process: a closed database and a failing
//! registered check (the hook Redis uses) each turn the answer into 503 naming them.

use super::{router, AppState, ReadyCheck};
use crate::hub::Hub;
use crate::store::{SqliteStore, Store};
use serde_json::Value;
use std::sync::Arc;

async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    format!("http://{addr}/readyz")
}

async fn readyz(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("request");
    (r.status().as_u16(), r.json().await.expect("JSON body"))
}

async fn state(checks: Vec<(&'static str, ReadyCheck)>) -> (AppState, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::Sqlite(SqliteStore::open(&dir.path().join("t.db")).await.unwrap());
    let state = AppState {
        ready_checks: Arc::new(checks),
        ..AppState::new(Hub::new(store.clone()), "admin")
    };
    (state, store, dir)
}

#[tokio::test]
async fn readyz_is_503_naming_a_closed_database() {
    let (state, store, _dir) = state(Vec::new()).await;
    let url = serve(state).await;
    assert_eq!(readyz(&url).await.0, 200);
    store.close().await;
    let (status, body) = readyz(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    assert_eq!(body["checks"]["database"], "down");
    assert_eq!(body["down"], serde_json::json!(["database"]));
}

#[tokio::test]
async fn readyz_is_503_naming_a_failing_registered_check() {
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = up.clone();
    let redis: ReadyCheck = Arc::new(move || {
        let up = flag.load(std::sync::atomic::Ordering::Relaxed);
        Box::pin(async move {
            up.then_some(())
                .ok_or_else(|| "connection refused".to_string())
        })
    });
    let (state, _store, _dir) = state(vec![("redis", redis)]).await;
    let url = serve(state).await;
    let (status, body) = readyz(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["redis"], "ok");
    up.store(false, std::sync::atomic::Ordering::Relaxed);
    let (status, body) = readyz(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["redis"], "down");
    assert_eq!(body["down"], serde_json::json!(["redis"]));
}

#[tokio::test]
async fn readyz_is_503_until_the_stored_workshops_are_loaded() {
    let (mut state, _store, _dir) = state(Vec::new()).await;
    use crate::hub::wake::Wake;
    let (progress, loaded) = tokio::sync::watch::channel(Wake::Waking);
    state.loaded = loaded;
    let url = serve(state).await;
    let (status, body) = readyz(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["workshops"], "down");
    assert_eq!(body["down"], serde_json::json!(["workshops"]));
    progress.send_replace(Wake::Done);
    let (status, body) = readyz(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["workshops"], "ok");
}
