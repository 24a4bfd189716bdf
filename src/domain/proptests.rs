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
use agenda::{agenda_command, check_agenda, check_agenda_events, is_agenda, is_agenda_event};

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

/// The reference settings with random voting and grouping choices.
fn any_settings() -> impl Strategy<Value = Settings> {
    (
        prop_oneof![1 => Just(0u32), 6 => 1..=4u32],
        prop_oneof![2 => Just(None), 1 => (1..=2u32).prop_map(Some)],
        prop_oneof![
            Just(VotesVisibility::Live),
            Just(VotesVisibility::AfterVote)
        ],
        any::<bool>(),
    )
        .prop_map(|(budget, max, visibility, delegates_group)| Settings {
            votes_per_participant: budget,
            max_votes_per_card: max,
            votes_visibility: visibility,
            delegates_can_group: delegates_group,
            ..reference_settings()
        })
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

/// One of the first `pool` card ids.
fn any_card(pool: u128) -> impl Strategy<Value = CardId> {
    (0..pool).prop_map(card)
}

fn any_cards(pool: u128) -> impl Strategy<Value = Vec<CardId>> {
    prop::collection::vec(any_card(pool), 0..4)
}

fn any_group() -> impl Strategy<Value = GroupId> {
    (0..GROUPS).prop_map(group)
}

fn any_conclusion() -> impl Strategy<Value = ConclusionId> {
    (0..CONCLUSIONS).prop_map(conclusion)
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

/// Short names (sometimes blank) for groups.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["Access", " Data ", "Skills"]),
        1 => prop::sample::select(vec!["", "  "]),
    ]
    .prop_map(String::from)
}

fn any_column() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["strengths", "problems", "solutions"]),
        1 => prop::sample::select(vec!["Strengths", "nope", ""]),
    ]
    .prop_map(String::from)
}

/// A theme key: one of the defaults, the one `any_themes` may add, or an unknown one.
fn any_theme() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["governance", "data", "divide"]),
        1 => prop::sample::select(vec!["extra", "nope", ""]),
    ]
    .prop_map(String::from)
}

fn any_tag() -> impl Strategy<Value = Option<String>> {
    prop_oneof![1 => Just(None), 4 => any_theme().prop_map(Some)]
}

/// A new list of themes: some of the defaults, perhaps one more, rarely an invalid list.
fn any_themes() -> impl Strategy<Value = Vec<Theme>> {
    (
        prop::sample::subsequence(default_themes(), 0..=6),
        prop_oneof![
            3 => Just(None),
            2 => Just(Some("extra")),
            1 => Just(Some("Not A Key")),
            1 => Just(Some("governance")),
        ],
    )
        .prop_map(|(mut themes, more)| {
            if let Some(key) = more {
                themes.push(Theme {
                    key: key.into(),
                    title: "Another theme".into(),
                    hint: None,
                });
            }
            themes
        })
}

fn any_phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        2 => Just(Phase::Brainstorm),
        2 => Just(Phase::Reveal),
        4 => Just(Phase::Vote),
        2 => Just(Phase::Consolidate),
        1 => Just(Phase::Closed),
    ]
}

fn any_version() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(CURRENT), 1 => 0..4u64]
}

fn any_status() -> impl Strategy<Value = Option<ConclusionStatus>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(ConclusionStatus::Draft)),
        1 => Just(Some(ConclusionStatus::Final)),
    ]
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

/// Posting, editing, deleting and moderating cards on `rooms`, with the first `pool` card
/// ids and texts from `texts`.
fn card_command(
    pool: u128,
    rooms: BoxedStrategy<RoomId>,
    texts: BoxedStrategy<String>,
) -> impl Strategy<Value = Command> {
    prop_oneof![
        10 => (any_card(pool), rooms, any_column(), texts.clone()).prop_map(
            |(card, room, column, text)| Command::PostCard { card, room, column, text }
        ),
        5 => (any_card(pool), texts).prop_map(|(card, text)| Command::EditCard { card, text }),
        3 => any_card(pool).prop_map(|card| Command::DeleteCard { card }),
        1 => any_card(pool).prop_map(|card| Command::HideCard { card }),
        1 => any_card(pool).prop_map(|card| Command::ShowCard { card }),
    ]
}

/// Moving people, opening and closing rooms, setting phases.
fn facilitation_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        5 => (any_person(), any_place())
            .prop_map(|(participant, to)| Command::MoveParticipant { participant, to }),
        2 => any_room().prop_map(|room| Command::OpenRoom { room }),
        1 => any_room().prop_map(|room| Command::CloseRoom { room }),
        2 => set_phase(),
    ]
}

fn set_phase() -> impl Strategy<Value = Command> {
    (
        prop_oneof![1 => Just(None), 3 => any_room().prop_map(Some)],
        any_phase(),
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(room, phase, hidden)| Command::SetPhase {
            room,
            phase,
            hidden,
        })
}

fn vote_command(pool: u128) -> impl Strategy<Value = Command> {
    prop_oneof![
        2 => any_card(pool).prop_map(|card| Command::Vote { card }),
        1 => any_card(pool).prop_map(|card| Command::Unvote { card }),
    ]
}

/// Grouping and tagging.
fn group_command(pool: u128) -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => (any_group(), prop::collection::vec(any_card(pool), 0..3), any_name())
            .prop_map(|(group, cards, name)| Command::GroupCards { group, cards, name }),
        3 => (any_card(pool), prop::option::of(any_group()))
            .prop_map(|(card, group)| Command::MoveCardToGroup { card, group }),
        1 => (any_group(), any_group()).prop_map(|(group, into)| Command::MergeGroups { group, into }),
        1 => any_group().prop_map(|group| Command::Ungroup { group }),
        1 => (any_group(), any_name()).prop_map(|(group, name)| Command::RenameGroup { group, name }),
        3 => (any_card(pool), any_tag()).prop_map(|(card, theme)| Command::TagCard { card, theme }),
        1 => (any_group(), any_tag()).prop_map(|(group, theme)| Command::TagGroup { group, theme }),
    ]
}

/// Mostly short valid texts for conclusions, now and then anything `any_text` gives.
fn conclusion_text() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-c]{1,6}", 1 => any_text()]
}

