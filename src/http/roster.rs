//! REST handlers of the roster (`/api/workshops/{id}/roster…`): the organizer adds people
//! (a CSV or pasted table, or one by one), sees who joined, re-issues or revokes personal
//! links and turns the shared codes off; a roster person joins with their link.
//!
//! Rows are checked against a copy of the workshop first, so a bad roster gets every
//! problem with its row; the domain checks again when the import is decided (the one
//! event of an import is all or nothing).

use super::address::ClientAddr;
use super::api::{required_bearer, workshop_id, ApiError, Body, ErrorBody};
use super::AppState;
use crate::auth;
use crate::domain::roster::{self, RawRow, RosterPerson, RowError};
use crate::domain::{Command, ParticipantId, Place, Role, RoomId, Workshop, WorkshopId};
use crate::hub::{HubError, JoinRequest, WorkshopHandle};
use crate::protocol::{ErrorCode, Outcome};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The roster's routes, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/workshops/{id}/roster", get(list).post(add))
        .route("/api/workshops/{id}/roster/join", post(join))
        .route("/api/workshops/{id}/roster/shared_codes", put(shared_codes))
        .route(
            "/api/workshops/{id}/roster/{person}/link",
            post(reissue).merge(delete(revoke)),
        )
}

/// One person of the roster, as the organizer sees them.
#[derive(Serialize, ToSchema)]
pub struct PersonView {
    /// Also their participant id once they joined.
    id: ParticipantId,
    name: String,
    country: Option<String>,
    email: Option<String>,
    role: Role,
    /// Their preferred room (placed there when they arrive).
    #[schema(value_type = Option<String>)]
    room: Option<RoomId>,
    /// Head of their country's delegation.
    head: bool,
    /// `active`, `revoked` or `none` (added without a link, e.g. by `cabildo import`).
    link: &'static str,
    /// Whether they joined (with their link).
    joined: bool,
    /// Removed by staff after joining.
    removed: bool,
    /// Where they are now, once joined: `lobby` or a room id.
    #[schema(value_type = Option<String>)]
    place: Option<Place>,
}

/// The roster and its setting.
#[derive(Serialize, ToSchema)]
pub struct RosterView {
    /// Whether the shared join codes still let people in (walk-ins).
    shared_codes: bool,
    people: Vec<PersonView>,
    /// The rooms people can be placed in (for the preferred-room column).
    rooms: Vec<RoomChoice>,
}

/// A room a roster person can prefer.
#[derive(Serialize, ToSchema)]
pub struct RoomChoice {
    #[schema(value_type = String)]
    id: RoomId,
    name: String,
}

fn view(state: &Workshop) -> RosterView {
    let people = state
        .roster
        .people
        .iter()
        .map(|p| {
            let joined = state.participants.get(&p.id);
            PersonView {
                id: p.id,
                name: p.name.clone(),
                country: p.country.clone(),
                email: p.email.clone(),
                role: p.role,
                room: p.room,
                head: p.head,
                link: match (&p.link_hash, p.link_revoked) {
                    (None, _) => "none",
                    (Some(_), true) => "revoked",
                    (Some(_), false) => "active",
                },
                joined: joined.is_some(),
                removed: joined.is_some_and(|j| j.removed),
                place: joined.map(|j| j.room),
            }
        })
        .collect();
    RosterView {
        shared_codes: !state.roster.codes_off,
        people,
        rooms: state
            .rooms
            .iter()
            .filter(|r| !r.removed)
            .map(|r| RoomChoice {
                id: r.id,
                name: r.name.clone(),
            })
            .collect(),
    }
}

/// One person to add, as typed in the organizer's form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// 1–80 characters.
    name: String,
    /// ISO 3166-1 alpha-2; required for delegates.
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// `delegate` (default) or `facilitator`.
    #[serde(default)]
    role: Option<String>,
    /// A room's name (or id).
    #[serde(default)]
    room: Option<String>,
    /// Head of their country's delegation [default: false].
    #[serde(default)]
    head: Option<bool>,
}

