//! Events: what happened, stored in the log and sent to clients (`commands.rs` holds what
//! is asked).

use super::assignment::{Move, Strategy};
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
