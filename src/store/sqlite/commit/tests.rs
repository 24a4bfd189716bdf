use super::*;
use crate::domain::ParticipantId;
use crate::store::snapshots::tests::snapshot;
use crate::store::sqlite::tests::open;
use crate::store::sqlite::writer::Writer;
use crate::store::sqlite::{WAL_AUTOCHECKPOINT_PAGES, WAL_FILE_LIMIT};
use crate::store::{Codes, CommandRecord, SqliteStore, Store, StoredEvent};

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

/// A batch whose `commands` row repeats the one `one_command(id, seq)` stored: its event
/// (`seq + 1`) is new, so a commit of it fails at the `commands` insert, after its events
/// were inserted by the statement before, in the same transaction.
fn repeating(id: &str, seq: u64) -> Batch {
    let mut batch = one_command(id, seq + 1);
    batch.commands[0].outcome = crate::protocol::Outcome::Ack { seq };
    batch
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

/// A second writing connection on the store's file in `dir`, to drive `commit` directly
/// (the store's own writer thread idles meanwhile; SQLite serialises the two).
fn writer_on(dir: &tempfile::TempDir) -> Writer {
    Writer::open(SqliteStore::settings(&dir.path().join("db"))).expect("opens")
}

/// The snapshot stored for `w`, if any.
async fn stored(store: &SqliteStore, w: WorkshopId) -> Option<Snapshot> {
    Store::Sqlite(store.clone())
        .snapshot(w)
        .await
        .expect("reads")
}

#[tokio::test]
async fn a_failed_shared_commit_leaves_nothing_behind_and_the_next_commit_works() {
    let (dir, store) = open().await;
    let mut writer = writer_on(&dir);
    let (a, b) = (new_workshop(&store, 1).await, new_workshop(&store, 2).await);
    store
        .append(b, &one_command("c1", 1))
        .await
        .expect("stored");
    // B repeats a `commands` row: it fails after A's and B's events were inserted by
    // the statement before, in the same transaction.
    let good = one_command("c1", 1);
    let bad = repeating("c1", 1);
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let together = [(a_id.as_str(), &good), (b_id.as_str(), &bad)];
    let failed = commit_together(&mut writer, &together, &[]);
    assert!(
        failed.is_err(),
        "a repeated `commands` row must fail the commit"
    );
    // Nothing of it stayed, and the writer is usable again: the group commit writes each
    // batch (and the snapshot that rode with them) alone.
    let (good_done, good_durable) = oneshot::channel();
    let (bad_done, bad_durable) = oneshot::channel();
    let (snapshot_done, snapshot_durable) = oneshot::channel();
    let batches = vec![Item::new(a, good, good_done), Item::new(b, bad, bad_done)];
    let mut owed = Owed::default();
    owed.push(Item::new(b, snapshot(1), snapshot_done));
    commit(&mut writer, batches, &mut owed);
    assert!(
        good_durable.await.expect("answered").is_ok(),
        "A's batch commits alone"
    );
    assert!(bad_durable.await.expect("answered").is_err());
    assert!(snapshot_durable.await.expect("answered").is_ok());
    let loaded_a = store.load(a, 0).await.expect("loads").expect("exists");
    let loaded_b = store.load(b, 0).await.expect("loads").expect("exists");
    assert_eq!(loaded_a.events.len(), 1);
    assert_eq!(loaded_a.commands.len(), 1);
    assert_eq!(
        loaded_b.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(stored(&store, b).await, Some(snapshot(1)));
    store.close().await;
}

/// The batches of one workshop handed on without waiting share a chain: once one fails,
/// the group commit refuses the rest of the chain unwritten, whether they were queued with it
/// (the shared commit fails, then each is tried alone) or come in later commits. Another
/// workshop's batch is stored all the same.
#[tokio::test]
async fn after_a_batch_fails_the_rest_of_its_chain_is_refused_unwritten() {
    let (dir, store) = open().await;
    let mut writer = writer_on(&dir);
    let (a, b) = (new_workshop(&store, 1).await, new_workshop(&store, 2).await);
    store
        .append(a, &one_command("c1", 1))
        .await
        .expect("stored");
    let chain = Chain::default();
    let chained = |batch: Batch, done| Item::new(a, batch, done).chained(Some(chain.clone()));
    // A's second batch repeats a `commands` row; its third was decided after it.
    let (bad_done, bad) = oneshot::channel();
    let (next_done, next) = oneshot::channel();
    let (other_done, other) = oneshot::channel();
    let batches = vec![
        chained(repeating("c1", 1), bad_done),
        chained(one_command("c2", 3), next_done),
        Item::new(b, one_command("c1", 1), other_done),
    ];
    commit(&mut writer, batches, &mut Owed::default());
    assert!(matches!(
        bad.await.expect("answered"),
        Err(StoreError::Sqlite(_))
    ));
    assert!(matches!(
        next.await.expect("answered"),
        Err(StoreError::EarlierFailed)
    ));
    assert!(
        other.await.expect("answered").is_ok(),
        "B's batch is stored alone"
    );
    // A later commit refuses the chain's next batch without trying it.
    let (later_done, later) = oneshot::channel();
    commit(
        &mut writer,
        vec![chained(one_command("c3", 2), later_done)],
        &mut Owed::default(),
    );
    assert!(matches!(
        later.await.expect("answered"),
        Err(StoreError::EarlierFailed)
    ));
    drop(writer);
    // Through the writer thread: a new chain is written, and one that breaks there
    // refuses what was queued behind it.
    let fresh = Chain::default();
    let ok = store.submit(a, one_command("c3", 2), &fresh).await;
    let failing = store.submit(a, repeating("c3", 2), &fresh).await;
    let behind = store.submit(a, one_command("c4", 4), &fresh).await;
    assert!(ok.await.expect("answered").is_ok());
    assert!(matches!(
        failing.await.expect("answered"),
        Err(StoreError::Sqlite(_))
    ));
    assert!(matches!(
        behind.await.expect("answered"),
        Err(StoreError::EarlierFailed)
    ));
    let loaded = store.load(a, 0).await.expect("loads").expect("exists");
    assert_eq!(
        loaded.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    let ids: Vec<_> = loaded
        .commands
        .iter()
        .map(|c| c.command_id.as_str())
        .collect();
    assert_eq!(ids, ["c1", "c3"]);
    let loaded_b = store.load(b, 0).await.expect("loads").expect("exists");
    assert_eq!(loaded_b.events.len(), 1);
    store.close().await;
}

/// Snapshots handed to the writer are stored in its group commits, with the batches waiting
/// or alone; one ahead of the log, or of a workshop erased meanwhile, is left out without
/// failing the batches committed with it.
#[tokio::test]
async fn snapshots_ride_in_group_commits_and_never_get_ahead_of_the_log() {
    let (_dir, store) = open().await;
    let (a, b, c) = (
        new_workshop(&store, 1).await,
        new_workshop(&store, 2).await,
        new_workshop(&store, 3).await,
    );
    for w in [a, c] {
        store
            .append(w, &one_command("c1", 1))
            .await
            .expect("stored");
    }
    store.commit_snapshot(a, snapshot(1)).await.expect("alone");
    assert_eq!(stored(&store, a).await, Some(snapshot(1)));
    assert!(Store::Sqlite(store.clone())
        .erase_workshop(c)
        .await
        .expect("erased"));
    // A snapshot ahead of A's log and one of the erased C, with B's batches.
    let mut writes = tokio::task::JoinSet::new();
    for (w, seq) in [(a, 2), (c, 1)] {
        let store = store.clone();
        writes.spawn(async move { store.commit_snapshot(w, snapshot(seq)).await });
    }
    for seq in 1..=3 {
        let store = store.clone();
        writes.spawn(async move { store.append(b, &one_command(&format!("c{seq}"), seq)).await });
    }
    while let Some(done) = writes.join_next().await {
        done.expect("task").expect("committed");
    }
    assert_eq!(
        stored(&store, a).await,
        Some(snapshot(1)),
        "never ahead of the log"
    );
    assert_eq!(stored(&store, c).await, None);
    let loaded_b = store.load(b, 0).await.expect("loads").expect("exists");
    assert_eq!(loaded_b.events.len(), 3);
    store.close().await;
}

/// Writes that never pause: the WAL must still start over (the writer's own checkpoint)
/// instead of growing with every commit. 16 workshops append 500 commits each, 1 KiB
/// per event, as fast as the writer takes them (without the writer's checkpoint the
/// WAL reached 179 MB here, with the checkpointer running once a second, and its header
/// counted no restart).
///
/// The WAL may pass `WAL_AUTOCHECKPOINT_PAGES` by what is committed while the
/// checkpointer's own checkpoint holds the checkpoint lock (the writer's is refused
/// meanwhile and tried again after the next commit): on a loaded machine that was a
/// thousand pages (CI, 2026-12-05), hence a bound of twice the checkpoint's pages.
#[tokio::test]
async fn the_wal_stays_bounded_under_writes_that_never_pause() {
    let (dir, store) = open().await;
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let store = store.clone();
        writers.spawn(async move {
            let w = new_workshop(&store, n).await;
            for seq in 1..=500u64 {
                let mut batch = one_command(&format!("c{seq}"), seq);
                batch.events[0].body = format!("{seq:>1024}");
                store.append(w, &batch).await.expect("stored");
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("writer task");
    }
    let path = dir.path().join("db-wal");
    let wal = std::fs::metadata(&path)
        .expect("the WAL exists while the store is open")
        .len();
    // The WAL header's checkpoint sequence number (bytes 12..16) counts its restarts.
    let mut header = [0u8; 32];
    std::io::Read::read_exact(
        &mut std::fs::File::open(&path).expect("opens the WAL"),
        &mut header,
    )
    .expect("reads the WAL header");
    let restarts = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
    assert!(restarts > 0, "the WAL never started over ({wal} bytes)");
    let bound = 2 * u64::from(WAL_AUTOCHECKPOINT_PAGES) * 4120;
    assert!(
        wal < bound,
        "the WAL grew to {wal} bytes ({restarts} restarts)"
    );
    store.close().await;
}

/// A read held open (a backup, a slow export) keeps the checkpoints from copying the WAL,
/// which grows past `WAL_FILE_LIMIT`; once the read is done and the WAL starts over, the
/// file is cut back (`journal_size_limit`) instead of keeping its largest size for good.
#[tokio::test]
async fn a_long_wal_file_is_cut_back_once_the_wal_starts_over() {
    use sqlx::Connection;
    let (dir, store) = open().await;
    let wal_file = dir.path().join("db-wal");
    let w = new_workshop(&store, 1).await;
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let mut reader = sqlx::SqliteConnection::connect(&url).await.expect("opens");
    sqlx::query("BEGIN")
        .execute(&mut reader)
        .await
        .expect("begins");
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut reader)
        .await
        .expect("reads");
    // 64 events of 4 KiB per commit: 80 MiB in 320 commits.
    let mut seq = 0;
    let mut append = |n: u64| {
        let events = (0..n)
            .map(|_| {
                seq += 1;
                StoredEvent {
                    seq,
                    at: 0,
                    actor: None,
                    body: format!("{seq:>4096}"),
                }
            })
            .collect();
        Batch {
            events,
            ..Batch::default()
        }
    };
    for _ in 0..320 {
        store.append(w, &append(64)).await.expect("stored");
    }
    let grown = std::fs::metadata(&wal_file).expect("the WAL exists").len();
    assert!(
        grown > WAL_FILE_LIMIT,
        "the WAL file only reached {grown} bytes"
    );
    reader.close().await.expect("read done");
    // The checkpoints copy the WAL now; the commit after that starts it over.
    let mut size = grown;
    for _ in 0..100 {
        store.append(w, &append(1)).await.expect("stored");
        size = std::fs::metadata(&wal_file).expect("the WAL exists").len();
        if size <= WAL_FILE_LIMIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        size <= WAL_FILE_LIMIT,
        "the WAL file stayed at {size} bytes (it grew to {grown})"
    );
    store.close().await;
}
