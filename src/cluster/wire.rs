//! What nodes say to each other through Redis, as JSON.
//!
//! | Message | Channel | From → to | Meaning |
//! |---|---|---|---|
//! | `commit` | `cabildo:cluster` | owner → all | the workshop is at commit `rev`: catch up |
//! | `presence` | `cabildo:cluster` | owner → all | who is online in the workshop (the whole list, on each change and every second) |
//! | `erased` | `cabildo:cluster` | any → all | the workshop was erased: close its sockets (4004), drop it |
//! | `command` | `cabildo:node:<owner>` | follower → owner | run a participant's command (`req` names it for the reply) |
//! | `join` | `cabildo:node:<owner>` | follower → owner | run a join |
//! | `here` | `cabildo:node:<owner>` | follower → owner | the participants connected to the follower (on each change and every second) |
//! | `outcome` | `cabildo:node:<origin>` | owner → follower | how command `req` ended |
//! | `joined` | `cabildo:node:<origin>` | owner → follower | how join `req` ended (with the new token) |
//! | `audio` | `cabildo:node:<owner>` | follower → owner | an audio message of the follower's connection `conn` (its authenticated participant): the owner seats it on its Janus |
//! | `audio_frame` | `cabildo:node:<origin>` | owner → follower | a frame for connection `conn` (SDP answer, ack, error, roster, `audio_ended`, `audio_muted`) |
//! | `audio_gone` | `cabildo:node:<owner>` | follower → owner | connection `conn` ended: take it out of Janus |
//! | `audio_room` | `cabildo:cluster` | owner → all | the owner created Janus room `room` (with its `secret`): a node that takes the workshop over destroys it, and so everyone a dead owner left seated in it |
//! | `audio_alive` | `cabildo:node:<owner>` | follower → owner | the follower's connections seated by the owner (every second); the owner drops the others, and all of them after `LEASE` without one |
//!
//! Every message names the node that sent it (`from`).

use crate::domain::Place;
use crate::domain::{Command, Participant, ParticipantId, WorkshopId};
use crate::hub::{HubError, JoinRequest};
use crate::protocol::{AudioCommand, ErrorCode, Outcome};
use serde::{Deserialize, Serialize};

/// The channel every node listens on.
pub const BROADCAST: &str = "cabildo:cluster";

/// Node `node`'s own channel: requests for the workshops it owns, answers to its requests.
pub fn node_channel(node: &str) -> String {
    format!("cabildo:node:{node}")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: String,
    pub workshop: WorkshopId,
    #[serde(flatten)]
    pub body: Wire,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Wire {
    Commit {
        rev: u64,
    },
    Presence {
        online: Vec<ParticipantId>,
    },
    Erased,
    Command {
        req: u64,
        participant: ParticipantId,
        id: String,
        command: Command,
    },
    Join {
        req: u64,
        request: JoinRequest,
    },
    Here {
        participants: Vec<ParticipantId>,
    },
    Outcome {
        req: u64,
        outcome: WireOutcome,
    },
    Joined {
        req: u64,
        result: Result<JoinedWire, WireError>,
    },
    Audio {
        conn: u64,
        participant: ParticipantId,
        id: String,
        message: WireAudio,
    },
    AudioFrame {
        conn: u64,
        frame: String,
    },
    AudioGone {
        conn: u64,
    },
    AudioAlive {
        conns: Vec<u64>,
    },
    AudioRoom {
        room: u64,
        secret: String,
    },
}

/// `AudioCommand` as it travels (the follower parsed and bounded it already; the owner
/// checks it again as it would a message of its own connections).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireAudio {
    Join {
        sdp: String,
        room: Option<Place>,
    },
    Leave,
    Mute {
        muted: bool,
        participant: Option<ParticipantId>,
    },
    Watch,
    Announce {
        on: bool,
    },
    Config,
}

impl From<AudioCommand> for WireAudio {
    fn from(m: AudioCommand) -> Self {
        match m {
            AudioCommand::AudioJoin { sdp, room } => WireAudio::Join { sdp, room },
            AudioCommand::AudioLeave {} => WireAudio::Leave,
            AudioCommand::AudioMute { muted, participant } => {
                WireAudio::Mute { muted, participant }
            }
            AudioCommand::AudioWatch {} => WireAudio::Watch,
            AudioCommand::AudioAnnounce { on } => WireAudio::Announce { on },
            AudioCommand::AudioConfig {} => WireAudio::Config,
        }
    }
}

