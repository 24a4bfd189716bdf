//! Who may see what: the audience of each event, which events change a participant's view
//! wholesale, and the snapshot each participant receives.
//!
//! Architecture invariant: a delegate sees the board of the room they are in and nothing of
//! any other board — minus cards a facilitator hid, minus other delegates' cards during a
//! hidden brainstorm, minus others' votes while votes are secret. Facilitators and the
//! organizer see every room, the audit record and the conclusions. Room membership, room
//! state and the list of participants are workshop-wide. The server applies these functions
//! before anything leaves it; the page never filters.

use super::reports::{self, Support};
use super::session::{Broadcast, HelpRequest, LateJoiners, Timer};
use super::{
    Card, CardId, Conclusion, DomainError, Event, Group, GroupId, Participant, ParticipantId,
    Phase, Place, Revision, Room, RoomId, Settings, VotesVisibility, Workshop, WorkshopId,
};
use serde::Serialize;

/// The set of participants an event is delivered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// Staff, and the delegates who are in this room when the event happens.
    Room(RoomId),
    /// Staff, and this one participant (their own card in a hidden brainstorm, their own
    /// vote while votes are secret).
    StaffAnd(ParticipantId),
    Staff,
}

impl Audience {
    /// Who may see `event`, judged on the state *before* it is applied.
    pub fn of(state: &Workshop, event: &Event) -> Audience {
        let room_hidden = |room: &RoomId| state.room(*room).is_ok_and(|r| r.hidden);
        // In a hidden room a card shows only on its author's board, and only while they are
        // in that room: once moved away, they no longer hear of it.
        let own_card = |c: &Card| match state.participants.get(&c.author) {
            Some(author) if sees_card(state, author, c) => Audience::StaffAnd(c.author),
            _ => Audience::Staff,
        };
        // Events about an existing card follow the card's own visibility.
        let about_card = |card: &CardId, room: &RoomId| match state.cards.get(card) {
            Some(c) if c.hidden => Audience::Staff,
            Some(c) if room_hidden(room) => own_card(c),
            _ => Audience::Room(*room),
        };
        let group_event = |room: &RoomId| {
            if room_hidden(room) {
                Audience::Staff
            } else {
                Audience::Room(*room)
            }
        };
        match event {
            Event::CardPosted { room, author, .. } => {
                if room_hidden(room) {
                    Audience::StaffAnd(*author)
                } else {
                    Audience::Room(*room)
                }
            }
            Event::CardEdited { card, room, .. }
            | Event::CardDeleted { card, room }
            | Event::CardTagged { card, room, .. } => about_card(card, room),
            // Groups stay among staff until the reveal, like the group events themselves.
            Event::CardRegrouped { card, room, .. } => {
                if room_hidden(room) {
                    Audience::Staff
                } else {
                    about_card(card, room)
                }
            }
            // Delegates must learn that a card left their board (the event carries no text).
            Event::CardHidden { card, room, .. } => match state.cards.get(card) {
                Some(c) if room_hidden(room) => own_card(c),
                _ => Audience::Room(*room),
            },
            // Delegates get a fresh snapshot instead (see `Reshape`).
            Event::CardShown { .. } => Audience::Staff,
            Event::VoteCast {
                room, participant, ..
            }
            | Event::VoteWithdrawn {
                room, participant, ..
            } => match state.settings.as_ref().map(|s| s.votes_visibility) {
                Some(VotesVisibility::AfterVote) => Audience::StaffAnd(*participant),
                _ => Audience::Room(*room),
            },
            Event::GroupCreated { room, .. }
            | Event::GroupsMerged { room, .. }
            | Event::GroupDissolved { room, .. }
            | Event::GroupRenamed { room, .. }
            | Event::GroupTagged { room, .. } => group_event(room),
            Event::ConclusionAdded { .. }
            | Event::ConclusionEdited { .. }
            | Event::ConclusionMoved { .. }
            | Event::ConclusionRemoved { .. } => Audience::Staff,
            Event::WorkshopCreated { .. }
            | Event::ParticipantJoined { .. }
            | Event::ParticipantMoved { .. }
            | Event::RoomClosed { .. }
            | Event::RoomOpened { .. }
            | Event::PhaseSet { .. }
            | Event::ThemesSet { .. }
            | Event::RoomCreated { .. }
            | Event::RoomRenamed { .. }
            | Event::RoomCapacitySet { .. }
            | Event::RoomRemoved { .. }
            | Event::RoomsAssigned { .. }
            | Event::ReturnedToLobby { .. }
            | Event::SelfSelectSet { .. }
            | Event::AudioSet { .. }
            | Event::WorkshopClosed
            | Event::WorkshopReopened
            | Event::ParticipantRemoved { .. }
            | Event::LeadSet { .. } => Audience::Everyone,
            Event::AgendaSet { .. }
            | Event::AgendaAdvanced { .. }
            | Event::SegmentSkipped { .. }
            | Event::SegmentExtended { .. } => Audience::Everyone,
            Event::LateJoinersSet { .. }
            | Event::JoiningLocked { .. }
            | Event::CodeRotated { .. }
            | Event::RosterAdded { .. }
            | Event::RosterLinkIssued { .. }
            | Event::RosterLinkRevoked { .. }
            | Event::SharedCodesSet { .. } => Audience::Staff,
            // The review is open among delegations (`review.rs`).
            Event::ReviewOpened { .. }
            | Event::ReviewAnswered { .. }
            | Event::ReviewReplied { .. }
            | Event::ConclusionRevised { .. }
            | Event::ReviewClosed => Audience::Everyone,
            Event::BroadcastSent { room, .. } => room.map_or(Audience::Everyone, Audience::Room),
            Event::TimerStarted { room, .. }
            | Event::TimerExtended { room, .. }
            | Event::TimerPaused { room, .. }
            | Event::TimerResumed { room, .. }
            | Event::TimerCancelled { room }
            | Event::TimerWarning { room, .. }
            | Event::TimerEnded { room } => Audience::Room(*room),
            Event::HelpRequested { participant, .. } => Audience::StaffAnd(*participant),
            Event::HelpAcknowledged { request, .. } | Event::HelpResolved { request, .. } => state
                .session
                .help
                .iter()
                .find(|h| h.id == *request)
                .map_or(Audience::Staff, |h| Audience::StaffAnd(h.participant)),
        }
    }

