//! The origin check: a browser page from another site must not open a WebSocket or change
//! anything with a participant's credentials.
//!
//! Cabildo uses no cookies (tokens travel in the `hello` frame and the `Authorization`
//! header), so a foreign page holds no ambient authority; this check is defence in depth,
//! and it keeps other sites from using visitors' browsers against the server.
//!
//! Rule, for WebSocket upgrades and `POST`/`PUT`/`PATCH`/`DELETE`:
//! - no `Origin` header (curl, scripts, native clients): allowed;
//! - an `Origin` whose host and port equal the `Host` header (same origin): allowed;
//! - an `Origin` listed in `--allowed-origins` / `CABILDO_ALLOWED_ORIGINS`: allowed;
//! - anything else, `Origin: null` included: 403 `forbidden`.

use super::api::ApiError;
use super::AppState;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Origins allowed besides the server's own, normalised with `normalize`.
#[derive(Debug, Default)]
pub struct Origins {
    allowed: Vec<String>,
}

impl Origins {
    pub fn new(allowed: Vec<String>) -> Origins {
        Origins {
            allowed: allowed.iter().map(|o| normalize(o)).collect(),
        }
    }

    /// Whether a request carrying `origin` (the header's value) and `host` may go on.
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = normalize(origin);
        if self.allowed.contains(&origin) {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        match host {
            Some(host) => {
                let host = host.trim().to_ascii_lowercase();
                strip_default_port(scheme, &host) == authority
            }
            None => false,
        }
    }
}

fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "http" | "ws" => Some(":80"),
        "https" | "wss" => Some(":443"),
        _ => None,
    }
}

fn strip_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    match default_port(scheme) {
        Some(port) => authority.strip_suffix(port).unwrap_or(authority),
        None => authority,
    }
}

/// `scheme://host[:port]` in lower case, without a trailing slash or the scheme's default
/// port, so that `HTTPS://Example.org:443/` and `https://example.org` compare equal.
pub fn normalize(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    match origin.split_once("://") {
        Some((scheme, authority)) => {
            format!("{scheme}://{}", strip_default_port(scheme, authority))
        }
        None => origin,
    }
}

/// Whether this request needs the check: a WebSocket upgrade or a state-changing method.
fn guarded(method: &Method, headers: &HeaderMap) -> bool {
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    upgrade
        || matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
}

/// The middleware (layered in `router.rs`).
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if guarded(request.method(), headers) {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let allowed = origin
                .to_str()
                .is_ok_and(|origin| state.origins.allows(origin, host));
            if !allowed {
                return ApiError::from(HubError::new(
                    ErrorCode::Forbidden,
                    "requests from this origin are not allowed (see --allowed-origins)",
                ))
                .into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_is_the_host_header_with_or_without_the_default_port() {
        let o = Origins::default();
        assert!(o.allows("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(o.allows("HTTP://Example.org", Some("example.org")));
        assert!(o.allows("https://example.org:443", Some("example.org")));
        assert!(o.allows("https://example.org", Some("example.org:443")));
        assert!(!o.allows("http://127.0.0.1:8081", Some("127.0.0.1:8080")));
        assert!(!o.allows("http://evil.example", Some("example.org")));
        assert!(!o.allows("https://example.org.evil.example", Some("example.org")));
        assert!(!o.allows("null", Some("example.org")));
        assert!(!o.allows("example.org", Some("example.org")));
        assert!(!o.allows("http://example.org", None));
    }

    #[test]
    fn listed_origins_are_allowed_whatever_the_host() {
        let o = Origins::new(vec![
            "https://Workshop.example.org/".into(),
            "http://localhost:5173".into(),
        ]);
        assert!(o.allows("https://workshop.example.org", Some("10.0.0.5:8080")));
        assert!(o.allows("https://workshop.example.org:443", None));
        assert!(o.allows("http://localhost:5173", Some("127.0.0.1:8080")));
        assert!(!o.allows("http://localhost:5174", Some("127.0.0.1:8080")));
    }

    #[test]
    fn only_upgrades_and_state_changing_methods_are_guarded() {
        let mut upgrade = HeaderMap::new();
        upgrade.insert(header::UPGRADE, "WebSocket".parse().expect("header"));
        assert!(guarded(&Method::GET, &upgrade));
        assert!(!guarded(&Method::GET, &HeaderMap::new()));
        assert!(!guarded(&Method::HEAD, &HeaderMap::new()));
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(guarded(&m, &HeaderMap::new()));
        }
    }
}
