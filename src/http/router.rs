//! Routes, body limits, request spans and the few response headers every answer carries.

use super::{admin, api, audio, export, lookup, operations, origin, projector, web, ws, AppState};
use axum::extract::MatchedPath;
use axum::http::{header, HeaderValue, Request, Response};
use axum::routing::{get, post};
use axum::Router;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

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
        .route("/projector", get(web::projector_page))
        .route("/review", get(web::review_page))
        .route("/static/{*path}", get(web::static_file))
        .route("/qr.svg", get(web::qr))
        .route("/favicon.ico", get(web::favicon))
        .layer(CompressionLayer::new())
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(web_routes())
        .route("/api/codes/{code}", get(lookup::lookup))
        .route("/healthz", get(operations::healthz))
        .route("/readyz", get(operations::readyz))
        .route("/metrics", get(operations::metrics))
        .route("/api/openapi.json", get(operations::openapi))
        .route("/api/workshops", post(api::create_workshop))
        .route("/api/admin/workshops", get(admin::workshops))
        .route("/api/workshops/{id}", axum::routing::delete(api::erase))
        .route("/api/workshops/{id}/join", post(api::join))
        .route("/api/workshops/{id}/overview", get(api::overview))
        .route("/api/workshops/{id}/consolidation", get(api::consolidation))
        .route("/api/workshops/{id}/export", get(export::export))
        .route(
            "/api/workshops/{id}/projector",
            get(projector::view).post(projector::create),
        )
        .route("/api/workshops/{id}/audio", get(audio::audio_rooms))
        .merge(super::roster::routes())
        .route("/api/workshops/{id}/review", get(super::review::review))
        .merge(super::agenda::routes())
        .route("/ws", get(ws::upgrade))
        .fallback(api::no_route)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::check,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .with_state(state)
}

/// A span per request with the method, the route *template* (never the raw path or query,
/// which may carry a join code or other secrets) and the workshop id when the path has one.
fn request_span<B>(req: &Request<B>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let workshop = req
        .uri()
        .path()
        .strip_prefix("/api/workshops/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse::<crate::domain::WorkshopId>().ok());
    tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        workshop = workshop.map(tracing::field::display),
    )
}

/// One line per answer: at INFO, except wrong credentials, unknown codes or paths and
/// rate-limited requests (401, 404, 429), at DEBUG: a script guessing codes must not fill
/// the log (`cabildo_rate_limited_total` counts the refusals).
fn log_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    let ms = latency.as_secs_f64() * 1000.0;
    if matches!(status, 401 | 404 | 429) {
        tracing::debug!(status, ms, "answered");
    } else {
        tracing::info!(status, ms, "answered");
    }
}
