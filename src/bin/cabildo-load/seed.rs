//! `cabildo-load seed`: fills a SQLite file with reference-size workshops, fast, for the
//! start-up and footprint figures (docs/BENCHMARKS.md, "Start-up and footprint").
//!
//! It builds the reference workshop once through the real hub (`cabildo::demo::load`:
//! 4 rooms, 55 delegates, 46 cards with their votes, groups and conclusions, every change
//! a command), lets its actor stop so that its snapshot is stored, then copies its rows
//! (workshop, whole event log, command outcomes, snapshot) under fresh workshop ids and
//! join codes, in one transaction. The copies have no tokens (join them with their
//! codes); their rooms and participants share ids with the original, which no workshop
//! sees.

use cabildo::domain::WorkshopId;
use cabildo::store::Database;
use sqlx::{Connection, Row};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct SeedArgs {
    /// The SQLite file to fill (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// How many reference workshops to add.
    #[arg(long, default_value_t = 10_000)]
    workshops: usize,
    /// Leave the copies without snapshots (as a database written before snapshots
    /// existed): the next start loads every one of them from its whole log.
    #[arg(long)]
    no_snapshots: bool,
    /// Keep the timers the reference workshop's agenda starts (15 minutes per room):
    /// every copy then has a timer running, so every start wakes all of them (a timer must
    /// end on time). Without it the timers are cancelled first: idle workshops.
    #[arg(long)]
    keep_timers: bool,
}

/// Cancels the timers running in the reference workshop (the newest), as its organizer.
async fn cancel_timers(hub: &std::sync::Arc<cabildo::hub::Hub>) -> anyhow::Result<()> {
    let (id, _) = hub
        .store()
        .workshop_list()
        .await?
        .into_iter()
        .max_by_key(|(_, created)| *created)
        .ok_or_else(|| anyhow::anyhow!("the reference workshop was not stored"))?;
    let stored = cabildo::hub::workshop::load::read(hub.store(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the reference workshop was not stored"))?;
    let mut state = stored
        .base
        .unwrap_or_else(|| cabildo::domain::Workshop::empty(id));
    for event in &stored.log.events {
        state.apply(event.seq, &serde_json::from_str(&event.body)?);
    }
    if state.session.timers.is_empty() {
        return Ok(());
    }
    let organizer = state
        .participants
        .values()
        .find(|p| p.role == cabildo::domain::Role::Organizer)
        .map(|p| p.id)
        .ok_or_else(|| anyhow::anyhow!("the reference workshop has no organizer"))?;
    let handle = hub.workshop(id).await?;
    let command = cabildo::domain::Command::CancelTimer { room: None };
    let outcome = hub
        .execute(&handle, organizer, "seed-cancel-timers".into(), command)
        .await?;
    anyhow::ensure!(
        matches!(outcome, cabildo::protocol::Outcome::Ack { .. }),
        "cancelling the reference workshop's timers: {outcome:?}"
    );
    Ok(())
}

pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.workshops > 0, "--workshops must be at least 1");
    let started = Instant::now();
    let store = Database::Sqlite(args.db.clone()).open().await?;
    let hub = cabildo::hub::Hub::new(store.clone());
    cabildo::demo::load(&hub, "http://seed.invalid").await?;
    if !args.keep_timers {
        cancel_timers(&hub).await?;
    }
    // Stop the actor: it stores its snapshot on the way out.
    hub.begin_shutdown();
    hub.release_workshops();
    hub.tasks.wait().await;
    let source = store
        .workshop_list()
        .await?
        .into_iter()
        .max_by_key(|(_, created)| *created)
        .map(|(id, _)| id)
        .ok_or_else(|| anyhow::anyhow!("the reference workshop was not stored"))?;
    store.close().await;
    let built = started.elapsed();

    let url = format!("sqlite://{}", args.db.display());
    let mut db = sqlx::SqliteConnection::connect(&url).await?;
    let old = source.to_string();
    let events: i64 = sqlx::query("SELECT count(*) FROM events WHERE workshop_id = ?")
        .bind(&old)
        .fetch_one(&mut db)
        .await?
        .try_get(0)?;
    let mut tx = db.begin().await?;
    // The reference workshop itself counts as the first.
    for _ in 1..args.workshops {
        copy(&mut tx, &old, WorkshopId::random(), !args.no_snapshots).await?;
    }
    if args.no_snapshots {
        sqlx::query("DELETE FROM snapshots WHERE workshop_id = ?")
            .bind(&old)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    db.close().await?;
    eprintln!(
        "seeded {} reference workshops ({} events each{}) into {} in {:.1} s (reference built in {:.1} s)",
        args.workshops,
        events,
        if args.no_snapshots { ", no snapshots" } else { ", with snapshots" },
        args.db.display(),
        started.elapsed().as_secs_f64(),
        built.as_secs_f64(),
    );
    Ok(())
}

/// Copies workshop `old`'s rows as workshop `new`, with fresh join codes.
async fn copy(
    tx: &mut sqlx::SqliteConnection,
    old: &str,
    new: WorkshopId,
    snapshot: bool,
) -> anyhow::Result<()> {
    let new = new.to_string();
    sqlx::query(
        "INSERT INTO workshops (id, facilitator_code, delegate_code, created_at) \
         SELECT ?, ?, ?, created_at FROM workshops WHERE id = ?",
    )
    .bind(&new)
    .bind(cabildo::auth::new_facilitator_code())
    .bind(cabildo::auth::new_code())
    .bind(old)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO events (workshop_id, seq, at, actor, body) \
         SELECT ?1, seq, at, actor, replace(body, ?2, ?1) FROM events WHERE workshop_id = ?2",
    )
    .bind(&new)
    .bind(old)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO commands (workshop_id, participant_id, command_id, seq, error_code, error_message, error_version) \
         SELECT ?1, participant_id, command_id, seq, error_code, error_message, error_version \
         FROM commands WHERE workshop_id = ?2",
    )
    .bind(&new)
    .bind(old)
    .execute(&mut *tx)
    .await?;
    if snapshot {
        sqlx::query(
            "INSERT INTO snapshots (workshop_id, version, seq, next_due, body) \
             SELECT ?1, version, seq, next_due, replace(body, ?2, ?1) FROM snapshots WHERE workshop_id = ?2",
        )
        .bind(&new)
        .bind(old)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
