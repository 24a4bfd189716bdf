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

// ---------------------------------------------------------------------------------------
// Assigning rooms
// ---------------------------------------------------------------------------------------

#[test]
fn even_assignment_places_everyone_waiting_in_balanced_rooms() {
    let mut s = Live::new(4);
    let ds = s.delegates(10);
    let events = s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(events.len(), 1, "one event moves everyone at once");
    assert_eq!(moves_of(&events).len(), 10);
    assert_eq!(s.sizes(), vec![3, 3, 2, 2]);
    assert!(ds.iter().all(|d| s.place(*d) != Place::Lobby));
}

#[test]
fn even_assignment_is_deterministic_and_ignores_the_seed() {
    let build = || {
        let mut s = Live::new(4);
        s.delegates(11);
        s
    };
    let (a, b) = (build(), build());
    let first = moves_of(
        &a.decide(a.lead, assign(Strategy::Even, Scope::Lobby, 1))
            .unwrap(),
    );
    let again = moves_of(
        &a.decide(a.lead, assign(Strategy::Even, Scope::Lobby, 99))
            .unwrap(),
    );
    let twin = moves_of(
        &b.decide(b.lead, assign(Strategy::Even, Scope::Lobby, 1))
            .unwrap(),
    );
    assert_eq!(first, again);
    assert_eq!(first, twin);
}

#[test]
fn an_assignment_moves_each_delegate_once_from_where_they_were() {
    let mut s = Live::new(3);
    let ds = s.delegates(7);
    s.put(ds[0], 2);
    let events = s
        .decide(s.lead, assign(Strategy::Even, Scope::Everyone, 0))
        .unwrap();
    let moves = moves_of(&events);
    let moved: BTreeSet<_> = moves.iter().map(|m| m.participant).collect();
    assert_eq!(moved.len(), moves.len(), "nobody moves twice");
    for m in &moves {
        assert_eq!(m.from, s.place(m.participant));
        assert_ne!(m.from, m.room, "a move goes somewhere else");
        assert!(matches!(m.room, Place::Room(_)));
    }
}

#[test]
fn random_assignment_with_the_same_seed_is_reproducible() {
    let build = || {
        let mut s = Live::new(4);
        s.delegates(20);
        s
    };
    let (a, b) = (build(), build());
    let first = a
        .decide(a.lead, assign(Strategy::Random, Scope::Lobby, 2020))
        .unwrap();
    assert_eq!(
        first,
        a.decide(a.lead, assign(Strategy::Random, Scope::Lobby, 2020))
            .unwrap()
    );
    assert_eq!(
        first,
        b.decide(b.lead, assign(Strategy::Random, Scope::Lobby, 2020))
            .unwrap()
    );
    assert!(matches!(first[0], Event::RoomsAssigned { seed: 2020, .. }));
}

#[test]
fn random_assignments_with_different_seeds_usually_differ() {
    let mut s = Live::new(4);
    s.delegates(20);
    let outcomes: HashSet<Vec<(ParticipantId, Place)>> = (1..=10)
        .map(|seed| {
            moves_of(
                &s.decide(s.lead, assign(Strategy::Random, Scope::Lobby, seed))
                    .unwrap(),
            )
            .into_iter()
            .map(|m| (m.participant, m.room))
            .collect()
        })
        .collect();
    assert!(
        outcomes.len() >= 9,
        "only {} distinct splits",
        outcomes.len()
    );
    let even: Vec<_> = moves_of(
        &s.decide(s.lead, assign(Strategy::Even, Scope::Lobby, 0))
            .unwrap(),
    )
    .into_iter()
    .map(|m| (m.participant, m.room))
    .collect();
    assert!(outcomes.iter().any(|o| *o != even), "random is not even");
}

#[test]
fn random_assignment_balances_room_sizes() {
    let mut base = Live::new(4);
    let ds = base.delegates(15);
    for seed in 0..20 {
        let mut s = base.clone();
        s.ok(s.lead, assign(Strategy::Random, Scope::Lobby, seed));
        let mut sizes = s.sizes();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![3, 4, 4, 4], "seed {seed}");
        assert!(ds.iter().all(|d| s.place(*d) != Place::Lobby));
    }
}

