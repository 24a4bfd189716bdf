//! The review by delegations, end to end over WebSocket and REST: who may open, answer,
//! reply, revise and close; the head-of-delegation rule; the deadline; a revision
//! restarting a conclusion's answers; closing freezing the conclusions across a restart;
//! and stable error codes for bad input (`docs/protocol/review.md`).

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `GET /api/workshops/{id}/review` with `token`.
async fn review(server: &TestServer, w: &Workshop, token: Option<&str>) -> (u16, Value) {
    let mut r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/review", w.id)));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Adds a conclusion as `staff`; returns its id.
async fn conclusion(staff: &mut TestClient, text: &str) -> String {
    staff
        .ok(json!({"type": "add_conclusion", "theme": "governance", "text": text}))
        .await;
    let e = staff.event_of_type("conclusion_added").await;
    e["event"]["conclusion"]
        .as_str()
        .expect("conclusion id")
        .to_string()
}

fn answer(conclusion: &str, version: u64, kind: &str, text: Option<&str>) -> Value {
    let mut v = json!({"type": "answer_review", "conclusion": conclusion, "version": version, "answer": kind});
    if let Some(t) = text {
        v["text"] = json!(t);
    }
    v
}

fn open(deadline: i64, rule: &str) -> Value {
    json!({"type": "open_review", "deadline": deadline, "rule": rule})
}

/// The record of conclusion `id` in a review answer.
fn record<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .find(|c| c["conclusion"] == id)
        .unwrap_or_else(|| panic!("{id} in {v}"))
}

fn countries(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            a.as_str()
                .or_else(|| a["country"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn delegates_answer_for_their_own_country_while_the_review_is_open() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fe").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let eva = server.delegate(&w, "Eva", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let mut f = server.connect(&fac.token).await;
    let mut a = server.connect(&ana.token).await;
    let mut e = server.connect(&eva.token).await;
    let c1 = conclusion(&mut f, "Shared fibre for every region").await;

    a.refused(answer(&c1, 1, "endorse", None), "not_found")
        .await;
    a.refused(open(now_ms() + 3_600_000, "all"), "forbidden")
        .await;
    f.refused(open(now_ms() - 1, "all"), "invalid").await;
    f.refused(
        json!({"type": "open_review", "deadline": "soon"}),
        "invalid",
    )
    .await;
    f.refused(open(now_ms() + 3_600_000, "everyone"), "invalid")
        .await;
    f.ok(open(now_ms() + 3_600_000, "all")).await;
    a.event_of_type("review_opened").await;

    a.ok(answer(&c1, 1, "endorse", None)).await;
    let answered = e.event_of_type("review_answered").await;
    assert_eq!(answered["event"]["country"], "AR");
    assert_eq!(answered["event"]["by"], ana.id.as_str());
    // Eva's later answer is Argentina's.
    e.ok(answer(&c1, 1, "reserve", Some("Only with public funding")))
        .await;
    f.refused(answer(&c1, 1, "endorse", None), "forbidden")
        .await;
    a.refused(answer(&c1, 2, "endorse", None), "conflict").await;
    a.refused(answer(&c1, 1, "maybe", None), "invalid").await;
    a.refused(answer(&c1, 1, "reserve", None), "invalid").await;
    a.refused(answer(&c1, 1, "endorse", Some("and more")), "invalid")
        .await;
    a.refused(
        answer(&c1, 1, "comment", Some(&"x".repeat(2001))),
        "too_large",
    )
    .await;
    a.refused(
        answer("00000000-0000-0000-0000-000000000000", 1, "endorse", None),
        "not_found",
    )
    .await;
    // Staff cannot edit a conclusion under review other than by revising it.
    f.refused(
        json!({"type": "edit_conclusion", "conclusion": c1, "version": 1, "text": "x"}),
        "closed",
    )
    .await;

    let (status, v) = review(&server, &w, Some(&ben.token)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["country"].as_str(), v["eligible"].as_bool()),
        (Some("BR"), Some(true))
    );
    let r = record(&v, &c1);
    assert_eq!(countries(&r["reserved"]), ["AR"]);
    assert_eq!(r["reserved"][0]["by"], eva.id.as_str());
    assert_eq!(r["reserved"][0]["by_name"], "Eva");
    assert_eq!(r["reserved"][0]["text"], "Only with public funding");
    assert_eq!(countries(&r["endorsed"]), Vec::<String>::new());
    assert_eq!(countries(&r["unanswered"]), ["BR"]);
}

#[tokio::test]
async fn under_the_head_rule_only_the_roster_head_answers_for_their_country() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let path = format!("/api/workshops/{}/roster", w.id);
    let r = server
        .http
        .post(server.url(&path))
        .bearer_auth(&w.organizer_token)
        .json(&json!({"people": [{"name": "Hugo Head", "country": "AR", "head": true}]}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.expect("json");
    let link = added["links"][0]["link"].as_str().expect("a link");
    let (status, joined) = server
        .post_json(
            &format!("/api/workshops/{}/roster/join", w.id),
            json!({"link": link, "language": "es"}),
        )
        .await;
    assert_eq!(status, 201, "{joined}");
    let head = joined["token"].as_str().expect("token").to_string();
    let other = server.delegate(&w, "Otra", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let mut org = server.connect(&w.organizer_token).await;
    let c1 = conclusion(&mut org, "Open data by default").await;
    org.ok(open(now_ms() + 3_600_000, "head")).await;

    let mut o = server.connect(&other.token).await;
    o.refused(answer(&c1, 1, "endorse", None), "forbidden")
        .await;
    let (_, v) = review(&server, &w, Some(&other.token)).await;
    assert_eq!(v["eligible"], false, "{v}");
    let mut h = server.connect(&head).await;
    h.ok(answer(&c1, 1, "endorse", None)).await;
    // Brazil has no head on the roster: every Brazilian delegate answers.
    let mut b = server.connect(&ben.token).await;
    b.ok(answer(&c1, 1, "comment", Some("Mention privacy")))
        .await;
    let (_, v) = review(&server, &w, Some(&w.organizer_token)).await;
    let r = record(&v, &c1);
    assert_eq!(countries(&r["endorsed"]), ["AR"]);
    assert_eq!(countries(&r["commented"]), ["BR"]);
}

#[tokio::test]
async fn answers_after_the_deadline_are_refused_as_closed() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut org = server.connect(&w.organizer_token).await;
    let c1 = conclusion(&mut org, "Digital identity").await;
    let deadline = now_ms() + 800;
    org.ok(open(deadline, "all")).await;
    let mut a = server.connect(&ana.token).await;
    // Waiting for the deadline to pass (not a proof of absence: the refusal is the proof).
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(deadline - now_ms() + 50).unwrap_or(0),
    ))
    .await;
    let refused = a.refused(answer(&c1, 1, "endorse", None), "closed").await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deadline"),
        "{refused}"
    );
    // The organizer moves the deadline: answers are taken again.
    org.ok(open(now_ms() + 3_600_000, "all")).await;
    a.ok(answer(&c1, 1, "endorse", None)).await;
}

