//! The command line and environment: `cabildo serve|demo|export|import|backup|erase` and
//! their settings.

use crate::hub::limits::Limits;
use crate::store::Database;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "cabildo",
    version,
    about = "Real-time workshop facilitation server",
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings; they may stand before or after the subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Log lines on stderr: `human` (readable text) or `json` (one JSON object a line).
    #[arg(
        long,
        global = true,
        env = "CABILDO_LOG_FORMAT",
        default_value = "human",
        value_enum
    )]
    pub log_format: LogFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve workshops over HTTP and WebSocket (the default).
    Serve,
    /// Serve, after loading the reference workshop (Going Digital 2020) into the database.
    Demo,
    /// Write a workshop's report or record from the database, without serving.
    Export(ExportArgs),
    /// Load a JSON record (from `export --format json`) into the database as a new workshop.
    Import(ImportArgs),
    /// Write a consistent copy of the database, safe while a server uses it.
    Backup(BackupArgs),
    /// Delete a workshop and all its data from the database, for good.
    Erase(EraseArgs),
}

/// `cabildo backup`: where to write the copy.
#[derive(Args, Debug, Clone)]
pub struct BackupArgs {
    /// The copy to write (a new SQLite file; it must not exist yet).
    #[arg(long)]
    pub out: PathBuf,
}

/// `cabildo erase`: which workshop.
#[derive(Args, Debug, Clone)]
pub struct EraseArgs {
    /// The workshop's id.
    #[arg(long)]
    pub workshop: String,
}

/// `cabildo export`: which workshop, in which format, where to.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// The workshop's id.
    #[arg(long)]
    pub workshop: String,
    /// md, html, docx, csv or json.
    #[arg(long, value_parser = crate::offline::parse_format)]
    pub format: crate::export::Format,
    /// The file to write, or `-` for standard output [default: the title's slug and the
    /// date, e.g. going-digital-2026-11-27.md, in the current directory].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Start a CSV with a UTF-8 byte-order mark (for spreadsheet programs).
    #[arg(long)]
    pub bom: bool,
    /// The date printed in the report and used in the default file name, YYYY-MM-DD
    /// [default: today, UTC].
    #[arg(long, value_parser = crate::offline::parse_date)]
    pub date: Option<crate::export::Date>,
    /// An ISO 3166-1 alpha-2 code: write that country's national brief instead of the
    /// whole workshop [default file name: e.g. AR-going-digital-2026-11-27.md].
    #[arg(long, value_parser = crate::offline::parse_country)]
    pub country: Option<String>,
}

