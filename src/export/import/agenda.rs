//! The agenda in a record read back: the agenda events that rebuild its segments and their
//! progress, and the breakout room each participant was last in (`agenda_last_rooms`).

use super::{invalid, ImportError, Record};
use crate::domain::{Event, ParticipantId, RoomId};
use std::collections::HashMap;

/// The agenda events that rebuild `segments` (plans checked as `set_agenda` checks them);
/// a record whose progress no agenda could have made fails the final comparison.
pub(super) fn agenda_events(
    segments: &[crate::domain::agenda::Segment],
) -> Result<Vec<Event>, ImportError> {
    use crate::domain::agenda::{validated_plans, Status};
    if segments.is_empty() {
        return Ok(Vec::new());
    }
    let plans: Vec<_> = segments.iter().map(|s| s.plan.clone()).collect();
    let plans = validated_plans(&plans).map_err(|e| invalid(format!("agenda: {e}")))?;
    let mut events = vec![Event::AgendaSet {
        from: 0,
        segments: plans,
    }];
    let mut running = None;
    for (i, s) in segments.iter().enumerate() {
        let at = |t: Option<i64>, what: &str| {
            t.ok_or_else(|| invalid(format!("agenda[{i}]: a {what} segment needs its time")))
        };
        match s.status {
            Status::Pending => {}
            Status::Skipped => events.push(Event::SegmentSkipped {
                segment: i,
                at: at(s.ended_at, "skipped")?,
            }),
            Status::Done | Status::Running => {
                events.push(Event::AgendaAdvanced {
                    ended: running,
                    started: Some(i),
                    at: at(s.started_at, "started")?,
                });
                running = Some(i);
            }
        }
        if s.extended > 0 {
            events.push(Event::SegmentExtended {
                segment: i,
                minutes: s.extended,
            });
        }
    }
    // The last segment that ran, ended: the agenda is over.
    if let Some(last) = running.filter(|i| segments[*i].status == Status::Done) {
        events.push(Event::AgendaAdvanced {
            ended: Some(last),
            started: None,
            at: at_end(&segments[last], last)?,
        });
    }
    Ok(events)
}

fn at_end(s: &crate::domain::agenda::Segment, i: usize) -> Result<i64, ImportError> {
    s.ended_at
        .ok_or_else(|| invalid(format!("agenda[{i}]: a done segment needs its end")))
}

/// The record's `agenda_last_rooms` by participant, each naming a participant and a room
/// of the record, once.
pub(super) fn last_rooms(record: &Record) -> Result<HashMap<ParticipantId, RoomId>, ImportError> {
    let mut rooms = HashMap::new();
    for (i, l) in record.agenda_last_rooms.iter().enumerate() {
        let what = format!("agenda_last_rooms[{i}]");
        if !record.participants.iter().any(|p| p.id == l.participant) {
            return Err(invalid(format!("{what}: no participant {}", l.participant)));
        }
        if !record.rooms.iter().any(|r| r.id == l.room) {
            return Err(invalid(format!("{what}: no room {}", l.room)));
        }
        if rooms.insert(l.participant, l.room).is_some() {
            return Err(invalid(format!("{what}: {} twice", l.participant)));
        }
    }
    Ok(rooms)
}
