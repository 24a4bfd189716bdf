//! `GET /api/codes/{code}`: which workshop a join code opens, so that a join link (`/j/CODE`)
//! or a typed code is enough to join. Answers only what the join page shows: the workshop
//! id, its title, the role the code gives and the languages; never the other code.

use super::address::ClientAddr;
use super::api::{ApiError, ErrorBody};
use super::AppState;
use crate::domain::{Role, WorkshopId};
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// What a join code opens.
#[derive(Serialize, ToSchema)]
pub struct CodeLookup {
    /// The workshop's id, for `POST /api/workshops/{id}/join`.
    workshop: WorkshopId,
    title: String,
    /// The role joining with this code gives: `delegate` or `facilitator`.
    role: Role,
    /// The workshop's languages, e.g. `["es", "pt", "en"]`.
    languages: Vec<String>,
}

/// Which workshop a join code opens.
#[utoipa::path(get, path = "/api/codes/{code}", tag = "workshops", operation_id = "lookupCode",
    description = "Which workshop a delegate or facilitator join code opens, with its title, the role the code gives and its languages. Case, spaces and dashes in the code do not matter. Needs no token: the code is the secret. Limited per client address (--lookup-rate-limit a minute); wrong codes, here and in joins, block the address with a growing back-off (--code-failure-limit).",
    params(("code" = String, Path, description = "A join code, as handed out.")),
    responses(
        (status = 200, description = "The workshop the code opens.", body = CodeLookup),
        (status = 404, description = "`not_found`: no workshop has that code.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many lookups or wrong codes from this address; `Retry-After` says when to try again.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn lookup(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    if let Err(limited) = state.addresses.check_lookup(client) {
        return Ok(limited.into_response());
    }
    match state.hub.lookup_code(&code).await? {
        Some((workshop, info)) => Ok(Json(CodeLookup {
            workshop,
            title: info.title,
            role: info.role,
            languages: info.languages,
        })
        .into_response()),
        None => {
            state.addresses.failed(client);
            Err(HubError::new(ErrorCode::NotFound, "no workshop has that code").into())
        }
    }
}
