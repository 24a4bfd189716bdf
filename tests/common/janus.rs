//! Audio-test helpers: a private network namespace per test and a Janus started with its
//! own configuration on loopback inside it (the pages are in `audio_page.rs`).
//!
//! Everything runs inside a network namespace the test makes (`ip netns`), where `lo` is
//! the only interface: the test re-runs itself there (`in_netns`). Janus skips loopback
//! interfaces when gathering ICE candidates, so it runs with a tiny `LD_PRELOAD` library
//! (built here with `cc`) that clears `IFF_LOOPBACK` in what `getifaddrs()` returns, and
//! with `ice_enforce_list = "lo"`: it then offers only 127.0.0.1.
//!
//! Tests skip only when Janus is absent AND `CABILDO_REQUIRE_JANUS` is unset; CI sets it
//! (`.ci/setup.d/30-janus.sh`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Set in the re-run test process: the name of the namespace it runs in.
const INSIDE: &str = "CABILDO_AUDIO_NETNS";
pub const JANUS_PORT: u16 = 8088;
pub const ADMIN_KEY: &str = "cabildo-test-admin-key";
/// How long a page or Janus may take to get somewhere.
pub const WAIT: Duration = Duration::from_secs(30);

fn janus_path() -> Option<PathBuf> {
    let configured = std::env::var_os("JANUS").map(PathBuf::from);
    configured
        .into_iter()
        .chain([PathBuf::from("/usr/bin/janus")])
        .find(|p| p.exists())
}

/// Whether a test that needs Janus runs: `false` (skip) only when Janus is not installed
/// and `CABILDO_REQUIRE_JANUS` is unset.
pub fn janus_or_skip() -> bool {
    if janus_path().is_some() {
        return true;
    }
    if std::env::var_os("CABILDO_REQUIRE_JANUS").is_some() {
        panic!("CABILDO_REQUIRE_JANUS is set but janus is not installed");
    }
    eprintln!("skipping: janus not installed (set CABILDO_REQUIRE_JANUS to require it)");
    false
}

/// Runs `body` inside a fresh network namespace (by re-running this test there), or skips
/// when Janus is not installed and not required.
pub fn in_netns<F, Fut>(test: &str, body: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if std::env::var_os(INSIDE).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(body());
        return;
    }
    if janus_path().is_none() {
        if std::env::var_os("CABILDO_REQUIRE_JANUS").is_some() {
            panic!("CABILDO_REQUIRE_JANUS is set but janus is not installed");
        }
        eprintln!("skipping: janus not installed (set CABILDO_REQUIRE_JANUS to require it)");
        return;
    }
    let ns = Netns::new(test);
    let exe = std::env::current_exe().expect("the test binary");
    let status = std::process::Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(exe)
        .args([
            "--exact",
            test,
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(INSIDE, &ns.0)
        .status()
        .expect("ip netns exec runs");
    assert!(
        status.success(),
        "{test} failed inside its network namespace"
    );
}

/// A network namespace with only `lo`, up; deleted when dropped.
struct Netns(String);

impl Netns {
    fn new(test: &str) -> Netns {
        let name = format!(
            "cab-{}-{}",
            std::process::id(),
            test.chars()
                .filter(char::is_ascii_alphanumeric)
                .take(20)
                .collect::<String>()
        );
        let ip = |args: &[&str]| {
            let out = std::process::Command::new("ip")
                .args(args)
                .output()
                .expect("ip runs (iproute2)");
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ip(&["netns", "add", &name]);
        let ns = Netns(name);
        ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

const LOOPBACK_SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
/* Test only: lets Janus gather ICE candidates on lo, the only interface of the test's
   network namespace, by hiding the loopback flag from getifaddrs(). */
int getifaddrs(struct ifaddrs **ifap) {
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int r = real(ifap);
    if (r == 0)
        for (struct ifaddrs *i = *ifap; i; i = i->ifa_next)
            i->ifa_flags &= ~IFF_LOOPBACK;
    return r;
}
"#;

/// A Janus with the AudioBridge and the HTTP transport only, on 127.0.0.1.
pub struct Janus {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    /// Its HTTP API's port on 127.0.0.1.
    port: u16,
}

impl Janus {
    /// On `JANUS_PORT` (inside a test's own network namespace).
    pub async fn start() -> Janus {
        Janus::start_on(JANUS_PORT).await
    }

    /// On `port` of 127.0.0.1 (outside a namespace: a free port). Its ICE candidates are
    /// on `lo` only either way (`ice_enforce_list`).
    pub async fn start_on(port: u16) -> Janus {
        let dir = tempfile::tempdir().expect("janus dir");
        let shim_c = dir.path().join("loopback.c");
        std::fs::write(&shim_c, LOOPBACK_SHIM).expect("shim source");
        let built = std::process::Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(dir.path().join("loopback.so"))
            .arg(&shim_c)
            .arg("-ldl")
            .status()
            .expect("cc runs");
        assert!(built.success(), "the loopback shim builds");
        write_configs(dir.path(), port);
        let mut janus = Janus {
            dir,
            child: None,
            port,
        };
        janus.spawn().await;
        janus
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/janus", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("janus.log")).unwrap_or_default()
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("janus.log"))
            .expect("janus log");
        let child = Command::new(janus_path().expect("janus"))
            .arg("-C")
            .arg(self.dir.path().join("janus.jcfg"))
            .arg("-F")
            .arg(self.dir.path())
            .env("LD_PRELOAD", self.dir.path().join("loopback.so"))
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("janus starts");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let info = format!("{}/info", self.url());
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Ok(r) = http.get(&info).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("janus did not answer: {}", self.log());
    }

    /// `kill -9`, as a crash would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill janus");
        }
    }

    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }
}

