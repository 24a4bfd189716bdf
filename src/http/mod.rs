//! The HTTP surface: REST API, WebSocket upgrade, health and metrics.
//!
//! Handlers translate HTTP to hub calls and hub errors to `{code, message}` bodies; they hold
//! no state of their own beyond the shared `AppState`.

mod api;
pub mod origin;
mod router;
mod ws;

pub use router::router;

use crate::hub::Hub;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    /// The admin token that may create workshops. Compared in constant time, never logged.
    pub admin_token: Arc<str>,
    /// Origins allowed besides the server's own (`origin.rs`).
    pub origins: Arc<origin::Origins>,
}
