//! The crash harness: many delegates post cards as fast as they can while the real server
//! process is killed with SIGKILL at a random moment, several times over one database;
//! then once more with SIGTERM. After every restart, every acknowledged command is on the
//! board exactly once (with the acknowledged `seq`), and after the clients resend every
//! command with its original id, every card exists exactly once: no loss, no duplicate.
//!
//! The kill points come from a seeded generator; the seed is printed, and
//! `CABILDO_CRASH_SEED=<seed>` replays a run.

mod common;
use common::*;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const DELEGATES: usize = 6;
const POSTS_PER_ROUND: usize = 150;
const KILL_ROUNDS: usize = 4;

fn seq_of(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("seq in {frame}"))
}

/// Card texts on every board, each with the seqs of the cards carrying it.
async fn board(server: &TestServer, w: &Workshop) -> BTreeMap<String, Vec<u64>> {
    let welcome = server.connect(&w.organizer_token).await.welcome;
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for card in welcome["snapshot"]["cards"].as_array().expect("cards") {
        let text = card["text"].as_str().expect("text").to_string();
        out.entry(text).or_default().push(seq_of(card));
    }
    out
}

fn text_of(id: &str) -> String {
    format!("card {id}")
}

/// Every acknowledged command is on the board once, at its acknowledged seq.
fn check_acked(acked: &HashMap<String, Value>, cards: &BTreeMap<String, Vec<u64>>) {
    for (id, ack) in acked {
        assert_eq!(ack["type"], "ack", "{ack}");
        let seqs = cards
            .get(&text_of(id))
            .unwrap_or_else(|| panic!("acknowledged {id} was lost"));
        assert_eq!(seqs, &vec![seq_of(ack)], "{id}: once, at its acked seq");
    }
    assert!(
        cards.values().all(|s| s.len() == 1),
        "a card was stored twice"
    );
}

#[derive(Default)]
struct Tally {
    kills: usize,
    acked_before_stop: usize,
    unacked_before_stop: usize,
    resent: usize,
}

/// One round: flood, stop the server (SIGKILL, or SIGTERM when `graceful`) once
/// `stop_after` answers arrived, restart, check, resend everything, check again.
async fn round(
    server: &mut TestServer,
    w: &Workshop,
    tokens: &[String],
    label: &str,
    stop_after: usize,
    graceful: bool,
    tally: &mut Tally,
) {
    let batches: Vec<Vec<Value>> = (0..tokens.len())
        .map(|d| {
            let room = &w.rooms[d % w.rooms.len()];
            (0..POSTS_PER_ROUND)
                .map(|n| {
                    let id = format!("{label}-{d}-{n}");
                    let mut c = post_card(room, "strengths", &text_of(&id));
                    c["id"] = json!(id);
                    c
                })
                .collect()
        })
        .collect();
    let total = tokens.len() * POSTS_PER_ROUND;
    let stored_before = board(server, w).await.len();
    let answers = Answers::default();
    let floods = flood_all(server, tokens, &batches, &answers).await;
    wait_for(&answers, stop_after).await;
    if graceful {
        let status = server.terminate().await;
        assert!(status.success(), "{status:?}");
        let wal = server.db_path().with_extension("db-wal");
        let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(wal_len, 0, "the WAL was checkpointed at shutdown");
    } else {
        server.kill().await;
        tally.kills += 1;
    }
    for f in floods {
        f.await.expect("flood task");
    }
    let acked = answers.take();
    tally.acked_before_stop += acked.len();
    tally.unacked_before_stop += total - acked.len();
    eprintln!(
        "{label}: {} of {total} acknowledged before {}",
        acked.len(),
        if graceful { "SIGTERM" } else { "SIGKILL" }
    );

    server.restart().await;
    let cards = board(server, w).await;
    check_acked(&acked, &cards);
    if graceful {
        // Stored exactly what was acknowledged: nothing received went unanswered.
        assert_eq!(
            cards.len() - stored_before,
            acked.len(),
            "stored but unanswered"
        );
    }
    let seq_after_restart = cards.values().flatten().copied().max().unwrap_or(0);

    // Every client resends every command of the round with its original id.
    let answers = Answers::default();
    for f in flood_all(server, tokens, &batches, &answers).await {
        f.await.expect("flood task");
    }
    let resent = answers.take();
    assert_eq!(resent.len(), total, "every resent command is answered");
    tally.resent += total;
    for (id, answer) in &resent {
        assert_eq!(answer["type"], "ack", "{answer}");
        let seq = seq_of(answer);
        match (acked.get(id), cards.get(&text_of(id))) {
            (Some(ack), _) => assert_eq!(seq, seq_of(ack), "{id} re-acked differently"),
            // SIGTERM answers every command it received: stored means acknowledged.
            (None, Some(_)) if graceful => panic!("{id} was stored but not answered at SIGTERM"),
            (None, Some(stored)) => assert_eq!(seq, stored[0], "{id}: stored but unacked"),
            (None, None) => assert!(seq > seq_after_restart, "{id} applied now"),
        }
    }
    let cards = board(server, w).await;
    check_acked(&resent, &cards);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_loses_no_acknowledged_card_and_retries_duplicate_nothing() {
    let seed: u64 = std::env::var("CABILDO_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash harness seed: {seed} (CABILDO_CRASH_SEED={seed} replays it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let mut tokens = Vec::new();
    for d in 0..DELEGATES {
        let room = w.rooms[d % w.rooms.len()].clone();
        let (m, c) = seated(&server, &w, &mut f, &format!("D{d}"), "AR", &room).await;
        c.close().await;
        tokens.push(m.token);
    }
    f.close().await;

    let total = DELEGATES * POSTS_PER_ROUND;
    let mut tally = Tally::default();
    for r in 0..=KILL_ROUNDS {
        let graceful = r == KILL_ROUNDS;
        let stop_after = rng.gen_range(1..total * 3 / 4);
        let label = format!("r{r}");
        eprintln!("{label}: stopping after {stop_after} answers");
        round(
            &mut server,
            &w,
            &tokens,
            &label,
            stop_after,
            graceful,
            &mut tally,
        )
        .await;
    }

    // Everything ever sent is there exactly once.
    let cards = board(&server, &w).await;
    assert_eq!(cards.len(), (KILL_ROUNDS + 1) * total);
    assert!(cards.values().all(|s| s.len() == 1));
    assert!(
        tally.unacked_before_stop > 0,
        "no stop ever came before the end of a round"
    );
    eprintln!(
        "crash harness: seed {seed}, {} SIGKILLs and 1 SIGTERM survived, {} commands \
         acknowledged before a stop all found once, {} left unanswered and resent, {} \
         resent in all, {} cards checked, 0 lost, 0 duplicated",
        tally.kills,
        tally.acked_before_stop,
        tally.unacked_before_stop,
        tally.resent,
        cards.len()
    );
}