    pub fn admits(self, viewer: &Participant) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Room(room) => viewer.role.is_staff() || viewer.room == Place::Room(room),
            Audience::StaffAnd(p) => viewer.role.is_staff() || viewer.id == p,
            Audience::Staff => viewer.role.is_staff(),
        }
    }
}

/// Whose view an event changes wholesale, so that they get a fresh snapshot rather than
/// the event alone: a moved participant; a room's delegates when hidden cards are revealed
/// (or hidden), when secret votes are disclosed, or when a hidden card is shown again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reshape {
    Nobody,
    Participant(ParticipantId),
    /// Everyone an assignment, a return to the lobby or a room's removal moved.
    Participants(Vec<ParticipantId>),
    RoomDelegates(RoomId),
}

impl Reshape {
    pub fn of(settings: Option<&Settings>, event: &Event) -> Reshape {
        let secret_votes =
            settings.is_some_and(|s| s.votes_visibility == VotesVisibility::AfterVote);
        match event {
            Event::ParticipantMoved { participant, .. } => Reshape::Participant(*participant),
            Event::PhaseSet {
                room,
                phase,
                hidden,
                from,
                was_hidden,
            } => {
                let votes_disclosed =
                    secret_votes && ((*from == Phase::Vote) != (*phase == Phase::Vote));
                if hidden != was_hidden || votes_disclosed {
                    Reshape::RoomDelegates(*room)
                } else {
                    Reshape::Nobody
                }
            }
            Event::CardShown { room, .. } => Reshape::RoomDelegates(*room),
            Event::RoomsAssigned { moves, .. }
            | Event::ReturnedToLobby { moves }
            | Event::RoomRemoved { moves, .. } => {
                Reshape::Participants(moves.iter().map(|m| m.participant).collect())
            }
            _ => Reshape::Nobody,
        }
    }

    pub fn affects(&self, viewer: &Participant) -> bool {
        match self {
            Reshape::Nobody => false,
            Reshape::Participant(p) => viewer.id == *p,
            Reshape::Participants(ps) => ps.contains(&viewer.id),
            Reshape::RoomDelegates(room) => {
                !viewer.role.is_staff() && viewer.room == Place::Room(*room)
            }
        }
    }
}

/// The workshop's settings as participants see them.
#[derive(Serialize)]
pub struct WorkshopInfo<'a> {
    pub id: WorkshopId,
    #[serde(flatten)]
    pub settings: &'a Settings,
}

#[derive(Serialize)]
pub struct RoomView<'a> {
    #[serde(flatten)]
    pub room: &'a Room,
    pub members: Vec<ParticipantId>,
}

