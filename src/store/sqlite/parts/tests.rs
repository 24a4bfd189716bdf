use super::*;
use crate::domain::WorkshopId;
use crate::store::snapshots::tests::{log, snapshot};
use crate::store::sqlite::commit::commit;
use crate::store::sqlite::tests::open;
use crate::store::sqlite::writer::Writer;
use crate::store::{Codes, SqliteStore, Store};
use tokio::sync::oneshot;

/// A snapshot at `seq` whose body spans `parts` parts, its last one short, with
/// two-byte characters cut by the parts' bounds.
fn large(seq: u64, parts: usize) -> Snapshot {
    let mut body = format!("state at {seq} ");
    while body.len() < (parts - 1) * PART_BYTES + 7 {
        body.push_str("aé");
    }
    Snapshot {
        body,
        ..snapshot(seq)
    }
}

/// A workshop with events 1 to `last`.
async fn workshop(store: &SqliteStore, last: u64) -> WorkshopId {
    let w = WorkshopId::random();
    let codes = Codes {
        facilitator: format!("FAC-{w}"),
        delegate: format!("DEL-{w}"),
    };
    store
        .create_workshop(w, &codes, &log(last))
        .await
        .expect("created");
    w
}

async fn stored(store: &SqliteStore, w: WorkshopId) -> Option<Snapshot> {
    Store::Sqlite(store.clone())
        .snapshot(w)
        .await
        .expect("reads")
}

/// A second writing connection on the store's file, to step the chores one commit at a
/// time (the store's own writer thread idles meanwhile; SQLite serialises the two).
fn writer_on(dir: &tempfile::TempDir) -> Writer {
    Writer::open(SqliteStore::settings(&dir.path().join("db"))).expect("opens")
}

/// One group commit with no batch: the next share of what is owed.
fn step(writer: &mut Writer, owed: &mut Owed) {
    commit(writer, Vec::new(), owed);
}

/// (parts the row of workshop `w` names, parts stored for it).
fn parts_of(writer: &Writer, w: WorkshopId) -> (i64, i64) {
    use rusqlite::OptionalExtension;
    let id = w.to_string();
    let named: Option<i64> = writer
        .conn
        .query_row(
            "SELECT parts FROM snapshots WHERE workshop_id = ?",
            [&id],
            |r| r.get(0),
        )
        .optional()
        .expect("reads");
    let rows = writer
        .conn
        .query_row(
            "SELECT count(*) FROM snapshot_parts WHERE workshop_id = ?",
            [&id],
            |r| r.get(0),
        )
        .expect("reads");
    (named.unwrap_or(0), rows)
}

