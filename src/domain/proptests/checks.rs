//! The rules every reachable state, report and applied event must obey.

use super::*;

pub(super) fn known_theme(settings: &Settings, theme: &str) -> bool {
    settings.themes.iter().any(|t| t.key == theme)
}

/// The rules every state reachable through `decide` must obey.
pub(super) fn check_state(w: &Workshop) {
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
pub(super) fn check_reports(w: &Workshop) {
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

/// What applying one event did, judged against the state `before` it.
pub(super) fn check_applied(before: &Workshop, after: &Workshop, e: &Event) {
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