/// A card as one participant sees it.
#[derive(Serialize)]
pub struct CardView<'a> {
    pub id: CardId,
    pub room: RoomId,
    pub column: &'a str,
    pub text: &'a str,
    pub author: ParticipantId,
    pub seq: u64,
    pub edited: bool,
    pub group: Option<GroupId>,
    pub theme: Option<&'a str>,
    /// Total votes; `null` while votes are secret to this viewer.
    pub votes: Option<u32>,
    /// This viewer's own votes on the card.
    pub my_votes: u32,
    /// Staff only: whether a facilitator hid it, and how many changes its audit record
    /// holds (the record itself is sent on demand: `card_history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<u64>,
}

#[derive(Serialize)]
pub struct GroupView<'a> {
    #[serde(flatten)]
    pub group: &'a Group,
    /// The sum of its cards' votes (as this viewer may see them).
    pub votes: Option<u32>,
}

#[derive(Serialize)]
pub struct ConclusionView<'a> {
    #[serde(flatten)]
    pub conclusion: &'a Conclusion,
    pub support: Support,
}

/// A room's timer as clients render it.
#[derive(Serialize)]
pub struct TimerView<'a> {
    pub room: RoomId,
    #[serde(flatten)]
    pub timer: &'a Timer,
}

/// The running of the session as one participant may see it.
#[derive(Serialize)]
pub struct SessionView<'a> {
    pub closed: bool,
    pub lead: Option<ParticipantId>,
    pub self_select: bool,
    /// Whether the audio rooms are on (`set_audio`).
    pub audio: bool,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_joiners: Option<LateJoiners>,
    /// Staff only: whether joining is locked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joining_locked: Option<bool>,
    /// Broadcasts to everyone and to the viewer's room (every one for staff), oldest first.
    pub broadcasts: Vec<&'a Broadcast>,
    /// Every request for staff; a delegate's own for a delegate.
    pub help: Vec<&'a HelpRequest>,
    /// Every room's timer for staff; the viewer's room's for a delegate.
    pub timers: Vec<TimerView<'a>>,
}

fn session_view<'a>(state: &'a Workshop, viewer: &Participant) -> SessionView<'a> {
    let staff = viewer.role.is_staff();
    let s = &state.session;
    SessionView {
        closed: s.closed,
        lead: s.lead,
        self_select: s.self_select,
        audio: !s.audio_off,
        late_joiners: staff.then_some(s.late_joiners),
        joining_locked: staff.then_some(s.joining_locked),
        broadcasts: s
            .broadcasts
            .iter()
            .filter(|b| staff || b.room.is_none_or(|r| viewer.room == Place::Room(r)))
            .collect(),
        help: s
            .help
            .iter()
            .filter(|h| staff || h.participant == viewer.id)
            .collect(),
        timers: s
            .timers
            .iter()
            .filter(|(r, _)| staff || viewer.room == Place::Room(**r))
            .map(|(room, timer)| TimerView { room: *room, timer })
            .collect(),
    }
}

/// Everything one participant may see, at `seq`.
#[derive(Serialize)]
pub struct View<'a> {
    pub workshop: Option<WorkshopInfo<'a>>,
    pub rooms: Vec<RoomView<'a>>,
    pub lobby: Vec<ParticipantId>,
    pub participants: Vec<&'a Participant>,
    /// The cards this participant may see, in posting order: their room's board for a
    /// delegate (none in the lobby), every board for staff.
    pub cards: Vec<CardView<'a>>,
    pub groups: Vec<GroupView<'a>>,
    pub session: SessionView<'a>,
    /// Staff only: the conclusions with what supports them. (The consolidation view is a
    /// REST report: in a snapshot it would repeat every card's text.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusions: Option<Vec<ConclusionView<'a>>>,
    /// The agenda and where the workshop is in it (everyone sees it).
    pub agenda: &'a super::agenda::Agenda,
}

/// A card's audit record as `card_history` answers it: the changes the live state keeps,
/// oldest first, and how many earlier ones only the log and the export hold.
#[derive(Serialize)]
pub struct CardHistory<'a> {
    pub card: CardId,
    pub history: &'a [Revision],
    pub earlier: u64,
}

/// The audit record of `card`, for staff only (delegates are never told about moderation).
pub fn card_history<'a>(
    state: &'a Workshop,
    viewer: &Participant,
    card: CardId,
) -> Result<CardHistory<'a>, DomainError> {
    if !viewer.role.is_staff() {
        return Err(DomainError::Forbidden(
            "only facilitators and the organizer see a card's history".into(),
        ));
    }
    let c = state.card(card)?;
    Ok(CardHistory {
        card,
        history: &c.history,
        earlier: c.earlier_revisions,
    })
}

