//! The endorsement record in every export, the projector, the demo and the national briefs.

use super::*;

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
        serde_json::from_str(include_str!("../../docs/export.schema.json")).expect("schema");
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
