//! Who may still come in: locking joining, and replacing a join code.
//!
//! Codes themselves are secrets kept by the store (`workshops` table); the domain decides
//! who may change them and records the change as an event only staff receive, so that
//! staff pages learn the new code. A new code arrives inside the command, chosen by the
//! caller (the domain has no randomness).

use super::{require_staff, DomainError, Event, Participant, Role, Workshop};

/// Any facilitator (and the organizer) may lock or reopen joining.
pub(super) fn lock_joining(
    state: &Workshop,
    me: &Participant,
    locked: bool,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "lock or reopen joining")?;
    if state.session.joining_locked == locked {
        return Ok(vec![]);
    }
    Ok(vec![Event::JoiningLocked { locked }])
}

/// Any facilitator may replace the delegate code; only the organizer and the lead
/// facilitator may replace the facilitator code (it lets new staff in).
pub(super) fn rotate_code(
    state: &Workshop,
    me: &Participant,
    role: Role,
    code: &str,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "change a join code")?;
    match role {
        Role::Delegate => {}
        Role::Facilitator => {
            let lead = state.session.lead == Some(me.id);
            if me.role != Role::Organizer && !lead {
                return Err(DomainError::Forbidden(
                    "only the organizer and the lead facilitator change the facilitator code"
                        .into(),
                ));
            }
        }
        Role::Organizer => {
            return Err(DomainError::Invalid(
                "`role` must be \"delegate\" or \"facilitator\": the organizer has no code".into(),
            ))
        }
    }
    if code.is_empty() {
        return Err(DomainError::Invalid("a new code must not be empty".into()));
    }
    Ok(vec![Event::CodeRotated {
        role,
        code: code.to_string(),
    }])
}