#[test]
fn the_reference_workshop_data_has_fifteen_delegations() {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("../../data/going-digital-2020.json")).unwrap();
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for p in data["participants"].as_array().unwrap() {
        if p["role"] == "delegate" {
            *counted
                .entry(p["country"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let expected: BTreeMap<String, usize> =
        REFERENCE.iter().map(|(c, n)| (c.to_string(), *n)).collect();
    assert_eq!(counted, expected);
    for c in data["countries"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        assert_eq!(c["delegates"].as_u64().unwrap() as usize, expected[code]);
    }
    assert_eq!(data["rooms"].as_array().unwrap().len(), 4);
}

#[test]
fn by_country_never_splits_a_delegation() {
    let mut s = Live::new(4);
    let delegations = s.reference_delegations();
    s.ok(s.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    for (country, members) in &delegations {
        let places: HashSet<Place> = members.iter().map(|d| s.place(*d)).collect();
        assert_eq!(places.len(), 1, "{country} was split: {places:?}");
        assert!(
            !places.contains(&Place::Lobby),
            "{country} left in the lobby"
        );
    }
    assert_eq!(s.in_lobby(), 0);
}

#[test]
fn by_country_balances_the_reference_workshop_as_well_as_whole_delegations_allow() {
    let mut s = Live::new(4);
    s.reference_delegations();
    s.ok(s.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    let sizes = s.sizes();
    let delegations: Vec<usize> = REFERENCE.iter().map(|(_, n)| *n).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 55);
    assert_eq!(best_spread(&delegations, 4), 1);
    assert_eq!(spread(&sizes), 1, "room sizes {sizes:?}");
}

#[test]
fn by_country_finds_the_best_balance_where_largest_first_does_not() {
    // Largest first puts 3+2+2 and 3+2 together (7 and 5); 3+3 and 2+2+2 is perfect.
    let mut s = Live::new(2);
    for (country, n) in [("AR", 3), ("BR", 3), ("CL", 2), ("MX", 2), ("UY", 2)] {
        for _ in 0..n {
            s.delegate(country);
        }
    }
    s.ok(s.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    assert_eq!(s.sizes(), vec![6, 6]);
}

#[test]
fn by_country_places_latecomers_with_their_delegation() {
    let mut s = Live::new(2);
    let (ar1, ar2, br) = (s.delegate("AR"), s.delegate("AR"), s.delegate("BR"));
    s.ok(s.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    assert_eq!(s.place(ar1), s.place(ar2));
    let ar_room = s.place(ar1);
    assert_ne!(s.place(br), ar_room);
    let late_ar = s.delegate("AR");
    let late_cl = s.delegate("CL");
    assert_eq!(
        s.place(late_ar),
        Place::Lobby,
        "late joiners wait by default"
    );
    // The Argentine room is the fuller one, yet the latecomer joins their delegation.
    s.ok(s.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    assert_eq!(s.place(late_ar), ar_room);
    assert_eq!(
        s.place(late_cl),
        s.place(br),
        "no compatriots: the emptier room"
    );
}

#[test]
fn a_plan_places_people_exactly_as_prepared() {
    let mut s = Live::new(3);
    let ds = s.delegates(3);
    s.put(ds[2], 0);
    let events = s.ok(
        s.lead,
        plan(&[
            (ds[0], Place::Room(s.rooms[2])),
            (ds[1], Place::Lobby),
            (ds[2], Place::Room(s.rooms[1])),
            (s.helper, Place::Room(s.rooms[0])),
        ]),
    );
    let moves = moves_of(&events);
    assert_eq!(
        moves.len(),
        3,
        "who is already there is not moved: {moves:?}"
    );
    assert_eq!(s.place(ds[0]), Place::Room(s.rooms[2]));
    assert_eq!(s.place(ds[1]), Place::Lobby);
    assert_eq!(s.place(ds[2]), Place::Room(s.rooms[1]));
    assert_eq!(s.place(s.helper), Place::Room(s.rooms[0]));
}

#[test]
fn a_plan_names_only_placeable_participants_and_live_rooms() {
    let mut s = Live::new(3);
    let ds = s.delegates(2);
    let room = Place::Room(s.rooms[0]);
    assert_eq!(refused(s.decide(s.lead, plan(&[]))), Refused::Invalid);
    let stranger = ParticipantId(Uuid::from_u128(0xdead));
    assert_eq!(
        refused(s.decide(s.lead, plan(&[(stranger, room)]))),
        Refused::NotFound
    );
    assert_eq!(
        refused(s.decide(s.lead, plan(&[(s.organizer, room)]))),
        Refused::Invalid
    );
    s.ok(s.lead, Command::RemoveParticipant { participant: ds[1] });
    assert_eq!(
        refused(s.decide(s.lead, plan(&[(ds[1], room)]))),
        Refused::Invalid
    );
    s.remove_room(2);
    let gone = Place::Room(s.rooms[2]);
    assert_eq!(
        refused(s.decide(s.lead, plan(&[(ds[0], gone)]))),
        Refused::NotFound
    );
    let nowhere = Place::Room(RoomId(Uuid::from_u128(0xbeef)));
    assert_eq!(
        refused(s.decide(s.lead, plan(&[(ds[0], nowhere)]))),
        Refused::NotFound
    );
    assert_eq!(s.place(ds[0]), Place::Lobby, "a refused plan moves nobody");
}

#[test]
fn assignment_respects_room_capacity() {
    let mut s = Live::new(4);
    s.delegates(9);
    s.set_capacity(0, Some(1));
    s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    let sizes = s.sizes();
    assert_eq!(sizes[0], 1);
    assert!(spread(&sizes[1..]) <= 1, "{sizes:?}");
    assert_eq!(s.in_lobby(), 0);
}

#[test]
fn an_assignment_beyond_capacity_is_refused_whole() {
    let mut s = Live::new(4);
    let ds = s.delegates(9);
    for room in 0..4 {
        s.set_capacity(room, Some(2));
    }
    for strategy in [Strategy::Even, Strategy::Random, Strategy::ByCountry] {
        let r = s.decide(s.lead, assign(strategy, Scope::Lobby, 7));
        assert_eq!(refused(r), Refused::Invalid, "{strategy:?}");
    }
    let crowd: Vec<_> = ds[..3]
        .iter()
        .map(|d| (*d, Place::Room(s.rooms[0])))
        .collect();
    assert_eq!(refused(s.decide(s.lead, plan(&crowd))), Refused::Invalid);
    assert_eq!(s.in_lobby(), 9);
    // A delegation larger than any room cannot be kept together.
    let mut t = Live::new(2);
    for _ in 0..3 {
        t.delegate("BR");
    }
    t.set_capacity(0, Some(2));
    t.set_capacity(1, Some(2));
    let r = t.decide(t.lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn capacity_counts_delegates_not_facilitators() {
    let mut s = Live::new(2);
    let ds = s.delegates(1);
    s.set_capacity(0, Some(1));
    s.put(ds[0], 0);
    let to = Place::Room(s.rooms[0]);
    s.ok(s.lead, plan(&[(s.helper, to)]));
    assert_eq!(s.place(s.helper), to);
    s.ok(
        s.lead,
        Command::MoveParticipant {
            participant: s.lead,
            to,
        },
    );
    assert_eq!(s.place(s.lead), to);
}

#[test]
fn scope_lobby_places_only_those_waiting_and_fills_the_emptiest_rooms() {
    let mut s = Live::new(4);
    let ds = s.delegates(8);
    s.put(ds[0], 0);
    s.put(ds[1], 0);
    s.put(ds[2], 1);
    s.put(s.helper, 3);
    let events = s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    let moved: BTreeSet<_> = moves_of(&events).iter().map(|m| m.participant).collect();
    assert_eq!(moved, ds[3..].iter().copied().collect());
    assert_eq!(s.sizes(), vec![2, 2, 2, 2]);
    assert_eq!(s.place(s.helper), Place::Room(s.rooms[3]), "staff stay put");
}

#[test]
fn scope_everyone_places_every_delegate_anew() {
    let mut s = Live::new(4);
    let ds = s.delegates(8);
    let fresh = s.clone();
    for d in &ds[..3] {
        s.put(*d, 0);
    }
    s.put(s.helper, 3);
    s.ok(s.lead, assign(Strategy::Even, Scope::Everyone, 0));
    let mut from_lobby = fresh;
    from_lobby.ok(from_lobby.lead, assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(
        s.places(),
        from_lobby.places(),
        "as if everyone waited in the lobby"
    );
    assert_eq!(s.sizes(), vec![2, 2, 2, 2]);
    assert_eq!(s.place(s.helper), Place::Room(s.rooms[3]), "staff stay put");
}

#[test]
fn only_staff_assign_rooms() {
    let mut s = Live::new(2);
    let ds = s.delegates(2);
    let r = s.decide(ds[0], assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(refused(r), Refused::Forbidden);
    s.ok(s.organizer, assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(s.in_lobby(), 0);
}

#[test]
fn self_select_lets_delegates_pick_their_room() {
    let mut s = Live::new(3);
    let d = s.delegate("AR");
    let events = s.ok(s.lead, assign(Strategy::SelfSelect, Scope::Lobby, 0));
    assert_eq!(events, vec![Event::SelfSelectSet { open: true }]);
    assert!(s.w.session.self_select);
    let room = s.rooms[1];
    let events = s.ok(d, Command::ChooseRoom { room });
    assert_eq!(
        events,
        vec![Event::ParticipantMoved {
            participant: d,
            from: Place::Lobby,
            room: Place::Room(room)
        }]
    );
    assert!(
        s.ok(d, Command::ChooseRoom { room }).is_empty(),
        "already there"
    );
    s.ok(d, Command::ChooseRoom { room: s.rooms[2] });
    assert_eq!(s.place(d), Place::Room(s.rooms[2]));
}

#[test]
fn delegates_choose_only_while_self_select_is_open() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let room = s.rooms[0];
    assert_eq!(
        refused(s.decide(d, Command::ChooseRoom { room })),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(d, Command::SetSelfSelect { open: true })),
        Refused::Forbidden
    );
    s.ok(s.lead, Command::SetSelfSelect { open: true });
    assert!(s
        .ok(s.lead, Command::SetSelfSelect { open: true })
        .is_empty());
    let r = s.decide(s.helper, Command::ChooseRoom { room });
    assert_eq!(
        refused(r),
        Refused::Forbidden,
        "staff are placed, they do not choose"
    );
    s.ok(s.lead, Command::SetSelfSelect { open: false });
    assert_eq!(
        refused(s.decide(d, Command::ChooseRoom { room })),
        Refused::Forbidden
    );
}

#[test]
fn choosing_a_room_respects_closed_full_and_removed_rooms() {
    let mut s = Live::new(4);
    let ds = s.delegates(2);
    s.ok(s.lead, Command::SetSelfSelect { open: true });
    s.close_room(0);
    s.set_capacity(1, Some(1));
    s.put(ds[1], 1);
    s.remove_room(2);
    let rooms = s.rooms.clone();
    let choose = |i: usize| Command::ChooseRoom { room: rooms[i] };
    assert_eq!(refused(s.decide(ds[0], choose(0))), Refused::Closed);
    assert_eq!(refused(s.decide(ds[0], choose(1))), Refused::Invalid);
    assert_eq!(refused(s.decide(ds[0], choose(2))), Refused::NotFound);
    s.ok(ds[0], choose(3));
    assert_eq!(s.place(ds[0]), Place::Room(s.rooms[3]));
}

#[test]
fn another_assignment_locks_self_select() {
    let mut s = Live::new(2);
    s.delegates(3);
    s.ok(s.lead, assign(Strategy::SelfSelect, Scope::Lobby, 0));
    let events = s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(events.last(), Some(&Event::SelfSelectSet { open: false }));
    assert!(!s.w.session.self_select);
}

#[test]
fn late_joiners_wait_in_the_lobby_by_default() {
    let mut s = Live::new(2);
    s.delegates(4);
    s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    assert_eq!(s.w.session.late_joiners, LateJoiners::Lobby);
    let late = s.delegate("PE");
    assert_eq!(s.place(late), Place::Lobby);
}

#[test]
fn late_joiners_even_go_to_the_smallest_open_room() {
    let mut s = Live::new(4);
    let ds = s.delegates(3);
    s.put(ds[0], 0);
    s.put(ds[1], 0);
    s.put(ds[2], 1);
    s.close_room(2);
    s.ok(
        s.lead,
        Command::SetLateJoiners {
            policy: LateJoiners::Even,
        },
    );
    let first = s.delegate("PE");
    assert_eq!(s.place(first), Place::Room(s.rooms[3]));
    let second = s.delegate("PE");
    assert_eq!(
        s.place(second),
        Place::Room(s.rooms[1]),
        "ties go to the earlier room"
    );
    let staff = s.join(Role::Facilitator, None);
    assert_eq!(s.place(staff), Place::Lobby, "only delegates are placed");
}

#[test]
fn late_joiners_by_country_join_their_delegation() {
    let mut s = Live::new(4);
    let ar = s.delegate("AR");
    let br = s.delegate("BR");
    let br2 = s.delegate("BR");
    s.put(ar, 2);
    s.put(br, 0);
    s.put(br2, 0);
    s.ok(
        s.lead,
        Command::SetLateJoiners {
            policy: LateJoiners::ByCountry,
        },
    );
    let late_br = s.delegate("BR");
    assert_eq!(s.place(late_br), Place::Room(s.rooms[0]));
    let late_cl = s.delegate("CL");
    assert_eq!(
        s.place(late_cl),
        Place::Room(s.rooms[1]),
        "no compatriots: smallest room"
    );
    s.set_capacity(2, Some(1));
    let late_ar = s.delegate("AR");
    assert_eq!(
        s.place(late_ar),
        Place::Room(s.rooms[3]),
        "their room is full"
    );
}

#[test]
fn only_staff_choose_how_late_joiners_are_placed() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let set = |policy| Command::SetLateJoiners { policy };
    assert_eq!(
        refused(s.decide(d, set(LateJoiners::Even))),
        Refused::Forbidden
    );
    assert_eq!(
        s.ok(s.helper, set(LateJoiners::ByCountry)),
        vec![Event::LateJoinersSet {
            policy: LateJoiners::ByCountry
        }]
    );
    assert!(s.ok(s.helper, set(LateJoiners::ByCountry)).is_empty());
}

#[test]
fn everyone_back_to_the_lobby_keeps_the_boards() {
    let mut s = Live::new(3);
    let ds = s.delegates(6);
    s.ok(s.lead, assign(Strategy::Even, Scope::Lobby, 0));
    s.put(s.helper, 1);
    let card = s.post(ds[0], 0, "Fragmented digital identity");
    assert_eq!(
        refused(s.decide(ds[0], Command::ReturnToLobby)),
        Refused::Forbidden
    );
    let events = s.ok(s.lead, Command::ReturnToLobby);
    let [Event::ReturnedToLobby { moves }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(moves.len(), 7, "six delegates and the facilitator");
    assert!(moves.iter().all(|m| m.room == Place::Lobby));
    assert!(s.w.participants.values().all(|p| p.room == Place::Lobby));
    assert_eq!(s.w.cards[&card].room, s.rooms[0]);
    assert!(
        s.ok(s.lead, Command::ReturnToLobby).is_empty(),
        "nobody left to bring back"
    );
}

#[test]
fn closed_and_removed_rooms_are_never_assigned() {
    let mut base = Live::new(4);
    base.reference_delegations();
    base.close_room(1);
    base.remove_room(2);
    let usable = [Place::Room(base.rooms[0]), Place::Room(base.rooms[3])];
    for strategy in [Strategy::Even, Strategy::Random, Strategy::ByCountry] {
        let mut s = base.clone();
        s.ok(s.lead, assign(strategy, Scope::Lobby, 5));
        for (who, place) in s.places() {
            assert!(
                usable.contains(&place),
                "{strategy:?} put {who} in {place:?}"
            );
        }
    }
    let mut s = base.clone();
    s.ok(
        s.lead,
        Command::SetLateJoiners {
            policy: LateJoiners::Even,
        },
    );
    let late = s.delegate("AR");
    assert!(usable.contains(&s.place(late)));
}

// ---------------------------------------------------------------------------------------
// Rooms during the session
// ---------------------------------------------------------------------------------------

#[test]
fn facilitators_create_rooms_during_the_session() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let create = |room: RoomId, name: &str, capacity| Command::CreateRoom {
        room,
        name: name.into(),
        capacity,
    };
    let new = RoomId(Uuid::from_u128(0x900));
    assert_eq!(
        refused(s.decide(d, create(new, "Late room", None))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.lead, create(new, "   ", None))),
        Refused::Invalid
    );
    assert_eq!(
        refused(s.decide(s.lead, create(new, "Late room", Some(0)))),
        Refused::Invalid
    );
    assert_eq!(
        refused(s.decide(s.lead, create(s.rooms[0], "Late room", None))),
        Refused::Invalid,
        "ids are unique"
    );
    s.ok(s.helper, create(new, "  Late room ", Some(6)));
    let room = s.w.rooms.last().unwrap();
    assert_eq!((room.id, room.name.as_str()), (new, "Late room"));
    assert!(room.open && !room.removed);
    assert_eq!(room.capacity, Some(6));
    assert_eq!(room.phase, Phase::Brainstorm);
    s.put(d, 0);
    s.ok(
        s.lead,
        Command::MoveParticipant {
            participant: d,
            to: Place::Room(new),
        },
    );
    assert_eq!(s.place(d), Place::Room(new));
}

#[test]
fn facilitators_rename_rooms() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let room = s.rooms[0];
    let rename = |name: &str| Command::RenameRoom {
        room,
        name: name.into(),
    };
    assert_eq!(refused(s.decide(d, rename("Mine"))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.lead, rename(""))), Refused::Invalid);
    s.ok(s.lead, rename("  Southern Cone and Brazil "));
    assert_eq!(s.room(0).name, "Southern Cone and Brazil");
    assert!(s.ok(s.lead, rename("Southern Cone and Brazil")).is_empty());
}

#[test]
fn room_capacity_limits_delegates_moved_in() {
    let mut s = Live::new(2);
    let ds = s.delegates(3);
    let room = s.rooms[0];
    let set = |capacity| Command::SetRoomCapacity { room, capacity };
    assert_eq!(refused(s.decide(ds[0], set(Some(2)))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.lead, set(Some(0)))), Refused::Invalid);
    s.ok(s.lead, set(Some(2)));
    assert_eq!(s.room(0).capacity, Some(2));
    assert!(s.ok(s.lead, set(Some(2))).is_empty());
    s.put(ds[0], 0);
    s.put(ds[1], 0);
    let to = Place::Room(s.rooms[0]);
    let r = s.decide(
        s.lead,
        Command::MoveParticipant {
            participant: ds[2],
            to,
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
    s.ok(s.lead, set(None));
    s.put(ds[2], 0);
    assert_eq!(s.sizes(), vec![3, 0]);
}

#[test]
fn removing_a_room_sends_its_members_to_the_lobby_and_keeps_its_cards() {
    let mut s = Live::new(3);
    let ds = s.delegates(3);
    s.put(ds[0], 1);
    s.put(ds[1], 1);
    s.put(ds[2], 2);
    s.put(s.helper, 1);
    let card = s.post(ds[0], 1, "No interoperability framework");
    let room = s.rooms[1];
    assert_eq!(
        refused(s.decide(ds[0], Command::RemoveRoom { room })),
        Refused::Forbidden
    );
    let events = s.ok(s.lead, Command::RemoveRoom { room });
    let [Event::RoomRemoved { moves, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let moved: BTreeSet<_> = moves.iter().map(|m| m.participant).collect();
    assert_eq!(moved, BTreeSet::from([ds[0], ds[1], s.helper]));
    assert!(moves.iter().all(|m| m.room == Place::Lobby));
    assert_eq!(s.place(ds[0]), Place::Lobby);
    assert_eq!(s.place(ds[2]), Place::Room(s.rooms[2]));
    assert!(s.room(1).removed);
    assert_eq!(s.w.cards[&card].room, room, "the card stays in the record");
    let staff_view = view(&s.w, s.me(s.lead));
    assert!(staff_view.cards.iter().any(|c| c.id == card));
    assert!(staff_view
        .rooms
        .iter()
        .any(|r| r.room.id == room && r.room.removed));
    assert_eq!(
        refused(s.decide(s.lead, Command::RemoveRoom { room })),
        Refused::NotFound,
        "already removed"
    );
}

#[test]
fn the_last_room_cannot_be_removed() {
    let mut s = Live::new(2);
    s.remove_room(0);
    let r = s.decide(s.lead, Command::RemoveRoom { room: s.rooms[1] });
    assert_eq!(refused(r), Refused::Invalid);
    assert!(!s.room(1).removed);
}

#[test]
fn a_removed_room_is_no_longer_a_destination() {
    let mut s = Live::new(3);
    let d = s.delegate("AR");
    s.remove_room(0);
    let room = s.rooms[0];
    let to = Place::Room(room);
    let commands = [
        Command::MoveParticipant { participant: d, to },
        Command::RenameRoom {
            room,
            name: "Back".into(),
        },
        Command::SetRoomCapacity {
            room,
            capacity: Some(3),
        },
        Command::OpenRoom { room },
        Command::CloseRoom { room },
        broadcast("Hello", Some(room)),
        start_timer(Some(room), 60, None, false, T0),
    ];
    for c in commands {
        assert_eq!(
            refused(s.decide(s.lead, c.clone())),
            Refused::NotFound,
            "{c:?}"
        );
    }
    s.ok(s.lead, Command::SetSelfSelect { open: true });
    assert_eq!(
        refused(s.decide(d, Command::ChooseRoom { room })),
        Refused::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Broadcasts
// ---------------------------------------------------------------------------------------

#[test]
fn only_staff_broadcast() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    assert_eq!(
        refused(s.decide(d, broadcast("Hi all", None))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.lead, broadcast("   ", None))),
        Refused::Invalid
    );
    s.ok(s.organizer, broadcast(" Welcome ", None));
    s.ok(s.helper, broadcast("Ten minutes left", Some(s.rooms[1])));
    let kept: Vec<_> =
        s.w.session
            .broadcasts
            .iter()
            .map(|b| (b.text.as_str(), b.room, b.by, b.at))
            .collect();
    assert_eq!(
        kept,
        vec![
            ("Welcome", None, s.organizer, Some(T0)),
            ("Ten minutes left", Some(s.rooms[1]), s.helper, Some(T0))
        ]
    );
}

#[test]
fn a_broadcast_keeps_its_time_and_a_logged_one_without_time_reads_as_none() {
    let mut s = Live::new(1);
    let sent = s
        .decide(
            s.lead,
            Command::Broadcast {
                text: "Coffee".into(),
                room: None,
                now: T0 + 5_000,
            },
        )
        .unwrap();
    s.apply(sent);
    assert_eq!(s.w.session.broadcasts[0].at, Some(T0 + 5_000));
    let old: Event = serde_json::from_str(&format!(
        r#"{{"type":"broadcast_sent","text":"Old","room":null,"by":"{}"}}"#,
        s.lead
    ))
    .unwrap();
    s.apply(vec![old]);
    let last = s.w.session.broadcasts.last().unwrap();
    assert_eq!((last.text.as_str(), last.at), ("Old", None));
}

#[test]
fn the_broadcast_history_keeps_the_latest_ones() {
    let mut s = Live::new(1);
    for n in 0..BROADCASTS_KEPT + 5 {
        s.ok(s.lead, broadcast(&format!("message {n}"), None));
    }
    let history = &s.w.session.broadcasts;
    assert_eq!(history.len(), BROADCASTS_KEPT);
    assert_eq!(history[0].text, "message 5");
    assert_eq!(
        history.last().unwrap().text,
        format!("message {}", BROADCASTS_KEPT + 4)
    );
    assert!(
        history.windows(2).all(|w| w[0].seq < w[1].seq),
        "oldest first"
    );
}

#[test]
fn a_room_broadcast_reaches_only_that_room_and_staff() {
    let mut s = Live::new(2);
    let ds = s.delegates(3);
    s.put(ds[0], 0);
    s.put(ds[1], 1);
    let to_room = &s
        .decide(s.lead, broadcast("Room 1: vote now", Some(s.rooms[0])))
        .unwrap()[0];
    let to_all = &s.decide(s.lead, broadcast("Back in 5", None)).unwrap()[0];
    let audience = Audience::of(&s.w, to_room);
    assert_eq!(audience, Audience::Room(s.rooms[0]));
    assert!(audience.admits(s.me(ds[0])));
    assert!(!audience.admits(s.me(ds[1])));
    assert!(!audience.admits(s.me(ds[2])), "not the lobby");
    assert!(audience.admits(s.me(s.helper)));
    assert_eq!(Audience::of(&s.w, to_all), Audience::Everyone);
}

// ---------------------------------------------------------------------------------------
// Help requests
// ---------------------------------------------------------------------------------------

#[test]
fn only_delegates_ask_for_help_and_the_room_is_recorded() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 1);
    let request = HelpId(Uuid::from_u128(0x5000));
    assert_eq!(
        refused(s.decide(s.helper, help(request))),
        Refused::Forbidden
    );
    s.ok(d, help(request));
    let h = &s.w.session.help[0];
    assert_eq!(h.id, request);
    assert_eq!(h.participant, d);
    assert_eq!(h.room, Place::Room(s.rooms[1]));
    assert_eq!(h.text.as_deref(), Some("we cannot see the board"));
    assert_eq!(h.status, HelpStatus::Open);
    assert_eq!(h.seq, s.w.seq);
    let blank = Command::RequestHelp {
        request: HelpId(Uuid::from_u128(0x5001)),
        text: Some("  ".into()),
    };
    s.ok(d, blank);
    assert_eq!(s.w.session.help[1].text, None);
    assert_eq!(
        refused(s.decide(d, help(request))),
        Refused::Invalid,
        "id reused"
    );
}

#[test]
fn a_delegate_keeps_at_most_three_requests_open() {
    let mut s = Live::new(1);
    let (d, other) = (s.delegate("AR"), s.delegate("BR"));
    let ids: Vec<HelpId> = (0..5)
        .map(|n| HelpId(Uuid::from_u128(0x5000 + n)))
        .collect();
    for id in &ids[..3] {
        s.ok(d, help(*id));
    }
    assert_eq!(refused(s.decide(d, help(ids[3]))), Refused::TooLarge);
    s.ok(s.lead, Command::AcknowledgeHelp { request: ids[0] });
    assert_eq!(
        refused(s.decide(d, help(ids[3]))),
        Refused::TooLarge,
        "acknowledged is still open"
    );
    s.ok(other, help(ids[4]));
    s.ok(s.lead, Command::ResolveHelp { request: ids[1] });
    s.ok(d, help(ids[3]));
}

#[test]
fn staff_acknowledge_and_resolve_help_requests() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let request = HelpId(Uuid::from_u128(0x5000));
    s.ok(d, help(request));
    let ack = Command::AcknowledgeHelp { request };
    let resolve = Command::ResolveHelp { request };
    assert_eq!(refused(s.decide(d, ack.clone())), Refused::Forbidden);
    assert_eq!(refused(s.decide(d, resolve.clone())), Refused::Forbidden);
    let unknown = Command::ResolveHelp {
        request: HelpId(Uuid::from_u128(0x5999)),
    };
    assert_eq!(refused(s.decide(s.lead, unknown)), Refused::NotFound);
    assert_eq!(
        s.ok(s.helper, ack.clone()),
        vec![Event::HelpAcknowledged {
            request,
            by: s.helper
        }]
    );
    assert_eq!(s.w.session.help[0].status, HelpStatus::Acknowledged);
    assert_eq!(s.w.session.help[0].handled_by, Some(s.helper));
    assert!(s.ok(s.lead, ack.clone()).is_empty());
    s.ok(s.lead, resolve.clone());
    assert_eq!(s.w.session.help[0].status, HelpStatus::Resolved);
    assert_eq!(s.w.session.help[0].handled_by, Some(s.lead));
    assert!(
        s.ok(s.lead, ack).is_empty(),
        "a resolved request stays resolved"
    );
    assert!(s.ok(s.lead, resolve).is_empty());
}

#[test]
fn help_requests_are_seen_by_staff_and_the_requester() {
    let mut s = Live::new(1);
    let (d, other) = (s.delegate("AR"), s.delegate("AR"));
    let request = HelpId(Uuid::from_u128(0x5000));
    let asked = s.decide(d, help(request)).unwrap();
    assert_eq!(Audience::of(&s.w, &asked[0]), Audience::StaffAnd(d));
    s.apply(asked);
    for c in [
        Command::AcknowledgeHelp { request },
        Command::ResolveHelp { request },
    ] {
        let events = s.decide(s.lead, c).unwrap();
        let audience = Audience::of(&s.w, &events[0]);
        assert_eq!(audience, Audience::StaffAnd(d));
        assert!(audience.admits(s.me(d)) && audience.admits(s.me(s.helper)));
        assert!(!audience.admits(s.me(other)));
        s.apply(events);
    }
}

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

// ---------------------------------------------------------------------------------------
// The session: who leads, closing, removing participants
// ---------------------------------------------------------------------------------------

#[test]
fn the_first_facilitator_to_join_leads() {
    let s = Live::new(1);
    assert_eq!(s.w.session.lead, Some(s.lead));
    assert_ne!(s.lead, s.helper);
}

#[test]
fn only_the_organizer_or_the_lead_close_and_reopen_the_workshop() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    for who in [d, s.helper] {
        assert_eq!(
            refused(s.decide(who, Command::CloseWorkshop)),
            Refused::Forbidden
        );
    }
    assert_eq!(
        s.ok(s.lead, Command::CloseWorkshop),
        vec![Event::WorkshopClosed]
    );
    assert!(s.w.session.closed);
    assert!(s.ok(s.organizer, Command::CloseWorkshop).is_empty());
    for who in [d, s.helper] {
        assert_eq!(
            refused(s.decide(who, Command::ReopenWorkshop)),
            Refused::Forbidden
        );
    }
    assert_eq!(
        s.ok(s.organizer, Command::ReopenWorkshop),
        vec![Event::WorkshopReopened]
    );
    assert!(!s.w.session.closed);
    assert!(s.ok(s.lead, Command::ReopenWorkshop).is_empty());
    s.ok(s.organizer, Command::CloseWorkshop);
    s.ok(s.lead, Command::ReopenWorkshop);
    assert!(!s.w.session.closed);
}

#[test]
fn a_closed_workshop_refuses_every_change_but_reopening() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 0);
    s.ok(s.lead, start_timer(None, 600, None, true, T0));
    s.ok(s.lead, Command::CloseWorkshop);
    let room = s.rooms[0];
    let by_delegate = [
        Command::PostCard {
            card: CardId(Uuid::from_u128(0x7000)),
            room,
            column: "problems".into(),
            text: "Late card".into(),
        },
        help(HelpId(Uuid::from_u128(0x5000))),
    ];
    for c in by_delegate {
        assert_eq!(refused(s.decide(d, c.clone())), Refused::Closed, "{c:?}");
    }
    let by_staff = [
        Command::MoveParticipant {
            participant: d,
            to: Place::Lobby,
        },
        assign(Strategy::Even, Scope::Everyone, 0),
        Command::ReturnToLobby,
        broadcast("Still here?", None),
        start_timer(None, 60, None, false, T0),
        Command::CancelTimer { room: None },
        Command::CreateRoom {
            room: RoomId(Uuid::from_u128(0x900)),
            name: "More".into(),
            capacity: None,
        },
        Command::RemoveRoom { room },
        Command::SetLead {
            participant: s.helper,
        },
        Command::RemoveParticipant { participant: d },
        Command::SetPhase {
            room: None,
            phase: Phase::Vote,
            hidden: false,
        },
    ];
    for c in by_staff {
        assert_eq!(
            refused(s.decide(s.organizer, c.clone())),
            Refused::Closed,
            "{c:?}"
        );
    }
    let joining = Command::Join {
        participant: ParticipantId(Uuid::from_u128(0x4444)),
        name: "Latecomer".into(),
        country: Some("PE".into()),
        language: "es".into(),
        role: Role::Delegate,
    };
    assert_eq!(
        refused(decide(&s.w, Actor::Server, &joining)),
        Refused::Closed
    );
    // The server's clock still runs, and the organizer or lead may reopen.
    assert!(decide(&s.w, Actor::Server, &Command::Tick { now: T0 + 300 * S }).is_ok());
    s.ok(s.lead, Command::ReopenWorkshop);
    s.ok(d, help(HelpId(Uuid::from_u128(0x5000))));
}

#[test]
fn the_organizer_names_the_lead_facilitator() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let set = |participant| Command::SetLead { participant };
    assert_eq!(refused(s.decide(s.lead, set(s.helper))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.organizer, set(d))), Refused::Invalid);
    let stranger = ParticipantId(Uuid::from_u128(0xdead));
    assert_eq!(
        refused(s.decide(s.organizer, set(stranger))),
        Refused::NotFound
    );
    assert!(s.ok(s.organizer, set(s.lead)).is_empty(), "already leads");
    assert_eq!(
        s.ok(s.organizer, set(s.helper)),
        vec![Event::LeadSet {
            participant: s.helper
        }]
    );
    assert_eq!(s.w.session.lead, Some(s.helper));
    let old_lead = s.lead;
    assert_eq!(
        refused(s.decide(old_lead, Command::CloseWorkshop)),
        Refused::Forbidden
    );
    s.ok(s.helper, Command::CloseWorkshop);
    s.ok(s.helper, Command::ReopenWorkshop);
    s.ok(
        s.organizer,
        Command::RemoveParticipant {
            participant: old_lead,
        },
    );
    assert_eq!(
        refused(s.decide(s.organizer, set(old_lead))),
        Refused::Invalid
    );
}

#[test]
fn neither_the_organizer_nor_yourself_can_be_removed() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let remove = |participant| Command::RemoveParticipant { participant };
    assert_eq!(
        refused(s.decide(s.lead, remove(s.organizer))),
        Refused::Invalid
    );
    assert_eq!(refused(s.decide(s.lead, remove(s.lead))), Refused::Invalid);
    assert_eq!(
        refused(s.decide(s.helper, remove(s.helper))),
        Refused::Invalid
    );
    assert_eq!(refused(s.decide(d, remove(d))), Refused::Forbidden);
    let other = s.delegate("BR");
    assert_eq!(refused(s.decide(d, remove(other))), Refused::Forbidden);
    assert_eq!(
        refused(s.decide(s.lead, remove(ParticipantId(Uuid::from_u128(0xdead))))),
        Refused::NotFound
    );
}

