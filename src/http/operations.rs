//! The operations endpoints: liveness, readiness, metrics and the OpenAPI document.

use super::{AppState, ReadyCheck};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness: 200 with the body `ok` while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "The server is serving.", body = String, content_type = "text/plain; charset=utf-8")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How long `GET /readyz` waits for one dependency.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What `GET /readyz` answers.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// Whether every check passed.
    ready: bool,
    /// Each check: `workshops` (the workshops start-up loads, those with a timer running or
    /// without a usable snapshot, are loaded), `writes` (the
    /// store's last write succeeded), `database` (it answers), and `redis` when configured:
    /// `ok` or `down`.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    checks: serde_json::Map<String, serde_json::Value>,
    /// The names of the dependencies that are down.
    down: Vec<&'static str>,
}

/// `GET /readyz`: 200 when the workshops are loaded, the store's last write succeeded and
/// the database (and every registered check, e.g. Redis) answers; 503 naming what is down
/// otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    description = "Readiness: whether the workshops start-up must load first (those with a timer running or a snapshot behind their log) have been loaded (`workshops`; the others load on first use, and those without a current snapshot, after an upgrade, are folded in the background once ready), the store's last write succeeded (`writes`: down while the disk is full or the database refuses writes, until a write succeeds again), and the database (and Redis, when configured) answers within 2 seconds. Point a load balancer's health check here; `/healthz` is liveness only.",
    responses(
        (status = 200, description = "Every dependency answers.", body = Readiness),
        (status = 503, description = "Some dependency is down; `down` names it (details in the server log).", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut checks = serde_json::Map::new();
    let mut down = Vec::new();
    // Listing the workshops to wake takes a moment: a server with none to wake is ready
    // from its first request.
    let mut wake = state.loaded.clone();
    let woken = matches!(
        tokio::time::timeout(
            READY_TIMEOUT,
            wake.wait_for(|w| *w != crate::hub::wake::Wake::Listing),
        )
        .await,
        Ok(Ok(w)) if *w == crate::hub::wake::Wake::Done
    );
    let own = [
        ("workshops", woken, "the stored workshops are still waking"),
        (
            "writes",
            !crate::metrics::last_write_failed(),
            "the store's last write failed",
        ),
    ];
    for (name, ok, why) in own {
        if !ok {
            // The wake is expected at start-up, and a load balancer polls meanwhile: a
            // warning per poll would flood the log (a pipe nobody reads fills up and
            // blocks the server; `hub::wake` logs its start and end instead).
            if name == "workshops" {
                tracing::debug!(check = name, error = why, "not ready");
            } else {
                tracing::warn!(check = name, error = why, "not ready");
            }
            down.push(name);
        }
        checks.insert(name.into(), if ok { "ok" } else { "down" }.into());
    }
    let hub = state.hub.clone();
    let database: ReadyCheck = std::sync::Arc::new(move || {
        let hub = hub.clone();
        Box::pin(async move { hub.store().ping().await.map_err(|e| e.to_string()) })
    });
    for (name, check) in std::iter::once(("database", &database))
        .chain(state.ready_checks.iter().map(|(n, c)| (*n, c)))
    {
        let result = match tokio::time::timeout(READY_TIMEOUT, check()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {READY_TIMEOUT:?}")),
        };
        let status = match result {
            Ok(()) => "ok",
            Err(e) => {
                // The detail is for the operator's log; the answer only says it is down.
                tracing::warn!(check = name, error = %e, "not ready");
                down.push(name);
                "down"
            }
        };
        checks.insert(name.into(), status.into());
    }
    let ready = down.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        ready,
        checks,
        down,
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    description = "Counters, gauges and histograms in the Prometheus text format; the names are listed in docs/OPERATIONS.md.",
    responses((status = 200, description = "Metrics.", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(state.hub.live_workshops()),
    )
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 description of the REST API, generated from the code.", body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::json(),
    )
}
