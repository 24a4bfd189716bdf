//! A benchmark of the facilitator's cockpit with a large plenary, in real headless Chromium
//! against the real server (run it with `cargo test --test browser_cockpit_bench --
//! --ignored --nocapture`; the figures are in docs/BENCHMARKS.md, "Pages").

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

const LAPTOP: (u32, u32) = (1280, 900);

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.0.to_string()))
    }
}

/// What the benchmark puts in the page before its own scripts run (CDP
/// `Page.addScriptToEvaluateOnNewDocument`): the time each WebSocket message arrives (a
/// wrapper around the page's `onmessage`, which also times the page's handler), the work of
/// each animation frame, and a MutationObserver that notes when the DOM first shows every
/// room's tile with all its people (`ROOMS` tiles, `PEOPLE` entries), laid out, and when an
/// armed condition (`__bench.watch`) first holds, laid out.
const INSTRUMENT: &str = r#"(() => {
  const b = window.__bench = { arrivals: [], frames: [], tiles: null, workspace: null, watch: null, results: [], errors: [] };
  window.addEventListener('error', (e) => b.errors.push(`${e.message} ${e.filename}:${e.lineno}`));
  window.addEventListener('unhandledrejection', (e) => b.errors.push(String(e.reason && e.reason.stack)));
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    set onmessage(f) {
      super.onmessage = (e) => {
        const at = performance.now();
        f.call(this, e);
        const kind = /"type":"(\w+)"/.exec(String(e.data).slice(0, 200));
        b.arrivals.push({ at, handler: performance.now() - at, kind: kind && kind[1] });
      };
    }
    get onmessage() { return super.onmessage; }
  };
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (f) => raf((t) => {
    const s = performance.now(); f(t); b.frames.push({ at: s, took: performance.now() - s });
  });
  const laidOut = () => { document.body.getBoundingClientRect(); return performance.now(); };
  new MutationObserver(() => {
    if (b.tiles === null && document.querySelectorAll('#room-grid .tile').length === ROOMS
      && document.querySelectorAll('#room-grid .tile [data-person]').length >= PEOPLE
      && [...document.querySelectorAll('#room-grid .tile')].every((t) => t.querySelector('h3'))) b.tiles = laidOut();
    if (b.workspace === null && document.querySelector('#cons [data-card]')) b.workspace = laidOut();
    const w = b.watch;
    if (w && w.test()) {
      const end = laidOut();
      b.watch = null;
      const arrived = b.arrivals.slice(w.from).find((a) => a.kind === w.frame);
      const frames = b.frames.filter((x) => arrived && x.at >= arrived.at && x.at <= end);
      b.results.push({ kind: w.kind, latency: arrived ? end - arrived.at : null,
        work: arrived ? arrived.handler + frames.reduce((n, x) => n + x.took, 0) : null });
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})();"#;

/// Arms the page's watch: `test` (a function body returning a boolean) must become true
/// after the next frame of `frame` type ("event", "presence") arrives.
async fn arm(page: &Page, kind: &str, frame: &str, test: &str, args: Value) {
    page.js(
        "const [kind, frame, test, args] = arguments; const f = new Function('args', test);\
         window.__bench.watch = { kind, frame, from: window.__bench.arrivals.length, test: () => f(args) };\
         return true;",
        vec![json!(kind), json!(frame), json!(test), args],
    )
    .await;
}

/// Waits for the armed watch's result; returns (latency, work) in ms.
async fn measured(page: &Page, n: usize) -> (f64, f64) {
    let r = page
        .until(
            "the change shown",
            "const r = window.__bench.results[arguments[0]]; return r && r.latency !== null && r;",
            vec![json!(n)],
        )
        .await;
    (
        r["latency"].as_f64().expect("latency"),
        r["work"].as_f64().expect("work"),
    )
}

/// Median and largest of `xs`.
fn spread(xs: &mut [f64]) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[xs.len() - 1])
}

