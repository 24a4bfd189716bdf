//! The domain: arbitrary command sequences from arbitrary actors against a workshop in
//! session. `decide` never panics, applying what it decided never panics, every
//! participant's view can be built and encoded, and replaying the event log from scratch
//! gives exactly the live state.
//!
//! Ids come from small pools so that commands hit existing things often.

#![no_main]

use arbitrary::{Result, Unstructured};
use cabildo::domain::agenda::{Plan, Whereabouts};
use cabildo::domain::assignment::{Scope, Strategy};
use cabildo::domain::session::LateJoiners;
use cabildo::domain::settings::{default_columns, default_room_names, default_themes};
use cabildo::domain::{
    decide, visibility, Actor, CardId, Command, ConclusionId, ConclusionStatus, Event, GroupId,
    HelpId, ParticipantId, Phase, Place, Role, RoomId, Settings, Theme, VotesVisibility, Workshop,
    WorkshopId,
};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

const ROOMS: u128 = 5;
const PEOPLE: u128 = 10;

fn pick<T: Clone>(u: &mut Unstructured, items: &[T]) -> Result<T> {
    Ok(u.choose(items)?.clone())
}
fn room(u: &mut Unstructured) -> Result<RoomId> {
    Ok(RoomId(Uuid::from_u128(
        0x100 + u.int_in_range(0..=ROOMS)? as u128,
    )))
}
fn person(u: &mut Unstructured) -> Result<ParticipantId> {
    Ok(ParticipantId(Uuid::from_u128(
        0x1000 + u.int_in_range(0..=PEOPLE)? as u128,
    )))
}
fn card(u: &mut Unstructured) -> Result<CardId> {
    Ok(CardId(Uuid::from_u128(
        0xC000 + u.int_in_range(0..=12u8)? as u128,
    )))
}
fn cards(u: &mut Unstructured) -> Result<Vec<CardId>> {
    let n = u.int_in_range(0..=4u8)?;
    (0..n).map(|_| card(u)).collect()
}
fn group(u: &mut Unstructured) -> Result<GroupId> {
    Ok(GroupId(Uuid::from_u128(
        0xD000 + u.int_in_range(0..=4u8)? as u128,
    )))
}
fn conclusion(u: &mut Unstructured) -> Result<ConclusionId> {
    Ok(ConclusionId(Uuid::from_u128(
        0xE000 + u.int_in_range(0..=4u8)? as u128,
    )))
}
fn help(u: &mut Unstructured) -> Result<HelpId> {
    Ok(HelpId(Uuid::from_u128(
        0xF000 + u.int_in_range(0..=4u8)? as u128,
    )))
}
fn text(u: &mut Unstructured) -> Result<String> {
    if u.ratio(1, 3)? {
        return u.arbitrary();
    }
    Ok(u.choose(&[
        "idea",
        "  spaced  ",
        "",
        "<script>",
        "=1+1",
        "\u{202E}rtl",
        "a\0b",
    ])?
    .to_string())
}
fn theme(u: &mut Unstructured) -> Result<String> {
    Ok(u.choose(&["governance", "data", "divide", "nope"])?
        .to_string())
}
fn place(u: &mut Unstructured) -> Result<Place> {
    Ok(if u.ratio(1, 4)? {
        Place::Lobby
    } else {
        Place::Room(room(u)?)
    })
}
fn maybe_room(u: &mut Unstructured) -> Result<Option<RoomId>> {
    Ok(if u.arbitrary()? { Some(room(u)?) } else { None })
}
fn phase(u: &mut Unstructured) -> Result<Phase> {
    Ok(pick(
        u,
        &[
            Phase::Brainstorm,
            Phase::Reveal,
            Phase::Vote,
            Phase::Consolidate,
            Phase::Closed,
        ],
    )?)
}

/// A planned agenda segment, valid or not (blank title, `hidden` without a brainstorm,
/// 0 or too many minutes).
fn plan(u: &mut Unstructured) -> Result<Plan> {
    Ok(Plan {
        title: text(u)?,
        place: pick(u, &[Whereabouts::Plenary, Whereabouts::Rooms])?,
        phase: if u.arbitrary()? {
            Some(phase(u)?)
        } else {
            None
        },
        hidden: u.ratio(1, 4)?,
        minutes: if u.arbitrary()? {
            Some(u.int_in_range(0..=1500)?)
        } else {
            None
        },
        message: if u.arbitrary()? { Some(text(u)?) } else { None },
    })
}
/// An agenda version: mostly the current one, so that agenda commands are often not stale.
fn version(u: &mut Unstructured, current: u64) -> Result<u64> {
    Ok(if u.ratio(3, 4)? {
        current
    } else {
        u.int_in_range(0..=8)?
    })
}

