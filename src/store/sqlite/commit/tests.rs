use super::*;
use crate::domain::ParticipantId;
use crate::store::SqliteStore;
use crate::store::{Codes, CommandRecord, StoredEvent};

fn one_command(id: &str, seq: u64) -> Batch {
    Batch {
        events: vec![StoredEvent {
            seq,
            at: 0,
            actor: None,
            body: format!("event {seq}"),
        }],
        commands: vec![CommandRecord {
            participant: ParticipantId(uuid::Uuid::nil()),
            command_id: id.into(),
            outcome: crate::protocol::Outcome::Ack { seq },
        }],
        ..Batch::default()
    }
}

/// Creates an empty workshop whose codes end in `n`.
async fn new_workshop(store: &SqliteStore, n: u32) -> WorkshopId {
    let w = WorkshopId::random();
    let codes = Codes {
        facilitator: format!("FAC-{n}"),
        delegate: format!("DEL-{n}"),
    };
    store
        .create_workshop(w, &codes, &Batch::default())
        .await
        .expect("created");
    w
}

#[tokio::test]
async fn a_failed_shared_commit_leaves_nothing_behind_and_the_next_commit_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("c.db"))
        .await
        .expect("opens");
    let (a, b) = (new_workshop(&store, 1).await, new_workshop(&store, 2).await);
    store
        .append(b, &one_command("c1", 1))
        .await
        .expect("stored");
    // B repeats a command id: its `commands` row fails after A's and B's events
    // were inserted by the statement before, in the same transaction.
    let good = one_command("c1", 1);
    let bad = one_command("c1", 2);
    let together = [(a.to_string(), &good), (b.to_string(), &bad)];
    let failed = commit_together(&store.writer, &together).await;
    assert!(
        failed.is_err(),
        "a repeated command id must fail the commit"
    );
    // Nothing of it stayed, and the writer is usable again.
    commit_alone(&store.writer, a, &good)
        .await
        .expect("A's batch commits alone");
    let loaded_a = store.load(a, 0).await.expect("loads").expect("exists");
    let loaded_b = store.load(b, 0).await.expect("loads").expect("exists");
    assert_eq!(loaded_a.events.len(), 1);
    assert_eq!(loaded_a.commands.len(), 1);
    assert_eq!(
        loaded_b.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1]
    );
    store.close().await;
}

/// Writes that never pause: the WAL must still start over (the writer's own checkpoint)
/// instead of growing with every commit. 16 workshops append 250 commits each, 1 KiB
/// per event, as fast as the committer takes them (without the writer's checkpoint the
/// WAL reached 87 MB here).
#[tokio::test]
async fn the_wal_stays_bounded_under_writes_that_never_pause() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("w.db");
    let store = SqliteStore::open(&path).await.expect("opens");
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let store = store.clone();
        writers.spawn(async move {
            let w = new_workshop(&store, n).await;
            for seq in 1..=250u64 {
                let mut batch = one_command(&format!("c{seq}"), seq);
                batch.events[0].body = format!("{seq:>1024}");
                store.append(w, &batch).await.expect("stored");
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("writer task");
    }
    let wal = std::fs::metadata(dir.path().join("w.db-wal"))
        .expect("the WAL exists while the store is open")
        .len();
    // 1,000 pages of 4 KiB before the writer checkpoints, plus one shared commit of at
    // most 16 batches (a few dozen pages), plus headers: well under 8 MB.
    assert!(
        wal < 8 << 20,
        "the WAL grew to {wal} bytes: it never started over"
    );
    store.close().await;
}
