//! `decide`: which events a command produces, after every rule is checked; each command's
//! rules live in the module of its concept (board, rooms, session, agenda…).

use super::*;

/// Checks every rule for `command` issued by `actor` and returns the events it produces.
/// An empty list means the command is valid but changes nothing (e.g. closing a closed room).
pub fn decide(
    state: &Workshop,
    actor: Actor,
    command: &Command,
) -> Result<Vec<Event>, DomainError> {
    state.settings()?;
    let allowed_when_closed = matches!(
        command,
        Command::ReopenWorkshop
            | Command::Tick { .. }
            | Command::CloseWorkshop
            | Command::CardHistory { .. }
    );
    if !allowed_when_closed {
        session::require_open_session(state)?;
    }
    match command {
        Command::Join {
            participant,
            name,
            country,
            language,
            role,
        } => {
            if actor != Actor::Server {
                return Err(DomainError::Forbidden(
                    "only the join endpoint adds participants".into(),
                ));
            }
            roster::codes_open(state)?;
            rooms::join(
                state,
                *participant,
                name,
                country.as_deref(),
                language,
                *role,
            )
        }
        Command::PostCard {
            card,
            room,
            column,
            text,
        } => board::post_card(state, issuer(state, actor)?, *card, *room, column, text),
        Command::EditCard { card, text } => {
            board::edit_card(state, issuer(state, actor)?, *card, text)
        }
        Command::DeleteCard { card } => board::delete_card(state, issuer(state, actor)?, *card),
        Command::MoveParticipant { participant, to } => {
            rooms::move_participant(state, issuer(state, actor)?, *participant, *to)
        }
        Command::OpenRoom { room } => {
            rooms::set_room_open(state, issuer(state, actor)?, *room, true)
        }
        Command::CloseRoom { room } => {
            rooms::set_room_open(state, issuer(state, actor)?, *room, false)
        }
        Command::SetPhase {
            room,
            phase,
            hidden,
        } => rooms::set_phase(state, issuer(state, actor)?, *room, *phase, *hidden),
        Command::HideCard { card } => board::set_hidden(state, issuer(state, actor)?, *card, true),
        Command::ShowCard { card } => board::set_hidden(state, issuer(state, actor)?, *card, false),
        Command::Vote { card } => votes::vote(state, issuer(state, actor)?, *card),
        Command::Unvote { card } => votes::unvote(state, issuer(state, actor)?, *card),
        Command::GroupCards { group, cards, name } => {
            groups::group_cards(state, issuer(state, actor)?, *group, cards, name)
        }
        Command::MoveCardToGroup { card, group } => {
            groups::move_card(state, issuer(state, actor)?, *card, *group)
        }
        Command::MergeGroups { group, into } => {
            groups::merge(state, issuer(state, actor)?, *group, *into)
        }
        Command::Ungroup { group } => groups::ungroup(state, issuer(state, actor)?, *group),
        Command::RenameGroup { group, name } => {
            groups::rename(state, issuer(state, actor)?, *group, name)
        }
        Command::TagCard { card, theme } => {
            groups::tag_card(state, issuer(state, actor)?, *card, theme.as_deref())
        }
        Command::TagGroup { group, theme } => {
            groups::tag_group(state, issuer(state, actor)?, *group, theme.as_deref())
        }
        Command::SetThemes { themes } => groups::set_themes(state, issuer(state, actor)?, themes),
        Command::AddConclusion {
            conclusion,
            theme,
            text,
            cards,
        } => conclusions::add(
            state,
            issuer(state, actor)?,
            *conclusion,
            theme,
            text,
            cards,
        ),
        Command::EditConclusion {
            conclusion,
            version,
            text,
            cards,
            theme,
            status,
        } => conclusions::edit(
            state,
            issuer(state, actor)?,
            *conclusion,
            *version,
            conclusions::Changes {
                text: text.as_deref(),
                cards: cards.as_deref(),
                theme: theme.as_deref(),
                status: *status,
            },
        ),
        Command::MoveConclusion {
            conclusion,
            position,
        } => conclusions::reorder(state, issuer(state, actor)?, *conclusion, *position),
        Command::RemoveConclusion {
            conclusion,
            version,
        } => conclusions::remove(state, issuer(state, actor)?, *conclusion, *version),
        Command::CreateRoom {
            room,
            name,
            capacity,
        } => rooms::create_room(state, issuer(state, actor)?, *room, name, *capacity),
        Command::RenameRoom { room, name } => {
            rooms::rename_room(state, issuer(state, actor)?, *room, name)
        }
        Command::SetRoomCapacity { room, capacity } => {
            rooms::set_capacity(state, issuer(state, actor)?, *room, *capacity)
        }
        Command::RemoveRoom { room } => rooms::remove_room(state, issuer(state, actor)?, *room),
        Command::AssignRooms {
            strategy,
            scope,
            seed,
            plan,
        } => assignment::assign(state, issuer(state, actor)?, *strategy, *scope, *seed, plan),
        Command::ChooseRoom { room } => {
            assignment::choose_room(state, issuer(state, actor)?, *room)
        }
        Command::SetSelfSelect { open } => {
            assignment::set_self_select(state, issuer(state, actor)?, *open)
        }
        Command::SetAudio { on } => session::set_audio(state, issuer(state, actor)?, *on),
        Command::SetLateJoiners { policy } => {
            assignment::set_late_joiners(state, issuer(state, actor)?, *policy)
        }
        Command::ReturnToLobby => assignment::return_to_lobby(state, issuer(state, actor)?),
        Command::Broadcast { text, room, now } => {
            session::broadcast(state, issuer(state, actor)?, text, *room, *now)
        }
        Command::StartTimer {
            room,
            seconds,
            warnings,
            close_at_end,
            now,
        } => timers::start(
            state,
            issuer(state, actor)?,
            *room,
            *seconds,
            warnings.as_deref(),
            *close_at_end,
            *now,
        ),
        Command::ExtendTimer { room, seconds, now } => {
            timers::extend(state, issuer(state, actor)?, *room, *seconds, *now)
        }
        Command::PauseTimer { room, now } => {
            timers::pause(state, issuer(state, actor)?, *room, *now)
        }
        Command::ResumeTimer { room, now } => {
            timers::resume(state, issuer(state, actor)?, *room, *now)
        }
        Command::CancelTimer { room } => timers::cancel(state, issuer(state, actor)?, *room),
        Command::Tick { now } => match actor {
            Actor::Server => Ok(timers::tick(state, *now)),
            Actor::Participant(_) => Err(DomainError::Forbidden(
                "only the server's clock ticks".into(),
            )),
        },
        Command::RequestHelp { request, text } => {
            session::request_help(state, issuer(state, actor)?, *request, text.as_deref())
        }
        Command::AcknowledgeHelp { request } => session::handle_help(
            state,
            issuer(state, actor)?,
            *request,
            session::HelpStatus::Acknowledged,
        ),
        Command::ResolveHelp { request } => session::handle_help(
            state,
            issuer(state, actor)?,
            *request,
            session::HelpStatus::Resolved,
        ),
        Command::CloseWorkshop => session::close_workshop(state, issuer(state, actor)?),
        Command::ReopenWorkshop => session::reopen_workshop(state, issuer(state, actor)?),
        Command::RemoveParticipant { participant } => {
            session::remove_participant(state, issuer(state, actor)?, *participant)
        }
        Command::SetLead { participant } => {
            session::set_lead(state, issuer(state, actor)?, *participant)
        }
        Command::LockJoining { locked } => {
            access::lock_joining(state, issuer(state, actor)?, *locked)
        }
        Command::RotateCode { role, code } => {
            access::rotate_code(state, issuer(state, actor)?, *role, code)
        }
        Command::JoinFromRoster { person, language } => match actor {
            Actor::Server => roster::join(state, *person, language),
            Actor::Participant(_) => Err(DomainError::Forbidden(
                "only the personal-link endpoint adds roster people".into(),
            )),
        },
        Command::ImportRoster { people } => roster::import(state, issuer(state, actor)?, people),
        Command::IssueRosterLink { person, link_hash } => {
            roster::issue_link(state, issuer(state, actor)?, *person, link_hash)
        }
        Command::RevokeRosterLink { person } => {
            roster::revoke_link(state, issuer(state, actor)?, *person)
        }
        Command::SetSharedCodes { open } => {
            roster::set_shared_codes(state, issuer(state, actor)?, *open)
        }
        Command::CardHistory { card } => {
            visibility::card_history(state, issuer(state, actor)?, *card).map(|_| Vec::new())
        }
        Command::OpenReview {
            deadline,
            rule,
            now,
        } => review::open(state, issuer(state, actor)?, *deadline, *rule, *now),
        Command::AnswerReview {
            conclusion,
            version,
            answer,
            text,
            now,
        } => review::answer(
            state,
            issuer(state, actor)?,
            *conclusion,
            *version,
            *answer,
            text.as_deref(),
            *now,
        ),
        Command::ReplyReview {
            conclusion,
            country,
            text,
        } => review::reply(state, issuer(state, actor)?, *conclusion, country, text),
        Command::ReviseConclusion {
            conclusion,
            version,
            text,
        } => review::revise(state, issuer(state, actor)?, *conclusion, *version, text),
        Command::CloseReview => review::close(state, issuer(state, actor)?),
        Command::SetAgenda { version, segments } => {
            agenda::set(state, issuer(state, actor)?, *version, segments)
        }
        Command::NextSegment { version, now } => {
            agenda::next(state, issuer(state, actor)?, *version, *now)
        }
        Command::SkipSegment { version, now } => {
            agenda::skip(state, issuer(state, actor)?, *version, *now)
        }
        Command::ExtendSegment {
            version,
            minutes,
            now,
        } => agenda::extend(state, issuer(state, actor)?, *version, *minutes, *now),
    }
}

/// The participant behind a board or facilitation command.
fn issuer(state: &Workshop, actor: Actor) -> Result<&Participant, DomainError> {
    match actor {
        Actor::Participant(who) => state
            .participants
            .get(&who)
            .filter(|p| !p.removed)
            .ok_or_else(|| {
                DomainError::Forbidden("you are not a participant of this workshop".into())
            }),
        Actor::Server => Err(DomainError::Forbidden(
            "this command needs a participant".into(),
        )),
    }
}

/// Refuses the command unless the participant runs the workshop.
pub(super) fn require_staff(me: &Participant, what: &str) -> Result<(), DomainError> {
    if me.role.is_staff() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "only facilitators can {what}"
        )))
    }
}
