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
//! - anything else, `Origin: null` or several `Origin` headers included: 403 `forbidden`.
//!
//! And, against DNS rebinding (a foreign page whose host name now points at this server
//! counts as same-origin to the browser), the `Host` of such a request must be one of the
//! public origins (`--public-origin`), an IP address or `localhost`; else 403 `forbidden`.
//!
//! An upgrade is any request whose `Upgrade` headers (all of them, comma-separated lists
//! included) name `websocket`: the same parse the upgrade itself uses (`ws.rs`).

use super::api::ApiError;
use super::AppState;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Origins allowed besides the server's own, and the server's public origins, normalised
/// with `normalize`.
#[derive(Debug, Default)]
pub struct Origins {
    allowed: Vec<String>,
    /// The authorities (`host[:port]`) of the public origins.
    public_hosts: Vec<String>,
}

impl Origins {
    pub fn new(allowed: Vec<String>) -> Origins {
        Origins::with_public(allowed, Vec::new())
    }

    /// With the origins the server is reached under (`--public-origin`).
    pub fn with_public(allowed: Vec<String>, public: Vec<String>) -> Origins {
        let public: Vec<String> = public.iter().map(|o| normalize(o)).collect();
        Origins {
            allowed: allowed
                .iter()
                .map(|o| normalize(o))
                .chain(public.iter().cloned())
                .collect(),
            public_hosts: public
                .iter()
                .filter_map(|o| {
                    o.split_once("://")
                        .map(|(_, authority)| authority.to_string())
                })
                .collect(),
        }
    }

    /// Whether a guarded request may carry this `Host`: a public origin's, an IP address or
    /// `localhost` (names an attacker's DNS cannot rebind), with any port.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        for scheme in ["http", "https"] {
            let stripped = strip_default_port(scheme, &host);
            if self.public_hosts.iter().any(|p| p == stripped) {
                return true;
            }
        }
        let name = host_name(&host);
        name == "localhost"
            || name.parse::<std::net::Ipv4Addr>().is_ok()
            || name
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .is_some_and(|n| n.parse::<std::net::Ipv6Addr>().is_ok())
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

/// The host of an authority, without its port (`[::1]:80` → `[::1]`).
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
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

/// Whether any of the `name` headers lists `token` (comma-separated, case-insensitive).
pub fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    })
}

/// Whether this request needs the check: a WebSocket upgrade or a state-changing method.
fn guarded(method: &Method, headers: &HeaderMap) -> bool {
    has_token(headers, header::UPGRADE, "websocket")
        || matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
}

fn forbidden(message: &'static str) -> Response {
    ApiError::from(HubError::new(ErrorCode::Forbidden, message)).into_response()
}

/// Why a guarded request is refused, if it is.
fn refusal(origins: &Origins, headers: &HeaderMap) -> Option<&'static str> {
    let hosts: Vec<_> = headers.get_all(header::HOST).iter().collect();
    if hosts.len() > 1 {
        return Some("a request carries one `Host` header");
    }
    let host = match hosts.first() {
        None => None,
        Some(h) => match h.to_str() {
            Ok(h) if origins.host_allowed(h) => Some(h),
            _ => {
                return Some(
                    "this server is not reached under that host name (see --public-origin)",
                )
            }
        },
    };
    let mut given = headers.get_all(header::ORIGIN).iter();
    match (given.next(), given.next()) {
        (None, _) => None,
        (Some(origin), None)
            if origin
                .to_str()
                .is_ok_and(|origin| origins.allows(origin, host)) =>
        {
            None
        }
        _ => Some("requests from this origin are not allowed (see --allowed-origins)"),
    }
}

/// The middleware (layered in `router.rs`).
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if guarded(request.method(), headers) {
        if let Some(message) = refusal(&state.origins, headers) {
            return forbidden(message);
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
    fn hosts_must_be_public_origins_ip_addresses_or_localhost() {
        let o = Origins::with_public(Vec::new(), vec!["https://Workshop.example.org".into()]);
        assert!(o.host_allowed("workshop.example.org"));
        assert!(o.host_allowed("workshop.example.org:443"));
        assert!(o.host_allowed("127.0.0.1:8080"));
        assert!(o.host_allowed("[::1]:8080"));
        assert!(o.host_allowed("localhost:8080"));
        assert!(!o.host_allowed("rebind.evil.example:8080"));
        assert!(!o.host_allowed("workshop.example.org.evil.example"));
        assert!(!Origins::default().host_allowed("workshop.example.org"));
        // A public origin is also an allowed origin, whatever the Host.
        assert!(o.allows("https://workshop.example.org", Some("10.0.0.5:8080")));
    }

    #[test]
    fn several_origin_or_upgrade_headers_are_parsed_as_one_list() {
        let o = Origins::default();
        let mut h = HeaderMap::new();
        h.append(header::UPGRADE, "h2c".parse().expect("header"));
        h.append(header::UPGRADE, "WebSocket".parse().expect("header"));
        assert!(guarded(&Method::GET, &h));
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, "websocket, h2c".parse().expect("header"));
        assert!(guarded(&Method::GET, &h));
        h.insert(header::HOST, "127.0.0.1:8080".parse().expect("header"));
        h.append(
            header::ORIGIN,
            "http://127.0.0.1:8080".parse().expect("header"),
        );
        assert_eq!(refusal(&o, &h), None);
        h.append(
            header::ORIGIN,
            "https://evil.example".parse().expect("header"),
        );
        assert!(refusal(&o, &h).is_some());
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
