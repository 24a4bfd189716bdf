//! Unit tests of running a live session, one rule per test, named like a facilitator's
//! checklist: assigning rooms (every strategy, scope, capacity, self-selection, late
//! joiners, everyone back), rooms created and removed mid-session, broadcasts, help
//! requests, timers, closing the workshop, removing participants, who sees what, and replay.
//!
//! Every test starts from `Live::new`: a workshop with its organizer and two facilitators
//! (the first to join leads, the second helps). Delegates join as each test needs them.

use super::assignment::{Move, Scope, Strategy};
use super::session::{HelpStatus, LateJoiners, BROADCASTS_KEPT};
use super::settings::{default_columns, default_themes};
use super::timers::{next_due, MAX_SECONDS};
use super::visibility::{view, Audience, Reshape};
use super::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// A moment of 24 June 2020 in ms since the epoch: "now" at the start of every timer test.
const T0: i64 = 1_592_985_600_000;
/// Seconds as ms.
const S: i64 = 1000;

/// The reference workshop's delegations (data/going-digital-2020.json): 15 countries, 55
/// delegates.
const REFERENCE: [(&str, usize); 15] = [
    ("AR", 4),
    ("BO", 3),
    ("BR", 5),
    ("BB", 3),
    ("CO", 4),
    ("CL", 4),
    ("CR", 3),
    ("EC", 3),
    ("JM", 4),
    ("MX", 5),
    ("PA", 3),
    ("PE", 4),
    ("DO", 3),
    ("TT", 3),
    ("UY", 4),
];

fn settings() -> Settings {
    Settings {
        title: "Going Digital".into(),
        language: "en".into(),
        languages: vec!["en".into(), "es".into(), "pt".into()],
        columns: default_columns(),
        themes: default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: VotesVisibility::Live,
        delegates_can_group: false,
    }
}

/// The kind of a refusal, so a test says which rule fired without matching messages.
#[derive(Debug, PartialEq, Eq)]
enum Refused {
    Invalid,
    NotFound,
    Forbidden,
    Closed,
    TooLarge,
    Conflict,
}

#[track_caller]
fn refused(result: Result<Vec<Event>, DomainError>) -> Refused {
    match result {
        Ok(events) => panic!("expected a refusal, got {events:?}"),
        Err(DomainError::Invalid(_)) => Refused::Invalid,
        Err(DomainError::NotFound(_)) => Refused::NotFound,
        Err(DomainError::Forbidden(_)) => Refused::Forbidden,
        Err(DomainError::Closed(_)) => Refused::Closed,
        Err(DomainError::TooLarge(_)) => Refused::TooLarge,
        Err(DomainError::Conflict { .. }) => Refused::Conflict,
    }
}

fn assign(strategy: Strategy, scope: Scope, seed: u64) -> Command {
    Command::AssignRooms {
        strategy,
        scope,
        seed,
        plan: BTreeMap::new(),
    }
}

fn plan(entries: &[(ParticipantId, Place)]) -> Command {
    Command::AssignRooms {
        strategy: Strategy::Plan,
        scope: Scope::Lobby,
        seed: 0,
        plan: entries.iter().copied().collect(),
    }
}

fn start_timer(
    room: Option<RoomId>,
    seconds: u32,
    warnings: Option<Vec<u32>>,
    close_at_end: bool,
    now: i64,
) -> Command {
    Command::StartTimer {
        room,
        seconds,
        warnings,
        close_at_end,
        now,
    }
}

fn broadcast(text: &str, room: Option<RoomId>) -> Command {
    Command::Broadcast {
        text: text.into(),
        room,
        now: T0,
    }
}

fn help(request: HelpId) -> Command {
    Command::RequestHelp {
        request,
        text: Some("  we cannot see the board  ".into()),
    }
}

/// The moves of the assignment among `events`.
#[track_caller]
fn moves_of(events: &[Event]) -> Vec<Move> {
    events
        .iter()
        .find_map(|e| match e {
            Event::RoomsAssigned { moves, .. } => Some(moves.clone()),
            _ => None,
        })
        .expect("a rooms_assigned event")
}

fn spread(sizes: &[usize]) -> usize {
    sizes.iter().max().unwrap_or(&0) - sizes.iter().min().unwrap_or(&0)
}

/// The smallest spread (largest room minus smallest) any split of whole delegations of
/// these `sizes` over `rooms` rooms achieves: exhaustive search, memoised on the sorted
/// room totals.
fn best_spread(sizes: &[usize], rooms: usize) -> usize {
    fn go(
        sizes: &[usize],
        totals: Vec<usize>,
        memo: &mut HashMap<(usize, Vec<usize>), usize>,
    ) -> usize {
        let Some((first, rest)) = sizes.split_first() else {
            return spread(&totals);
        };
        let key = (sizes.len(), totals.clone());
        if let Some(best) = memo.get(&key) {
            return *best;
        }
        let mut best = usize::MAX;
        for i in 0..totals.len() {
            if i > 0 && totals[i] == totals[i - 1] {
                continue;
            }
            let mut next = totals.clone();
            next[i] += first;
            next.sort_unstable();
            best = best.min(go(rest, next, memo));
        }
        memo.insert(key, best);
        best
    }
    go(sizes, vec![0; rooms], &mut HashMap::new())
}

/// A workshop in session, with every event applied so far (the event log).
#[derive(Clone)]
struct Live {
    w: Workshop,
    log: Vec<Event>,
    /// Every room ever created, in order (removed ones included).
    rooms: Vec<RoomId>,
    organizer: ParticipantId,
    /// The first facilitator to join: the lead.
    lead: ParticipantId,
    /// A second facilitator.
    helper: ParticipantId,
    next_id: u128,
}

