//! The agenda: the planned sequence of segments a workshop runs through ("Plenary: welcome,
//! 15 min", "Breakout: hidden brainstorm 10 min", "Vote 5 min", "Report-back"…).
//!
//! Each segment names where people are (`plenary`: everyone in the lobby; `rooms`: everyone
//! back in the breakout room they were last in), the phase to set in every room, the
//! planned minutes (a room timer in a `rooms` segment) and a message to broadcast.
//! `next_segment` ends the running segment and performs the next one's moves, phase, timer
//! and broadcast: the events come out of one `decide`, so they are committed in one batch
//! (all or none). The agenda is versioned: every agenda event bumps `version`, and every
//! agenda command names the version it was based on (a stale one is refused with
//! `Conflict`), so two facilitators pressing "next" at once never skip a segment.
//!
//! The past is not rewritten: `set_agenda` replaces only the segments not reached yet;
//! segments done, skipped or running keep their actual start and end times, which is how
//! the plan and what happened are compared (`schedule`).

use super::phase::Phase;
use super::settings::{clean_text, limits};
use super::{
    assignment, require_staff, rooms, session, timers, DomainError, Event, Participant,
    ParticipantId, Place, RoomId, Workshop,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most segments an agenda holds.
pub const SEGMENTS_MAX: usize = 40;
/// Most characters of a segment's title.
pub const TITLE_MAX: usize = 120;
/// Most planned (or extended) minutes of one segment: a day, like the longest timer.
pub const MINUTES_MAX: u32 = timers::MAX_SECONDS / 60;

/// Where people are during a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Whereabouts {
    /// Everyone in the lobby (the plenary).
    #[default]
    Plenary,
    /// Delegates in their breakout rooms.
    Rooms,
}

/// A segment as planned: what `set_agenda` sends and a template holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub title: String,
    #[serde(default, rename = "where")]
    pub place: Whereabouts,
    /// The phase every room is set to when the segment starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// With `phase: brainstorm`: a hidden brainstorm.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Planned duration; in a `rooms` segment, every room's timer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// Broadcast to everyone when the segment starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Plan {
    /// The plan with its text trimmed, or why it is refused.
    pub fn validated(&self) -> Result<Plan, DomainError> {
        let title = clean_text("title", &self.title, TITLE_MAX)?;
        let message = match self.message.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(m) => Some(clean_text("message", m, limits::CARD_TEXT_MAX)?),
        };
        if self.hidden && self.phase != Some(Phase::Brainstorm) {
            return Err(DomainError::Invalid(
                "`hidden` goes only with the brainstorm phase".into(),
            ));
        }
        if self.minutes.is_some_and(|m| m == 0 || m > MINUTES_MAX) {
            return Err(DomainError::Invalid(format!(
                "`minutes` must be 1-{MINUTES_MAX}"
            )));
        }
        Ok(Plan {
            title,
            message,
            ..self.clone()
        })
    }
}

/// Checks a whole list of planned segments (an agenda or a template).
pub fn validated_plans(plans: &[Plan]) -> Result<Vec<Plan>, DomainError> {
    if plans.len() > SEGMENTS_MAX {
        return Err(DomainError::TooLarge(format!(
            "an agenda holds at most {SEGMENTS_MAX} segments"
        )));
    }
    plans.iter().map(Plan::validated).collect()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pending,
    Running,
    Done,
    Skipped,
}

/// A segment of the agenda with what actually happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub plan: Plan,
    pub status: Status,
    /// When it started (ms since the Unix epoch).
    pub started_at: Option<i64>,
    /// When it ended (or was skipped).
    pub ended_at: Option<i64>,
    /// Minutes added while it ran (`extend_segment`).
    #[serde(default)]
    pub extended: u32,
}

impl Segment {
    fn pending(plan: Plan) -> Self {
        Segment {
            plan,
            status: Status::Pending,
            started_at: None,
            ended_at: None,
            extended: 0,
        }
    }
}

