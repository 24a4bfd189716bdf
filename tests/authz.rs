//! The authorisation matrix, over real sockets: every command, sent by every role, against
//! a target in a fresh workshop, must be acknowledged exactly when the "who" column of
//! `docs/PROTOCOL.md` allows it and refused `forbidden` otherwise. Then: a participant of
//! another workshop (even its organizer) can touch nothing of this one, a removed
//! participant and a bad token cannot even connect, and the REST reports follow the same
//! rules.
//!
//! Each (command, role) case runs in its own workshop, so no case depends on another.

mod common;
use common::*;
use futures_util::future::join_all;
use serde_json::{json, Value};

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

struct Case {
    command: &'static str,
    setup: Setup,
    build: fn(&Targets) -> Value,
    allowed: &'static [Role],
}

macro_rules! case {
    ($name:literal, $setup:expr, $allowed:expr, |$t:ident| $body:expr) => {
        Case {
            command: $name,
            setup: $setup,
            build: |$t: &Targets| $body,
            allowed: $allowed,
        }
    };
}

fn cases() -> Vec<Case> {
    use Setup as S;
    vec![
        case!(
            "post_card",
            S::None,
            BOARD,
            |t| json!({"room": t.room_a, "column": "strengths", "text": "new"})
        ),
        case!(
            "edit_card",
            S::None,
            BOARD,
            |t| json!({"card": t.card, "text": "edited"})
        ),
        case!("delete_card", S::None, BOARD, |t| json!({"card": t.card})),
        case!("hide_card", S::None, STAFF, |t| json!({"card": t.card})),
        case!("show_card", S::Hidden, STAFF, |t| json!({"card": t.card})),
        case!(
            "move_participant",
            S::None,
            STAFF,
            |t| json!({"participant": t.lobby_delegate, "room": t.room_a})
        ),
        case!("open_room", S::None, STAFF, |t| json!({"room": t.room_a})),
        case!("close_room", S::None, STAFF, |t| json!({"room": t.room_a})),
        case!(
            "set_phase",
            S::None,
            STAFF,
            |t| json!({"room": t.room_a, "phase": "reveal"})
        ),
        case!("vote", S::Vote, VOTERS, |t| json!({"card": t.card})),
        case!("unvote", S::Voted, VOTERS, |t| json!({"card": t.card})),
        case!(
            "group_cards",
            S::None,
            BOARD,
            |t| json!({"cards": [t.card], "name": "G"})
        ),
        case!(
            "move_card_to_group",
            S::None,
            BOARD,
            |t| json!({"card": t.card, "group": t.group_1})
        ),
        case!(
            "merge_groups",
            S::None,
            BOARD,
            |t| json!({"group": t.group_2, "into": t.group_1})
        ),
        case!("ungroup", S::None, BOARD, |t| json!({"group": t.group_1})),
        case!(
            "rename_group",
            S::None,
            BOARD,
            |t| json!({"group": t.group_1, "name": "Renamed"})
        ),
        case!(
            "tag_card",
            S::None,
            STAFF,
            |t| json!({"card": t.card, "theme": "data"})
        ),
        case!(
            "tag_group",
            S::None,
            STAFF,
            |t| json!({"group": t.group_1, "theme": "data"})
        ),
        case!(
            "set_themes",
            S::None,
            ORGANIZER,
            |_t| json!({"themes": [{"key": "data", "title": "Data"}]})
        ),
        case!(
            "add_conclusion",
            S::None,
            STAFF,
            |_t| json!({"theme": "data", "text": "We agree."})
        ),
        case!(
            "edit_conclusion",
            S::None,
            STAFF,
            |t| json!({"conclusion": t.conclusion, "version": 1, "text": "Edited."})
        ),
        case!(
            "move_conclusion",
            S::None,
            STAFF,
            |t| json!({"conclusion": t.conclusion, "position": 0})
        ),
        case!(
            "remove_conclusion",
            S::None,
            STAFF,
            |t| json!({"conclusion": t.conclusion, "version": 1})
        ),
        case!("create_room", S::None, STAFF, |_t| json!({"name": "Extra"})),
        case!(
            "rename_room",
            S::None,
            STAFF,
            |t| json!({"room": t.room_a, "name": "North"})
        ),
        case!(
            "set_room_capacity",
            S::None,
            STAFF,
            |t| json!({"room": t.room_a, "capacity": 10})
        ),
        case!("remove_room", S::None, STAFF, |t| json!({"room": t.room_c})),
        case!(
            "assign_rooms",
            S::None,
            STAFF,
            |_t| json!({"strategy": "even"})
        ),
        case!(
            "choose_room",
            S::SelfSelect,
            DELEGATES,
            |t| json!({"room": t.room_c})
        ),
        case!("card_history", S::None, STAFF, |t| json!({"card": t.card})),
        case!("lock_joining", S::None, STAFF, |_t| json!({"locked": true})),
        case!(
            "rotate_code",
            S::None,
            STAFF,
            |_t| json!({"role": "delegate"})
        ),
        case!(
            "set_self_select",
            S::None,
            STAFF,
            |_t| json!({"open": true})
        ),
        case!(
            "set_late_joiners",
            S::None,
            STAFF,
            |_t| json!({"policy": "even"})
        ),
        case!("set_audio", S::None, ORGANIZER, |_t| json!({"on": false})),
        case!("return_to_lobby", S::None, STAFF, |_t| json!({})),
        case!(
            "broadcast",
            S::None,
            STAFF,
            |_t| json!({"text": "Hello rooms"})
        ),
        case!(
            "start_timer",
            S::None,
            STAFF,
            |t| json!({"room": t.room_a, "seconds": 600})
        ),
        case!(
            "extend_timer",
            S::Timer,
            STAFF,
            |t| json!({"room": t.room_a, "seconds": 60})
        ),
        case!(
            "pause_timer",
            S::Timer,
            STAFF,
            |t| json!({"room": t.room_a})
        ),
        case!(
            "resume_timer",
            S::PausedTimer,
            STAFF,
            |t| json!({"room": t.room_a})
        ),
        case!(
            "cancel_timer",
            S::Timer,
            STAFF,
            |t| json!({"room": t.room_a})
        ),
        case!(
            "request_help",
            S::None,
            DELEGATES,
            |_t| json!({"text": "help"})
        ),
        case!(
            "acknowledge_help",
            S::None,
            STAFF,
            |t| json!({"request": t.help})
        ),
        case!(
            "resolve_help",
            S::None,
            STAFF,
            |t| json!({"request": t.help})
        ),
        case!("close_workshop", S::None, ORGANIZER, |_t| json!({})),
        case!("reopen_workshop", S::Closed, ORGANIZER, |_t| json!({})),
        case!(
            "remove_participant",
            S::None,
            STAFF,
            |t| json!({"participant": t.lobby_delegate})
        ),
        case!(
            "set_lead",
            S::None,
            ORGANIZER,
            |t| json!({"participant": t.facilitator})
        ),
        case!(
            "open_review",
            S::None,
            STAFF,
            |_t| json!({"deadline": review_deadline(), "rule": "all"})
        ),
        case!(
            "answer_review",
            S::Review,
            DELEGATES,
            |t| json!({"conclusion": t.conclusion, "version": 1, "answer": "endorse"})
        ),
        case!(
            "reply_review",
            S::Commented,
            STAFF,
            |t| json!({"conclusion": t.conclusion, "country": "AR", "text": "Thanks"})
        ),
        case!(
            "revise_conclusion",
            S::Review,
            STAFF,
            |t| json!({"conclusion": t.conclusion, "version": 1, "text": "Open data first."})
        ),
        case!("close_review", S::Review, STAFF, |_t| json!({})),
        case!(
            "set_agenda",
            S::None,
            STAFF,
            |_t| json!({"version": 0, "segments": [{"title": "Welcome"}]})
        ),
        case!("next_segment", S::Agenda, STAFF, |_t| json!({"version": 1})),
        case!("skip_segment", S::Agenda, STAFF, |_t| json!({"version": 1})),
        case!(
            "extend_segment",
            S::AgendaRunning,
            STAFF,
            |_t| json!({"version": 2, "minutes": 5})
        ),
    ]
}