fn conclusion_command(pool: u128) -> impl Strategy<Value = Command> {
    prop_oneof![
        5 => (any_conclusion(), any_theme(), conclusion_text(), any_cards(pool)).prop_map(
            |(conclusion, theme, text, cards)| Command::AddConclusion { conclusion, theme, text, cards }
        ),
        4 => (
            any_conclusion(),
            any_version(),
            prop::option::of(conclusion_text()),
            prop::option::of(any_cards(pool)),
            prop::option::weighted(0.3, any_theme()),
            any_status(),
        )
            .prop_map(|(conclusion, version, text, cards, theme, status)| {
                Command::EditConclusion { conclusion, version, text, cards, theme, status }
            }),
        2 => (any_conclusion(), 0..3usize)
            .prop_map(|(conclusion, position)| Command::MoveConclusion { conclusion, position }),
        1 => (any_conclusion(), any_version())
            .prop_map(|(conclusion, version)| Command::RemoveConclusion { conclusion, version }),
        1 => any_themes().prop_map(|themes| Command::SetThemes { themes }),
    ]
}

fn help_id(n: u128) -> HelpId {
    HelpId(Uuid::from_u128(0xF000 + n))
}

/// A clock reading (ms) for the timer commands: about an hour of session time, so that
/// timers start, warn, end (and close rooms) within a generated session.
fn any_now() -> impl Strategy<Value = i64> {
    (0..3_600_000i64).prop_map(|ms| 1_800_000_000_000 + ms)
}

fn any_timer_room() -> impl Strategy<Value = Option<RoomId>> {
    prop_oneof![1 => Just(None), 3 => any_room().prop_map(Some)]
}

/// Rooms, assignment, broadcasts, timers, help, removal, the lead and closing: the
/// commands that run the session rather than a board.
fn session_command() -> BoxedStrategy<Command> {
    use super::assignment::{Scope, Strategy as Assign};
    use super::session::LateJoiners;
    let capacity = prop::option::of(0..4u32);
    let rooms = prop_oneof![
        2 => ((ROOMS..ROOMS + 2).prop_map(room), any_name(), capacity.clone())
            .prop_map(|(room, name, capacity)| Command::CreateRoom { room, name, capacity }),
        1 => (any_room(), any_name()).prop_map(|(room, name)| Command::RenameRoom { room, name }),
        1 => (any_room(), capacity)
            .prop_map(|(room, capacity)| Command::SetRoomCapacity { room, capacity }),
        1 => any_room().prop_map(|room| Command::RemoveRoom { room }),
    ]
    .boxed();
    let strategy = prop_oneof![
        Just(Assign::Even),
        Just(Assign::Random),
        Just(Assign::ByCountry),
        Just(Assign::SelfSelect),
        Just(Assign::Plan),
    ];
    let assignment = prop_oneof![
        2 => (
            strategy,
            prop_oneof![Just(Scope::Lobby), Just(Scope::Everyone)],
            any::<u64>(),
            prop::collection::btree_map(any_person(), any_place(), 0..4),
        )
            .prop_map(|(strategy, scope, seed, plan)| Command::AssignRooms {
                strategy,
                scope,
                seed,
                plan,
            }),
        2 => any_room().prop_map(|room| Command::ChooseRoom { room }),
        1 => any::<bool>().prop_map(|open| Command::SetSelfSelect { open }),
        1 => prop_oneof![
            Just(LateJoiners::Lobby),
            Just(LateJoiners::Even),
            Just(LateJoiners::ByCountry),
        ]
        .prop_map(|policy| Command::SetLateJoiners { policy }),
        1 => Just(Command::ReturnToLobby),
    ]
    .boxed();
    let timers = prop_oneof![
        3 => (
            any_timer_room(),
            prop_oneof![1 => 0..5u32, 4 => 5..900u32],
            prop::option::of(prop::collection::vec(0..600u32, 0..3)),
            any::<bool>(),
            any_now(),
        )
            .prop_map(|(room, seconds, warnings, close_at_end, now)| Command::StartTimer {
                room,
                seconds,
                warnings,
                close_at_end,
                now,
            }),
        1 => (any_timer_room(), 0..600u32, any_now())
            .prop_map(|(room, seconds, now)| Command::ExtendTimer { room, seconds, now }),
        1 => (any_timer_room(), any_now()).prop_map(|(room, now)| Command::PauseTimer { room, now }),
        1 => (any_timer_room(), any_now())
            .prop_map(|(room, now)| Command::ResumeTimer { room, now }),
        1 => any_timer_room().prop_map(|room| Command::CancelTimer { room }),
        2 => any_now().prop_map(|now| Command::Tick { now }),
    ]
    .boxed();
    let help = (0..3u128).prop_map(help_id);
    let people = prop_oneof![
        2 => (help.clone(), prop::option::of(any_text()))
            .prop_map(|(request, text)| Command::RequestHelp { request, text }),
        1 => help.clone().prop_map(|request| Command::AcknowledgeHelp { request }),
        1 => help.prop_map(|request| Command::ResolveHelp { request }),
        1 => (any_text(), prop::option::of(any_room()))
            .prop_map(|(text, room)| Command::Broadcast { text, room, now: 0 }),
        1 => any_person().prop_map(|participant| Command::RemoveParticipant { participant }),
        1 => any_person().prop_map(|participant| Command::SetLead { participant }),
        1 => Just(Command::CloseWorkshop),
        1 => Just(Command::ReopenWorkshop),
    ]
    .boxed();
    prop_oneof![3 => rooms, 3 => assignment, 4 => timers, 4 => people].boxed()
}

/// Whether `command` runs the session (see `session_command`).
fn is_session(command: &Command) -> bool {
    matches!(
        command,
        Command::CreateRoom { .. }
            | Command::RenameRoom { .. }
            | Command::SetRoomCapacity { .. }
            | Command::RemoveRoom { .. }
            | Command::AssignRooms { .. }
            | Command::ChooseRoom { .. }
            | Command::SetSelfSelect { .. }
            | Command::SetLateJoiners { .. }
            | Command::ReturnToLobby
            | Command::Broadcast { .. }
            | Command::StartTimer { .. }
            | Command::ExtendTimer { .. }
            | Command::PauseTimer { .. }
            | Command::ResumeTimer { .. }
            | Command::CancelTimer { .. }
            | Command::Tick { .. }
            | Command::RequestHelp { .. }
            | Command::AcknowledgeHelp { .. }
            | Command::ResolveHelp { .. }
            | Command::RemoveParticipant { .. }
            | Command::SetLead { .. }
            | Command::CloseWorkshop
            | Command::ReopenWorkshop
    )
}

