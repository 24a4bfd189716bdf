use super::*;
use crate::protocol::{ErrorCode, Outcome};
use sqlx::migrate::Migrator;

/// A store on a new file `db` in a new directory (removed when dropped).
pub(super) async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("db"))
        .await
        .expect("opens");
    (dir, store)
}

/// The migrations as they were before `commands` was keyed by `seq` (0001–0007), copied
/// byte for byte into `dir` so their checksums match the embedded ones.
fn migrations_before_0008(dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations/sqlite");
    for entry in std::fs::read_dir(source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < "0008" {
            std::fs::copy(&path, dir.join(name)).expect("copied");
        }
    }
}

/// A database made by a server before migration 0008, with an ack and an error recorded,
/// opens on this one with `commands` keyed by `seq` first, and loading the workshop gives
/// both back as they were (the actor rebuilds its answers to retried commands from them).
#[tokio::test]
async fn commands_recorded_before_0008_survive_the_new_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("old");
    std::fs::create_dir(&old).expect("dir");
    migrations_before_0008(&old);
    let path = dir.path().join("db");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .expect("opens");
    let migrator = Migrator::new(old.as_path()).await.expect("reads");
    assert_eq!(migrator.iter().count(), 7);
    migrator.run(&pool).await.expect("old schema");
    let workshop = WorkshopId::random();
    let (id, who) = (workshop.to_string(), uuid::Uuid::nil().to_string());
    sqlx::query("INSERT INTO workshops VALUES (?, 'FAC', 'DEL', 0)")
        .bind(&id)
        .execute(&pool)
        .await
        .expect("workshop");
    sqlx::query(
        "INSERT INTO commands (workshop_id, participant_id, command_id, seq, error_code, error_message, error_version) \
         VALUES (?1, ?2, 'c1', 7, NULL, NULL, NULL), (?1, ?2, 'c2', 0, 'conflict', 'changed', 3)",
    )
    .bind(&id)
    .bind(&who)
    .execute(&pool)
    .await
    .expect("old rows");
    pool.close().await;

    let store = SqliteStore::open(&path).await.expect("migrates");
    let loaded = store
        .load(workshop, 0)
        .await
        .expect("loads")
        .expect("exists");
    let mut commands: Vec<_> = loaded
        .commands
        .into_iter()
        .map(|c| (c.command_id, c.outcome))
        .collect();
    commands.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        commands,
        [
            ("c1".to_string(), Outcome::Ack { seq: 7 }),
            (
                "c2".to_string(),
                Outcome::Error {
                    code: ErrorCode::Conflict,
                    message: "changed".into(),
                    current_version: Some(3),
                }
            ),
        ]
    );
    let key: String = sqlx::query_scalar(
        "SELECT group_concat(name, ',') FROM \
         (SELECT name FROM pragma_table_info('commands') WHERE pk > 0 ORDER BY pk)",
    )
    .fetch_one(&store.reader)
    .await
    .expect("key");
    assert_eq!(key, "workshop_id,seq,participant_id,command_id");
    store.close().await;
}

/// A write on the writer thread that fails with its transaction still open leaves the
/// connection clean (`Writer::recover` rolls it back): what it wrote is gone, and the next
/// write works.
#[tokio::test]
async fn a_write_that_fails_midway_leaves_nothing_and_the_next_write_works() {
    let (_dir, store) = open().await;
    let failed = store
        .write(|conn| {
            conn.execute_batch(
                "BEGIN IMMEDIATE; \
                 INSERT INTO agenda_templates (name, segments, created_at) VALUES ('half', '[]', 0);",
            )?;
            Err::<(), _>(StoreError::Corrupt("stopped midway".into()))
        })
        .await;
    assert!(matches!(failed, Err(StoreError::Corrupt(_))));
    assert!(store
        .save_agenda_template("next", "[]", 1, 10)
        .await
        .expect("the writer works again"));
    let names: Vec<_> = store
        .agenda_templates()
        .await
        .expect("reads")
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    assert_eq!(names, ["next"]);
    store.close().await;
}

/// Closing the store writes every batch handed over before, empties the WAL into the
/// database file, and answers later writes with an error (nothing written, no panic);
/// the file opens again with everything in it.
#[tokio::test]
async fn closing_writes_what_was_handed_over_and_refuses_what_comes_after() {
    let (dir, store) = open().await;
    let path = dir.path().join("db");
    let workshop = WorkshopId::random();
    let codes = Codes {
        facilitator: "FAC-1".into(),
        delegate: "DEL-1".into(),
    };
    store
        .create_workshop(workshop, &codes, &Batch::default())
        .await
        .expect("created");
    let event = |seq| Batch {
        events: vec![StoredEvent {
            seq,
            at: 0,
            actor: None,
            body: format!("event {seq}"),
        }],
        ..Batch::default()
    };
    let chain = Chain::default();
    let mut durable = Vec::new();
    for seq in 1..=50 {
        durable.push(store.submit(workshop, event(seq), &chain).await);
    }
    store.close().await;
    for d in durable {
        assert!(d.await.expect("answered").is_ok());
    }
    let wal = std::fs::metadata(dir.path().join("db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the WAL was emptied into the database file");
    assert!(store.append(workshop, &event(51)).await.is_err());
    assert!(store
        .set_projector_token(workshop, "hash", ParticipantId(uuid::Uuid::nil()), 0)
        .await
        .is_err());

    let reopened = SqliteStore::open(&path).await.expect("opens again");
    let loaded = reopened
        .load(workshop, 0)
        .await
        .expect("loads")
        .expect("exists");
    assert_eq!(
        loaded.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    assert_eq!(loaded.codes, codes);
    reopened.close().await;
}

/// The writer thread's connection is the one every write goes through: it must sync every
/// commit (`synchronous=FULL`, 2), enforce the schema's foreign keys, overwrite what is
/// deleted (`secure_delete`) and checkpoint at `WAL_AUTOCHECKPOINT_PAGES`.
#[tokio::test]
async fn the_writer_syncs_every_commit_and_keeps_the_schema_rules() {
    let (_dir, store) = open().await;
    let pragmas = store
        .write(|conn| {
            let mut values = Vec::new();
            for pragma in [
                "journal_mode",
                "synchronous",
                "foreign_keys",
                "secure_delete",
                "wal_autocheckpoint",
                "journal_size_limit",
            ] {
                let value: rusqlite::types::Value =
                    conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))?;
                values.push(format!("{pragma}={value:?}"));
            }
            Ok(values)
        })
        .await
        .expect("reads");
    assert_eq!(
        pragmas,
        [
            "journal_mode=Text(\"wal\")".to_string(),
            "synchronous=Integer(2)".into(),
            "foreign_keys=Integer(1)".into(),
            "secure_delete=Integer(1)".into(),
            format!("wal_autocheckpoint=Integer({WAL_AUTOCHECKPOINT_PAGES})"),
            format!("journal_size_limit=Integer({WAL_FILE_LIMIT})"),
        ]
    );
    // A batch of a workshop that does not exist breaks the foreign key: refused.
    let orphan = Batch {
        events: vec![StoredEvent {
            seq: 1,
            at: 0,
            actor: None,
            body: "{}".into(),
        }],
        ..Batch::default()
    };
    assert!(matches!(
        store.append(WorkshopId::random(), &orphan).await,
        Err(StoreError::Sqlite(_))
    ));
    store.close().await;
}
