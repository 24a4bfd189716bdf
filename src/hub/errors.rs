//! The error the hub answers a request with, and how domain and store errors become one.

use crate::domain::DomainError;
use crate::protocol::ErrorCode;
use crate::store::StoreError;

/// An error the hub answers a request with: a protocol code and a readable message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HubError {
    pub code: ErrorCode,
    pub message: String,
}

impl HubError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HubError {
            code,
            message: message.into(),
        }
    }

    pub fn unavailable() -> Self {
        HubError::new(
            ErrorCode::Unavailable,
            "the server cannot store changes right now; try again",
        )
    }

    pub fn not_found() -> Self {
        HubError::new(ErrorCode::NotFound, "no such workshop")
    }
}

impl From<DomainError> for HubError {
    fn from(e: DomainError) -> Self {
        HubError::new((&e).into(), e.to_string())
    }
}

impl From<StoreError> for HubError {
    fn from(e: StoreError) -> Self {
        // The details are for the operator's log, not for clients.
        tracing::error!(error = %e, "storage error");
        HubError::unavailable()
    }
}
