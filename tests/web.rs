//! The web client's files and how they are served: translations complete in every language,
//! every key the pages use translated, the size budget of each page, no inline script or
//! style, the Content-Security-Policy, caching (ETag, 304), compression, the join-code
//! lookup and the QR code.

mod common;

use common::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const LANGUAGES: [&str; 3] = ["en", "es", "pt"];
const PAGES: [&str; 4] = [
    "index.html",
    "delegate.html",
    "facilitator.html",
    "organizer.html",
];

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn translations(lang: &str) -> Map<String, Value> {
    let path = web().join(format!("i18n/{lang}.json"));
    match serde_json::from_str(&read(&path)).expect("valid JSON") {
        Value::Object(map) => map,
        other => panic!("{lang}.json is not an object: {other}"),
    }
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Every quoted string that follows `prefix` in `text`, up to the closing `quote`.
fn quoted_after(text: &str, prefix: &str, quote: char) -> Vec<String> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            rest.find(quote).map(|end| rest[..end].to_string())
        })
        .collect()
}

/// Every quoted key after the call `name('` in `text`, where `name` starts a word (so
/// `t('` does not match `split('` or `get('`).
fn called_with(text: &str, name: &str) -> Vec<String> {
    let call = format!("{name}('");
    text.match_indices(&call)
        .filter_map(|(i, _)| {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || "_.$".contains(c)) {
                return None;
            }
            let rest = &text[i + call.len()..];
            rest.find('\'').map(|end| rest[..end].to_string())
        })
        .collect()
}

/// The plural forms every counted string has in every language (`Intl.PluralRules` gives
/// `one` and `other` for English, Spanish and Portuguese; `many`, if ever asked for, falls
/// back to `other`).
const PLURAL_FORMS: [&str; 2] = ["one", "other"];

/// The counted keys the scripts name literally: `tn('key'…` (translated as `key.one`,
/// `key.other`).
fn plural_keys_used() -> BTreeSet<String> {
    files(&web().join("js"), "js")
        .iter()
        .flat_map(|script| called_with(&read(script), "tn"))
        .collect()
}

/// The keys the pages and scripts name literally: `data-i18n*="key"`, `t('key'…` and
/// `'data-i18n': 'key'`.
fn keys_used() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for page in files(&web(), "html") {
        let text = read(&page);
        for attr in [
            "data-i18n=\"",
            "data-i18n-placeholder=\"",
            "data-i18n-label=\"",
        ] {
            keys.extend(quoted_after(&text, attr, '"'));
        }
    }
    for script in files(&web().join("js"), "js") {
        let text = read(&script);
        keys.extend(called_with(&text, "t"));
        // Elements a script makes before the language is loaded, translated by data-i18n.
        keys.extend(quoted_after(&text, "'data-i18n': '", '\''));
    }
    keys
}

#[test]
fn every_language_has_every_key() {
    let en = translations("en");
    assert!(en.len() > 100, "{} keys", en.len());
    for lang in LANGUAGES {
        let other = translations(lang);
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang}.json lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang}.json has keys en.json lacks: {extra:?}"
        );
        for (k, v) in &other {
            assert!(
                v.as_str().is_some_and(|s| !s.trim().is_empty()),
                "{lang}: {k} is empty"
            );
        }
    }
}

#[test]
fn every_key_the_pages_use_is_translated() {
    let en = translations("en");
    let used = keys_used();
    assert!(used.len() > 100, "found only {} keys in use", used.len());
    let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(missing.is_empty(), "used but not translated: {missing:?}");
}

