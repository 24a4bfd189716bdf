//! Placing delegates in rooms: even, random (seeded), by country (delegations together,
//! sizes as balanced as they allow), self-selection, or a prepared plan — one command, one
//! event, every move at once, so nobody ends up in two rooms or none.

use super::session::LateJoiners;
use super::{
    require_staff, DomainError, Event, Participant, ParticipantId, Place, Role, RoomId, Workshop,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Even,
    Random,
    ByCountry,
    SelfSelect,
    Plan,
}

/// Who an assignment places: those waiting in the lobby, or every delegate anew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Lobby,
    Everyone,
}

/// One participant's move within an assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub participant: ParticipantId,
    pub from: Place,
    pub room: Place,
}

/// A room as the balancing sees it: how full it is and how full it may get.
struct Slot {
    id: RoomId,
    members: usize,
    capacity: Option<usize>,
}

impl Slot {
    fn fits(&self, n: usize) -> bool {
        self.capacity.is_none_or(|c| self.members + n <= c)
    }
}

/// The least-filled open room that can take `n` more; ties go to the earlier room.
fn smallest(slots: &mut [Slot], n: usize) -> Option<&mut Slot> {
    slots
        .iter_mut()
        .filter(|s| s.fits(n))
        .min_by_key(|s| s.members)
}

fn slots(state: &Workshop, counting: impl Fn(&Participant) -> bool) -> Vec<Slot> {
    state
        .rooms
        .iter()
        .filter(|r| !r.removed && r.open)
        .map(|r| Slot {
            id: r.id,
            members: state
                .participants
                .values()
                .filter(|p| p.room == Place::Room(r.id) && counting(p))
                .count(),
            capacity: r.capacity.map(|c| c as usize),
        })
        .collect()
}

fn is_delegate(p: &Participant) -> bool {
    p.role == Role::Delegate && !p.removed
}

/// A small deterministic generator (SplitMix64): the same seed gives the same shuffle.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn full() -> DomainError {
    DomainError::Invalid("the open rooms do not have capacity for everyone".into())
}

pub(super) fn assign(
    state: &Workshop,
    me: &Participant,
    strategy: Strategy,
    scope: Scope,
    seed: u64,
    plan: &BTreeMap<ParticipantId, Place>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "assign rooms")?;
    let to_place: Vec<&Participant> = state
        .participants
        .values()
        .filter(|p| is_delegate(p) && (scope == Scope::Everyone || p.room == Place::Lobby))
        .collect();
    // Everyone is placed anew: rooms count as empty of delegates.
    let mut slots = slots(state, |p| scope == Scope::Lobby && is_delegate(p));
    let mut placed: Vec<(ParticipantId, Place)> = Vec::new();
    match strategy {
        Strategy::SelfSelect => {
            return Ok(if state.session.self_select {
                vec![]
            } else {
                vec![Event::SelfSelectSet { open: true }]
            })
        }
        Strategy::Plan => {
            if plan.is_empty() {
                return Err(DomainError::Invalid("`plan` names nobody".into()));
            }
            for (who, place) in plan {
                let p = state.participant(*who)?;
                if p.role == Role::Organizer || p.removed {
                    return Err(DomainError::Invalid(format!(
                        "{who} cannot be placed in a room"
                    )));
                }
                if let Place::Room(r) = place {
                    state.live_room(*r)?;
                }
                placed.push((*who, *place));
            }
        }
        Strategy::Even | Strategy::Random => {
            // A stable order (name, country, id), so the same people and seed give the
            // same placement in any workshop.
            let mut order = to_place.clone();
            order.sort_by(|a, b| {
                (a.name.as_str(), a.country.as_deref(), a.id).cmp(&(
                    b.name.as_str(),
                    b.country.as_deref(),
                    b.id,
                ))
            });
            if strategy == Strategy::Random {
                shuffle(&mut order, seed);
            }
            for p in order {
                let slot = smallest(&mut slots, 1).ok_or_else(full)?;
                slot.members += 1;
                placed.push((p.id, Place::Room(slot.id)));
            }
        }
        Strategy::ByCountry => {
            let mut delegations: BTreeMap<&str, Vec<&Participant>> = BTreeMap::new();
            for p in &to_place {
                delegations
                    .entry(p.country.as_deref().unwrap_or(""))
                    .or_default()
                    .push(p);
            }
            // Placing the lobby: a delegation whose compatriots already sit in an open room
            // joins them there, if it fits, rather than being split off.
            if scope == Scope::Lobby {
                delegations.retain(|country, members| {
                    let seated = |room: RoomId| {
                        state
                            .participants
                            .values()
                            .filter(|p| is_delegate(p) && p.room == Place::Room(room))
                            .filter(|p| {
                                !country.is_empty() && p.country.as_deref() == Some(*country)
                            })
                            .count()
                    };
                    let best = (0..slots.len())
                        .filter(|i| slots[*i].fits(members.len()))
                        .map(|i| (seated(slots[i].id), i))
                        .filter(|(n, _)| *n > 0)
                        .max_by_key(|(n, i)| (*n, std::cmp::Reverse(*i)));
                    let Some((_, i)) = best else { return true };
                    slots[i].members += members.len();
                    placed.extend(members.iter().map(|p| (p.id, Place::Room(slots[i].id))));
                    false
                });
            }
            let delegations: Vec<Vec<&Participant>> = delegations.into_values().collect();
            let rooms = balance_delegations(&mut slots, &delegations).ok_or_else(full)?;
            for (members, slot) in delegations.iter().zip(rooms) {
                placed.extend(members.iter().map(|p| (p.id, Place::Room(slots[slot].id))));
            }
        }
    }
    let moves: Vec<Move> = placed
        .into_iter()
        .filter_map(|(who, room)| {
            let from = state.participants.get(&who)?.room;
            (from != room).then_some(Move {
                participant: who,
                from,
                room,
            })
        })
        .collect();
    check_capacity(state, &moves)?;
    let mut events = vec![Event::RoomsAssigned {
        strategy,
        seed,
        moves,
    }];
    if state.session.self_select {
        events.push(Event::SelfSelectSet { open: false });
    }
    Ok(events)
}

