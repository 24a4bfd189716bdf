//! The HTTP surface: REST API, WebSocket upgrade, health and metrics.
//!
//! Handlers translate HTTP to hub calls and hub errors to `{code, message}` bodies; they hold
//! no state of their own beyond the shared `AppState`.

mod api;
mod audio;
mod lookup;
mod openapi;
pub mod origin;
mod router;
#[cfg(test)]
mod tests;
pub mod web;
mod ws;

pub use router::router;

use crate::hub::Hub;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// A dependency `GET /readyz` checks besides the database (Redis, when configured): `Ok`
/// when reachable, else a short reason. Register it in `AppState::ready_checks`.
pub type ReadyCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    /// The admin token that may create workshops. Compared in constant time, never logged.
    pub admin_token: Arc<str>,
    /// Named checks `GET /readyz` runs after the database's, e.g. `("redis", …)`.
    pub ready_checks: Arc<Vec<(&'static str, ReadyCheck)>>,
    /// Origins allowed besides the server's own (`origin.rs`).
    pub origins: Arc<origin::Origins>,
}