/// A review deadline an hour from now, in ms since the Unix epoch.
fn review_deadline() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    now + 3_600_000
}

fn command(case: &Case, t: &Targets) -> Value {
    let mut c = (case.build)(t);
    c["type"] = json!(case.command);
    c
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

/// Runs one (command, role) case in a fresh workshop; returns a description of the
/// mismatch, if any.
async fn run_case(server: &TestServer, case: &Case, role: Role) -> Option<String> {
    let mut f = fixture(server).await;
    prepare(&mut f, case.setup).await;
    let token = &f.tokens.iter().find(|(r, _)| *r == role).expect("role").1;
    let mut client = server.connect(token).await;
    let before = client.seq;
    let answer = client.command(command(case, &f.targets)).await;
    let allowed = case.allowed.contains(&role);
    let ok = if allowed {
        answer["type"] == "ack"
    } else {
        answer["type"] == "error" && answer["code"] == "forbidden"
    };
    // A refused command changes nothing.
    let after = server.connect(&f.w.organizer_token).await.seq;
    let unchanged = allowed || after == before;
    (!ok || !unchanged).then(|| {
        format!(
            "{} as {role:?}: expected {}, got {answer}{}",
            case.command,
            if allowed { "ack" } else { "forbidden" },
            if unchanged {
                ""
            } else {
                " (and the workshop changed)"
            }
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_as_every_role_is_allowed_or_forbidden_as_documented() {
    let server = TestServer::start().await;
    let cases = cases();
    let mut runs = Vec::new();
    for case in &cases {
        for role in ROLES {
            runs.push((case, role));
        }
    }
    let mut failures = Vec::new();
    for chunk in runs.chunks(8) {
        let results = join_all(chunk.iter().map(|(c, r)| run_case(&server, c, *r))).await;
        failures.extend(results.into_iter().flatten());
    }
    eprintln!(
        "authorisation matrix: {} commands x {} roles = {} cases",
        cases.len(),
        ROLES.len(),
        runs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every command of the protocol is in the matrix.
    let protocol = std::fs::read_to_string("docs/PROTOCOL.md").expect("PROTOCOL.md");
    let table = protocol
        .split("| command | fields | who | events |")
        .nth(1)
        .expect("the command table");
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        for name in line
            .split('|')
            .nth(1)
            .expect("cell")
            .split('`')
            .skip(1)
            .step_by(2)
        {
            if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                assert!(
                    cases.iter().any(|c| c.command == name),
                    "{name} is missing from the matrix"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_participant_of_another_workshop_even_its_organizer_touches_nothing_here() {
    let server = TestServer::start().await;
    let f = fixture(&server).await;
    let before = server.connect(&f.w.organizer_token).await;
    let other = server.workshop().await;
    let mut outsider = server.connect(&other.organizer_token).await;
    let mut tried = 0;
    for case in cases() {
        let cmd = command(&case, &f.targets);
        // Only commands naming something of the first workshop have a target there.
        let names_ours = cmd.as_object().expect("object").values().any(|v| {
            [
                &f.targets.room_a,
                &f.targets.room_b,
                &f.targets.room_c,
                &f.targets.card,
                &f.targets.group_1,
                &f.targets.group_2,
                &f.targets.conclusion,
                &f.targets.help,
                &f.targets.facilitator,
                &f.targets.lobby_delegate,
            ]
            .iter()
            .any(|id| v == &json!(id) || v.as_array().is_some_and(|a| a.contains(&json!(id))))
        });
        if !names_ours {
            continue;
        }
        tried += 1;
        let answer = outsider.command(cmd).await;
        assert_eq!(answer["type"], "error", "{}: {answer}", case.command);
        assert!(
            answer["code"] == "not_found" || answer["code"] == "forbidden",
            "{}: {answer}",
            case.command
        );
    }
    assert!(tried >= 30, "{tried}");
    let after = server.connect(&f.w.organizer_token).await;
    assert_eq!(after.seq, before.seq);
    assert_eq!(after.welcome["snapshot"], before.welcome["snapshot"]);
}

#[tokio::test]
async fn a_removed_participant_and_bad_tokens_cannot_connect() {
    let server = TestServer::start().await;
    let mut f = fixture(&server).await;
    let here = f.tokens[2].1.clone();
    let ana_id = f.delegate_here.welcome["you"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    f.org
        .ok(json!({"type": "remove_participant", "participant": ana_id}))
        .await;
    // Her open connection is closed with 4003, and her token no longer opens one.
    assert_eq!(f.delegate_here.close_code().await, Some(4003));
    let organizer_of_nothing = "0".repeat(64);
    let too_long = "a".repeat(300);
    for token in [
        here.as_str(),
        "",
        "not-a-token",
        &organizer_of_nothing,
        &too_long,
    ] {
        let mut ws = TestClient::raw(&server.ws_url()).await;
        use futures_util::{SinkExt, StreamExt};
        let hello = json!({"type": "hello", "token": token}).to_string();
        ws.send(tokio_tungstenite::tungstenite::Message::text(hello))
            .await
            .expect("hello");
        let code = match tokio::time::timeout(WAIT, ws.next()).await.expect("close") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                frame.map(|f| u16::from(f.code))
            }
            other => panic!("{token:?}: expected a close frame, got {other:?}"),
        };
        assert_eq!(code, Some(4001), "{token:?}");
    }
}

#[tokio::test]
async fn the_rest_reports_follow_the_same_roles() {
    let server = TestServer::start().await;
    let mut f = fixture(&server).await;
    let other = server.workshop().await;
    let removed = server.delegate(&f.w, "Dora", "DO").await;
    f.org
        .ok(json!({"type": "remove_participant", "participant": removed.id}))
        .await;
    let mut who: Vec<(String, String, u16)> = f
        .tokens
        .iter()
        .map(|(role, token)| {
            let status = if STAFF.contains(role) { 200 } else { 403 };
            (format!("{role:?}"), token.clone(), status)
        })
        .collect();
    who.push((
        "another workshop's organizer".into(),
        other.organizer_token.clone(),
        403,
    ));
    who.push(("removed".into(), removed.token.clone(), 401));
    who.push(("bad token".into(), "nope".into(), 401));
    who.push(("admin token".into(), ADMIN_TOKEN.into(), 401));
    for path in ["overview", "consolidation", "export?format=json"] {
        let url = server.url(&format!("/api/workshops/{}/{path}", f.w.id));
        for (name, token, status) in &who {
            let r = server
                .http
                .get(&url)
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status().as_u16(), *status, "{path} as {name}");
        }
        let r = server.http.get(&url).send().await.expect("request");
        assert_eq!(r.status().as_u16(), 401, "{path} without a token");
    }
    // Only the admin token creates workshops.
    for (name, token, _) in &who {
        if name == "admin token" {
            continue;
        }
        let r = server
            .http
            .post(server.url("/api/workshops"))
            .bearer_auth(token)
            .json(&json!({"title": "x"}))
            .send()
            .await
            .expect("request");
        assert!(
            r.status() == 401 || r.status() == 403,
            "create as {name}: {}",
            r.status()
        );
    }
}