fn write_configs(dir: &Path, port: u16) {
    let lib = Path::new("/usr/lib/x86_64-linux-gnu/janus");
    let others = |folder: &str, keep: &str| -> String {
        std::fs::read_dir(lib.join(folder))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".so") && n != keep)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let main = format!(
        r#"general: {{
    configs_folder = "{dir}"
    plugins_folder = "{lib}/plugins"
    transports_folder = "{lib}/transports"
    events_folder = "{lib}/events"
    loggers_folder = "{lib}/loggers"
    debug_level = 4
    admin_secret = "cabildo-test-admin-secret"
    session_timeout = 60
}}
media: {{
    ipv6 = false
    rtp_port_range = "40000-40200"
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "lo"
    ignore_mdns = true
}}
plugins: {{
    disable = "{plugins}"
}}
transports: {{
    disable = "{transports}"
}}
loggers: {{
    disable = "{loggers}"
}}
events: {{
    broadcast = false
    disable = "{events}"
}}
"#,
        dir = dir.display(),
        lib = lib.display(),
        plugins = others("plugins", "libjanus_audiobridge.so"),
        transports = others("transports", "libjanus_http.so"),
        loggers = others("loggers", ""),
        events = others("events", ""),
    );
    std::fs::write(dir.join("janus.jcfg"), main).expect("janus.jcfg");
    std::fs::write(
        dir.join("janus.transport.http.jcfg"),
        format!(
            r#"general: {{
    json = "indented"
    base_path = "/janus"
    http = true
    port = {port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_base_path = "/admin"
    admin_http = false
}}
"#
        ),
    )
    .expect("http transport config");
    std::fs::write(
        dir.join("janus.plugin.audiobridge.jcfg"),
        // Plain-RTP relays of announcements bind to loopback only.
        format!(
            "general: {{\n    admin_key = \"{ADMIN_KEY}\"\n    events = false\n    local_ip = \"127.0.0.1\"\n}}\n"
        ),
    )
    .expect("audiobridge config");
}

/// The TURN URL of the tests' coturn.
pub const TURN_URL: &str = "turn:127.0.0.1:3478?transport=udp";

/// A coturn on 127.0.0.1:3478 inside the test's namespace, with the TURN REST API's
/// time-limited credentials (`use-auth-secret`) signed with `secret`.
pub struct Coturn {
    child: Child,
    dir: tempfile::TempDir,
}

impl Coturn {
    pub async fn start(secret: &str) -> Coturn {
        let dir = tempfile::tempdir().expect("coturn dir");
        let log = dir.path().join("turn.log");
        let out = std::fs::File::create(&log).expect("coturn log");
        let child = Command::new(
            std::env::var_os("TURNSERVER").unwrap_or_else(|| "/usr/bin/turnserver".into()),
        )
        .args([
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            "--listening-port=3478",
            "--min-port=49160",
            "--max-port=49260",
            "--use-auth-secret",
            "--realm=cabildo.test",
            "--allow-loopback-peers",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--fingerprint",
            "--verbose",
            "--simple-log",
            "--log-file=stdout",
        ])
        .arg(format!("--static-auth-secret={secret}"))
        .arg(format!(
            "--pidfile={}",
            dir.path().join("turn.pid").display()
        ))
        .stdout(Stdio::from(out.try_clone().expect("log")))
        .stderr(Stdio::from(out))
        .kill_on_drop(true)
        .spawn()
        .expect("turnserver starts (apt-get install coturn)");
        let turn = Coturn { child, dir };
        let deadline = tokio::time::Instant::now() + WAIT;
        while !turn.log().contains("127.0.0.1:3478") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "coturn did not start: {}",
                turn.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        turn
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("turn.log")).unwrap_or_default()
    }

    /// Whether coturn allocated a relay for someone with valid credentials.
    pub fn relayed(&self) -> bool {
        self.log()
            .lines()
            .any(|l| l.contains("ALLOCATE processed, success"))
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _already_gone = self.child.start_kill();
    }
}
