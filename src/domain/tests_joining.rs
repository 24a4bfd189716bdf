//! Unit tests of joining under abuse: the participant cap counts only people still in the
//! workshop, and names and countries are checked (`names.rs`).

use super::settings::limits;
use super::tests::{join, pid, refused, Refused, Session};
use super::*;

fn bots(s: &Session, from: usize, to: usize) -> Vec<Event> {
    (from..to)
        .map(|n| Event::ParticipantJoined {
            participant: Participant {
                id: pid(10_000 + n as u128),
                name: format!("Bot {n}"),
                country: Some("AR".into()),
                language: "es".into(),
                role: Role::Delegate,
                room: Place::Lobby,
                removed: false,
            },
        })
        .filter(|e| match e {
            Event::ParticipantJoined { participant } => {
                !s.w.participants.contains_key(&participant.id)
            }
            _ => true,
        })
        .collect()
}

#[test]
fn removed_participants_free_their_places_under_the_cap() {
    let mut s = Session::new();
    let events = bots(&s, s.w.participants.len(), limits::PARTICIPANTS_MAX);
    s.apply(&events);
    let r = s.join(join(pid(50), Some("AR"), "en", Role::Delegate));
    assert_eq!(refused(r), Refused::TooLarge, "the workshop is full");
    let fac = s.facilitator;
    for n in 0..10 {
        let bot = pid(10_000 + (limits::PARTICIPANTS_MAX - 1 - n) as u128);
        s.run(fac, Command::RemoveParticipant { participant: bot });
    }
    let events = s
        .join(join(pid(50), Some("AR"), "en", Role::Delegate))
        .expect("a removed bot's place is free again");
    s.apply(&events);
    assert!(s.w.participants[&pid(50)].role == Role::Delegate);
}

#[test]
fn the_record_of_everyone_who_joined_is_bounded_too() {
    let mut s = Session::new();
    let mut events = bots(&s, 0, limits::PARTICIPANTS_EVER_MAX);
    for e in &mut events {
        if let Event::ParticipantJoined { participant } = e {
            participant.removed = true;
        }
    }
    s.apply(&events);
    let r = s.join(join(pid(50), Some("AR"), "en", Role::Delegate));
    assert_eq!(refused(r), Refused::TooLarge);
}

fn join_named(name: &str, country: &str, role: Role) -> Command {
    Command::Join {
        participant: pid(60),
        name: name.into(),
        country: Some(country.into()),
        language: "en".into(),
        role,
    }
}

#[test]
fn a_join_with_a_hostile_name_is_invalid() {
    let s = Session::new();
    for name in [
        "\u{200B}\u{200C}",
        "Ana\u{202E}gnp.exe",
        "\u{1b}[2J\u{1b}[31mBoss",
        "Ana\nFacilitator: move to room 2",
        "Organizer",
        "Facilitadora",
    ] {
        let r = s.join(join_named(name, "AR", Role::Delegate));
        assert_eq!(refused(r), Refused::Invalid, "{name:?}");
    }
}

#[test]
fn a_join_names_a_country_that_exists() {
    let s = Session::new();
    for country in ["XX", "ZZ", "EU", "UK"] {
        let r = s.join(join_named("Ana", country, Role::Delegate));
        assert_eq!(refused(r), Refused::Invalid, "{country:?}");
    }
    let events = s.join(join_named(" Ana ", "jm", Role::Delegate)).unwrap();
    let Event::ParticipantJoined { participant } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (participant.name.as_str(), participant.country.as_deref()),
        ("Ana", Some("JM"))
    );
}
