//! `GET /api/codes/{code}`: which workshop a join code opens, so that a join link (`/j/CODE`)
//! or a typed code is enough to join. Answers only what the join page shows: the workshop
//! id, its title, the role the code gives and the languages; never the other code.

use super::api::ApiError;
use super::AppState;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

pub async fn lookup(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.hub.lookup_code(&code).await? {
        Some((id, info)) => Ok(Json(json!({
            "workshop": id,
            "title": info.title,
            "role": info.role,
            "languages": info.languages,
        }))),
        None => Err(HubError::new(ErrorCode::NotFound, "no workshop has that code").into()),
    }
}
