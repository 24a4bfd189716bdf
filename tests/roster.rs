//! The roster, end to end over HTTP and WebSocket: importing a CSV or a pasted table,
//! per-row errors with nothing half imported, personal links that join as the person in
//! their preferred room, who joined, re-issuing and revoking links, turning the shared codes
//! off, and that only the organizer manages any of it.

mod common;
use common::*;
use serde_json::{json, Value};

/// A workshop with two named rooms.
async fn workshop(server: &TestServer) -> Workshop {
    server
        .create_workshop(json!({"title": "Roster", "rooms": ["Norte", "Sur"]}))
        .await
}

/// Sends a request with the organizer's (or any) token; returns status and body.
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

async fn add(server: &TestServer, w: &Workshop, body: Value) -> (u16, Value) {
    let path = format!("/api/workshops/{}/roster", w.id);
    call(
        server,
        reqwest::Method::POST,
        &path,
        Some(&w.organizer_token),
        Some(body),
    )
    .await
}

async fn roster(server: &TestServer, w: &Workshop) -> Value {
    let path = format!("/api/workshops/{}/roster", w.id);
    let (status, v) = call(
        server,
        reqwest::Method::GET,
        &path,
        Some(&w.organizer_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn join_with(server: &TestServer, w: &Workshop, link: &str) -> (u16, Value) {
    server
        .post_json(
            &format!("/api/workshops/{}/roster/join", w.id),
            json!({"link": link, "language": "es"}),
        )
        .await
}

/// The link issued for `name` in an `add` answer.
fn link_of<'a>(added: &'a Value, name: &str) -> &'a str {
    added["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["name"] == name)
        .and_then(|l| l["link"].as_str())
        .unwrap_or_else(|| panic!("a link for {name} in {added}"))
}

fn person<'a>(roster: &'a Value, name: &str) -> &'a Value {
    roster["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {roster}"))
}

const CSV: &str = "name,country,email,role,preferred room,head of delegation\r\n\
Ana Souza,BR,ana@example.org,delegate,Sur,yes\r\n\
\"Pérez, Juan\",AR,,delegado,,no\r\n\
Marta Gil,,marta@example.org,facilitator,Norte,\r\n";

#[tokio::test]
async fn a_csv_roster_is_imported_and_each_link_joins_as_the_person_in_their_room() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let (status, added) = add(&server, &w, json!({"table": CSV})).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["added"], 3);
    let ana_link = link_of(&added, "Ana Souza").to_string();
    assert!(added["links"][0]["path"]
        .as_str()
        .is_some_and(|p| p.starts_with(&format!("/#link={}.", w.id))));

    let r = roster(&server, &w).await;
    assert_eq!(r["shared_codes"], true);
    let ana = person(&r, "Ana Souza");
    assert_eq!(ana["country"], "BR");
    assert_eq!(ana["email"], "ana@example.org");
    assert_eq!(ana["role"], "delegate");
    assert_eq!(ana["room"], w.rooms[1].as_str(), "Sur is the second room");
    assert_eq!(ana["head"], true);
    assert_eq!(ana["link"], "active");
    assert_eq!(ana["joined"], false);
    assert_eq!(person(&r, "Pérez, Juan")["country"], "AR");
    assert_eq!(person(&r, "Marta Gil")["role"], "facilitator");

    // The link joins as the person, with no form: name, country, role and room from the roster.
    let (status, joined) = join_with(&server, &w, &ana_link).await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["name"], "Ana Souza");
    assert_eq!(joined["country"], "BR");
    assert_eq!(joined["role"], "delegate");
    assert_eq!(joined["participant_id"], ana["id"]);
    assert_eq!(
        joined["room"],
        w.rooms[1].as_str(),
        "placed in the preferred room"
    );
    let token = joined["token"].as_str().expect("token");
    let c = server.connect(token).await;
    assert_eq!(c.welcome["you"]["name"], "Ana Souza");
    assert_eq!(c.welcome["you"]["room"], w.rooms[1].as_str());

    // The organizer sees who joined and who has not.
    let r = roster(&server, &w).await;
    assert_eq!(person(&r, "Ana Souza")["joined"], true);
    assert_eq!(person(&r, "Ana Souza")["place"], w.rooms[1].as_str());
    assert_eq!(person(&r, "Pérez, Juan")["joined"], false);

    // Opening the link again (another device) is the same participant, with a new token.
    let (status, again) = join_with(&server, &w, &ana_link).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["participant_id"], joined["participant_id"]);
    assert_ne!(again["token"], joined["token"]);

    // A facilitator's link makes a facilitator; a person without a room waits in the lobby.
    let (status, marta) = join_with(&server, &w, link_of(&added, "Marta Gil")).await;
    assert_eq!(status, 201, "{marta}");
    assert_eq!(marta["role"], "facilitator");
    assert_eq!(marta["room"], w.rooms[0].as_str());
    let (status, juan) = join_with(&server, &w, link_of(&added, "Pérez, Juan")).await;
    assert_eq!(status, 201, "{juan}");
    assert_eq!(juan["room"], "lobby");

    // The roster and the links survive a restart (they are events of the workshop's log).
    let mut server = server;
    server.kill().await;
    server.restart().await;
    let (status, after) = join_with(&server, &w, &ana_link).await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(after["participant_id"], joined["participant_id"]);
}

