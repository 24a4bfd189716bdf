//! A real `cabildo` process: started, stopped, restarted on its database, and asked over
//! HTTP; and the binary run to completion for its other commands.

use super::{
    Member, TestClient, TestDb, Workshop, ADMIN_TOKEN, NO_RATE_LIMITS, PER_ADDRESS_LIMITS_OFF,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `cabildo serve` process.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub addr: String,
    child: Option<Child>,
    pub http: reqwest::Client,
    pub db: Arc<TestDb>,
    /// Flags every (re)start passes, e.g. `--redis` for a cluster node.
    flags: Vec<String>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Stop the process before its database is dropped.
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(&NO_RATE_LIMITS).await
    }

    /// Starts a server with these flags (and nothing else) after `serve --addr --db`; a
    /// restart reuses them.
    pub async fn start_with(flags: &[&str]) -> TestServer {
        let mut server = Self::new(None, flags).await;
        server.spawn(&[]).await;
        server
    }

    /// A server on an existing database (several nodes share one), with extra flags (after
    /// the rate limits are turned off) for every start.
    pub async fn start_on(db: Arc<TestDb>, flags: &[&str]) -> TestServer {
        let all: Vec<&str> = NO_RATE_LIMITS
            .iter()
            .copied()
            .chain(flags.iter().copied())
            .collect();
        let mut server = Self::new(Some(db), &all).await;
        server.spawn(&[]).await;
        server
    }

    async fn new(db: Option<Arc<TestDb>>, flags: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = match db {
            Some(db) => db,
            None => Arc::new(TestDb::fresh(dir.path()).await),
        };
        TestServer {
            dir,
            addr: String::new(),
            child: None,
            http: reqwest::Client::new(),
            db,
            flags: flags.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Starts a server that also loads the reference workshop (`cabildo demo`); returns
    /// what it printed on stdout.
    pub async fn start_demo() -> (TestServer, Vec<String>) {
        let mut server = Self::new(None, &NO_RATE_LIMITS).await;
        let out = server.spawn(&["--demo"]).await;
        (server, out)
    }

    /// What `--db` gets: the SQLite file, or the PostgreSQL URL.
    pub fn db_path(&self) -> PathBuf {
        PathBuf::from(&self.db.url)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Starts the binary on the same database; waits until it serves. Returns stdout lines
    /// printed up to and including the demo block (when any).
    async fn spawn(&mut self, extra: &[&str]) -> Vec<String> {
        self.spawn_at("127.0.0.1:0", extra).await
    }

    async fn spawn_at(&mut self, bind: &str, extra: &[&str]) -> Vec<String> {
        self.try_spawn_at(bind, extra)
            .await
            .unwrap_or_else(|| panic!("the server did not start on {bind}: {}", self.log()))
    }

    /// Like `spawn_at`, but `None` when the process exits before listening (its address
    /// is taken, say).
    async fn try_spawn_at(&mut self, bind: &str, extra: &[&str]) -> Option<Vec<String>> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cabildo"))
            .arg("serve")
            .arg("--addr")
            .arg(bind)
            .arg("--db")
            .arg(&self.db.url)
            // Per-address limits off: the suite joins many participants from 127.0.0.1
            // quickly (tests/edge_addresses.rs turns them back on with its own flags).
            .args(PER_ADDRESS_LIMITS_OFF)
            .args(&self.flags)
            .args(extra)
            .env("CABILDO_ADMIN_TOKEN", ADMIN_TOKEN)
            .env_remove("CABILDO_DATABASE_URL")
            .env_remove("CABILDO_REDIS_URL")
            .env("RUST_LOG", "cabildo=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("cabildo binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            let mut addr = None;
            while let Some(line) = lines.next_line().await.expect("stdout readable") {
                printed.push(line.clone());
                if let Some(rest) = line.strip_prefix("Cabildo listening on http://") {
                    addr = Some(rest.trim().to_string());
                    if !extra.contains(&"--demo") {
                        break;
                    }
                }
                if line.trim_start().starts_with("connect:") {
                    break;
                }
            }
            addr
        })
        .await
        .expect("server started in time")?;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.addr = addr;
        self.child = Some(child);
        self.wait_healthy().await;
        Some(printed)
    }

    async fn wait_healthy(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server never became healthy");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    /// `kill -9`: no chance to flush or say goodbye.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill");
        }
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        self.sigterm();
        self.wait_exit().await
    }

    /// Sends SIGTERM and returns at once: the server is shutting down, maybe not gone.
    pub fn sigterm(&self) {
        let pid = self.pid().expect("running");
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Whether the process is still running (it may be shutting down).
    pub fn is_running(&mut self) -> bool {
        let child = self.child.as_mut().expect("started");
        child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the process to exit (after `sigterm`); returns the exit status.
    pub async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("server exits within the shutdown grace")
            .expect("wait")
    }

    /// Starts the server again on the same database (after `kill` or `terminate`).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        self.spawn(&[]).await;
    }

    /// Starts the server again on the same database and the same address, so that a
    /// browser page loaded from it can reconnect. The port was free between the two
    /// processes: if another test's socket took it meanwhile, the start is retried until
    /// it is free again (a minute at most).
    pub async fn restart_same_addr(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let addr = self.addr.clone();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.try_spawn_at(&addr, &[]).await.is_none() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{addr} stayed taken: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Waits until `GET /readyz` answers 200: start-up's wake is done. Gives up after a
    /// minute, showing the last answer and the server's log.
    pub async fn until_ready(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let r = self
                .http
                .get(self.url("/readyz"))
                .send()
                .await
                .expect("readyz");
            if r.status() == 200 {
                return;
            }
            let body = r.text().await.unwrap_or_default();
            assert!(
                tokio::time::Instant::now() < deadline,
                "never ready: {body}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `POST /api/workshops` with the admin token.
    pub async fn create_workshop(&self, body: Value) -> Workshop {
        let r = self
            .http
            .post(self.url("/api/workshops"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 201, "create workshop: {:?}", r.text().await);
        let v: Value = r.json().await.expect("json");
        Workshop::from_json(v)
    }

    /// A workshop with four default rooms.
    pub async fn workshop(&self) -> Workshop {
        self.create_workshop(json!({"title": "Going Digital"}))
            .await
    }

    /// `POST /api/workshops/{id}/join`; panics unless 201.
    pub async fn join(&self, w: &Workshop, code: &str, name: &str, country: &str) -> Member {
        let (status, v) = self
            .post_json(
                &format!("/api/workshops/{}/join", w.id),
                json!({"code": code, "name": name, "country": country, "language": "es"}),
            )
            .await;
        assert_eq!(status, 201, "join: {v}");
        Member {
            id: v["participant_id"]
                .as_str()
                .expect("participant_id")
                .to_string(),
            token: v["token"].as_str().expect("token").to_string(),
            role: v["role"].as_str().expect("role").to_string(),
        }
    }

    pub async fn delegate(&self, w: &Workshop, name: &str, country: &str) -> Member {
        self.join(w, &w.delegate_code, name, country).await
    }

    pub async fn facilitator(&self, w: &Workshop, name: &str) -> Member {
        self.join(w, &w.facilitator_code, name, "").await
    }

    /// POSTs JSON without credentials; returns status and body.
    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn connect(&self, token: &str) -> TestClient {
        TestClient::connect(&self.ws_url(), token, None).await
    }

    pub async fn resume(&self, token: &str, last_seq: u64) -> TestClient {
        TestClient::connect(&self.ws_url(), token, Some(last_seq)).await
    }
}

/// Runs the `cabildo` binary to completion: (success, stdout, stderr).
pub async fn cabildo(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cabildo"))
        .args(args)
        .env_remove("CABILDO_DB")
        .output()
        .await
        .expect("cabildo runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `cabildo import` of `record` into the database of a new server, stopped for it: returns
/// that server (still stopped: `restart` it) and the organizer token the import printed.
pub async fn import_into_new_server(record: &[u8]) -> (TestServer, String) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, record).expect("written");
    let mut fresh = TestServer::start().await;
    assert!(fresh.terminate().await.success());
    let db = fresh.db_path();
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(ok, "{out}{err}");
    let token = out
        .lines()
        .find(|l| l.trim_start().starts_with("organizer token:"))
        .and_then(|l| l.split_whitespace().last())
        .expect("an organizer token")
        .to_string();
    (fresh, token)
}
