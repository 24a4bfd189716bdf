//! The web client: the pages in `web/`, embedded in the binary at build time (a copied
//! binary serves them alone), and the QR code of a join link.
//!
//! Pages carry a strict Content-Security-Policy (scripts, styles, images and connections
//! from this origin only; no inline script or style). Every file carries an `ETag` (a hash
//! of its bytes) and `Cache-Control: no-cache`, so a browser keeps it and revalidates with
//! `If-None-Match` (answered `304 Not Modified`); the router compresses them.
//!
//! Pages name their files under `/static/v/{VERSION}/` (the server rewrites the pages'
//! `"/static/` addresses), where `VERSION` is a hash of every web file: those answers are
//! cached for a year without revalidation (`immutable`), so a returning browser asks for
//! nothing but the page, and a new build changes every address. Modules import each other by
//! relative paths, so a versioned module's imports are versioned too.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web");

/// The policy of every page: nothing inline, nothing from another origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Longest text the QR endpoint encodes (a join link is far shorter).
const QR_MAX_BYTES: usize = 300;

struct Asset {
    body: axum::body::Bytes,
    mime: &'static str,
    etag: HeaderValue,
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    HeaderValue::from_str(&format!("\"{}\"", &hex::encode(digest)[..20]))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn web_files() -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    let mut dirs = vec![&WEB];
    while let Some(dir) = dirs.pop() {
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            out.push((path, file.contents()));
        }
        dirs.extend(dir.dirs());
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A hash of every web file (path and bytes): the version in `/static/v/{VERSION}/`.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (path, body) in web_files() {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update((body.len() as u64).to_le_bytes());
        hash.update(body);
    }
    hex::encode(hash.finalize())[..12].to_string()
});

/// A page with its `"/static/` addresses versioned.
fn versioned_page(body: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(body)
        .replace("\"/static/", &format!("\"/static/v/{}/", *VERSION))
        .into_bytes()
}

static ASSETS: LazyLock<HashMap<String, Asset>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (path, contents) in web_files() {
        let mime = mime(&path);
        let body = if mime.starts_with("text/html") {
            axum::body::Bytes::from(versioned_page(contents))
        } else {
            axum::body::Bytes::from_static(contents)
        };
        let etag = etag_of(&body);
        map.insert(path, Asset { body, mime, etag });
    }
    map
});

fn serve(path: &str, headers: &HeaderMap) -> Response {
    serve_cached(path, headers, "no-cache")
}

fn serve_cached(path: &str, headers: &HeaderMap, cache: &'static str) -> Response {
    let Some(asset) = ASSETS.get(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response();
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == asset.etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime))],
            asset.body.clone(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, asset.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if asset.mime.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// `/` and `/j/{code}`: the join page (the code is read from the address by the page).
pub async fn join_page(Query(query): Query<PageQuery>, headers: HeaderMap) -> Response {
    serve_preloaded("index.html", &query, &headers)
}

pub async fn join_link(
    _code: Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    serve_preloaded("index.html", &query, &headers)
}

/// The languages the web client is translated into (`web/i18n/{lang}.json`).
const LANGUAGES: [&str; 3] = ["en", "es", "pt"];

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// The translation a page will fetch first: the `lang` of its address (the join page and
/// the language menu put it there), else the browser's first accepted language we have,
/// else English.
fn page_language(query: &PageQuery, headers: &HeaderMap) -> &'static str {
    let wanted = query.lang.as_deref().into_iter().map(str::to_string);
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|part| {
            part.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase()
        });
    wanted
        .chain(accepted)
        .find_map(|l| {
            LANGUAGES
                .iter()
                .find(|ours| l.get(..2).is_some_and(|short| short == **ours))
                .copied()
        })
        .unwrap_or("en")
}

/// A page whose translation file is preloaded (`Link: rel=preload`), so that the browser
/// fetches it with the page's scripts instead of after them (a round trip less on a slow
/// network).
fn serve_preloaded(path: &str, query: &PageQuery, headers: &HeaderMap) -> Response {
    let mut response = serve(path, headers);
    let link = format!(
        "</static/v/{}/i18n/{}.json>; rel=preload; as=fetch; crossorigin=anonymous",
        *VERSION,
        page_language(query, headers)
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

pub async fn delegate_page(Query(query): Query<PageQuery>, headers: HeaderMap) -> Response {
    serve_preloaded("delegate.html", &query, &headers)
}

/// `/review`: the light page where delegations review the conclusions (with the token the
/// delegate already has).
pub async fn review_page(Query(query): Query<PageQuery>, headers: HeaderMap) -> Response {
    serve_preloaded("review.html", &query, &headers)
}

/// `/projector`: the read-only plenary view (its token comes in the address's fragment).
pub async fn projector_page(headers: HeaderMap) -> Response {
    serve("projector.html", &headers)
}

/// `/favicon.ico`: the logo, for browsers that ask for it at the root.
pub async fn favicon(headers: HeaderMap) -> Response {
    serve("favicon.ico", &headers)
}

pub async fn facilitator_page(headers: HeaderMap) -> Response {
    serve("facilitator.html", &headers)
}

pub async fn organizer_page(Query(query): Query<PageQuery>, headers: HeaderMap) -> Response {
    serve_preloaded("organizer.html", &query, &headers)
}

/// `/static/{*path}`: scripts, styles and translations. Pages are served only at their
/// own addresses, so that each carries its policy. Under `v/{VERSION}/` a file is cached
/// for a year; under an older version it is today's file, revalidated.
pub async fn static_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if path.ends_with(".html") {
        return serve("", &headers);
    }
    if let Some((version, rest)) = path
        .strip_prefix("v/")
        .and_then(|versioned| versioned.split_once('/'))
    {
        if version == VERSION.as_str() {
            return serve_cached(rest, &headers, "public, max-age=31536000, immutable");
        }
        return serve(rest, &headers);
    }
    serve(&path, &headers)
}

#[derive(Deserialize)]
pub struct QrQuery {
    text: Option<String>,
}

/// `GET /qr.svg?text=…`: the QR code of a short text (a join link) as an SVG image, made
/// here so that no third-party service ever sees a join link.
pub async fn qr(Query(query): Query<QrQuery>) -> Response {
    let text = query.text.unwrap_or_default();
    if text.is_empty() || text.len() > QR_MAX_BYTES {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("`text` must be 1-{QR_MAX_BYTES} bytes\n"),
        )
            .into_response();
    }
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "private, max-age=86400"),
                ],
                svg,
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "that text does not fit in a QR code\n",
        )
            .into_response(),
    }
}
