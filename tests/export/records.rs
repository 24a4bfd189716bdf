//! The JSON record: the CLI export equals the REST one, and records round-trip through
//! import (a closed session with removals, a room whose people moved).

use super::*;

#[tokio::test]
async fn cli_export_matches_rest_and_the_record_round_trips_through_import() {
    let d = demo().await;
    let rest = d.export("json").await;

    // The record is valid against the published schema.
    let schema: Value =
        serde_json::from_str(include_str!("../../docs/export.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let record: Value = serde_json::from_slice(&rest).expect("json");
    let errors: Vec<String> = validator
        .iter_errors(&record)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(record["schema_version"], 1);
    assert_eq!(record["cards"].as_array().expect("cards").len(), 46);
    assert!(!String::from_utf8_lossy(&rest).contains("token"));

    // Offline, from the same database while the server runs.
    let dir = tempfile::tempdir().expect("dir");
    let offline = dir.path().join("record.json");
    let db = d.server.db_path();
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&offline),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&offline).expect("written"), rest);
    let report = dir.path().join("report.md");
    let (ok, out, err) = cabildo(&[
        "--db",
        path(&db),
        "export",
        "--workshop",
        &d.id,
        "--format",
        "md",
        "--date",
        "2020-06-24",
        "--out",
        path(&report),
    ])
    .await;
    assert!(ok, "{out}{err}");
    let md = std::fs::read_to_string(&report).expect("report");
    assert!(md.contains("Generated on 24 June 2020"), "{md}");

    // Import into a fresh database (a new server's, stopped), export again: the same
    // document.
    let mut fresh = TestServer::start().await;
    assert!(fresh.terminate().await.success());
    let fresh_db = fresh.db_path();
    let (ok, out, err) =
        cabildo(&["import", "--db", path(&fresh_db), "--file", path(&offline)]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("Imported workshop {}", d.id)),
        "{out}"
    );
    let token = out
        .lines()
        .find(|l| l.trim_start().starts_with("organizer token:"))
        .and_then(|l| l.split_whitespace().last())
        .expect("an organizer token")
        .to_string();
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&fresh_db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&again).expect("written"), rest);

    // A second import into the same database is refused.
    let (ok, _, err) =
        cabildo(&["import", "--db", path(&fresh_db), "--file", path(&offline)]).await;
    assert!(!ok);
    assert!(err.contains("already in this database"), "{err}");

    // The server, started again on that database, serves the workshop to the printed token.
    fresh.restart().await;
    let r = fresh
        .http
        .get(fresh.url(&format!("/api/workshops/{}/export?format=json", d.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").to_vec(), rest);
}

#[tokio::test]
async fn a_closed_session_with_removals_round_trips_through_import_as_final() {
    let d = demo().await;
    let mut org = d.server.connect(&d.organizer).await;
    let rooms: Vec<String> = org.welcome["snapshot"]["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    let delegate = org.welcome["snapshot"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["role"] == "delegate")
        .expect("a delegate")["id"]
        .as_str()
        .expect("id")
        .to_string();
    org.ok(json!({"type": "set_room_capacity", "room": rooms[0], "capacity": 30}))
        .await;
    org.ok(json!({"type": "remove_participant", "participant": delegate}))
        .await;
    org.ok(json!({"type": "remove_room", "room": rooms[3]}))
        .await;
    org.ok(json!({"type": "close_workshop"})).await;
    let rest = d.export("json").await;
    let record: Value = serde_json::from_slice(&rest).expect("json");
    assert_eq!(record["workshop"]["status"], "final");
    let md = d.text("md").await;
    assert!(
        !md.contains("Draft: the workshop is still in progress"),
        "{md}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, &rest).expect("written");
    let mut fresh = TestServer::start().await;
    assert!(fresh.terminate().await.success());
    let db = fresh.db_path();
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(ok, "{out}{err}");
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        &d.id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&again).expect("written"), rest);
}

/// A room whose delegates posted and voted there, then all moved to another room, lists
/// them as having taken part, each with the room they are in now; that room lists them as
/// moved from it; a room nobody used still says so. In Markdown, HTML and DOCX.
#[tokio::test]
async fn a_room_whose_people_moved_lists_who_took_part_in_it() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "language": "en"}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    for who in [&ana, &bruno] {
        org.ok(move_to(&who.id, &w.rooms[0])).await;
    }
    let mut ana_ws = server.connect(&ana.token).await;
    ana_ws
        .ok(json!({"type": "post_card", "room": w.rooms[0], "column": "strengths", "text": "Open data"}))
        .await;
    let card = ana_ws.event_of_type("card_posted").await["event"]["card"].clone();
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    let mut bruno_ws = server.connect(&bruno.token).await;
    bruno_ws.ok(json!({"type": "vote", "card": card})).await;
    for who in [&ana, &bruno] {
        org.ok(move_to(&who.id, &w.rooms[1])).await;
    }
    let export = |format: &'static str| {
        let url = server.url(&format!("/api/workshops/{}/export?format={format}", w.id));
        let token = w.organizer_token.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("export");
            assert_eq!(r.status(), 200, "{format}");
            r.bytes().await.expect("body").to_vec()
        }
    };
    let md = String::from_utf8(export("md").await).expect("utf-8");
    let html = String::from_utf8(export("html").await).expect("utf-8");
    let docx = docx_part(&export("docx").await, "word/document.xml");
    for (format, text, heading) in [("md", &md, "#### "), ("html", &html, "<h4>")] {
        let section = |room: &str| {
            text.split(heading)
                .find(|s| s.starts_with(room))
                .unwrap_or_else(|| panic!("{format}: no section {room}"))
                .to_string()
        };
        let left = section("Room 1");
        assert!(!left.contains("Nobody took part"), "{format}: {left}");
        assert!(
            left.contains("Took part here, then moved"),
            "{format}: {left}"
        );
        for name in ["Ana (now in Room 2)", "Bruno (now in Room 2)"] {
            assert!(left.contains(name), "{format}: {name} in {left}");
        }
        let now = section("Room 2");
        for name in ["Ana (moved from Room 1)", "Bruno (moved from Room 1)"] {
            assert!(now.contains(name), "{format}: {name} in {now}");
        }
        assert!(section("Room 3").contains("Nobody took part"), "{format}");
    }
    assert!(docx.contains("Took part here, then moved"), "{docx}");
    assert!(docx.contains("Ana (now in Room 2)"), "docx");
    assert_eq!(docx.matches("Nobody took part").count(), 2, "rooms 3 and 4");
}