/// People to add: a table (`table`) or a list (`people`), not both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPeople {
    /// CSV (`,` or `;`) or tab-separated text pasted from a spreadsheet, with a header
    /// line naming the columns `name`, `country`, `role` and optionally `email`, `room`
    /// (preferred room) and `head` (head of delegation: yes/no); header names in Spanish
    /// and Portuguese are accepted too.
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    people: Option<Vec<PersonInput>>,
}

/// A personal link just issued: shown once (only its hash is kept).
#[derive(Serialize, ToSchema)]
pub struct IssuedLink {
    id: ParticipantId,
    name: String,
    /// The link's secret.
    link: String,
    /// The page that joins with it: `/#link={workshop}.{link}`.
    path: String,
}

/// People just added, with their personal links.
#[derive(Serialize, ToSchema)]
pub struct Added {
    added: usize,
    links: Vec<IssuedLink>,
}

/// A bad roster: every problem, with its row; nothing was added.
#[derive(Serialize, ToSchema)]
pub struct RosterErrors {
    /// `invalid`, or `too_large` when the roster has too many people.
    code: ErrorCode,
    message: String,
    rows: Vec<RowError>,
}

fn row_errors(rows: Vec<RowError>) -> Response {
    let too_many = rows.iter().any(|r| r.error == "too_many_rows");
    let (status, code) = if too_many {
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge)
    } else {
        (StatusCode::BAD_REQUEST, ErrorCode::Invalid)
    };
    let message = format!(
        "the roster has {} problem(s); nothing was added",
        rows.len()
    );
    (
        status,
        Json(RosterErrors {
            code,
            message,
            rows,
        }),
    )
        .into_response()
}

/// The organizer's handle, id and a copy of the workshop; anyone else is refused.
async fn organizer(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(WorkshopHandle, ParticipantId, Box<Workshop>), ApiError> {
    let id = workshop_id(id)?;
    let token = required_bearer(headers, "the organizer's bearer token is required")?;
    let (handle, me) = state.hub.authenticate_for(token, id).await?;
    let snapshot = state.hub.export_snapshot(token, id).await?;
    match snapshot.participants.get(&me) {
        Some(p) if p.role == Role::Organizer => Ok((handle, me, snapshot)),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the organizer manages the roster",
        )),
    }
}

async fn run(
    state: &AppState,
    handle: &WorkshopHandle,
    me: ParticipantId,
    command: Command,
) -> Result<(), ApiError> {
    let id = format!("roster-{}", ParticipantId::random());
    match state.hub.execute(handle, me, id, command).await? {
        Outcome::Ack { .. } => Ok(()),
        Outcome::Error { code, message, .. } => Err(HubError::new(code, message).into()),
    }
}

fn link_path(workshop: WorkshopId, link: &str) -> String {
    format!("/#link={workshop}.{link}")
}

const PARAM_ID: &str = "The workshop id.";

/// The roster: who is expected, whose link works, who joined.
#[utoipa::path(get, path = "/api/workshops/{id}/roster", tag = "roster", operation_id = "getRoster",
    description = "The roster in the organizer's order, with each person's link state and whether they joined, and whether the shared codes are on. Needs the organizer's token.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID)),
    responses(
        (status = 200, description = "The roster.", body = RosterView),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a facilitator's or delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, _, snapshot) = organizer(&state, &headers, &id).await?;
    Ok(Json(view(&snapshot)).into_response())
}

