//! The OpenAPI 3.1 document of the REST API, generated from the handlers' annotations
//! (`utoipa`) and served at `GET /api/openapi.json`. docs/openapi.json is a copy of it that
//! tests/openapi.rs keeps equal (run it with `UPDATE_OPENAPI=1` to rewrite the copy).

use super::{api, audio, lookup, ws};
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
        api::healthz,
        api::readyz,
        api::metrics,
        api::openapi,
        api::create_workshop,
        api::erase,
        api::join,
        lookup::lookup,
        api::overview,
        api::consolidation,
        api::export,
        audio::audio_rooms,
        ws::upgrade,
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "workshops", description = "Creating, joining, exporting and erasing workshops."),
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
