//! Identifiers of the things a workshop is made of.
//!
//! Every id is its own type, so a room id can never be passed where a participant id belongs.
//! On the wire and in the event log they are plain UUID strings (`#[serde(transparent)]`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id. Only the I/O layers call this: `decide` never invents ids.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// One workshop: the unit of state, of the event log and of `seq`.
    WorkshopId
);
id_type!(
    /// A breakout room of a workshop.
    RoomId
);
id_type!(
    /// Anyone holding a token for a workshop: organizer, facilitator or delegate.
    ParticipantId
);
id_type!(
    /// A card on a room's board.
    CardId
);
id_type!(
    /// A named group of similar cards within one room.
    GroupId
);
id_type!(
    /// One of the workshop's conclusions, written under a theme.
    ConclusionId
);
id_type!(
    /// A delegate's request for a facilitator's help.
    HelpId
);

/// Where a participant is: the lobby (plenary) or one breakout room.
///
/// On the wire this is the string `"lobby"` or a room id, exactly as the `room` field of
/// `move_participant` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Place {
    #[default]
    Lobby,
    Room(RoomId),
}

impl Place {
    pub fn room(self) -> Option<RoomId> {
        match self {
            Place::Lobby => None,
            Place::Room(r) => Some(r),
        }
    }
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Place::Lobby => s.serialize_str("lobby"),
            Place::Room(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "lobby" {
            return Ok(Place::Lobby);
        }
        Uuid::parse_str(&s)
            .map(|u| Place::Room(RoomId(u)))
            .map_err(|_| serde::de::Error::custom("expected a room id or \"lobby\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_round_trips_as_lobby_or_room_id() {
        let room = RoomId::random();
        for place in [Place::Lobby, Place::Room(room)] {
            let json = serde_json::to_string(&place).unwrap();
            assert_eq!(serde_json::from_str::<Place>(&json).unwrap(), place);
        }
        assert_eq!(serde_json::to_string(&Place::Lobby).unwrap(), "\"lobby\"");
        assert!(serde_json::from_str::<Place>("\"kitchen\"").is_err());
    }
}
