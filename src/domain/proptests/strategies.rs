//! The generators: settings, ids from small pools, texts, and the commands and steps of
//! random sessions and busy boards.

use super::*;

/// The reference settings with random voting and grouping choices.
pub(super) fn any_settings() -> impl Strategy<Value = Settings> {
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
pub(super) fn any_room() -> impl Strategy<Value = RoomId> {
    prop_oneof![
        5 => Just(room(0)),
        3 => Just(room(1)),
        1 => (2..=ROOMS).prop_map(room),
    ]
}

/// One of the first `pool` card ids.
pub(super) fn any_card(pool: u128) -> impl Strategy<Value = CardId> {
    (0..pool).prop_map(card)
}

pub(super) fn any_cards(pool: u128) -> impl Strategy<Value = Vec<CardId>> {
    prop::collection::vec(any_card(pool), 0..4)
}

pub(super) fn any_group() -> impl Strategy<Value = GroupId> {
    (0..GROUPS).prop_map(group)
}

pub(super) fn any_conclusion() -> impl Strategy<Value = ConclusionId> {
    (0..CONCLUSIONS).prop_map(conclusion)
}

/// Anyone from the pool, mostly people who have joined.
pub(super) fn any_person() -> impl Strategy<Value = ParticipantId> {
    prop_oneof![
        8 => (0..7u128).prop_map(person),
        1 => (7..PEOPLE).prop_map(person),
    ]
}

pub(super) fn any_place() -> impl Strategy<Value = Place> {
    prop_oneof![
        1 => Just(Place::Lobby),
        4 => any_room().prop_map(Place::Room),
    ]
}

/// Mostly short texts (sometimes empty or blank, often multi-byte), sometimes right around
/// the 1000-character limit.
pub(super) fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-cñé🌎 ]{0,8}",
        1 => Just(" \t\n".to_string()),
        2 => (limits::CARD_TEXT_MAX - 2..=limits::CARD_TEXT_MAX + 2)
            .prop_map(|n| format!(" {} ", "ñ".repeat(n))),
    ]
}

/// Short names (sometimes blank) for groups.
pub(super) fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["Access", " Data ", "Skills"]),
        1 => prop::sample::select(vec!["", "  "]),
    ]
    .prop_map(String::from)
}

pub(super) fn any_column() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["strengths", "problems", "solutions"]),
        1 => prop::sample::select(vec!["Strengths", "nope", ""]),
    ]
    .prop_map(String::from)
}

/// A theme key: one of the defaults, the one `any_themes` may add, or an unknown one.
pub(super) fn any_theme() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["governance", "data", "divide"]),
        1 => prop::sample::select(vec!["extra", "nope", ""]),
    ]
    .prop_map(String::from)
}

pub(super) fn any_tag() -> impl Strategy<Value = Option<String>> {
    prop_oneof![1 => Just(None), 4 => any_theme().prop_map(Some)]
}

/// A new list of themes: some of the defaults, perhaps one more, rarely an invalid list.
pub(super) fn any_themes() -> impl Strategy<Value = Vec<Theme>> {
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

pub(super) fn any_phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        2 => Just(Phase::Brainstorm),
        2 => Just(Phase::Reveal),
        4 => Just(Phase::Vote),
        2 => Just(Phase::Consolidate),
        1 => Just(Phase::Closed),
    ]
}

pub(super) fn any_version() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(CURRENT), 1 => 0..4u64]
}

pub(super) fn any_status() -> impl Strategy<Value = Option<ConclusionStatus>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(ConclusionStatus::Draft)),
        1 => Just(Some(ConclusionStatus::Final)),
    ]
}

pub(super) fn any_role() -> impl Strategy<Value = Role> {
    prop_oneof![
        1 => Just(Role::Organizer),
        3 => Just(Role::Facilitator),
        6 => Just(Role::Delegate),
    ]
}

pub(super) fn any_join() -> impl Strategy<Value = Command> {
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
pub(super) fn card_command(
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
pub(super) fn facilitation_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        5 => (any_person(), any_place())
            .prop_map(|(participant, to)| Command::MoveParticipant { participant, to }),
        2 => any_room().prop_map(|room| Command::OpenRoom { room }),
        1 => any_room().prop_map(|room| Command::CloseRoom { room }),
        2 => set_phase(),
    ]
}

pub(super) fn set_phase() -> impl Strategy<Value = Command> {
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

pub(super) fn vote_command(pool: u128) -> impl Strategy<Value = Command> {
    prop_oneof![
        2 => any_card(pool).prop_map(|card| Command::Vote { card }),
        1 => any_card(pool).prop_map(|card| Command::Unvote { card }),
    ]
}

/// Grouping and tagging.
pub(super) fn group_command(pool: u128) -> impl Strategy<Value = Command> {
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
pub(super) fn conclusion_text() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-c]{1,6}", 1 => any_text()]
}

pub(super) fn conclusion_command(pool: u128) -> impl Strategy<Value = Command> {
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

pub(super) fn help_id(n: u128) -> HelpId {
    HelpId(Uuid::from_u128(0xF000 + n))
}

/// A clock reading (ms) for the timer commands: about an hour of session time, so that
/// timers start, warn, end (and close rooms) within a generated session.
pub(super) fn any_now() -> impl Strategy<Value = i64> {
    (0..3_600_000i64).prop_map(|ms| 1_800_000_000_000 + ms)
}

pub(super) fn any_timer_room() -> impl Strategy<Value = Option<RoomId>> {
    prop_oneof![1 => Just(None), 3 => any_room().prop_map(Some)]
}

/// Rooms, assignment, broadcasts, timers, help, removal, the lead and closing: the
/// commands that run the session rather than a board.
pub(super) fn session_command() -> BoxedStrategy<Command> {
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
pub(super) fn is_session(command: &Command) -> bool {
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
pub(super) fn any_command() -> impl Strategy<Value = Command> {
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

pub(super) fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        1 => Just(Actor::Server),
        12 => any_person().prop_map(Actor::Participant),
    ]
}

/// One step of a session: mostly participants' commands, sometimes someone joining
/// (usually through the server, as the join endpoint does; now and then, wrongly, not).
pub(super) fn any_step() -> impl Strategy<Value = (Actor, Command)> {
    prop_oneof![
        2 => (prop_oneof![4 => Just(Actor::Server), 1 => any_actor()], any_join()),
        25 => (any_actor(), any_command()),
    ]
}

/// Cards of the phase-driven sessions: six ids, so votes, groups and citations often hit.
pub(super) const FEW_CARDS: u128 = 6;

/// A step of a session whose people stay put: the organizer, the facilitators and the
/// placed delegates run boards 1 and 2 through their phases, post, vote, group, tag,
/// moderate and conclude. Delegates post to their own room; staff to either.
pub(super) fn board_step() -> impl Strategy<Value = (Actor, Command)> {
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
pub(super) fn resolve(w: &Workshop, command: &Command) -> Command {
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
pub(super) fn board_room(e: &Event) -> Option<RoomId> {
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
pub(super) fn event_card(e: &Event) -> Option<CardId> {
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
