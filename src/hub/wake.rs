//! Start-up's wake: the workshops that cannot wait on disk until someone asks for them.
//!
//! `Store::workshops_to_wake` lists two kinds. First, those whose current snapshot is
//! behind their log (a crash before the actor's last snapshot) or has a timer running:
//! few, and `GET /readyz` reports `workshops` down until they are folded, so that a
//! timer ends on time with nobody connected. Then those with no snapshot of the current
//! format (a database written before snapshots, or by another snapshot format: the first
//! start after an upgrade): possibly every workshop of the node, so they are folded after
//! the server is ready, in the background. Until its turn, such a workshop loads from its
//! whole log if someone asks for it, and a timer running in it ends when it is folded
//! (up to the time the background fold takes, on that first start only). The server
//! serves all along (`GET /healthz` at once, lookups load workshops on demand);
//! `cabildo_wake_pending_workshops` counts what is left.
//!
//! Each listed workshop is read (its snapshot and the log after it) and folded into its
//! state, without an actor; a fresh snapshot is stored when the stored one was missing or
//! behind, `WAKE_BATCH` workshops per transaction (one `fsync` for all of them, not one
//! each); only the workshops with a timer running get an actor, so that the timer ends
//! on time with nobody connected. The others stay on disk: a first start after the
//! upgrade to snapshots writes every workshop's snapshot and keeps none in memory.
//!
//! The log is the truth: a workshop loaded by a client meanwhile is folded from its log
//! all the same, and a snapshot stored here never replaces a newer one
//! (`Store::save_snapshots` keeps the higher `seq`). Shutdown stops the wake between two
//! workshops.

use super::workshop::load;
use super::Hub;
use crate::domain::{timers, Event, Workshop, WorkshopId};
use crate::store::Snapshot;
use std::sync::Arc;
use tokio::sync::watch;

/// Workshops whose snapshots are stored in one transaction.
pub const WAKE_BATCH: usize = 64;

/// Where start-up's wake stands (`GET /readyz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Reading the list of workshops to wake.
    Listing,
    /// Waking those with a timer running or a snapshot behind the log.
    Waking,
    /// Those are awake (or the list could not be read); the workshops without a current
    /// snapshot may still be folding in the background.
    Done,
}

/// Lists the workshops to wake and wakes them, reporting progress on `progress`. Returns
/// early when shutdown begins (leaving `Waking` if that was before the first kind was
/// done).
pub async fn wake(hub: Arc<Hub>, progress: watch::Sender<Wake>) {
    let listed = match hub.store().workshops_to_wake(load::VERSION).await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the workshops to wake");
            progress.send_replace(Wake::Done);
            return;
        }
    };
    let total = listed.first.len() + listed.unsnapshotted.len();
    let mut pending = total;
    crate::metrics::wake_pending(pending);
    if !listed.first.is_empty() {
        progress.send_replace(Wake::Waking);
        tracing::info!(
            workshops = listed.first.len(),
            "waking the workshops with a timer running or a snapshot behind the log"
        );
        if !wake_each(&hub, &listed.first, &mut pending).await {
            return;
        }
    }
    progress.send_replace(Wake::Done);
    if !listed.unsnapshotted.is_empty() {
        tracing::info!(
            workshops = listed.unsnapshotted.len(),
            "ready; folding the workshops without a current snapshot in the background"
        );
        if !wake_each(&hub, &listed.unsnapshotted, &mut pending).await {
            return;
        }
    }
    if total > 0 {
        tracing::info!(workshops = total, "the wake is done");
    }
}

/// Folds each workshop of `ids`, stores the snapshots that were missing or behind and
/// gives an actor to those with a timer running, `WAKE_BATCH` at a time; counts them off
/// `pending`. False when shutdown stopped it.
async fn wake_each(hub: &Arc<Hub>, ids: &[WorkshopId], pending: &mut usize) -> bool {
    let shutdown = hub.shutdown_signal();
    let stopping = || {
        let stop = *shutdown.borrow();
        if stop {
            tracing::info!("shutting down: the wake stopped");
        }
        stop
    };
    for chunk in ids.chunks(WAKE_BATCH) {
        let mut snapshots = Vec::new();
        let mut timed = Vec::new();
        for &id in chunk {
            if stopping() {
                return false;
            }
            let Some((state, stale)) = fold(hub, id).await else {
                continue;
            };
            if stale {
                match load::encode(&state) {
                    Ok(snapshot) => snapshots.push((id, snapshot)),
                    Err(e) => {
                        tracing::error!(workshop = %id, error = %e, "cannot encode a snapshot")
                    }
                }
            }
            if timers::next_due(&state).is_some() {
                timed.push(id);
            }
        }
        save(hub, &snapshots).await;
        for id in timed {
            if stopping() {
                return false;
            }
            if let Err(e) = hub.workshop(id).await {
                tracing::warn!(workshop = %id, error = %e, "could not load a workshop with a timer running");
            }
        }
        *pending -= chunk.len();
        crate::metrics::wake_pending(*pending);
    }
    true
}

/// The state of workshop `id` as its snapshot and log make it, and whether its stored
/// snapshot is missing or behind. `None` when it is gone or unreadable (logged).
async fn fold(hub: &Hub, id: WorkshopId) -> Option<(Workshop, bool)> {
    let stored = match load::read(hub.store(), id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(workshop = %id, error = %e, "could not read a workshop to wake");
            return None;
        }
    };
    let stale = stored.base.is_none() || !stored.log.events.is_empty();
    let mut state = stored.base.unwrap_or_else(|| Workshop::empty(id));
    for event in &stored.log.events {
        match serde_json::from_str::<Event>(&event.body) {
            Ok(parsed) => state.apply(event.seq, &parsed),
            Err(e) => {
                tracing::error!(workshop = %id, seq = event.seq, error = %e, "unreadable event in the log");
                return None;
            }
        }
    }
    Some((state, stale))
}

/// Stores the snapshots of one batch; a failure is logged (the workshops are woken again
/// at the next start).
async fn save(hub: &Hub, snapshots: &[(WorkshopId, Snapshot)]) {
    if snapshots.is_empty() {
        return;
    }
    match hub.store().save_snapshots(snapshots).await {
        Ok(()) => {
            for _ in snapshots {
                crate::metrics::snapshot_written();
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, workshops = snapshots.len(), "could not store the woken workshops' snapshots")
        }
    }
}
