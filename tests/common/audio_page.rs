//! Audio-test pages: headless Chromium with a fake microphone playing a WAV file, joining
//! audio over Cabildo's WebSocket and measuring what it hears with `getStats()`. They run
//! inside the test's network namespace (`janus.rs`).

#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// How long a page may take to get somewhere.
pub const WAIT: Duration = Duration::from_secs(30);

/// A mono 16-bit 48 kHz WAV of `seconds`: a 440 Hz sine of amplitude `amplitude` (0: silence).
pub fn wav(path: &Path, amplitude: f64, seconds: u32) {
    let rate = 48_000u32;
    let samples = rate * seconds;
    let mut bytes = Vec::with_capacity(44 + samples as usize * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(samples * 2).to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(rate);
        let v = (amplitude * (2.0 * std::f64::consts::PI * 440.0 * t).sin() * 32767.0) as i16;
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("wav written");
}

/// A chromedriver inside the namespace.
pub struct Driver {
    child: Child,
    url: String,
}

pub async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(
        std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into()),
    )
    .arg(format!("--port={port}"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .kill_on_drop(true)
    .spawn()
    .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{url}/status")).await {
            if r.status().is_success() {
                return Driver { child, url };
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

/// A headless Chromium page whose microphone plays `wav`.
pub struct AudioPage {
    pub client: fantoccini::Client,
    _profile: tempfile::TempDir,
}

impl Driver {
    pub async fn page(&self, wav: &Path) -> AudioPage {
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium")),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--allow-loopback-in-peer-connection",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-audio-capture={}", wav.display()),
                    "--autoplay-policy=no-user-gesture-required",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=900,800",
                ],
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = fantoccini::ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        AudioPage {
            client,
            _profile: profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _already_gone = self.child.start_kill();
    }
}

/// What a page measures what it hears with (`kit.level()`), on `kit.pc`.
macro_rules! level_kit {
    () => {
        r#"
kit.level = async () => {
  if (!kit.pc) return null;
  const stats = await kit.pc.getStats();
  let out = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio')
      out = {energy: s.totalAudioEnergy || 0, duration: s.totalSamplesDuration || 0};
  });
  return out;
};
"#
    };
}

/// What the page runs to talk audio over Cabildo's WebSocket and measure what it hears.
const PAGE_KIT: &str = concat!(
    r#"
window.kit = {frames: [], errors: []};
kit.connect = (url, token) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  kit.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({type: 'hello', token}));
  ws.onmessage = (m) => {
    const f = JSON.parse(m.data);
    kit.frames.push(f);
    if (f.type === 'welcome') resolve(true);
  };
  ws.onclose = (e) => { kit.closed = e.code; reject(new Error('closed ' + e.code)); };
});
kit.answer = (id) => new Promise((resolve) => {
  const look = () => {
    const f = kit.frames.find((f) => f.id === id && f.type !== 'event');
    if (f) resolve(f); else setTimeout(look, 20);
  };
  look();
});
kit.join = async (room) => {
  if (kit.pc) kit.pc.close();
  const stream = await navigator.mediaDevices.getUserMedia({audio: {
    echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
  // The ICE servers (TURN) come from the server; `kit.relay` allows relays only.
  const config = await kit.send({type: 'audio_config', id: 'config-' + Math.random()});
  const pc = new RTCPeerConnection({iceServers: config.ice_servers || [],
    iceTransportPolicy: kit.relay ? 'relay' : 'all'});
  kit.pc = pc;
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  pc.ontrack = (e) => {
    const a = document.createElement('audio');
    a.autoplay = true;
    a.srcObject = e.streams[0] || new MediaStream([e.track]);
    document.body.appendChild(a);
    a.play().catch(() => {});
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  const id = 'join-' + Math.random();
  const msg = {type: 'audio_join', id, sdp: pc.localDescription.sdp};
  if (room) msg.room = room;
  kit.ws.send(JSON.stringify(msg));
  const answer = await kit.answer(id);
  if (answer.type !== 'audio_answer') return answer;
  await pc.setRemoteDescription({type: 'answer', sdp: answer.sdp});
  return answer;
};
kit.send = (msg) => { kit.ws.send(JSON.stringify(msg)); return kit.answer(msg.id); };
"#,
    level_kit!(),
    "true;"
);

/// Run in a Cabildo page before it joins audio: its peer connections may use relays
/// (TURN) only, are kept in `window.peerConnections`, and `kit.level()` measures the last.
pub const RELAY_ONLY: &str = concat!(
    r#"
const Native = window.RTCPeerConnection;
window.peerConnections = [];
window.RTCPeerConnection = class extends Native {
  constructor(config) {
    super({...config, iceTransportPolicy: 'relay'});
    window.peerConnections.push(this);
  }
};
window.kit = {get pc() { return window.peerConnections[window.peerConnections.length - 1]; }};
"#,
    level_kit!(),
    "true;"
);

impl AudioPage {
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// An async script (`arguments` as usual, the last one is the callback).
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    /// Opens a Cabildo page (for its origin), loads the kit and says `hello` as `token`.
    pub async fn connect(&self, base: &str, ws_url: &str, token: &str) {
        self.client
            .goto(&format!("{base}/"))
            .await
            .expect("navigate");
        self.js(PAGE_KIT, vec![]).await;
        let ok = self
            .js_async(
                "const done = arguments[arguments.length - 1]; \
                 kit.connect(arguments[0], arguments[1]).then(done, (e) => done(String(e)));",
                vec![json!(ws_url), json!(token)],
            )
            .await;
        assert_eq!(ok, json!(true), "the page connected");
    }

    /// Sends `audio_join` (with `room` when given); returns the answer frame.
    pub async fn join(&self, room: Option<&str>) -> Value {
        self.js_async(
            "const done = arguments[arguments.length - 1]; \
             kit.join(arguments[0]).then(done, (e) => done({type: 'failed', message: String(e)}));",
            vec![json!(room)],
        )
        .await
    }

    /// Sends a message with an `id`; returns the answer frame.
    pub async fn send(&self, msg: Value) -> Value {
        self.js_async(
            "const done = arguments[arguments.length - 1]; kit.send(arguments[0]).then(done);",
            vec![msg],
        )
        .await
    }

    /// Every frame the page received so far.
    pub async fn frames(&self) -> Vec<Value> {
        match self.js("return kit.frames;", vec![]).await {
            Value::Array(v) => v,
            _ => Vec::new(),
        }
    }

    async fn level(&self) -> Option<(f64, f64)> {
        let v = self.js_async(
            "const done = arguments[arguments.length - 1]; kit.level().then(done, () => done(null));",
            vec![],
        )
        .await;
        Some((v["energy"].as_f64()?, v["duration"].as_f64()?))
    }

    /// Mean audio energy heard over about `window`: ΔtotalAudioEnergy ÷ ΔtotalSamplesDuration,
    /// once more than `window` / 2 of audio was played out. `None` while nothing plays.
    pub async fn loudness(&self, window: Duration) -> Option<f64> {
        let (e0, d0) = self.level().await?;
        tokio::time::sleep(window).await;
        let (e1, d1) = self.level().await?;
        (d1 - d0 > window.as_secs_f64() / 2.0).then(|| (e1 - e0) / (d1 - d0))
    }

    /// Polls until the page hears a tone (energy over `HEARD`); returns how long it took
    /// from `since`.
    pub async fn until_heard(&self, since: std::time::Instant, what: &str) -> Duration {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some((e0, d0)) = self.level().await {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some((e1, d1)) = self.level().await {
                    if d1 - d0 > 0.02 && (e1 - e0) / (d1 - d0) > HEARD {
                        return since.elapsed();
                    }
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never heard: {what}"
            );
        }
    }

    /// Polls until the page hears silence over a 1.5 s window of played-out audio.
    pub async fn until_silent(&self, what: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(l) = self.loudness(Duration::from_millis(1500)).await {
                if l < SILENT {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never silent: {what}"
            );
        }
    }

    /// Whether the page hears the tone now (over a 2 s window of played-out audio).
    pub async fn hears(&self) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(l) = self.loudness(Duration::from_secs(2)).await {
                return l > HEARD;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the page plays no audio"
            );
        }
    }
}

/// Mean energy above which a tone is heard (a 0.5 sine heard measures ~0.26 here).
pub const HEARD: f64 = 0.01;
/// Mean energy below which a page hears silence (silence measures ~1e-9).
pub const SILENT: f64 = 1e-4;

impl AudioPage {
    /// Opens `path` of the server with a participant's session stored as the join page
    /// stores it.
    pub async fn open_as(&self, base: &str, path: &str, workshop: &str, session: Value) {
        self.client
            .goto(&format!("{base}/"))
            .await
            .expect("navigate");
        self.js(
            "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); return true;",
            vec![json!(workshop), json!(session.to_string())],
        )
        .await;
        self.client
            .goto(&format!("{base}{path}?w={workshop}"))
            .await
            .expect("navigate");
    }

    /// Waits until `script` returns something truthy.
    pub async fn until(&self, what: &str, script: &str, args: Vec<Value>) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let v = self.js(script, args.clone()).await;
            if !matches!(v, Value::Null | Value::Bool(false)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "page never showed: {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until some shown element matching `css` has `text` in its text.
    pub async fn wait_text(&self, css: &str, text: &str) {
        let script = "return [...document.querySelectorAll(arguments[0])] \
             .some((e) => !e.closest('[hidden]') && e.textContent.includes(arguments[1]));";
        let what = format!("{css} containing {text:?}");
        self.until(&what, script, vec![json!(css), json!(text)])
            .await;
    }

    /// Clicks the element `css` once it is shown and enabled.
    pub async fn click(&self, css: &str) {
        self.until(
            &format!("{css} clickable"),
            "const e = document.querySelector(arguments[0]); \
             if (!e || e.closest('[hidden]') || e.disabled) return false; e.click(); return true;",
            vec![json!(css)],
        )
        .await;
    }
}
