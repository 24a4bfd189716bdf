//! Reading `/metrics`: its samples by name and labels.

use super::TestServer;

/// The value of each sample line (`name{labels} value`), keyed by `name{labels}`.
pub fn samples(text: &str) -> std::collections::HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

pub async fn scrape(server: &TestServer) -> std::collections::HashMap<String, f64> {
    let r = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    samples(&r.text().await.unwrap())
}

pub fn value(samples: &std::collections::HashMap<String, f64>, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("{key} in {:?}", samples.keys().collect::<Vec<_>>()))
}
