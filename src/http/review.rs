//! `GET /api/workshops/{id}/review`: the review by delegations as the bearer sees it
//! (`docs/protocol/review.md`). Answers, replies, revisions and closing are WebSocket
//! commands; this read is what the light review page loads, and reloads on a review event.

use super::api::{required_bearer, workshop_id, ApiError, ErrorBody};
use super::AppState;
use crate::hub::Query;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

/// The review: deadline, rule, the countries asked, whether the bearer may answer, and
/// every conclusion with its supporting cards, revisions and endorsement record.
#[utoipa::path(get, path = "/api/workshops/{id}/review", tag = "reports", operation_id = "review",
    description = "The review of the conclusions by delegations, as the bearer sees it: its deadline and answer rule, the countries asked, the bearer's country and whether they may answer for it, and each conclusion with its supporting cards, rooms and countries, its revisions (old and new text) and its endorsement record (endorsed, reserved, commented, not answered). Needs the token of any participant of the workshop.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 200, description = "The review.", body = crate::domain::review::ReviewView),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown or removed participant's.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop, or no review opened yet.", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let token = required_bearer(&headers, "a participant's bearer token is required")?;
    let id = workshop_id(&id)?;
    let body = state.hub.report(token, id, Query::Review).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