/// `cabildo import`: the record to load.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// A JSON record written by `cabildo export --format json` or the export endpoint.
    #[arg(long)]
    pub file: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        global = true,
        env = "CABILDO_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: String,
    /// The database: a SQLite file (created if missing), or a `postgres://` /
    /// `postgresql://` URL for PostgreSQL.
    #[arg(long, global = true, env = "CABILDO_DB", default_value = "cabildo.db")]
    pub db: PathBuf,
    /// A PostgreSQL URL; when set, it wins over a `--db` file path.
    #[arg(
        long,
        global = true,
        env = "CABILDO_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Redis URL (`redis://…`): turns on notifications between nodes, so that several
    /// nodes on one PostgreSQL database serve the same workshops.
    #[arg(long, global = true, env = "CABILDO_REDIS_URL", hide_env_values = true)]
    pub redis: Option<String>,
    /// Token that may create workshops; generated and printed when absent.
    #[arg(
        long,
        global = true,
        env = "CABILDO_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Load the reference workshop before serving (same as `cabildo demo`).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Origins, besides the server's own, whose browsers may open the WebSocket and call
    /// state-changing REST endpoints: a comma-separated list like
    /// `https://workshop.example.org,http://localhost:5173`.
    #[arg(
        long,
        global = true,
        env = "CABILDO_ALLOWED_ORIGINS",
        value_delimiter = ',',
        num_args = 0..
    )]
    pub allowed_origins: Vec<String>,
    /// Janus's HTTP API (e.g. `http://127.0.0.1:8088/janus`): turns on audio rooms on its
    /// AudioBridge. Without it there is no audio and the pages do not offer it.
    #[arg(long, global = true, env = "CABILDO_JANUS_URL")]
    pub janus_url: Option<String>,
    /// The AudioBridge's `admin_key` (needed to create rooms when Janus sets one).
    #[arg(
        long,
        global = true,
        env = "CABILDO_JANUS_ADMIN_KEY",
        hide_env_values = true
    )]
    pub janus_admin_key: Option<String>,
    /// TURN servers for the pages' audio (coturn), e.g. `turn:turn.example.org:3478?transport=udp`:
    /// repeat the flag or give a comma-separated list. Needs `--turn-secret`.
    #[arg(
        long = "turn-url",
        global = true,
        env = "CABILDO_TURN_URL",
        value_delimiter = ',',
        num_args = 0..
    )]
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret` (`use-auth-secret`): signs the time-limited TURN
    /// credentials handed to the pages; it never leaves the server.
    #[arg(
        long,
        global = true,
        env = "CABILDO_TURN_SECRET",
        hide_env_values = true
    )]
    pub turn_secret: Option<String>,
    /// How long the TURN credentials handed to a page stay valid, in seconds.
    #[arg(long, global = true, env = "CABILDO_TURN_TTL", default_value_t = 86400)]
    pub turn_ttl: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub edge: EdgeArgs,
}

/// The HTTP edge: connections, per-address limits, proxies, public origins, exports.
#[derive(Args, Debug, Clone)]
pub struct EdgeArgs {
    /// Open connections (HTTP and WebSocket) the server holds at once; one more is answered
    /// 503 and closed [default: the open-file limit less max(256, limit / 20)].
    #[arg(long, global = true, env = "CABILDO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a connection has to send a complete request head (also the idle time of a
    /// kept-alive connection between requests).
    #[arg(
        long,
        global = true,
        env = "CABILDO_HEADER_READ_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub header_read_timeout: u64,
    /// Proxies whose `X-Forwarded-For` names the client for the per-address limits: a
    /// comma-separated list of addresses or CIDR blocks, like `10.0.0.0/8,192.0.2.7`.
    #[arg(
        long = "trusted-proxy",
        global = true,
        env = "CABILDO_TRUSTED_PROXIES",
        value_delimiter = ',',
        num_args = 0..,
        value_parser = crate::http::address::parse_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The origins the server is reached under (e.g. `https://workshop.example.org`): the
    /// `Host` of a WebSocket upgrade or a state-changing request must be one of them, or an
    /// IP address or `localhost` (DNS-rebinding defence). Comma-separated.
    #[arg(
        long = "public-origin",
        global = true,
        env = "CABILDO_PUBLIC_ORIGINS",
        value_delimiter = ',',
        num_args = 0..
    )]
    pub public_origins: Vec<String>,
    /// Joins a minute one client address may make (0: no limit).
    #[arg(
        long,
        global = true,
        env = "CABILDO_JOIN_RATE_LIMIT",
        default_value_t = 60
    )]
    pub join_rate_limit: u32,
    /// Code lookups (`GET /api/codes/{code}`) a minute one client address may make (0: no
    /// limit).
    #[arg(
        long,
        global = true,
        env = "CABILDO_LOOKUP_RATE_LIMIT",
        default_value_t = 60
    )]
    pub lookup_rate_limit: u32,
    /// Wrong codes (lookups answered 404, joins answered 401) after which a client address
    /// is blocked from both, for 1 min, then 2, 4 … up to 1 h (0: no limit).
    #[arg(
        long,
        global = true,
        env = "CABILDO_CODE_FAILURE_LIMIT",
        default_value_t = 10
    )]
    pub code_failure_limit: u32,
    /// Exports rendered or sent at once; one more is answered 429.
    #[arg(
        long,
        global = true,
        env = "CABILDO_MAX_EXPORTS",
        default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(1..=1024)
    )]
    pub max_exports: u64,
}

/// The edge settings, resolved.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub connections: crate::http::serve::ConnectionLimits,
    pub addresses: crate::http::address::AddressSettings,
    /// Normalised with `http::origin::normalize`.
    pub public_origins: Vec<String>,
    pub max_exports: usize,
}