/// A command other than joining, which participants send over their socket (or, for
/// `tick`, the server's clock).
fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        20 => card_command(CARDS, any_room().boxed(), any_text().boxed()).boxed(),
        10 => facilitation_command().boxed(),
        8 => vote_command(CARDS).boxed(),
        8 => group_command(CARDS).boxed(),
        5 => conclusion_command(CARDS).boxed(),
        12 => session_command(),
        6 => agenda_command(),
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

/// Cards of the phase-driven sessions: six ids, so votes, groups and citations often hit.
const FEW_CARDS: u128 = 6;

/// A step of a session whose people stay put: the organizer, the facilitators and the
/// placed delegates run boards 1 and 2 through their phases, post, vote, group, tag,
/// moderate and conclude. Delegates post to their own room; staff to either.
fn board_step() -> impl Strategy<Value = (Actor, Command)> {
    let texts = prop_oneof![9 => "[a-c]{1,4}", 1 => any_text()].boxed();
    let staff = prop_oneof![
        1 => Just(0u128),
        3 => 1..3u128,
    ]
    .prop_flat_map(move |n| {
        let phases = (
            prop_oneof![1 => Just(None), 3 => (0..2u128).prop_map(|n| Some(room(n)))],
            any_phase(),
            prop_oneof![5 => Just(false), 1 => Just(true)],
        )
            .prop_map(|(room, phase, hidden)| Command::SetPhase {
                room,
                phase,
                hidden,
            });
        let command = prop_oneof![
            5 => card_command(FEW_CARDS, (0..2u128).prop_map(room).boxed(), texts.clone()),
            3 => phases,
            6 => group_command(FEW_CARDS),
            5 => conclusion_command(FEW_CARDS),
        ];
        (Just(n), command)
    });
    let texts = prop_oneof![9 => "[a-c]{1,4}", 1 => any_text()].boxed();
    // Delegates 3 and 4 are in room 1, delegate 5 in room 2.
    let delegates = (3..6u128).prop_flat_map(move |n| {
        let own = Just(room(if n == 5 { 1 } else { 0 })).boxed();
        let command = prop_oneof![
            4 => card_command(FEW_CARDS, own, texts.clone()),
            8 => vote_command(FEW_CARDS),
            3 => group_command(FEW_CARDS),
        ];
        (Just(n), command)
    });
    prop_oneof![2 => staff, 3 => delegates]
        .prop_map(|(n, command)| (Actor::Participant(person(n)), command))
}

/// Puts the conclusion's current version into a generated edit or removal that asks for it.
fn resolve(w: &Workshop, command: &Command) -> Command {
    let mut command = command.clone();
    if let Command::EditConclusion {
        conclusion,
        version,
        ..
    }
    | Command::RemoveConclusion {
        conclusion,
        version,
    } = &mut command
    {
        if *version == CURRENT {
            *version = w.conclusion(*conclusion).map_or(1, |c| c.version);
        }
    }
    agenda::resolve_agenda(w, &mut command);
    command
}

/// The room whose board an event writes on, if any.
fn board_room(e: &Event) -> Option<RoomId> {
    match e {
        Event::CardPosted { room, .. }
        | Event::CardEdited { room, .. }
        | Event::CardDeleted { room, .. }
        | Event::CardHidden { room, .. }
        | Event::CardShown { room, .. }
        | Event::VoteCast { room, .. }
        | Event::VoteWithdrawn { room, .. }
        | Event::GroupCreated { room, .. }
        | Event::CardRegrouped { room, .. }
        | Event::GroupsMerged { room, .. }
        | Event::GroupDissolved { room, .. }
        | Event::GroupRenamed { room, .. }
        | Event::CardTagged { room, .. }
        | Event::GroupTagged { room, .. } => Some(*room),
        _ => None,
    }
}

/// The card an event is about, if any.
fn event_card(e: &Event) -> Option<CardId> {
    match e {
        Event::CardEdited { card, .. }
        | Event::CardDeleted { card, .. }
        | Event::CardHidden { card, .. }
        | Event::CardShown { card, .. }
        | Event::VoteCast { card, .. }
        | Event::VoteWithdrawn { card, .. }
        | Event::CardRegrouped { card, .. }
        | Event::CardTagged { card, .. } => Some(*card),
        _ => None,
    }
}

fn known_theme(settings: &Settings, theme: &str) -> bool {
    settings.themes.iter().any(|t| t.key == theme)
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
        assert!(
            !r.hidden || r.phase == Phase::Brainstorm,
            "room {} hidden in {:?}",
            r.id,
            r.phase
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
        // Every card's group exists and is in the card's room.
        if let Some(g) = c.group {
            let g = w
                .groups
                .get(&g)
                .unwrap_or_else(|| panic!("card {id} in unknown group {g}"));
            assert_eq!(g.room, c.room, "card {id} in a group of another room");
        }
        if let Some(t) = &c.theme {
            assert!(known_theme(settings, t), "card {id} tagged {t:?}");
        }
        // The audit record: in order, after the post, and consistent with the flags.
        assert!(c.history.windows(2).all(|p| p[0].seq < p[1].seq));
        assert!(c.history.iter().all(|r| c.seq < r.seq && r.seq <= w.seq));
        let edits = c
            .history
            .iter()
            .filter(|r| r.action == RevisionAction::Edited)
            .count();
        assert_eq!(c.edited, edits > 0, "card {id} edited flag vs history");
        assert!(c.history.iter().all(|r| {
            (r.action == RevisionAction::Edited) == r.previous_text.is_some()
                && w.participants.get(&r.by).is_some_and(|p| {
                    p.role.is_staff() || (r.action == RevisionAction::Edited && p.id == c.author)
                })
        }));
        let last_moderation = c
            .history
            .iter()
            .rev()
            .find(|r| r.action != RevisionAction::Edited);
        assert_eq!(
            c.hidden,
            last_moderation.is_some_and(|r| r.action == RevisionAction::Hidden),
            "card {id} hidden flag vs history"
        );
    }
    for r in &w.rooms {
        let on_board = w.cards.values().filter(|c| c.room == r.id).count();
        assert!(on_board <= limits::CARDS_PER_ROOM_MAX);
        let groups = w.groups.values().filter(|g| g.room == r.id).count();
        assert!(groups <= limits::GROUPS_PER_ROOM_MAX);
    }
    for (id, g) in &w.groups {
        assert_eq!(*id, g.id);
        assert!(w.room(g.room).is_ok(), "group {id} in unknown room");
        assert!(!g.name.is_empty() && g.name == g.name.trim());
        if let Some(t) = &g.theme {
            assert!(known_theme(settings, t), "group {id} tagged {t:?}");
        }
    }
    // Votes: only on existing cards, only by delegates, within the budget (on each room's
    // board) and the cap.
    let mut spent: BTreeMap<(ParticipantId, RoomId), u32> = BTreeMap::new();
    for (c, by) in &w.votes {
        assert!(w.cards.contains_key(c), "votes on unknown card {c}");
        assert!(!by.is_empty(), "an empty vote record for card {c}");
        for (p, n) in by {
            assert!(*n > 0, "zero votes recorded for {p} on {c}");
            let voter = w.participant(*p).expect("votes by a participant");
            assert_eq!(voter.role, Role::Delegate, "{p} is staff and voted");
            if let Some(max) = settings.max_votes_per_card {
                assert!(
                    *n <= max,
                    "{p} holds {n} votes on card {c}; the cap is {max}"
                );
            }
            *spent.entry((*p, w.cards[c].room)).or_default() += n;
        }
    }
    for ((p, room), n) in spent {
        assert!(
            n <= settings.votes_per_participant,
            "{p} holds {n} votes in room {room}; the budget is {}",
            settings.votes_per_participant
        );
    }
    // Conclusions: distinct, under a theme of the workshop, citing existing cards.
    assert!(w.conclusions.len() <= limits::CONCLUSIONS_MAX);
    for (i, k) in w.conclusions.iter().enumerate() {
        assert!(w.conclusions[..i].iter().all(|o| o.id != k.id));
        assert!(
            known_theme(settings, &k.theme),
            "conclusion {} under unknown theme {:?}",
            k.id,
            k.theme
        );
        assert!(k.version >= 1);
        assert!(!k.text.is_empty() && k.text == k.text.trim());
        assert!(k.text.chars().count() <= limits::CONCLUSION_TEXT_MAX);
        for (j, c) in k.cards.iter().enumerate() {
            assert!(
                w.cards.contains_key(c),
                "conclusion {} cites unknown card {c}",
                k.id
            );
            assert!(
                !k.cards[..j].contains(c),
                "conclusion {} cites {c} twice",
                k.id
            );
        }
    }
    check_reports(w);
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
    check_agenda(w);
}

