//! Delegates choosing their room (self-select) and where late joiners are placed.

use super::*;

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
