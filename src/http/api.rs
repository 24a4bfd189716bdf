//! REST handlers: create a workshop, join one, export one, health, metrics and the OpenAPI
//! document.
//!
//! Every error answers `{code, message}` with the status of `ErrorCode::http_status`, the
//! same codes the WebSocket uses.

use super::{AppState, ReadyCheck};
use crate::auth;
use crate::domain::settings::{
    default_columns, default_room_names, default_themes, SUPPORTED_LANGUAGES,
};
use crate::domain::{Column, Settings, Theme, VotesVisibility, WorkshopId};
use crate::export::{self, Format, Options as ExportOptions};
use crate::hub::{HubError, JoinRequest, NewWorkshop, Query};
use crate::protocol::ErrorCode;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

/// An error answer. Internal details stay in the log; clients get the code and a message.
pub struct ApiError(HubError);

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(HubError::new(code, message))
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Json(json!({"code": self.0.code.as_str(), "message": self.0.message}));
        let mut response = (status, body).into_response();
        if self.0.code == ErrorCode::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// A JSON body whose every problem (too large, malformed, wrong field) is an `ApiError`.
pub struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::TooLarge,
                    format!("the body is over {} bytes", super::router::MAX_BODY_BYTES),
                )
            } else {
                ApiError::new(ErrorCode::Invalid, e.body_text())
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::new(ErrorCode::Invalid, format!("bad JSON body: {e}")))
    }
}