fn command(u: &mut Unstructured, now: i64, agenda: u64) -> Result<Command> {
    Ok(match u.int_in_range(0..=46u8)? {
        0 => Command::Join {
            participant: person(u)?,
            name: text(u)?,
            country: Some(u.choose(&["ar", "BR", "xx"])?.to_string()),
            language: u.choose(&["es", "en", "fr"])?.to_string(),
            role: pick(u, &[Role::Delegate, Role::Facilitator, Role::Organizer])?,
        },
        1..=4 => Command::PostCard {
            card: card(u)?,
            room: room(u)?,
            column: u.choose(&["strengths", "problems", "x"])?.to_string(),
            text: text(u)?,
        },
        5 => Command::EditCard {
            card: card(u)?,
            text: text(u)?,
        },
        6 => Command::DeleteCard { card: card(u)? },
        7 => Command::HideCard { card: card(u)? },
        8 => Command::ShowCard { card: card(u)? },
        9 => Command::MoveParticipant {
            participant: person(u)?,
            to: place(u)?,
        },
        10 => Command::OpenRoom { room: room(u)? },
        11 => Command::CloseRoom { room: room(u)? },
        12 => Command::SetPhase {
            room: maybe_room(u)?,
            phase: phase(u)?,
            hidden: u.arbitrary()?,
        },
        13 | 14 => Command::Vote { card: card(u)? },
        15 => Command::Unvote { card: card(u)? },
        16 => Command::GroupCards {
            group: group(u)?,
            cards: cards(u)?,
            name: text(u)?,
        },
        17 => Command::MoveCardToGroup {
            card: card(u)?,
            group: if u.arbitrary()? {
                Some(group(u)?)
            } else {
                None
            },
        },
        18 => Command::MergeGroups {
            group: group(u)?,
            into: group(u)?,
        },
        19 => Command::Ungroup { group: group(u)? },
        20 => Command::RenameGroup {
            group: group(u)?,
            name: text(u)?,
        },
        21 => Command::TagCard {
            card: card(u)?,
            theme: Some(theme(u)?),
        },
        22 => Command::TagGroup {
            group: group(u)?,
            theme: Some(theme(u)?),
        },
        23 => Command::SetThemes {
            themes: vec![Theme {
                key: theme(u)?,
                title: text(u)?,
                hint: None,
            }],
        },
        24 => Command::AddConclusion {
            conclusion: conclusion(u)?,
            theme: theme(u)?,
            text: text(u)?,
            cards: cards(u)?,
        },
        25 => Command::EditConclusion {
            conclusion: conclusion(u)?,
            version: u.int_in_range(0..=4)?,
            text: Some(text(u)?),
            cards: if u.arbitrary()? {
                Some(cards(u)?)
            } else {
                None
            },
            theme: None,
            status: Some(pick(
                u,
                &[ConclusionStatus::Draft, ConclusionStatus::Final],
            )?),
        },
        26 => Command::MoveConclusion {
            conclusion: conclusion(u)?,
            position: u.int_in_range(0..=5)?,
        },
        27 => Command::RemoveConclusion {
            conclusion: conclusion(u)?,
            version: u.int_in_range(0..=4)?,
        },
        28 => Command::CreateRoom {
            room: room(u)?,
            name: text(u)?,
            capacity: u.arbitrary()?,
        },
        29 => Command::RenameRoom {
            room: room(u)?,
            name: text(u)?,
        },
        30 => Command::SetRoomCapacity {
            room: room(u)?,
            capacity: if u.arbitrary()? {
                Some(u.int_in_range(0..=3)?)
            } else {
                None
            },
        },
        31 => Command::RemoveRoom { room: room(u)? },
        32 => Command::AssignRooms {
            strategy: pick(
                u,
                &[
                    Strategy::Even,
                    Strategy::Random,
                    Strategy::ByCountry,
                    Strategy::SelfSelect,
                    Strategy::Plan,
                ],
            )?,
            scope: pick(u, &[Scope::Lobby, Scope::Everyone])?,
            seed: u.arbitrary()?,
            plan: [(person(u)?, place(u)?)].into_iter().collect(),
        },
        33 => Command::ChooseRoom { room: room(u)? },
        34 => Command::SetSelfSelect {
            open: u.arbitrary()?,
        },
        35 => Command::SetLateJoiners {
            policy: pick(
                u,
                &[
                    LateJoiners::Lobby,
                    LateJoiners::Even,
                    LateJoiners::ByCountry,
                ],
            )?,
        },
        36 => Command::ReturnToLobby,
        37 => Command::Broadcast {
            text: text(u)?,
            room: maybe_room(u)?,
            now,
        },
        38 => Command::StartTimer {
            room: maybe_room(u)?,
            seconds: u.int_in_range(0..=100_000)?,
            warnings: Some(vec![u.arbitrary()?]),
            close_at_end: u.arbitrary()?,
            now,
        },
        39 => Command::RequestHelp {
            request: help(u)?,
            text: Some(text(u)?),
        },
        40 => Command::AcknowledgeHelp { request: help(u)? },
        41 => {
            let request = help(u)?;
            pick(
                u,
                &[
                    Command::CloseWorkshop,
                    Command::ReopenWorkshop,
                    Command::ResolveHelp { request },
                ],
            )?
        }
        43 => Command::SetAgenda {
            version: version(u, agenda)?,
            segments: (0..u.int_in_range(0..=5u8)?)
                .map(|_| plan(u))
                .collect::<Result<_>>()?,
        },
        44 | 45 => {
            let version = version(u, agenda)?;
            if u.ratio(1, 3)? {
                Command::SkipSegment { version, now }
            } else {
                Command::NextSegment { version, now }
            }
        }
        46 => Command::ExtendSegment {
            version: version(u, agenda)?,
            minutes: u.int_in_range(0..=1500)?,
            now,
        },
        _ => {
            let participant = person(u)?;
            pick(
                u,
                &[
                    Command::RemoveParticipant { participant },
                    Command::SetLead { participant },
                    Command::Tick { now },
                ],
            )?
        }
    })
}

