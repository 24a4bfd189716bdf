//! The projector view: a read-only summary of a workshop for the plenary screen, behind a
//! link with its own token.
//!
//! A facilitator or the organizer makes the link (`POST /api/workshops/{id}/projector`);
//! its token is stored only as a hash, one per workshop (a new link replaces the old one),
//! with who made it. The page polls `GET /api/workshops/{id}/projector` with that token:
//! every room's top cards per column and the conclusions with the rooms and countries that
//! support them. What the view shows is what a delegate in the plenary may see: no hidden
//! (moderated) card, no card text of a room still in a hidden brainstorm, no vote totals of
//! a room voting while the workshop shows totals only after the vote. The answer carries an
//! `ETag`; a poll with a matching `If-None-Match` gets `304 Not Modified`.

use super::api::{bearer, workshop_id, ApiError, ErrorBody};
use super::AppState;
use crate::auth;
use crate::domain::settings::{default_columns, default_themes};
use crate::domain::{reports, Card, Place, Role, Room, VotesVisibility, Workshop};
use crate::hub::workshop::Msg;
use crate::hub::{HubError, WorkshopHandle};
use crate::protocol::ErrorCode;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use tokio::sync::oneshot;
use utoipa::ToSchema;

/// How many cards of each column the view lists per room (the most voted).
pub const TOP_CARDS: usize = 5;

/// A new projector link.
#[derive(Serialize, ToSchema)]
pub struct ProjectorLink {
    /// The projector's bearer token; stored only as a hash, shown only now.
    token: String,
    /// The page to open, with the workshop and the token in the fragment (never sent to
    /// the server, so it stays out of logs and referrers).
    url: String,
}

/// A column or theme: its key, its title as the organizer set it, and whether that title
/// is the built-in default (which a page shows in its reader's language).
#[derive(Serialize, ToSchema)]
pub struct Label {
    key: String,
    title: String,
    default: bool,
}

/// One card as the projector shows it.
#[derive(Serialize, ToSchema)]
pub struct ProjectorCard {
    text: String,
    /// `null` while the room votes and the workshop shows totals only after the vote.
    votes: Option<u32>,
    /// The author's country (ISO code); `null` for staff.
    country: Option<String>,
}

/// One column of a room: its card count and its top cards.
#[derive(Serialize, ToSchema)]
pub struct ProjectorColumn {
    key: String,
    /// Visible cards in the column.
    count: usize,
    /// Up to 5, most voted first (in posting order while votes are not shown); empty while
    /// the room is in a hidden brainstorm.
    top: Vec<ProjectorCard>,
}

/// One room.
#[derive(Serialize, ToSchema)]
pub struct ProjectorRoom {
    name: String,
    /// brainstorm, reveal, vote, consolidate or closed.
    phase: String,
    hidden: bool,
    open: bool,
    /// Delegates placed in the room now.
    people: usize,
    /// Their countries.
    countries: usize,
    votes_shown: bool,
    columns: Vec<ProjectorColumn>,
}

/// A name (a room's, or a country's ISO code) and how many cited cards came from it.
#[derive(Serialize, ToSchema)]
pub struct Share {
    name: String,
    cards: usize,
}

/// One conclusion and what supports it.
#[derive(Serialize, ToSchema)]
pub struct ProjectorConclusion {
    theme: String,
    text: String,
    /// draft or final.
    status: String,
    /// Votes on the cited visible cards.
    votes: u32,
    /// Cited visible cards.
    cards: usize,
    /// Rooms the cited cards come from, in the workshop's room order.
    rooms: Vec<Share>,
    /// Countries of the delegates who wrote them, sorted by code.
    countries: Vec<Share>,
    /// Its endorsement record, once a review by delegations was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<ProjectorRecord>,
}

