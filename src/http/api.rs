//! REST handlers: create a workshop, join one, read its overview and consolidation, erase
//! it; the error answer and body extractor every handler shares (`operations.rs` holds
//! health, readiness, metrics and the OpenAPI document).
//!
//! Every error answers `{code, message}` with the status of `ErrorCode::http_status`, the
//! same codes the WebSocket uses.

use super::address::ClientAddr;
use super::AppState;
use crate::auth;
use crate::domain::settings::{
    default_columns, default_room_names, default_themes, SUPPORTED_LANGUAGES,
};
use crate::domain::{Column, Settings, Theme, VotesVisibility, WorkshopId};
use crate::hub::{HubError, JoinRequest, NewWorkshop, Query};
use crate::protocol::ErrorCode;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error answer: a stable code and a readable message.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    code: ErrorCode,
    message: String,
}

/// An error answer. Internal details stay in the log; clients get the code and a message.
pub struct ApiError(HubError);

impl ApiError {
    pub(super) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
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
        let body = Json(ErrorBody {
            code: self.0.code,
            message: self.0.message,
        });
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
pub struct Body<T>(pub(super) T);

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

pub(super) fn workshop_id(raw: &str) -> Result<WorkshopId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::new(ErrorCode::NotFound, "no such workshop"))
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The bearer token, or `unauthorized` with `message` when there is none.
pub(super) fn required_bearer<'h>(
    headers: &'h HeaderMap,
    message: &str,
) -> Result<&'h str, ApiError> {
    bearer(headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, message))
}

pub async fn no_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

/// A method the route does not declare: `405` (RFC 9110 §15.5.6); the router adds `Allow`.
pub async fn wrong_method() -> Response {
    let body = Json(ErrorBody {
        code: ErrorCode::Invalid,
        message: "this endpoint does not answer that HTTP method (see Allow)".into(),
    });
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

/// A column or theme given as a bare key (`"strengths"`, a default's key or a new key that is
/// also its title) or in full.
#[derive(Deserialize, ToSchema)]
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

/// A new workshop. Everything but the title has a default.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkshop {
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\u0000\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$"
    )]
    title: String,
    /// The main language (`en`, `es` or `pt`) [default: `en`].
    #[schema(value_type = Option<Language>)]
    language: Option<String>,
    /// Languages participants may choose; must include `language` [default: all three].
    #[schema(value_type = Option<Vec<Language>>, max_items = 3)]
    languages: Option<Vec<String>>,
    /// Room names, 1–100 characters each [default: Room 1 … Room 4].
    #[schema(value_type = Option<Vec<Text100>>, min_items = 1, max_items = 100)]
    rooms: Option<Vec<String>>,
    /// Board columns, with distinct keys [default: strengths, problems, solutions].
    #[schema(value_type = Option<Vec<ColumnSpec>>, min_items = 1, max_items = 10)]
    columns: Option<Vec<Labelled<Column>>>,
    /// Themes, with distinct keys [default: governance, data, capabilities, innovation,
    /// services, divide].
    #[schema(value_type = Option<Vec<ThemeSpec>>, max_items = 30)]
    themes: Option<Vec<Labelled<Theme>>>,
    /// [default: 5]
    #[schema(maximum = 100)]
    votes_per_participant: Option<u32>,
    /// [default: no limit but the budget]
    #[schema(minimum = 1, maximum = 100)]
    max_votes_per_card: Option<u32>,
    /// [default: live]
    votes_visibility: Option<VotesVisibility>,
    /// [default: false]
    delegates_can_group: Option<bool>,
}

/// A text field's schema: `max` characters at most, not only spaces (the server trims
/// Unicode white space), no NUL.
fn text_schema(
    max: usize,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(TEXT_PATTERN))
        .description(Some(description))
        .into()
}

/// At least one character that is neither white space nor NUL, and no NUL.
const TEXT_PATTERN: &str = r"^[^\u0000]*[^\u0000\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$";

/// A label: 1–100 characters.
#[derive(Serialize)]
struct Text100;

impl utoipa::PartialSchema for Text100 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_schema(100, "1–100 characters, not only spaces.")
    }
}

impl ToSchema for Text100 {}

/// A hint: 1–500 characters.
#[derive(Serialize)]
struct Text500;

impl utoipa::PartialSchema for Text500 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_schema(500, "1–500 characters, not only spaces.")
    }
}

impl ToSchema for Text500 {}

