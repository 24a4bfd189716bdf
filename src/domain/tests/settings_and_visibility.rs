//! Settings and their limits; who sees what of the board.

use super::*;

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

#[track_caller]
fn settings_refused(change: impl FnOnce(&mut Settings)) -> Refused {
    let mut s = reference_settings();
    change(&mut s);
    match s.validated() {
        Ok(s) => panic!("expected a refusal, got {s:?}"),
        Err(e) => refused(Err(e)),
    }
}

#[test]
fn reference_settings_are_valid() {
    assert_eq!(reference_settings().validated(), Ok(reference_settings()));
}

#[test]
fn settings_are_trimmed() {
    let mut s = reference_settings();
    s.title = "  Going Digital  ".into();
    s.columns[0].title = " Strengths ".into();
    s.themes[0].hint = Some("  think of laws ".into());
    let v = s.validated().unwrap();
    assert_eq!(v.title, "Going Digital");
    assert_eq!(v.columns[0].title, "Strengths");
    assert_eq!(v.themes[0].hint.as_deref(), Some("think of laws"));
}

#[test]
fn title_must_not_be_blank_or_too_long() {
    assert_eq!(settings_refused(|s| s.title = " ".into()), Refused::Invalid);
    let long = "t".repeat(limits::TITLE_MAX + 1);
    assert_eq!(settings_refused(|s| s.title = long), Refused::TooLarge);
}

#[test]
fn column_keys_are_short_lowercase_words() {
    for bad in [
        "",
        "Strengths",
        "two words",
        "ñandú",
        "a.b",
        &"k".repeat(limits::KEY_MAX + 1),
    ] {
        let bad = bad.to_string();
        assert_eq!(
            settings_refused(|s| s.columns[0].key = bad.clone()),
            Refused::Invalid,
            "key {bad:?}"
        );
    }
    let mut s = reference_settings();
    s.columns[0].key = format!("a-1_{}", "k".repeat(limits::KEY_MAX - 4));
    assert!(s.validated().is_ok());
}

#[test]
fn theme_keys_are_short_lowercase_words() {
    assert_eq!(
        settings_refused(|s| s.themes[0].key = "Data".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[0].key = String::new()),
        Refused::Invalid
    );
}