/// Adds people to the roster, all or none, each with a personal link.
#[utoipa::path(post, path = "/api/workshops/{id}/roster", tag = "roster", operation_id = "addToRoster",
    description = "Adds people from a table (CSV or tab-separated, with a header) or a list, in one step: either every person is added, each with a new personal link shown only in this answer, or none is and the answer lists every problem with its row. Needs the organizer's token.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID)),
    request_body = AddPeople,
    responses(
        (status = 201, description = "Added; the links are shown only here.", body = Added),
        (status = 400, description = "`invalid`: per-row problems (`rows`), or a malformed body.", body = RosterErrors),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the organizer's token.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
        (status = 409, description = "`closed`: the workshop is closed.", body = ErrorBody),
        (status = 413, description = "`too_large`: over 1,000 people on the roster (`rows`), or a body over 65,536 bytes.", body = RosterErrors),
    ))]
pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Body<AddPeople>, ApiError>,
) -> Result<Response, ApiError> {
    let (handle, me, snapshot) = organizer(&state, &headers, &id).await?;
    let Body(body) = body?;
    let raws = match (body.table, body.people) {
        (Some(table), None) => match roster::parse_table(&table) {
            Ok(rows) => rows,
            Err(errors) => return Ok(row_errors(errors)),
        },
        (None, Some(people)) => people
            .into_iter()
            .enumerate()
            .map(|(i, p)| RawRow {
                row: i + 1,
                name: p.name,
                country: p.country.unwrap_or_default(),
                email: p.email.unwrap_or_default(),
                role: p.role.unwrap_or_default(),
                room: p.room.unwrap_or_default(),
                head: if p.head.unwrap_or(false) { "yes" } else { "no" }.into(),
            })
            .collect(),
        _ => {
            return Err(ApiError::new(
                ErrorCode::Invalid,
                "send either `table` or `people`",
            ))
        }
    };
    if raws.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "the roster has nobody to add",
        ));
    }
    if raws.len() > roster::ROSTER_MAX {
        return Ok(row_errors(vec![RowError {
            row: 0,
            column: None,
            error: "too_many_rows",
            message: format!("a roster holds at most {} people", roster::ROSTER_MAX),
        }]));
    }
    let mut people: Vec<(usize, RosterPerson)> = Vec::new();
    let mut errors = Vec::new();
    for raw in &raws {
        match roster::check_row(&snapshot, raw, ParticipantId::random()) {
            Ok(p) => people.push((raw.row, p)),
            Err(e) => errors.extend(e),
        }
    }
    if let Err(e) = roster::check_additions(&snapshot, &people) {
        errors.extend(e);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Ok(row_errors(errors));
    }
    let mut links = Vec::with_capacity(people.len());
    let people: Vec<RosterPerson> = people
        .into_iter()
        .map(|(_, mut p)| {
            let link = auth::new_token();
            p.link_hash = Some(auth::hash_token(&link));
            links.push(IssuedLink {
                id: p.id,
                name: p.name.clone(),
                path: link_path(handle.id, &link),
                link,
            });
            p
        })
        .collect();
    run(&state, &handle, me, Command::ImportRoster { people }).await?;
    let added = links.len();
    Ok((StatusCode::CREATED, Json(Added { added, links })).into_response())
}

/// Re-sends a personal link: a new one, shown once; the old one stops working.
#[utoipa::path(post, path = "/api/workshops/{id}/roster/{person}/link", tag = "roster", operation_id = "reissueRosterLink",
    description = "Issues a new personal link for a roster person (shown only in this answer); their previous link stops working. Someone who already joined keeps their session. Needs the organizer's token.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID), ("person" = String, Path, description = "The roster person's id.")),
    responses(
        (status = 201, description = "The new link.", body = IssuedLink),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the organizer's token.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop or person.", body = ErrorBody),
    ))]
pub async fn reissue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, person)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (handle, me, snapshot) = organizer(&state, &headers, &id).await?;
    let person = person_id(&snapshot, &person)?;
    let link = auth::new_token();
    let link_hash = auth::hash_token(&link);
    run(
        &state,
        &handle,
        me,
        Command::IssueRosterLink {
            person: person.id,
            link_hash,
        },
    )
    .await?;
    let body = IssuedLink {
        id: person.id,
        name: person.name.clone(),
        path: link_path(handle.id, &link),
        link,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn person_id<'a>(state: &'a Workshop, raw: &str) -> Result<&'a RosterPerson, ApiError> {
    raw.parse::<ParticipantId>()
        .ok()
        .and_then(|id| state.roster.person(id).ok())
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such person on the roster"))
}

