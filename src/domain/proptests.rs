//! Property tests of the domain core: random command sequences, issued by random actors,
//! against a workshop in session.
//!
//! Ids come from small pools (five rooms of which four exist, ten participants of which seven
//! have joined, ten cards), so commands often hit existing things and sometimes unknown
//! ones. Every successful `decide` is applied to a live state with increasing `seq` and
//! recorded in a log; after every step and at the end the checks below must hold.

use super::settings::limits;
use super::tests::reference_settings;
use super::visibility::{reshapes_view_of, view, Audience};
use super::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Rooms `0..ROOMS` exist; room `ROOMS` never does.
const ROOMS: u128 = 4;
/// Participants: 0 the organizer, 1-2 facilitators, 3-6 delegates, 7-9 not yet joined.
const PEOPLE: u128 = 10;
const CARDS: u128 = 10;

fn room(n: u128) -> RoomId {
    RoomId(Uuid::from_u128(0x100 + n))
}

fn person(n: u128) -> ParticipantId {
    ParticipantId(Uuid::from_u128(0x1000 + n))
}

fn card(n: u128) -> CardId {
    CardId(Uuid::from_u128(0xC000 + n))
}

/// A workshop in session and the log that built it: the organizer, two facilitators (one
/// of them placed in room 3), delegates 3 and 4 in room 1, delegate 5 in room 2 and
/// delegate 6 in the lobby.
fn session() -> (Workshop, Vec<Event>) {
    let id = WorkshopId(Uuid::from_u128(7));
    let mut log = Workshop::create(
        id,
        reference_settings(),
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
            country: Some("ar".into()),
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

/// Any room, favouring the busy ones (room 1 holds two delegates) over the empty ones and
/// the one that does not exist.
fn any_room() -> impl Strategy<Value = RoomId> {
    prop_oneof![
        5 => Just(room(0)),
        3 => Just(room(1)),
        1 => (2..=ROOMS).prop_map(room),
    ]
}

fn any_card() -> impl Strategy<Value = CardId> {
    (0..CARDS).prop_map(card)
}

/// Anyone from the pool, mostly people who have joined.
fn any_person() -> impl Strategy<Value = ParticipantId> {
    prop_oneof![
        8 => (0..7u128).prop_map(person),
        1 => (7..PEOPLE).prop_map(person),
    ]
}

fn any_place() -> impl Strategy<Value = Place> {
    prop_oneof![
        1 => Just(Place::Lobby),
        4 => any_room().prop_map(Place::Room),
    ]
}

/// Mostly short texts (sometimes empty or blank, often multi-byte), sometimes right around
/// the 1000-character limit.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-cñé🌎 ]{0,8}",
        1 => Just(" \t\n".to_string()),
        2 => (limits::CARD_TEXT_MAX - 2..=limits::CARD_TEXT_MAX + 2)
            .prop_map(|n| format!(" {} ", "ñ".repeat(n))),
    ]
}

fn any_column() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["strengths", "problems", "solutions"]),
        1 => prop::sample::select(vec!["Strengths", "nope", ""]),
    ]
    .prop_map(String::from)
}

fn any_role() -> impl Strategy<Value = Role> {
    prop_oneof![
        1 => Just(Role::Organizer),
        3 => Just(Role::Facilitator),
        6 => Just(Role::Delegate),
    ]
}

fn any_join() -> impl Strategy<Value = Command> {
    (
        prop_oneof![3 => (7..PEOPLE).prop_map(person), 1 => any_person()],
        prop::sample::select(vec!["Ana", "  Bo ", "María", "Zé", ""]),
        prop::sample::select(vec![
            Some("ar"),
            Some(" BR "),
            Some("UY"),
            Some("ARG"),
            None,
        ]),
        prop::sample::select(vec!["en", "es", "pt", "es", "fr"]),
        any_role(),
    )
        .prop_map(
            |(participant, name, country, language, role)| Command::Join {
                participant,
                name: name.into(),
                country: country.map(Into::into),
                language: language.into(),
                role,
            },
        )
}

