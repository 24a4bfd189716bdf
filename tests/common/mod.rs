//! Test helpers: a real `cabildo` process on an ephemeral port with a temporary database,
//! and a real WebSocket client that speaks the documented protocol.
//!
//! The database is a SQLite file in a temporary directory, or, with
//! `CABILDO_TEST_BACKEND=postgres`, a fresh PostgreSQL database per test server on the server
//! `CABILDO_TEST_POSTGRES_URL` names (an admin URL whose role may create databases), dropped
//! afterwards. The same suite thus runs against both backends (CI runs it twice). The
//! multi-node tests use PostgreSQL whenever `CABILDO_TEST_POSTGRES_URL` is set.
//!
//! Each test reads like a facilitator's checklist; the plumbing lives here.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
/// How long a test waits for something that should arrive.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a test waits to be confident that something does not arrive.
pub const QUIET: Duration = Duration::from_millis(300);

/// Flags every test server gets unless it asks otherwise: command rate limits off, so that
/// tests of other features may send commands as fast as they like. `tests/limits.rs` runs
/// servers with the real defaults.
pub const NO_RATE_LIMITS: [&str; 4] = ["--rate-limit", "0", "--participant-rate-limit", "0"];

/// Flags every test server gets before its own: the per-address limits on joins, code
/// lookups and wrong codes off. A later flag wins, so a test may set them again.
pub const PER_ADDRESS_LIMITS_OFF: [&str; 6] = [
    "--join-rate-limit",
    "0",
    "--lookup-rate-limit",
    "0",
    "--code-failure-limit",
    "0",
];

/// The admin URL of the PostgreSQL server to test against, if any. Panics when
/// `CABILDO_REQUIRE_POSTGRES` is set without it (CI must not skip silently).
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("CABILDO_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CABILDO_REQUIRE_POSTGRES").is_none(),
                "CABILDO_REQUIRE_POSTGRES is set but CABILDO_TEST_POSTGRES_URL is not"
            );
            None
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail
        .split_once('?')
        .map_or(String::new(), |(_, q)| format!("?{q}"));
    format!("{scheme}://{authority}/{name}{query}")
}

