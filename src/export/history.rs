//! The session's history in the JSON record: broadcasts, help requests, timers, moves of
//! people between rooms, rooms and people removed, rooms and the workshop closed and
//! reopened — every event of those kinds in the workshop's log, in order, with when it
//! happened and who caused it.
//!
//! The state keeps only what the session is now (the latest broadcasts, the open help
//! requests, the running timers, where people are), so the history is read from the event
//! log (`from_log`), not from the state. `import.rs` writes it back as the same events
//! with the same times and actors, so a record imported and exported again has the same
//! history.

use crate::domain::{Event, ParticipantId};
use serde::{Deserialize, Serialize};

/// One step of the session, as its event was logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// When it happened: server time, ms since the Unix epoch.
    pub at: i64,
    /// Whose command caused it; `null` when the server did (a timer's clock, a late
    /// joiner's placement) or the log does not say.
    pub by: Option<ParticipantId>,
    /// The event, as docs/PROTOCOL.md#events describes it (one of the kinds `is_history`
    /// names).
    pub event: Event,
}

/// Whether `event` is part of the session's history.
pub fn is_history(event: &Event) -> bool {
    matches!(
        event,
        Event::BroadcastSent { .. }
            | Event::HelpRequested { .. }
            | Event::HelpAcknowledged { .. }
            | Event::HelpResolved { .. }
            | Event::TimerStarted { .. }
            | Event::TimerExtended { .. }
            | Event::TimerPaused { .. }
            | Event::TimerResumed { .. }
            | Event::TimerCancelled { .. }
            | Event::TimerWarning { .. }
            | Event::TimerEnded { .. }
            | Event::ParticipantMoved { .. }
            | Event::RoomsAssigned { .. }
            | Event::ReturnedToLobby { .. }
            | Event::RoomRemoved { .. }
            | Event::ParticipantRemoved { .. }
            | Event::RoomClosed { .. }
            | Event::RoomOpened { .. }
            | Event::WorkshopClosed
            | Event::WorkshopReopened
    )
}

/// The history of a log given as `(at, actor, event)` in order.
pub fn from_log<'a>(
    log: impl IntoIterator<Item = (i64, Option<ParticipantId>, &'a Event)>,
) -> Vec<HistoryEntry> {
    log.into_iter()
        .filter(|(_, _, e)| is_history(e))
        .map(|(at, by, event)| HistoryEntry {
            at,
            by,
            event: event.clone(),
        })
        .collect()
}
