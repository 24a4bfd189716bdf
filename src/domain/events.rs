//! Events (what happened, stored and sent) and commands (what is asked, already parsed).

use super::assignment::{Move, Scope, Strategy};
use super::phase::Phase;
use super::session::LateJoiners;
use super::{
    CardId, ConclusionId, ConclusionStatus, GroupId, HelpId, Participant, ParticipantId, Place,
    Room, RoomId, Settings, Theme, WorkshopId,
};
use serde::{Deserialize, Serialize};

/// Everything that happened in a workshop. Stored in the event log and sent to clients
/// inside `{"type":"event","seq":…,"event":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// Always the first event of a workshop.
    WorkshopCreated {
        workshop: WorkshopId,
        settings: Settings,
        rooms: Vec<Room>,
    },
    /// Someone joined with a code (or was created with the workshop: the organizer).
    /// Joiners wait in the lobby until a facilitator places them.
    ParticipantJoined {
        participant: Participant,
    },
    CardPosted {
        card: CardId,
        room: RoomId,
        column: String,
        text: String,
        author: ParticipantId,
    },
    /// `by` is the author or a facilitator (moderation); the previous text is kept.
    CardEdited {
        card: CardId,
        room: RoomId,
        text: String,
        by: ParticipantId,
    },
    CardDeleted {
        card: CardId,
        room: RoomId,
    },
    /// A facilitator took a card off delegates' boards; it stays in the record.
    CardHidden {
        card: CardId,
        room: RoomId,
        by: ParticipantId,
    },
    CardShown {
        card: CardId,
        room: RoomId,
        by: ParticipantId,
    },
    /// A participant was placed in a room or sent to the lobby (`room: "lobby"`).
    ParticipantMoved {
        participant: ParticipantId,
        from: Place,
        room: Place,
    },
    RoomClosed {
        room: RoomId,
    },
    RoomOpened {
        room: RoomId,
    },
    /// A room's phase changed (`from`/`was_hidden` tell what it was).
    PhaseSet {
        room: RoomId,
        phase: Phase,
        hidden: bool,
        from: Phase,
        was_hidden: bool,
    },
    VoteCast {
        card: CardId,
        room: RoomId,
        participant: ParticipantId,
    },
    VoteWithdrawn {
        card: CardId,
        room: RoomId,
        participant: ParticipantId,
    },
    GroupCreated {
        group: GroupId,
        room: RoomId,
        name: String,
        cards: Vec<CardId>,
    },
    /// A card moved into a group, or out of any (`group: null`).
    CardRegrouped {
        card: CardId,
        room: RoomId,
        group: Option<GroupId>,
    },
    /// Every card of `group` moved into `into`; `group` is gone.
    GroupsMerged {
        room: RoomId,
        group: GroupId,
        into: GroupId,
    },
    /// The group is gone; its cards are ungrouped.
    GroupDissolved {
        room: RoomId,
        group: GroupId,
    },
    GroupRenamed {
        room: RoomId,
        group: GroupId,
        name: String,
    },
    CardTagged {
        card: CardId,
        room: RoomId,
        theme: Option<String>,
    },
    GroupTagged {
        group: GroupId,
        room: RoomId,
        theme: Option<String>,
    },
    /// The organizer replaced the list of themes. Tags of removed themes are dropped.
    ThemesSet {
        themes: Vec<Theme>,
    },
    ConclusionAdded {
        conclusion: ConclusionId,
        theme: String,
        text: String,
        cards: Vec<CardId>,
    },
    /// The conclusion as it is now, at `version`.
    ConclusionEdited {
        conclusion: ConclusionId,
        version: u64,
        theme: String,
        text: String,
        cards: Vec<CardId>,
        status: ConclusionStatus,
    },
    /// Moved to `position` (0-based) among the conclusions of its theme.
    ConclusionMoved {
        conclusion: ConclusionId,
        position: usize,
    },
    ConclusionRemoved {
        conclusion: ConclusionId,
    },
    RoomCreated {
        room: Room,
    },
    RoomRenamed {
        room: RoomId,
        name: String,
    },
    RoomCapacitySet {
        room: RoomId,
        capacity: Option<u32>,
    },
    /// The room is gone from use; its members went to the lobby, its board is kept.
    RoomRemoved {
        room: RoomId,
        moves: Vec<Move>,
    },
    /// Everyone the assignment placed, all at once.
    RoomsAssigned {
        strategy: Strategy,
        seed: u64,
        moves: Vec<Move>,
    },
    ReturnedToLobby {
        moves: Vec<Move>,
    },
    SelfSelectSet {
        open: bool,
    },
    /// Staff locked joining (`locked: true`) or opened it again.
    JoiningLocked {
        locked: bool,
    },
    /// A join code was replaced: the old one opens nothing any more. Staff only.
    CodeRotated {
        role: super::Role,
        code: String,
    },
    LateJoinersSet {
        policy: LateJoiners,
    },
    /// The organizer turned the workshop's audio rooms on or off.
    AudioSet {
        on: bool,
    },
    BroadcastSent {
        text: String,
        room: Option<RoomId>,
        by: ParticipantId,
        /// When it was sent, server time in ms since the Unix epoch (`None` in logs written
        /// before broadcasts carried their time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<i64>,
    },
    /// `deadline` is server time, ms since the Unix epoch.
    TimerStarted {
        room: RoomId,
        deadline: i64,
        seconds: u32,
        warnings: Vec<u32>,
        close_at_end: bool,
    },
    /// `deadline` is `null` while the timer is paused.
    TimerExtended {
        room: RoomId,
        deadline: Option<i64>,
        remaining_ms: i64,
        fired: Vec<u32>,
    },
    TimerPaused {
        room: RoomId,
        remaining_ms: i64,
    },
    TimerResumed {
        room: RoomId,
        deadline: i64,
    },
    TimerCancelled {
        room: RoomId,
    },
    /// `seconds` before the end; `closes`: the room closes itself when it ends.
    TimerWarning {
        room: RoomId,
        seconds: u32,
        closes: bool,
    },
    TimerEnded {
        room: RoomId,
    },
    HelpRequested {
        request: HelpId,
        participant: ParticipantId,
        room: Place,
        text: Option<String>,
    },
    HelpAcknowledged {
        request: HelpId,
        by: ParticipantId,
    },
    HelpResolved {
        request: HelpId,
        by: ParticipantId,
    },
    /// Every board is read-only until the workshop is reopened.
    WorkshopClosed,
    WorkshopReopened,
    /// Their token stops working; their cards stay.
    ParticipantRemoved {
        participant: ParticipantId,
    },
    LeadSet {
        participant: ParticipantId,
    },
    /// The organizer added people to the roster (a whole import is one event). Staff only.
    RosterAdded {
        people: Vec<super::roster::RosterPerson>,
    },
    /// A roster person got a new personal link; the one before stops working. Staff only.
    RosterLinkIssued {
        person: ParticipantId,
        link_hash: String,
    },
    /// A roster person's personal link was revoked. Staff only.
    RosterLinkRevoked {
        person: ParticipantId,
    },
    /// The organizer turned the shared join codes on or off. Staff only.
    SharedCodesSet {
        open: bool,
    },
    /// Staff opened the review of the conclusions, or changed its deadline or rule
    /// (`review.rs`). Everyone.
    ReviewOpened {
        /// ms since the Unix epoch.
        deadline: i64,
        rule: super::review::AnswerRule,
    },
    /// A delegate answered for their country; it replaces the country's earlier answer.
    ReviewAnswered {
        conclusion: ConclusionId,
        version: u64,
        country: String,
        by: ParticipantId,
        answer: super::review::AnswerKind,
        text: Option<String>,
    },
    /// A facilitator replied to a country's comment or reservation.
    ReviewReplied {
        conclusion: ConclusionId,
        country: String,
        text: String,
        by: ParticipantId,
    },
    /// A facilitator revised a conclusion under review: its answers start again.
    ConclusionRevised {
        conclusion: ConclusionId,
        version: u64,
        previous_text: String,
        text: String,
        by: ParticipantId,
    },
    /// The review is closed: the conclusions are final, with their record.
    ReviewClosed,
    /// The segments of the agenda from index `from` on (those not reached yet) were
    /// replaced by `segments`, all pending.
    AgendaSet {
        from: usize,
        segments: Vec<super::agenda::Plan>,
    },
    /// The running segment `ended` (if one ran) and segment `started` began (`None`: the
    /// agenda is over), at `at` (ms since the Unix epoch). The started segment's moves,
    /// phase, timer and broadcast follow in the same batch.
    AgendaAdvanced {
        ended: Option<usize>,
        started: Option<usize>,
        at: i64,
    },
    /// A segment not reached yet was skipped.
    SegmentSkipped {
        segment: usize,
        at: i64,
    },
    /// The running segment got `minutes` more.
    SegmentExtended {
        segment: usize,
        minutes: u32,
    },
}

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

impl Command {
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
