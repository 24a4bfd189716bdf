//! The load generator against the real server, in scenarios small enough for CI: every
//! acknowledged post reaches every member of its room exactly once, also across leaving and
//! resuming. Counts only; speed belongs to docs/BENCHMARKS.md.

mod common;

use common::{TestServer, ADMIN_TOKEN};
use serde_json::Value;

/// Runs `cabildo-load run` with `args` against `server` and returns its JSON report.
async fn load(server: &TestServer, args: &[&str]) -> Value {
    let out = server.dir.path().join("report.json");
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_cabildo-load"))
        .arg("run")
        .arg("--url")
        .arg(server.url(""))
        .arg("--admin-token")
        .arg(ADMIN_TOKEN)
        .arg("--json")
        .arg(&out)
        .args(args)
        .status()
        .await
        .expect("cabildo-load runs");
    assert!(status.success(), "cabildo-load failed: {status}");
    let text = std::fs::read_to_string(&out).expect("report written");
    serde_json::from_str(&text).expect("report is JSON")
}

fn n(v: &Value, path: &str) -> u64 {
    v.pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path} missing in {v}"))
}

/// Every post acknowledged, every acknowledged post delivered once to each room member.
fn assert_exact(report: &Value, connections: u64, members: u64) {
    assert_eq!(n(report, "/connections_attempted"), connections);
    assert_eq!(n(report, "/connections_held"), connections);
    assert_eq!(n(report, "/connect_errors"), 0);
    let phases = report["phases"].as_array().expect("phases");
    let sent: u64 = phases.iter().map(|p| n(p, "/sent")).sum();
    let acked: u64 = phases.iter().map(|p| n(p, "/acked")).sum();
    assert!(sent > 0, "the scenario posted nothing: {report}");
    assert_eq!(acked, sent, "every post is acknowledged: {report}");
    for p in phases {
        assert_eq!(p["errors"], serde_json::json!({}), "no refusals: {p}");
        assert_eq!(p["drained"], true, "every delivery arrived: {p}");
    }
    let v = &report["verification"];
    assert_eq!(n(v, "/expected"), acked * members, "{v}");
    assert_eq!(n(v, "/delivered"), acked * members, "{v}");
    assert_eq!(n(v, "/lost"), 0, "{v}");
    assert_eq!(n(v, "/duplicates"), 0, "{v}");
    assert_eq!(n(v, "/unexpected"), 0, "{v}");
    assert_eq!(n(v, "/lost_at_dropped_connections"), 0, "{v}");
    assert_eq!(report["closed_by_server"], serde_json::json!({}));
}

#[tokio::test]
async fn steady_fan_out_delivers_every_acknowledged_post_once_to_each_room_member() {
    let server = TestServer::start().await;
    let report = load(
        &server,
        &[
            "--scenario",
            "steady",
            "--workshops",
            "2",
            "--rooms",
            "2",
            "--members",
            "4",
            "--rates",
            "2,4",
            "--duration",
            "1",
            "--sources",
            "2",
            // Both rates must run whatever the latency on a busy CI machine: this test
            // counts deliveries, and speed belongs to the benchmarks.
            "--p99-limit-ms",
            "1000000",
        ],
    )
    .await;
    assert_exact(&report, 16, 4);
    assert_eq!(report["phases"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bursts_past_the_card_budget_edit_and_closed_loop_posting_are_all_delivered() {
    let server = TestServer::start().await;
    // Four bursts with a budget of two cards each: every member posts two cards, then
    // edits its last card twice; all of it acknowledged and delivered.
    let report = load(
        &server,
        &[
            "--scenario",
            "burst",
            "--rooms",
            "2",
            "--members",
            "3",
            "--bursts",
            "4",
            "--card-budget",
            "2",
        ],
    )
    .await;
    assert_exact(&report, 6, 3);
    let acked: Vec<u64> = (0..4)
        .map(|i| n(&report, &format!("/phases/{i}/acked")))
        .collect();
    assert_eq!(acked, vec![6, 6, 6, 6], "one post per member per burst");
    let report = load(
        &server,
        &[
            "--scenario",
            "durable",
            "--rooms",
            "5",
            "--members",
            "1",
            "--inflight",
            "3",
            "--duration",
            "1",
        ],
    )
    .await;
    assert_exact(&report, 5, 1);
}

#[tokio::test]
async fn leaving_and_resuming_loses_and_repeats_nothing() {
    let server = TestServer::start().await;
    let report = load(
        &server,
        &[
            "--scenario",
            "reference",
            "--workshops",
            "2",
            "--rooms",
            "2",
            "--members",
            "3",
            "--rates",
            "3",
            "--churn-per-min",
            "40",
            "--duration",
            "4",
        ],
    )
    .await;
    assert_exact(&report, 12, 3);
    assert!(
        n(&report, "/reconnects") > 0,
        "some connections left and resumed: {report}"
    );
    assert_eq!(n(&report, "/snapshot_resyncs"), 0);
}