#[test]
fn column_keys_must_be_unique() {
    let r = settings_refused(|s| {
        let dup = s.columns[0].clone();
        s.columns.push(dup);
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn theme_keys_must_be_unique() {
    let r = settings_refused(|s| {
        let dup = s.themes[1].clone();
        s.themes.push(dup);
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn a_board_needs_one_to_ten_columns() {
    assert_eq!(settings_refused(|s| s.columns.clear()), Refused::Invalid);
    let r = settings_refused(|s| {
        s.columns = (0..=limits::COLUMNS_MAX)
            .map(|n| Column {
                key: format!("c{n}"),
                title: format!("Column {n}"),
            })
            .collect();
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn themes_may_be_empty_but_bounded() {
    let mut s = reference_settings();
    s.themes.clear();
    assert!(s.validated().is_ok());
    let r = settings_refused(|s| {
        s.themes = (0..=limits::THEMES_MAX)
            .map(|n| Theme {
                key: format!("t{n}"),
                title: format!("Theme {n}"),
                hint: None,
            })
            .collect();
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn column_and_theme_titles_must_not_be_blank() {
    assert_eq!(
        settings_refused(|s| s.columns[1].title = "".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[1].title = " ".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[1].hint = Some(" ".into())),
        Refused::Invalid
    );
}

#[test]
fn workshop_language_must_be_supported() {
    assert_eq!(
        settings_refused(|s| s.language = "fr".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.language = "EN".into()),
        Refused::Invalid
    );
}

#[test]
fn offered_languages_must_be_supported_and_unique() {
    assert_eq!(
        settings_refused(|s| s.languages.push("de".into())),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.languages.push("es".into())),
        Refused::Invalid
    );
}

#[test]
fn offered_languages_must_include_the_workshop_language() {
    let r = settings_refused(|s| s.languages = vec!["es".into(), "pt".into()]);
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn no_offered_languages_means_just_the_workshop_language() {
    let mut s = reference_settings();
    s.language = "pt".into();
    s.languages.clear();
    assert_eq!(s.validated().unwrap().languages, vec!["pt".to_string()]);
}

#[test]
fn vote_budget_is_bounded() {
    let r = settings_refused(|s| s.votes_per_participant = limits::VOTES_MAX + 1);
    assert_eq!(r, Refused::Invalid);
    let mut s = reference_settings();
    s.votes_per_participant = limits::VOTES_MAX;
    assert!(s.validated().is_ok());
}

#[test]
fn invalid_settings_refuse_to_create_a_workshop() {
    let mut settings = reference_settings();
    settings.columns.clear();
    let r = Workshop::create(
        WorkshopId::random(),
        settings,
        default_room_names(),
        (0..4).map(|_| RoomId::random()),
        ParticipantId::random(),
    );
    assert_eq!(refused(r), Refused::Invalid);
}

// ---------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------

#[test]
fn board_events_go_to_their_room_and_everything_else_to_everyone() {
    let s = Session::new();
    let (room, card, who) = (s.rooms[0], CardId::random(), s.ana);
    let everyone = [
        Event::WorkshopCreated {
            workshop: s.w.id,
            settings: reference_settings(),
            rooms: s.w.rooms.clone(),
        },
        Event::ParticipantJoined {
            participant: s.who(who).clone(),
        },
        Event::ParticipantMoved {
            participant: who,
            from: Place::Lobby,
            room: Place::Room(room),
        },
        Event::RoomClosed { room },
        Event::RoomOpened { room },
    ];
    for e in &everyone {
        assert_eq!(Audience::of(&s.w, e), Audience::Everyone, "{e:?}");
    }
    let board = [
        Event::CardPosted {
            card,
            room,
            column: "strengths".into(),
            text: "x".into(),
            author: who,
        },
        Event::CardEdited {
            card,
            room,
            text: "y".into(),
            by: who,
        },
        Event::CardDeleted { card, room },
    ];
    for e in &board {
        assert_eq!(Audience::of(&s.w, e), Audience::Room(room), "{e:?}");
    }
}

#[test]
fn workshop_wide_events_reach_everyone_even_in_the_lobby() {
    let s = Session::new();
    for who in [s.organizer, s.facilitator, s.ana, s.cho, s.dan] {
        assert!(Audience::Everyone.admits(s.who(who)));
    }
}

#[test]
fn staff_receive_every_rooms_board_events() {
    let mut s = Session::new();
    s.run(s.organizer, moved(s.facilitator, Place::Room(s.rooms[3])));
    for room in &s.rooms {
        assert!(Audience::Room(*room).admits(s.who(s.organizer)));
        assert!(Audience::Room(*room).admits(s.who(s.facilitator)));
    }
}

#[test]
fn delegate_receives_own_rooms_board_events() {
    let s = Session::new();
    assert!(Audience::Room(s.rooms[0]).admits(s.who(s.ana)));
    assert!(Audience::Room(s.rooms[1]).admits(s.who(s.cho)));
}

#[test]
fn delegate_does_not_receive_another_rooms_board_events() {
    let s = Session::new();
    assert!(!Audience::Room(s.rooms[1]).admits(s.who(s.ana)));
    assert!(!Audience::Room(s.rooms[0]).admits(s.who(s.cho)));
}

#[test]
fn lobby_delegate_receives_no_board_events() {
    let s = Session::new();
    for room in &s.rooms {
        assert!(!Audience::Room(*room).admits(s.who(s.dan)));
    }
}

/// Ana and Cho post in their rooms, interleaved, and the facilitator posts in rooms 1 and 4.
pub(super) fn busy_boards(s: &mut Session) -> Vec<CardId> {
    vec![
        s.post(s.ana, 0, "a1"),
        s.post(s.cho, 1, "c1"),
        s.post(s.facilitator, 0, "f1"),
        s.post(s.ana, 0, "a2"),
        s.post(s.facilitator, 3, "f4"),
        s.post(s.cho, 1, "c2"),
    ]
}

fn card_ids(v: &visibility::View<'_>) -> Vec<CardId> {
    v.cards.iter().map(|c| c.id).collect()
}

#[test]
fn delegate_sees_only_own_rooms_cards_in_posting_order() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    let ana = view(&s.w, s.who(s.ana));
    assert_eq!(card_ids(&ana), vec![cards[0], cards[2], cards[3]]);
    let cho = view(&s.w, s.who(s.cho));
    assert_eq!(card_ids(&cho), vec![cards[1], cards[5]]);
}

#[test]
fn edited_card_keeps_its_place_on_the_board() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.ana, edit(cards[0], "a1, revised"));
    let ana = view(&s.w, s.who(s.ana));
    assert_eq!(card_ids(&ana), vec![cards[0], cards[2], cards[3]]);
}

#[test]
fn lobby_delegate_sees_no_cards() {
    let mut s = Session::new();
    busy_boards(&mut s);
    assert!(view(&s.w, s.who(s.dan)).cards.is_empty());
}

#[test]
fn staff_see_every_card_in_posting_order() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    for who in [s.facilitator, s.organizer] {
        assert_eq!(card_ids(&view(&s.w, s.who(who))), cards);
    }
}

#[test]
fn delegate_moved_mid_session_sees_new_rooms_board() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[1])));
    assert_eq!(
        card_ids(&view(&s.w, s.who(s.ana))),
        vec![cards[1], cards[5]]
    );
}

#[test]
fn staff_see_every_member_and_a_delegate_their_place_and_the_staff() {
    let s = Session::new();
    for who in [s.organizer, s.facilitator] {
        let v = view(&s.w, s.who(who));
        assert_eq!(v.rooms.len(), 4);
        assert_eq!(v.rooms[0].members, vec![s.ana, s.ben]);
        assert_eq!(v.rooms[1].members, vec![s.cho]);
        assert!(v.rooms[2].members.is_empty());
        assert_eq!(v.lobby, vec![s.organizer, s.facilitator, s.dan]);
        assert_eq!(v.participants.len(), 6);
        assert!(v.workshop.is_some());
    }
    // Ana (room 1): her room, the staff, nobody of room 2 or of the lobby.
    let v = view(&s.w, s.who(s.ana));
    assert_eq!(v.rooms.len(), 4);
    assert_eq!(v.rooms[0].members, vec![s.ana, s.ben]);
    assert!(v.rooms[1].members.is_empty());
    assert_eq!(v.lobby, vec![s.organizer, s.facilitator]);
    let mut named: Vec<ParticipantId> = v.participants.iter().map(|p| p.id).collect();
    named.sort();
    let mut expected = vec![s.organizer, s.facilitator, s.ana, s.ben];
    expected.sort();
    assert_eq!(named, expected);
    // Dan (lobby): the lobby, which holds the staff too.
    let v = view(&s.w, s.who(s.dan));
    assert!(v.rooms.iter().all(|r| r.members.is_empty()));
    assert_eq!(v.lobby, vec![s.organizer, s.facilitator, s.dan]);
    assert_eq!(v.participants.len(), 3);
}

#[test]
fn only_the_moved_participants_view_is_reshaped() {
    let mut s = Session::new();
    let events = s.run(s.facilitator, moved(s.dan, Place::Room(s.rooms[0])));
    let reshape = Reshape::of(s.w.settings.as_ref(), &events[0]);
    assert_eq!(reshape, Reshape::Participant(s.dan));
    assert!(reshape.affects(s.who(s.dan)));
    for other in [s.ana, s.facilitator, s.organizer] {
        assert!(!reshape.affects(s.who(other)));
    }
    let card = s.fresh_card();
    let posted = s.run(s.dan, post(card, s.rooms[0], "strengths", "x"));
    let closed = s.run(s.facilitator, Command::CloseRoom { room: s.rooms[0] });
    for e in posted.iter().chain(&closed) {
        let reshape = Reshape::of(s.w.settings.as_ref(), e);
        assert_eq!(reshape, Reshape::Nobody, "{e:?}");
        assert!(!reshape.affects(s.who(s.dan)), "{e:?}");
    }
}

/// In a hidden brainstorm, the events about a card reach its author only while they are
/// in its room: moved away, they no longer see it (found by `domain::proptests`: a
/// `CardDeleted` reached an author moved to another room).
#[test]
fn a_hidden_rooms_card_events_reach_its_author_only_while_they_are_in_the_room() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "mine");
    s.phase(None, Phase::Brainstorm, true);
    let room = s.rooms[0];
    let deleted = Event::CardDeleted { card, room };
    assert_eq!(Audience::of(&s.w, &deleted), Audience::StaffAnd(s.ana));
    let fac = s.facilitator;
    s.run(fac, moved(s.ana, Place::Room(s.rooms[1])));
    assert_eq!(Audience::of(&s.w, &deleted), Audience::Staff);
    let hidden = Event::CardHidden {
        card,
        room,
        by: fac,
    };
    assert_eq!(Audience::of(&s.w, &hidden), Audience::Staff);
}