/// The reports agree with the state and with each other: the consolidation holds every
/// card once; what supports a conclusion is what the country overview says cites it.
fn check_reports(w: &Workshop) {
    let consolidation = reports::consolidation(w);
    let mut listed: Vec<CardId> = consolidation
        .themes
        .iter()
        .flat_map(|t| &t.columns)
        .flat_map(|col| col.cards.iter().map(|e| e.id))
        .collect();
    listed.sort();
    assert_eq!(listed, w.cards.keys().copied().collect::<Vec<_>>());
    let mut open: Vec<&Card> = w
        .cards
        .values()
        .filter(|c| !c.hidden && w.conclusions.iter().all(|k| !k.cards.contains(&c.id)))
        .collect();
    open.sort_by_key(|c| c.seq);
    let open: Vec<CardId> = open.iter().map(|c| c.id).collect();
    assert_eq!(consolidation.unconsolidated, open);
    let overview = reports::country_overview(w);
    for k in &w.conclusions {
        let support = reports::support(w, k);
        let citing: Vec<&str> = overview
            .iter()
            .filter(|o| o.conclusions.iter().any(|c| c.id == k.id))
            .map(|o| o.country.as_str())
            .collect();
        assert_eq!(
            support.countries, citing,
            "countries supporting conclusion {} vs the country overview",
            k.id
        );
        let cited = k
            .cards
            .iter()
            .filter(|c| w.cards.get(c).is_some_and(|c| !c.hidden))
            .count();
        assert_eq!(support.cards, cited);
        let votes: u32 = k.cards.iter().map(|c| w.votes_on(*c)).sum();
        assert_eq!(support.votes, votes);
    }
}

