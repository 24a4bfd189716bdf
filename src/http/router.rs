//! Routes, body limits and the few response headers every answer carries.

use super::{api, lookup, web, ws, AppState};
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body the REST API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The web client's pages and files (`src/http/web.rs`), compressed when the browser
/// accepts it.
fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(web::join_page))
        .route("/j/{code}", get(web::join_link))
        .route("/delegate", get(web::delegate_page))
        .route("/facilitator", get(web::facilitator_page))
        .route("/organizer", get(web::organizer_page))
        .route("/static/{*path}", get(web::static_file))
        .route("/qr.svg", get(web::qr))
        .layer(CompressionLayer::new())
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(web_routes())
        .route("/api/codes/{code}", get(lookup::lookup))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/workshops", post(api::create_workshop))
        .route("/api/workshops/{id}/join", post(api::join))
        .route("/api/workshops/{id}/overview", get(api::overview))
        .route("/api/workshops/{id}/consolidation", get(api::consolidation))
        .route("/api/workshops/{id}/export", get(api::export))
        .route("/ws", get(ws::upgrade))
        .fallback(api::no_route)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}