/// Places whole delegations so that room sizes are as even as they allow: largest first
/// into the least-filled room, then single moves and pairwise swaps of delegations while
/// they lower the sum of squared room sizes. Returns each delegation's slot index, or
/// `None` when capacities cannot take them.
fn balance_delegations(
    slots: &mut [Slot],
    delegations: &[Vec<&Participant>],
) -> Option<Vec<usize>> {
    let size = |d: usize| delegations[d].len();
    let mut order: Vec<usize> = (0..delegations.len()).collect();
    order.sort_by(|a, b| size(*b).cmp(&size(*a)).then(a.cmp(b)));
    let mut room = vec![0; delegations.len()];
    for d in order {
        let slot = (0..slots.len())
            .filter(|s| slots[*s].fits(size(d)))
            .min_by_key(|s| slots[*s].members)?;
        slots[slot].members += size(d);
        room[d] = slot;
    }
    let sq = |n: usize| n * n;
    loop {
        let mut improved = false;
        for (d, delegation) in delegations.iter().enumerate() {
            for to in 0..slots.len() {
                let from = room[d];
                let n = delegation.len();
                if to == from || !slots[to].fits(n) {
                    continue;
                }
                let (a, b) = (slots[from].members, slots[to].members);
                if sq(a - n) + sq(b + n) < sq(a) + sq(b) {
                    slots[from].members -= n;
                    slots[to].members += n;
                    room[d] = to;
                    improved = true;
                }
            }
        }
        for d in 0..delegations.len() {
            for e in d + 1..delegations.len() {
                let (rd, re) = (room[d], room[e]);
                let (nd, ne) = (size(d), size(e));
                if rd == re || nd == ne {
                    continue;
                }
                let (a, b) = (slots[rd].members, slots[re].members);
                let (a2, b2) = (a - nd + ne, b - ne + nd);
                let fits = |s: &Slot, n: usize| s.capacity.is_none_or(|c| n <= c);
                if fits(&slots[rd], a2) && fits(&slots[re], b2) && sq(a2) + sq(b2) < sq(a) + sq(b) {
                    slots[rd].members = a2;
                    slots[re].members = b2;
                    room.swap(d, e);
                    improved = true;
                }
            }
        }
        if !improved {
            return Some(room);
        }
    }
}

