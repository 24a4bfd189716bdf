//! The agenda over real WebSockets: staff set it and run through it, "next segment" moves
//! people, sets the phase, starts the timers and broadcasts as one stored step (a kill -9
//! in the middle of its commit leaves none of it; after the ack all of it survives a
//! restart), delegates see it but cannot drive it, bad input gets stable codes and
//! concurrent edits a `conflict` with the current version.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn segments() -> Value {
    json!([
        {"title": "Welcome", "where": "plenary", "minutes": 15, "message": "Welcome, everyone"},
        {"title": "Breakout: brainstorm", "where": "rooms", "phase": "brainstorm",
         "hidden": true, "minutes": 10, "message": "To your rooms"},
        {"title": "Report-back", "where": "plenary"}
    ])
}

/// A workshop with a facilitator, Ana in room 0 and Bruno in room 1, and the agenda set
/// (version 1).
async fn running(server: &TestServer) -> (Workshop, TestClient, Member, Member) {
    let w = server.workshop().await;
    let (_fac, mut f) = staff(server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    f.ok(json!({"type": "move_participant", "participant": ana.id, "room": w.rooms[0]}))
        .await;
    f.ok(json!({"type": "move_participant", "participant": bruno.id, "room": w.rooms[1]}))
        .await;
    f.ok(json!({"type": "set_agenda", "version": 0, "segments": segments()}))
        .await;
    (w, f, ana, bruno)
}

fn agenda(welcome: &Value) -> &Value {
    &welcome["snapshot"]["agenda"]
}

#[tokio::test]
async fn next_segment_moves_sets_the_phase_times_and_broadcasts_and_delegates_follow() {
    let server = TestServer::start().await;
    let (w, mut f, ana, _bruno) = running(&server).await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(agenda(&a.welcome)["version"], 1);
    assert_eq!(
        agenda(&a.welcome)["segments"][1]["plan"]["title"],
        "Breakout: brainstorm"
    );

    // Welcome: everyone to the plenary, the message.
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    let advanced = a.event_of_type("agenda_advanced").await;
    assert_eq!(advanced["event"]["started"], 0);
    assert_eq!(a.event_of_type("returned_to_lobby").await["type"], "event");
    let b = a.event_of_type("broadcast_sent").await;
    assert_eq!(b["event"]["text"], "Welcome, everyone");
    // The events of one step are consecutive in the log.
    assert_eq!(seq(&b), seq(&advanced) + 2);

    // The breakout: Ana back in room 0, hidden brainstorm, her room's timer.
    let ack = f.ok(json!({"type": "next_segment", "version": 2})).await;
    let frames = a.through_seq(ack).await;
    let types: Vec<&str> = frames
        .iter()
        .filter(|v| v["type"] == "event")
        .filter_map(|v| v["event"]["type"].as_str())
        .collect();
    for expected in [
        "agenda_advanced",
        "rooms_assigned",
        "phase_set",
        "timer_started",
        "broadcast_sent",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let fresh = server.connect(&ana.token).await;
    assert_eq!(fresh.welcome["you"]["room"], w.rooms[0].as_str());
    let s = &fresh.welcome["snapshot"];
    assert_eq!(agenda(&fresh.welcome)["segments"][0]["status"], "done");
    assert_eq!(agenda(&fresh.welcome)["segments"][1]["status"], "running");
    let room = s["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == w.rooms[0].as_str())
        .unwrap();
    assert_eq!(
        (room["phase"].as_str(), room["hidden"].as_bool()),
        (Some("brainstorm"), Some(true))
    );
    assert_eq!(s["session"]["timers"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["session"]["timers"][0]["room"], w.rooms[0].as_str());
}

#[tokio::test]
async fn delegates_see_the_agenda_but_cannot_drive_it() {
    let server = TestServer::start().await;
    let (_w, mut f, ana, _bruno) = running(&server).await;
    let mut a = server.connect(&ana.token).await;
    let before = a.seq;
    for command in [
        json!({"type": "set_agenda", "version": 1, "segments": []}),
        json!({"type": "next_segment", "version": 1}),
        json!({"type": "skip_segment", "version": 1}),
        json!({"type": "extend_segment", "version": 1, "minutes": 5}),
    ] {
        a.refused(command, "forbidden").await;
    }
    // Nothing changed: the next event anyone sees is the facilitator's barrier.
    let barrier = barrier(&mut f).await;
    assert_eq!(barrier, before + 1);
}

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

#[tokio::test]
async fn skip_and_extend_live() {
    let server = TestServer::start().await;
    let (w, mut f, _ana, _bruno) = running(&server).await;
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    f.ok(json!({"type": "extend_segment", "version": 2, "minutes": 5}))
        .await;
    f.ok(json!({"type": "skip_segment", "version": 3})).await;
    f.ok(json!({"type": "next_segment", "version": 4})).await;
    let fresh = server.connect(&w.organizer_token).await;
    let s = &agenda(&fresh.welcome)["segments"];
    assert_eq!(s[0]["extended"], 5);
    assert_eq!(
        [&s[0]["status"], &s[1]["status"], &s[2]["status"]],
        ["done", "skipped", "running"]
    );
}

/// One durable step: while the database's write lock is held from outside, "next segment"
/// is stuck in its commit; a kill -9 then leaves none of its events. After a restart the
/// same step commits, and a kill -9 right after its ack leaves all of them.
#[tokio::test]
async fn next_segment_is_stored_whole_or_not_at_all() {
    let mut flags = NO_RATE_LIMITS.to_vec();
    flags.extend(["--workshop-inbox", "1"]);
    let mut server = TestServer::start_with(&flags).await;
    let (w, mut f, ana, _bruno) = running(&server).await;
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    let lock = server.db.hold_writes().await;
    // The first is taken into the stuck commit, the next fills the inbox, the last finds
    // it full.
    f.send(json!({"id": "stuck", "type": "next_segment", "version": 2}))
        .await;
    for i in 0..2 {
        f.send(json!({"id": format!("filler-{i}"), "type": "broadcast", "text": "filler"}))
            .await;
    }
    let stuck = tokio::time::timeout(Duration::from_secs(5), async {
        while value(&scrape(&server).await, "cabildo_inbox_full_total") < 1.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    server.kill().await;
    lock.release().await;
    stuck.expect("the commit was stuck with the inbox full behind it");
    let stored = server.db.stored_event_types(&w.id).await;
    let advanced = stored.iter().filter(|t| *t == "agenda_advanced").count();
    assert_eq!(advanced, 1, "{stored:?}");
    for t in ["rooms_assigned", "phase_set", "timer_started"] {
        assert!(!stored.iter().any(|s| s == t), "{t} in {stored:?}");
    }

    server.restart().await;
    let mut f = server.connect(&w.organizer_token).await;
    assert_eq!(agenda(&f.welcome)["version"], 2);
    f.ok(json!({"type": "next_segment", "version": 2})).await;
    server.kill().await;
    server.restart().await;
    let fresh = server.connect(&ana.token).await;
    assert_eq!(agenda(&fresh.welcome)["segments"][1]["status"], "running");
    assert_eq!(fresh.welcome["you"]["room"], w.rooms[0].as_str());
    let s = &fresh.welcome["snapshot"];
    assert_eq!(s["session"]["timers"][0]["room"], w.rooms[0].as_str());
    let stored = server.db.stored_event_types(&w.id).await;
    let tail: Vec<&str> = stored.iter().rev().take(11).map(String::as_str).collect();
    for t in [
        "agenda_advanced",
        "rooms_assigned",
        "phase_set",
        "timer_started",
        "broadcast_sent",
    ] {
        assert!(tail.contains(&t), "{t} in {tail:?}");
    }
}

fn seq(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("seq in {frame}"))
}

async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = server.http.request(method, server.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn templates_are_saved_by_organizers_and_reused_in_another_workshop() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let (w, _f, ana, _bruno) = running(&server).await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let fac = server.facilitator(&w, "Fran").await;
    // Staff read them: the reference agenda is built in.
    let (status, v) = call(&server, Method::GET, &path, Some(&fac.token), None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["templates"][0]["builtin"], true);
    assert_eq!(v["templates"][0]["segments"][2]["hidden"], true, "{v}");
    assert_eq!(v["templates"].as_array().unwrap().len(), 1);
    // Delegates neither read nor save; facilitators do not save; no token is 401.
    let save = json!({"name": "Our agenda"});
    for (token, method, body, code) in [
        (Some(ana.token.as_str()), Method::GET, None, 403),
        (
            Some(ana.token.as_str()),
            Method::POST,
            Some(save.clone()),
            403,
        ),
        (
            Some(fac.token.as_str()),
            Method::POST,
            Some(save.clone()),
            403,
        ),
        (None, Method::GET, None, 401),
    ] {
        let (status, v) = call(&server, method, &path, token, body).await;
        assert_eq!(status, code, "{v}");
    }
    // Bad templates get stable codes.
    let org = Some(w.organizer_token.as_str());
    for (body, status_code, code) in [
        (json!({"name": " "}), 400, "invalid"),
        (json!({"name": "x".repeat(121)}), 413, "too_large"),
        (
            json!({"name": "Going Digital 2020 (reference workshop)"}),
            409,
            "conflict",
        ),
        (json!({"name": "Empty", "segments": []}), 400, "invalid"),
        (
            json!({"name": "Long", "segments": vec![json!({"title": "S"}); 41]}),
            413,
            "too_large",
        ),
        (
            json!({"name": "Odd", "segments": [{"title": "S", "colour": "red"}]}),
            400,
            "invalid",
        ),
    ] {
        let (status, v) = call(&server, Method::POST, &path, org, Some(body)).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (status_code, Some(code)),
            "{v}"
        );
    }
    // The organizer saves this workshop's agenda; another workshop's staff find it.
    let (status, v) = call(&server, Method::POST, &path, org, Some(save)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["segments"].as_array().unwrap().len(), 3);
    let other = server.workshop().await;
    let path2 = format!("/api/workshops/{}/agenda-templates", other.id);
    let token2 = Some(other.organizer_token.as_str());
    let (_, v) = call(&server, Method::GET, &path2, token2, None).await;
    let ours = &v["templates"][1];
    assert_eq!(ours["name"], "Our agenda");
    assert_eq!(ours["segments"], segments(), "saved as set");
    let mut o = server.connect(&other.organizer_token).await;
    o.ok(json!({"type": "set_agenda", "version": 0, "segments": ours["segments"]}))
        .await;
    // A token of another workshop cannot use this workshop's path.
    let (status, _) = call(&server, Method::GET, &path, token2, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_json_record_and_cabildo_import_round_trip_the_agenda_and_its_progress() {
    let server = TestServer::start().await;
    let (w, mut f, _ana, _bruno) = running(&server).await;
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    f.ok(json!({"type": "next_segment", "version": 2})).await;
    f.ok(json!({"type": "extend_segment", "version": 3, "minutes": 3}))
        .await;
    f.ok(json!({"type": "skip_segment", "version": 4})).await;
    let record = export(&server, &w.id, &w.organizer_token).await;
    let v: Value = serde_json::from_slice(&record).expect("json");
    let a = &v["agenda"];
    assert_eq!(a.as_array().map(Vec::len), Some(3), "{v}");
    assert_eq!(
        [&a[0]["status"], &a[1]["status"], &a[2]["status"]],
        ["done", "running", "skipped"]
    );
    assert_eq!(a[1]["extended"], 3);
    assert_eq!(a[0]["ended_at"], a[1]["started_at"]);

    let (mut fresh, token) = import_into_new_server(record.as_ref()).await;
    fresh.restart().await;
    assert_eq!(
        export(&fresh, &w.id, &token).await,
        record,
        "the same record again"
    );
    // The imported agenda runs on: the next command is based on the rebuilt version.
    let mut o = fresh.connect(&token).await;
    let version = o.welcome["snapshot"]["agenda"]["version"].clone();
    o.ok(json!({"type": "next_segment", "version": version}))
        .await;

    // A record whose progress no agenda could make is refused.
    let mut bad: Value = serde_json::from_slice(&record).expect("json");
    bad["agenda"][1]["started_at"] = Value::Null;
    let err = import_refused(&bad).await;
    assert!(err.contains("agenda"), "{err}");
}

/// `cabildo import` of `record` into a stopped server's database fails: what it said.
async fn import_refused(record: &Value) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, record.to_string()).expect("written");
    let mut other = TestServer::start().await;
    assert!(other.terminate().await.success());
    let db = other.db_path();
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(!ok, "{out}{err}");
    err
}

/// The JSON record of workshop `id`, as its export endpoint serves it.
async fn export(server: &TestServer, id: &str, token: &str) -> Vec<u8> {
    let url = server.url(&format!("/api/workshops/{id}/export?format=json"));
    let r = server
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("body").to_vec()
}

/// Where each participant of the workshop is, as the organizer's snapshot says.
async fn rooms_of(server: &TestServer, token: &str) -> std::collections::BTreeMap<String, Value> {
    let o = server.connect(token).await;
    o.welcome["snapshot"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or("").to_string(),
                p["room"].clone(),
            )
        })
        .collect()
}

/// Each person's last breakout room (where a `rooms` segment sends them back) is in the
/// JSON record, valid against docs/export.schema.json: a record without its history still
/// sends people back to their rooms after `cabildo import`; a record from before the field
/// still imports; a field naming an unknown room is refused.
#[tokio::test]
async fn the_json_record_keeps_the_room_each_person_was_last_in() {
    let server = TestServer::start().await;
    let (w, mut f, ana, bruno) = running(&server).await;
    // The welcome (plenary) sends Ana and Bruno to the lobby; the next segment is in rooms.
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    let record = export(&server, &w.id, &w.organizer_token).await;
    let mut v: Value = serde_json::from_slice(&record).expect("json");
    let mut expected = vec![
        json!({"participant": ana.id, "room": w.rooms[0]}),
        json!({"participant": bruno.id, "room": w.rooms[1]}),
    ];
    expected.sort_by_key(|e| e["participant"].as_str().unwrap_or("").to_string());
    assert_eq!(v["agenda_last_rooms"], json!(expected), "{v}");
    let schema: Value =
        serde_json::from_str(include_str!("../docs/export.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    // Without its history, the import places people only where they are now (the lobby):
    // the last rooms come from the record.
    v.as_object_mut().expect("object").remove("history");
    let (mut fresh, token) = import_into_new_server(v.to_string().as_bytes()).await;
    fresh.restart().await;
    let mut o = fresh.connect(&token).await;
    o.ok(json!({"type": "next_segment", "version": o.welcome["snapshot"]["agenda"]["version"]}))
        .await;
    let rooms = rooms_of(&fresh, &token).await;
    assert_eq!(rooms[&ana.id], w.rooms[0].as_str(), "{rooms:?}");
    assert_eq!(rooms[&bruno.id], w.rooms[1].as_str(), "{rooms:?}");
    // Its record names the same rooms.
    let again: Value = serde_json::from_slice(&export(&fresh, &w.id, &token).await).expect("json");
    assert_eq!(again["agenda_last_rooms"], json!(expected));

    // A record from before the field (and without a history) imports.
    v.as_object_mut()
        .expect("object")
        .remove("agenda_last_rooms");
    import_into_new_server(v.to_string().as_bytes()).await;

    // A last room that is no room of the record is refused.
    v["agenda_last_rooms"] = json!([{"participant": ana.id, "room": w.id}]);
    let err = import_refused(&v).await;
    assert!(err.contains("agenda_last_rooms"), "{err}");
}

#[tokio::test]
async fn at_most_100_templates_are_saved_and_saving_a_name_again_replaces_it() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let org = Some(w.organizer_token.as_str());
    let body = |name: String| json!({"name": name, "segments": [{"title": "Welcome"}]});
    for i in 0..100 {
        let (status, v) = call(
            &server,
            Method::POST,
            &path,
            org,
            Some(body(format!("T{i:03}"))),
        )
        .await;
        assert_eq!(status, 201, "{i}: {v}");
    }
    let (status, v) = call(&server, Method::POST, &path, org, Some(body("T100".into()))).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (413, Some("too_large")),
        "{v}"
    );
    // A saved name is replaced, not added.
    let again =
        json!({"name": "T007", "segments": [{"title": "Vote", "where": "rooms", "phase": "vote"}]});
    let (status, v) = call(&server, Method::POST, &path, org, Some(again)).await;
    assert_eq!(status, 201, "{v}");
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    let templates = v["templates"].as_array().expect("templates");
    assert_eq!(templates.len(), 101, "the built-in one and 100 saved");
    let t7 = templates
        .iter()
        .find(|t| t["name"] == "T007")
        .expect("T007");
    assert_eq!(t7["segments"][0]["title"], "Vote");
}

/// `name` as one percent-encoded path segment.
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The organizer deletes a saved template, for every workshop of the server; staff of
/// another kind, delegates and no token cannot; an unknown name is 404 `not_found`; the
/// built-in template is 409 `conflict` and stays.
#[tokio::test]
async fn organizers_delete_saved_templates_but_not_the_built_in_one() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let path = format!("/api/workshops/{}/agenda-templates", w.id);
    let org = Some(w.organizer_token.as_str());
    for name in ["Our plan", "Día 2 / tarde"] {
        let body = json!({"name": name, "segments": [{"title": "Welcome"}]});
        let (status, v) = call(&server, Method::POST, &path, org, Some(body)).await;
        assert_eq!(status, 201, "{v}");
    }
    let names = |v: &Value| -> Vec<String> {
        v["templates"]
            .as_array()
            .expect("templates")
            .iter()
            .map(|t| t["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let fac = server.facilitator(&w, "Fran").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let other = server.workshop().await;
    let ours = format!("{path}/{}", segment("Our plan"));
    for (token, code) in [
        (None, "unauthorized"),
        (Some(ana.token.as_str()), "forbidden"),
        (Some(fac.token.as_str()), "forbidden"),
        (Some(other.organizer_token.as_str()), "forbidden"),
    ] {
        let (status, v) = call(&server, Method::DELETE, &ours, token, None).await;
        let want = if code == "unauthorized" { 401 } else { 403 };
        assert_eq!((status, v["code"].as_str()), (want, Some(code)), "{v}");
    }
    let builtin = format!("{path}/{}", segment(REFERENCE));
    let (status, v) = call(&server, Method::DELETE, &builtin, org, None).await;
    assert_eq!((status, v["code"].as_str()), (409, Some("conflict")), "{v}");
    let unknown = format!("{path}/{}", segment("Nope"));
    let (status, v) = call(&server, Method::DELETE, &unknown, org, None).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    assert_eq!(names(&v), [REFERENCE, "Día 2 / tarde", "Our plan"]);

    // A name with a slash and accents, percent-encoded; then once more: gone.
    let odd = format!("{path}/{}", segment("Día 2 / tarde"));
    let (status, v) = call(&server, Method::DELETE, &odd, org, None).await;
    assert_eq!(status, 204, "{v}");
    let (status, v) = call(&server, Method::DELETE, &odd, org, None).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    // Templates are the server's: another workshop's organizer deletes one under theirs.
    let theirs = format!(
        "/api/workshops/{}/agenda-templates/{}",
        other.id,
        segment("Our plan")
    );
    let token2 = Some(other.organizer_token.as_str());
    let (status, v) = call(&server, Method::DELETE, &theirs, token2, None).await;
    assert_eq!(status, 204, "{v}");
    let (_, v) = call(&server, Method::GET, &path, org, None).await;
    assert_eq!(names(&v), [REFERENCE]);
}

const REFERENCE: &str = "Going Digital 2020 (reference workshop)";
