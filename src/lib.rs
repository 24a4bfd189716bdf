//! Cabildo: a real-time server for workshops in parallel breakout rooms.
//!
//! # Layout
//!
//! - `domain`: the pure rules (`decide`, `apply`, visibility). No I/O.
//! - `protocol`: WebSocket wire messages, error codes, close codes.
//! - `hub`: the registry of live workshops, one actor task per workshop, and connections.
//! - `store`: the durable event log (SQLite, or PostgreSQL for several nodes).
//! - `cluster`: notifications between nodes over Redis (`--redis`).
//! - `http`: REST API, WebSocket upgrade, health and metrics.
//! - `auth`: tokens and join codes.
//! - `demo`: loads the reference workshop.
//! - `export`: the report (Markdown, HTML, DOCX), CSV and JSON record of a workshop, and
//!   reading a JSON record back; pure functions of a workshop's state.
//! - `offline`: `cabildo export` and `cabildo import`, on a database file without serving.
//!
//! `run` takes a bound listener and a shutdown future, so tests can bind `127.0.0.1:0`.

#![forbid(unsafe_code)]

pub mod audio;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod offline;
pub mod protocol;
pub mod store;

use config::Config;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long shutdown waits for connections and workshop actors to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Sets `TCP_NODELAY` on every accepted connection (for `axum::serve`; the server's own
/// accept loop, `http::serve`, does the same). With Nagle's algorithm on (axum's
/// default), a small frame written while the previous one is still unacknowledged (a
/// command's `ack` right after its event, a second burst of deliveries) waits for the
/// peer's delayed ACK: up to 40 ms on Linux. The writer already gathers each burst into
/// one write, so there is nothing left for Nagle to coalesce.
pub fn without_nagle(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, impl FnMut(&mut tokio::net::TcpStream) + Send + 'static> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    })
}

/// Serves until `shutdown` completes, then closes every connection with
/// `close::RESTARTING`, lets in-flight commands finish, and checkpoints the database.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    metrics::handle();
    if config.redis.is_some() && !config.db.is_postgres() {
        anyhow::bail!("--redis needs PostgreSQL: several nodes cannot share a SQLite file (use --db postgres://…)");
    }
    let store = config.db.open().await?;
    let hub = match &config.redis {
        Some(url) => {
            let (cluster, incoming) = cluster::Cluster::start(url)
                .map_err(|e| anyhow::anyhow!("bad --redis URL: {e}"))?;
            hub::Hub::clustered(store.clone(), config.limits.clone(), cluster, incoming)
        }
        None => hub::Hub::with_limits(store.clone(), config.limits.clone(), None),
    };
    if let Some(url) = &config.janus_url {
        let ttl = std::time::Duration::from_secs(config.turn_ttl);
        let turn = audio::Turn::new(&config.turn_urls, config.turn_secret.as_deref(), ttl)?;
        hub.enable_audio(audio::Audio::start(
            url,
            config.janus_admin_key.clone(),
            turn,
        )?);
    }
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    println!("Cabildo listening on {base}");
    println!("  health:    {base}/healthz  (readiness: {base}/readyz)");
    println!("  API docs:  {base}/api/openapi.json");
    println!("  WebSocket: ws://{addr}/ws");
    println!("  database:  {}", config.db.display());
    if config.janus_url.is_some() {
        println!("  audio:     on (Janus AudioBridge)");
    }
    if let Some(cluster) = hub.cluster() {
        println!(
            "  cluster:   node {} (notifications through Redis)",
            cluster.node()
        );
    }
    if config.admin_token_generated {
        println!(
            "Admin token (generated; set CABILDO_ADMIN_TOKEN to keep one): {}",
            config.admin_token
        );
    } else {
        println!("Admin token: as given by --admin-token / CABILDO_ADMIN_TOKEN");
    }
    // Wake, in the background while serving, the workshops that cannot wait on disk
    // until someone asks for them: those with a timer running (so that a deadline passed
    // while the server was down fires now) and those whose snapshot is missing or behind
    // their log (`hub::wake`). `GET /healthz` answers at once; `GET /readyz` reports
    // `workshops` down until the wake is done.
    let (progress, loaded) = tokio::sync::watch::channel(hub::wake::Wake::Listing);
    hub.tasks.spawn(hub::wake::wake(hub.clone(), progress));
    if config.demo {
        demo::load(&hub, &base).await?;
    }
    let state = http::AppState {
        hub: hub.clone(),
        admin_token: config.admin_token.clone().into(),
        ready_checks: std::sync::Arc::new(ready_checks(&hub)),
        origins: std::sync::Arc::new(http::origin::Origins::with_public(
            config.allowed_origins.clone(),
            config.edge.public_origins.clone(),
        )),
        addresses: std::sync::Arc::new(http::address::AddressLimits::new(
            config.edge.addresses.clone(),
        )),
        exports: std::sync::Arc::new(tokio::sync::Semaphore::new(config.edge.max_exports)),
        loaded,
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let hub_for_signal = hub.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing connections");
        hub_for_signal.begin_shutdown();
        let _server_may_have_stopped = stop_tx.send(true);
    });
    let mut stop = stop_rx.clone();
    // Connections get `TCP_NODELAY` there too (see `without_nagle`).
    http::serve::serve(
        listener,
        http::router(state),
        config.edge.connections.clone(),
        async move {
            let _sender_may_be_gone = stop.wait_for(|s| *s).await;
        },
    )
    .await;
    hub.release_workshops();
    if tokio::time::timeout(SHUTDOWN_GRACE, hub.tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections or workshops did not finish in time");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The checks `GET /readyz` runs besides the database's: Redis, when several nodes share
/// the database (a node that does not hear Redis misses other nodes' changes until its next
/// poll of the database).
fn ready_checks(hub: &std::sync::Arc<hub::Hub>) -> Vec<(&'static str, http::ReadyCheck)> {
    let Some(cluster) = hub.cluster().cloned() else {
        return Vec::new();
    };
    let check: http::ReadyCheck = std::sync::Arc::new(move || {
        let listening = cluster.is_listening();
        Box::pin(async move {
            if listening {
                Ok(())
            } else {
                Err("not subscribed to Redis notifications".to_string())
            }
        })
    });
    vec![("redis", check)]
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain_addr = plain.local_addr().unwrap();
        let mut listener = super::without_nagle(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _plain_client = tokio::net::TcpStream::connect(plain_addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        let (plain_accepted, _) = Listener::accept(&mut plain).await;
        assert!(accepted.nodelay().unwrap());
        // The check can fail: without the wrapper the option is off.
        assert!(!plain_accepted.nodelay().unwrap());
    }
}