impl Live {
    fn new(rooms: usize) -> Self {
        let id = WorkshopId(Uuid::from_u128(1));
        let room_ids: Vec<RoomId> = (0..rooms as u128)
            .map(|n| RoomId(Uuid::from_u128(0x100 + n)))
            .collect();
        let names = (1..=rooms).map(|n| format!("Room {n}")).collect();
        let organizer = ParticipantId(Uuid::from_u128(0x1000));
        let events = Workshop::create(id, settings(), names, room_ids.clone(), organizer).unwrap();
        let mut live = Live {
            w: Workshop::empty(id),
            log: Vec::new(),
            rooms: room_ids,
            organizer,
            lead: organizer,
            helper: organizer,
            next_id: 0x1001,
        };
        live.apply(events);
        live.lead = live.join(Role::Facilitator, None);
        live.helper = live.join(Role::Facilitator, None);
        live
    }

    fn fresh(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    fn apply(&mut self, events: Vec<Event>) -> Vec<Event> {
        for e in &events {
            self.log.push(e.clone());
            self.w.apply(self.log.len() as u64, e);
        }
        events
    }

    fn decide(&self, who: ParticipantId, command: Command) -> Result<Vec<Event>, DomainError> {
        decide(&self.w, Actor::Participant(who), &command)
    }

    fn run(&mut self, who: ParticipantId, command: Command) -> Result<Vec<Event>, DomainError> {
        let events = self.decide(who, command)?;
        Ok(self.apply(events))
    }

    #[track_caller]
    fn ok(&mut self, who: ParticipantId, command: Command) -> Vec<Event> {
        match self.run(who, command) {
            Ok(events) => events,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    fn tick(&mut self, now: i64) -> Vec<Event> {
        let events = decide(&self.w, Actor::Server, &Command::Tick { now }).unwrap();
        self.apply(events)
    }

    fn join(&mut self, role: Role, country: Option<&str>) -> ParticipantId {
        let id = ParticipantId(self.fresh());
        let events = decide(
            &self.w,
            Actor::Server,
            &Command::Join {
                participant: id,
                name: format!("{role:?} {}", self.next_id),
                country: country.map(Into::into),
                language: "es".into(),
                role,
            },
        )
        .unwrap();
        self.apply(events);
        id
    }

    fn delegate(&mut self, country: &str) -> ParticipantId {
        self.join(Role::Delegate, Some(country))
    }

    /// `n` delegates from five countries in turn.
    fn delegates(&mut self, n: usize) -> Vec<ParticipantId> {
        const COUNTRIES: [&str; 5] = ["AR", "BR", "CL", "MX", "UY"];
        (0..n).map(|i| self.delegate(COUNTRIES[i % 5])).collect()
    }

    /// The reference workshop's delegates, by country.
    fn reference_delegations(&mut self) -> BTreeMap<&'static str, Vec<ParticipantId>> {
        let mut delegations: BTreeMap<&str, Vec<ParticipantId>> = BTreeMap::new();
        for (country, n) in REFERENCE {
            for _ in 0..n {
                let d = self.delegate(country);
                delegations.entry(country).or_default().push(d);
            }
        }
        delegations
    }

    #[track_caller]
    fn put(&mut self, participant: ParticipantId, room: usize) {
        let to = Place::Room(self.rooms[room]);
        self.ok(self.lead, Command::MoveParticipant { participant, to });
    }

    fn create_room(&mut self, capacity: Option<u32>) -> RoomId {
        let room = RoomId(self.fresh());
        self.ok(
            self.lead,
            Command::CreateRoom {
                room,
                name: "Extra room".into(),
                capacity,
            },
        );
        self.rooms.push(room);
        room
    }

    #[track_caller]
    fn set_capacity(&mut self, room: usize, capacity: Option<u32>) {
        let room = self.rooms[room];
        self.ok(self.lead, Command::SetRoomCapacity { room, capacity });
    }

    #[track_caller]
    fn close_room(&mut self, room: usize) {
        let room = self.rooms[room];
        self.ok(self.lead, Command::CloseRoom { room });
    }

    #[track_caller]
    fn remove_room(&mut self, room: usize) {
        let room = self.rooms[room];
        self.ok(self.lead, Command::RemoveRoom { room });
    }

    fn post(&mut self, who: ParticipantId, room: usize, text: &str) -> CardId {
        let card = CardId(self.fresh());
        let room = self.rooms[room];
        self.ok(
            who,
            Command::PostCard {
                card,
                room,
                column: "problems".into(),
                text: text.into(),
            },
        );
        card
    }

    fn me(&self, who: ParticipantId) -> &Participant {
        &self.w.participants[&who]
    }

    fn place(&self, who: ParticipantId) -> Place {
        self.me(who).room
    }

    fn room(&self, room: usize) -> &Room {
        self.w.room(self.rooms[room]).unwrap()
    }

    /// Delegates in each room, in room order (removed rooms count 0).
    fn sizes(&self) -> Vec<usize> {
        self.rooms.iter().map(|r| self.size_of(*r)).collect()
    }

    fn size_of(&self, room: RoomId) -> usize {
        self.w
            .participants
            .values()
            .filter(|p| p.role == Role::Delegate && !p.removed && p.room == Place::Room(room))
            .count()
    }

    fn in_lobby(&self) -> usize {
        self.w
            .participants
            .values()
            .filter(|p| p.role == Role::Delegate && !p.removed && p.room == Place::Lobby)
            .count()
    }

    /// Every delegate's place.
    fn places(&self) -> BTreeMap<ParticipantId, Place> {
        self.w
            .participants
            .values()
            .filter(|p| p.role == Role::Delegate)
            .map(|p| (p.id, p.room))
            .collect()
    }
}

mod assigning;
mod choosing;
mod replay;
mod rooms_and_help;
mod session_and_views;
mod timers;
