//! Commands: what is asked of a workshop, already parsed and carrying any new ids.

use super::assignment::{Scope, Strategy};
use super::phase::Phase;
use super::session::LateJoiners;
use super::{
    CardId, ConclusionId, ConclusionStatus, GroupId, HelpId, ParticipantId, Place, RoomId, Theme,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A request to change the workshop, already parsed and carrying any new ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    Join {
        participant: ParticipantId,
        name: String,
        country: Option<String>,
        language: String,
        role: super::Role,
    },
    PostCard {
        card: CardId,
        room: RoomId,
        column: String,
        text: String,
    },
    EditCard {
        card: CardId,
        text: String,
    },
    DeleteCard {
        card: CardId,
    },
    HideCard {
        card: CardId,
    },
    ShowCard {
        card: CardId,
    },
    MoveParticipant {
        participant: ParticipantId,
        to: Place,
    },
    OpenRoom {
        room: RoomId,
    },
    CloseRoom {
        room: RoomId,
    },
    /// For one room, or every room when `room` is `None`.
    SetPhase {
        room: Option<RoomId>,
        phase: Phase,
        hidden: bool,
    },
    Vote {
        card: CardId,
    },
    Unvote {
        card: CardId,
    },
    GroupCards {
        group: GroupId,
        cards: Vec<CardId>,
        name: String,
    },
    MoveCardToGroup {
        card: CardId,
        group: Option<GroupId>,
    },
    MergeGroups {
        group: GroupId,
        into: GroupId,
    },
    Ungroup {
        group: GroupId,
    },
    RenameGroup {
        group: GroupId,
        name: String,
    },
    TagCard {
        card: CardId,
        theme: Option<String>,
    },
    TagGroup {
        group: GroupId,
        theme: Option<String>,
    },
    SetThemes {
        themes: Vec<Theme>,
    },
    AddConclusion {
        conclusion: ConclusionId,
        theme: String,
        text: String,
        cards: Vec<CardId>,
    },
    /// Fields left `None` keep their value. `version` is the one the edit was based on.
    EditConclusion {
        conclusion: ConclusionId,
        version: u64,
        text: Option<String>,
        cards: Option<Vec<CardId>>,
        theme: Option<String>,
        status: Option<ConclusionStatus>,
    },
    MoveConclusion {
        conclusion: ConclusionId,
        position: usize,
    },
    RemoveConclusion {
        conclusion: ConclusionId,
        version: u64,
    },
    CreateRoom {
        room: RoomId,
        name: String,
        capacity: Option<u32>,
    },
    RenameRoom {
        room: RoomId,
        name: String,
    },
    SetRoomCapacity {
        room: RoomId,
        capacity: Option<u32>,
    },
    RemoveRoom {
        room: RoomId,
    },
    AssignRooms {
        strategy: Strategy,
        scope: Scope,
        seed: u64,
        plan: std::collections::BTreeMap<ParticipantId, Place>,
    },
    ChooseRoom {
        room: RoomId,
    },
    SetSelfSelect {
        open: bool,
    },
    SetLateJoiners {
        policy: LateJoiners,
    },
    SetAudio {
        on: bool,
    },
    ReturnToLobby,
    Broadcast {
        text: String,
        room: Option<RoomId>,
        now: i64,
    },
    StartTimer {
        room: Option<RoomId>,
        seconds: u32,
        warnings: Option<Vec<u32>>,
        close_at_end: bool,
        now: i64,
    },
    ExtendTimer {
        room: Option<RoomId>,
        seconds: u32,
        now: i64,
    },
    PauseTimer {
        room: Option<RoomId>,
        now: i64,
    },
    ResumeTimer {
        room: Option<RoomId>,
        now: i64,
    },
    CancelTimer {
        room: Option<RoomId>,
    },
    /// From the server itself: announce the timer warnings and endings due at `now`.
    Tick {
        now: i64,
    },
    RequestHelp {
        request: HelpId,
        text: Option<String>,
    },
    AcknowledgeHelp {
        request: HelpId,
    },
    ResolveHelp {
        request: HelpId,
    },
    CloseWorkshop,
    ReopenWorkshop,
    RemoveParticipant {
        participant: ParticipantId,
    },
    SetLead {
        participant: ParticipantId,
    },
    LockJoining {
        locked: bool,
    },
    /// `code`: the new code, chosen by the caller.
    RotateCode {
        role: super::Role,
        code: String,
    },
    /// A query: the audit record of a card, answered to the asker only; changes nothing.
    CardHistory {
        card: CardId,
    },
    /// A roster person arrives with their personal link (issued by the server only).
    JoinFromRoster {
        person: ParticipantId,
        language: String,
    },
    /// REST only (`/api/workshops/{id}/roster`): the organizer adds people.
    ImportRoster {
        people: Vec<super::roster::RosterPerson>,
    },
    IssueRosterLink {
        person: ParticipantId,
        link_hash: String,
    },
    RevokeRosterLink {
        person: ParticipantId,
    },
    SetSharedCodes {
        open: bool,
    },
    OpenReview {
        deadline: i64,
        rule: super::review::AnswerRule,
        now: i64,
    },
    AnswerReview {
        conclusion: ConclusionId,
        version: u64,
        answer: super::review::AnswerKind,
        text: Option<String>,
        now: i64,
    },
    ReplyReview {
        conclusion: ConclusionId,
        country: String,
        text: String,
    },
    ReviseConclusion {
        conclusion: ConclusionId,
        version: u64,
        text: String,
    },
    CloseReview,
    /// Replaces the agenda's segments not reached yet.
    SetAgenda {
        version: u64,
        segments: Vec<super::agenda::Plan>,
    },
    /// Ends the running segment and starts the next, with its effects.
    NextSegment {
        version: u64,
        now: i64,
    },
    SkipSegment {
        version: u64,
        now: i64,
    },
    ExtendSegment {
        version: u64,
        minutes: u32,
        now: i64,
    },
}