#[test]
fn every_counted_string_has_every_plural_form_in_every_language() {
    let used = plural_keys_used();
    assert!(used.len() >= 8, "found only {used:?}");
    for lang in LANGUAGES {
        let dict = translations(lang);
        // Counted strings the scripts use, and any key that looks like a plural form.
        let bases = used.iter().cloned().chain(dict.keys().filter_map(|k| {
            let (base, form) = k.rsplit_once('.')?;
            ["zero", "one", "two", "few", "many", "other"]
                .contains(&form)
                .then(|| base.to_string())
        }));
        for base in bases {
            assert!(
                !dict.contains_key(&base),
                "{lang}: {base} is counted, so it has only plural forms"
            );
            for form in PLURAL_FORMS {
                let key = format!("{base}.{form}");
                let value = dict.get(&key).and_then(Value::as_str);
                assert!(
                    value.is_some_and(|v| v.contains("{n}")),
                    "{lang}: {key} is missing or does not show {{n}}"
                );
            }
        }
        // A count shown as "{n} votes" must be a counted string, not a plain one.
        for (k, v) in &dict {
            let v = v.as_str().unwrap_or_default();
            let plain = !k
                .rsplit_once('.')
                .is_some_and(|(_, f)| PLURAL_FORMS.contains(&f));
            assert!(
                !(plain && v.starts_with("{n} ")),
                "{lang}: {k} ({v:?}) counts something: give it plural forms"
            );
        }
    }
}

#[test]
fn every_error_code_of_the_protocol_has_a_translated_message() {
    let protocol = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/PROTOCOL.md"));
    let table = protocol
        .split("## Error codes")
        .nth(1)
        .and_then(|s| s.split("## ").next())
        .expect("the error code table");
    let codes: Vec<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    assert!(codes.len() >= 9, "{codes:?}");
    for lang in LANGUAGES {
        let dict = translations(lang);
        for code in &codes {
            assert!(
                dict.contains_key(&format!("error.{code}")),
                "{lang}: error.{code}"
            );
        }
    }
}

/// The scripts a page loads: its module and everything it imports, transitively.
fn scripts_of(page: &str) -> BTreeSet<PathBuf> {
    let mut todo: Vec<PathBuf> = quoted_after(page, "src=\"/static/", '"')
        .into_iter()
        .map(|p| web().join(p))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        // Relative to the importing file (a page's scripts may live in a folder of js/).
        let dir = path.parent().expect("a folder").to_path_buf();
        for import in quoted_after(&read(&path), "from './", '\'') {
            todo.push(dir.join(import));
        }
        // `../x.js` from js/cockpit/ is js/x.js (counted once, like the same module imported
        // from js/).
        for import in quoted_after(&read(&path), "from '../", '\'') {
            todo.push(dir.parent().expect("a folder").join(import));
        }
    }
    seen
}

/// Everything a page loads, as the server sends it to a browser that accepts gzip: the
/// page, its stylesheets, images, scripts (transitively) and the largest translation.
/// Issue #17's budget: at most 60 KiB.
#[tokio::test]
async fn each_page_loads_at_most_60_kib_gzipped() {
    let server = TestServer::start().await;
    let largest_translation = LANGUAGES
        .iter()
        .map(|l| (read(&web().join(format!("i18n/{l}.json"))).len(), *l))
        .max()
        .expect("translations")
        .1;
    for name in PAGES {
        let page = read(&web().join(name));
        let scripts = scripts_of(&page);
        assert!(!scripts.is_empty(), "{name} loads no script");
        let mut paths: BTreeSet<String> = scripts
            .iter()
            .map(|p| {
                let rel = p.strip_prefix(web()).expect("under web/");
                format!("/static/{}", rel.display())
            })
            .collect();
        paths.extend(
            quoted_after(&page, "href=\"/static/", '"')
                .into_iter()
                .chain(
                    quoted_after(&page, "src=\"/static/img/", '"')
                        .into_iter()
                        .map(|p| format!("img/{p}")),
                )
                .map(|p| format!("/static/{p}")),
        );
        paths.insert(format!("/static/i18n/{largest_translation}.json"));
        let address = format!("/{}", name.trim_end_matches(".html").replace("index", ""));
        paths.insert(address);
        let mut total = 0;
        for path in &paths {
            let r = server
                .http
                .get(server.url(path))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("a file");
            assert_eq!(r.status(), 200, "{path}");
            total += r.bytes().await.expect("body").len();
        }
        assert!(
            total <= 60 * 1024,
            "{name} and its files weigh {total} bytes gzipped: {paths:?}"
        );
    }
}

