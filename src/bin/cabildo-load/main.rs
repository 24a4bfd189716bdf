//! `cabildo-load`: the load generator. It speaks the real protocol to a Cabildo server (or
//! the baseline's subset to `cabildo-baseline` and the peers in `bench/peers/`), runs one scenario and reports what it measured, with every
//! delivery checked against what was acknowledged. See docs/BENCHMARKS.md.
//!
//! ```text
//! cabildo-load run --url http://127.0.0.1:8080 --admin-token T --scenario steady \
//!     --workshops 30 --rooms 10 --members 30 --rates 0.5,1,2 --duration 20 --server-pid PID
//! cabildo-load merge --out all.json shard0.json shard1.json
//! cabildo-load compare --rate 0.667 cabildo-1.json bun-1.json …
//! cabildo-load seed --db seeded.db --workshops 10000
//! ```

mod client;
mod compare;
mod report;
mod seed;
mod setup;
mod shared;

use clap::{Parser, Subcommand, ValueEnum};
use client::{Mode, Spec};
use report::{load_avg, Latency, Phase, Proc, Report, Verification};
use shared::Shared;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(
    name = "cabildo-load",
    about = "Load generator for Cabildo, its raw baseline and its peers"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run one scenario against one server.
    Run(Box<RunArgs>),
    /// Merge the JSON reports of several `--shard` processes into one.
    Merge {
        /// Where to write the merged report.
        #[arg(long)]
        out: PathBuf,
        files: Vec<PathBuf>,
    },
    /// Print the side-by-side table of several servers' `steady` reports (bench/compare.sh).
    Compare(compare::CompareArgs),
    /// Fill a SQLite file with reference-size workshops (start-up figures).
    Seed(seed::SeedArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Target {
    /// The real server: workshops created and joined through the REST API.
    Cabildo,
    /// `cabildo-baseline`: made-up tokens, no REST.
    Baseline,
    /// `bench/peers/bun-hub.js` (Bun.serve pub/sub): the baseline's protocol.
    Bun,
    /// `bench/peers/node-ws-hub.js` (Node.js and `ws`): the baseline's protocol.
    NodeWs,
}

impl Target {
    /// The name in reports, as given on the command line.
    fn name(self) -> &'static str {
        match self {
            Target::Cabildo => "cabildo",
            Target::Baseline => "baseline",
            Target::Bun => "bun",
            Target::NodeWs => "node-ws",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Scenario {
    /// Connect everyone and hold: connections held, server RSS per connection.
    Idle,
    /// Everyone posts at each rate of `--rates` in turn, `--duration` seconds each,
    /// until p99 exceeds `--p99-limit-ms`.
    Steady,
    /// `--bursts` times: every member posts once within one second.
    Burst,
    /// Every member keeps `--inflight` posts in flight: acknowledged (durable) posts/s.
    Durable,
    /// Human posting rate (`--rates`, first value) with presence churn (`--churn-per-min`).
    Reference,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Other nodes of a cluster (`host:port`, comma-separated): the WebSocket connections
    /// are spread in turn over `--url` and these; setup (REST) stays on `--url`.
    #[arg(long, value_delimiter = ',')]
    spread: Vec<String>,
    #[arg(long, value_enum, default_value = "cabildo")]
    target: Target,
    /// The admin token that may create workshops (Cabildo only).
    #[arg(
        long,
        env = "CABILDO_ADMIN_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    admin_token: String,
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Workshops in the whole run (all shards together).
    #[arg(long, default_value_t = 1)]
    workshops: usize,
    /// Rooms per workshop (at most 100).
    #[arg(long, default_value_t = 4)]
    rooms: usize,
    /// Delegates per room.
    #[arg(long, default_value_t = 10)]
    members: usize,
    /// Posts per second per member; `steady` walks through them in order.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    rates: Vec<f64>,
    /// Seconds of each measured phase (the hold, for `idle`).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Bytes of card text per post.
    #[arg(long, default_value_t = 64)]
    payload: usize,
    /// Source addresses 127.0.0.1 … 127.0.0.N, used in turn (bind before connect).
    #[arg(long, default_value_t = 1)]
    sources: u8,
    /// This process's part of the run, `i/n`: it takes workshops i, i+n, i+2n, …
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// A directory where the shards of one run meet before each phase.
    #[arg(long)]
    barrier_dir: Option<PathBuf>,
    /// The server's process id, to read its RSS and CPU time from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Where to write the JSON report (also printed on stdout when absent).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Bursts in the `burst` scenario.
    #[arg(long, default_value_t = 3)]
    bursts: u32,
    /// Posts each member keeps in flight in the `durable` scenario.
    #[arg(long, default_value_t = 4)]
    inflight: u32,
    /// Times per minute each connection leaves and resumes (`reference`).
    #[arg(long, default_value_t = 0.0)]
    churn_per_min: f64,
    /// `steady` stops after the first rate whose delivery p99 exceeds this (one shard).
    #[arg(long, default_value_t = 100.0)]
    p99_limit_ms: f64,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: u64,
    /// REST requests at once while setting up.
    #[arg(long, default_value_t = 64)]
    setup_concurrency: usize,
    /// Cards each member posts before it edits its last card instead [default: 1,900 /
    /// members, as a room holds at most 2,000 cards].
    #[arg(long)]
    card_budget: Option<u32>,
    /// Longest wait for the last deliveries after a phase, seconds.
    #[arg(long, default_value_t = 30.0)]
    drain_timeout: f64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Cmd::Run(args) => runtime.block_on(run(*args)),
        Cmd::Merge { out, files } => {
            let parts = files
                .iter()
                .map(|f| {
                    let text = std::fs::read_to_string(f)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                    Ok(serde_json::from_str::<Report>(&text)?)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let merged = Report::merge(&parts)?;
            eprint!("{}", merged.summary());
            std::fs::write(&out, serde_json::to_string_pretty(&merged)?)?;
            Ok(())
        }
        Cmd::Compare(args) => compare::run(&args),
        Cmd::Seed(args) => runtime.block_on(seed::seed(args)),
    }
}

fn parse_shard(s: &str) -> anyhow::Result<(usize, usize)> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("--shard is i/n"))?;
    let (i, n): (usize, usize) = (i.parse()?, n.parse()?);
    anyhow::ensure!(n > 0 && i < n, "--shard i/n needs 0 <= i < n");
    Ok((i, n))
}

/// Where the shards of one run wait for each other.
struct Barrier {
    dir: Option<PathBuf>,
    shard: (usize, usize),
}

impl Barrier {
    async fn wait(&self, name: &str) -> anyhow::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("{name}.{}", self.shard.0)), b"")?;
        let deadline = Instant::now() + Duration::from_secs(3600);
        loop {
            let here = (0..self.shard.1)
                .filter(|i| dir.join(format!("{name}.{i}")).exists())
                .count();
            if here == self.shard.1 {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "shards never met at {name}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn nofile_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let shard = parse_shard(&args.shard)?;
    let barrier = Barrier {
        dir: args.barrier_dir.clone(),
        shard,
    };
    let proc = Proc::new(args.server_pid);
    let host = args
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let server: SocketAddr = tokio::net::lookup_host(&host)
        .await?
        .find(SocketAddr::is_ipv4)
        .ok_or_else(|| anyhow::anyhow!("cannot resolve {host}"))?;
    let mine: Vec<usize> = (0..args.workshops)
        .filter(|w| w % shard.1 == shard.0)
        .collect();
    let total = mine.len() * args.rooms * args.members;
    if let Some(limit) = nofile_limit() {
        if (limit as usize) < total + 64 {
            eprintln!("warning: open-file limit {limit} is below the {total} connections of this shard; raise `ulimit -n` or use more shards");
        }
    }
    let mut report = Report {
        target: args.target.name().to_string(),
        scenario: format!("{:?}", args.scenario).to_lowercase(),
        shards: vec![args.shard.clone()],
        machine: report::machine(),
        load_avg_start: load_avg(),
        params: params(&args),
        server_rss_kib_start: proc.rss_kib(),
        ..Report::default()
    };

    barrier.wait("setup").await?;
    let started = Instant::now();
    let workshops = match args.target {
        Target::Cabildo => {
            setup::cabildo(
                &args.url,
                &args.admin_token,
                &mine,
                args.rooms,
                args.members,
                args.setup_concurrency,
            )
            .await?
        }
        Target::Baseline | Target::Bun | Target::NodeWs => {
            setup::baseline(&mine, args.rooms, args.members)
        }
    };
    report.setup_s = started.elapsed().as_secs_f64();
    barrier.wait("joined").await?;
    report.server_rss_kib_joined = proc.rss_kib();

    let sources: Vec<IpAddr> = (1..=args.sources.max(1))
        .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i)))
        .collect();
    let mut shared = Shared::new(server, sources, args.payload);
    for node in &args.spread {
        let addr = tokio::net::lookup_host(node.as_str())
            .await?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| anyhow::anyhow!("cannot resolve {node}"))?;
        shared.spread.push(addr);
    }
    let shared = Arc::new(shared);
    let (mode_tx, mode_rx) = watch::channel(Mode::Idle);
    let card_budget = args
        .card_budget
        .unwrap_or((1900 / args.members.max(1)) as u32);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    let mut id = 0u64;
    for (room_index, room) in workshops.iter().flat_map(|w| &w.rooms).enumerate() {
        let room_id: Arc<str> = room.id.as_str().into();
        let connected = Arc::new(AtomicU32::new(0));
        for (slot, member) in room.members.iter().enumerate() {
            while id - shared.settled.load(Ordering::Relaxed) >= args.connect_concurrency {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let spec = Spec {
                id,
                token: member.token.clone(),
                room_id: room_id.clone(),
                room: room_index as u32,
                slot: slot as u32,
                room_size: room.members.len() as u32,
                room_connected: connected.clone(),
                card_budget,
            };
            id += 1;
            tasks.push(tokio::spawn(client::run(
                spec,
                shared.clone(),
                mode_rx.clone(),
            )));
        }
    }
    while shared.settled.load(Ordering::Relaxed) < id {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    report.connect_s = started.elapsed().as_secs_f64();
    report.connections_attempted = id;
    barrier.wait("connected").await?;
    // Let the presence frames of the arrivals settle before reading the server's memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.server_rss_kib_held = proc.rss_kib();
    report.connections_held = shared.connected.load(Ordering::Relaxed);
    report.per_connection();
    eprintln!(
        "[{}] {} of {} connected in {:.1}s ({} errors), setup {:.1}s, load {}",
        args.shard,
        report.connections_held,
        id,
        report.connect_s,
        shared.connect_errors.load(Ordering::Relaxed),
        report.setup_s,
        load_avg()
    );

    let measure = Measure {
        shared: &shared,
        mode: &mode_tx,
        proc: &proc,
        barrier: &barrier,
        drain_timeout: Duration::from_secs_f64(args.drain_timeout),
    };
    let window = Duration::from_secs_f64(args.duration);
    match args.scenario {
        Scenario::Idle => {
            let phase = measure.phase("hold", 0.0, Mode::Idle, window).await?;
            report.phases.push(phase);
        }
        Scenario::Steady => {
            for (i, &rate) in args.rates.iter().enumerate() {
                let mode = Mode::Rate {
                    per_s: rate,
                    churn_per_min: 0.0,
                };
                let phase = measure
                    .phase(&format!("rate {rate}"), rate, mode, window)
                    .await?;
                let over = phase.latency.p99_us as f64 > args.p99_limit_ms * 1e3;
                eprintln!("[{}] step {i}: {}", args.shard, phase.line());
                report.phases.push(phase);
                if over && shard.1 == 1 {
                    break;
                }
            }
        }
        Scenario::Burst => {
            for b in 0..args.bursts {
                let phase = measure
                    .phase(
                        &format!("burst {b}"),
                        1.0,
                        Mode::Burst(b),
                        Duration::from_secs(1),
                    )
                    .await?;
                eprintln!("[{}] {}", args.shard, phase.line());
                report.phases.push(phase);
            }
        }
        Scenario::Durable => {
            let k = args.inflight;
            let phase = measure
                .phase(&format!("inflight {k}"), k.into(), Mode::Closed(k), window)
                .await?;
            report.phases.push(phase);
        }
        Scenario::Reference => {
            let rate = args.rates.first().copied().unwrap_or(0.05);
            let mode = Mode::Rate {
                per_s: rate,
                churn_per_min: args.churn_per_min,
            };
            let phase = measure.phase("reference", rate, mode, window).await?;
            report.phases.push(phase);
        }
    }

    let _ = mode_tx.send(Mode::Stop);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        outcomes.push(t.await?);
    }
    report.verification = Verification::check(&outcomes, shared.duplicates.load(Ordering::Relaxed));
    report.connect_errors = shared.connect_errors.load(Ordering::Relaxed);
    report.connect_error_samples = shared
        .connect_error_samples
        .lock()
        .expect("samples lock")
        .clone();
    report.closed_by_server = shared
        .closed_by_server
        .lock()
        .expect("lock")
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    report.presence_frames = shared.presence.load(Ordering::Relaxed);
    report.other_frames = shared.other_frames.load(Ordering::Relaxed);
    report.reconnects = shared.reconnects.load(Ordering::Relaxed);
    report.resumed_events = shared.resumed_events.load(Ordering::Relaxed);
    report.snapshot_resyncs = shared.snapshot_resyncs.load(Ordering::Relaxed);
    eprint!("{}", report.summary());
    let json = serde_json::to_string_pretty(&report)?;
    match &args.json {
        Some(path) => std::fs::write(path, json)?,
        None => println!("{json}"),
    }
    Ok(())
}