/// A command other than joining, which participants send over their socket.
fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        10 => (any_card(), any_room(), any_column(), any_text()).prop_map(
            |(card, room, column, text)| Command::PostCard { card, room, column, text }
        ),
        5 => (any_card(), any_text()).prop_map(|(card, text)| Command::EditCard { card, text }),
        3 => any_card().prop_map(|card| Command::DeleteCard { card }),
        5 => (any_person(), any_place())
            .prop_map(|(participant, to)| Command::MoveParticipant { participant, to }),
        2 => any_room().prop_map(|room| Command::OpenRoom { room }),
        1 => any_room().prop_map(|room| Command::CloseRoom { room }),
    ]
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        1 => Just(Actor::Server),
        12 => any_person().prop_map(Actor::Participant),
    ]
}

/// One step of a session: mostly participants' commands, sometimes someone joining
/// (usually through the server, as the join endpoint does; now and then, wrongly, not).
fn any_step() -> impl Strategy<Value = (Actor, Command)> {
    prop_oneof![
        2 => (prop_oneof![4 => Just(Actor::Server), 1 => any_actor()], any_join()),
        25 => (any_actor(), any_command()),
    ]
}

fn is_board_command(command: &Command) -> bool {
    matches!(
        command,
        Command::PostCard { .. } | Command::EditCard { .. } | Command::DeleteCard { .. }
    )
}

/// The rules every state reachable through `decide` must obey.
fn check_state(w: &Workshop) {
    let settings = w.settings.as_ref().expect("the workshop exists");
    for (i, r) in w.rooms.iter().enumerate() {
        assert!(
            w.rooms[..i].iter().all(|o| o.id != r.id),
            "room {} twice",
            r.id
        );
    }
    for (id, c) in &w.cards {
        assert_eq!(*id, c.id);
        assert!(
            w.room(c.room).is_ok(),
            "card {id} in unknown room {}",
            c.room
        );
        assert!(
            settings.columns.iter().any(|col| col.key == c.column),
            "card {id} in unknown column {:?}",
            c.column
        );
        assert!(!c.text.trim().is_empty(), "card {id} is blank");
        assert_eq!(c.text, c.text.trim(), "card {id} is not trimmed");
        assert!(
            c.text.chars().count() <= limits::CARD_TEXT_MAX,
            "card {id} too long"
        );
        assert!(
            w.participants.contains_key(&c.author),
            "card {id} has no author"
        );
        assert!(c.seq <= w.seq);
    }
    for r in &w.rooms {
        let on_board = w.cards.values().filter(|c| c.room == r.id).count();
        assert!(on_board <= limits::CARDS_PER_ROOM_MAX);
    }
    assert!(w.participants.len() <= limits::PARTICIPANTS_MAX);
    for (id, p) in &w.participants {
        assert_eq!(*id, p.id);
        if let Place::Room(r) = p.room {
            assert!(w.room(r).is_ok(), "participant {id} in unknown room {r}");
        }
        if p.role == Role::Organizer {
            assert_eq!(p.room, Place::Lobby, "the organizer was placed in a room");
        }
        assert!(!p.name.is_empty() && p.name == p.name.trim());
        assert!(p.name.chars().count() <= limits::NAME_MAX);
        assert!(settings.languages.contains(&p.language));
        match (&p.country, p.role) {
            (Some(c), _) => assert!(
                c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()),
                "country {c:?}"
            ),
            (None, role) => assert!(role.is_staff(), "delegate {id} without a country"),
        }
    }
}