#[test]
fn one_commit_takes_whole_snapshots_up_to_its_share_or_else_one_part() {
    let half = |seq| Snapshot {
        body: "x".repeat(BYTES_PER_COMMIT / 2 + 1),
        ..snapshot(seq)
    };
    let mut owed = Owed::default();
    for s in [
        snapshot(1),
        snapshot(2),
        half(3),
        half(4),
        large(5, 2),
        snapshot(6),
    ] {
        owed.push(Item::new(WorkshopId::random(), s, oneshot::channel().0));
    }
    let mut seqs = || {
        owed.take()
            .iter()
            .map(|c| match c {
                Chore::Store { item, .. } => item.value().seq,
                Chore::Sweep(_) => 0,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(), [1, 2, 3]);
    assert_eq!(seqs(), [4]);
    assert_eq!(seqs(), [5], "a snapshot in parts rides alone");
    assert_eq!(seqs(), [6]);
    assert!(seqs().is_empty());
}

/// A snapshot larger than a part is written one part per commit; until its last part,
/// readers get the snapshot before it; then the new one whole, and the old parts are
/// deleted one per commit.
#[tokio::test]
async fn a_large_snapshot_goes_in_parts_and_readers_see_it_only_whole() {
    let (dir, store) = open().await;
    let w = workshop(&store, 3).await;
    let mut writer = writer_on(&dir);
    let mut owed = Owed::default();
    let (done, mut durable) = oneshot::channel();
    owed.push(Item::new(w, large(1, 3), done));
    for written in 1..=3 {
        assert_eq!(stored(&store, w).await, None, "not before its last part");
        step(&mut writer, &mut owed);
        assert_eq!(parts_of(&writer, w).1, written);
    }
    assert!(durable.try_recv().expect("answered").is_ok());
    assert_eq!(stored(&store, w).await, Some(large(1, 3)));
    assert_eq!(parts_of(&writer, w), (3, 3));
    // Then a deletion owed, with none to delete.
    step(&mut writer, &mut owed);
    assert!(owed.is_empty());

    // The next one, in 2 parts: the 3 before stay readable until it is whole.
    let (done, mut durable) = oneshot::channel();
    owed.push(Item::new(w, large(2, 2), done));
    step(&mut writer, &mut owed);
    assert_eq!(stored(&store, w).await, Some(large(1, 3)));
    step(&mut writer, &mut owed);
    assert!(durable.try_recv().expect("answered").is_ok());
    assert_eq!(stored(&store, w).await, Some(large(2, 2)));
    assert_eq!(parts_of(&writer, w), (2, 5));
    while !owed.is_empty() {
        step(&mut writer, &mut owed);
    }
    assert_eq!(parts_of(&writer, w), (2, 2), "the old parts are deleted");

    // A small one after it: written whole, and the parts go.
    let (done, mut durable) = oneshot::channel();
    owed.push(Item::new(w, snapshot(3), done));
    while !owed.is_empty() {
        step(&mut writer, &mut owed);
    }
    assert!(durable.try_recv().expect("answered").is_ok());
    assert_eq!(stored(&store, w).await, Some(snapshot(3)));
    assert_eq!(parts_of(&writer, w), (0, 0));
    drop(writer);
    store.close().await;
}

/// Through the store: a large snapshot is answered once whole; an older one, one the store
/// holds already, one ahead of the log, and one of a workshop erased while its parts were
/// being written are left out without an error.
#[tokio::test]
async fn large_snapshots_never_go_back_nor_ahead_of_the_log_nor_outlive_an_erasure() {
    let (dir, store) = open().await;
    let w = workshop(&store, 2).await;
    store.commit_snapshot(w, large(2, 3)).await.expect("stored");
    assert_eq!(stored(&store, w).await, Some(large(2, 3)));
    for older_or_same_or_ahead in [large(1, 2), large(2, 3), large(9, 2)] {
        store
            .commit_snapshot(w, older_or_same_or_ahead)
            .await
            .expect("left out");
    }
    assert_eq!(stored(&store, w).await, Some(large(2, 3)));

    // Erased after its first part.
    let erased = workshop(&store, 1).await;
    let mut writer = writer_on(&dir);
    let mut owed = Owed::default();
    let (done, mut durable) = oneshot::channel();
    owed.push(Item::new(erased, large(1, 3), done));
    step(&mut writer, &mut owed);
    assert_eq!(parts_of(&writer, erased), (0, 1));
    assert!(Store::Sqlite(store.clone())
        .erase_workshop(erased)
        .await
        .expect("erased"));
    while !owed.is_empty() {
        step(&mut writer, &mut owed);
    }
    assert!(durable.try_recv().expect("answered").is_ok());
    assert_eq!(parts_of(&writer, erased), (0, 0));
    drop(writer);
    store.close().await;
}

/// Parts left by a write cut short (a crash) are never read, and go with the next
/// snapshot; a stored snapshot missing a part is ignored (the log is replayed instead).
#[tokio::test]
async fn parts_cut_short_are_ignored_and_swept() {
    let (dir, store) = open().await;
    let w = workshop(&store, 2).await;
    store.commit_snapshot(w, snapshot(1)).await.expect("stored");
    let mut writer = writer_on(&dir);
    let mut owed = Owed::default();
    owed.push(Item::new(w, large(2, 3), oneshot::channel().0));
    step(&mut writer, &mut owed);
    step(&mut writer, &mut owed);
    drop(owed); // the crash
    assert_eq!(parts_of(&writer, w), (0, 2));
    assert_eq!(stored(&store, w).await, Some(snapshot(1)));

    // The same snapshot again, after the restart: the parts left are overwritten.
    let mut owed = Owed::default();
    owed.push(Item::new(w, large(2, 3), oneshot::channel().0));
    while !owed.is_empty() {
        step(&mut writer, &mut owed);
    }
    assert_eq!(parts_of(&writer, w), (3, 3));
    assert_eq!(stored(&store, w).await, Some(large(2, 3)));

    writer
        .conn
        .execute("DELETE FROM snapshot_parts WHERE part = 1", [])
        .expect("deletes");
    assert_eq!(stored(&store, w).await, None, "a part missing: ignored");
    drop(writer);
    store.close().await;
}

/// Start-up's wake stores a large snapshot in parts too, and the small ones whole.
#[tokio::test]
async fn the_wakes_large_snapshots_go_in_parts_too() {
    let (dir, store) = open().await;
    let (a, b) = (workshop(&store, 2).await, workshop(&store, 2).await);
    Store::Sqlite(store.clone())
        .save_snapshots(&[(a, large(2, 3)), (b, snapshot(2))])
        .await
        .expect("stored");
    assert_eq!(stored(&store, a).await, Some(large(2, 3)));
    assert_eq!(stored(&store, b).await, Some(snapshot(2)));
    let writer = writer_on(&dir);
    assert_eq!(parts_of(&writer, a), (3, 3));
    assert_eq!(parts_of(&writer, b), (0, 0));
    drop(writer);
    store.close().await;
}

#[test]
fn a_body_is_joined_only_from_every_part_in_order() {
    let rows = |parts: &[i64]| -> Vec<(i64, Vec<u8>)> {
        parts.iter().map(|&p| (p, vec![b'a' + p as u8])).collect()
    };
    assert_eq!(joined(3, rows(&[0, 1, 2])).as_deref(), Some("abc"));
    assert_eq!(joined(3, rows(&[0, 2])), None);
    assert_eq!(joined(2, rows(&[0, 1, 2])), None);
    assert_eq!(joined(2, rows(&[1, 2])), None);
    // Two halves of "é" join; one alone is not UTF-8.
    assert_eq!(
        joined(2, vec![(0, vec![0xC3]), (1, vec![0xA9])]).as_deref(),
        Some("é")
    );
    assert_eq!(joined(1, vec![(0, vec![0xC3])]), None);
}