/// The database a test server uses: a SQLite file, or a PostgreSQL database made for the
/// test and dropped when the last server using it is gone.
pub struct TestDb {
    /// What `--db` gets: the file's path or the database's URL.
    pub url: String,
    /// For PostgreSQL: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database: PostgreSQL when `CABILDO_TEST_BACKEND=postgres`, else a file in
    /// `dir`.
    pub async fn fresh(dir: &std::path::Path) -> TestDb {
        if std::env::var("CABILDO_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
            return Self::postgres()
                .await
                .expect("CABILDO_TEST_BACKEND=postgres needs CABILDO_TEST_POSTGRES_URL");
        }
        TestDb {
            url: dir.join("cabildo.db").to_string_lossy().into_owned(),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when the tests do not run against one.
    pub async fn postgres() -> Option<TestDb> {
        let admin = postgres_admin_url()?;
        let name = format!("cabildo_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to CABILDO_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create a test database");
        let _ = conn.close().await;
        Some(TestDb {
            url: with_database(&admin, &name),
            postgres: Some((admin, name)),
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl TestDb {
    /// The types of the events stored for `workshop`, in `seq` order, read from the
    /// database itself (no server involved).
    pub async fn stored_event_types(&self, workshop: &str) -> Vec<String> {
        let sql = "SELECT body FROM events WHERE workshop_id = $1 ORDER BY seq";
        let bodies: Vec<String> = if self.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            let rows = sqlx::query_scalar(sql)
                .bind(workshop)
                .fetch_all(&mut conn)
                .await;
            rows.expect("read events")
        } else {
            let url = format!("sqlite://{}?mode=ro", self.url);
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
            let rows = sqlx::query_scalar(sql)
                .bind(workshop)
                .fetch_all(&mut conn)
                .await;
            rows.expect("read events")
        };
        bodies
            .iter()
            .map(|b| {
                let v: Value = serde_json::from_str(b).expect("event JSON");
                v["type"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    }

    /// Everything the database holds, as bytes to search: for SQLite the database file
    /// and its WAL byte for byte (free pages included); for PostgreSQL every row of every
    /// table of the test database, as text.
    pub async fn raw_contents(&self) -> Vec<u8> {
        if !self.is_postgres() {
            let mut out = std::fs::read(&self.url).expect("the SQLite file");
            for ext in ["-wal", "-journal"] {
                if let Ok(more) = std::fs::read(format!("{}{ext}", self.url)) {
                    out.extend(more);
                }
            }
            return out;
        }
        let mut conn = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connect");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(table_name) FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("list tables");
        assert!(!tables.is_empty(), "the database has tables");
        let mut out = Vec::new();
        for t in tables {
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {t} t"))
                .fetch_all(&mut conn)
                .await
                .expect("read table");
            for r in rows {
                out.extend(r.into_bytes());
                out.push(b'\n');
            }
        }
        out
    }
}

/// The database's write lock, held by the test from outside the server as a stuck disk would
/// hold its commits (`TestDb::hold_writes`). The server's reads go on; its writes wait
/// until `release`. SQLite's writer gives up after its 10 s busy timeout: release sooner.
pub enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    /// Lets the server's writes through (the test's transaction wrote nothing).
    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(mut c) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut c)
                    .await
                    .expect("release");
                c.close().await.expect("close");
            }
            WriteLock::Postgres(mut c) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut c)
                    .await
                    .expect("release");
                c.close().await.expect("close");
            }
        }
    }
}

impl TestDb {
    /// Takes the write lock: SQLite `BEGIN IMMEDIATE` (the WAL's one writer), PostgreSQL an
    /// `EXCLUSIVE` lock on `events`, which every commit of events needs.
    pub async fn hold_writes(&self) -> WriteLock {
        if self.is_postgres() {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
            sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
                .execute(&mut c)
                .await
                .expect("lock events");
            WriteLock::Postgres(c)
        } else {
            let url = format!("sqlite://{}", self.url);
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open");
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut c)
                .await
                .expect("take the write lock");
            WriteLock::Sqlite(c)
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on itself: use another.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

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

// ---- metrics ----

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

pub struct Workshop {
    pub id: String,
    pub organizer_token: String,
    pub facilitator_code: String,
    pub delegate_code: String,
    pub rooms: Vec<String>,
    pub json: Value,
}

impl Workshop {
    fn from_json(v: Value) -> Workshop {
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {v}"))
                .to_string()
        };
        Workshop {
            id: s("id"),
            organizer_token: s("organizer_token"),
            facilitator_code: s("facilitator_code"),
            delegate_code: s("delegate_code"),
            rooms: v["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| r["id"].as_str().expect("room id").to_string())
                .collect(),
            json: v,
        }
    }
}

pub struct Member {
    pub id: String,
    pub token: String,
    pub role: String,
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Sends `hello` with `token` on a raw socket.
pub async fn raw_hello(ws: &mut Socket, token: &str) {
    let hello = json!({"type": "hello", "token": token}).to_string();
    ws.send(Message::text(hello)).await.expect("hello");
}

/// The next text frame of a raw socket as JSON; `None` when the socket closes or nothing
/// comes within `WAIT`.
pub async fn raw_json(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.ok()??.ok()? {
            Message::Text(t) => return Some(serde_json::from_str(&t).expect("JSON")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Reads a raw socket until its close frame; returns the close code.
pub async fn raw_close_code(ws: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// A real WebSocket client. Events and other frames that arrive while waiting for an
/// answer are kept, in order, for `next_event`.
pub struct TestClient {
    socket: Socket,
    pub welcome: Value,
    /// The last `seq` seen (from welcome, events or snapshots).
    pub seq: u64,
    pending: std::collections::VecDeque<Value>,
    counter: u64,
    /// The close code, once `recv` met the close frame.
    pub closed_with: Option<u16>,
}

impl TestClient {
    pub async fn connect(url: &str, token: &str, last_seq: Option<u64>) -> TestClient {
        Self::try_connect(url, token, last_seq)
            .await
            .expect("welcome")
    }

    /// Like `connect`, but `None` when the server closes instead of welcoming.
    pub async fn try_connect(url: &str, token: &str, last_seq: Option<u64>) -> Option<TestClient> {
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        let mut hello = json!({"type": "hello", "token": token});
        if let Some(s) = last_seq {
            hello["last_seq"] = json!(s);
        }
        socket
            .send(Message::text(hello.to_string()))
            .await
            .expect("send hello");
        let mut client = TestClient {
            socket,
            welcome: Value::Null,
            seq: 0,
            pending: Default::default(),
            counter: 0,
            closed_with: None,
        };
        let welcome = client.recv().await?;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client.seq = welcome["seq"].as_u64().expect("seq");
        client.welcome = welcome;
        Some(client)
    }

    /// Opens a socket without sending anything.
    pub async fn raw(url: &str) -> Socket {
        tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect")
            .0
    }

    /// The next JSON frame, or `None` when the socket closes or nothing comes within `WAIT`.
    pub async fn recv(&mut self) -> Option<Value> {
        self.recv_within(WAIT).await
    }

    pub async fn recv_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("server sends JSON");
                    if let Some(s) = v["seq"].as_u64() {
                        if v["type"] == "event" || v["type"] == "snapshot" {
                            self.seq = self.seq.max(s);
                        }
                    }
                    return Some(v);
                }
                Message::Close(frame) => {
                    self.closed_with = frame.map(|f| u16::from(f.code));
                    return None;
                }
                _ => continue,
            }
        }
    }

    /// Waits for the close frame; returns its code.
    pub async fn close_code(&mut self) -> Option<u16> {
        if self.closed_with.is_some() {
            return self.closed_with;
        }
        loop {
            let msg = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .ok()??;
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text.to_string()))
            .await
            .expect("send");
    }

    pub async fn send(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    pub fn fresh_id(&mut self) -> String {
        self.counter += 1;
        format!("cmd-{}-{}", self.counter, uuid_like())
    }

    /// Sends a command (adding a fresh `id` when it has none) and returns its `ack` or
    /// `error`, keeping any events that arrive meanwhile.
    pub async fn command(&mut self, mut v: Value) -> Value {
        if v.get("id").is_none() {
            v["id"] = json!(self.fresh_id());
        }
        let id = v["id"].clone();
        self.send(v).await;
        self.answer_to(&id).await
    }

    /// Waits for the `ack`/`error` with this id.
    pub async fn answer_to(&mut self, id: &Value) -> Value {
        loop {
            let v = self
                .recv()
                .await
                .unwrap_or_else(|| panic!("no answer to {id}"));
            if (v["type"] == "ack" || v["type"] == "error") && &v["id"] == id {
                return v;
            }
            self.pending.push_back(v);
        }
    }

    /// Sends every command (each must carry its `id`) without waiting, then collects their
    /// answers, in the order the commands were sent. `None` for a command left unanswered
    /// when the connection closed.
    pub async fn pipeline(&mut self, commands: &[Value]) -> Vec<Option<Value>> {
        for c in commands {
            self.send(c.clone()).await;
        }
        let mut answers: std::collections::HashMap<String, Value> = Default::default();
        while answers.len() < commands.len() {
            let Some(v) = self.recv().await else { break };
            if (v["type"] == "ack" || v["type"] == "error") && v["id"].is_string() {
                answers.insert(v["id"].as_str().unwrap_or_default().to_string(), v);
            } else {
                self.pending.push_back(v);
            }
        }
        commands
            .iter()
            .map(|c| answers.remove(c["id"].as_str().expect("command id")))
            .collect()
    }

    /// Sends a command that must be acknowledged; returns the ack's seq.
    pub async fn ok(&mut self, v: Value) -> u64 {
        let answer = self.command(v).await;
        assert_eq!(answer["type"], "ack", "{answer}");
        answer["seq"].as_u64().expect("ack seq")
    }

    /// Sends a command that must fail with `code`; returns the error frame.
    pub async fn refused(&mut self, v: Value, code: &str) -> Value {
        let answer = self.command(v).await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        answer
    }

    /// The next frame of type `event` or `snapshot` (acks are skipped).
    pub async fn next_update(&mut self) -> Option<Value> {
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self.recv().await?,
            };
            if v["type"] == "event" || v["type"] == "snapshot" {
                return Some(v);
            }
        }
    }

    /// The next `event` frame's inner event, skipping anything else.
    pub async fn next_event(&mut self) -> Value {
        loop {
            let v = self.next_update().await.expect("an event");
            if v["type"] == "event" {
                return v;
            }
        }
    }

    /// Waits for an event of this type; returns the whole frame.
    pub async fn event_of_type(&mut self, ty: &str) -> Value {
        loop {
            let v = self.next_event().await;
            if v["event"]["type"] == ty {
                return v;
            }
        }
    }

    /// Every frame up to and including the event (or snapshot) at `seq`.
    pub async fn through_seq(&mut self, seq: u64) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self
                    .recv()
                    .await
                    .unwrap_or_else(|| panic!("the update at seq {seq} never arrived")),
            };
            let is_update = v["type"] == "event" || v["type"] == "snapshot";
            let reached = is_update && v["seq"].as_u64().is_some_and(|s| s >= seq);
            frames.push(v);
            if reached {
                return frames;
            }
        }
    }

    /// Every frame that arrives before the event (or snapshot) at `barrier`, which is
    /// consumed: an ordering barrier. The server delivers a connection's updates in `seq`
    /// order, so a test proves that an update did not reach this client by sending a later
    /// one that must reach it (its `seq` is the barrier) and looking at what came before.
    pub async fn until_seq(&mut self, barrier: u64) -> Vec<Value> {
        let mut before = Vec::new();
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self
                    .recv()
                    .await
                    .unwrap_or_else(|| panic!("the barrier at seq {barrier} never arrived")),
            };
            let is_update = v["type"] == "event" || v["type"] == "snapshot";
            if is_update && v["seq"].as_u64().is_some_and(|s| s >= barrier) {
                assert_eq!(v["seq"].as_u64(), Some(barrier), "the barrier itself: {v}");
                return before;
            }
            before.push(v);
        }
    }

    /// The next frame of any type (kept ones first), or `None` when the socket closes or
    /// nothing comes within `wait`.
    pub async fn next_frame_within(&mut self, wait: Duration) -> Option<Value> {
        match self.pending.pop_front() {
            Some(v) => Some(v),
            None => self.recv_within(wait).await,
        }
    }

    /// Everything that arrives within `QUIET` (events, snapshots, acks).
    pub async fn drain(&mut self) -> Vec<Value> {
        let mut out: Vec<Value> = self.pending.drain(..).collect();
        while let Some(v) = self.recv_within(QUIET).await {
            out.push(v);
        }
        out
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Closes and reads up to the server's close frame: the server answers a client's close
    /// only once its workshop has let the connection go (presence counted, commands
    /// answered), so what the test does next comes after that.
    pub async fn close_acknowledged(mut self) {
        self.socket.close(None).await.expect("send close");
        let answered = tokio::time::timeout(WAIT, async {
            while let Some(Ok(msg)) = self.socket.next().await {
                if matches!(msg, Message::Close(_)) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(answered, Ok(true), "the server answers the close");
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A facilitator of `w`, connected.
pub async fn staff(server: &TestServer, w: &Workshop) -> (Member, TestClient) {
    let fac = server.facilitator(w, "Facilitator").await;
    let f = server.connect(&fac.token).await;
    (fac, f)
}

/// Joins a delegate, has the facilitator `f` place them in `room`, and connects them.
pub async fn seated(
    server: &TestServer,
    w: &Workshop,
    f: &mut TestClient,
    name: &str,
    country: &str,
    room: &str,
) -> (Member, TestClient) {
    let m = server.delegate(w, name, country).await;
    f.ok(move_to(&m.id, room)).await;
    let c = server.connect(&m.token).await;
    assert_eq!(c.welcome["you"]["room"], room, "{name} placed");
    (m, c)
}

/// A broadcast to everyone from staff client `f`; returns its seq, an ordering barrier for
/// every connected participant (see `TestClient::until_seq`).
pub async fn barrier(f: &mut TestClient) -> u64 {
    f.ok(json!({"type": "broadcast", "text": "barrier"})).await
}

/// Command builders for the fixed protocol names.
pub fn post_card(room: &str, column: &str, text: &str) -> Value {
    json!({"type": "post_card", "room": room, "column": column, "text": text})
}

pub fn move_to(participant: &str, room: &str) -> Value {
    json!({"type": "move_participant", "participant": participant, "room": room})
}

/// The cards of a welcome or snapshot frame, as texts.
pub fn card_texts(frame: &Value) -> Vec<String> {
    frame["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["text"].as_str().expect("text").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Floods of pipelined commands from many clients (durability and crash tests)
// ---------------------------------------------------------------------------------------

/// Answers (`ack`/`error` frames) by command id, shared by the flood tasks.
#[derive(Clone, Default)]
pub struct Answers(pub Arc<Mutex<HashMap<String, Value>>>);

impl Answers {
    pub fn len(&self) -> usize {
        self.0.lock().expect("answers").len()
    }

    pub fn take(&self) -> HashMap<String, Value> {
        std::mem::take(&mut *self.0.lock().expect("answers"))
    }
}

pub async fn wait_for(answers: &Answers, n: usize) {
    tokio::time::timeout(WAIT, async {
        while answers.len() < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the first answers arrive");
}

/// Connects every client (each has its welcome), then starts them all at once.
pub async fn flood_all(
    server: &TestServer,
    tokens: &[String],
    batches: &[Vec<Value>],
    answers: &Answers,
) -> Vec<tokio::task::JoinHandle<()>> {
    let go = Arc::new(tokio::sync::Barrier::new(tokens.len() + 1));
    let mut ready = Vec::new();
    let floods = tokens
        .iter()
        .zip(batches)
        .map(|(token, cmds)| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            ready.push(rx);
            let (url, token) = (server.ws_url(), token.clone());
            flood(url, token, cmds.clone(), answers.clone(), tx, go.clone())
        })
        .collect();
    for r in ready {
        r.await.expect("connected");
    }
    go.wait().await;
    floods
}

/// Connects and says hello; once welcomed, signals `ready` and waits for `go`. Then sends
/// every command without waiting while a reader collects the answers, until all are
/// answered or the connection drops. Send errors (server gone) end the writer.
pub fn flood(
    url: String,
    token: String,
    cmds: Vec<Value>,
    answers: Answers,
    ready: tokio::sync::oneshot::Sender<()>,
    go: Arc<tokio::sync::Barrier>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut socket = TestClient::raw(&url).await;
        let hello = json!({"type": "hello", "token": token}).to_string();
        socket.send(Message::text(hello)).await.expect("hello");
        let welcome = socket.next().await.expect("welcome").expect("welcome");
        assert!(welcome.to_text().expect("text").contains("welcome"));
        let _ = ready.send(());
        go.wait().await;
        let (mut sink, mut stream) = socket.split();
        let expected = cmds.len();
        let writer = tokio::spawn(async move {
            for cmd in cmds {
                if sink.send(Message::text(cmd.to_string())).await.is_err() {
                    break;
                }
            }
            sink
        });
        let mut answered = 0;
        while answered < expected {
            let msg = match tokio::time::timeout(WAIT, stream.next()).await {
                Ok(Some(Ok(msg))) => msg,
                _ => break,
            };
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(&text).expect("JSON");
            if v["type"] == "ack" || v["type"] == "error" {
                let id = v["id"].as_str().expect("answer id").to_string();
                answers.0.lock().expect("answers").insert(id, v);
                answered += 1;
            }
        }
        let _ = writer.await;
    })
}
