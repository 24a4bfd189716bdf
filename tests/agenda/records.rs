//! The agenda in the JSON record: its progress and each person's last room round-trip
//! through import.

use super::*;

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
        serde_json::from_str(include_str!("../../docs/export.schema.json")).expect("schema");
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
