//! Room timers: start, extend, pause, resume and cancel a countdown for one room or all,
//! warnings at chosen points, and (optionally) the room closing itself at the end — always
//! announced beforehand, never abrupt.
//!
//! Time comes in through the commands (`now`, ms since the Unix epoch). The actor asks
//! `next_due` when to wake up and then decides `Command::Tick`, which yields the warnings and
//! endings that are due. A deadline survives restarts because it is in the log.

use super::session::Timer;
use super::{require_staff, DomainError, Event, Participant, RoomId, Workshop};

/// Longest timer: a day.
pub const MAX_SECONDS: u32 = 24 * 60 * 60;
/// Warnings when none are given: 5 minutes and 1 minute before the end.
pub const DEFAULT_WARNINGS: [u32; 2] = [300, 60];

/// The rooms a timer command addresses: one, or every room still in use.
fn targets(state: &Workshop, room: Option<RoomId>) -> Result<Vec<RoomId>, DomainError> {
    match room {
        Some(r) => Ok(vec![state.live_room(r)?.id]),
        None => Ok(state
            .rooms
            .iter()
            .filter(|r| !r.removed)
            .map(|r| r.id)
            .collect()),
    }
}

/// The rooms addressed that have a timer; `NotFound` when none has.
fn with_timers(
    state: &Workshop,
    room: Option<RoomId>,
) -> Result<Vec<(RoomId, &Timer)>, DomainError> {
    let found: Vec<_> = targets(state, room)?
        .into_iter()
        .filter_map(|r| state.session.timers.get(&r).map(|t| (r, t)))
        .collect();
    if found.is_empty() {
        return Err(DomainError::NotFound("no timer runs there".into()));
    }
    Ok(found)
}

fn check_seconds(seconds: u32) -> Result<i64, DomainError> {
    if seconds == 0 || seconds > MAX_SECONDS {
        return Err(DomainError::Invalid(format!(
            "`seconds` must be 1-{MAX_SECONDS}"
        )));
    }
    Ok(i64::from(seconds) * 1000)
}

pub(super) fn start(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
    seconds: u32,
    warnings: Option<&[u32]>,
    close_at_end: bool,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "start timers")?;
    let ms = check_seconds(seconds)?;
    let mut warnings: Vec<u32> = warnings
        .unwrap_or(&DEFAULT_WARNINGS)
        .iter()
        .copied()
        .filter(|w| *w > 0 && *w < seconds)
        .collect();
    warnings.sort_unstable_by(|a, b| b.cmp(a));
    warnings.dedup();
    if warnings.len() > 10 {
        return Err(DomainError::Invalid("at most 10 warnings".into()));
    }
    if close_at_end && warnings.is_empty() {
        return Err(DomainError::Invalid(
            "a room that closes itself at the end needs at least one warning before it".into(),
        ));
    }
    Ok(targets(state, room)?
        .into_iter()
        .map(|room| Event::TimerStarted {
            room,
            deadline: now + ms,
            seconds,
            warnings: warnings.clone(),
            close_at_end,
        })
        .collect())
}

pub(super) fn extend(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
    seconds: u32,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "extend timers")?;
    let ms = check_seconds(seconds)?;
    Ok(with_timers(state, room)?
        .into_iter()
        .map(|(room, t)| {
            let deadline = t.deadline.map(|d| d + ms);
            let remaining_ms = match deadline {
                Some(d) => d - now,
                None => t.remaining_ms + ms,
            };
            // Warnings that lie in the future again are re-armed.
            let fired = t
                .fired
                .iter()
                .copied()
                .filter(|w| i64::from(*w) * 1000 >= remaining_ms)
                .collect();
            Event::TimerExtended {
                room,
                deadline,
                remaining_ms,
                fired,
            }
        })
        .collect())
}

pub(super) fn pause(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "pause timers")?;
    Ok(with_timers(state, room)?
        .into_iter()
        .filter_map(|(room, t)| {
            t.deadline.map(|d| Event::TimerPaused {
                room,
                remaining_ms: (d - now).max(0),
            })
        })
        .collect())
}

pub(super) fn resume(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "resume timers")?;
    Ok(with_timers(state, room)?
        .into_iter()
        .filter(|(_, t)| t.deadline.is_none())
        .map(|(room, t)| Event::TimerResumed {
            room,
            deadline: now + t.remaining_ms,
        })
        .collect())
}

pub(super) fn cancel(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "cancel timers")?;
    Ok(with_timers(state, room)?
        .into_iter()
        .map(|(room, _)| Event::TimerCancelled { room })
        .collect())
}

/// The next moment (ms since the epoch) a running timer needs attention.
pub fn next_due(state: &Workshop) -> Option<i64> {
    state
        .session
        .timers
        .values()
        .filter_map(|t| {
            let deadline = t.deadline?;
            let warning = t
                .warnings
                .iter()
                .filter(|w| !t.fired.contains(w))
                .map(|w| deadline - i64::from(*w) * 1000)
                .min();
            Some(warning.map_or(deadline, |w| w.min(deadline)))
        })
        .min()
}

/// Warnings and endings due at `now`.
pub(super) fn tick(state: &Workshop, now: i64) -> Vec<Event> {
    let mut events = Vec::new();
    for (room, t) in &state.session.timers {
        let Some(deadline) = t.deadline else { continue };
        if deadline <= now {
            events.push(Event::TimerEnded { room: *room });
            if t.close_at_end && state.room(*room).is_ok_and(|r| r.open) {
                events.push(Event::RoomClosed { room: *room });
            }
            continue;
        }
        // After a pause in service several may be due: announce the nearest one only.
        let due = t
            .warnings
            .iter()
            .copied()
            .filter(|w| !t.fired.contains(w) && deadline - i64::from(*w) * 1000 <= now)
            .min();
        if let Some(seconds) = due {
            events.push(Event::TimerWarning {
                room: *room,
                seconds,
                closes: t.close_at_end,
            });
        }
    }
    events
}