/// A column or theme key: 1–32 characters of a-z, 0-9, `_` or `-`.
#[derive(ToSchema, Serialize)]
#[allow(dead_code)] // Only describes the JSON.
#[schema(pattern = r"^[a-z0-9_-]{1,32}$")]
struct Key(String);

/// A column: a bare key (a default's key, or a new key that is also its title) or in full.
#[derive(ToSchema, Serialize)]
#[serde(untagged)]
#[allow(dead_code)] // Only describes the JSON.
enum ColumnSpec {
    Key(Key),
    Full { key: Key, title: Text100 },
}

/// A theme: a bare key (a default's key, or a new key that is also its title) or in full.
#[derive(ToSchema, Serialize)]
#[serde(untagged)]
#[allow(dead_code)] // Only describes the JSON.
enum ThemeSpec {
    Key(Key),
    Full {
        key: Key,
        title: Text100,
        hint: Option<Text500>,
    },
}

/// A language of the web client and of reports.
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes the JSON (`value_type` of string fields).
#[schema(rename_all = "lowercase")]
enum Language {
    En,
    Es,
    Pt,
}

/// A room: id and name.
#[derive(Serialize, ToSchema)]
pub struct RoomSummary {
    id: crate::domain::RoomId,
    name: String,
}

/// A workshop just created, with the secrets to hand out (shown only once).
#[derive(Serialize, ToSchema)]
pub struct CreatedWorkshop {
    id: WorkshopId,
    title: String,
    organizer_id: crate::domain::ParticipantId,
    /// The organizer's bearer token; stored only as a hash.
    organizer_token: String,
    /// Joins as a facilitator.
    facilitator_code: String,
    /// Joins as a delegate.
    delegate_code: String,
    rooms: Vec<RoomSummary>,
    settings: Settings,
}

/// Creates a workshop with its rooms and its organizer.
#[utoipa::path(post, path = "/api/workshops", tag = "workshops", operation_id = "createWorkshop",
    description = "Creates a workshop with its rooms and its organizer, and returns the secrets to hand out: the organizer's token and the join codes. Needs the admin token as a bearer token, checked before the body.",
    security(("bearer" = [])),
    request_body = CreateWorkshop,
    responses(
        (status = 201, description = "Created and durable.", body = CreatedWorkshop),
        (status = 400, description = "`invalid`: malformed JSON, unknown or missing field, or a value outside the rules.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the bearer token is not the admin token, or the request came from a foreign `Origin` (a browser page of another site; see --allowed-origins).", body = ErrorBody),
        (status = 413, description = "`too_large`: the body is over 65,536 bytes or a text over its limit.", body = ErrorBody),
        (status = 503, description = "`unavailable`: could not be stored; nothing was created.", body = ErrorBody),
    ))]
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
    let body = CreatedWorkshop {
        id: created.id,
        title: created.settings.title.clone(),
        organizer_id: created.organizer,
        organizer_token: created.organizer_token,
        facilitator_code: created.codes.facilitator,
        delegate_code: created.codes.delegate,
        rooms: created
            .rooms
            .into_iter()
            .map(|r| RoomSummary {
                id: r.id,
                name: r.name,
            })
            .collect(),
        settings: created.settings,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Who joins, with which code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The workshop's delegate or facilitator code (case, spaces and dashes ignored).
    #[schema(max_length = 64)]
    code: String,
    /// 1–80 characters.
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    /// ISO 3166-1 alpha-2 country code; required for delegates.
    #[serde(default)]
    country: Option<String>,
    /// One of the workshop's languages [default: `en`].
    #[serde(default)]
    language: Option<String>,
    /// 16-128 printable ASCII characters chosen by the client (a UUID): a join retried
    /// with the same key answers the same participant and token instead of adding one.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 128)]
    idempotency_key: Option<String>,
}

/// A participant who just joined, with the token to keep (shown only once).
#[derive(Serialize, ToSchema)]
pub struct Joined {
    participant_id: crate::domain::ParticipantId,
    /// The participant's bearer token (for `hello` and the REST API); stored only as a hash.
    token: String,
    role: crate::domain::Role,
    workshop_id: WorkshopId,
    name: String,
    country: Option<String>,
    language: String,
    /// `lobby` or the id of the room the participant was placed in.
    #[schema(value_type = String)]
    room: crate::domain::Place,
}