impl EdgeArgs {
    pub fn config(&self) -> EdgeConfig {
        let max_connections = self.max_connections.filter(|n| *n > 0).unwrap_or_else(|| {
            crate::http::serve::default_max_connections(crate::http::serve::open_file_limit())
        });
        EdgeConfig {
            connections: crate::http::serve::ConnectionLimits {
                max_connections,
                header_read_timeout: Duration::from_secs(self.header_read_timeout),
            },
            addresses: crate::http::address::AddressSettings {
                trusted_proxies: self.trusted_proxies.clone(),
                joins_per_minute: self.join_rate_limit,
                lookups_per_minute: self.lookup_rate_limit,
                code_failures: self.code_failure_limit,
            },
            public_origins: normalized(&self.public_origins),
            max_exports: usize::try_from(self.max_exports).unwrap_or(1),
        }
    }
}

fn normalized(origins: &[String]) -> Vec<String> {
    origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(crate::http::origin::normalize)
        .collect()
}

/// Flood control and liveness (see `hub::limits`). A rate of 0 turns that limit off.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Commands per second one WebSocket connection may sustain.
    #[arg(long, global = true, env = "CABILDO_RATE_LIMIT", default_value_t = 20)]
    pub rate_limit: u32,
    /// Commands one connection may send in a burst before `--rate-limit` applies.
    #[arg(long, global = true, env = "CABILDO_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,
    /// Commands per second one participant may sustain over all their connections.
    #[arg(
        long,
        global = true,
        env = "CABILDO_PARTICIPANT_RATE_LIMIT",
        default_value_t = 40
    )]
    pub participant_rate_limit: u32,
    /// Commands one participant may send in a burst over all their connections.
    #[arg(
        long,
        global = true,
        env = "CABILDO_PARTICIPANT_RATE_BURST",
        default_value_t = 200
    )]
    pub participant_rate_burst: u32,
    /// Rate-limited commands within 10 s after which the connection is closed (4029);
    /// 0: never.
    #[arg(
        long,
        global = true,
        env = "CABILDO_FLOOD_CLOSE_AFTER",
        default_value_t = 200
    )]
    pub flood_close_after: u32,
    /// Open WebSocket connections one participant may hold (0: no limit); one more is
    /// closed with 4030.
    #[arg(
        long,
        global = true,
        env = "CABILDO_MAX_CONNECTIONS_PER_PARTICIPANT",
        default_value_t = 10
    )]
    pub max_connections_per_participant: usize,
    /// Seconds between the server's pings.
    #[arg(
        long,
        global = true,
        env = "CABILDO_PING_INTERVAL",
        default_value_t = 20,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub ping_interval: u64,
    /// Seconds of silence (no message, no pong) after which a connection is closed (4002);
    /// keep it at least twice the ping interval.
    #[arg(
        long,
        global = true,
        env = "CABILDO_IDLE_TIMEOUT",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86400)
    )]
    pub idle_timeout: u64,
    /// Seconds a new WebSocket has to send `hello` (else it is closed with 4000).
    #[arg(
        long,
        global = true,
        env = "CABILDO_HELLO_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub hello_timeout: u64,
    /// Seconds one write to a WebSocket (a piece of at most 2 KiB, or the flush after a
    /// burst) may take before the peer counts as stalled and is dropped.
    #[arg(
        long,
        global = true,
        env = "CABILDO_WRITE_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub write_timeout: u64,
    /// Messages one workshop's inbox holds; a connection that finds it full waits
    /// (back-pressure), counted by `cabildo_inbox_full_total`.
    #[arg(
        long,
        global = true,
        env = "CABILDO_WORKSHOP_INBOX",
        default_value_t = 4096,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000)
    )]
    pub workshop_inbox: u64,
    /// Seconds a workshop with no connection and no running timer stays in memory before
    /// it is evicted (its state stays in the store and is loaded again on its next use);
    /// 0 keeps every loaded workshop in memory.
    #[arg(
        long,
        global = true,
        env = "CABILDO_WORKSHOP_IDLE_EVICT",
        default_value_t = 600,
        value_parser = clap::value_parser!(u64).range(0..=604_800)
    )]
    pub workshop_idle_evict: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            connection_rate: self.rate_limit,
            connection_burst: self.rate_burst,
            participant_rate: self.participant_rate_limit,
            participant_burst: self.participant_rate_burst,
            flood_close_after: self.flood_close_after,
            max_connections_per_participant: self.max_connections_per_participant,
            ping_interval: Duration::from_secs(self.ping_interval),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            hello_timeout: Duration::from_secs(self.hello_timeout),
            write_timeout: Duration::from_secs(self.write_timeout),
            inbox_capacity: usize::try_from(self.workshop_inbox).unwrap_or(usize::MAX),
            idle_evict: (self.workshop_idle_evict > 0)
                .then(|| Duration::from_secs(self.workshop_idle_evict)),
        }
    }
}