/// The rules the events of one successful command must obey, judged against the state
/// `before` the command.
fn check_events(before: &Workshop, actor: Actor, command: &Command, events: &[Event]) {
    let issuer = match actor {
        Actor::Participant(who) => before.participants.get(&who),
        Actor::Server => None,
    };
    match command {
        Command::Join { .. } => assert_eq!(actor, Actor::Server, "a participant added someone"),
        Command::MoveParticipant { .. } | Command::OpenRoom { .. } | Command::CloseRoom { .. } => {
            let me = issuer.expect("facilitation needs a participant");
            assert!(me.role.is_staff(), "a delegate ran {command:?}");
        }
        Command::PostCard { .. } | Command::EditCard { .. } | Command::DeleteCard { .. } => {
            issuer.expect("a board command needs a participant");
        }
    }
    assert!(events.len() <= 1, "one command, one event: {events:?}");
    for e in events {
        match (command, e) {
            (Command::Join { participant, .. }, Event::ParticipantJoined { participant: p }) => {
                assert_eq!(p.id, *participant);
                assert_eq!(p.room, Place::Lobby, "joiners wait in the lobby");
                assert!(!before.participants.contains_key(participant));
            }
            (
                Command::PostCard {
                    card, room, column, ..
                },
                Event::CardPosted {
                    card: c,
                    room: r,
                    column: col,
                    author,
                    ..
                },
            ) => {
                assert_eq!((c, r, col), (card, room, column));
                assert_eq!(Actor::Participant(*author), actor);
                assert!(!before.cards.contains_key(card));
            }
            (Command::EditCard { card, .. }, Event::CardEdited { card: c, room, .. })
            | (Command::DeleteCard { card }, Event::CardDeleted { card: c, room }) => {
                assert_eq!(c, card);
                assert_eq!(before.card(*card).unwrap().room, *room);
            }
            (
                Command::MoveParticipant { participant, to },
                Event::ParticipantMoved {
                    participant: p,
                    from,
                    room,
                },
            ) => {
                assert_eq!((p, room), (participant, to));
                assert_eq!(before.participant(*p).unwrap().room, *from);
                assert_ne!(from, room, "a move that goes nowhere");
            }
            (Command::OpenRoom { room }, Event::RoomOpened { room: r })
            | (Command::CloseRoom { room }, Event::RoomClosed { room: r }) => assert_eq!(r, room),
            _ => panic!("{command:?} produced {e:?}"),
        }
        // (5) Nothing is ever written on a closed room's board.
        if let Audience::Room(r) = Audience::of(e) {
            assert!(before.room(r).unwrap().open, "{e:?} on closed room {r}");
        }
        // (4) A delegate acts only on the board of the room they are in, on their own cards.
        if let Some(me) = issuer.filter(|me| me.role == Role::Delegate) {
            if is_board_command(command) {
                assert_eq!(
                    Audience::of(e),
                    Audience::Room(
                        me.room
                            .room()
                            .unwrap_or_else(|| panic!("delegate in the lobby produced {e:?}"))
                    )
                );
                if let Event::CardEdited { card, .. } | Event::CardDeleted { card, .. } = e {
                    assert_eq!(before.card(*card).unwrap().author, me.id);
                }
            }
        }
    }
}

/// What a client knows of the boards: its card list, built from a snapshot and the events
/// the server lets through.
type Board = BTreeMap<CardId, (RoomId, String, String)>;

fn snapshot(w: &Workshop, who: &Participant) -> Board {
    view(w, who)
        .cards
        .iter()
        .map(|c| (c.id, (c.room, c.column.clone(), c.text.clone())))
        .collect()
}

fn fold(board: &mut Board, e: &Event) {
    match e {
        Event::CardPosted {
            card,
            room,
            column,
            text,
            ..
        } => {
            board.insert(*card, (*room, column.clone(), text.clone()));
        }
        Event::CardEdited { card, text, .. } => {
            if let Some(c) = board.get_mut(card) {
                c.2 = text.clone();
            }
        }
        Event::CardDeleted { card, .. } => {
            board.remove(card);
        }
        _ => {}
    }
}

