//! Answering: delegates for their own country, the head-of-delegation rule, the deadline, a
//! revision restarting the answers.

use super::*;

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
