//! Browser-test helpers: a `chromedriver` on a free port, headless Chromium sessions with a
//! fresh profile each, and small waits on what the page shows.
//!
//! Tests skip only when chromedriver is absent AND `CABILDO_REQUIRE_BROWSER` is unset; CI
//! sets it (`.ci/setup.d/20-chromium.sh`).

#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// How long a page may take to show something.
pub const PAGE_WAIT: Duration = Duration::from_secs(20);

fn chromedriver_path() -> Option<PathBuf> {
    let configured = std::env::var_os("CHROMEDRIVER").map(PathBuf::from);
    configured
        .into_iter()
        .chain([PathBuf::from("/usr/bin/chromedriver")])
        .find(|p| p.exists())
}

fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub struct Driver {
    child: Child,
    url: String,
}

/// A running chromedriver, or `None` when it is absent and not required.
pub async fn driver() -> Option<Driver> {
    let Some(path) = chromedriver_path() else {
        if std::env::var_os("CABILDO_REQUIRE_BROWSER").is_some() {
            panic!("CABILDO_REQUIRE_BROWSER is set but chromedriver is not installed");
        }
        eprintln!(
            "skipping: chromedriver not installed (set CABILDO_REQUIRE_BROWSER to require it)"
        );
        return None;
    };
    // Chromedriver exited once at start-up without saying its port, in one full test run
    // of some hundreds of starts (CI, 2026-12-05). A start that fails so is tried again,
    // twice at most, and each failure's exit status and stderr are shown.
    let mut failures = Vec::new();
    for _ in 0..3 {
        match start(&path).await {
            Ok(driver) => return Some(driver),
            Err(failure) => {
                eprintln!(
                    "chromedriver exited without saying its port ({failure}); starting it again"
                );
                failures.push(failure);
            }
        }
    }
    panic!("chromedriver exited without saying its port, three times: {failures:?}");
}

/// Starts chromedriver and waits until it answers; `Err` with its exit status and stderr if
/// it exits before saying its port.
async fn start(path: &Path) -> Result<Driver, String> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    // Port 0: chromedriver binds a free port itself and prints it, so no other process can
    // take the port between a pick and the bind.
    let mut child = Command::new(path)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("chromedriver's stdout") {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                return Some(
                    rest.trim_end_matches('.')
                        .trim()
                        .parse::<u16>()
                        .expect("a port"),
                );
            }
        }
        None
    })
    .await
    .expect("chromedriver says its port in time");
    let Some(port) = port else {
        let mut said = String::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), stderr.read_to_string(&mut said)).await;
        let status = match child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        };
        return Err(format!("{status}, stderr {said:?}"));
    };
    // Keep draining stdout and stderr so chromedriver never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
    });
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(&status).await {
            if r.status().is_success() {
                return Ok(Driver { child, url });
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

impl Driver {
    /// A new headless Chromium window of `width` × `height` CSS pixels, with a fresh profile
    /// (its own local storage) and downloads going to its own folder.
    pub async fn page(&self, width: u32, height: u32) -> Page {
        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = tempfile::tempdir().expect("downloads dir");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ],
                // The real viewport (a desktop window has a minimum width above 320 px).
                "mobileEmulation": {
                    "deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0},
                },
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object"),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        Page {
            client,
            _profile: profile,
            downloads,
            driver_url: self.url.clone(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _already_gone = self.child.start_kill();
    }
}

pub struct Page {
    pub client: Client,
    _profile: tempfile::TempDir,
    pub downloads: tempfile::TempDir,
    driver_url: String,
}

impl Page {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Runs `script` (a function body) with `args`; returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("script runs")
    }

    /// Waits until `script` returns something truthy; returns it.
    pub async fn until(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            let v = self.js(script, args.clone()).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!("") && v != json!(0);
            if truthy {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                self.screenshot(&format!("failed-{}", slug(what))).await;
                panic!("page never showed: {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element `css` exists, is shown and its text contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        self.until(
            &format!("{css} containing {text:?}"),
            "const e = document.querySelector(arguments[0]); \
             return !!e && !e.closest('[hidden]') && e.textContent.includes(arguments[1]);",
            vec![json!(css), json!(text)],
        )
        .await;
    }

    /// The text of the first element matching `css` ("" when there is none).
    pub async fn text(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The element `css`, once it exists.
    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// Does `act` on the element `css`, finding it again and retrying while the page
    /// re-renders under it (a live page replaces elements as events arrive).
    async fn on_element<F, Fut>(&self, css: &str, what: &str, act: F)
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let deadline = tokio::time::Instant::now() + PAGE_WAIT;
        loop {
            match act(self.element(css).await).await {
                Ok(()) => return,
                Err(e) if tokio::time::Instant::now() > deadline => {
                    panic!("{what} on {css}: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "type", |e| async move {
            e.clear().await?;
            e.send_keys(text).await
        })
        .await;
    }

    pub async fn click(&self, css: &str) {
        self.on_element(css, "click", |e| async move { e.click().await })
            .await;
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.on_element(
            css,
            "select",
            |e| async move { e.select_by_value(value).await },
        )
        .await;
    }

    /// Saves a PNG of the window into `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        if let Ok(png) = self.client.screenshot().await {
            std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
        }
    }

    /// Emulates a slow network in this window (chromedriver's `network_conditions`
    /// extension): `latency_ms` each way, `bytes_per_second` down and up.
    pub async fn slow_network(&self, latency_ms: u64, bytes_per_second: u64) {
        let session = self
            .client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let r = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/chromium/network_conditions",
                self.driver_url
            ))
            .json(&json!({"network_conditions": {
                "offline": false,
                "latency": latency_ms,
                "download_throughput": bytes_per_second,
                "upload_throughput": bytes_per_second,
            }}))
            .send()
            .await
            .expect("chromedriver answers");
        assert!(
            r.status().is_success(),
            "network conditions: {:?}",
            r.text().await
        );
    }

    /// The WCAG 2.x A/AA violations axe-core (`tests/vendor/axe.min.js`, injected by
    /// WebDriver: the page's CSP does not apply to it) finds in the page as it is now, one
    /// line each.
    pub async fn axe(&self) -> Vec<String> {
        const AXE: &str = include_str!("../vendor/axe.min.js");
        let loaded = self
            .js(
                &format!("{AXE}\n;window.axe = axe; return typeof window.axe;"),
                vec![],
            )
            .await;
        assert_eq!(loaded, "object", "axe-core loads");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})\
                   .then((r) => done(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)))\
                   .catch((e) => done([`axe failed: ${e}`]));",
                vec![],
            )
            .await
            .expect("axe runs");
        found
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Asserts that axe finds no WCAG A/AA violation in the page's state `what`.
    pub async fn accessible(&self, what: &str) {
        let found = self.axe().await;
        if !found.is_empty() {
            self.screenshot(&format!("failed-axe-{}", slug(what))).await;
        }
        assert!(found.is_empty(), "{what}: axe finds {found:#?}");
    }

    /// Asserts that the page needs no sideways scrolling in its window.
    pub async fn fits_the_width(&self) {
        let overflow = self
            .js(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await;
        let width = self.js("return window.innerWidth;", vec![]).await;
        assert!(
            overflow.as_i64().expect("number") <= 0,
            "the page is wider than {width} px by {overflow}"
        );
    }

    pub async fn close(self) {
        let _session_may_be_gone = self.client.close().await;
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect()
}
