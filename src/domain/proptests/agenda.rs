//! The agenda in the random sessions of `proptests/`: its commands (`set_agenda`,
//! `next_segment`, `skip_segment`, `extend_segment`), the rules its state keeps after every
//! step, and the rules the events of one agenda command obey.

use super::super::agenda::{Plan, Status, Whereabouts, MINUTES_MAX, SEGMENTS_MAX};
use super::*;

/// A planned segment: mostly valid (a list of several is then often valid as a whole),
/// sometimes refused (a blank title, `hidden` without a brainstorm, 0 or too many
/// minutes, a message too long).
fn any_plan() -> impl Strategy<Value = Plan> {
    (
        prop_oneof![
            12 => prop::sample::select(vec!["Welcome", " Breakout ", "Vote"]).prop_map(String::from),
            1 => any_name(),
        ],
        prop_oneof![Just(Whereabouts::Plenary), Just(Whereabouts::Rooms)],
        prop::option::of(any_phase()),
        prop_oneof![12 => Just(false), 1 => Just(true)],
        prop::option::of(prop_oneof![
            1 => Just(0u32),
            24 => 1..30u32,
            1 => Just(MINUTES_MAX + 1),
        ]),
        prop::option::of(prop_oneof![12 => "[a-cñ ]{0,6}", 1 => any_text()]),
    )
        .prop_map(|(title, place, phase, hidden, minutes, message)| Plan {
            title,
            place,
            phase,
            hidden,
            minutes,
            message,
        })
}

/// An agenda command; its version is mostly `CURRENT` (see `resolve`), so that most are
/// not stale.
pub(super) fn agenda_command() -> BoxedStrategy<Command> {
    prop_oneof![
        2 => (any_version(), prop::collection::vec(any_plan(), 0..5))
            .prop_map(|(version, segments)| Command::SetAgenda { version, segments }),
        4 => (any_version(), any_now()).prop_map(|(version, now)| Command::NextSegment { version, now }),
        1 => (any_version(), any_now()).prop_map(|(version, now)| Command::SkipSegment { version, now }),
        1 => (
            any_version(),
            prop_oneof![1 => Just(0u32), 6 => 1..30u32, 1 => Just(MINUTES_MAX)],
            any_now(),
        )
            .prop_map(|(version, minutes, now)| Command::ExtendSegment { version, minutes, now }),
    ]
    .boxed()
}

/// Whether `command` is an agenda command.
pub(super) fn is_agenda(command: &Command) -> bool {
    matches!(
        command,
        Command::SetAgenda { .. }
            | Command::NextSegment { .. }
            | Command::SkipSegment { .. }
            | Command::ExtendSegment { .. }
    )
}

/// Whether `e` is an agenda event (each bumps `agenda.version`).
pub(super) fn is_agenda_event(e: &Event) -> bool {
    matches!(
        e,
        Event::AgendaSet { .. }
            | Event::AgendaAdvanced { .. }
            | Event::SegmentSkipped { .. }
            | Event::SegmentExtended { .. }
    )
}

/// Puts the agenda's current version into a generated agenda command that asks for it.
pub(super) fn resolve_agenda(w: &Workshop, command: &mut Command) {
    if let Command::SetAgenda { version, .. }
    | Command::NextSegment { version, .. }
    | Command::SkipSegment { version, .. }
    | Command::ExtendSegment { version, .. } = command
    {
        if *version == CURRENT {
            *version = w.agenda.version;
        }
    }
}