#[tokio::test]
async fn a_revision_restarts_the_answers_and_reviewers_see_old_and_new_text() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fe").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut f = server.connect(&fac.token).await;
    let c1 = conclusion(&mut f, "Broadband for schools").await;
    let c2 = conclusion(&mut f, "Digital skills").await;
    f.ok(open(now_ms() + 3_600_000, "all")).await;
    let mut a = server.connect(&ana.token).await;
    a.ok(answer(&c1, 1, "endorse", None)).await;
    a.ok(answer(&c2, 1, "endorse", None)).await;
    let revise = |version: u64, text: &str| json!({"type": "revise_conclusion", "conclusion": c1, "version": version, "text": text});
    a.refused(revise(1, "Mine"), "forbidden").await;
    f.refused(revise(5, "Stale"), "conflict").await;
    f.refused(revise(1, ""), "invalid").await;
    f.ok(revise(1, "Broadband and devices for schools")).await;
    let revised = a.event_of_type("conclusion_revised").await;
    assert_eq!(revised["event"]["previous_text"], "Broadband for schools");
    assert_eq!(
        revised["event"]["text"],
        "Broadband and devices for schools"
    );
    assert_eq!(revised["event"]["version"], 2);

    let (_, v) = review(&server, &w, Some(&ana.token)).await;
    let r1 = record(&v, &c1);
    assert_eq!(countries(&r1["unanswered"]), ["AR"]);
    assert_eq!(r1["text"], "Broadband and devices for schools");
    assert_eq!(r1["revisions"][0]["previous_text"], "Broadband for schools");
    assert_eq!(countries(&record(&v, &c2)["endorsed"]), ["AR"]);
    a.refused(answer(&c1, 1, "endorse", None), "conflict").await;
    a.ok(answer(&c1, 2, "endorse", None)).await;
}

