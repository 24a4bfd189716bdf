//! Unit tests of the agenda: who may run it, what "next segment" does in one list of
//! events, editing it while it runs, stale versions, bad input, planned against actual.

use super::*;
use crate::domain::tests::{refused, Refused, Session};
use crate::domain::{Command, Role, Workshop};

/// 24 June 2020, 9:00 UTC, in ms since the epoch.
const T0: i64 = 1_592_989_200_000;
const MIN: i64 = 60_000;

fn plan(title: &str, place: Whereabouts, minutes: Option<u32>) -> Plan {
    Plan {
        title: title.into(),
        place,
        phase: None,
        hidden: false,
        minutes,
        message: None,
    }
}

/// Welcome (plenary, 15 min, a message), hidden brainstorm in rooms (10 min), vote in
/// rooms (5 min), report-back (plenary, no timer).
fn reference() -> Vec<Plan> {
    vec![
        Plan {
            message: Some("Welcome to Going Digital".into()),
            ..plan("Welcome", Whereabouts::Plenary, Some(15))
        },
        Plan {
            phase: Some(Phase::Brainstorm),
            hidden: true,
            ..plan("Breakout: brainstorm", Whereabouts::Rooms, Some(10))
        },
        Plan {
            phase: Some(Phase::Vote),
            ..plan("Vote", Whereabouts::Rooms, Some(5))
        },
        plan("Report-back", Whereabouts::Plenary, None),
    ]
}

fn set(version: u64, segments: Vec<Plan>) -> Command {
    Command::SetAgenda { version, segments }
}

fn next(version: u64, now: i64) -> Command {
    Command::NextSegment { version, now }
}

/// A session whose agenda is the reference one (version 1).
fn with_agenda() -> Session {
    let mut s = Session::new();
    s.run(s.facilitator, set(0, reference()));
    s
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            Event::AgendaAdvanced { .. } => "advanced",
            Event::ReturnedToLobby { .. } => "lobby",
            Event::RoomsAssigned { .. } => "rooms",
            Event::PhaseSet { .. } => "phase",
            Event::TimerStarted { .. } => "timer",
            Event::TimerCancelled { .. } => "timer_cancelled",
            Event::TimerExtended { .. } => "timer_extended",
            Event::BroadcastSent { .. } => "broadcast",
            Event::SegmentExtended { .. } => "extended",
            _ => "other",
        })
        .collect()
}

#[test]
fn delegates_cannot_drive_the_agenda() {
    let mut s = with_agenda();
    let ana = s.ana;
    for command in [
        set(1, reference()),
        next(1, T0),
        Command::SkipSegment {
            version: 1,
            now: T0,
        },
    ] {
        assert_eq!(refused(s.decide(ana, command)), Refused::Forbidden);
    }
    s.run(s.facilitator, next(1, T0));
    let extend = Command::ExtendSegment {
        version: 2,
        minutes: 5,
        now: T0,
    };
    assert_eq!(refused(s.decide(ana, extend.clone())), Refused::Forbidden);
    // The organizer runs it as well as facilitators.
    s.run(s.organizer, extend);
}

