//! Joining with a roster person's personal link (`docs/protocol/rest.md`, "Roster").

use super::*;

impl WorkshopActor {
    /// The person whose personal link is `link` joins as the roster says; a person who
    /// already joined gets a new token for the same participant (another device).
    pub(super) fn join_by_link(
        &mut self,
        link: &str,
        language: String,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) -> Result<Joined, HubError> {
        let hash = auth::hash_token(link);
        let person = self
            .state
            .roster
            .by_link(&hash)
            .map(|p| (p.id, p.link_revoked))
            .ok_or_else(|| {
                HubError::new(
                    ErrorCode::Unauthorized,
                    "that personal link opens nothing in this workshop",
                )
            })?;
        let participant = match person {
            (_, true) => {
                return Err(HubError::new(
                    ErrorCode::Forbidden,
                    "this personal link was revoked; ask the organizer for a new one",
                ))
            }
            (id, false) => match self.state.participants.get(&id) {
                Some(p) if p.removed => {
                    return Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "the participant of this personal link was removed",
                    ))
                }
                Some(_) => id,
                None => {
                    let command = Command::JoinFromRoster {
                        person: id,
                        language,
                    };
                    let events = decide(&self.state, Actor::Server, &command)?;
                    self.record(events, None, now, batch, deliveries);
                    id
                }
            },
        };
        let token = auth::new_token();
        batch.credentials.push(Credential {
            token_hash: auth::hash_token(&token),
            participant,
        });
        let participant = self.state.participant(participant)?.clone();
        Ok(Joined { participant, token })
    }
}
