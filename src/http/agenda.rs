//! REST handlers of agenda templates (`/api/workshops/{id}/agenda-templates`): the
//! built-in reference agenda and the agendas organizers saved, reusable in any workshop of
//! this server. Templates are the server's, not a workshop's: reading them needs a staff
//! token of some workshop (the route names it), saving or deleting one an organizer's
//! token.

use super::api::{required_bearer, workshop_id, ApiError, Body, ErrorBody};
use super::AppState;
use crate::domain::agenda::{self, Plan, REFERENCE_TEMPLATE, TITLE_MAX};
use crate::domain::settings::clean_text;
use crate::domain::{ParticipantId, Role, Workshop};
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most templates saved on a server (the built-in one aside).
pub const TEMPLATES_MAX: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/workshops/{id}/agenda-templates", get(list).post(save))
        .route(
            "/api/workshops/{id}/agenda-templates/{name}",
            delete(remove),
        )
}

/// An agenda template: a name and the segments' plans, as `set_agenda` takes them.
#[derive(Serialize, ToSchema)]
pub struct Template {
    name: String,
    /// The reference workshop's agenda, shipped with the server (not saved, not replaced).
    builtin: bool,
    /// Each `{title, where, phase?, hidden?, minutes?, message?}` (docs/protocol/agenda.md).
    #[schema(value_type = Vec<Object>)]
    segments: Vec<Plan>,
}

#[derive(Serialize, ToSchema)]
pub struct Templates {
    templates: Vec<Template>,
}

/// A template to save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveTemplate {
    /// 1-120 characters; saving under a saved template's name replaces it.
    name: String,
    /// The plans to save; absent: this workshop's agenda as it is (every segment's plan).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    segments: Option<Vec<Plan>>,
}

/// The staff member behind the token, unless they are not the organizer.
async fn organizer(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    what: &str,
) -> Result<Box<Workshop>, ApiError> {
    let (_, role, snapshot) = staff(state, headers, id).await?;
    if role != Role::Organizer {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("only an organizer {what} agenda templates"),
        ));
    }
    Ok(snapshot)
}

async fn staff(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(ParticipantId, Role, Box<Workshop>), ApiError> {
    let id = workshop_id(id)?;
    let token = required_bearer(headers, "a staff bearer token is required")?;
    let (_, me) = state.hub.authenticate_for(token, id).await?;
    let snapshot = state.hub.export_snapshot(token, id).await?;
    match snapshot.participants.get(&me).map(|p| p.role) {
        Some(role) if role.is_staff() => Ok((me, role, snapshot)),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only staff use agenda templates",
        )),
    }
}

fn invalid(e: crate::domain::DomainError) -> ApiError {
    ApiError::new(ErrorCode::from(&e), e.to_string())
}

const PARAM_ID: &str = "A workshop the token is staff of (templates serve every workshop).";

/// The agenda templates: the built-in reference agenda first, then the saved ones by name.
#[utoipa::path(get, path = "/api/workshops/{id}/agenda-templates", tag = "agenda", operation_id = "listAgendaTemplates",
    description = "The built-in reference agenda, then every template saved on this server, by name. Needs an organizer's or facilitator's token of the workshop in the path.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID)),
    responses(
        (status = 200, description = "The templates.", body = Templates),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a delegate's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be read; try again.", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    staff(&state, &headers, &id).await?;
    let saved = state
        .hub
        .store()
        .agenda_templates()
        .await
        .map_err(HubError::from)?;
    let mut templates = vec![Template {
        name: REFERENCE_TEMPLATE.into(),
        builtin: true,
        segments: agenda::reference(),
    }];
    for (name, segments, _) in saved {
        // A record that no longer reads as plans is left out, not served half.
        if let Ok(segments) = serde_json::from_str::<Vec<Plan>>(&segments) {
            templates.push(Template {
                name,
                builtin: false,
                segments,
            });
        } else {
            tracing::warn!(template = %name, "an agenda template does not read as plans; left out");
        }
    }
    Ok(Json(Templates { templates }).into_response())
}

/// Saves an agenda template (this workshop's agenda, or the plans given).
#[utoipa::path(post, path = "/api/workshops/{id}/agenda-templates", tag = "agenda", operation_id = "saveAgendaTemplate",
    description = "Saves a template under `name` (replacing a saved one of that name), with the plans given or, without `segments`, this workshop's agenda. Every plan is checked as `set_agenda` checks it. Needs the organizer's token of the workshop in the path.",
    security(("bearer" = [])),
    params(("id" = String, Path, description = PARAM_ID)),
    request_body = SaveTemplate,
    responses(
        (status = 201, description = "Saved.", body = Template),
        (status = 400, description = "`invalid`: a bad name or plan, an empty agenda, a malformed body.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an organizer's token.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop.", body = ErrorBody),
        (status = 409, description = "`conflict`: the name of the built-in template.", body = ErrorBody),
        (status = 413, description = "`too_large`: a name over 120 characters, over 40 segments, a text over its limit, 100 templates saved already, or a body over 65,536 bytes.", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be written; try again.", body = ErrorBody),
    ))]
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Body<SaveTemplate>, ApiError>,
) -> Result<Response, ApiError> {
    let snapshot = organizer(&state, &headers, &id, "saves").await?;
    let Body(body) = body?;
    let name = clean_text("name", &body.name, TITLE_MAX).map_err(invalid)?;
    if name == REFERENCE_TEMPLATE {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "that is the built-in template's name",
        ));
    }
    let plans = body.segments.unwrap_or_else(|| {
        snapshot
            .agenda
            .segments
            .iter()
            .map(|s| s.plan.clone())
            .collect()
    });
    let segments = agenda::validated_plans(&plans).map_err(invalid)?;
    if segments.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "a template needs at least one segment",
        ));
    }
    let json = serde_json::to_string(&segments)
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let saved = state
        .hub
        .store()
        .save_agenda_template(&name, &json, crate::hub::now_ms(), TEMPLATES_MAX)
        .await
        .map_err(HubError::from)?;
    if !saved {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!("{TEMPLATES_MAX} agenda templates are saved already"),
        ));
    }
    let template = Template {
        name,
        builtin: false,
        segments,
    };
    Ok((StatusCode::CREATED, Json(template)).into_response())
}

/// Deletes a saved agenda template.
#[utoipa::path(delete, path = "/api/workshops/{id}/agenda-templates/{name}", tag = "agenda", operation_id = "deleteAgendaTemplate",
    description = "Deletes the saved template `name` (percent-encoded), for every workshop of this server; workshops that used it keep their agenda. The built-in reference template is not deleted. Needs the organizer's token of the workshop in the path.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = PARAM_ID),
        ("name" = String, Path, description = "The saved template's name."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "`unauthorized`: no bearer token, or an unknown one.", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an organizer's token, or a token of another workshop.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such workshop, or no template of that name is saved.", body = ErrorBody),
        (status = 409, description = "`conflict`: the built-in template, which cannot be deleted.", body = ErrorBody),
        (status = 503, description = "`unavailable`: the store could not be written; try again.", body = ErrorBody),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    organizer(&state, &headers, &id, "deletes").await?;
    if name == REFERENCE_TEMPLATE {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the built-in template cannot be deleted",
        ));
    }
    let deleted = state
        .hub
        .store()
        .delete_agenda_template(&name)
        .await
        .map_err(HubError::from)?;
    if !deleted {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no agenda template named {name:?} is saved"),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