#[test]
fn next_segment_performs_the_moves_phase_timer_and_broadcast_together() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    // Welcome: everyone to the plenary, the message broadcast; no room timer.
    let events = s.run(fac, next(1, T0));
    assert_eq!(kinds(&events), ["advanced", "lobby", "broadcast"]);
    assert!(s.w.participants.values().all(|p| p.room == Place::Lobby));
    assert_eq!(s.w.agenda.segments[0].status, Status::Running);
    assert_eq!(s.w.agenda.segments[0].started_at, Some(T0));
    // The breakout: delegates back to their rooms (Dan never had one: he stays), a hidden
    // brainstorm in every room, a 10-minute timer in every room.
    let events = s.run(fac, next(2, T0 + 16 * MIN));
    assert_eq!(
        kinds(&events),
        [
            "advanced", "rooms", "phase", "phase", "phase", "phase", "timer", "timer", "timer",
            "timer"
        ]
    );
    assert_eq!(s.who(s.ana).room, Place::Room(s.rooms[0]));
    assert_eq!(s.who(s.ben).room, Place::Room(s.rooms[0]));
    assert_eq!(s.who(s.cho).room, Place::Room(s.rooms[1]));
    assert_eq!(s.who(s.dan).room, Place::Lobby);
    assert!(s
        .w
        .rooms
        .iter()
        .all(|r| r.phase == Phase::Brainstorm && r.hidden));
    let timer = &s.w.session.timers[&s.rooms[0]];
    assert_eq!(timer.deadline, Some(T0 + 26 * MIN));
    let a = &s.w.agenda.segments;
    assert_eq!(
        (a[0].status, a[0].ended_at),
        (Status::Done, Some(T0 + 16 * MIN))
    );
    assert_eq!(a[1].status, Status::Running);
    // Report-back after the vote: back to the plenary, the rooms' timers cancelled.
    s.run(fac, next(3, T0 + 27 * MIN));
    let events = s.run(fac, next(4, T0 + 33 * MIN));
    assert_eq!(kinds(&events)[..2], ["advanced", "lobby"]);
    assert!(kinds(&events)[2..].iter().all(|k| *k == "timer_cancelled"));
    assert!(s.w.session.timers.is_empty());
    // After the last segment, "next" ends it; then there is nothing left.
    let events = s.run(fac, next(5, T0 + 40 * MIN));
    assert_eq!(
        events,
        [Event::AgendaAdvanced {
            ended: Some(3),
            started: None,
            at: T0 + 40 * MIN
        }]
    );
    assert!(s.w.agenda.segments.iter().all(|s| s.status == Status::Done));
    assert_eq!(refused(s.decide(fac, next(6, T0))), Refused::Invalid);
}

#[test]
fn a_stale_version_is_a_conflict_so_two_clicks_never_skip_a_segment() {
    let mut s = with_agenda();
    let (fac, org) = (s.facilitator, s.organizer);
    s.run(fac, next(1, T0));
    // The organizer pressed "next" on the same version: refused, with the current version.
    assert_eq!(refused(s.decide(org, next(1, T0))), Refused::Conflict(2));
    assert_eq!(refused(s.decide(org, set(1, vec![]))), Refused::Conflict(2));
    assert_eq!(s.w.agenda.running(), Some(0));
}

#[test]
fn editing_the_agenda_replaces_only_the_segments_not_reached() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    s.run(fac, next(1, T0));
    s.run(
        fac,
        Command::SkipSegment {
            version: 2,
            now: T0 + MIN,
        },
    );
    // Reordered: the report-back before the vote; the welcome and the skipped breakout stay.
    let mut rest = reference()[2..].to_vec();
    rest.reverse();
    let events = s.run(fac, set(3, rest.clone()));
    assert_eq!(
        events,
        [Event::AgendaSet {
            from: 2,
            segments: rest
        }]
    );
    let titles: Vec<_> =
        s.w.agenda
            .segments
            .iter()
            .map(|s| s.plan.title.as_str())
            .collect();
    assert_eq!(
        titles,
        ["Welcome", "Breakout: brainstorm", "Report-back", "Vote"]
    );
    let statuses: Vec<_> = s.w.agenda.segments.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Running,
            Status::Skipped,
            Status::Pending,
            Status::Pending
        ]
    );
    // "Next" goes past the skipped segment.
    s.run(fac, next(4, T0 + 15 * MIN));
    assert_eq!(s.w.agenda.running(), Some(2));
}

