//! `GET /api/admin/workshops`: the organizer's home lists every workshop on this server,
//! for the holder of the admin token, with what it needs to hand each one out again (its
//! join codes) and to follow it (people, rooms, cards).

use super::api::{bearer, ApiError, ErrorBody};
use super::AppState;
use crate::auth;
use crate::domain::{Role, WorkshopId};
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// One workshop as the admin's list shows it.
#[derive(Serialize, ToSchema)]
pub struct WorkshopEntry {
    id: WorkshopId,
    title: String,
    /// `true` once `close_workshop` ran (and no `reopen_workshop` since).
    closed: bool,
    /// When it was created, in ms since the Unix epoch.
    created: i64,
    /// Delegates not removed.
    delegates: usize,
    /// Facilitators not removed.
    facilitators: usize,
    /// Countries of those delegates.
    countries: usize,
    /// Rooms not removed.
    rooms: usize,
    /// Cards on every board (hidden ones included).
    cards: usize,
    conclusions: usize,
    /// Joins as a delegate.
    delegate_code: String,
    /// Joins as a facilitator.
    facilitator_code: String,
}

/// Lists every workshop on this server, newest first.
#[utoipa::path(get, path = "/api/admin/workshops", tag = "workshops", operation_id = "listWorkshops",
    description = "Every workshop stored on this server, newest first, with its join codes and counts (people, rooms, cards, conclusions): the organizer's home. Needs the admin token as a bearer token. Organizer tokens are stored only as hashes, so they are not listed. Reads every workshop's events: meant for an occasional page.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The workshops.", body = Vec<WorkshopEntry>),
        (status = 401, description = "`unauthorized`: no bearer token.", body = ErrorBody),
        (status = 403, description = "`forbidden`: the bearer token is not the admin token, or the request came from a foreign `Origin` (see --allowed-origins).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn workshops(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<WorkshopEntry>>, ApiError> {
    match bearer(&headers) {
        None => {
            return Err(
                HubError::new(ErrorCode::Unauthorized, "an admin bearer token is required").into(),
            )
        }
        Some(t) if !auth::secrets_match(t, &state.admin_token) => {
            return Err(HubError::new(ErrorCode::Forbidden, "that is not the admin token").into())
        }
        Some(_) => {}
    }
    let mut list: Vec<WorkshopEntry> = state
        .hub
        .stored_workshops()
        .await?
        .into_iter()
        .filter_map(|w| {
            let settings = w.state.settings.as_ref()?;
            let people = |role: Role| {
                w.state
                    .participants
                    .values()
                    .filter(move |p| p.role == role && !p.removed)
            };
            Some(WorkshopEntry {
                id: w.state.id,
                title: settings.title.clone(),
                closed: w.state.session.closed,
                created: w.created,
                delegates: people(Role::Delegate).count(),
                facilitators: people(Role::Facilitator).count(),
                countries: people(Role::Delegate)
                    .filter_map(|p| p.country.as_deref())
                    .collect::<BTreeSet<_>>()
                    .len(),
                rooms: w.state.rooms.iter().filter(|r| !r.removed).count(),
                cards: w.state.cards.len(),
                conclusions: w.state.conclusions.len(),
                delegate_code: w.codes.delegate,
                facilitator_code: w.codes.facilitator,
            })
        })
        .collect();
    list.sort_by_key(|w| std::cmp::Reverse(w.created));
    Ok(Json(list))
}