/// The rules the events of one successful command must obey, judged against the state
/// `before` the command.
fn check_events(before: &Workshop, actor: Actor, command: &Command, events: &[Event]) {
    let settings = before.settings.as_ref().unwrap();
    let issuer = match actor {
        Actor::Participant(who) => before.participants.get(&who),
        Actor::Server => None,
    };
    let staff = || {
        let me = issuer.expect("facilitation needs a participant");
        assert!(me.role.is_staff(), "a delegate ran {command:?}");
        me
    };
    match command {
        Command::Join { .. } => assert_eq!(actor, Actor::Server, "a participant added someone"),
        Command::MoveParticipant { .. }
        | Command::OpenRoom { .. }
        | Command::CloseRoom { .. }
        | Command::SetPhase { .. }
        | Command::HideCard { .. }
        | Command::ShowCard { .. }
        | Command::TagCard { .. }
        | Command::TagGroup { .. }
        | Command::AddConclusion { .. }
        | Command::EditConclusion { .. }
        | Command::MoveConclusion { .. }
        | Command::RemoveConclusion { .. } => {
            staff();
        }
        Command::SetThemes { .. } => {
            let me = issuer.expect("editing themes needs a participant");
            assert_eq!(me.role, Role::Organizer, "{command:?} by a non-organizer");
        }
        Command::Vote { .. } | Command::Unvote { .. } => {
            let me = issuer.expect("voting needs a participant");
            assert_eq!(me.role, Role::Delegate, "staff voted");
        }
        Command::GroupCards { .. }
        | Command::MoveCardToGroup { .. }
        | Command::MergeGroups { .. }
        | Command::Ungroup { .. }
        | Command::RenameGroup { .. } => {
            let me = issuer.expect("grouping needs a participant");
            assert!(
                me.role.is_staff() || settings.delegates_can_group,
                "a delegate grouped cards in a workshop that does not allow it"
            );
        }
        Command::PostCard { .. } | Command::EditCard { .. } | Command::DeleteCard { .. } => {
            issuer.expect("a board command needs a participant");
        }
        // Running the session: who may do it (PROTOCOL.md's authorisation table).
        Command::RequestHelp { .. } | Command::ChooseRoom { .. } => {
            let me = issuer.expect("a delegate's command needs a participant");
            assert_eq!(me.role, Role::Delegate, "staff ran {command:?}");
        }
        Command::SetLead { .. } => {
            let me = issuer.expect("setting the lead needs a participant");
            assert_eq!(me.role, Role::Organizer, "{command:?} by a non-organizer");
        }
        Command::CloseWorkshop | Command::ReopenWorkshop => {
            let me = issuer.expect("closing needs a participant");
            assert!(
                me.role == Role::Organizer || before.session.lead == Some(me.id),
                "{command:?} by neither the organizer nor the lead"
            );
        }
        Command::Tick { .. } => assert_eq!(actor, Actor::Server, "a participant ticked"),
        Command::RemoveParticipant { participant } => {
            let me = staff();
            if before
                .participants
                .get(participant)
                .is_some_and(|p| p.role.is_staff())
            {
                assert!(
                    me.role == Role::Organizer || before.session.lead == Some(me.id),
                    "a facilitator removed by a plain facilitator"
                );
            }
        }
        c if is_session(c) => {
            staff();
        }
        c if is_agenda(c) => check_agenda_events(before, actor, c, events),
        _ => {}
    }
    let most = match command {
        Command::SetPhase { room: None, .. } => before.rooms.len(),
        // Joined, then placed at once when the late-joiner policy says so.
        Command::Join { .. } => 2,
        // Per room or per person: bounded by the rules `check_state` checks after them.
        c if is_session(c) || is_agenda(c) => usize::MAX,
        _ => 1,
    };
    assert!(events.len() <= most, "too many events: {events:?}");
    for e in events {
        match (command, e) {
            (
                Command::Join { participant, .. },
                Event::ParticipantMoved {
                    participant: p,
                    from,
                    ..
                },
            ) => {
                assert_eq!(p, participant, "a join placed someone else");
                assert_eq!(
                    *from,
                    Place::Lobby,
                    "a late joiner is placed from the lobby"
                );
            }
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
            (
                Command::EditCard { card, .. },
                Event::CardEdited {
                    card: c, room, by, ..
                },
            ) => {
                assert_eq!(c, card);
                assert_eq!(Actor::Participant(*by), actor);
                assert_eq!(before.card(*card).unwrap().room, *room);
            }
            (Command::DeleteCard { card }, Event::CardDeleted { card: c, room }) => {
                assert_eq!(c, card);
                assert_eq!(before.card(*card).unwrap().room, *room);
                assert!(
                    before.conclusions.iter().all(|k| !k.cards.contains(card)),
                    "a cited card was deleted"
                );
            }
            (Command::HideCard { card }, Event::CardHidden { card: c, room, by })
            | (Command::ShowCard { card }, Event::CardShown { card: c, room, by }) => {
                assert_eq!(c, card);
                assert_eq!(Actor::Participant(*by), actor);
                let was = before.card(*card).unwrap();
                assert_eq!(was.room, *room);
                assert_eq!(
                    was.hidden,
                    matches!(command, Command::ShowCard { .. }),
                    "a moderation that changes nothing"
                );
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
            (
                Command::SetPhase {
                    room,
                    phase,
                    hidden,
                },
                Event::PhaseSet {
                    room: r,
                    phase: p,
                    hidden: h,
                    from,
                    was_hidden,
                },
            ) => {
                assert!(room.is_none_or(|room| room == *r));
                assert_eq!((p, h), (phase, hidden));
                assert!(!h || *p == Phase::Brainstorm);
                let was = before.room(*r).unwrap();
                assert_eq!((was.phase, was.hidden), (*from, *was_hidden));
                assert_ne!(
                    (from, was_hidden),
                    (p, h),
                    "a phase change that changes nothing"
                );
            }
            (
                Command::Vote { card } | Command::Unvote { card },
                Event::VoteCast {
                    card: c,
                    room,
                    participant,
                }
                | Event::VoteWithdrawn {
                    card: c,
                    room,
                    participant,
                },
            ) => {
                assert_eq!(c, card);
                assert_eq!(Actor::Participant(*participant), actor);
                assert_eq!(
                    matches!(command, Command::Vote { .. }),
                    matches!(e, Event::VoteCast { .. })
                );
                let c = before.card(*card).unwrap();
                assert_eq!(c.room, *room);
                assert_eq!(before.room(*room).unwrap().phase, Phase::Vote);
                if matches!(e, Event::VoteWithdrawn { .. }) {
                    assert!(before.votes[card][participant] > 0);
                }
            }
            (
                Command::GroupCards { group, cards, .. },
                Event::GroupCreated {
                    group: g,
                    room,
                    cards: grouped,
                    ..
                },
            ) => {
                assert_eq!(g, group);
                assert!(!before.groups.contains_key(group), "group id reused");
                assert!(!grouped.is_empty());
                for (i, c) in grouped.iter().enumerate() {
                    assert!(cards.contains(c) && !grouped[..i].contains(c));
                    assert_eq!(before.card(*c).unwrap().room, *room);
                }
            }
            (
                Command::MoveCardToGroup { card, group },
                Event::CardRegrouped {
                    card: c,
                    room,
                    group: g,
                },
            ) => {
                assert_eq!((c, g), (card, group));
                let was = before.card(*card).unwrap();
                assert_eq!(was.room, *room);
                assert_ne!(was.group, *group, "a regrouping that changes nothing");
                if let Some(g) = g {
                    assert_eq!(before.group(*g).unwrap().room, *room);
                }
            }
            (
                Command::MergeGroups { group, into },
                Event::GroupsMerged {
                    room,
                    group: g,
                    into: i,
                },
            ) => {
                assert_eq!((g, i), (group, into));
                assert_ne!(g, i, "a group merged into itself");
                assert_eq!(before.group(*g).unwrap().room, *room);
                assert_eq!(before.group(*i).unwrap().room, *room);
            }
            (Command::Ungroup { group }, Event::GroupDissolved { room, group: g })
            | (Command::RenameGroup { group, .. }, Event::GroupRenamed { room, group: g, .. }) => {
                assert_eq!(g, group);
                assert_eq!(before.group(*g).unwrap().room, *room);
            }
            (
                Command::TagCard { card, theme },
                Event::CardTagged {
                    card: c,
                    room,
                    theme: t,
                },
            ) => {
                assert_eq!((c, t), (card, theme));
                assert_eq!(before.card(*card).unwrap().room, *room);
                assert!(t.as_deref().is_none_or(|t| known_theme(settings, t)));
            }
            (
                Command::TagGroup { group, theme },
                Event::GroupTagged {
                    group: g,
                    room,
                    theme: t,
                },
            ) => {
                assert_eq!((g, t), (group, theme));
                assert_eq!(before.group(*group).unwrap().room, *room);
                assert!(t.as_deref().is_none_or(|t| known_theme(settings, t)));
            }
            (Command::SetThemes { .. }, Event::ThemesSet { themes }) => {
                for k in &before.conclusions {
                    assert!(
                        themes.iter().any(|t| t.key == k.theme),
                        "the theme of a conclusion was removed"
                    );
                }
            }
            (
                Command::AddConclusion {
                    conclusion, theme, ..
                },
                Event::ConclusionAdded {
                    conclusion: k,
                    theme: t,
                    cards,
                    ..
                },
            ) => {
                assert_eq!((k, t), (conclusion, theme));
                assert!(before.conclusion(*k).is_err(), "conclusion id reused");
                assert!(known_theme(settings, t));
                assert!(cards.iter().all(|c| before.cards.contains_key(c)));
            }
            (
                Command::EditConclusion {
                    conclusion,
                    version,
                    ..
                },
                Event::ConclusionEdited {
                    conclusion: k,
                    version: v,
                    theme,
                    text,
                    cards,
                    status,
                },
            ) => {
                assert_eq!(k, conclusion);
                let was = before.conclusion(*k).unwrap();
                assert_eq!(was.version, *version, "a stale edit went through");
                assert_eq!(*v, version + 1, "an edit bumps the version by one");
                assert_ne!(
                    (&was.theme, &was.text, &was.cards, &was.status),
                    (theme, text, cards, status),
                    "an edit that changes nothing"
                );
                assert!(cards.iter().all(|c| before.cards.contains_key(c)));
            }
            (
                Command::MoveConclusion {
                    conclusion,
                    position,
                },
                Event::ConclusionMoved {
                    conclusion: k,
                    position: p,
                },
            ) => {
                assert_eq!((k, p), (conclusion, position));
                let theme = &before.conclusion(*k).unwrap().theme;
                let siblings: Vec<_> = before
                    .conclusions
                    .iter()
                    .filter(|c| &c.theme == theme)
                    .collect();
                assert!(*p < siblings.len());
                assert_ne!(siblings[*p].id, *k, "a move that goes nowhere");
            }
            (
                Command::RemoveConclusion {
                    conclusion,
                    version,
                },
                Event::ConclusionRemoved { conclusion: k },
            ) => {
                assert_eq!(k, conclusion);
                assert_eq!(before.conclusion(*k).unwrap().version, *version);
            }
            // What a session command produces is checked by `check_applied`, `check_state`
            // and `check_views` (leaks) below and after it; an agenda command's own event by
            // `check_agenda_events` above.
            _ if is_session(command) || is_agenda(command) => {}
            _ => panic!("{command:?} produced {e:?}"),
        }
        // (5) Nothing is ever written on a closed room's board.
        if let Some(r) = board_room(e) {
            let r = before.room(r).unwrap();
            assert!(
                r.open && r.phase != Phase::Closed,
                "{e:?} on closed room {}",
                r.id
            );
        }
        // (4) A delegate acts only on the board of the room they are in, on cards they can
        // see, on their own cards, and only when the phase table allows it.
        // (A delegate's session commands, help and choosing a room, are not board work.)
        if let Some(me) = issuer.filter(|me| me.role == Role::Delegate && !is_session(command)) {
            let Some(r) = board_room(e) else {
                panic!("a delegate produced {e:?}");
            };
            assert_eq!(Place::Room(r), me.room, "a delegate acted on another room");
            let phase = before.room(r).unwrap().phase;
            if let Some(c) = event_card(e) {
                assert!(
                    sees_card(before, me, before.card(c).unwrap()),
                    "a delegate acted on a card they cannot see"
                );
            }
            match e {
                Event::CardPosted { .. } | Event::CardEdited { .. } | Event::CardDeleted { .. } => {
                    assert!(matches!(phase, Phase::Brainstorm | Phase::Reveal));
                }
                Event::VoteCast { .. } | Event::VoteWithdrawn { .. } => {
                    assert_eq!(phase, Phase::Vote);
                }
                _ => assert!(matches!(phase, Phase::Brainstorm | Phase::Reveal)),
            }
            if let Event::CardEdited { card, .. } | Event::CardDeleted { card, .. } = e {
                assert_eq!(before.card(*card).unwrap().author, me.id);
            }
            if let Event::GroupCreated { cards, .. } = e {
                assert!(
                    cards
                        .iter()
                        .all(|c| sees_card(before, me, before.card(*c).unwrap())),
                    "a delegate grouped a card they cannot see"
                );
            }
        }
    }
}

/// What applying one event did, judged against the state `before` it.
fn check_applied(before: &Workshop, after: &Workshop, e: &Event) {
    match e {
        // The moved conclusion lands at `position` among its theme's; the others keep
        // their order.
        Event::ConclusionMoved {
            conclusion,
            position,
        } => {
            let theme = &after.conclusion(*conclusion).unwrap().theme;
            let siblings: Vec<ConclusionId> = after
                .conclusions
                .iter()
                .filter(|k| &k.theme == theme)
                .map(|k| k.id)
                .collect();
            assert_eq!(siblings.get(*position), Some(conclusion));
            let others = |w: &Workshop| -> Vec<ConclusionId> {
                w.conclusions
                    .iter()
                    .map(|k| k.id)
                    .filter(|k| k != conclusion)
                    .collect()
            };
            assert_eq!(others(before), others(after));
        }
        Event::VoteCast { card, .. } => {
            assert_eq!(after.votes_on(*card), before.votes_on(*card) + 1);
        }
        Event::VoteWithdrawn { card, .. } => {
            assert_eq!(after.votes_on(*card) + 1, before.votes_on(*card));
        }
        // A merged group's cards all end up in the group it merged into.
        Event::GroupsMerged { group, into, .. } => {
            assert!(!after.groups.contains_key(group));
            for (id, c) in &before.cards {
                if c.group == Some(*group) || c.group == Some(*into) {
                    assert_eq!(after.cards[id].group, Some(*into));
                }
            }
        }
        _ => {}
    }
    assert_eq!(
        after.conclusions.len() + usize::from(matches!(e, Event::ConclusionRemoved { .. })),
        before.conclusions.len() + usize::from(matches!(e, Event::ConclusionAdded { .. }))
    );
}

/// A card as a client holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SeenCard {
    room: RoomId,
    column: String,
    text: String,
    group: Option<GroupId>,
    theme: Option<String>,
    /// Compared only where the view shows totals.
    votes: Option<u32>,
    my_votes: u32,
    /// Staff only.
    hidden: Option<bool>,
}