impl ServeArgs {
    /// Which database `--db` and `CABILDO_DATABASE_URL` name.
    pub fn database(&self) -> Database {
        let db = Database::parse(&self.db.to_string_lossy());
        match &self.database_url {
            Some(url) if !url.is_empty() && !db.is_postgres() => Database::parse(url),
            _ => db,
        }
    }
}

/// Everything `run` needs, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: Database,
    /// Redis, for notifications between nodes (cluster mode); `None`: a single node.
    pub redis: Option<String>,
    pub admin_token: String,
    /// Whether the admin token was generated (and so must be printed to be usable).
    pub admin_token_generated: bool,
    pub demo: bool,
    /// Origins allowed besides the server's own (`http::origin`), normalised.
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    pub edge: EdgeConfig,
    /// Janus's HTTP API, for audio; `None`: no audio.
    pub janus_url: Option<String>,
    pub janus_admin_key: Option<String>,
    /// TURN for the pages' audio: URLs, secret, credential lifetime in seconds.
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub turn_ttl: u64,
}

impl Config {
    pub fn from_args(args: &ServeArgs) -> Config {
        let (admin_token, admin_token_generated) = match &args.admin_token {
            Some(t) if !t.is_empty() => (t.clone(), false),
            _ => (crate::auth::new_token(), true),
        };
        Config {
            db: args.database(),
            redis: args.redis.clone().filter(|r| !r.is_empty()),
            admin_token,
            admin_token_generated,
            demo: args.demo,
            allowed_origins: normalized(&args.allowed_origins),
            limits: args.limits.limits(),
            edge: args.edge.config(),
            janus_url: args.janus_url.clone().filter(|u| !u.is_empty()),
            janus_admin_key: args.janus_admin_key.clone().filter(|k| !k.is_empty()),
            turn_urls: args.turn_urls.clone(),
            turn_secret: args.turn_secret.clone(),
            turn_ttl: args.turn_ttl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(args: &[&str]) -> Database {
        let mut argv = vec!["cabildo"];
        argv.extend_from_slice(args);
        let mut cli = Cli::try_parse_from(argv).expect("valid arguments");
        // The tests' environment must not decide: only the flags given here.
        if !args.contains(&"--database-url") {
            cli.serve.database_url = None;
        }
        if !args.contains(&"--db") {
            cli.serve.db = PathBuf::from("cabildo.db");
        }
        cli.serve.database()
    }

    #[test]
    fn turn_urls_come_from_repeated_flags_and_comma_lists() {
        let cli = Cli::try_parse_from([
            "cabildo",
            "--turn-url",
            "turn:a:3478?transport=udp,turn:a:3478?transport=tcp",
            "--turn-url",
            "turns:a:5349",
            "--turn-ttl",
            "600",
        ])
        .expect("valid arguments");
        assert_eq!(
            cli.serve.turn_urls,
            [
                "turn:a:3478?transport=udp",
                "turn:a:3478?transport=tcp",
                "turns:a:5349"
            ]
        );
        assert_eq!(cli.serve.turn_ttl, 600);
    }

    #[test]
    fn db_names_a_file_or_a_postgres_url_and_the_database_url_wins_over_a_file() {
        assert_eq!(
            database(&["--db", "x.db"]),
            Database::Sqlite(PathBuf::from("x.db"))
        );
        assert_eq!(
            database(&["--db", "postgres://h/a"]),
            Database::Postgres("postgres://h/a".into())
        );
        assert_eq!(
            database(&["--db", "x.db", "--database-url", "postgresql://h/b"]),
            Database::Postgres("postgresql://h/b".into())
        );
        assert_eq!(
            database(&["--db", "postgres://h/a", "--database-url", "postgres://h/b"]),
            Database::Postgres("postgres://h/a".into())
        );
    }
}