/// A workshop's agenda and its progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Agenda {
    pub segments: Vec<Segment>,
    /// Bumped by every agenda event; agenda commands name the version they were based on.
    pub version: u64,
    /// The breakout room each participant was last in: where a `rooms` segment sends them.
    #[serde(skip)]
    pub last_rooms: BTreeMap<ParticipantId, RoomId>,
}

/// The agenda as the store's snapshots keep it (`Workshop`'s serde), `last_rooms`
/// included: the wire leaves that out (`#[serde(skip)]` above), a snapshot must not.
pub mod snapshot {
    use super::{Agenda, ParticipantId, RoomId, Segment};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Ref<'a> {
        segments: &'a [Segment],
        version: u64,
        last_rooms: &'a BTreeMap<ParticipantId, RoomId>,
    }

    #[derive(Deserialize)]
    struct Owned {
        segments: Vec<Segment>,
        version: u64,
        last_rooms: BTreeMap<ParticipantId, RoomId>,
    }

    pub fn serialize<S: Serializer>(a: &Agenda, s: S) -> Result<S::Ok, S::Error> {
        Ref {
            segments: &a.segments,
            version: a.version,
            last_rooms: &a.last_rooms,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Agenda, D::Error> {
        let o = Owned::deserialize(d)?;
        Ok(Agenda {
            segments: o.segments,
            version: o.version,
            last_rooms: o.last_rooms,
        })
    }
}

impl Agenda {
    /// How many segments were reached (done, skipped or running): they always come first.
    pub fn reached(&self) -> usize {
        self.segments
            .iter()
            .take_while(|s| s.status != Status::Pending)
            .count()
    }

    /// The running segment's index.
    pub fn running(&self) -> Option<usize> {
        self.segments
            .iter()
            .position(|s| s.status == Status::Running)
    }
}

/// Planned against actual, as the cockpit shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Seconds behind the plan (negative: ahead), `None` before the agenda started.
    pub behind_seconds: Option<i64>,
    /// Seconds left of the running segment's planned (and extended) time, negative when
    /// it overran; `None` when nothing runs or it has no planned minutes.
    pub remaining_seconds: Option<i64>,
}

/// Where the workshop stands against its plan at `now`. The plan starts when the first
/// segment did; each segment reached (skipped ones aside) was planned to take its minutes.
/// Behind = when the running segment will end at the earliest, minus when the plan has it
/// end (once the agenda is over: when the last one ended, minus the plan's end).
pub fn schedule(agenda: &Agenda, now: i64) -> Schedule {
    let minutes = |s: &Segment| i64::from(s.plan.minutes.unwrap_or(0));
    let Some(start) = agenda.segments.first().and_then(|s| s.started_at) else {
        return Schedule {
            behind_seconds: None,
            remaining_seconds: None,
        };
    };
    let reached = &agenda.segments[..agenda.reached()];
    let planned_end = start
        + 60_000
            * reached
                .iter()
                .filter(|s| s.status != Status::Skipped)
                .map(minutes)
                .sum::<i64>();
    let running = reached.iter().find(|s| s.status == Status::Running);
    let (actual_end, remaining) = match running {
        Some(s) => {
            let began = s.started_at.unwrap_or(now);
            let allowed = minutes(s) + i64::from(s.extended);
            let end = began + 60_000 * allowed;
            let remaining = s.plan.minutes.map(|_| (end - now).div_euclid(1000));
            (end.max(now), remaining)
        }
        None => (
            reached
                .iter()
                .filter_map(|s| s.ended_at)
                .max()
                .unwrap_or(now),
            None,
        ),
    };
    Schedule {
        behind_seconds: Some((actual_end - planned_end).div_euclid(1000)),
        remaining_seconds: remaining,
    }
}

/// The name of the built-in template: the reference workshop's agenda.
pub const REFERENCE_TEMPLATE: &str = "Going Digital 2020 (reference workshop)";