type SeenGroup = (RoomId, String, Option<String>);
type SeenConclusion = (String, String, Vec<CardId>, ConclusionStatus, u64);

/// What a client knows of the workshop's boards and conclusions: built from a snapshot
/// and the events the server lets through.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Client {
    cards: BTreeMap<CardId, SeenCard>,
    groups: BTreeMap<GroupId, SeenGroup>,
    /// Staff only.
    conclusions: Option<BTreeMap<ConclusionId, SeenConclusion>>,
}

fn snapshot(w: &Workshop, who: &Participant) -> Client {
    let v = view(w, who);
    Client {
        cards: v
            .cards
            .iter()
            .map(|c| {
                let seen = SeenCard {
                    room: c.room,
                    column: c.column.to_string(),
                    text: c.text.to_string(),
                    group: c.group,
                    theme: c.theme.map(str::to_string),
                    votes: c.votes,
                    my_votes: c.my_votes,
                    hidden: c.hidden,
                };
                (c.id, seen)
            })
            .collect(),
        groups: v
            .groups
            .iter()
            .map(|g| {
                let g = g.group;
                (g.id, (g.room, g.name.clone(), g.theme.clone()))
            })
            .collect(),
        conclusions: v.conclusions.map(|list| {
            list.iter()
                .map(|k| {
                    let k = k.conclusion;
                    let seen = (
                        k.theme.clone(),
                        k.text.clone(),
                        k.cards.clone(),
                        k.status,
                        k.version,
                    );
                    (k.id, seen)
                })
                .collect()
        }),
    }
}