/// Each participant's view: what `view` shows them must be exactly what a connected client
/// holds after its snapshot and every event `Audience` admits to it (with a fresh snapshot
/// when `reshapes_view_of` says so), and it must respect room isolation.
fn check_views(w: &Workshop, clients: &mut BTreeMap<ParticipantId, Board>, e: Option<&Event>) {
    for p in w.participants.values() {
        let board = clients.entry(p.id).or_insert_with(|| snapshot(w, p));
        if let Some(e) = e {
            if reshapes_view_of(e, p.id) {
                *board = snapshot(w, p);
            } else if Audience::of(e).admits(p) {
                fold(board, e);
            }
        }
        assert_eq!(
            *board,
            snapshot(w, p),
            "client of {} drifted after {e:?}",
            p.id
        );
        let v = view(w, p);
        assert!(v.cards.windows(2).all(|pair| pair[0].seq < pair[1].seq));
        match (p.role.is_staff(), p.room) {
            (true, _) => assert_eq!(v.cards.len(), w.cards.len()),
            (false, Place::Lobby) => assert!(v.cards.is_empty()),
            (false, Place::Room(r)) => {
                let in_room = w.cards.values().filter(|c| c.room == r).count();
                assert!(v.cards.iter().all(|c| c.room == r));
                assert_eq!(v.cards.len(), in_room);
            }
        }
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 128,
        // Shrunk failures are printed; no regression files are written into the tree.
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_sessions_keep_every_rule_and_replay_exactly(
        steps in prop::collection::vec(any_step(), 0..60)
    ) {
        let (mut live, mut log) = session();
        check_state(&live);
        let mut clients = BTreeMap::new();
        check_views(&live, &mut clients, None);

        for (actor, command) in &steps {
            let before = live.clone();
            let result = decide(&live, *actor, command);
            // (3) `decide` is pure: it leaves the state as it was and answers the same again.
            prop_assert_eq!(&live, &before);
            prop_assert_eq!(&decide(&live, *actor, command), &result);
            let Ok(events) = result else { continue };
            check_events(&before, *actor, command, &events);
            for e in &events {
                let seq = live.seq + 1;
                live.apply(seq, e);
                prop_assert_eq!(live.seq, seq);
                log.push(e.clone());
                check_views(&live, &mut clients, Some(e));
            }
            // (2) No rule is ever broken.
            check_state(&live);
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
    }

    /// Boards see plenty of traffic only when delegates stay put; this variant keeps rooms
    /// open and people in place, so posts, edits and deletes mostly succeed.
    #[test]
    fn busy_boards_replay_exactly(
        steps in prop::collection::vec(
            (
                (1..7u128).prop_map(|n| Actor::Participant(person(n))),
                prop_oneof![
                    3 => (any_card(), (0..ROOMS).prop_map(room), any_column(), any_text())
                        .prop_map(|(card, room, column, text)| {
                            Command::PostCard { card, room, column, text }
                        }),
                    2 => (any_card(), any_text())
                        .prop_map(|(card, text)| Command::EditCard { card, text }),
                    1 => any_card().prop_map(|card| Command::DeleteCard { card }),
                ],
            ),
            0..60,
        )
    ) {
        let (mut live, mut log) = session();
        let mut clients = BTreeMap::new();
        check_views(&live, &mut clients, None);
        for (actor, command) in &steps {
            let before = live.clone();
            let Ok(events) = decide(&live, *actor, command) else {
                prop_assert_eq!(&live, &before);
                continue;
            };
            check_events(&before, *actor, command, &events);
            for e in &events {
                live.apply(live.seq + 1, e);
                log.push(e.clone());
                check_views(&live, &mut clients, Some(e));
            }
            check_state(&live);
        }
        let mut replayed = Workshop::empty(live.id);
        for (i, e) in log.iter().enumerate() {
            replayed.apply(i as u64 + 1, e);
        }
        prop_assert_eq!(&replayed, &live);
    }
}
