//! `check_events`: the events each accepted command produced are exactly what it asked.

use super::*;

/// The rules the events of one successful command must obey, judged against the state
/// `before` the command.
pub(super) fn check_events(before: &Workshop, actor: Actor, command: &Command, events: &[Event]) {
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
