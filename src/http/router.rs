//! Routes, body limits, request spans and the few response headers every answer carries.

use super::{api, audio, lookup, origin, web, ws, AppState};
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
        .route("/static/{*path}", get(web::static_file))
        .route("/qr.svg", get(web::qr))
        .layer(CompressionLayer::new())
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(web_routes())
        .route("/api/codes/{code}", get(lookup::lookup))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/workshops", post(api::create_workshop))
        .route("/api/workshops/{id}", axum::routing::delete(api::erase))
        .route("/api/workshops/{id}/join", post(api::join))
        .route("/api/workshops/{id}/overview", get(api::overview))
        .route("/api/workshops/{id}/consolidation", get(api::consolidation))
        .route("/api/workshops/{id}/export", get(api::export))
        .route("/api/workshops/{id}/audio", get(audio::audio_rooms))
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

fn log_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        ms = latency.as_secs_f64() * 1000.0,
        "answered"
    );
}