/// The agenda's rules: at most 40 segments, the reached ones first, at most one running
/// (followed by skipped ones only), times and extensions that match each status, plans as
/// `set_agenda` checks them, and every remembered room a room of the workshop.
pub(super) fn check_agenda(w: &Workshop) {
    let agenda = &w.agenda;
    assert!(agenda.segments.len() <= SEGMENTS_MAX, "too many segments");
    let reached = agenda.reached();
    assert!(
        agenda.segments[reached..]
            .iter()
            .all(|s| s.status == Status::Pending),
        "a segment reached after a pending one: {:?}",
        agenda.segments
    );
    let running: Vec<usize> = (0..agenda.segments.len())
        .filter(|i| agenda.segments[*i].status == Status::Running)
        .collect();
    assert!(running.len() <= 1, "two segments run: {running:?}");
    // Skipping marks the next pending segment: only skipped ones follow the running one.
    if let Some(i) = running.first() {
        assert!(
            agenda.segments[*i + 1..reached]
                .iter()
                .all(|s| s.status == Status::Skipped),
            "a segment done after the running one: {:?}",
            agenda.segments
        );
    }
    for (i, s) in agenda.segments.iter().enumerate() {
        let times = (s.started_at.is_some(), s.ended_at.is_some());
        let expected = match s.status {
            Status::Pending => (false, false),
            Status::Running => (true, false),
            Status::Done => (true, true),
            Status::Skipped => (false, true),
        };
        assert_eq!(
            times, expected,
            "segment {i} is {:?} with {times:?}",
            s.status
        );
        assert!(
            s.extended == 0 || matches!(s.status, Status::Running | Status::Done),
            "segment {i} extended while {:?}",
            s.status
        );
        assert!(s.extended <= MINUTES_MAX, "segment {i} extended too long");
        assert_eq!(
            s.plan.validated().as_ref(),
            Ok(&s.plan),
            "segment {i}'s plan would be refused"
        );
    }
    for (who, room) in &agenda.last_rooms {
        assert!(
            w.participants.contains_key(who),
            "{who} remembered, never joined"
        );
        assert!(
            w.rooms.iter().any(|r| r.id == *room),
            "{who} remembered in unknown room {room}"
        );
    }
}

/// The rules the events of one successful agenda command obey, judged against the state
/// `before` it: staff sent it, on the current version, and it produced its own event first.
pub(super) fn check_agenda_events(
    before: &Workshop,
    actor: Actor,
    command: &Command,
    events: &[Event],
) {
    let Actor::Participant(who) = actor else {
        panic!("the server ran {command:?}");
    };
    let me = before.participants.get(&who).expect("a participant");
    assert!(me.role.is_staff() && !me.removed, "{who} ran {command:?}");
    let (Command::SetAgenda { version, .. }
    | Command::NextSegment { version, .. }
    | Command::SkipSegment { version, .. }
    | Command::ExtendSegment { version, .. }) = command
    else {
        return;
    };
    assert_eq!(
        *version, before.agenda.version,
        "a stale {command:?} passed"
    );
    let reached = before.agenda.reached();
    match (command, events.first()) {
        (Command::SetAgenda { segments, .. }, Some(Event::AgendaSet { from, segments: s })) => {
            assert_eq!(events.len(), 1);
            assert_eq!(*from, reached, "set_agenda rewrote the past");
            assert_eq!(s.len(), segments.len());
        }
        (Command::NextSegment { now, .. }, Some(Event::AgendaAdvanced { ended, started, at })) => {
            assert_eq!(*at, *now);
            assert_eq!(*ended, before.agenda.running());
            let next = (reached < before.agenda.segments.len()).then_some(reached);
            assert_eq!(*started, next);
            assert!(
                ended.is_some() || started.is_some(),
                "a step that did nothing"
            );
        }
        (Command::SkipSegment { now, .. }, Some(Event::SegmentSkipped { segment, at })) => {
            assert_eq!(events.len(), 1);
            assert_eq!((*segment, *at), (reached, *now));
        }
        (
            Command::ExtendSegment { minutes, .. },
            Some(Event::SegmentExtended {
                segment,
                minutes: m,
            }),
        ) => {
            assert_eq!(Some(*segment), before.agenda.running());
            assert_eq!(m, minutes);
            assert!(events[1..]
                .iter()
                .all(|e| matches!(e, Event::TimerExtended { .. })));
        }
        _ => panic!("{command:?} produced {events:?}"),
    }
    assert_eq!(
        events.iter().filter(|e| is_agenda_event(e)).count(),
        1,
        "one agenda event per agenda command: {events:?}"
    );
}