/// The agenda of the reference event (the CAF/OECD "Going Digital" workshop of 24 June
/// 2020, `data/going-digital-2020.json`): an opening plenary, the hidden brainstorm of
/// strengths, problems and possible solutions in the four rooms, the reveal, the vote, the
/// rooms' report-back and the consolidation of the conclusions.
pub fn reference() -> Vec<Plan> {
    let plan = |title: &str, place, phase, minutes, message: Option<&str>| Plan {
        title: title.into(),
        place,
        phase,
        hidden: false,
        minutes,
        message: message.map(Into::into),
    };
    use Whereabouts::{Plenary, Rooms};
    vec![
        plan("Welcome and opening remarks", Plenary, None, Some(15),
            Some("Welcome to the Going Digital workshop: we start together in the plenary.")),
        plan("Presentation: Going Digital, the review of digital government", Plenary, None, Some(20), None),
        Plan {
            hidden: true,
            ..plan("Breakout: strengths, main problems, possible solutions", Rooms, Some(Phase::Brainstorm), Some(25),
                Some("To your rooms: write your country's strengths, main problems and possible solutions. Other delegates' cards stay hidden until the reveal."))
        },
        plan("Reveal and discussion", Rooms, Some(Phase::Reveal), Some(15),
            Some("Every card is visible now: read, discuss and group similar ones.")),
        plan("Vote", Rooms, Some(Phase::Vote), Some(5), Some("Vote for the cards that matter most.")),
        plan("Report-back from the rooms", Plenary, Some(Phase::Consolidate), Some(20),
            Some("Back to the plenary: each room reports back.")),
        plan("Consolidation of the conclusions and closing", Plenary, None, Some(15), None),
    ]
}

fn check_version(state: &Workshop, version: u64) -> Result<(), DomainError> {
    let current = state.agenda.version;
    if version != current {
        return Err(DomainError::Conflict {
            message: format!(
                "the agenda changed meanwhile: your change is based on version {version}, it is at version {current}"
            ),
            current,
        });
    }
    Ok(())
}

/// Replaces the segments not reached yet.
pub(super) fn set(
    state: &Workshop,
    me: &Participant,
    version: u64,
    plans: &[Plan],
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "change the agenda")?;
    check_version(state, version)?;
    let from = state.agenda.reached();
    let segments = validated_plans(plans)?;
    if from + segments.len() > SEGMENTS_MAX {
        return Err(DomainError::TooLarge(format!(
            "an agenda holds at most {SEGMENTS_MAX} segments ({from} are already reached)"
        )));
    }
    Ok(vec![Event::AgendaSet { from, segments }])
}

/// Ends the running segment and starts the next one, with its moves, phase, timer and
/// broadcast, in one list of events.
pub(super) fn next(
    state: &Workshop,
    me: &Participant,
    version: u64,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "run the agenda")?;
    check_version(state, version)?;
    let agenda = &state.agenda;
    let ended = agenda.running();
    let next = agenda.reached();
    let Some(segment) = agenda.segments.get(next) else {
        if ended.is_none() {
            return Err(DomainError::Invalid(
                "the agenda has no segment left to start".into(),
            ));
        }
        return Ok(vec![Event::AgendaAdvanced {
            ended,
            started: None,
            at: now,
        }]);
    };
    let plan = &segment.plan;
    let mut events = vec![Event::AgendaAdvanced {
        ended,
        started: Some(next),
        at: now,
    }];
    match plan.place {
        Whereabouts::Plenary => events.extend(assignment::return_to_lobby(state, me)?),
        Whereabouts::Rooms => events.extend(back_to_rooms(state)),
    }
    if let Some(phase) = plan.phase {
        events.extend(rooms::set_phase(state, me, None, phase, plan.hidden)?);
    }
    let room_timer = plan
        .minutes
        .filter(|_| plan.place == Whereabouts::Rooms)
        .filter(|_| state.rooms.iter().any(|r| !r.removed));
    match room_timer {
        Some(m) => events.extend(timers::start(state, me, None, m * 60, None, false, now)?),
        // The last segment's timers would run on into this one.
        None if !state.session.timers.is_empty() => {
            events.extend(timers::cancel(state, me, None)?);
        }
        None => {}
    }
    if let Some(message) = &plan.message {
        events.extend(session::broadcast(state, me, message, None, now)?);
    }
    Ok(events)
}