/// Joins a workshop with a code; the code decides the role.
#[utoipa::path(post, path = "/api/workshops/{id}/join", tag = "workshops", operation_id = "joinWorkshop",
    description = "Adds a participant: the workshop's `delegate_code` makes a delegate, its `facilitator_code` a facilitator. The participant starts in the lobby unless the workshop places late joiners.",
    params(("id" = String, Path, description = "The workshop id (a value that is not a UUID answers 404).")),
    request_body = JoinBody,
    responses(
        (status = 201, description = "Joined; the participant is durable. With an `idempotency_key` used before: the same participant and token again.", body = Joined),
        (status = 400, description = "`invalid`: malformed JSON, unknown or missing field, bad name, country or language.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the code opens no role in this workshop.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the request came from a foreign `Origin` (a browser page of another site; see --allowed-origins).", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
        (status = 409, description = "`closed`: the workshop is closed, or staff locked joining.", body = ErrorBody),
        (status = 413, description = "`too_large`: the body or the name is too long, or the workshop is full.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many joins or wrong codes from this address (--join-rate-limit, --code-failure-limit); `Retry-After` says when to try again.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: could not be stored; try again.", body = ErrorBody),
    ))]
pub async fn join(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    body: Result<Body<JoinBody>, ApiError>,
) -> Result<Response, ApiError> {
    if let Err(limited) = state.addresses.check_join(client) {
        return Ok(limited.into_response());
    }
    let Body(body) = body?;
    let id = workshop_id(&id)?;
    let wrong_code = || {
        state.addresses.failed(client);
        ApiError::new(
            ErrorCode::Unauthorized,
            "that code does not open this workshop",
        )
    };
    if body.code.len() > 64 {
        return Err(wrong_code());
    }
    let request = JoinRequest {
        code: body.code,
        name: body.name,
        country: body.country,
        language: body.language.unwrap_or_else(|| "en".into()),
        idempotency_key: body.idempotency_key,
        personal_link: None,
    };
    join_and_answer(&state, client, id, request).await
}

/// Hands a join to the workshop and answers 201 with the participant and their token; a
/// refused code or link counts against the client's address. Shared by the code join and
/// the personal-link join (`roster.rs`).
pub(super) async fn join_and_answer(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    id: WorkshopId,
    request: JoinRequest,
) -> Result<Response, ApiError> {
    let joined = state.hub.join(id, request).await.map_err(|e| {
        if e.code == ErrorCode::Unauthorized {
            state.addresses.failed(client);
        }
        ApiError(e)
    })?;
    let p = joined.participant;
    let body = Joined {
        participant_id: p.id,
        token: joined.token,
        role: p.role,
        workshop_id: id,
        name: p.name,
        country: p.country,
        language: p.language,
        room: p.room,
    };
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

/// Per country: its delegates' cards and the conclusions citing them.
#[utoipa::path(get, path = "/api/workshops/{id}/overview", tag = "reports", operation_id = "countryOverview",
    description = "For each country with at least one delegate, sorted by country code: its delegates' visible cards by column and by theme, and the conclusions that cite them. Needs the token of the workshop's organizer or of one of its facilitators.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 200, description = "One entry per country.", body = Vec<crate::domain::reports::CountryOverview>),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown or removed participant's.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    report(&state, &headers, &id, Query::Overview).await
}

/// Every room's cards by theme and column, and what no conclusion cites yet.
#[utoipa::path(get, path = "/api/workshops/{id}/consolidation", tag = "reports", operation_id = "consolidation",
    description = "Every room's cards by theme and column, with their votes, groups and citing conclusions, and the visible cards no conclusion cites yet. Needs the token of the workshop's organizer or of one of its facilitators.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 200, description = "The consolidation view.", body = crate::domain::reports::Consolidation),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown or removed participant's.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn consolidation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    report(&state, &headers, &id, Query::Consolidation).await
}

/// `DELETE /api/workshops/{id}`: the organizer erases the workshop and all its data.
#[utoipa::path(delete, path = "/api/workshops/{id}", tag = "workshops", operation_id = "eraseWorkshop",
    description = "Erases the workshop for good: its events, participants, cards, conclusions, tokens and join codes. Its WebSockets close with code 4004; afterwards every endpoint of the workshop answers 404 and its tokens are rejected. Needs the organizer's token. Backups taken before keep their copy.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 204, description = "Erased."),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a facilitator's or delegate's token, a token of another workshop, or a request from a foreign `Origin` (see --allowed-origins).", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store failed; nothing was erased, try again.", body = ErrorBody),
    ))]
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