/// How a client folds an event it received into what it knows.
fn fold(client: &mut Client, me: &Participant, e: &Event) {
    let Client {
        cards,
        groups,
        conclusions,
    } = client;
    let staff = me.role.is_staff();
    match e {
        Event::CardPosted {
            card,
            room,
            column,
            text,
            ..
        } => {
            let seen = SeenCard {
                room: *room,
                column: column.clone(),
                text: text.clone(),
                group: None,
                theme: None,
                votes: Some(0),
                my_votes: 0,
                hidden: staff.then_some(false),
            };
            cards.insert(*card, seen);
        }
        Event::CardEdited { card, text, .. } => {
            if let Some(c) = cards.get_mut(card) {
                c.text = text.clone();
            }
        }
        Event::CardDeleted { card, .. } => {
            cards.remove(card);
        }
        Event::CardHidden { card, .. } | Event::CardShown { card, .. } => {
            let hidden = matches!(e, Event::CardHidden { .. });
            if !staff && hidden {
                cards.remove(card);
            } else if let Some(c) = cards.get_mut(card) {
                c.hidden = Some(hidden);
                if hidden {
                    // A moderated card gives its votes back to those who cast them.
                    c.votes = c.votes.map(|_| 0);
                    c.my_votes = 0;
                }
            }
        }
        Event::VoteCast {
            card, participant, ..
        }
        | Event::VoteWithdrawn {
            card, participant, ..
        } => {
            if let Some(c) = cards.get_mut(card) {
                let cast = matches!(e, Event::VoteCast { .. });
                let step = |n: u32| if cast { n + 1 } else { n - 1 };
                c.votes = c.votes.map(step);
                if *participant == me.id {
                    c.my_votes = step(c.my_votes);
                }
            }
        }
        Event::GroupCreated {
            group,
            room,
            name,
            cards: grouped,
        } => {
            groups.insert(*group, (*room, name.clone(), None));
            for c in grouped {
                if let Some(c) = cards.get_mut(c) {
                    c.group = Some(*group);
                }
            }
        }
        Event::CardRegrouped { card, group, .. } => {
            if let Some(c) = cards.get_mut(card) {
                c.group = *group;
            }
        }
        Event::GroupsMerged { group, into, .. } => {
            groups.remove(group);
            for c in cards.values_mut().filter(|c| c.group == Some(*group)) {
                c.group = Some(*into);
            }
        }
        Event::GroupDissolved { group, .. } => {
            groups.remove(group);
            for c in cards.values_mut().filter(|c| c.group == Some(*group)) {
                c.group = None;
            }
        }
        Event::GroupRenamed { group, name, .. } => {
            if let Some(g) = groups.get_mut(group) {
                g.1 = name.clone();
            }
        }
        Event::CardTagged { card, theme, .. } => {
            if let Some(c) = cards.get_mut(card) {
                c.theme = theme.clone();
            }
        }
        Event::GroupTagged { group, theme, .. } => {
            if let Some(g) = groups.get_mut(group) {
                g.2 = theme.clone();
            }
        }
        Event::ThemesSet { themes } => {
            let drop = |t: &mut Option<String>| {
                if t.as_ref()
                    .is_some_and(|t| !themes.iter().any(|k| &k.key == t))
                {
                    *t = None;
                }
            };
            cards.values_mut().for_each(|c| drop(&mut c.theme));
            groups.values_mut().for_each(|g| drop(&mut g.2));
        }
        Event::ConclusionAdded {
            conclusion,
            theme,
            text,
            cards: cited,
        } => {
            let seen = (
                theme.clone(),
                text.clone(),
                cited.clone(),
                ConclusionStatus::Draft,
                1,
            );
            conclusions
                .as_mut()
                .expect("a conclusion reached a delegate")
                .insert(*conclusion, seen);
        }
        Event::ConclusionEdited {
            conclusion,
            version,
            theme,
            text,
            cards: cited,
            status,
        } => {
            let seen = (
                theme.clone(),
                text.clone(),
                cited.clone(),
                *status,
                *version,
            );
            conclusions
                .as_mut()
                .expect("a conclusion reached a delegate")
                .insert(*conclusion, seen);
        }
        Event::ConclusionRemoved { conclusion } => {
            conclusions
                .as_mut()
                .expect("a conclusion reached a delegate")
                .remove(conclusion);
        }
        Event::ConclusionMoved { .. } => {
            assert!(conclusions.is_some(), "a conclusion reached a delegate");
        }
        Event::WorkshopCreated { .. }
        | Event::ParticipantJoined { .. }
        | Event::ParticipantMoved { .. }
        | Event::RoomClosed { .. }
        | Event::RoomOpened { .. }
        | Event::PhaseSet { .. } => {}
        // Running the session (rooms, assignment, timers, help…) is covered by
        // `tests_session/`; these sessions never generate those commands.
        _ => {}
    }
}

