//! Unit tests of the domain rules (property tests live beside them).

use super::*;

#[test]
fn a_new_workshop_starts_with_its_rooms_and_organizer() {
    let id = WorkshopId::random();
    let org = ParticipantId::random();
    let settings = Settings {
        title: "Going Digital".into(),
        language: "en".into(),
        languages: vec!["en".into(), "es".into(), "pt".into()],
        columns: settings::default_columns(),
        themes: settings::default_themes(),
        votes_per_participant: 5,
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
    assert_eq!(w.rooms.len(), 4);
    assert_eq!(w.participant(org).unwrap().role, Role::Organizer);
    assert_eq!(w.seq, 2);
}