/// Everyone in the lobby back to the breakout room they were last in (else their roster
/// room), if it is still open: delegates and the facilitators who were in rooms. The
/// others stay in the lobby (a facilitator places them).
fn back_to_rooms(state: &Workshop) -> Vec<Event> {
    let moves: Vec<assignment::Move> = state
        .participants
        .values()
        .filter(|p| !p.removed && p.room == Place::Lobby)
        .filter_map(|p| {
            let roster_room = || state.roster.person(p.id).ok().and_then(|r| r.room);
            let room = state
                .agenda
                .last_rooms
                .get(&p.id)
                .copied()
                .or_else(roster_room)?;
            let open = state.live_room(room).is_ok_and(|r| r.open);
            open.then_some(assignment::Move {
                participant: p.id,
                from: Place::Lobby,
                room: Place::Room(room),
            })
        })
        .collect();
    if moves.is_empty() {
        return Vec::new();
    }
    vec![Event::RoomsAssigned {
        strategy: assignment::Strategy::Plan,
        seed: 0,
        moves,
    }]
}

/// Skips the next segment not reached yet (to skip the running one, start the next).
pub(super) fn skip(
    state: &Workshop,
    me: &Participant,
    version: u64,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "run the agenda")?;
    check_version(state, version)?;
    let segment = state.agenda.reached();
    if segment >= state.agenda.segments.len() {
        return Err(DomainError::Invalid(
            "the agenda has no segment left to skip".into(),
        ));
    }
    Ok(vec![Event::SegmentSkipped { segment, at: now }])
}

/// Gives the running segment more minutes, and its rooms' timers as many.
pub(super) fn extend(
    state: &Workshop,
    me: &Participant,
    version: u64,
    minutes: u32,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "run the agenda")?;
    check_version(state, version)?;
    let Some(segment) = state.agenda.running() else {
        return Err(DomainError::NotFound("no segment is running".into()));
    };
    let extended = state.agenda.segments[segment].extended;
    if minutes == 0 || extended.saturating_add(minutes) > MINUTES_MAX {
        return Err(DomainError::Invalid(format!(
            "`minutes` must be 1-{}",
            MINUTES_MAX - extended
        )));
    }
    let mut events = vec![Event::SegmentExtended { segment, minutes }];
    if !state.session.timers.is_empty() {
        events.extend(timers::extend(state, me, None, minutes * 60, now)?);
    }
    Ok(events)
}

impl Workshop {
    /// Folds an event into the agenda: its own events, and every move into a room (the
    /// room a `rooms` segment sends people back to).
    pub(super) fn apply_agenda(&mut self, event: &Event) {
        let agenda = &mut self.agenda;
        let mut moved_in = |participant: ParticipantId, room: Place| {
            if let Place::Room(r) = room {
                agenda.last_rooms.insert(participant, r);
            }
        };
        match event {
            Event::ParticipantMoved {
                participant, room, ..
            } => moved_in(*participant, *room),
            Event::RoomsAssigned { moves, .. } | Event::RoomRemoved { moves, .. } => {
                for m in moves {
                    moved_in(m.participant, m.room);
                }
            }
            _ => {}
        }
        let segments = &mut agenda.segments;
        match event {
            Event::AgendaSet { from, segments: s } => {
                segments.truncate(*from);
                segments.extend(s.iter().cloned().map(Segment::pending));
            }
            Event::AgendaAdvanced { ended, started, at } => {
                if let Some(s) = ended.and_then(|i| segments.get_mut(i)) {
                    s.status = Status::Done;
                    s.ended_at = Some(*at);
                }
                if let Some(s) = started.and_then(|i| segments.get_mut(i)) {
                    s.status = Status::Running;
                    s.started_at = Some(*at);
                }
            }
            Event::SegmentSkipped { segment, at } => {
                if let Some(s) = segments.get_mut(*segment) {
                    s.status = Status::Skipped;
                    s.ended_at = Some(*at);
                }
            }
            Event::SegmentExtended { segment, minutes } => {
                if let Some(s) = segments.get_mut(*segment) {
                    s.extended = s.extended.saturating_add(*minutes);
                }
            }
            _ => return,
        }
        agenda.version += 1;
    }
}

#[cfg(test)]
mod tests;
