//! Assigning rooms: every strategy and scope, capacity, everyone back (`choosing.rs`:
//! self-selection and late joiners).

use super::*;

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
        serde_json::from_str(include_str!("../../../data/going-digital-2020.json")).unwrap();
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
