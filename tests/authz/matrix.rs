//! The matrix itself: each command with the setup it needs, the roles allowed to send it,
//! and the test that sends every one as every role.

use super::*;
use futures_util::future::join_all;

pub(super) struct Case {
    pub(super) command: &'static str,
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

pub(super) fn cases() -> Vec<Case> {
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

pub(super) fn command(case: &Case, t: &Targets) -> Value {
    let mut c = (case.build)(t);
    c["type"] = json!(case.command);
    c
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
