//! Property tests of the domain core: random command sequences, issued by random actors,
//! against a workshop in session.
//!
//! Ids come from small pools (five rooms of which four exist, ten participants of which seven
//! have joined, ten cards, three groups, three conclusions), so commands often hit existing
//! things and sometimes unknown ones. Every successful `decide` is applied to a live state
//! with increasing `seq` and recorded in a log; after every step and at the end the checks
//! below must hold.

use super::phase::Phase;
use super::reports;
use super::settings::{default_themes, limits};
use super::tests::reference_settings;
use super::visibility::{sees_card, view, Audience, Reshape};
use super::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeMap;
use uuid::Uuid;

mod agenda;
mod checks;
mod event_checks;
mod strategies;
mod views;
use agenda::{agenda_command, check_agenda, check_agenda_events, is_agenda, is_agenda_event};
use checks::*;
use event_checks::*;
use strategies::*;
use views::*;

/// Rooms `0..ROOMS` exist; room `ROOMS` never does.
const ROOMS: u128 = 4;
/// Participants: 0 the organizer, 1-2 facilitators, 3-6 delegates, 7-9 not yet joined.
const PEOPLE: u128 = 10;
const CARDS: u128 = 10;
const GROUPS: u128 = 3;
const CONCLUSIONS: u128 = 3;
/// A version in a generated `edit_conclusion` or `remove_conclusion` that the harness
/// replaces with the conclusion's current version, so that edits are often not stale.
const CURRENT: u64 = u64::MAX;

fn room(n: u128) -> RoomId {
    RoomId(Uuid::from_u128(0x100 + n))
}

fn person(n: u128) -> ParticipantId {
    ParticipantId(Uuid::from_u128(0x1000 + n))
}

fn card(n: u128) -> CardId {
    CardId(Uuid::from_u128(0xC000 + n))
}

fn group(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(0xD000 + n))
}

fn conclusion(n: u128) -> ConclusionId {
    ConclusionId(Uuid::from_u128(0xE000 + n))
}

/// A workshop in session and the log that built it: the organizer, two facilitators (one
/// of them placed in room 3), delegates 3 and 4 in room 1, delegate 5 in room 2 and
/// delegate 6 in the lobby. Delegates come from three countries.
fn session(settings: Settings) -> (Workshop, Vec<Event>) {
    let id = WorkshopId(Uuid::from_u128(7));
    let mut log = Workshop::create(
        id,
        settings,
        settings::default_room_names(),
        (0..ROOMS).map(room),
        person(0),
    )
    .unwrap();
    let mut w = Workshop::empty(id);
    for (i, e) in log.iter().enumerate() {
        w.apply(i as u64 + 1, e);
    }
    let mut run = |w: &mut Workshop, actor: Actor, command: Command| {
        for e in decide(w, actor, &command).unwrap() {
            w.apply(w.seq + 1, &e);
            log.push(e);
        }
    };
    for n in 1..=6 {
        let role = if n <= 2 {
            Role::Facilitator
        } else {
            Role::Delegate
        };
        let joining = Command::Join {
            participant: person(n),
            name: format!("Person {n}"),
            country: Some(["ar", "br", "cl"][n as usize % 3].into()),
            language: "es".into(),
            role,
        };
        run(&mut w, Actor::Server, joining);
    }
    for (who, to) in [(2, 2), (3, 0), (4, 0), (5, 1)] {
        let placing = Command::MoveParticipant {
            participant: person(who),
            to: Place::Room(room(to)),
        };
        run(&mut w, Actor::Participant(person(1)), placing);
    }
    (w, log)
}

/// Posts cards 0-3 before the steps run: two by the delegates of room 1, one by the
/// delegate of room 2 and one by a facilitator in room 2.
fn seed_cards(w: &mut Workshop, log: &mut Vec<Event>) {
    for (who, to, n) in [(3, 0, 0), (4, 0, 1), (5, 1, 2), (1, 1, 3)] {
        let posting = Command::PostCard {
            card: card(n),
            room: room(to),
            column: "problems".into(),
            text: format!("seed {n}"),
        };
        for e in decide(w, Actor::Participant(person(who)), &posting).unwrap() {
            w.apply(w.seq + 1, &e);
            log.push(e);
        }
    }
}