impl From<WireAudio> for AudioCommand {
    fn from(m: WireAudio) -> Self {
        match m {
            WireAudio::Join { sdp, room } => AudioCommand::AudioJoin { sdp, room },
            WireAudio::Leave => AudioCommand::AudioLeave {},
            WireAudio::Mute { muted, participant } => {
                AudioCommand::AudioMute { muted, participant }
            }
            WireAudio::Watch => AudioCommand::AudioWatch {},
            WireAudio::Announce { on } => AudioCommand::AudioAnnounce { on },
            WireAudio::Config => AudioCommand::AudioConfig {},
        }
    }
}

/// `Outcome` as it travels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireOutcome {
    pub seq: u64,
    pub error: Option<WireError>,
    pub current_version: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinedWire {
    pub participant: Participant,
    pub token: String,
}

impl From<&Outcome> for WireOutcome {
    fn from(o: &Outcome) -> Self {
        match o {
            Outcome::Ack { seq } => WireOutcome {
                seq: *seq,
                error: None,
                current_version: None,
            },
            Outcome::Error {
                code,
                message,
                current_version,
            } => WireOutcome {
                seq: 0,
                error: Some(WireError {
                    code: code.as_str().into(),
                    message: message.clone(),
                }),
                current_version: *current_version,
            },
        }
    }
}

impl From<WireOutcome> for Outcome {
    fn from(o: WireOutcome) -> Self {
        match o.error {
            None => Outcome::Ack { seq: o.seq },
            Some(e) => {
                let e = HubError::from(e);
                Outcome::Error {
                    code: e.code,
                    message: e.message,
                    current_version: o.current_version,
                }
            }
        }
    }
}

impl From<&HubError> for WireError {
    fn from(e: &HubError) -> Self {
        WireError {
            code: e.code.as_str().into(),
            message: e.message.clone(),
        }
    }
}

impl From<WireError> for HubError {
    fn from(e: WireError) -> Self {
        // A code this node does not know (a newer node's): the command did not happen here.
        let code = ErrorCode::parse(&e.code).unwrap_or(ErrorCode::Unavailable);
        HubError::new(code, e.message)
    }
}

pub fn encode(envelope: &Envelope) -> Option<String> {
    serde_json::to_string(envelope).ok()
}

pub fn decode(payload: &str) -> Option<Envelope> {
    serde_json::from_str(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let workshop = WorkshopId::random();
        let outcomes = [
            Outcome::Ack { seq: 7 },
            Outcome::Error {
                code: ErrorCode::Conflict,
                message: "moved".into(),
                current_version: Some(3),
            },
        ];
        for outcome in outcomes {
            let env = Envelope {
                from: "n1".into(),
                workshop,
                body: Wire::Outcome {
                    req: 9,
                    outcome: (&outcome).into(),
                },
            };
            let back = decode(&encode(&env).expect("encodes")).expect("decodes");
            assert_eq!(back, env);
            let Wire::Outcome { outcome: o, .. } = back.body else {
                panic!("an outcome")
            };
            assert_eq!(Outcome::from(o), outcome);
        }
        let env = Envelope {
            from: "n2".into(),
            workshop,
            body: Wire::Here {
                participants: vec![ParticipantId::random()],
            },
        };
        assert_eq!(decode(&encode(&env).expect("encodes")), Some(env));
        let env = Envelope {
            from: "n3".into(),
            workshop,
            body: Wire::Audio {
                conn: 4,
                participant: ParticipantId::random(),
                id: "a1".into(),
                message: WireAudio::Join {
                    sdp: "v=0\r\n".into(),
                    room: Some(Place::Lobby),
                },
            },
        };
        assert_eq!(decode(&encode(&env).expect("encodes")), Some(env));
        assert_eq!(decode("n1 x 3"), None);
        assert_eq!(
            decode(r#"{"from":"n1","workshop":"nope","type":"erased"}"#),
            None
        );
        assert_eq!(decode(r#"{"from":"n1","type":"commit","rev":1}"#), None);
    }
}
