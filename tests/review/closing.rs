//! Closing the review (the final conclusions frozen across a restart), and who may read it.

use super::*;

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