/// Runs `steps` against a session with `settings` and checks everything above after each
/// event and at the end.
fn run_session(
    settings: Settings,
    seeded: bool,
    steps: &[(Actor, Command)],
) -> Result<Workshop, TestCaseError> {
    let (mut live, mut log) = session(settings);
    if seeded {
        seed_cards(&mut live, &mut log);
    }
    check_state(&live);
    let mut clients = BTreeMap::new();
    check_views(None, &live, &mut clients, None);
    let mut versions: BTreeMap<ConclusionId, u64> = BTreeMap::new();

    for (actor, command) in steps {
        let command = resolve(&live, command);
        let before = live.clone();
        let result = decide(&live, *actor, &command);
        // (3) `decide` is pure: it leaves the state as it was and answers the same again.
        prop_assert_eq!(&live, &before);
        prop_assert_eq!(&decide(&live, *actor, &command), &result);
        let Ok(events) = result else { continue };
        check_events(&before, *actor, &command, &events);
        for e in &events {
            let prior = live.clone();
            let seq = live.seq + 1;
            live.apply(seq, e);
            prop_assert_eq!(live.seq, seq);
            log.push(e.clone());
            check_applied(&prior, &live, e);
            check_views(Some(&prior), &live, &mut clients, Some(e));
        }
        // (2) No rule is ever broken.
        check_state(&live);
        // (6) A conclusion's version only grows, for as long as it exists.
        for k in &live.conclusions {
            if let Some(old) = versions.get(&k.id) {
                prop_assert!(k.version >= *old, "conclusion {} went back", k.id);
            }
        }
        versions = live.conclusions.iter().map(|k| (k.id, k.version)).collect();
    }

    // (1) Replaying the log rebuilds the live state exactly, also from its JSON form
    // (which is what the store keeps).
    let mut replayed = Workshop::empty(WorkshopId::random());
    let mut from_json = Workshop::empty(WorkshopId::random());
    for (i, e) in log.iter().enumerate() {
        let seq = i as u64 + 1;
        replayed.apply(seq, e);
        let stored = serde_json::to_string(e).unwrap();
        from_json.apply(seq, &serde_json::from_str::<Event>(&stored).unwrap());
    }
    prop_assert_eq!(&replayed, &live);
    prop_assert_eq!(&from_json, &live);
    // (7) A snapshot (the state's JSON form, as the store keeps it) taken after any event,
    // plus the events after it, rebuilds the live state exactly.
    let mut prefix = Workshop::empty(live.id);
    for (i, e) in log.iter().enumerate() {
        prefix.apply(i as u64 + 1, e);
        let stored = serde_json::to_string(&prefix).unwrap();
        let mut resumed: Workshop = serde_json::from_str(&stored).unwrap();
        prop_assert_eq!(&resumed, &prefix);
        for (j, later) in log.iter().enumerate().skip(i + 1) {
            resumed.apply(j as u64 + 1, later);
        }
        prop_assert_eq!(&resumed, &live);
    }
    // (8) Every agenda event bumped the agenda's version once.
    let agenda_events = log.iter().filter(|e| is_agenda_event(e)).count();
    prop_assert_eq!(live.agenda.version, agenda_events as u64);
    Ok(live)
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(Config {
        // PROPTEST_CASES raises it (CI runs more).
        cases: cases(96),
        // Shrunk failures are printed; no regression files are written into the tree.
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_sessions_keep_every_rule_and_replay_exactly(
        settings in any_settings(),
        steps in prop::collection::vec(any_step(), 0..60)
    ) {
        run_session(settings, false, &steps)?;
    }

    /// Boards see plenty of traffic only when delegates stay put; this variant keeps rooms
    /// open and people in place, so posts, edits and deletes mostly succeed.
    #[test]
    fn busy_boards_replay_exactly(
        steps in prop::collection::vec(
            (
                (1..7u128).prop_map(|n| Actor::Participant(person(n))),
                prop_oneof![
                    3 => (any_card(CARDS), (0..ROOMS).prop_map(room), any_column(), any_text())
                        .prop_map(|(card, room, column, text)| {
                            Command::PostCard { card, room, column, text }
                        }),
                    2 => (any_card(CARDS), any_text())
                        .prop_map(|(card, text)| Command::EditCard { card, text }),
                    1 => any_card(CARDS).prop_map(|card| Command::DeleteCard { card }),
                ],
            ),
            0..60,
        )
    ) {
        run_session(reference_settings(), false, &steps)?;
    }

    /// Boards run through their phases with people in place: posting, dot voting, grouping,
    /// tagging, moderating and concluding mostly succeed.
    #[test]
    fn boards_through_their_phases_keep_every_rule(
        settings in any_settings(),
        steps in prop::collection::vec(board_step(), 20..150)
    ) {
        run_session(settings, true, &steps)?;
    }
}