/// A conclusion's endorsement record on the projector: countries (ISO codes) only.
#[derive(Serialize, ToSchema)]
pub struct ProjectorRecord {
    endorsed: Vec<String>,
    /// Each with the reservation's text.
    reserved: Vec<ProjectorRemark>,
    commented: Vec<String>,
    unanswered: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectorRemark {
    country: String,
    text: String,
}

/// The review by delegations, as the projector shows it.
#[derive(Serialize, ToSchema)]
pub struct ProjectorReview {
    /// ms since the Unix epoch.
    deadline: i64,
    /// Closed: the conclusions are final.
    closed: bool,
}

fn projector_record(rec: crate::domain::review::ConclusionRecord) -> ProjectorRecord {
    let countries = |list: &[crate::domain::review::CountryAnswer]| {
        list.iter().map(|a| a.country.clone()).collect()
    };
    ProjectorRecord {
        endorsed: countries(&rec.endorsed),
        reserved: rec
            .reserved
            .iter()
            .map(|a| ProjectorRemark {
                country: a.country.clone(),
                text: a.text.clone().unwrap_or_default(),
            })
            .collect(),
        commented: countries(&rec.commented),
        unanswered: rec.unanswered,
    }
}

/// What the projector shows.
#[derive(Serialize, ToSchema)]
pub struct ProjectorView {
    title: String,
    /// The workshop's main language.
    language: String,
    closed: bool,
    columns: Vec<Label>,
    themes: Vec<Label>,
    /// Open rooms (removed ones left out), in the workshop's order.
    rooms: Vec<ProjectorRoom>,
    /// In the organizer's order.
    conclusions: Vec<ProjectorConclusion>,
    /// Once a review by delegations was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<ProjectorReview>,
}

fn hub_error(code: ErrorCode, message: &str) -> ApiError {
    ApiError::from(HubError::new(code, message))
}

/// The state of workshop `id` as staff member `participant` may read it (refused when
/// they are not staff, or were removed).
async fn state_for(
    handle: &WorkshopHandle,
    participant: crate::domain::ParticipantId,
) -> Result<Box<Workshop>, ApiError> {
    let (reply, answer) = oneshot::channel();
    handle.send(Msg::Export { participant, reply }).await?;
    Ok(answer.await.map_err(|_| HubError::unavailable())??)
}

/// Makes (or replaces) the workshop's projector link.
#[utoipa::path(post, path = "/api/workshops/{id}/projector", tag = "reports", operation_id = "createProjectorLink",
    description = "Makes the workshop's read-only projector link and returns its token (shown only now, stored as a hash). A workshop has one: making a new one stops the previous one. The link shows what its maker may read, and stops working if they are removed. Needs the token of the workshop's organizer or of one of its facilitators.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 201, description = "The new link.", body = ProjectorLink),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown or removed participant's.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, a token of another workshop, or a request from a foreign `Origin`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 503, description = "`unavailable`: could not be stored; try again.", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = workshop_id(&id)?;
    let token = bearer(&headers).ok_or_else(|| {
        hub_error(
            ErrorCode::Unauthorized,
            "an organizer or facilitator bearer token is required",
        )
    })?;
    let (handle, by) = state.hub.authenticate_for(token, id).await?;
    state_for(&handle, by).await?;
    let token = auth::new_token();
    state
        .hub
        .store()
        .set_projector_token(id, &auth::hash_token(&token), by, crate::hub::now_ms())
        .await
        .map_err(HubError::from)?;
    let url = format!("/projector#w={id}&t={token}");
    Ok((StatusCode::CREATED, Json(ProjectorLink { token, url })).into_response())
}