#[tokio::test]
async fn closing_freezes_the_final_conclusions_across_a_restart() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fe").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let mut f = server.connect(&fac.token).await;
    let c1 = conclusion(&mut f, "Interoperable registries").await;
    f.refused(json!({"type": "close_review"}), "not_found")
        .await;
    f.ok(open(now_ms() + 3_600_000, "all")).await;
    let mut a = server.connect(&ana.token).await;
    a.ok(answer(&c1, 1, "comment", Some("Which registries?")))
        .await;
    let reply = |country: &str| json!({"type": "reply_review", "conclusion": c1, "country": country, "text": "Civil and land registries"});
    a.refused(reply("AR"), "forbidden").await;
    f.refused(reply("BR"), "not_found").await;
    f.ok(reply("AR")).await;
    a.refused(json!({"type": "close_review"}), "forbidden")
        .await;
    f.ok(json!({"type": "close_review"})).await;
    a.event_of_type("review_closed").await;
    let mut b = server.connect(&ben.token).await;
    b.refused(answer(&c1, 1, "endorse", None), "closed").await;
    f.refused(
        json!({"type": "revise_conclusion", "conclusion": c1, "version": 1, "text": "Later"}),
        "closed",
    )
    .await;
    f.refused(
        json!({"type": "remove_conclusion", "conclusion": c1, "version": 1}),
        "closed",
    )
    .await;
    f.refused(open(now_ms() + 3_600_000, "all"), "closed").await;
    let (_, before) = review(&server, &w, Some(&ben.token)).await;
    drop((f, a, b));

    // Killed, not stopped: the state comes back from the event log alone.
    server.kill().await;
    server.restart().await;
    let (status, after) = review(&server, &w, Some(&ben.token)).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after, before);
    assert_eq!(after["closed"], true);
    assert_eq!(after["eligible"], false);
    let r = record(&after, &c1);
    assert_eq!(
        r["commented"][0]["reply"]["text"],
        "Civil and land registries"
    );
    assert_eq!(countries(&r["unanswered"]), ["BR"]);
    let mut f = server.connect(&fac.token).await;
    f.refused(
        json!({"type": "add_conclusion", "theme": "governance", "text": "One more"}),
        "closed",
    )
    .await;
}

#[tokio::test]
async fn the_review_endpoint_needs_a_participant_and_a_review() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    assert_eq!(review(&server, &w, None).await.0, 401);
    assert_eq!(review(&server, &w, Some("nonsense")).await.0, 401);
    let (status, v) = review(&server, &w, Some(&ana.token)).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    let other = server.workshop().await;
    let (status, v) = review(&server, &other, Some(&ana.token)).await;
    assert_eq!(status, 403, "{v}");
}

/// `GET /api/workshops/{id}/export?format=…` with the organizer's token.
async fn export(server: &TestServer, w: &Workshop, format: &str) -> Vec<u8> {
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/export?format={format}", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200, "{format}");
    r.bytes().await.expect("body").to_vec()
}

fn docx_text(docx: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut s = String::new();
    zip.by_name("word/document.xml")
        .expect("the document")
        .read_to_string(&mut s)
        .expect("utf-8 xml");
    s
}