#[test]
fn facilitators_are_removed_only_by_the_lead_or_the_organizer() {
    let mut s = Live::new(1);
    let third = s.join(Role::Facilitator, None);
    let remove = |participant| Command::RemoveParticipant { participant };
    assert_eq!(
        refused(s.decide(s.helper, remove(third))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.helper, remove(s.lead))),
        Refused::Forbidden
    );
    let d = s.delegate("AR");
    s.ok(s.helper, remove(d));
    s.ok(s.lead, remove(third));
    assert!(s.me(third).removed);
    s.ok(s.organizer, remove(s.lead));
    assert!(s.me(s.lead).removed);
    assert_eq!(s.w.session.lead, None, "a removed lead leads no more");
}

#[test]
fn a_removed_participant_cannot_act_and_waits_in_the_lobby() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 0);
    let card = s.post(d, 0, "Connectivity gaps in rural areas");
    let events = s.ok(s.helper, Command::RemoveParticipant { participant: d });
    assert_eq!(events, vec![Event::ParticipantRemoved { participant: d }]);
    assert!(s.me(d).removed);
    assert_eq!(s.place(d), Place::Lobby);
    assert!(s.w.cards.contains_key(&card), "their cards stay");
    let their_commands = [
        Command::EditCard {
            card,
            text: "changed".into(),
        },
        help(HelpId(Uuid::from_u128(0x5000))),
        Command::ChooseRoom { room: s.rooms[1] },
    ];
    for c in their_commands {
        assert_eq!(refused(s.decide(d, c.clone())), Refused::Forbidden, "{c:?}");
    }
    let r = s.decide(
        s.lead,
        Command::MoveParticipant {
            participant: d,
            to: Place::Room(s.rooms[1]),
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
    assert!(s
        .ok(s.lead, Command::RemoveParticipant { participant: d })
        .is_empty());
    let others = s.delegates(2);
    s.ok(s.lead, assign(Strategy::Even, Scope::Everyone, 0));
    assert_eq!(s.place(d), Place::Lobby, "assignments skip them");
    assert!(others.iter().all(|o| s.place(*o) != Place::Lobby));
    let lobby = view(&s.w, s.me(s.lead)).lobby;
    assert!(!lobby.contains(&d));
}

#[test]
fn a_removed_facilitator_cannot_act() {
    let mut s = Live::new(1);
    s.ok(
        s.lead,
        Command::RemoveParticipant {
            participant: s.helper,
        },
    );
    let r = s.decide(s.helper, broadcast("Still here", None));
    assert_eq!(refused(r), Refused::Forbidden);
}

// ---------------------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------------------

#[test]
fn session_events_reach_their_audiences() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let room = s.rooms[0];
    let request = HelpId(Uuid::from_u128(0x5000));
    s.ok(d, help(request));
    let m = Move {
        participant: d,
        from: Place::Lobby,
        room: Place::Room(room),
    };
    let cases = [
        (
            Event::RoomCreated {
                room: s.room(1).clone(),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomRenamed {
                room,
                name: "A".into(),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomCapacitySet {
                room,
                capacity: Some(3),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomRemoved {
                room,
                moves: vec![],
            },
            Audience::Everyone,
        ),
        (
            Event::RoomsAssigned {
                strategy: Strategy::Even,
                seed: 0,
                moves: vec![m.clone()],
            },
            Audience::Everyone,
        ),
        (
            Event::ReturnedToLobby { moves: vec![m] },
            Audience::Everyone,
        ),
        (Event::SelfSelectSet { open: true }, Audience::Everyone),
        (
            Event::LateJoinersSet {
                policy: LateJoiners::Even,
            },
            Audience::Staff,
        ),
        (
            Event::BroadcastSent {
                text: "x".into(),
                room: None,
                by: s.lead,
                at: Some(T0),
            },
            Audience::Everyone,
        ),
        (
            Event::BroadcastSent {
                text: "x".into(),
                room: Some(room),
                by: s.lead,
                at: Some(T0),
            },
            Audience::Room(room),
        ),
        (
            Event::TimerStarted {
                room,
                deadline: T0,
                seconds: 60,
                warnings: vec![],
                close_at_end: false,
            },
            Audience::Room(room),
        ),
        (
            Event::TimerExtended {
                room,
                deadline: None,
                remaining_ms: 1,
                fired: vec![],
            },
            Audience::Room(room),
        ),
        (
            Event::TimerPaused {
                room,
                remaining_ms: 1,
            },
            Audience::Room(room),
        ),
        (
            Event::TimerResumed { room, deadline: T0 },
            Audience::Room(room),
        ),
        (Event::TimerCancelled { room }, Audience::Room(room)),
        (
            Event::TimerWarning {
                room,
                seconds: 60,
                closes: true,
            },
            Audience::Room(room),
        ),
        (Event::TimerEnded { room }, Audience::Room(room)),
        (
            Event::HelpRequested {
                request,
                participant: d,
                room: Place::Lobby,
                text: None,
            },
            Audience::StaffAnd(d),
        ),
        (
            Event::HelpAcknowledged {
                request,
                by: s.lead,
            },
            Audience::StaffAnd(d),
        ),
        (
            Event::HelpResolved {
                request,
                by: s.lead,
            },
            Audience::StaffAnd(d),
        ),
        (Event::WorkshopClosed, Audience::Everyone),
        (Event::WorkshopReopened, Audience::Everyone),
        (
            Event::ParticipantRemoved { participant: d },
            Audience::Everyone,
        ),
        (
            Event::LeadSet {
                participant: s.helper,
            },
            Audience::Everyone,
        ),
    ];
    for (event, audience) in cases {
        assert_eq!(Audience::of(&s.w, &event), audience, "{event:?}");
    }
}

#[test]
fn a_delegate_s_session_view_shows_only_what_concerns_them() {
    let mut s = Live::new(2);
    let (ana, ben) = (s.delegate("AR"), s.delegate("BR"));
    s.put(ana, 0);
    s.put(ben, 1);
    s.ok(s.lead, broadcast("Welcome", None));
    s.ok(s.lead, broadcast("Room 1 only", Some(s.rooms[0])));
    s.ok(s.lead, broadcast("Room 2 only", Some(s.rooms[1])));
    s.ok(ana, help(HelpId(Uuid::from_u128(0x5000))));
    s.ok(ben, help(HelpId(Uuid::from_u128(0x5001))));
    s.ok(s.lead, start_timer(None, 600, None, false, T0));

    let ana_view = view(&s.w, s.me(ana)).session;
    let texts: Vec<_> = ana_view
        .broadcasts
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(texts, vec!["Welcome", "Room 1 only"]);
    assert_eq!(ana_view.help.len(), 1);
    assert_eq!(ana_view.help[0].participant, ana);
    let timers: Vec<_> = ana_view.timers.iter().map(|t| t.room).collect();
    assert_eq!(timers, vec![s.rooms[0]]);
    assert_eq!(ana_view.late_joiners, None);

    let staff_view = view(&s.w, s.me(s.helper)).session;
    assert_eq!(staff_view.broadcasts.len(), 3);
    assert_eq!(staff_view.help.len(), 2);
    assert_eq!(staff_view.timers.len(), 2);
    assert_eq!(staff_view.late_joiners, Some(LateJoiners::Lobby));
    assert_eq!(staff_view.lead, Some(s.lead));

    // In the lobby: whole-workshop broadcasts only, no room timer.
    s.ok(
        s.lead,
        Command::MoveParticipant {
            participant: ana,
            to: Place::Lobby,
        },
    );
    let lobby_view = view(&s.w, s.me(ana)).session;
    assert_eq!(lobby_view.broadcasts.len(), 1);
    assert!(lobby_view.timers.is_empty());
}

#[test]
fn an_assignment_reshapes_the_view_of_exactly_those_it_moved() {
    let mut s = Live::new(2);
    let ds = s.delegates(4);
    s.put(ds[0], 0);
    s.put(s.helper, 0);
    let events = s
        .decide(s.lead, assign(Strategy::Even, Scope::Lobby, 0))
        .unwrap();
    let moved: Vec<_> = moves_of(&events).iter().map(|m| m.participant).collect();
    assert_eq!(
        moved.iter().copied().collect::<BTreeSet<_>>(),
        ds[1..].iter().copied().collect(),
        "those waiting in the lobby"
    );
    let reshape = Reshape::of(s.w.settings.as_ref(), &events[0]);
    assert_eq!(reshape, Reshape::Participants(moved.clone()));
    s.apply(events);
    for p in s.w.participants.values() {
        assert_eq!(reshape.affects(p), moved.contains(&p.id), "{}", p.name);
    }
    // Everyone back, and a room's removal, likewise.
    let remove = s
        .decide(s.lead, Command::RemoveRoom { room: s.rooms[0] })
        .unwrap();
    let in_room_0: Vec<_> =
        s.w.participants
            .values()
            .filter(|p| p.room == Place::Room(s.rooms[0]))
            .map(|p| p.id)
            .collect();
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &remove[0]),
        Reshape::Participants(in_room_0)
    );
    let back = s.decide(s.lead, Command::ReturnToLobby).unwrap();
    let everyone_placed: Vec<_> =
        s.w.participants
            .values()
            .filter(|p| p.room != Place::Lobby)
            .map(|p| p.id)
            .collect();
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &back[0]),
        Reshape::Participants(everyone_placed)
    );
}

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

