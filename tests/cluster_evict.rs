//! Idle eviction with several nodes (`--workshop-idle-evict`, issue 20): the nodes' own
//! chatter (a follower's `here` report and the owner's presence list, every second) is not
//! activity, so once nobody is connected anywhere the follower drops its copy and the owner
//! evicts the workshop; the next participant finds it again.
//!
//! Skips only when PostgreSQL or redis-server is missing and `CABILDO_REQUIRE_POSTGRES` /
//! `CABILDO_REQUIRE_REDIS` is unset (CI sets both).

mod cluster_common;
mod common;

use cluster_common::*;
use common::*;
use std::time::Duration;

/// Bounds a hang only: eviction waits for the presence grace (5 s), the expiry of the
/// follower's last report (3 s) and the idle period.
const PATIENCE: Duration = Duration::from_secs(60);

async fn metric(node: &TestServer, name: &str) -> f64 {
    scrape(node).await.get(name).copied().unwrap_or(0.0)
}

/// Waits until `node` has evicted more than `before` workshops and holds none.
async fn until_evicted(node: &TestServer, before: f64, who: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let evicted = metric(node, "cabildo_workshops_evicted_total").await;
        let live = metric(node, "cabildo_live_workshops").await;
        if evicted > before && live == 0.0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{who} never evicted the workshop ({evicted} evicted, {live} live)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_workshop_nobody_uses_on_any_node_is_evicted_on_every_node() {
    // An idle period of 2 s: longer than the 1 s between the nodes' reports, which must
    // not count as activity.
    let Some((_db, _redis, nodes)) = cluster_with(2, &["--workshop-idle-evict", "2"]).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // Node 0 owns the workshop; a delegate works through node 1, then leaves.
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    let (m, mut c) = seated(&nodes[1], &w, &mut f, "Delegate", "AR", &room).await;
    f.close().await;
    c.ok(post_card(&room, "strengths", "before")).await;
    let before: Vec<f64> = vec![
        metric(&nodes[0], "cabildo_workshops_evicted_total").await,
        metric(&nodes[1], "cabildo_workshops_evicted_total").await,
    ];
    c.close().await;
    until_evicted(&nodes[1], before[1], "the follower").await;
    until_evicted(&nodes[0], before[0], "the owner").await;

    // The next participant finds the workshop whole, through either node.
    let mut again = nodes[1].connect(&m.token).await;
    again.ok(post_card(&room, "strengths", "after")).await;
    let cards = again.welcome["snapshot"].to_string();
    assert!(cards.contains("before"), "{cards}");
}
