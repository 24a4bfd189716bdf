//! The authorisation matrix, over real sockets: every command, sent by every role, against
//! a target in a fresh workshop, must be acknowledged exactly when the "who" column of
//! `docs/PROTOCOL.md` allows it and refused `forbidden` otherwise (`matrix.rs`). Then
//! (`outsiders.rs`): a participant of another workshop (even its organizer) can touch
//! nothing of this one, a removed participant and a bad token cannot even connect, and the
//! REST reports follow the same rules.
//!
//! Here: the roles, and the fresh workshop with every target that each case runs in, so no
//! case depends on another.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};

mod matrix;
mod outsiders;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Organizer,
    /// A facilitator who is not the lead (the first facilitator to join is).
    Facilitator,
    /// A delegate in room A, where the targets are, author of its cards.
    DelegateHere,
    /// A delegate in room B.
    DelegateElsewhere,
}
use Role::*;

const ROLES: [Role; 4] = [Organizer, Facilitator, DelegateHere, DelegateElsewhere];
const STAFF: &[Role] = &[Organizer, Facilitator];
const ORGANIZER: &[Role] = &[Organizer];
const BOARD: &[Role] = &[Organizer, Facilitator, DelegateHere];
const VOTERS: &[Role] = &[DelegateHere];
const DELEGATES: &[Role] = &[DelegateHere, DelegateElsewhere];

/// What must be true before the command is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    None,
    /// Room A in the vote phase.
    Vote,
    /// Room A in the vote phase, and the delegate of room A voted for the free card.
    Voted,
    /// The free card hidden by staff.
    Hidden,
    /// Self-selection open.
    SelfSelect,
    /// A timer running in room A.
    Timer,
    /// A paused timer in room A.
    PausedTimer,
    /// The workshop closed by the organizer.
    Closed,
    /// A review of the conclusions open (`docs/protocol/review.md`).
    Review,
    /// A review open, and the delegate of room A commented on the conclusion.
    Commented,
    /// An agenda of two segments (version 1).
    Agenda,
    /// An agenda of two segments, the first running (version 2).
    AgendaRunning,
}

/// The ids of one fresh workshop's targets.
struct Targets {
    room_a: String,
    room_b: String,
    room_c: String,
    /// A card of the delegate of room A, in no group.
    card: String,
    group_1: String,
    group_2: String,
    conclusion: String,
    help: String,
    facilitator: String,
    lobby_delegate: String,
}

/// A fresh workshop with every target; returns its organizer's client, the targets and
/// the token of each role.
struct Fixture {
    w: Workshop,
    org: TestClient,
    targets: Targets,
    tokens: Vec<(Role, String)>,
    delegate_here: TestClient,
}

async fn fixture(server: &TestServer) -> Fixture {
    let w = server
        .create_workshop(json!({"title": "Authz", "delegates_can_group": true}))
        .await;
    let (room_a, room_b, room_c) = (w.rooms[0].clone(), w.rooms[1].clone(), w.rooms[2].clone());
    let _lead = server.facilitator(&w, "Lead").await;
    let fac = server.facilitator(&w, "Fran").await;
    let here = server.delegate(&w, "Ana", "AR").await;
    let elsewhere = server.delegate(&w, "Bruno", "BR").await;
    let lobby = server.delegate(&w, "Carla", "CL").await;
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(move_to(&here.id, &room_a)).await;
    org.ok(move_to(&elsewhere.id, &room_b)).await;
    let mut a = server.connect(&here.token).await;
    let mut posted = Vec::new();
    for text in ["one", "two", "free"] {
        a.ok(post_card(&room_a, "strengths", text)).await;
        posted.push(field(&a.event_of_type("card_posted").await, "card"));
    }
    let mut groups = Vec::new();
    for card in &posted[..2] {
        org.ok(json!({"type": "group_cards", "cards": [card], "name": "G"}))
            .await;
        groups.push(field(&org.event_of_type("group_created").await, "group"));
    }
    org.ok(json!({"type": "add_conclusion", "theme": "data", "text": "Open data."}))
        .await;
    let conclusion = field(&org.event_of_type("conclusion_added").await, "conclusion");
    a.ok(json!({"type": "request_help"})).await;
    let help = field(&a.event_of_type("help_requested").await, "request");
    Fixture {
        targets: Targets {
            room_a,
            room_b,
            room_c,
            card: posted[2].clone(),
            group_1: groups[0].clone(),
            group_2: groups[1].clone(),
            conclusion,
            help,
            facilitator: fac.id.clone(),
            lobby_delegate: lobby.id,
        },
        tokens: vec![
            (Organizer, w.organizer_token.clone()),
            (Facilitator, fac.token),
            (DelegateHere, here.token),
            (DelegateElsewhere, elsewhere.token),
        ],
        w,
        org,
        delegate_here: a,
    }
}

fn field(frame: &Value, name: &str) -> String {
    frame["event"][name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {frame}"))
        .to_string()
}

async fn prepare(f: &mut Fixture, setup: Setup) {
    let t = &f.targets;
    let org = &mut f.org;
    match setup {
        Setup::None => {}
        Setup::Vote | Setup::Voted => {
            org.ok(json!({"type": "set_phase", "room": t.room_a, "phase": "vote"}))
                .await;
            if setup == Setup::Voted {
                f.delegate_here
                    .ok(json!({"type": "vote", "card": t.card}))
                    .await;
            }
        }
        Setup::Hidden => {
            org.ok(json!({"type": "hide_card", "card": t.card})).await;
        }
        Setup::SelfSelect => {
            org.ok(json!({"type": "set_self_select", "open": true}))
                .await;
        }
        Setup::Timer | Setup::PausedTimer => {
            org.ok(json!({"type": "start_timer", "room": t.room_a, "seconds": 600}))
                .await;
            if setup == Setup::PausedTimer {
                org.ok(json!({"type": "pause_timer", "room": t.room_a}))
                    .await;
            }
        }
        Setup::Closed => {
            org.ok(json!({"type": "close_workshop"})).await;
        }
        Setup::Review | Setup::Commented => {
            org.ok(json!({"type": "open_review", "deadline": review_deadline()}))
                .await;
            if setup == Setup::Commented {
                let comment = json!({"type": "answer_review", "conclusion": t.conclusion,
                    "version": 1, "answer": "comment", "text": "Which data?"});
                f.delegate_here.ok(comment).await;
            }
        }
        Setup::Agenda | Setup::AgendaRunning => {
            let segments = json!([{"title": "Welcome", "minutes": 5}, {"title": "Breakout"}]);
            org.ok(json!({"type": "set_agenda", "version": 0, "segments": segments}))
                .await;
            if setup == Setup::AgendaRunning {
                org.ok(json!({"type": "next_segment", "version": 1})).await;
            }
        }
    }
}

/// A review deadline an hour from now, in ms since the Unix epoch.
fn review_deadline() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    now + 3_600_000
}