/// A facilitator runs the reference workshop's breakout session from start to close.
fn long_session() -> Live {
    let mut s = Live::new(4);
    let delegations = s.reference_delegations();
    let ar = delegations["AR"][0];
    let br = delegations["BR"][0];
    let lead = s.lead;
    s.ok(
        lead,
        Command::SetLateJoiners {
            policy: LateJoiners::ByCountry,
        },
    );
    s.ok(lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    let late = s.delegate("AR");
    assert_eq!(s.place(late), s.place(ar));
    s.ok(lead, broadcast("Welcome to the breakout rooms", None));
    s.ok(lead, start_timer(None, 1800, None, true, T0));
    let room_of_ar = s.place(ar).room().unwrap();
    let card = s.post(
        ar,
        s.rooms.iter().position(|r| *r == room_of_ar).unwrap(),
        "Weak data governance",
    );
    s.ok(ar, help(HelpId(Uuid::from_u128(0x5000))));
    s.ok(
        s.helper,
        Command::AcknowledgeHelp {
            request: HelpId(Uuid::from_u128(0x5000)),
        },
    );
    s.tick(T0 + 1500 * S);
    s.ok(
        lead,
        Command::PauseTimer {
            room: None,
            now: T0 + 1550 * S,
        },
    );
    s.ok(
        lead,
        Command::ExtendTimer {
            room: None,
            seconds: 300,
            now: T0 + 1600 * S,
        },
    );
    s.ok(
        lead,
        Command::ResumeTimer {
            room: None,
            now: T0 + 1700 * S,
        },
    );
    s.ok(
        s.helper,
        Command::ResolveHelp {
            request: HelpId(Uuid::from_u128(0x5000)),
        },
    );
    let extra = s.create_room(Some(10));
    s.ok(
        lead,
        Command::RenameRoom {
            room: extra,
            name: "Overflow".into(),
        },
    );
    s.ok(
        lead,
        Command::SetRoomCapacity {
            room: extra,
            capacity: Some(12),
        },
    );
    s.ok(lead, Command::SetSelfSelect { open: true });
    s.ok(br, Command::ChooseRoom { room: extra });
    s.ok(lead, broadcast("Overflow room: five minutes", Some(extra)));
    s.ok(
        lead,
        Command::RemoveParticipant {
            participant: delegations["UY"][3],
        },
    );
    s.ok(
        s.organizer,
        Command::SetLead {
            participant: s.helper,
        },
    );
    s.ok(
        lead,
        Command::CancelTimer {
            room: Some(s.rooms[3]),
        },
    );
    s.tick(T0 + 2000 * S);
    s.tick(T0 + 2200 * S);
    s.remove_room(4);
    s.ok(lead, assign(Strategy::Random, Scope::Everyone, 24));
    s.ok(lead, Command::ReturnToLobby);
    s.ok(
        s.organizer,
        Command::SetPhase {
            room: None,
            phase: Phase::Closed,
            hidden: false,
        },
    );
    s.ok(s.helper, Command::CloseWorkshop);
    s.ok(s.organizer, Command::ReopenWorkshop);
    s.ok(s.helper, Command::CloseWorkshop);
    assert!(s.w.cards.contains_key(&card));
    s
}

#[test]
fn replaying_a_long_session_rebuilds_the_live_state() {
    let live = long_session();
    assert!(live.log.len() > 100, "{} events", live.log.len());
    let mut replayed = Workshop::empty(live.w.id);
    for (i, event) in live.log.iter().enumerate() {
        let stored = serde_json::to_string(event).unwrap();
        let event: Event = serde_json::from_str(&stored).unwrap();
        replayed.apply(i as u64 + 1, &event);
    }
    assert_eq!(replayed, live.w);
    assert!(replayed.session.closed);
    assert_eq!(replayed.session.lead, Some(live.helper));
}