#[tokio::test]
async fn a_pasted_table_and_people_added_one_by_one_join_the_roster() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let pasted = "Nombre\tPaís\tRol\tSala\nLucía Díaz\tcl\tdelegada\tnorte\n";
    let (status, added) = add(&server, &w, json!({"table": pasted})).await;
    assert_eq!(status, 201, "{added}");
    let (status, one) = add(
        &server,
        &w,
        json!({"people": [{"name": "Rui Costa", "country": "PT", "room": "Sur", "head": true}]}),
    )
    .await;
    assert_eq!(status, 201, "{one}");
    let r = roster(&server, &w).await;
    assert_eq!(r["people"].as_array().map(Vec::len), Some(2));
    let lucia = person(&r, "Lucía Díaz");
    assert_eq!(lucia["country"], "CL");
    assert_eq!(
        lucia["room"],
        w.rooms[0].as_str(),
        "room names match without case"
    );
    assert_eq!(person(&r, "Rui Costa")["head"], true);
    // Adding the same person again is a duplicate of the roster.
    let (status, dup) = add(
        &server,
        &w,
        json!({"people": [{"name": "rui  costa", "country": "PT"}]}),
    )
    .await;
    assert_eq!(status, 400, "{dup}");
    assert_eq!(dup["rows"][0]["error"], "duplicate", "{dup}");
}