fn session() -> (Workshop, Vec<Event>) {
    let id = WorkshopId(Uuid::from_u128(7));
    let settings = Settings {
        title: "Fuzz".into(),
        language: "es".into(),
        languages: vec!["es".into(), "en".into()],
        columns: default_columns(),
        themes: default_themes(),
        votes_per_participant: 3,
        max_votes_per_card: Some(2),
        votes_visibility: VotesVisibility::AfterVote,
        delegates_can_group: true,
    };
    let rooms = (0..4).map(|n| RoomId(Uuid::from_u128(0x100 + n)));
    let organizer = ParticipantId(Uuid::from_u128(0x1000));
    let mut log = Workshop::create(id, settings, default_room_names(), rooms, organizer)
        .expect("a valid workshop");
    let mut w = Workshop::empty(id);
    for (i, e) in log.iter().enumerate() {
        w.apply(i as u64 + 1, e);
    }
    for n in 1..=6u128 {
        let join = Command::Join {
            participant: ParticipantId(Uuid::from_u128(0x1000 + n)),
            name: format!("P{n}"),
            country: Some(["ar", "br", "cl"][n as usize % 3].into()),
            language: "es".into(),
            role: if n <= 2 {
                Role::Facilitator
            } else {
                Role::Delegate
            },
        };
        for e in decide(&w, Actor::Server, &join).expect("join") {
            w.apply(w.seq + 1, &e);
            log.push(e);
        }
    }
    (w, log)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (mut live, mut log) = session();
    let mut now = 1_800_000_000_000i64;
    for _ in 0..64 {
        let Ok(actor) = (|| -> Result<Actor> {
            Ok(if u.ratio(1, 16)? {
                Actor::Server
            } else {
                Actor::Participant(person(&mut u)?)
            })
        })() else {
            break;
        };
        now += u.int_in_range(0..=120_000i64).unwrap_or(0);
        let Ok(cmd) = command(&mut u, now, live.agenda.version) else {
            break;
        };
        if let Ok(events) = decide(&live, actor, &cmd) {
            for e in events {
                live.apply(live.seq + 1, &e);
                log.push(e);
            }
        }
    }
    for p in live.participants.values() {
        let _ = serde_json::to_string(&visibility::view(&live, p)).expect("a view encodes");
    }
    let mut replayed = Workshop::empty(live.id);
    for (i, e) in log.iter().enumerate() {
        let stored = serde_json::to_string(e).expect("an event encodes");
        let back: Event = serde_json::from_str(&stored).expect("an event decodes");
        replayed.apply(i as u64 + 1, &back);
    }
    assert_eq!(replayed, live, "replay differs from live");
});