/// Whether `viewer` may see `card` at all.
pub fn sees_card(state: &Workshop, viewer: &Participant, card: &Card) -> bool {
    if viewer.role.is_staff() {
        return true;
    }
    let room_hidden = state.room(card.room).is_ok_and(|r| r.hidden);
    viewer.room == Place::Room(card.room)
        && !card.hidden
        && (!room_hidden || card.author == viewer.id)
}

/// Whether `viewer` may see vote totals in `room` now.
fn sees_totals(state: &Workshop, viewer: &Participant, room: RoomId) -> bool {
    let secret = state
        .settings
        .as_ref()
        .is_some_and(|s| s.votes_visibility == VotesVisibility::AfterVote);
    viewer.role.is_staff() || !secret || state.room(room).is_ok_and(|r| r.phase != Phase::Vote)
}

/// Whether `viewer` is told who `p` is in a snapshot: staff know everyone; a delegate
/// knows themself, the staff, and the people in the same place (room or lobby). Events
/// that bring someone into a delegate's place carry that person (`moved_in`).
pub fn knows(viewer: &Participant, p: &Participant) -> bool {
    viewer.role.is_staff()
        || p.role.is_staff()
        || p.id == viewer.id
        || (p.room == viewer.room && !p.removed)
}

/// The participants an event brings into a place (a room or the lobby), as they are after
/// it: what a delegate there needs to show someone they had not seen.
pub fn moved_in<'a>(state: &'a Workshop, event: &Event) -> Vec<&'a Participant> {
    let ids: Vec<ParticipantId> = match event {
        Event::ParticipantMoved { participant, .. } => vec![*participant],
        Event::RoomsAssigned { moves, .. }
        | Event::ReturnedToLobby { moves }
        | Event::RoomRemoved { moves, .. } => moves.iter().map(|m| m.participant).collect(),
        _ => Vec::new(),
    };
    ids.iter()
        .filter_map(|id| state.participants.get(id))
        .collect()
}

pub fn view<'a>(state: &'a Workshop, viewer: &Participant) -> View<'a> {
    let staff = viewer.role.is_staff();
    let members = |place: Place| {
        state
            .participants
            .values()
            .filter(|p| p.room == place && !p.removed && knows(viewer, p))
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    let mut cards: Vec<CardView> = state
        .cards
        .values()
        .filter(|c| sees_card(state, viewer, c))
        .map(|c| CardView {
            id: c.id,
            room: c.room,
            column: &c.column,
            text: &c.text,
            author: c.author,
            seq: c.seq,
            edited: c.edited,
            // In a hidden brainstorm a delegate does not learn what their card was grouped with.
            group: c
                .group
                .filter(|_| staff || state.room(c.room).is_ok_and(|r| !r.hidden)),
            theme: c.theme.as_deref(),
            votes: sees_totals(state, viewer, c.room).then(|| state.votes_on(c.id)),
            my_votes: state
                .votes
                .get(&c.id)
                .and_then(|v| v.get(&viewer.id))
                .copied()
                .unwrap_or(0),
            hidden: staff.then_some(c.hidden),
            revisions: staff.then(|| c.revisions()),
        })
        .collect();
    cards.sort_by_key(|c| c.seq);
    // A delegate also knows who wrote the cards they see (an author may have moved on).
    let authors: std::collections::BTreeSet<ParticipantId> = if staff {
        Default::default()
    } else {
        cards.iter().map(|c| c.author).collect()
    };
    let groups = state
        .groups
        .values()
        .filter(|g| {
            staff
                || (viewer.room == Place::Room(g.room)
                    && state.room(g.room).is_ok_and(|r| !r.hidden))
        })
        .map(|g| GroupView {
            group: g,
            votes: sees_totals(state, viewer, g.room).then(|| reports::group_votes(state, g.id)),
        })
        .collect();
    View {
        workshop: state.settings.as_ref().map(|settings| WorkshopInfo {
            id: state.id,
            settings,
        }),
        rooms: state
            .rooms
            .iter()
            .map(|room| RoomView {
                room,
                members: members(Place::Room(room.id)),
            })
            .collect(),
        lobby: members(Place::Lobby),
        participants: state
            .participants
            .values()
            .filter(|p| knows(viewer, p) || authors.contains(&p.id))
            .collect(),
        cards,
        groups,
        session: session_view(state, viewer),
        conclusions: staff.then(|| {
            state
                .conclusions
                .iter()
                .map(|c| ConclusionView {
                    conclusion: c,
                    support: reports::support(state, c),
                })
                .collect()
        }),
        agenda: &state.agenda,
    }
}