/// Refuses moves that would overfill a room with a capacity.
fn check_capacity(state: &Workshop, moves: &[Move]) -> Result<(), DomainError> {
    for room in state.rooms.iter().filter(|r| r.capacity.is_some()) {
        let here = Place::Room(room.id);
        let stays = state
            .participants
            .values()
            .filter(|p| p.room == here && is_delegate(p))
            .filter(|p| !moves.iter().any(|m| m.participant == p.id))
            .count();
        // Like `stays`, only delegates count: staff may join any room.
        let arrives = moves
            .iter()
            .filter(|m| m.room == here)
            .filter(|m| {
                state
                    .participants
                    .get(&m.participant)
                    .is_some_and(is_delegate)
            })
            .count();
        if arrives == 0 {
            // Only rooms people move into are checked: a lowered capacity does not block
            // assignments elsewhere.
            continue;
        }
        if room.capacity.is_some_and(|c| stays + arrives > c as usize) {
            return Err(DomainError::Invalid(format!(
                "room {:?} holds at most {} delegates",
                room.name,
                room.capacity.unwrap_or(0)
            )));
        }
    }
    Ok(())
}

/// Where a delegate joining now goes under `policy`, if anywhere.
pub(super) fn place_late_joiner(
    state: &Workshop,
    policy: LateJoiners,
    country: Option<&str>,
) -> Option<RoomId> {
    let mut slots = slots(state, is_delegate);
    if policy == LateJoiners::ByCountry {
        // The room holding most of their delegation, if it has space.
        let mut best: Option<(usize, RoomId)> = None;
        for slot in slots.iter().filter(|s| s.fits(1)) {
            let compatriots = state
                .participants
                .values()
                .filter(|p| p.room == Place::Room(slot.id) && is_delegate(p))
                .filter(|p| country.is_some() && p.country.as_deref() == country)
                .count();
            if compatriots > 0 && best.is_none_or(|(n, _)| compatriots > n) {
                best = Some((compatriots, slot.id));
            }
        }
        if let Some((_, room)) = best {
            return Some(room);
        }
    }
    match policy {
        LateJoiners::Lobby => None,
        LateJoiners::Even | LateJoiners::ByCountry => smallest(&mut slots, 1).map(|s| s.id),
    }
}

/// Delegates pick their own room while self-selection is open.
pub(super) fn choose_room(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
) -> Result<Vec<Event>, DomainError> {
    if me.role != Role::Delegate {
        return Err(DomainError::Forbidden(
            "only delegates choose their room".into(),
        ));
    }
    if !state.session.self_select {
        return Err(DomainError::Forbidden(
            "rooms are assigned by the facilitators right now".into(),
        ));
    }
    let r = state.live_room(room)?;
    if !r.open || r.phase == super::Phase::Closed {
        return Err(DomainError::Closed("that room is closed".into()));
    }
    if me.room == Place::Room(room) {
        return Ok(vec![]);
    }
    let moves = [Move {
        participant: me.id,
        from: me.room,
        room: Place::Room(room),
    }];
    check_capacity(state, &moves)?;
    Ok(vec![Event::ParticipantMoved {
        participant: me.id,
        from: me.room,
        room: Place::Room(room),
    }])
}

pub(super) fn set_self_select(
    state: &Workshop,
    me: &Participant,
    open: bool,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "open or lock self-selection")?;
    if state.session.self_select == open {
        return Ok(vec![]);
    }
    Ok(vec![Event::SelfSelectSet { open }])
}

pub(super) fn set_late_joiners(
    state: &Workshop,
    me: &Participant,
    policy: LateJoiners,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "choose how late joiners are placed")?;
    if state.session.late_joiners == policy {
        return Ok(vec![]);
    }
    Ok(vec![Event::LateJoinersSet { policy }])
}

/// Everyone back to the plenary; rooms keep their boards.
pub(super) fn return_to_lobby(
    state: &Workshop,
    me: &Participant,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "send everyone back to the lobby")?;
    let moves: Vec<Move> = state
        .participants
        .values()
        .filter(|p| p.room != Place::Lobby)
        .map(|p| Move {
            participant: p.id,
            from: p.room,
            room: Place::Lobby,
        })
        .collect();
    if moves.is_empty() {
        return Ok(vec![]);
    }
    Ok(vec![Event::ReturnedToLobby { moves }])
}
