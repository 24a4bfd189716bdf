//! `GET /api/workshops/{id}/audio`: who is in each audio room, as Janus reports it.

use super::api::{required_bearer, workshop_id, ApiError, ErrorBody};
use super::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;

/// One audio room of a workshop: the lobby (the plenary) or a Cabildo room.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AudioRoom {
    /// `lobby` or the room's id.
    pub room: String,
    /// The participant ids Janus has in that room now.
    pub participants: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AudioRooms {
    /// The lobby first, then every room of the workshop (removed rooms excepted).
    pub rooms: Vec<AudioRoom>,
}

/// Who is connected to each audio room, asked of Janus now.
#[utoipa::path(get, path = "/api/workshops/{id}/audio", tag = "reports", operation_id = "audioRooms",
    description = "Who is connected to each audio room of the workshop (the lobby, which is the plenary, and every room), as the audio server (Janus's AudioBridge, `listparticipants`) reports it at this moment, not as Cabildo expects. Facilitators listening in to a room are listed there. Needs the token of the workshop's organizer or of one of its facilitators.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The workshop id.")),
    responses(
        (status = 200, description = "Every audio room with its participants.", body = AudioRooms),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown or removed participant's.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop (also once erased), or the server has no audio (no `--janus-url`).", body = ErrorBody),
        (status = 503, description = "`unavailable`: the audio server (or the store) cannot be reached; try again.", body = ErrorBody),
    ))]
pub async fn audio_rooms(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AudioRooms>, ApiError> {
    let token = required_bearer(
        &headers,
        "an organizer or facilitator bearer token is required",
    )?;
    let id = workshop_id(&id)?;
    let rooms = crate::audio::rooms_of(&state.hub, token, id).await?;
    Ok(Json(AudioRooms {
        rooms: rooms
            .into_iter()
            .map(|(place, participants)| AudioRoom {
                room: match place {
                    crate::domain::Place::Lobby => "lobby".into(),
                    crate::domain::Place::Room(r) => r.to_string(),
                },
                participants,
            })
            .collect(),
    }))
}
