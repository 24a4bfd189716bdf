//! Timers: deadlines, warnings, extending, pausing, cancelling, the clock.

use super::*;

// ---------------------------------------------------------------------------------------
// Timers
// ---------------------------------------------------------------------------------------

#[test]
fn a_timer_for_one_room_ends_at_now_plus_its_seconds() {
    let mut s = Live::new(2);
    let room = s.rooms[0];
    let events = s.ok(s.lead, start_timer(Some(room), 600, None, false, T0));
    assert_eq!(
        events,
        vec![Event::TimerStarted {
            room,
            deadline: T0 + 600 * S,
            seconds: 600,
            warnings: vec![300, 60],
            close_at_end: false
        }]
    );
    let t = &s.w.session.timers[&room];
    assert_eq!(t.deadline, Some(T0 + 600 * S));
    assert_eq!(t.remaining_ms, 600 * S);
    assert!(t.fired.is_empty());
    assert_eq!(s.w.session.timers.len(), 1);
}

#[test]
fn a_timer_for_all_rooms_runs_in_every_room_still_in_use() {
    let mut s = Live::new(4);
    s.remove_room(3);
    s.close_room(2);
    let events = s.ok(s.lead, start_timer(None, 900, None, false, T0));
    let rooms: Vec<RoomId> = events
        .iter()
        .map(|e| match e {
            Event::TimerStarted { room, deadline, .. } => {
                assert_eq!(*deadline, T0 + 900 * S);
                *room
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rooms, s.rooms[..3].to_vec());
}

#[test]
fn timer_warnings_are_sorted_largest_first_and_fall_before_the_end() {
    let s = Live::new(1);
    let room = Some(s.rooms[0]);
    let warnings_of = |seconds, warnings| match &s
        .decide(s.lead, start_timer(room, seconds, warnings, false, T0))
        .unwrap()[0]
    {
        Event::TimerStarted { warnings, .. } => warnings.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        warnings_of(600, Some(vec![60, 0, 600, 300, 60, 900, 30])),
        vec![300, 60, 30]
    );
    assert_eq!(warnings_of(600, None), vec![300, 60]);
    assert_eq!(
        warnings_of(120, None),
        vec![60],
        "the 5-minute warning does not fit"
    );
    assert_eq!(warnings_of(600, Some(vec![])), Vec::<u32>::new());
    let many = Some((1..=11).collect());
    let r = s.decide(s.lead, start_timer(room, 600, many, false, T0));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn a_timer_lasts_from_one_second_to_one_day() {
    let s = Live::new(1);
    let room = Some(s.rooms[0]);
    for seconds in [0, MAX_SECONDS + 1] {
        let r = s.decide(s.lead, start_timer(room, seconds, None, false, T0));
        assert_eq!(refused(r), Refused::Invalid, "{seconds}");
    }
    s.decide(s.lead, start_timer(room, MAX_SECONDS, None, false, T0))
        .unwrap();
    s.decide(s.lead, start_timer(room, 1, None, false, T0))
        .unwrap();
}

#[test]
fn a_room_that_closes_itself_is_warned_first() {
    let mut s = Live::new(1);
    let room = Some(s.rooms[0]);
    let r = s.decide(s.lead, start_timer(room, 600, Some(vec![]), true, T0));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.lead, start_timer(room, 30, None, true, T0));
    assert_eq!(
        refused(r),
        Refused::Invalid,
        "no default warning fits in 30 s"
    );
    s.ok(s.lead, start_timer(room, 600, None, true, T0));
    assert!(s.w.session.timers[&s.rooms[0]].close_at_end);
}

#[test]
fn only_staff_run_timers() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    s.put(d, 0);
    let room = Some(s.rooms[0]);
    s.ok(s.lead, start_timer(room, 600, None, false, T0));
    let commands = [
        start_timer(room, 60, None, false, T0),
        Command::ExtendTimer {
            room,
            seconds: 60,
            now: T0,
        },
        Command::PauseTimer { room, now: T0 },
        Command::ResumeTimer { room, now: T0 },
        Command::CancelTimer { room },
    ];
    for c in commands {
        assert_eq!(refused(s.decide(d, c.clone())), Refused::Forbidden, "{c:?}");
    }
}

#[test]
fn only_the_server_clock_ticks() {
    let mut s = Live::new(1);
    s.ok(s.lead, start_timer(None, 60, None, false, T0));
    let r = s.decide(s.lead, Command::Tick { now: T0 + 60 * S });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn extending_a_running_timer_moves_its_deadline_and_rearms_warnings() {
    let mut s = Live::new(1);
    let room = s.rooms[0];
    s.ok(s.lead, start_timer(Some(room), 600, None, false, T0));
    assert_eq!(s.tick(T0 + 350 * S).len(), 1, "the 5-minute warning");
    let extend = |seconds, now| Command::ExtendTimer {
        room: Some(room),
        seconds,
        now,
    };
    // 30 more seconds: 280 s left, the 5-minute warning stays announced.
    s.ok(s.lead, extend(30, T0 + 350 * S));
    let t = &s.w.session.timers[&room];
    assert_eq!(t.deadline, Some(T0 + 630 * S));
    assert_eq!(t.fired, vec![300]);
    // Two more minutes: 390 s left, the 5-minute warning will be announced again.
    let events = s.ok(s.lead, extend(120, T0 + 360 * S));
    assert_eq!(
        events,
        vec![Event::TimerExtended {
            room,
            deadline: Some(T0 + 750 * S),
            remaining_ms: 390 * S,
            fired: vec![]
        }]
    );
    assert_eq!(next_due(&s.w), Some(T0 + 450 * S));
    assert!(s.tick(T0 + 440 * S).is_empty());
    assert_eq!(
        s.tick(T0 + 450 * S),
        vec![Event::TimerWarning {
            room,
            seconds: 300,
            closes: false
        }]
    );
}

#[test]
fn extending_a_paused_timer_adds_to_what_remains() {
    let mut s = Live::new(1);
    let room = s.rooms[0];
    s.ok(s.lead, start_timer(Some(room), 600, None, false, T0));
    s.ok(
        s.lead,
        Command::PauseTimer {
            room: None,
            now: T0 + 100 * S,
        },
    );
    let events = s.ok(
        s.lead,
        Command::ExtendTimer {
            room: None,
            seconds: 60,
            now: T0 + 200 * S,
        },
    );
    assert_eq!(
        events,
        vec![Event::TimerExtended {
            room,
            deadline: None,
            remaining_ms: 560 * S,
            fired: vec![]
        }]
    );
    s.ok(
        s.lead,
        Command::ResumeTimer {
            room: None,
            now: T0 + 1000 * S,
        },
    );
    assert_eq!(s.w.session.timers[&room].deadline, Some(T0 + 1560 * S));
}

#[test]
fn pausing_freezes_a_timer_and_resuming_restarts_it() {
    let mut s = Live::new(2);
    let room = Some(s.rooms[0]);
    s.ok(s.lead, start_timer(room, 600, None, false, T0));
    s.ok(s.lead, start_timer(Some(s.rooms[1]), 900, None, false, T0));
    let events = s.ok(
        s.lead,
        Command::PauseTimer {
            room,
            now: T0 + 200 * S,
        },
    );
    assert_eq!(
        events,
        vec![Event::TimerPaused {
            room: s.rooms[0],
            remaining_ms: 400 * S
        }]
    );
    let t = &s.w.session.timers[&s.rooms[0]];
    assert_eq!((t.deadline, t.remaining_ms), (None, 400 * S));
    assert!(s
        .ok(
            s.lead,
            Command::PauseTimer {
                room,
                now: T0 + 250 * S
            }
        )
        .is_empty());
    assert_eq!(
        next_due(&s.w),
        Some(T0 + 600 * S),
        "only room 2's timer runs"
    );
    let ticked = s.tick(T0 + 700 * S);
    assert!(
        !ticked.iter().any(|e| matches!(e, Event::TimerEnded { room } | Event::TimerWarning { room, .. } if *room == s.rooms[0])),
        "a paused timer neither warns nor ends: {ticked:?}"
    );
    assert!(s.w.session.timers.contains_key(&s.rooms[0]));
    let events = s.ok(
        s.lead,
        Command::ResumeTimer {
            room,
            now: T0 + 700 * S,
        },
    );
    assert_eq!(
        events,
        vec![Event::TimerResumed {
            room: s.rooms[0],
            deadline: T0 + 1100 * S
        }]
    );
    assert!(s
        .ok(
            s.lead,
            Command::ResumeTimer {
                room,
                now: T0 + 800 * S
            }
        )
        .is_empty());
}

#[test]
fn cancelling_a_timer_removes_it() {
    let mut s = Live::new(2);
    s.ok(s.lead, start_timer(None, 600, None, false, T0));
    let room = Some(s.rooms[0]);
    assert_eq!(
        s.ok(s.lead, Command::CancelTimer { room }),
        vec![Event::TimerCancelled { room: s.rooms[0] }]
    );
    assert!(!s.w.session.timers.contains_key(&s.rooms[0]));
    assert!(s.w.session.timers.contains_key(&s.rooms[1]));
    let no_timer = [
        Command::CancelTimer { room },
        Command::PauseTimer { room, now: T0 },
        Command::ResumeTimer { room, now: T0 },
        Command::ExtendTimer {
            room,
            seconds: 60,
            now: T0,
        },
    ];
    for c in no_timer {
        assert_eq!(
            refused(s.decide(s.lead, c.clone())),
            Refused::NotFound,
            "{c:?}"
        );
    }
    s.ok(s.lead, Command::CancelTimer { room: None });
    assert!(s.w.session.timers.is_empty());
    assert_eq!(next_due(&s.w), None);
}

#[test]
fn next_due_is_the_nearest_pending_warning_or_deadline() {
    let mut s = Live::new(2);
    assert_eq!(next_due(&s.w), None);
    s.ok(s.lead, start_timer(Some(s.rooms[0]), 600, None, false, T0));
    assert_eq!(next_due(&s.w), Some(T0 + 300 * S));
    s.ok(
        s.lead,
        start_timer(Some(s.rooms[1]), 100, Some(vec![30]), false, T0),
    );
    assert_eq!(next_due(&s.w), Some(T0 + 70 * S));
    s.tick(T0 + 70 * S);
    assert_eq!(next_due(&s.w), Some(T0 + 100 * S), "room 2's end");
    s.tick(T0 + 100 * S);
    assert_eq!(next_due(&s.w), Some(T0 + 300 * S));
    s.tick(T0 + 300 * S);
    s.tick(T0 + 540 * S);
    assert_eq!(
        next_due(&s.w),
        Some(T0 + 600 * S),
        "every warning announced"
    );
}

#[test]
fn tick_announces_the_nearest_due_warning_only_once() {
    let mut s = Live::new(1);
    let room = s.rooms[0];
    s.ok(s.lead, start_timer(Some(room), 600, None, false, T0));
    assert!(s.tick(T0 + 10 * S).is_empty());
    // The server slept through the 5-minute mark: only the 1-minute warning is announced.
    assert_eq!(
        s.tick(T0 + 545 * S),
        vec![Event::TimerWarning {
            room,
            seconds: 60,
            closes: false
        }]
    );
    assert!(s.tick(T0 + 546 * S).is_empty());
    assert!(s.tick(T0 + 599 * S).is_empty());
    let mut fired = s.w.session.timers[&room].fired.clone();
    fired.sort_unstable();
    assert_eq!(fired, vec![60, 300]);
}

#[test]
fn a_timer_ends_once_and_closes_its_room_only_when_asked() {
    let mut s = Live::new(2);
    let (closing, staying) = (s.rooms[0], s.rooms[1]);
    s.ok(s.lead, start_timer(Some(closing), 600, None, true, T0));
    s.ok(s.lead, start_timer(Some(staying), 600, None, false, T0));
    let warned = s.tick(T0 + 300 * S);
    assert!(warned.contains(&Event::TimerWarning {
        room: closing,
        seconds: 300,
        closes: true
    }));
    let ended = s.tick(T0 + 600 * S);
    assert_eq!(
        ended,
        vec![
            Event::TimerEnded { room: closing },
            Event::RoomClosed { room: closing },
            Event::TimerEnded { room: staying },
        ]
    );
    assert!(!s.room(0).open);
    assert!(s.room(1).open);
    assert!(s.w.session.timers.is_empty());
    assert!(s.tick(T0 + 700 * S).is_empty());
}

#[test]
fn a_removed_room_loses_its_timer() {
    let mut s = Live::new(2);
    s.ok(s.lead, start_timer(None, 600, None, false, T0));
    s.remove_room(1);
    assert_eq!(
        s.w.session.timers.keys().collect::<Vec<_>>(),
        vec![&s.rooms[0]]
    );
}
