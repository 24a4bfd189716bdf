//! The event log: replaying it rebuilds the state.

use super::settings_and_visibility::busy_boards;
use super::*;

// ---------------------------------------------------------------------------------------
// The event log
// ---------------------------------------------------------------------------------------

#[test]
fn replaying_the_log_rebuilds_the_session() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.ana, edit(cards[0], "edited"));
    s.run(s.facilitator, Command::DeleteCard { card: cards[1] });
    s.run(s.facilitator, moved(s.cho, Place::Lobby));
    s.close(2);
    let mut replayed = Workshop::empty(WorkshopId::random());
    for (i, e) in s.log.iter().enumerate() {
        replayed.apply(i as u64 + 1, e);
    }
    assert_eq!(replayed, s.w);
}

#[test]
fn events_round_trip_through_json_with_a_snake_case_type() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "hola");
    let mut events = s.run(s.ana, edit(card, "hola, mundo"));
    events.extend(s.run(s.facilitator, moved(s.ana, Place::Lobby)));
    events.extend(s.run(s.facilitator, Command::DeleteCard { card }));
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["type"], "participant_moved");
    assert_eq!(json["room"], "lobby");
    for e in &events {
        let text = serde_json::to_string(e).unwrap();
        assert_eq!(&serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}

#[test]
fn each_room_needs_exactly_one_distinct_id() {
    let settings = Settings {
        title: "Going Digital".into(),
        language: "en".into(),
        languages: vec!["en".into()],
        columns: settings::default_columns(),
        themes: settings::default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: VotesVisibility::Live,
        delegates_can_group: false,
    };
    let names = settings::default_room_names();
    let one = RoomId::random();
    let fewer = Workshop::create(
        WorkshopId::random(),
        settings.clone(),
        names.clone(),
        (0..3).map(|_| RoomId::random()),
        ParticipantId::random(),
    );
    assert!(matches!(fewer, Err(DomainError::Invalid(_))), "{fewer:?}");
    let repeated = Workshop::create(
        WorkshopId::random(),
        settings,
        names,
        [one, one, RoomId::random(), RoomId::random()],
        ParticipantId::random(),
    );
    assert!(
        matches!(repeated, Err(DomainError::Invalid(_))),
        "{repeated:?}"
    );
}

#[test]
fn nobody_joins_as_a_second_organizer() {
    let (w, _) = {
        let id = WorkshopId::random();
        let org = ParticipantId::random();
        let settings = Settings {
            title: "Going Digital".into(),
            language: "en".into(),
            languages: vec!["en".into()],
            columns: settings::default_columns(),
            themes: settings::default_themes(),
            votes_per_participant: 5,
            max_votes_per_card: None,
            votes_visibility: VotesVisibility::Live,
            delegates_can_group: false,
        };
        let events = Workshop::create(
            id,
            settings,
            settings::default_room_names(),
            (0..4).map(|_| RoomId::random()),
            org,
        )
        .unwrap();
        let mut w = Workshop::empty(id);
        for (i, e) in events.iter().enumerate() {
            w.apply(i as u64 + 1, e);
        }
        (w, org)
    };
    let second = decide(
        &w,
        Actor::Server,
        &Command::Join {
            participant: ParticipantId::random(),
            name: "Another organizer".into(),
            country: None,
            language: "en".into(),
            role: Role::Organizer,
        },
    );
    assert!(matches!(second, Err(DomainError::Invalid(_))), "{second:?}");
}
