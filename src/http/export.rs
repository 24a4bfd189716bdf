//! `GET /api/workshops/{id}/export`: a workshop's report or record as a file, with at most
//! `--max-exports` exports in flight (each holds a snapshot and the rendered file until the
//! file is sent), so that concurrent exports cannot take the server's memory.

use super::api::{required_bearer, workshop_id, ApiError, ErrorBody};
use super::AppState;
use crate::export::{self, Format, Options as ExportOptions};
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

/// The query of `GET /api/workshops/{id}/export`. Unknown parameters are ignored.
#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    bom: Option<String>,
}

/// `GET /api/workshops/{id}/export?format=md|html|docx|csv|json[&bom=true]`: the report,
/// the cards as CSV or the JSON record, as a file to download.
#[utoipa::path(get, path = "/api/workshops/{id}/export", tag = "workshops", operation_id = "exportWorkshop",
    description = "The workshop as a file to download (`Content-Disposition: attachment`): `md`, `html` and `docx` are the report in the workshop's language, `csv` one row per visible card, `json` the complete record described by docs/export.schema.json (read back by `cabildo import`). Credentials are checked before the query. See docs/protocol/rest.md#exports.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The workshop id."),
        ("format" = String, Query, description = "md, html, docx, csv or json."),
        ("bom" = Option<String>, Query, description = "For csv: `true` starts the file with a UTF-8 byte-order mark."),
    ),
    responses(
        (status = 200, description = "The file.", content(
            (String = "text/markdown; charset=utf-8"),
            (String = "text/html; charset=utf-8"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "text/csv; charset=utf-8"),
            (Object = "application/json"),
        )),
        (status = 400, description = "`invalid`: `format` missing or unknown, or `bom` not true or false.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 429, description = "`rate_limited`: --max-exports exports are being rendered or sent; `Retry-After` says when to try again.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the workshop could not be loaded or the file not written.", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let id = workshop_id(&id)?;
    let token = required_bearer(
        &headers,
        "an organizer or facilitator bearer token is required",
    )?;
    // One of `--max-exports` slots, held from the snapshot until the file is sent: what
    // exports hold in memory at once is at most that many snapshots and files.
    let Ok(slot) = state.exports.clone().try_acquire_owned() else {
        crate::metrics::rate_limited("exports");
        let mut response = ApiError::new(
            ErrorCode::RateLimited,
            "too many exports in progress: try again shortly",
        )
        .into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(EXPORT_RETRY_AFTER),
        );
        return Ok(response);
    };
    let slot = ExportSlot::new(slot);
    // Credentials first: a caller without them learns nothing, not even which formats exist.
    let snapshot = state.hub.export_snapshot(token, id).await?;
    let axum::extract::Query(query) =
        query.map_err(|e| ApiError::new(ErrorCode::Invalid, e.body_text()))?;
    let format = query
        .format
        .as_deref()
        .and_then(Format::parse)
        .ok_or_else(|| {
            let message = format!("`format` must be one of {}", Format::keys());
            ApiError::new(ErrorCode::Invalid, message)
        })?;
    let bom = match query.bom.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::Invalid,
                "`bom` must be true or false",
            ))
        }
    };
    // The one clock read of an export: the renderers are given the date.
    let date = export::Date::of(std::time::SystemTime::now());
    let filename = export::filename(&snapshot, format, date);
    let rendered = tokio::task::spawn_blocking(move || {
        export::render(&snapshot, format, &ExportOptions { date, bom })
    })
    .await;
    let body = match rendered {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            tracing::error!(workshop = %id, %format, error = %e, "export failed");
            return Err(ApiError::from(HubError::unavailable()));
        }
        Err(e) => {
            tracing::error!(workshop = %id, %format, error = %e, "export task failed");
            return Err(ApiError::from(HubError::unavailable()));
        }
    };
    let length = body.len();
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        slot.body(body),
    )
        .into_response())
}

/// `Retry-After` (seconds) of an export refused for `--max-exports`.
const EXPORT_RETRY_AFTER: u64 = 5;
/// Pieces an export is sent in.
const EXPORT_CHUNK: usize = 64 * 1024;

/// An export's slot under `--max-exports`, held until its file is sent (or the client
/// goes away).
struct ExportSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl ExportSlot {
    fn new(permit: tokio::sync::OwnedSemaphorePermit) -> ExportSlot {
        crate::metrics::exports_in_flight(1.0);
        ExportSlot { _permit: permit }
    }

    /// The file as a response body that gives the slot back once sent.
    fn body(self, file: Vec<u8>) -> axum::body::Body {
        let file = Bytes::from(file);
        let chunks: Vec<Bytes> = (0..file.len())
            .step_by(EXPORT_CHUNK)
            .map(|start| file.slice(start..(start + EXPORT_CHUNK).min(file.len())))
            .collect();
        let stream = futures_util::stream::iter(chunks).map(move |chunk| {
            let _held_until_sent = &self;
            Ok::<_, std::convert::Infallible>(chunk)
        });
        axum::body::Body::from_stream(stream)
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        crate::metrics::exports_in_flight(-1.0);
    }
}
