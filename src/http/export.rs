//! `GET /api/workshops/{id}/export`: a workshop's report or record as a file, with at most
//! `--max-exports` exports in flight (each holds a snapshot and the rendered file until the
//! file is sent), so that concurrent exports cannot take the server's memory.

use super::api::{required_bearer, workshop_id, ApiError, ErrorBody};
use super::AppState;
use crate::export::brief_render::{self, BriefExportError};
use crate::export::{self, brief, Format, Options as ExportOptions};
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
    country: Option<String>,
    brief_format: Option<String>,
}

/// What one export request asks for.
enum Wanted {
    /// The whole workshop in a format.
    Workshop(Format),
    /// One country's national brief (an upper-case ISO code) in a format.
    Brief(String, Format),
    /// Every country's brief in a format, as one ZIP file.
    Briefs(Format),
}

/// The request's choice, from `format`, `country` and `brief_format`.
fn wanted(query: &ExportQuery) -> Result<Wanted, ApiError> {
    let invalid = |m: String| ApiError::new(ErrorCode::Invalid, m);
    if query.format.as_deref() == Some(ZIP) {
        if query.country.is_some() {
            return Err(invalid(
                "`country` asks for one brief; `format=zip` gives every country's brief".into(),
            ));
        }
        let inner = match query.brief_format.as_deref() {
            None => Format::Html,
            Some(f) => Format::parse(f).ok_or_else(|| {
                invalid(format!("`brief_format` must be one of {}", Format::keys()))
            })?,
        };
        return Ok(Wanted::Briefs(inner));
    }
    if query.brief_format.is_some() {
        return Err(invalid("`brief_format` goes with `format=zip`".into()));
    }
    let format = query
        .format
        .as_deref()
        .and_then(Format::parse)
        .ok_or_else(|| {
            invalid(format!(
                "`format` must be one of {}, or {ZIP} (every country's brief)",
                Format::keys()
            ))
        })?;
    match query.country.as_deref() {
        None => Ok(Wanted::Workshop(format)),
        Some(code) => {
            let code = brief::country_code(code).map_err(|e| invalid(e.to_string()))?;
            Ok(Wanted::Brief(code, format))
        }
    }
}

/// `format=zip`: every country's brief in one file.
const ZIP: &str = "zip";

/// `GET /api/workshops/{id}/export?format=md|html|docx|csv|json[&bom=true][&country=XX]`:
/// the report, the cards as CSV or the JSON record, or with `country` that country's
/// national brief, as a file to download; `format=zip[&brief_format=…]`: every country's
/// brief in one ZIP file.
#[utoipa::path(get, path = "/api/workshops/{id}/export", tag = "workshops", operation_id = "exportWorkshop",
    description = "The workshop as a file to download (`Content-Disposition: attachment`): `md`, `html` and `docx` are the report in the workshop's language, `csv` one row per visible card, `json` the complete record described by docs/export.schema.json (read back by `cabildo import`). With `country=XX`, the same formats give that country's national brief instead; `format=zip` gives every country's brief (in `brief_format`, default `html`) in one ZIP file, one file per country of the workshop's delegates. Credentials are checked before the query. See docs/protocol/rest.md#exports.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The workshop id."),
        ("format" = String, Query, description = "md, html, docx, csv or json; or zip for every country's brief."),
        ("bom" = Option<String>, Query, description = "For csv: `true` starts the file with a UTF-8 byte-order mark."),
        ("country" = Option<String>, Query, description = "An ISO 3166-1 alpha-2 code (any case): that country's national brief instead of the whole workshop. Not with `format=zip`."),
        ("brief_format" = Option<String>, Query, description = "With `format=zip`: the format of each brief in the ZIP, md, html (default), docx, csv or json."),
    ),
    responses(
        (status = 200, description = "The file.", content(
            (String = "text/markdown; charset=utf-8"),
            (String = "text/html; charset=utf-8"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "text/csv; charset=utf-8"),
            (Object = "application/json"),
            (Vec<u8> = "application/zip"),
        )),
        (status = 400, description = "`invalid`: `format` missing or unknown, `bom` not true or false, `country` not a country code, `brief_format` unknown or without `format=zip`, or `country` with `format=zip`.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased), or no delegate of `country` took part in it.", body = ErrorBody),
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
    let wanted = wanted(&query)?;
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
    let options = ExportOptions { date, bom };
    let (filename, content_type, what) = match &wanted {
        Wanted::Workshop(format) => (
            export::filename(&snapshot, *format, date),
            format.content_type(),
            format.key(),
        ),
        Wanted::Brief(country, format) => (
            brief_render::filename(&snapshot, country, *format, date),
            format.content_type(),
            format.key(),
        ),
        Wanted::Briefs(_) => (
            brief_render::zip_filename(&snapshot, date),
            "application/zip",
            ZIP,
        ),
    };
    // The JSON record carries the session's history, which only the log holds.
    let history = match wanted {
        Wanted::Workshop(Format::Json) => Some(state.hub.export_history(&snapshot).await?),
        _ => None,
    };
    let rendered = tokio::task::spawn_blocking(move || match wanted {
        Wanted::Workshop(Format::Json) => {
            export::json::render_with_history(&snapshot, history.unwrap_or_default())
                .map_err(BriefExportError::from)
        }
        Wanted::Workshop(format) => {
            export::render(&snapshot, format, &options).map_err(BriefExportError::from)
        }
        Wanted::Brief(country, format) => {
            brief_render::render(&snapshot, &country, format, &options)
        }
        Wanted::Briefs(format) => brief_render::render_zip(&snapshot, format, &options),
    })
    .await;
    let body = match rendered {
        Ok(Ok(body)) => body,
        Ok(Err(BriefExportError::Brief(e))) => {
            return Err(ApiError::new(ErrorCode::NotFound, e.to_string()));
        }
        Ok(Err(e)) => {
            tracing::error!(workshop = %id, format = what, error = %e, "export failed");
            return Err(ApiError::from(HubError::unavailable()));
        }
        Err(e) => {
            tracing::error!(workshop = %id, format = what, error = %e, "export task failed");
            return Err(ApiError::from(HubError::unavailable()));
        }
    };
    let length = body.len();
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
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
