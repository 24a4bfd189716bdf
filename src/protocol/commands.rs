//! `ClientCommand`: the commands a client sends, as read from the wire, and their domain
//! form (`into_domain`, which gives new things their ids).

use super::*;

/// A command as a client sends it. Every command also carries `id`, its idempotency key,
/// which `parse_command` takes out before reading the rest.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientCommand {
    PostCard {
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
        room: Place,
    },
    OpenRoom {
        room: RoomId,
    },
    CloseRoom {
        room: RoomId,
    },
    SetPhase {
        #[serde(default)]
        room: Option<RoomId>,
        phase: Phase,
        #[serde(default)]
        hidden: bool,
    },
    Vote {
        card: CardId,
    },
    Unvote {
        card: CardId,
    },
    GroupCards {
        cards: Vec<CardId>,
        name: String,
    },
    MoveCardToGroup {
        card: CardId,
        #[serde(default)]
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
        #[serde(default)]
        theme: Option<String>,
    },
    TagGroup {
        group: GroupId,
        #[serde(default)]
        theme: Option<String>,
    },
    SetThemes {
        themes: Vec<Theme>,
    },
    AddConclusion {
        theme: String,
        text: String,
        #[serde(default)]
        cards: Vec<CardId>,
    },
    EditConclusion {
        conclusion: ConclusionId,
        version: u64,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        cards: Option<Vec<CardId>>,
        #[serde(default)]
        theme: Option<String>,
        #[serde(default)]
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
        name: String,
        #[serde(default)]
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
        #[serde(default)]
        scope: Scope,
        #[serde(default)]
        seed: Option<u64>,
        #[serde(default)]
        plan: BTreeMap<ParticipantId, Place>,
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
    ReturnToLobby {},
    Broadcast {
        text: String,
        #[serde(default)]
        room: Option<RoomId>,
    },
    StartTimer {
        #[serde(default)]
        room: Option<RoomId>,
        seconds: u32,
        #[serde(default)]
        warnings: Option<Vec<u32>>,
        #[serde(default)]
        close_at_end: bool,
    },
    ExtendTimer {
        #[serde(default)]
        room: Option<RoomId>,
        seconds: u32,
    },
    PauseTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    ResumeTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    CancelTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    RequestHelp {
        #[serde(default)]
        text: Option<String>,
    },
    AcknowledgeHelp {
        request: HelpId,
    },
    ResolveHelp {
        request: HelpId,
    },
    CloseWorkshop {},
    ReopenWorkshop {},
    RemoveParticipant {
        participant: ParticipantId,
    },
    SetLead {
        participant: ParticipantId,
    },
    CardHistory {
        card: CardId,
    },
    LockJoining {
        locked: bool,
    },
    RotateCode {
        role: domain::Role,
    },
    OpenReview {
        /// ms since the Unix epoch.
        deadline: i64,
        #[serde(default)]
        rule: domain::review::AnswerRule,
    },
    AnswerReview {
        conclusion: ConclusionId,
        version: u64,
        answer: domain::review::AnswerKind,
        #[serde(default)]
        text: Option<String>,
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
    CloseReview {},
    SetAgenda {
        version: u64,
        segments: Vec<domain::agenda::Plan>,
    },
    NextSegment {
        version: u64,
    },
    SkipSegment {
        version: u64,
    },
    ExtendSegment {
        version: u64,
        minutes: u32,
    },
}

impl ClientCommand {
    /// The domain command, with a fresh id for anything it creates, `now` (ms since the
    /// Unix epoch) for timers, and a fresh seed for a random assignment given none.
    pub fn into_domain(self, now: i64) -> domain::Command {
        use domain::Command as C;
        match self {
            ClientCommand::PostCard { room, column, text } => C::PostCard {
                card: CardId::random(),
                room,
                column,
                text,
            },
            ClientCommand::EditCard { card, text } => C::EditCard { card, text },
            ClientCommand::DeleteCard { card } => C::DeleteCard { card },
            ClientCommand::HideCard { card } => C::HideCard { card },
            ClientCommand::ShowCard { card } => C::ShowCard { card },
            ClientCommand::MoveParticipant { participant, room } => C::MoveParticipant {
                participant,
                to: room,
            },
            ClientCommand::OpenRoom { room } => C::OpenRoom { room },
            ClientCommand::CloseRoom { room } => C::CloseRoom { room },
            ClientCommand::SetPhase {
                room,
                phase,
                hidden,
            } => C::SetPhase {
                room,
                phase,
                hidden,
            },
            ClientCommand::Vote { card } => C::Vote { card },
            ClientCommand::Unvote { card } => C::Unvote { card },
            ClientCommand::GroupCards { cards, name } => C::GroupCards {
                group: GroupId::random(),
                cards,
                name,
            },
            ClientCommand::MoveCardToGroup { card, group } => C::MoveCardToGroup { card, group },
            ClientCommand::MergeGroups { group, into } => C::MergeGroups { group, into },
            ClientCommand::Ungroup { group } => C::Ungroup { group },
            ClientCommand::RenameGroup { group, name } => C::RenameGroup { group, name },
            ClientCommand::TagCard { card, theme } => C::TagCard { card, theme },
            ClientCommand::TagGroup { group, theme } => C::TagGroup { group, theme },
            ClientCommand::SetThemes { themes } => C::SetThemes { themes },
            ClientCommand::AddConclusion { theme, text, cards } => C::AddConclusion {
                conclusion: ConclusionId::random(),
                theme,
                text,
                cards,
            },
            ClientCommand::EditConclusion {
                conclusion,
                version,
                text,
                cards,
                theme,
                status,
            } => C::EditConclusion {
                conclusion,
                version,
                text,
                cards,
                theme,
                status,
            },
            ClientCommand::MoveConclusion {
                conclusion,
                position,
            } => C::MoveConclusion {
                conclusion,
                position,
            },
            ClientCommand::RemoveConclusion {
                conclusion,
                version,
            } => C::RemoveConclusion {
                conclusion,
                version,
            },
            ClientCommand::CreateRoom { name, capacity } => C::CreateRoom {
                room: RoomId::random(),
                name,
                capacity,
            },
            ClientCommand::RenameRoom { room, name } => C::RenameRoom { room, name },
            ClientCommand::SetRoomCapacity { room, capacity } => {
                C::SetRoomCapacity { room, capacity }
            }
            ClientCommand::RemoveRoom { room } => C::RemoveRoom { room },
            ClientCommand::AssignRooms {
                strategy,
                scope,
                seed,
                plan,
            } => C::AssignRooms {
                strategy,
                scope,
                seed: seed.unwrap_or_else(rand::random),
                plan,
            },
            ClientCommand::ChooseRoom { room } => C::ChooseRoom { room },
            ClientCommand::SetSelfSelect { open } => C::SetSelfSelect { open },
            ClientCommand::SetLateJoiners { policy } => C::SetLateJoiners { policy },
            ClientCommand::SetAudio { on } => C::SetAudio { on },
            ClientCommand::ReturnToLobby {} => C::ReturnToLobby,
            ClientCommand::Broadcast { text, room } => C::Broadcast { text, room, now },
            ClientCommand::StartTimer {
                room,
                seconds,
                warnings,
                close_at_end,
            } => C::StartTimer {
                room,
                seconds,
                warnings,
                close_at_end,
                now,
            },
            ClientCommand::ExtendTimer { room, seconds } => C::ExtendTimer { room, seconds, now },
            ClientCommand::PauseTimer { room } => C::PauseTimer { room, now },
            ClientCommand::ResumeTimer { room } => C::ResumeTimer { room, now },
            ClientCommand::CancelTimer { room } => C::CancelTimer { room },
            ClientCommand::RequestHelp { text } => C::RequestHelp {
                request: HelpId::random(),
                text,
            },
            ClientCommand::AcknowledgeHelp { request } => C::AcknowledgeHelp { request },
            ClientCommand::ResolveHelp { request } => C::ResolveHelp { request },
            ClientCommand::CloseWorkshop {} => C::CloseWorkshop,
            ClientCommand::ReopenWorkshop {} => C::ReopenWorkshop,
            ClientCommand::RemoveParticipant { participant } => {
                C::RemoveParticipant { participant }
            }
            ClientCommand::SetLead { participant } => C::SetLead { participant },
            ClientCommand::CardHistory { card } => C::CardHistory { card },
            ClientCommand::LockJoining { locked } => C::LockJoining { locked },
            ClientCommand::RotateCode { role } => C::RotateCode {
                role,
                code: crate::auth::new_code(),
            },
            ClientCommand::OpenReview { deadline, rule } => C::OpenReview {
                deadline,
                rule,
                now,
            },
            ClientCommand::AnswerReview {
                conclusion,
                version,
                answer,
                text,
            } => C::AnswerReview {
                conclusion,
                version,
                answer,
                text,
                now,
            },
            ClientCommand::ReplyReview {
                conclusion,
                country,
                text,
            } => C::ReplyReview {
                conclusion,
                country,
                text,
            },
            ClientCommand::ReviseConclusion {
                conclusion,
                version,
                text,
            } => C::ReviseConclusion {
                conclusion,
                version,
                text,
            },
            ClientCommand::CloseReview {} => C::CloseReview,
            ClientCommand::SetAgenda { version, segments } => C::SetAgenda { version, segments },
            ClientCommand::NextSegment { version } => C::NextSegment { version, now },
            ClientCommand::SkipSegment { version } => C::SkipSegment { version, now },
            ClientCommand::ExtendSegment { version, minutes } => C::ExtendSegment {
                version,
                minutes,
                now,
            },
        }
    }
}