/// A benchmark, not a check (run it with `cargo test --test browser_cockpit_bench --
/// --ignored --nocapture`): the cockpit with 500 delegates in 25 rooms and
/// 2,000 cards. Prints, measured in the page (see `INSTRUMENT`):
/// - the first render: from navigation to every room's tile on screen with all its people,
///   laid out (and, apart, to the consolidation workspace's first cards);
/// - for each kind of event (a card posted, a delegate moved, a vote cast, a delegate coming
///   online), 20 times: the latency from the frame's arrival in the page to the DOM showing
///   it, laid out (this includes waiting for the next animation frame), and the page's work
///   for it (its message handler and the animation frames until then); median and largest.
#[tokio::test]
#[ignore = "a benchmark: prints the times"]
async fn a_large_plenary_in_the_cockpit() {
    let Some(driver) = driver().await else { return };
    let server =
        TestServer::start_with(&["--rate-limit", "0", "--participant-rate-limit", "0"]).await;
    let rooms: Vec<String> = (1..=25).map(|n| format!("Room {n}")).collect();
    let w = server
        .create_workshop(json!({"title": "Going Digital", "rooms": rooms}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let countries = ["AR", "BR", "CL", "UY", "PE", "MX", "CO", "EC", "PY", "BO"];
    let mut delegates = Vec::new();
    for i in 0..500 {
        delegates.push(
            server
                .delegate(&w, &format!("Delegate {i}"), countries[i % countries.len()])
                .await,
        );
    }
    org.ok(json!({"type": "assign_rooms", "strategy": "even", "scope": "lobby"}))
        .await;
    let columns = ["strengths", "problems", "solutions"];
    let posts: Vec<Value> = (0..2000)
        .map(|i| {
            let mut c = post_card(
                &w.rooms[i % w.rooms.len()],
                columns[i % 3],
                &format!("Card number {i}: a shared registry of services for every province"),
            );
            c["id"] = json!(format!("bench-{i}"));
            c
        })
        .collect();
    for chunk in posts.chunks(200) {
        let answers = org.pipeline(chunk).await;
        let refused: Vec<&Value> = answers
            .iter()
            .flatten()
            .filter(|a| a["type"] != "ack")
            .collect();
        assert!(refused.is_empty(), "{:?}", refused.first());
    }
    // The cards' ids, in the order they were posted.
    let mut card_ids = vec![String::new(); 2000];
    for _ in 0..2000 {
        let e = org.event_of_type("card_posted").await;
        let text = e["event"]["text"].as_str().expect("text");
        let n: usize = text["Card number ".len()..text.find(':').expect("a colon")]
            .parse()
            .expect("a number");
        card_ids[n] = e["event"]["card"].as_str().expect("card").to_string();
    }
    let fran = server.facilitator(&w, "Fran").await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url("/")).await;
    let session = json!({"workshop": w.id, "token": fran.token, "participant": fran.id,
        "role": "facilitator", "language": "en", "title": "Going Digital"});
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); return true;",
        vec![json!(w.id), json!(session.to_string())],
    )
    .await;
    // 26 tiles (the lobby and 25 rooms), 501 people (Fran is in the lobby).
    let source = INSTRUMENT.replace("ROOMS", "26").replace("PEOPLE", "501");
    page.client
        .issue_cmd(Cdp(json!({"cmd": "Page.addScriptToEvaluateOnNewDocument",
            "params": {"source": source}})))
        .await
        .expect("the instrumentation");
    page.goto(&server.url(&format!("/facilitator?w={}", w.id)))
        .await;
    let first = page
        .until(
            "every tile drawn",
            "const b = window.__bench; const w = b.arrivals.find((a) => a.kind === 'welcome');\
             return b.tiles !== null && b.workspace !== null && !!w && [b.tiles, b.workspace, w.at, w.handler];",
            vec![],
        )
        .await;
    let ms = |i: usize| first[i].as_f64().expect("ms");
    println!(
        "first render: every room's tile with its people {:.0} ms after navigation; the workspace's first cards {:.0} ms (500 delegates, 2,000 cards); the welcome arrived at {:.0} ms, its handler took {:.0} ms",
        ms(0), ms(1), ms(2), ms(3)
    );
    org.ok(json!({"type": "set_phase", "phase": "vote"})).await;
    let mut n = 0;
    let report = |what: &str, mut latency: Vec<f64>, mut work: Vec<f64>| {
        let (l50, lmax) = spread(&mut latency);
        let (w50, wmax) = spread(&mut work);
        println!("{what}: latency median {l50:.1} ms, largest {lmax:.1} ms; work median {w50:.1} ms, largest {wmax:.1} ms");
    };
    const ROUNDS: usize = 20;

    let (mut latency, mut work) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let total = 2001 + i;
        arm(
            &page,
            "card",
            "event",
            "return document.querySelector('#f-shown').textContent.includes(`${args} of ${args}`);",
            json!(total),
        )
        .await;
        org.ok(post_card(
            &w.rooms[i % 25],
            "strengths",
            &format!("One more card {i}"),
        ))
        .await;
        let (l, wk) = measured(&page, n).await;
        n += 1;
        latency.push(l);
        work.push(wk);
    }
    report("a card posted (tile counts and workspace)", latency, work);

    let (mut latency, mut work) = (Vec::new(), Vec::new());
    let mut seated = Vec::new(); // where each moved delegate went (a room's index)
    for d in delegates.iter().take(ROUNDS) {
        let from = page
            .js(
                "return document.querySelector(`[data-person='${arguments[0]}']`).closest('[data-room]').dataset.room;",
                vec![json!(d.id)],
            )
            .await;
        let at = w.rooms.iter().position(|r| *r == from).expect("a room");
        let to = &w.rooms[(at + 1) % 25];
        seated.push((at + 1) % 25);
        arm(
            &page,
            "move",
            "event",
            "return !!document.querySelector(`[data-room='${args[0]}'] [data-person='${args[1]}']`);",
            json!([to, d.id]),
        )
        .await;
        org.ok(move_to(&d.id, to)).await;
        let (l, wk) = measured(&page, n).await;
        n += 1;
        latency.push(l);
        work.push(wk);
    }
    report("a delegate moved (two tiles)", latency, work);

    // Each moved delegate votes for a card of their new room: it goes to the top of the
    // workspace (most voted first).
    let mut online = Vec::new();
    let (mut latency, mut work) = (Vec::new(), Vec::new());
    for (i, (d, room)) in delegates.iter().zip(seated).enumerate() {
        let card = &card_ids[room + 25 * (10 + i)];
        let mut c = server.connect(&d.token).await;
        arm(
            &page,
            "vote",
            "event",
            "const m = document.querySelector(`#cons [data-card='${args}'] .meta`); return !!m && m.textContent.includes('1 vote');",
            json!(card),
        )
        .await;
        c.ok(json!({"type": "vote", "card": card})).await;
        let (l, wk) = measured(&page, n).await;
        n += 1;
        latency.push(l);
        work.push(wk);
        online.push(c);
    }
    report("a vote cast (workspace re-sorted)", latency, work);

    let (mut latency, mut work) = (Vec::new(), Vec::new());
    for d in delegates.iter().skip(200).take(ROUNDS) {
        arm(
            &page,
            "online",
            "presence",
            "return !!document.querySelector(`[data-person='${args}'].on`);",
            json!(d.id),
        )
        .await;
        online.push(server.connect(&d.token).await);
        let (l, wk) = measured(&page, n).await;
        n += 1;
        latency.push(l);
        work.push(wk);
    }
    report("a delegate online (one person)", latency, work);
    page.close().await;
}