/// The time a command carries (`now`), as `&i64` or `&mut i64` after the command's
/// reference: the one list of the commands that carry one.
macro_rules! timed {
    ($command:expr) => {
        match $command {
            Command::Broadcast { now, .. }
            | Command::StartTimer { now, .. }
            | Command::ExtendTimer { now, .. }
            | Command::PauseTimer { now, .. }
            | Command::ResumeTimer { now, .. }
            | Command::OpenReview { now, .. }
            | Command::AnswerReview { now, .. }
            | Command::NextSegment { now, .. }
            | Command::SkipSegment { now, .. }
            | Command::ExtendSegment { now, .. } => Some(now),
            _ => None,
        }
    };
}

impl Command {
    /// The command as decided at `at` (ms since the Unix epoch): a command that carries a
    /// time (a broadcast's, a timer's, a segment's, a review's) gets the deciding actor's
    /// clock, the reading its events are stored with, instead of the moment its connection
    /// read it. Others come back as they are, not copied. (`Tick` is made by the actor
    /// with its batch's `now` already.)
    pub fn stamped(&self, at: i64) -> Cow<'_, Command> {
        let mut command = Cow::Borrowed(self);
        if timed!(self).is_some() {
            if let Some(now) = timed!(command.to_mut()) {
                *now = at;
            }
        }
        command
    }

    /// The command's wire name (`post_card`, `vote`…), for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Join { .. } => "join",
            Command::PostCard { .. } => "post_card",
            Command::EditCard { .. } => "edit_card",
            Command::DeleteCard { .. } => "delete_card",
            Command::HideCard { .. } => "hide_card",
            Command::ShowCard { .. } => "show_card",
            Command::MoveParticipant { .. } => "move_participant",
            Command::OpenRoom { .. } => "open_room",
            Command::CloseRoom { .. } => "close_room",
            Command::SetPhase { .. } => "set_phase",
            Command::Vote { .. } => "vote",
            Command::Unvote { .. } => "unvote",
            Command::GroupCards { .. } => "group_cards",
            Command::MoveCardToGroup { .. } => "move_card_to_group",
            Command::MergeGroups { .. } => "merge_groups",
            Command::Ungroup { .. } => "ungroup",
            Command::RenameGroup { .. } => "rename_group",
            Command::TagCard { .. } => "tag_card",
            Command::TagGroup { .. } => "tag_group",
            Command::SetThemes { .. } => "set_themes",
            Command::AddConclusion { .. } => "add_conclusion",
            Command::EditConclusion { .. } => "edit_conclusion",
            Command::MoveConclusion { .. } => "move_conclusion",
            Command::RemoveConclusion { .. } => "remove_conclusion",
            Command::CreateRoom { .. } => "create_room",
            Command::RenameRoom { .. } => "rename_room",
            Command::SetRoomCapacity { .. } => "set_room_capacity",
            Command::RemoveRoom { .. } => "remove_room",
            Command::AssignRooms { .. } => "assign_rooms",
            Command::ChooseRoom { .. } => "choose_room",
            Command::SetSelfSelect { .. } => "set_self_select",
            Command::SetLateJoiners { .. } => "set_late_joiners",
            Command::SetAudio { .. } => "set_audio",
            Command::ReturnToLobby => "return_to_lobby",
            Command::Broadcast { .. } => "broadcast",
            Command::StartTimer { .. } => "start_timer",
            Command::ExtendTimer { .. } => "extend_timer",
            Command::PauseTimer { .. } => "pause_timer",
            Command::ResumeTimer { .. } => "resume_timer",
            Command::CancelTimer { .. } => "cancel_timer",
            Command::Tick { .. } => "tick",
            Command::RequestHelp { .. } => "request_help",
            Command::AcknowledgeHelp { .. } => "acknowledge_help",
            Command::ResolveHelp { .. } => "resolve_help",
            Command::CloseWorkshop => "close_workshop",
            Command::ReopenWorkshop => "reopen_workshop",
            Command::RemoveParticipant { .. } => "remove_participant",
            Command::SetLead { .. } => "set_lead",
            Command::CardHistory { .. } => "card_history",
            Command::LockJoining { .. } => "lock_joining",
            Command::RotateCode { .. } => "rotate_code",
            Command::JoinFromRoster { .. } => "join_from_roster",
            Command::ImportRoster { .. } => "import_roster",
            Command::IssueRosterLink { .. } => "issue_roster_link",
            Command::RevokeRosterLink { .. } => "revoke_roster_link",
            Command::SetSharedCodes { .. } => "set_shared_codes",
            Command::OpenReview { .. } => "open_review",
            Command::AnswerReview { .. } => "answer_review",
            Command::ReplyReview { .. } => "reply_review",
            Command::ReviseConclusion { .. } => "revise_conclusion",
            Command::CloseReview => "close_review",
            Command::SetAgenda { .. } => "set_agenda",
            Command::NextSegment { .. } => "next_segment",
            Command::SkipSegment { .. } => "skip_segment",
            Command::ExtendSegment { .. } => "extend_segment",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_command_is_stamped_with_the_deciding_clock_and_others_are_not_copied() {
        let broadcast = Command::Broadcast {
            text: "Five minutes".into(),
            room: None,
            now: 1_000,
        };
        let stamped = broadcast.stamped(1_001);
        assert!(matches!(stamped, Cow::Owned(_)));
        assert_eq!(
            *stamped,
            Command::Broadcast {
                text: "Five minutes".into(),
                room: None,
                now: 1_001,
            }
        );
        let post = Command::PostCard {
            card: CardId::random(),
            room: RoomId::random(),
            column: "strengths".into(),
            text: "Open data".into(),
        };
        let same = post.stamped(1_001);
        assert!(matches!(same, Cow::Borrowed(_)));
        assert_eq!(*same, post);
        let extend = Command::ExtendSegment {
            version: 3,
            minutes: 5,
            now: 7,
        };
        assert_eq!(
            *extend.stamped(1_001),
            Command::ExtendSegment {
                version: 3,
                minutes: 5,
                now: 1_001,
            }
        );
    }
}