/// The projector view of a workshop.
#[utoipa::path(get, path = "/api/workshops/{id}/projector", tag = "reports", operation_id = "projectorView",
    description = "What the plenary screen shows: every open room's top 5 cards per column by votes, and the conclusions with the rooms and countries that support them. Leaves out hidden cards, the texts of a room in a hidden brainstorm, and the totals of a room voting while the workshop shows totals only after the vote. Needs the projector token (`POST` above). Answers with an `ETag`; `If-None-Match` with it answers 304 while nothing changed.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 200, description = "The view.", body = ProjectorView),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`."),
        (status = 401, description = "`unauthorized`: no bearer token, an unknown or replaced projector token, or its maker was removed.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a projector token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn view(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = workshop_id(&id)?;
    let unknown = || {
        hub_error(
            ErrorCode::Unauthorized,
            "unknown or replaced projector link",
        )
    };
    let token = bearer(&headers).ok_or_else(unknown)?;
    if token.len() > 256 {
        return Err(unknown());
    }
    let found = state
        .hub
        .store()
        .projector_token(&auth::hash_token(token))
        .await
        .map_err(HubError::from)?;
    // An unknown workshop is not_found whoever asks, as for every other endpoint.
    let handle = state.hub.workshop(id).await?;
    let by = match found {
        None => return Err(unknown()),
        Some((w, _)) if w != id => {
            return Err(hub_error(
                ErrorCode::Forbidden,
                "that projector link belongs to another workshop",
            ))
        }
        Some((_, by)) => by,
    };
    let snapshot = state_for(&handle, by).await?;
    let body = serde_json::to_vec(&build(&snapshot)).map_err(|_| HubError::unavailable())?;
    let etag = etag(&body);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

fn etag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", &hex::encode(digest)[..24]))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn phase_name(room: &Room) -> String {
    serde_json::to_value(room.phase)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn country_of(state: &Workshop, card: &Card) -> Option<String> {
    state
        .participants
        .get(&card.author)
        .filter(|p| p.role == Role::Delegate)
        .and_then(|p| p.country.clone())
}

fn room_view(state: &Workshop, room: &Room, after_vote: bool) -> ProjectorRoom {
    let phase = phase_name(room);
    let secret = room.hidden && phase == "brainstorm";
    let votes_shown = !(after_vote && phase == "vote");
    let people: Vec<&crate::domain::Participant> = state
        .participants
        .values()
        .filter(|p| !p.removed && p.role == Role::Delegate && p.room == Place::Room(room.id))
        .collect();
    let countries: BTreeSet<&str> = people.iter().filter_map(|p| p.country.as_deref()).collect();
    let columns = state
        .settings
        .as_ref()
        .map(|s| s.columns.as_slice())
        .unwrap_or_default();
    let columns = columns
        .iter()
        .map(|col| {
            let mut cards: Vec<&Card> = state
                .cards
                .values()
                .filter(|c| c.room == room.id && c.column == col.key && !c.hidden)
                .collect();
            if votes_shown {
                cards.sort_by_key(|c| (std::cmp::Reverse(state.votes_on(c.id)), c.seq));
            } else {
                cards.sort_by_key(|c| c.seq);
            }
            let top = if secret {
                Vec::new()
            } else {
                cards
                    .iter()
                    .take(TOP_CARDS)
                    .map(|c| ProjectorCard {
                        text: c.text.clone(),
                        votes: votes_shown.then(|| state.votes_on(c.id)),
                        country: country_of(state, c),
                    })
                    .collect()
            };
            ProjectorColumn {
                key: col.key.clone(),
                count: cards.len(),
                top,
            }
        })
        .collect();
    ProjectorRoom {
        name: room.name.clone(),
        phase,
        hidden: room.hidden,
        open: room.open,
        people: people.len(),
        countries: countries.len(),
        votes_shown,
        columns,
    }
}

pub fn build(state: &Workshop) -> ProjectorView {
    let settings = state.settings.as_ref();
    let after_vote = settings.is_some_and(|s| s.votes_visibility == VotesVisibility::AfterVote);
    let column_defaults: BTreeMap<String, String> = default_columns()
        .into_iter()
        .map(|c| (c.key, c.title))
        .collect();
    let theme_defaults: BTreeMap<String, String> = default_themes()
        .into_iter()
        .map(|t| (t.key, t.title))
        .collect();
    let label = |defaults: &BTreeMap<String, String>, key: &str, title: &str| Label {
        key: key.to_string(),
        title: title.to_string(),
        default: defaults.get(key).is_some_and(|d| d == title),
    };
    let mut conclusions: Vec<ProjectorConclusion> = state
        .conclusions
        .iter()
        .map(|k| {
            let support = reports::support(state, k);
            let cited: Vec<&Card> = k
                .cards
                .iter()
                .filter_map(|id| state.cards.get(id))
                .filter(|c| !c.hidden)
                .collect();
            let rooms = support
                .rooms
                .iter()
                .map(|r| Share {
                    name: r.name.clone(),
                    cards: cited.iter().filter(|c| c.room == r.id).count(),
                })
                .collect();
            let countries = support
                .countries
                .iter()
                .map(|code| Share {
                    name: code.clone(),
                    cards: cited
                        .iter()
                        .filter(|c| country_of(state, c).as_deref() == Some(code))
                        .count(),
                })
                .collect();
            ProjectorConclusion {
                theme: k.theme.clone(),
                text: k.text.clone(),
                status: serde_json::to_value(k.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                votes: support.votes,
                cards: support.cards,
                rooms,
                countries,
                review: None,
            }
        })
        .collect();
    for (c, rec) in conclusions
        .iter_mut()
        .zip(crate::domain::review::record(state))
    {
        c.review = Some(projector_record(rec));
    }
    ProjectorView {
        title: settings.map(|s| s.title.clone()).unwrap_or_default(),
        language: settings.map(|s| s.language.clone()).unwrap_or_default(),
        closed: state.session.closed,
        columns: settings
            .map(|s| {
                s.columns
                    .iter()
                    .map(|c| label(&column_defaults, &c.key, &c.title))
                    .collect()
            })
            .unwrap_or_default(),
        themes: settings
            .map(|s| {
                s.themes
                    .iter()
                    .map(|t| label(&theme_defaults, &t.key, &t.title))
                    .collect()
            })
            .unwrap_or_default(),
        rooms: state
            .rooms
            .iter()
            .filter(|r| !r.removed)
            .map(|r| room_view(state, r, after_vote))
            .collect(),
        conclusions,
        review: state.review.as_ref().map(|r| ProjectorReview {
            deadline: r.deadline,
            closed: r.closed,
        }),
    }
}
