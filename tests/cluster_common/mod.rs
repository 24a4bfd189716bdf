//! What the multi-node tests share: a Redis server of each test's own, and a cluster of
//! real `cabildo` processes on one PostgreSQL database and that Redis.

#![allow(dead_code)]

use crate::common::*;
use std::sync::Arc;
use std::time::Duration;

/// A `redis-server` of the test's own.
pub struct TestRedis {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl TestRedis {
    /// Starts one, or returns `None` (to skip) when there is no `redis-server` and
    /// `CABILDO_REQUIRE_REDIS` is unset.
    pub async fn start() -> Option<TestRedis> {
        let installed = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            assert!(
                std::env::var_os("CABILDO_REQUIRE_REDIS").is_none(),
                "CABILDO_REQUIRE_REDIS is set but redis-server is not installed"
            );
            return None;
        }
        // A free port is picked, then given to redis-server: another test may bind it in
        // between, so a start that does not own its port is retried on another.
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut redis = TestRedis { port, child: None };
            if redis.try_start().await {
                return Some(redis);
            }
        }
        panic!("redis-server never got a port of its own");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again on its port; waits until it answers. The port was free between the
    /// two processes: if another test took it meanwhile, retries until it is free again.
    pub async fn restart(&mut self) {
        for _ in 0..60 {
            if self.try_start().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("port {} stayed taken", self.port);
    }

    /// Starts redis-server on `self.port`; `true` once it answers as this very process (its
    /// `process_id`), `false` if it exited (the port was taken).
    async fn try_start(&mut self) -> bool {
        assert!(self.child.is_none(), "stop it first");
        let mut child = tokio::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let pid = child.id().expect("pid");
        for _ in 0..400 {
            if child.try_wait().expect("try_wait").is_some() {
                return false;
            }
            if self.answering_pid().await == Some(pid) {
                self.child = Some(child);
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server never listened on {}", self.port);
    }

    /// The `process_id` of whatever Redis answers on the port.
    async fn answering_pid(&self) -> Option<u32> {
        let client = redis::Client::open(self.url()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await
            .ok()?;
        info.lines()
            .find_map(|l| l.strip_prefix("process_id:"))
            .and_then(|p| p.trim().parse().ok())
    }

    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill redis-server");
        }
    }
}

/// One PostgreSQL database, one Redis and `n` nodes on them; `None` to skip.
pub async fn cluster(n: usize) -> Option<(Arc<TestDb>, TestRedis, Vec<TestServer>)> {
    cluster_with(n, &[]).await
}

/// The same, every node started with the `extra` flags too.
pub async fn cluster_with(
    n: usize,
    extra: &[&str],
) -> Option<(Arc<TestDb>, TestRedis, Vec<TestServer>)> {
    let db = Arc::new(TestDb::postgres().await?);
    let redis = TestRedis::start().await?;
    let url = redis.url();
    let mut flags = vec!["--redis", url.as_str()];
    flags.extend(extra);
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(TestServer::start_on(db.clone(), &flags).await);
    }
    Some((db, redis, nodes))
}
