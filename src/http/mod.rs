//! The HTTP surface: REST API, WebSocket upgrade, health and metrics.
//!
//! Handlers translate HTTP to hub calls and hub errors to `{code, message}` bodies; they hold
//! no state of their own beyond the shared `AppState`.

pub mod address;
mod admin;
mod agenda;
mod api;
mod audio;
mod export;
mod lookup;
mod openapi;
mod operations;
pub mod origin;
mod projector;
mod review;
mod roster;
mod router;
pub mod serve;
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
    /// Origins allowed besides the server's own, and the public ones (`origin.rs`).
    pub origins: Arc<origin::Origins>,
    /// Per-address limits on joins, code lookups and wrong codes (`address.rs`).
    pub addresses: Arc<address::AddressLimits>,
    /// Exports in flight (`export.rs`).
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Where start-up's wake of the workshops that cannot wait stands (`hub::wake`,
    /// `GET /readyz`).
    pub loaded: tokio::sync::watch::Receiver<crate::hub::wake::Wake>,
}

impl AppState {
    /// A state with the default edge settings (no per-address limits, two exports at once,
    /// no public origins), for in-process use.
    pub fn new(hub: Arc<Hub>, admin_token: &str) -> AppState {
        AppState {
            hub,
            admin_token: admin_token.into(),
            ready_checks: Arc::new(Vec::new()),
            origins: Arc::new(origin::Origins::new(Vec::new())),
            addresses: Arc::new(address::AddressLimits::new(Default::default())),
            exports: Arc::new(tokio::sync::Semaphore::new(2)),
            loaded: tokio::sync::watch::channel(crate::hub::wake::Wake::Done).1,
        }
    }
}