#[test]
fn pages_have_no_inline_script_style_or_handler() {
    for page in files(&web(), "html") {
        let text = read(&page).to_lowercase();
        let name = page.display();
        for tag in text.match_indices("<script").map(|(i, _)| &text[i..]) {
            let open = &tag[..tag.find('>').expect("closed tag")];
            assert!(open.contains(" src="), "{name}: inline script {open}");
        }
        assert!(!text.contains("<style"), "{name}: inline style element");
        assert!(!text.contains(" style="), "{name}: style attribute");
        assert!(
            !text.contains(" onclick=") && !text.contains(" onload="),
            "{name}: inline handler"
        );
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{name}: another host"
        );
    }
    for script in files(&web().join("js"), "js") {
        let text = read(&script);
        assert!(
            !text.contains("innerHTML") && !text.contains("outerHTML"),
            "{}: HTML from strings",
            script.display()
        );
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{}: another host",
            script.display()
        );
    }
}

#[tokio::test]
async fn pages_carry_the_policy_and_files_are_cached_and_compressed() {
    let server = TestServer::start().await;
    for path in [
        "/",
        "/j/ABCD2345",
        "/delegate",
        "/facilitator",
        "/organizer",
    ] {
        let r = server
            .http
            .get(server.url(path))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(r.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html"));
        assert!(r
            .text()
            .await
            .expect("body")
            .contains("<script type=\"module\" src=\"/static/v/"));
    }

    let url = server.url("/static/js/conn.js");
    let r = server.http.get(&url).send().await.expect("script");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/javascript"));
    let etag = r.headers()["etag"].clone();
    let body = r.text().await.expect("body");
    assert!(body.contains("last_seq"));
    let again = server
        .http
        .get(&url)
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect("revalidate");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    let stale = server
        .http
        .get(&url)
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .expect("stale");
    assert_eq!(stale.status(), 200);

    let zipped = server
        .http
        .get(server.url("/static/i18n/es.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("gzip");
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let plain = read(&web().join("i18n/es.json"));
    assert!(zipped.bytes().await.expect("bytes").len() < plain.len() / 2);

    let missing = server
        .http
        .get(server.url("/static/js/nothing.js"))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
    let page_as_file = server
        .http
        .get(server.url("/static/delegate.html"))
        .send()
        .await
        .expect("404");
    assert_eq!(
        page_as_file.status(),
        404,
        "pages are served only with their policy"
    );
}

#[tokio::test]
async fn a_join_code_tells_which_workshop_and_role_it_opens() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(
            json!({"title": "Going Digital", "language": "es", "languages": ["es", "pt"]}),
        )
        .await;
    let lookup = |code: String| {
        let url = server.url(&format!("/api/codes/{code}"));
        let http = server.http.clone();
        async move {
            let r = http.get(url).send().await.expect("lookup");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, v) = lookup(w.delegate_code.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"workshop": w.id, "title": "Going Digital", "role": "delegate", "languages": ["es", "pt"]})
    );
    // Case, spaces and dashes do not matter, as for joining.
    let typed = format!("{}-{}", &w.delegate_code[..4], &w.delegate_code[4..]).to_lowercase();
    assert_eq!(lookup(typed).await.1["workshop"], w.id);
    let (_, v) = lookup(w.facilitator_code.clone()).await;
    assert_eq!(v["role"], "facilitator");
    assert_eq!(v["workshop"], w.id);
    for bad in ["ZZZZZZZZ".to_string(), "-".to_string(), "A".repeat(100)] {
        let (status, v) = lookup(bad.clone()).await;
        assert_eq!(status, 404, "{bad}: {v}");
        assert_eq!(v["code"], "not_found");
    }
}

#[tokio::test]
async fn the_qr_code_of_a_join_link_is_an_svg_made_here() {
    let server = TestServer::start().await;
    let r = server
        .http
        .get(server.url("/qr.svg?text=http%3A%2F%2Fexample.test%2Fj%2FAH7DDH5Z"))
        .send()
        .await
        .expect("qr");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.expect("svg");
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    for bad in [
        "/qr.svg",
        "/qr.svg?text=",
        &format!("/qr.svg?text={}", "a".repeat(400)),
    ] {
        let r = server.http.get(server.url(bad)).send().await.expect("qr");
        assert_eq!(r.status(), 400, "{bad}");
    }
}