/// Revokes a personal link.
#[utoipa::path(delete, path = "/api/workshops/{id}/roster/{person}/link", tag = "roster", operation_id = "revokeRosterLink",
    description = "Revokes a roster person's personal link: joining with it answers `forbidden` (\"revoked\") until a new one is issued. Someone who already joined with it keeps their session (remove them with `remove_participant`); their cards stay either way. Needs the organizer's token.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID), ("person" = String, Path, description = "The roster person's id.")),
    responses(
        (status = 204, description = "Revoked (or already revoked)."),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the organizer's token.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop or person.", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, person)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (handle, me, snapshot) = organizer(&state, &headers, &id).await?;
    let person = person_id(&snapshot, &person)?.id;
    run(&state, &handle, me, Command::RevokeRosterLink { person }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether the shared join codes let people in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedCodes {
    /// `false`: only personal links let people in; `true`: walk-ins with the codes too.
    open: bool,
}

/// Turns the shared join codes on or off.
#[utoipa::path(put, path = "/api/workshops/{id}/roster/shared_codes", tag = "roster", operation_id = "setSharedCodes",
    description = "With `open: false`, joining with the delegate or facilitator code answers `closed`; personal links still work. `lock_joining` (a WebSocket command) locks both. Needs the organizer's token.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID)),
    request_body = SharedCodes,
    responses(
        (status = 204, description = "Set."),
        (status = 400, description = "`invalid`: a malformed body.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the organizer's token.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
    ))]
pub async fn shared_codes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Body<SharedCodes>, ApiError>,
) -> Result<Response, ApiError> {
    let (handle, me, _) = organizer(&state, &headers, &id).await?;
    let Body(body) = body?;
    run(
        &state,
        &handle,
        me,
        Command::SetSharedCodes { open: body.open },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Joining with a personal link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkJoin {
    /// The personal link's secret.
    #[schema(max_length = 128)]
    link: String,
    /// One of the workshop's languages [default: `en`].
    #[serde(default)]
    language: Option<String>,
}

/// Joins as a roster person, with their personal link.
#[utoipa::path(post, path = "/api/workshops/{id}/roster/join", tag = "roster", operation_id = "joinWithLink",
    description = "Joins as the roster person the link belongs to: name, country and role come from the roster, and they go to their preferred room if they have one. Opening the link again (another device) answers a new token for the same participant. Works when the shared codes are off; not when joining is locked.",
    params(("id" = String, Path, description = PARAM_ID)),
    request_body = LinkJoin,
    responses(
        (status = 201, description = "Joined.", body = super::api::Joined),
        (status = 400, description = "`invalid`: malformed body or language.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the link opens nothing in this workshop (or its participant was removed).", body = ErrorBody),
        (status = 403, description = "`forbidden`: the link was revoked.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
        (status = 409, description = "`closed`: the workshop is closed, or staff locked joining.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many joins or wrong links from this address; `Retry-After` says when to try again.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn join(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    body: Result<Body<LinkJoin>, ApiError>,
) -> Result<Response, ApiError> {
    if let Err(limited) = state.addresses.check_join(client) {
        return Ok(limited.into_response());
    }
    let Body(body) = body?;
    let id = workshop_id(&id)?;
    if body.link.is_empty() || body.link.len() > 128 {
        state.addresses.failed(client);
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "that personal link opens nothing in this workshop",
        ));
    }
    let request = JoinRequest {
        code: String::new(),
        name: String::new(),
        country: None,
        language: body.language.unwrap_or_else(|| "en".into()),
        idempotency_key: None,
        personal_link: Some(body.link),
    };
    super::api::join_and_answer(&state, client, id, request).await
}