#[test]
fn bad_segments_are_refused_with_their_rule() {
    let s = Session::new();
    let fac = s.facilitator;
    let bad = |p: Plan| refused(s.decide(fac, set(0, vec![p])));
    let base = plan("Vote", Whereabouts::Rooms, Some(5));
    assert_eq!(
        bad(plan("  ", Whereabouts::Plenary, None)),
        Refused::Invalid
    );
    assert_eq!(
        bad(plan(&"x".repeat(TITLE_MAX + 1), Whereabouts::Plenary, None)),
        Refused::TooLarge
    );
    assert_eq!(
        bad(Plan {
            message: Some("m".repeat(limits::CARD_TEXT_MAX + 1)),
            ..base.clone()
        }),
        Refused::TooLarge
    );
    assert_eq!(
        bad(Plan {
            phase: Some(Phase::Vote),
            hidden: true,
            ..base.clone()
        }),
        Refused::Invalid
    );
    for minutes in [0, MINUTES_MAX + 1] {
        assert_eq!(
            bad(Plan {
                minutes: Some(minutes),
                ..base.clone()
            }),
            Refused::Invalid
        );
    }
    let many = vec![base.clone(); SEGMENTS_MAX + 1];
    assert_eq!(refused(s.decide(fac, set(0, many))), Refused::TooLarge);
    // The limits themselves are accepted; an empty message is no message.
    let at_limit = Plan {
        title: "é".repeat(TITLE_MAX),
        message: Some("   ".into()),
        ..base
    };
    let events = s.decide(fac, set(0, vec![at_limit; SEGMENTS_MAX])).unwrap();
    let Event::AgendaSet { segments, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(segments[0].message, None);
}

#[test]
fn nothing_to_skip_or_extend_is_refused() {
    let mut s = Session::new();
    let fac = s.facilitator;
    let skip = Command::SkipSegment {
        version: 0,
        now: T0,
    };
    assert_eq!(refused(s.decide(fac, skip)), Refused::Invalid);
    assert_eq!(refused(s.decide(fac, next(0, T0))), Refused::Invalid);
    s.run(fac, set(0, reference()));
    let extend = |minutes| Command::ExtendSegment {
        version: 1,
        minutes,
        now: T0,
    };
    assert_eq!(refused(s.decide(fac, extend(5))), Refused::NotFound);
    s.run(fac, next(1, T0));
    let extend = |minutes| Command::ExtendSegment {
        version: 2,
        minutes,
        now: T0,
    };
    assert_eq!(refused(s.decide(fac, extend(0))), Refused::Invalid);
    assert_eq!(
        refused(s.decide(fac, extend(MINUTES_MAX + 1))),
        Refused::Invalid
    );
}

#[test]
fn extending_gives_the_segment_and_its_rooms_timers_more_time() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    s.run(fac, next(1, T0));
    s.run(fac, next(2, T0 + 15 * MIN));
    let events = s.run(
        fac,
        Command::ExtendSegment {
            version: 3,
            minutes: 4,
            now: T0 + 20 * MIN,
        },
    );
    assert_eq!(kinds(&events)[0], "extended");
    assert_eq!(kinds(&events)[1..], ["timer_extended"; 4]);
    assert_eq!(s.w.agenda.segments[1].extended, 4);
    assert_eq!(
        s.w.session.timers[&s.rooms[2]].deadline,
        Some(T0 + 29 * MIN)
    );
}