#[tokio::test]
async fn a_bad_roster_gets_every_problem_by_row_and_adds_nobody() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let csv = "name,country,role,room\n\
Good Person,AR,delegate,\n\
Ana,XX,delegate,\n\
,BR,delegate,\n\
Bob,UY,chair,\n\
Good  person,ar,delegate,\n\
Eve,CL,delegate,Kitchen\n";
    let (status, v) = add(&server, &w, json!({"table": csv})).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], "invalid");
    let got: Vec<(u64, String)> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["error"].as_str().expect("error").to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = [
        (3, "unknown_country"),
        (4, "missing_name"),
        (5, "bad_role"),
        (6, "duplicate"),
        (7, "unknown_room"),
    ]
    .into_iter()
    .map(|(r, e)| (r, e.to_string()))
    .collect();
    assert_eq!(got, want, "{v}");
    assert_eq!(
        roster(&server, &w).await["people"].as_array().map(Vec::len),
        Some(0),
        "nothing half imported"
    );

    // A table without a needed column, and one with too many rows.
    let (status, v) = add(&server, &w, json!({"table": "name,email\nAna,a@b.org\n"})).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["rows"][0]["error"], "missing_column");
    let mut big = String::from("name,country,role\n");
    for n in 0..1001 {
        big.push_str(&format!("P{n},AR,delegate\n"));
    }
    let (status, v) = add(&server, &w, json!({"table": big})).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["code"], "too_large");
    assert_eq!(v["rows"][0]["error"], "too_many_rows");
    assert_eq!(
        roster(&server, &w).await["people"].as_array().map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn a_revoked_link_stops_working_and_a_new_one_replaces_it() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let (_, added) = add(&server, &w, json!({"table": CSV})).await;
    let link = link_of(&added, "Ana Souza").to_string();
    let id = added["links"][0]["id"].as_str().expect("id").to_string();
    let (status, joined) = join_with(&server, &w, &link).await;
    assert_eq!(status, 201, "{joined}");
    let mut ana = server
        .connect(joined["token"].as_str().expect("token"))
        .await;
    ana.ok(
        json!({"type": "post_card", "room": w.rooms[1], "column": "strengths", "text": "Fibre"}),
    )
    .await;

    let path = format!("/api/workshops/{}/roster/{id}/link", w.id);
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &path,
        Some(&w.organizer_token),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, v) = join_with(&server, &w, &link).await;
    assert_eq!(status, 403, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("revoked")),
        "{v}"
    );
    assert_eq!(
        person(&roster(&server, &w).await, "Ana Souza")["link"],
        "revoked"
    );

    // Her card stays.
    let org = server.connect(&w.organizer_token).await;
    let cards = org.welcome.to_string();
    assert!(cards.contains("Fibre"), "{cards}");

    // Re-sending issues a new link; the revoked one still opens nothing.
    let (status, fresh) = call(
        &server,
        reqwest::Method::POST,
        &path,
        Some(&w.organizer_token),
        None,
    )
    .await;
    assert_eq!(status, 201, "{fresh}");
    let new_link = fresh["link"].as_str().expect("link");
    assert_ne!(new_link, link);
    let (status, v) = join_with(&server, &w, &link).await;
    assert_eq!(status, 401, "the old link opens nothing: {v}");
    let (status, v) = join_with(&server, &w, new_link).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["participant_id"], joined["participant_id"]);
    let (status, v) = join_with(&server, &w, "0123456789abcdef").await;
    assert_eq!(status, 401, "{v}");
}

#[tokio::test]
async fn the_shared_codes_can_be_turned_off_while_personal_links_work() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let (_, added) = add(&server, &w, json!({"table": CSV})).await;
    let path = format!("/api/workshops/{}/roster/shared_codes", w.id);
    let (status, v) = call(
        &server,
        reqwest::Method::PUT,
        &path,
        Some(&w.organizer_token),
        Some(json!({"open": false})),
    )
    .await;
    assert_eq!(status, 204, "{v}");
    assert_eq!(roster(&server, &w).await["shared_codes"], false);
    let (status, v) = server
        .post_json(
            &format!("/api/workshops/{}/join", w.id),
            json!({"code": w.delegate_code, "name": "Walk In", "country": "AR"}),
        )
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["code"], "closed");
    let (status, v) = join_with(&server, &w, link_of(&added, "Ana Souza")).await;
    assert_eq!(status, 201, "personal links still work: {v}");

    // `lock_joining` locks the links too.
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "lock_joining", "locked": true}))
        .await;
    let (status, v) = join_with(&server, &w, link_of(&added, "Marta Gil")).await;
    assert_eq!(status, 409, "{v}");
    org.ok(json!({"type": "lock_joining", "locked": false}))
        .await;

    let (status, _) = call(
        &server,
        reqwest::Method::PUT,
        &path,
        Some(&w.organizer_token),
        Some(json!({"open": true})),
    )
    .await;
    assert_eq!(status, 204);
    server.delegate(&w, "Walk In", "AR").await;
}

