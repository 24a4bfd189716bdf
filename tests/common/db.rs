//! The test database: a SQLite file, or a PostgreSQL database made for the test, and the
//! write lock a test holds from outside the server.

use serde_json::Value;
use sqlx::Connection;

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
            WriteLock::Sqlite(c) => roll_back_and_close(c).await,
            WriteLock::Postgres(c) => roll_back_and_close(c).await,
        }
    }
}

async fn roll_back_and_close<C>(mut c: C)
where
    C: Connection,
    for<'e> &'e mut C: sqlx::Executor<'e, Database = C::Database>,
{
    sqlx::Executor::execute(&mut c, "ROLLBACK")
        .await
        .expect("release");
    c.close().await.expect("close");
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