#[test]
fn planned_against_actual() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    let at = |s: &Session, now| schedule(&s.w.agenda, now);
    assert_eq!(at(&s, T0).behind_seconds, None);
    s.run(fac, next(1, T0));
    // Welcome, 15 min: 5 min in, on time with 10 min left.
    assert_eq!(at(&s, T0 + 5 * MIN).behind_seconds, Some(0));
    assert_eq!(at(&s, T0 + 5 * MIN).remaining_seconds, Some(600));
    // 19 min in: 4 min over.
    assert_eq!(at(&s, T0 + 19 * MIN).behind_seconds, Some(240));
    assert_eq!(at(&s, T0 + 19 * MIN).remaining_seconds, Some(-240));
    // The breakout starts 4 min late: it is planned to end at 25, it ends at 29.
    s.run(fac, next(2, T0 + 19 * MIN));
    assert_eq!(at(&s, T0 + 20 * MIN).behind_seconds, Some(240));
    // Extending does not change the plan: the lateness grows by the extension.
    s.run(
        fac,
        Command::ExtendSegment {
            version: 3,
            minutes: 2,
            now: T0 + 20 * MIN,
        },
    );
    assert_eq!(at(&s, T0 + 20 * MIN).behind_seconds, Some(360));
    // Skipping the vote (5 min) wins the time back: the plan no longer holds it.
    s.run(
        fac,
        Command::SkipSegment {
            version: 4,
            now: T0 + 21 * MIN,
        },
    );
    s.run(fac, next(5, T0 + 31 * MIN));
    assert_eq!(at(&s, T0 + 31 * MIN).behind_seconds, Some(360));
    assert_eq!(at(&s, T0 + 31 * MIN).remaining_seconds, None);
}

#[test]
fn a_rooms_segment_uses_the_roster_room_of_someone_never_placed() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    s.run(fac, next(1, T0));
    let dan = s.dan;
    let room = s.rooms[3];
    s.w.roster.people.push(crate::domain::roster::RosterPerson {
        id: dan,
        name: "Dan".into(),
        country: Some("PE".into()),
        email: None,
        role: Role::Delegate,
        room: Some(room),
        head: false,
        link_hash: None,
        link_revoked: false,
    });
    // A closed room is not a destination.
    s.run(fac, Command::CloseRoom { room: s.rooms[1] });
    s.run(fac, next(2, T0));
    assert_eq!(s.who(dan).room, Place::Room(room));
    assert_eq!(s.who(s.cho).room, Place::Lobby);
}

#[test]
fn the_agenda_replays_from_the_log_and_everyone_sees_it() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    s.run(fac, next(1, T0));
    s.run(fac, next(2, T0 + MIN));
    let mut replayed = Workshop::empty(s.w.id);
    for (i, e) in s.log.iter().enumerate() {
        replayed.apply(i as u64 + 1, e);
    }
    assert_eq!(replayed, s.w);
    assert_eq!(replayed.agenda.version, 3);
    for e in &s.log {
        if matches!(e, Event::AgendaSet { .. } | Event::AgendaAdvanced { .. }) {
            let audience = crate::domain::visibility::Audience::of(&s.w, e);
            assert!(audience.admits(s.who(s.dan)), "{e:?}");
        }
    }
    let view = serde_json::to_value(crate::domain::visibility::view(&s.w, s.who(s.dan))).unwrap();
    assert_eq!(view["agenda"]["version"], 3);
    assert_eq!(view["agenda"]["segments"][1]["status"], "running");
    assert_eq!(view["agenda"]["segments"][1]["plan"]["where"], "rooms");
}

#[test]
fn a_closed_workshop_refuses_agenda_commands() {
    let mut s = with_agenda();
    let org = s.organizer;
    s.run(org, Command::CloseWorkshop);
    assert_eq!(refused(s.decide(org, next(1, T0))), Refused::Closed);
}

#[test]
fn a_store_snapshot_keeps_the_rooms_a_rooms_segment_sends_people_back_to() {
    let mut s = with_agenda();
    let fac = s.facilitator;
    // Welcome sends everyone to the plenary: the agenda remembers their rooms.
    s.run(fac, next(1, T0));
    assert!(!s.w.agenda.last_rooms.is_empty());
    let json = serde_json::to_string(&s.w).expect("a snapshot");
    let restored: Workshop = serde_json::from_str(&json).expect("read back");
    assert_eq!(restored, s.w);
    assert_eq!(restored.agenda.last_rooms, s.w.agenda.last_rooms);
    // The wire's view still leaves them out.
    let view = serde_json::to_value(crate::domain::visibility::view(&s.w, s.who(s.dan))).unwrap();
    assert!(view["agenda"].get("last_rooms").is_none(), "{view}");
}