/// An event that reaches a delegate tells them nothing their view hides: only cards they
/// see (or saw, for a card that leaves their board), only groups of their revealed room,
/// only their own votes while votes are secret, no conclusions.
fn check_no_leak(before: &Workshop, after: &Workshop, me: &Participant, e: &Event) {
    let sees = |w: &Workshop, card: &CardId| w.cards.get(card).is_some_and(|c| sees_card(w, me, c));
    let sees_groups_of = |room: &RoomId| {
        me.room == Place::Room(*room) && before.room(*room).is_ok_and(|r| !r.hidden)
    };
    match e {
        Event::CardPosted { card, .. }
        | Event::CardEdited { card, .. }
        | Event::CardTagged { card, .. } => {
            assert!(sees(after, card), "{e:?} leaked to {}", me.id);
        }
        Event::CardRegrouped { card, room, .. } => {
            assert!(
                sees(after, card) && sees_groups_of(room),
                "{e:?} leaked to {}",
                me.id
            );
        }
        Event::CardDeleted { card, .. } | Event::CardHidden { card, .. } => {
            assert!(sees(before, card), "{e:?} leaked to {}", me.id);
        }
        Event::VoteCast {
            card,
            room,
            participant,
        }
        | Event::VoteWithdrawn {
            card,
            room,
            participant,
        } => {
            assert!(sees(before, card), "{e:?} leaked to {}", me.id);
            let secret = before.settings.as_ref().unwrap().votes_visibility
                == VotesVisibility::AfterVote
                && before.room(*room).is_ok_and(|r| r.phase == Phase::Vote);
            assert!(
                !secret || *participant == me.id,
                "a secret vote leaked to {}",
                me.id
            );
        }
        Event::GroupCreated { room, .. }
        | Event::GroupsMerged { room, .. }
        | Event::GroupDissolved { room, .. }
        | Event::GroupRenamed { room, .. }
        | Event::GroupTagged { room, .. } => {
            assert!(sees_groups_of(room), "{e:?} leaked to {}", me.id);
        }
        Event::CardShown { .. }
        | Event::ConclusionAdded { .. }
        | Event::ConclusionEdited { .. }
        | Event::ConclusionMoved { .. }
        | Event::ConclusionRemoved { .. } => panic!("{e:?} reached delegate {}", me.id),
        Event::WorkshopCreated { .. }
        | Event::ParticipantJoined { .. }
        | Event::ParticipantMoved { .. }
        | Event::RoomClosed { .. }
        | Event::RoomOpened { .. }
        | Event::PhaseSet { .. }
        | Event::ThemesSet { .. } => {}
        // Running the session (rooms, assignment, timers, help…) is covered by
        // `tests_session/`; these sessions never generate those commands.
        _ => {}
    }
}

/// Each participant's view: what `view` shows them must be exactly what a connected client
/// holds after its snapshot and every event `Audience` (judged on the state `before` the
/// event) admits to it, with a fresh snapshot when `Reshape` says so; and it must respect
/// room isolation, hidden brainstorms, moderation and secret votes.
fn check_views(
    before: Option<&Workshop>,
    w: &Workshop,
    clients: &mut BTreeMap<ParticipantId, Client>,
    e: Option<&Event>,
) {
    let (audience, reshape) = match (before, e) {
        (Some(before), Some(e)) => (
            Some(Audience::of(before, e)),
            Reshape::of(before.settings.as_ref(), e),
        ),
        _ => (None, Reshape::Nobody),
    };
    for p in w.participants.values() {
        // A removed participant's connections are closed (4003) and their token refused:
        // no view of theirs is kept up to date from then on.
        if p.removed {
            clients.remove(&p.id);
            continue;
        }
        let client = clients.entry(p.id).or_insert_with(|| snapshot(w, p));
        if let Some(e) = e {
            if audience.is_some_and(|a| a.admits(p)) {
                if !p.role.is_staff() {
                    check_no_leak(before.unwrap(), w, p, e);
                }
                fold(client, p, e);
            }
            if reshape.affects(p) {
                *client = snapshot(w, p);
            }
        }
        let v = view(w, p);
        // Totals are compared where the view shows them: a client that may not see them
        // (secret votes) gets a fresh snapshot when they are disclosed.
        let mut seen = client.clone();
        for c in &v.cards {
            if c.votes.is_none() {
                if let Some(s) = seen.cards.get_mut(&c.id) {
                    s.votes = None;
                }
            }
        }
        assert_eq!(
            seen,
            snapshot(w, p),
            "client of {} drifted after {e:?}",
            p.id
        );
        // A group's votes are the sum of its cards' votes, as this viewer sees them.
        for g in &v.groups {
            if let Some(total) = g.votes {
                let sum: u32 = v
                    .cards
                    .iter()
                    .filter(|c| c.group == Some(g.group.id))
                    .map(|c| c.votes.expect("card totals shown with group totals"))
                    .sum();
                assert_eq!(total, sum, "votes of group {} for {}", g.group.id, p.id);
            }
        }
        assert!(v.cards.windows(2).all(|pair| pair[0].seq < pair[1].seq));
        for c in &v.cards {
            let mine = w.votes.get(&c.id).and_then(|by| by.get(&p.id));
            assert_eq!(c.my_votes, mine.copied().unwrap_or(0));
        }
        let staff = p.role.is_staff();
        assert_eq!(v.conclusions.is_some(), staff);
        assert!(v.cards.iter().all(|c| c.hidden.is_some() == staff));
        assert!(v.cards.iter().all(|c| c.revisions.is_some() == staff));
        match (staff, p.room) {
            (true, _) => {
                assert_eq!(v.cards.len(), w.cards.len());
                assert_eq!(v.groups.len(), w.groups.len());
                assert!(v.cards.iter().all(|c| c.votes.is_some()));
            }
            (false, Place::Lobby) => {
                assert!(v.cards.is_empty());
                assert!(v.groups.is_empty());
            }
            (false, Place::Room(r)) => {
                let room = w.room(r).unwrap();
                let visible = w
                    .cards
                    .values()
                    .filter(|c| c.room == r && !c.hidden && (!room.hidden || c.author == p.id))
                    .count();
                assert!(v.cards.iter().all(|c| c.room == r));
                assert_eq!(v.cards.len(), visible);
                assert!(v.groups.iter().all(|g| g.group.room == r && !room.hidden));
                let secret = w.settings.as_ref().unwrap().votes_visibility
                    == VotesVisibility::AfterVote
                    && room.phase == Phase::Vote;
                assert!(v.cards.iter().all(|c| c.votes.is_some() != secret));
            }
        }
    }
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