/// The random sessions issue every agenda command (the properties would otherwise never
/// see one): a fixed-seed sample of their steps.
#[test]
fn random_steps_include_every_agenda_command() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let steps = any_step();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4000 {
        let (_, command) = steps.new_tree(&mut runner).unwrap().current();
        seen.insert(command.kind());
    }
    for kind in [
        "set_agenda",
        "next_segment",
        "skip_segment",
        "extend_segment",
    ] {
        assert!(seen.contains(kind), "no {kind} in 4000 random steps");
    }
}

/// A whole agenda run through the same checks as the random sessions: set, start a rooms
/// segment (people go back to their rooms, a timer starts), extend it, move to a plenary,
/// skip one, replan what is left, run to the end.
#[test]
fn an_agenda_run_keeps_every_rule_and_replays_exactly() {
    let plan = |title: &str, place, phase, minutes| Plan {
        title: title.into(),
        place,
        phase,
        hidden: false,
        minutes,
        message: Some(format!("{title} now")),
    };
    let staff = Actor::Participant(person(1));
    let organizer = Actor::Participant(person(0));
    let segments = vec![
        plan(
            "Breakout",
            Whereabouts::Rooms,
            Some(Phase::Brainstorm),
            Some(10),
        ),
        plan("Plenary", Whereabouts::Plenary, None, Some(5)),
        plan("Vote", Whereabouts::Rooms, Some(Phase::Vote), Some(5)),
        plan("Close", Whereabouts::Plenary, Some(Phase::Closed), None),
    ];
    let now = 1_800_000_000_000;
    let steps = [
        (organizer, Command::ReturnToLobby),
        (
            staff,
            Command::SetAgenda {
                version: CURRENT,
                segments: segments.clone(),
            },
        ),
        (
            staff,
            Command::NextSegment {
                version: CURRENT,
                now,
            },
        ),
        (
            organizer,
            Command::ExtendSegment {
                version: CURRENT,
                minutes: 3,
                now,
            },
        ),
        (
            staff,
            Command::NextSegment {
                version: CURRENT,
                now: now + 60_000,
            },
        ),
        (
            staff,
            Command::SkipSegment {
                version: CURRENT,
                now: now + 61_000,
            },
        ),
        (
            staff,
            Command::SetAgenda {
                version: CURRENT,
                segments: segments[3..].to_vec(),
            },
        ),
        (
            staff,
            Command::NextSegment {
                version: CURRENT,
                now: now + 62_000,
            },
        ),
        (
            staff,
            Command::NextSegment {
                version: CURRENT,
                now: now + 63_000,
            },
        ),
    ];
    let end = run_session(reference_settings(), true, &steps).unwrap();
    let statuses: Vec<Status> = end.agenda.segments.iter().map(|s| s.status).collect();
    use Status::{Done, Skipped};
    assert_eq!(
        statuses,
        [Done, Done, Skipped, Done],
        "every step was taken"
    );
    assert_eq!(end.agenda.segments[0].extended, 3);
    assert_eq!(end.agenda.version, 8);
}

/// A step of a session whose staff run the agenda while they also move people, open,
/// close, create and remove rooms and run timers: agenda commands mostly succeed.
fn agenda_step() -> impl Strategy<Value = (Actor, Command)> {
    let staff = (0..3u128).prop_map(|n| Actor::Participant(person(n)));
    prop_oneof![
        6 => (staff.clone(), agenda_command()),
        3 => (staff.clone(), session_command()),
        2 => (staff, facilitation_command()),
        1 => (any_actor(), agenda_command()),
    ]
}

proptest! {
    #![proptest_config(Config {
        cases: cases(64),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn agendas_run_amid_the_session_keep_every_rule(
        settings in any_settings(),
        steps in prop::collection::vec(agenda_step(), 0..60)
    ) {
        run_session(settings, true, &steps)?;
    }
}
