//! What a client holds: its snapshot folded with the events it receives, checked against a
//! fresh snapshot, and that no event leaks what its receiver may not see.

use super::*;

/// A card as a client holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SeenCard {
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
pub(super) struct Client {
    cards: BTreeMap<CardId, SeenCard>,
    groups: BTreeMap<GroupId, SeenGroup>,
    /// Staff only.
    conclusions: Option<BTreeMap<ConclusionId, SeenConclusion>>,
}

pub(super) fn snapshot(w: &Workshop, who: &Participant) -> Client {
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
pub(super) fn fold(client: &mut Client, me: &Participant, e: &Event) {
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
pub(super) fn check_no_leak(before: &Workshop, after: &Workshop, me: &Participant, e: &Event) {
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
pub(super) fn check_views(
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
