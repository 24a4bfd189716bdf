//! The demo's roster: the reference workshop's people registered before the session, each
//! with a personal link (`docs/protocol/rest.md`, roster), through the same command as the
//! organizer's upload (`import_roster`).

use super::FixtureParticipant;
use crate::domain::roster::RosterPerson;
use crate::domain::{Command, ParticipantId, Role, RoomId};
use crate::hub::{Hub, WorkshopHandle};
use anyhow::anyhow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Registered, but not arrived yet: the organizer's page shows them as not joined.
const NOT_ARRIVED: [(&str, &str); 3] = [
    ("Lucía Fernández", "UY"),
    ("Marcus Greene", "JM"),
    ("Valentina Rojas", "CL"),
];

/// Registers the fixture's facilitators and delegates (and three people who have not
/// arrived) on the roster; returns each fixture person's personal link (the secret), by
/// fixture key.
pub async fn register<'f>(
    hub: &Arc<Hub>,
    handle: &WorkshopHandle,
    organizer: ParticipantId,
    participants: &'f [FixtureParticipant],
    room_of: &HashMap<&str, RoomId>,
) -> anyhow::Result<HashMap<&'f str, String>> {
    let mut links = HashMap::new();
    let mut heads = BTreeSet::new();
    let mut people = Vec::new();
    let mut person = |name: &str, country: Option<String>, role: Role, room: Option<RoomId>| {
        let link = crate::auth::new_token();
        let head = role == Role::Delegate && country.clone().is_some_and(|c| heads.insert(c));
        people.push(RosterPerson {
            id: ParticipantId::random(),
            name: name.to_string(),
            country,
            email: None,
            role,
            room,
            head,
            link_hash: Some(crate::auth::hash_token(&link)),
            link_revoked: false,
        });
        link
    };
    for p in participants.iter().filter(|p| p.role != "organizer") {
        let role = if p.role == "delegate" {
            Role::Delegate
        } else {
            Role::Facilitator
        };
        let room = match &p.room {
            Some(key) => Some(
                *room_of
                    .get(key.as_str())
                    .ok_or_else(|| anyhow!("room {key}"))?,
            ),
            None => None,
        };
        let link = person(&p.display_name, p.country.clone(), role, room);
        links.insert(p.key.as_str(), link);
    }
    for (name, country) in NOT_ARRIVED {
        person(name, Some(country.to_string()), Role::Delegate, None);
    }
    let outcome = hub
        .execute(
            handle,
            organizer,
            "demo-roster".into(),
            Command::ImportRoster { people },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    super::expect_ack(outcome, "the demo's roster")?;
    Ok(links)
}
