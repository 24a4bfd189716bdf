//! The OpenAPI 3.1 document of the REST API, generated from the handlers' annotations
//! (`utoipa`) and served at `GET /api/openapi.json`. docs/openapi.json is a copy of it that
//! tests/openapi.rs keeps equal (run it with `UPDATE_OPENAPI=1` to rewrite the copy).

use super::{admin, agenda, api, audio, lookup, operations, projector, roster, ws};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cabildo",
        description = include_str!("openapi_intro.md"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        operations::healthz,
        operations::readyz,
        operations::metrics,
        operations::openapi,
        api::create_workshop,
        admin::workshops,
        api::erase,
        api::join,
        lookup::lookup,
        api::overview,
        api::consolidation,
        super::export::export,
        projector::create,
        projector::view,
        audio::audio_rooms,
        ws::upgrade,
        roster::list, roster::add, roster::reissue, roster::revoke, roster::shared_codes, roster::join,
        super::review::review,
        agenda::list, agenda::save, agenda::remove,
    ),
    modifiers(&BearerScheme, &EdgeAnswers),
    tags(
        (name = "workshops", description = "Creating, joining, exporting and erasing workshops."),
        (name = "roster", description = "The people expected before the workshop, and their personal links."),
        (name = "agenda", description = "Agenda templates: the reference agenda and those organizers saved."),
        (name = "reports", description = "Staff reports derived from a workshop's current state."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
        (name = "websocket", description = "The live protocol (docs/PROTOCOL.md)."),
    )
)]
pub struct ApiDoc;

/// The one security scheme: a bearer token. Which token an operation takes (the admin
/// token, or an organizer's, facilitator's or delegate's participant token) is in its
/// description.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "`Authorization: Bearer <token>`: the admin token (--admin-token / \
                 CABILDO_ADMIN_TOKEN) to create workshops; otherwise a participant token \
                 (`organizer_token` from creating a workshop, `token` from joining one).",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Answers every operation can get from the edge, before its handler: 503 when the server
/// holds `--max-connections` connections (`http::serve`).
struct EdgeAnswers;

impl utoipa::Modify for EdgeAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder};
        const FULL: &str = "the server holds its maximum number of connections (--max-connections); `Retry-After` says when to try again";
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let answers = &mut operation.responses.responses;
                match answers.get_mut("503") {
                    Some(RefOr::T(response)) => {
                        response.description = format!("{} Or: {FULL}.", response.description);
                    }
                    _ => {
                        let response = ResponseBuilder::new()
                            .description(format!("`unavailable`: {FULL}."))
                            .content(
                                "application/json",
                                utoipa::openapi::ContentBuilder::new()
                                    .schema(Some(utoipa::openapi::Ref::from_schema_name("Error")))
                                    .build(),
                            )
                            .build();
                        answers.insert("503".into(), RefOr::T(response));
                    }
                }
            }
        }
    }
}

/// The document as pretty JSON, built once.
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        doc.to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}