fn workshop_id(raw: &str) -> Result<WorkshopId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::new(ErrorCode::NotFound, "no such workshop"))
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The bearer token, or `unauthorized` with `message` when there is none.
fn required_bearer<'h>(headers: &'h HeaderMap, message: &str) -> Result<&'h str, ApiError> {
    bearer(headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, message))
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How long `GET /readyz` waits for one dependency.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /readyz`: 200 when the database (and every registered check, e.g. Redis) answers;
/// 503 naming what is down otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut checks = serde_json::Map::new();
    let mut down = Vec::new();
    let hub = state.hub.clone();
    let database: ReadyCheck = std::sync::Arc::new(move || {
        let hub = hub.clone();
        Box::pin(async move { hub.store().ping().await.map_err(|e| e.to_string()) })
    });
    for (name, check) in std::iter::once(("database", &database))
        .chain(state.ready_checks.iter().map(|(n, c)| (*n, c)))
    {
        let result = match tokio::time::timeout(READY_TIMEOUT, check()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {READY_TIMEOUT:?}")),
        };
        let status = match result {
            Ok(()) => "ok",
            Err(e) => {
                // The detail is for the operator's log; the answer only says it is down.
                tracing::warn!(check = name, error = %e, "not ready");
                down.push(name);
                "down"
            }
        };
        checks.insert(name.into(), status.into());
    }
    let ready = down.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"ready": ready, "checks": checks, "down": down});
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(state.hub.live_workshops()),
    )
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../docs/openapi.json"),
    )
}

pub async fn no_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

pub async fn wrong_method() -> ApiError {
    ApiError(HubError::new(
        ErrorCode::Invalid,
        "this endpoint does not answer that HTTP method",
    ))
}

/// A column or theme given as a bare key (`"strengths"`) or in full.
#[derive(Deserialize)]
#[serde(untagged)]
enum Labelled<T> {
    Key(String),
    Full(T),
}

fn columns(spec: Option<Vec<Labelled<Column>>>) -> Vec<Column> {
    let Some(spec) = spec else {
        return default_columns();
    };
    let known = default_columns();
    spec.into_iter()
        .map(|c| match c {
            Labelled::Full(c) => c,
            Labelled::Key(key) => known
                .iter()
                .find(|k| k.key == key)
                .cloned()
                .unwrap_or(Column {
                    title: key.clone(),
                    key,
                }),
        })
        .collect()
}

fn themes(spec: Option<Vec<Labelled<Theme>>>) -> Vec<Theme> {
    let Some(spec) = spec else {
        return default_themes();
    };
    let known = default_themes();
    spec.into_iter()
        .map(|t| match t {
            Labelled::Full(t) => t,
            Labelled::Key(key) => known
                .iter()
                .find(|k| k.key == key)
                .cloned()
                .unwrap_or(Theme {
                    title: key.clone(),
                    key,
                    hint: None,
                }),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkshop {
    title: String,
    language: Option<String>,
    languages: Option<Vec<String>>,
    rooms: Option<Vec<String>>,
    columns: Option<Vec<Labelled<Column>>>,
    themes: Option<Vec<Labelled<Theme>>>,
    votes_per_participant: Option<u32>,
    max_votes_per_card: Option<u32>,
    votes_visibility: Option<VotesVisibility>,
    delegates_can_group: Option<bool>,
}

pub async fn create_workshop(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Body<CreateWorkshop>, ApiError>,
) -> Result<Response, ApiError> {
    match bearer(&headers) {
        None => {
            return Err(ApiError::new(
                ErrorCode::Unauthorized,
                "an admin bearer token is required",
            ))
        }
        Some(t) if !auth::secrets_match(t, &state.admin_token) => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "that is not the admin token",
            ))
        }
        Some(_) => {}
    }
    let Body(body) = body?;
    let language = body.language.unwrap_or_else(|| "en".into());
    let settings = Settings {
        title: body.title,
        languages: body
            .languages
            .unwrap_or_else(|| SUPPORTED_LANGUAGES.iter().map(|l| l.to_string()).collect()),
        language,
        columns: columns(body.columns),
        themes: themes(body.themes),
        votes_per_participant: body.votes_per_participant.unwrap_or(5),
        max_votes_per_card: body.max_votes_per_card,
        votes_visibility: body.votes_visibility.unwrap_or_default(),
        delegates_can_group: body.delegates_can_group.unwrap_or(false),
    };
    let created = state
        .hub
        .create_workshop(NewWorkshop {
            settings,
            rooms: body.rooms.unwrap_or_else(default_room_names),
        })
        .await?;
    let body = json!({
        "id": created.id,
        "title": created.settings.title,
        "organizer_id": created.organizer,
        "organizer_token": created.organizer_token,
        "facilitator_code": created.codes.facilitator,
        "delegate_code": created.codes.delegate,
        "rooms": created.rooms.iter().map(|r| json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
        "settings": created.settings,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    code: String,
    name: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

pub async fn join(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<JoinBody>,
) -> Result<Response, ApiError> {
    let id = workshop_id(&id)?;
    if body.code.len() > 64 {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "that code does not open this workshop",
        ));
    }
    let joined = state
        .hub
        .join(
            id,
            JoinRequest {
                code: body.code,
                name: body.name,
                country: body.country,
                language: body.language.unwrap_or_else(|| "en".into()),
            },
        )
        .await?;
    let p = &joined.participant;
    let body = json!({
        "participant_id": p.id,
        "token": joined.token,
        "role": p.role,
        "workshop_id": id,
        "name": p.name,
        "country": p.country,
        "language": p.language,
        "room": p.room,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/workshops/{id}/overview` and `…/consolidation`: staff reports, as JSON.
async fn report(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    query: Query,
) -> Result<Response, ApiError> {
    let token = required_bearer(
        headers,
        "an organizer or facilitator bearer token is required",
    )?;
    let id = workshop_id(id)?;
    let body = state.hub.report(token, id, query).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    report(&state, &headers, &id, Query::Overview).await
}

pub async fn consolidation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    report(&state, &headers, &id, Query::Consolidation).await
}

/// `DELETE /api/workshops/{id}`: the organizer erases the workshop and all its data.
pub async fn erase(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = workshop_id(&id)?;
    let token = required_bearer(&headers, "the organizer's bearer token is required")?;
    state.hub.erase(token, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The query of `GET /api/workshops/{id}/export`. Unknown parameters are ignored.
#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    bom: Option<String>,
}

/// `GET /api/workshops/{id}/export?format=md|html|docx|csv|json[&bom=true]`: the report,
/// the cards as CSV or the JSON record, as a file to download.
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
            return Err(ApiError(HubError::unavailable()));
        }
        Err(e) => {
            tracing::error!(workshop = %id, %format, error = %e, "export task failed");
            return Err(ApiError(HubError::unavailable()));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}
