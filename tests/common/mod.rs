//! Test helpers: a real `cabildo` process on an ephemeral port with a temporary database,
//! and a real WebSocket client that speaks the documented protocol.
//!
//! The database is a SQLite file in a temporary directory, or, with
//! `CABILDO_TEST_BACKEND=postgres`, a fresh PostgreSQL database per test server on the server
//! `CABILDO_TEST_POSTGRES_URL` names (an admin URL whose role may create databases), dropped
//! afterwards. The same suite thus runs against both backends (CI runs it twice). The
//! multi-node tests use PostgreSQL whenever `CABILDO_TEST_POSTGRES_URL` is set.
//!
//! Each test reads like a facilitator's checklist; the plumbing lives here.

#![allow(dead_code)]

mod client;
mod db;
mod flood;
mod metrics;
mod server;
mod workshop;

// The tests name these as `common::X`. Each test binary uses only part of them, so a
// re-export one does not use is no warning.
#[allow(unused_imports)]
pub use self::{client::*, db::*, flood::*, metrics::*, server::*, workshop::*};

use std::time::Duration;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
/// How long a test waits for something that should arrive.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a test waits to be confident that something does not arrive.
pub const QUIET: Duration = Duration::from_millis(300);

/// Flags every test server gets unless it asks otherwise: command rate limits off, so that
/// tests of other features may send commands as fast as they like. `tests/limits.rs` runs
/// servers with the real defaults.
pub const NO_RATE_LIMITS: [&str; 4] = ["--rate-limit", "0", "--participant-rate-limit", "0"];

/// Flags every test server gets before its own: the per-address limits on joins, code
/// lookups and wrong codes off. A later flag wins, so a test may set them again.
pub const PER_ADDRESS_LIMITS_OFF: [&str; 6] = [
    "--join-rate-limit",
    "0",
    "--lookup-rate-limit",
    "0",
    "--code-failure-limit",
    "0",
];
