//! Editing the agenda: concurrent edits get a conflict, bad input stable codes.

use super::*;

#[tokio::test]
async fn concurrent_edits_get_a_conflict_with_the_current_version() {
    let server = TestServer::start().await;
    let (w, mut f, _ana, _bruno) = running(&server).await;
    let (_org, mut o) = (
        w.organizer_token.clone(),
        server.connect(&w.organizer_token).await,
    );
    // Both press "next" on version 1: one wins, the other is told the agenda moved on.
    let answers = [
        f.command(json!({"type": "next_segment", "version": 1}))
            .await,
        o.command(json!({"type": "next_segment", "version": 1}))
            .await,
    ];
    assert_eq!(answers[0]["type"], "ack", "{answers:?}");
    assert_eq!(answers[1]["code"], "conflict", "{answers:?}");
    assert_eq!(answers[1]["current_version"], 2, "{answers:?}");
    let edit = json!({"type": "set_agenda", "version": 1, "segments": [{"title": "Late"}]});
    assert_eq!(o.refused(edit, "conflict").await["current_version"], 2);
    let fresh = server.connect(&w.organizer_token).await;
    let a = agenda(&fresh.welcome);
    assert_eq!(a["segments"][0]["status"], "running");
    assert_eq!(a["segments"][1]["status"], "pending");
}

#[tokio::test]
async fn bad_agenda_input_gets_stable_codes_and_changes_nothing() {
    let server = TestServer::start().await;
    let (w, mut f, _ana, _bruno) = running(&server).await;
    let set = |segments: Value| json!({"type": "set_agenda", "version": 1, "segments": segments});
    f.refused(set(json!([{"title": ""}])), "invalid").await;
    f.refused(set(json!([{"title": "x".repeat(121)}])), "too_large")
        .await;
    f.refused(
        set(json!([{"title": "V", "phase": "vote", "hidden": true}])),
        "invalid",
    )
    .await;
    f.refused(set(json!([{"title": "V", "minutes": 0}])), "invalid")
        .await;
    f.refused(set(json!([{"title": "V", "where": "kitchen"}])), "invalid")
        .await;
    f.refused(set(json!([{"title": "V", "colour": "red"}])), "invalid")
        .await;
    f.refused(set(json!(vec![json!({"title": "V"}); 41])), "too_large")
        .await;
    f.refused(json!({"type": "next_segment"}), "invalid").await;
    f.refused(
        json!({"type": "extend_segment", "version": 1, "minutes": 5}),
        "not_found",
    )
    .await;
    f.refused(json!({"type": "skip_segment", "version": -1}), "invalid")
        .await;
    let fresh = server.connect(&w.organizer_token).await;
    assert_eq!(agenda(&fresh.welcome)["version"], 1);
    assert_eq!(
        agenda(&fresh.welcome)["segments"].as_array().unwrap().len(),
        3
    );
}