fn params(args: &RunArgs) -> BTreeMap<String, String> {
    [
        ("workshops", args.workshops.to_string()),
        ("rooms", args.rooms.to_string()),
        ("members", args.members.to_string()),
        ("rates", format!("{:?}", args.rates)),
        ("duration_s", args.duration.to_string()),
        ("payload", args.payload.to_string()),
        ("sources", args.sources.to_string()),
        ("bursts", args.bursts.to_string()),
        ("inflight", args.inflight.to_string()),
        ("churn_per_min", args.churn_per_min.to_string()),
        ("url", args.url.clone()),
        ("spread", args.spread.join(",")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

struct Measure<'a> {
    shared: &'a Shared,
    mode: &'a watch::Sender<Mode>,
    proc: &'a Proc,
    barrier: &'a Barrier,
    drain_timeout: Duration,
}

impl Measure<'_> {
    /// Runs `mode` for `window`, goes idle, waits for the last acks and deliveries, and
    /// reports the stretch from the start to the last delivery.
    async fn phase(
        &self,
        name: &str,
        load: f64,
        mode: Mode,
        window: Duration,
    ) -> anyhow::Result<Phase> {
        self.barrier.wait(&name.replace(' ', "_")).await?;
        let s = self.shared;
        let errors_before = s.errors.lock().expect("lock").clone();
        let (sent0, acked0, delivered0, expected0) = (
            s.sent.load(Ordering::Relaxed),
            s.acked.load(Ordering::Relaxed),
            s.delivered.load(Ordering::Relaxed),
            s.expected.load(Ordering::Relaxed),
        );
        s.reset_latency();
        let cpu0 = self.proc.cpu_s();
        let started = Instant::now();
        self.mode.send_replace(mode);
        tokio::time::sleep(window).await;
        self.mode.send_replace(Mode::Idle);
        let deadline = Instant::now() + self.drain_timeout;
        let drained = loop {
            let settled = s.inflight.load(Ordering::Relaxed) <= 0
                && s.scheduled.load(Ordering::Relaxed) <= 0
                && s.away.load(Ordering::Relaxed) == 0
                && s.delivered.load(Ordering::Relaxed) >= s.expected.load(Ordering::Relaxed);
            if settled {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let seconds = started.elapsed().as_secs_f64();
        let cpu = self.proc.cpu_s().zip(cpu0).map(|(b, a)| b - a);
        let (latency, ack_latency) = s.take_latency();
        let deliveries = s.delivered.load(Ordering::Relaxed) - delivered0;
        let acked = s.acked.load(Ordering::Relaxed) - acked0;
        let mut errors = BTreeMap::new();
        for (code, n) in s.errors.lock().expect("lock").iter() {
            let new = n - errors_before.get(code).copied().unwrap_or(0);
            if new > 0 {
                errors.insert(code.clone(), new);
            }
        }
        Ok(Phase {
            name: name.to_string(),
            load,
            seconds,
            sent: s.sent.load(Ordering::Relaxed) - sent0,
            acked,
            acked_per_s: acked as f64 / seconds,
            deliveries,
            deliveries_per_s: deliveries as f64 / seconds,
            expected_deliveries: s.expected.load(Ordering::Relaxed) - expected0,
            errors,
            latency: Latency::of(&latency),
            ack_latency: Latency::of(&ack_latency),
            server_cpu_s: cpu,
            server_cpu_s_per_million_deliveries: cpu
                .filter(|_| deliveries > 0)
                .map(|c| c * 1e6 / deliveries as f64),
            server_rss_kib_end: self.proc.rss_kib(),
            load_avg: load_avg(),
            drained,
        })
    }
}