/// Every export format and the projector show the record of a closed review: who
/// endorsed, who reserved and why, who commented (with the reply), who did not answer;
/// the JSON record round-trips through `cabildo import`.
#[tokio::test]
async fn every_export_and_the_projector_show_the_endorsement_record() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "language": "en"}))
        .await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let cho = server.delegate(&w, "Cho", "CL").await;
    let _dan = server.delegate(&w, "Dan", "PE").await;
    let mut org = server.connect(&w.organizer_token).await;
    let c1 = conclusion(&mut org, "Shared fibre for every region").await;
    let c2 = conclusion(&mut org, "Digital skills for civil servants").await;
    org.ok(open(now_ms() + 3_600_000, "all")).await;
    org.ok(
        json!({"type": "revise_conclusion", "conclusion": c2, "version": 1,
        "text": "Digital skills for all civil servants"}),
    )
    .await;
    let mut a = server.connect(&ana.token).await;
    a.ok(answer(&c1, 1, "endorse", None)).await;
    a.ok(answer(&c2, 2, "endorse", None)).await;
    let mut b = server.connect(&ben.token).await;
    b.ok(answer(&c1, 1, "reserve", Some("Only with public funding")))
        .await;
    let mut c = server.connect(&cho.token).await;
    c.ok(answer(&c1, 1, "comment", Some("Add rural areas")))
        .await;
    org.ok(
        json!({"type": "reply_review", "conclusion": c1, "country": "CL",
        "text": "Rural areas are in the annex"}),
    )
    .await;
    org.ok(json!({"type": "close_review"})).await;

    let md = String::from_utf8(export(&server, &w, "md").await).expect("utf-8");
    for needle in [
        "## Review by delegations",
        "Closed: these are the final conclusions",
        "- **Endorsed by:** Argentina",
        "  - Brazil (Ben): Only with public funding",
        "  - Chile (Cho): Add rural areas",
        "    - *Reply:* Rural areas are in the annex",
        "- **No answer from:** Peru",
        "- **No answer from:** Brazil, Chile, Peru",
    ] {
        assert!(md.contains(needle), "{needle} in {md}");
    }
    let html = String::from_utf8(export(&server, &w, "html").await).expect("utf-8");
    for needle in [
        "<section class=\"part\" id=\"review\">",
        "<a href=\"#review\">Review by delegations</a>",
        "<li>Brazil (Ben): Only with public funding</li>",
        "<em>Reply:</em> Rural areas are in the annex",
        "<dt>No answer from</dt><dd>Peru</dd>",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let docx = docx_text(&export(&server, &w, "docx").await);
    for needle in [
        "Review by delegations",
        "Brazil (Ben): Only with public funding",
        "Rural areas are in the annex",
    ] {
        assert!(docx.contains(needle), "{needle} in the docx");
    }
    let csv = export(&server, &w, "csv").await;
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_slice())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_string).collect())
        .collect();
    let header = rows
        .iter()
        .position(|r| r[0] == "number" && r[1] == "conclusion_id")
        .expect("the review table");
    let review_rows: Vec<(String, String, String, String)> = rows[header + 1..]
        .iter()
        .map(|r| (r[0].clone(), r[4].clone(), r[5].clone(), r[6].clone()))
        .collect();
    let row = |n: &str, country: &str, answer: &str, text: &str| {
        (
            n.to_string(),
            country.to_string(),
            answer.to_string(),
            text.to_string(),
        )
    };
    assert_eq!(
        review_rows,
        [
            row("1", "AR", "endorsed", ""),
            row("1", "BR", "reserved", "Only with public funding"),
            row("1", "CL", "commented", "Add rural areas"),
            row("1", "PE", "none", ""),
            row("2", "AR", "endorsed", ""),
            row("2", "BR", "none", ""),
            row("2", "CL", "none", ""),
            row("2", "PE", "none", ""),
        ]
    );

    // The projector.
    let r = server
        .http
        .post(server.url(&format!("/api/workshops/{}/projector", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("projector link");
    let link: Value = r.json().await.expect("json");
    let view: Value = server
        .http
        .get(server.url(&format!("/api/workshops/{}/projector", w.id)))
        .bearer_auth(link["token"].as_str().expect("token"))
        .send()
        .await
        .expect("projector view")
        .json()
        .await
        .expect("json");
    assert_eq!(view["review"]["closed"], true, "{view}");
    let first = &view["conclusions"][0]["review"];
    assert_eq!(first["endorsed"], json!(["AR"]));
    assert_eq!(
        first["reserved"],
        json!([{"country": "BR", "text": "Only with public funding"}])
    );
    assert_eq!(first["commented"], json!(["CL"]));
    assert_eq!(first["unanswered"], json!(["PE"]));

    // JSON, and back through `cabildo import`.
    let record = export(&server, &w, "json").await;
    let v: Value = serde_json::from_slice(&record).expect("json");
    assert_eq!(v["review"]["closed"], true);
    assert_eq!(v["review"]["answers"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        v["review"]["revisions"][0]["previous_text"],
        "Digital skills for civil servants"
    );
    assert_eq!(
        v["review"]["answers"][3]["reply"]["text"],
        "Rural areas are in the annex"
    );
    let schema: Value =
        serde_json::from_str(include_str!("../docs/export.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let (fresh, _) = import_into_new_server(&record).await;
    let db = fresh.db_path();
    let dir = tempfile::tempdir().expect("dir");
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        &w.id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&again).expect("written"), record);
}

/// The value after `label` in the demo's printed lines.
fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// `cabildo demo` ships with a review in progress: Argentina endorsed every conclusion,
/// Bolivia endorsed the first with a reservation, Brazil commented on the second and got
/// a reply; the other countries have not answered.
#[tokio::test]
async fn the_demo_ships_with_a_review_in_progress() {
    let (server, printed) = TestServer::start_demo().await;
    let id = after(&printed, "workshop id:");
    let token = after(&printed, "organizer token:");
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{id}/review")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["closed"], false);
    assert!(v["deadline"].as_i64().unwrap_or_default() > now_ms());
    let conclusions = v["conclusions"].as_array().expect("conclusions");
    assert_eq!(conclusions.len(), 6);
    for c in conclusions {
        let answered: Vec<String> = ["endorsed", "reserved", "commented"]
            .iter()
            .flat_map(|k| countries(&c[*k]))
            .collect();
        assert!(answered.contains(&"AR".to_string()), "{c}");
        assert!(!countries(&c["unanswered"]).is_empty(), "{c}");
    }
    assert_eq!(countries(&conclusions[0]["reserved"]), ["BO"]);
    assert_eq!(countries(&conclusions[1]["commented"]), ["BR"]);
    assert!(conclusions[1]["commented"][0]["reply"]["text"].is_string());
}

/// One country's national brief (`…/export?format=…&country=…`), as text.
async fn brief(server: &TestServer, w: &Workshop, format: &str, country: &str) -> String {
    let body = export(server, w, &format!("{format}&country={country}")).await;
    String::from_utf8(body).expect("utf-8")
}

#[tokio::test]
async fn a_national_brief_shows_its_delegations_answer_on_each_conclusion() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "rooms": ["Norte", "Sur"]}))
        .await;
    let fac = server.facilitator(&w, "Fernanda").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let ben = server.delegate(&w, "Ben", "BR").await;
    let mut f = server.connect(&fac.token).await;
    let mut cards = Vec::new();
    for (who, text) in [
        (&ana, "A regional fibre backbone"),
        (&ben, "Open data portals"),
    ] {
        f.ok(json!({"type": "move_participant", "participant": who.id, "room": w.rooms[0]}))
            .await;
        let mut d = server.connect(&who.token).await;
        d.ok(json!({"type": "post_card", "room": w.rooms[0], "column": "solutions", "text": text}))
            .await;
        cards.push(d.event_of_type("card_posted").await["event"]["card"].clone());
    }
    let mut ids = Vec::new();
    for text in ["Build a shared fibre backbone", "Publish open data"] {
        f.ok(
            json!({"type": "add_conclusion", "theme": "governance", "text": text,
            "cards": cards}),
        )
        .await;
        ids.push(
            f.event_of_type("conclusion_added").await["event"]["conclusion"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    // Before any review, the brief records nothing.
    let md = brief(&server, &w, "md", "AR").await;
    assert!(
        md.contains("**Delegation's endorsement:** not recorded"),
        "{md}"
    );

    f.ok(open(now_ms() + 3_600_000, "all")).await;
    let mut a = server.connect(&ana.token).await;
    a.ok(answer(
        &ids[0],
        1,
        "reserve",
        Some("Only with public funding"),
    ))
    .await;
    f.ok(
        json!({"type": "reply_review", "conclusion": ids[0], "country": "AR",
        "text": "Noted in the text"}),
    )
    .await;
    let mut b = server.connect(&ben.token).await;
    b.ok(answer(&ids[0], 1, "endorse", None)).await;
    b.ok(answer(&ids[1], 1, "endorse", None)).await;
    // A barrier: Ben's last answer is stored, and so is everything before it.
    f.event_of_type("review_answered").await;

    let md = brief(&server, &w, "md", "AR").await;
    assert!(
        md.contains(
            "Endorsed with a reservation: \u{201c}Only with public funding\u{201d} \
             (answered by Ana). Reply (Fernanda): \u{201c}Noted in the text\u{201d}"
        ),
        "{md}"
    );
    assert!(
        md.contains("**Delegation's endorsement:** no answer yet"),
        "{md}"
    );
    let json: Value =
        serde_json::from_str(&brief(&server, &w, "json", "BR").await).expect("a JSON brief");
    let lines: Vec<&str> = json["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .map(|c| c["endorsement"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        lines,
        ["Endorsed (answered by Ben)", "Endorsed (answered by Ben)"],
        "{json}"
    );

    f.ok(json!({"type": "close_review"})).await;
    f.event_of_type("review_closed").await;
    let md = brief(&server, &w, "md", "AR").await;
    assert!(
        md.contains("**Delegation's endorsement:** no answer (the review is closed)"),
        "{md}"
    );
}