#[tokio::test]
async fn only_the_organizer_manages_the_roster_and_delegates_never_see_it() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let other = workshop(&server).await;
    let fac = server.facilitator(&w, "Fa Cilitator").await;
    let del = server.delegate(&w, "De Legate", "AR").await;
    let (_, added) = add(&server, &w, json!({"table": CSV})).await;
    let id = added["links"][0]["id"].as_str().expect("id");
    let base = format!("/api/workshops/{}/roster", w.id);
    let routes = [
        (reqwest::Method::GET, base.clone(), None),
        (
            reqwest::Method::POST,
            base.clone(),
            Some(json!({"people": [{"name": "X Y", "country": "AR"}]})),
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/shared_codes"),
            Some(json!({"open": false})),
        ),
        (reqwest::Method::POST, format!("{base}/{id}/link"), None),
        (reqwest::Method::DELETE, format!("{base}/{id}/link"), None),
    ];
    for (method, path, body) in &routes {
        for (who, token, want) in [
            ("facilitator", Some(fac.token.as_str()), 403),
            ("delegate", Some(del.token.as_str()), 403),
            (
                "another workshop's organizer",
                Some(other.organizer_token.as_str()),
                403,
            ),
            ("nobody", None, 401),
        ] {
            let (status, v) = call(&server, method.clone(), path, token, body.clone()).await;
            assert_eq!(status, want, "{method} {path} by {who}: {v}");
        }
    }
    let (status, _) = call(
        &server,
        reqwest::Method::GET,
        "/api/workshops/00000000-0000-4000-8000-000000000000/roster",
        Some(&w.organizer_token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Nothing changed: the roster still has its three people with active links.
    let r = roster(&server, &w).await;
    assert_eq!(r["people"].as_array().map(Vec::len), Some(3));
    assert_eq!(r["shared_codes"], true);
    assert!(r["people"]
        .as_array()
        .expect("people")
        .iter()
        .all(|p| p["link"] == "active"));

    // Roster events go to staff only: a delegate's next event after an import is the
    // broadcast sent after it (an ordering barrier), while a facilitator sees the import.
    let mut d = server.connect(&del.token).await;
    let mut f = server.connect(&fac.token).await;
    let (status, _) = add(
        &server,
        &w,
        json!({"people": [{"name": "Late Comer", "country": "UY"}]}),
    )
    .await;
    assert_eq!(status, 201);
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "broadcast", "text": "barrier"}))
        .await;
    let next = d.next_event().await;
    assert_eq!(next["event"]["type"], "broadcast_sent", "{next}");
    let next = f.next_event().await;
    assert_eq!(next["event"]["type"], "roster_added", "{next}");
    assert!(
        !next.to_string().contains(link_of(&added, "Ana Souza")),
        "no raw link in events"
    );
}

#[tokio::test]
async fn the_json_record_and_cabildo_import_round_trip_the_roster_without_links() {
    let server = TestServer::start().await;
    let w = workshop(&server).await;
    let (_, added) = add(&server, &w, json!({"table": CSV})).await;
    let link = link_of(&added, "Ana Souza").to_string();
    let (status, _) = join_with(&server, &w, &link).await;
    assert_eq!(status, 201);
    let codes = format!("/api/workshops/{}/roster/shared_codes", w.id);
    let (status, _) = call(
        &server,
        reqwest::Method::PUT,
        &codes,
        Some(&w.organizer_token),
        Some(json!({"open": false})),
    )
    .await;
    assert_eq!(status, 204);
    let export = |server: &TestServer, token: String| {
        let url = server.url(&format!("/api/workshops/{}/export?format=json", w.id));
        let http = server.http.clone();
        async move {
            let r = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("body").to_vec()
        }
    };
    let record = export(&server, w.organizer_token.clone()).await;
    let text = String::from_utf8(record.clone()).expect("utf-8");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        v["roster"]["people"].as_array().map(Vec::len),
        Some(3),
        "{v}"
    );
    assert_eq!(v["roster"]["shared_codes_off"], true);
    assert_eq!(v["roster"]["people"][0]["room"], w.rooms[1].as_str());
    assert!(!text.contains(&link), "no raw link in the record");
    assert!(!text.contains("link_hash"), "no link hash in the record");

    let (mut fresh, token) = import_into_new_server(record.as_ref()).await;
    fresh.restart().await;
    assert_eq!(
        export(&fresh, token.clone()).await,
        record,
        "the same record again"
    );
    // The imported roster has no links until the organizer issues new ones.
    let w2 = Workshop {
        organizer_token: token,
        ..w
    };
    let r = roster(&fresh, &w2).await;
    assert_eq!(r["shared_codes"], false);
    assert_eq!(person(&r, "Ana Souza")["joined"], true);
    assert_eq!(person(&r, "Pérez, Juan")["link"], "none");
    let (status, v) = join_with(&fresh, &w2, &link).await;
    assert_eq!(
        status, 401,
        "the old link does not travel with the record: {v}"
    );
}
