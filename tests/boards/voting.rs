//! Dot voting and secret votes.

use super::*;

// ---- Dot voting ---------------------------------------------------------------------

#[tokio::test]
async fn the_fourth_vote_is_refused_and_unvote_frees_the_budget() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Budget", "votes_per_participant": 3}))
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let c1 = post(&mut f, room, "strengths", "One").await;
    let c2 = post(&mut f, room, "problems", "Two").await;
    set_phase(&mut f, room, "vote").await;

    a.ok(vote(&c1)).await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c2)).await;
    a.refused(vote(&c2), "forbidden").await;
    a.ok(unvote(&c1)).await;
    a.ok(vote(&c2)).await;
    a.refused(vote(&c1), "forbidden").await;

    let snap = snapshot(&server, &ana.token).await;
    assert_eq!(card(&snap, &c1)["my_votes"], 1);
    assert_eq!(card(&snap, &c2)["my_votes"], 2);
    assert_eq!(card(&snap, &c2)["votes"], 2);
}

#[tokio::test]
async fn unvote_without_a_vote_is_invalid() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;
    a.refused(unvote(&c1), "invalid").await;
}

#[tokio::test]
async fn max_votes_per_card_is_enforced() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(
            json!({"title": "Cap", "votes_per_participant": 5, "max_votes_per_card": 2}),
        )
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    let c2 = post(&mut f, &w.rooms[0], "strengths", "Two").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c1)).await;
    a.refused(vote(&c1), "forbidden").await;
    // The budget is not spent: another card still takes votes.
    a.ok(vote(&c2)).await;
}

#[tokio::test]
async fn staff_do_not_vote() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;
    f.refused(vote(&c1), "forbidden").await;
    let mut o = server.connect(&w.organizer_token).await;
    o.refused(vote(&c1), "forbidden").await;
}

#[tokio::test]
async fn a_delegate_votes_only_on_cards_of_their_own_room() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let other = post(&mut f, &w.rooms[1], "strengths", "Elsewhere").await;
    f.ok(json!({"type": "set_phase", "phase": "vote"})).await;
    a.refused(vote(&other), "forbidden").await;
}

#[tokio::test]
async fn retrying_a_vote_with_the_same_id_counts_it_once() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;
    let mut once = vote(&c1);
    once["id"] = json!("vote-once");
    let first = a.command(once.clone()).await;
    assert_eq!(first["type"], "ack", "{first}");
    assert_eq!(a.command(once).await, first);
    assert_eq!(
        card(&snapshot(&server, &ana.token).await, &c1)["my_votes"],
        1
    );
}

#[tokio::test]
async fn a_vote_on_a_card_the_facilitator_hides_does_not_eat_the_budget() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Hidden vote", "votes_per_participant": 1}))
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let gone = post(&mut f, &w.rooms[0], "strengths", "Soon hidden").await;
    let kept = post(&mut f, &w.rooms[0], "strengths", "Kept").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;
    a.ok(vote(&gone)).await;
    f.ok(json!({"type": "hide_card", "card": gone})).await;

    // Ana can no longer see the card, so she must get her vote back one way or another:
    // refunded, or at least withdrawable.
    let answer = a.command(vote(&kept)).await;
    if answer["type"] != "ack" {
        let withdraw = a.command(unvote(&gone)).await;
        assert_eq!(
            withdraw["type"], "ack",
            "budget stuck on a hidden card: {withdraw}"
        );
        a.ok(vote(&kept)).await;
    }
}

#[tokio::test]
async fn vote_settings_are_validated_when_the_workshop_is_created() {
    let server = TestServer::start().await;
    for bad in [
        json!({"title": "T", "max_votes_per_card": 0}),
        json!({"title": "T", "votes_per_participant": 101}),
        json!({"title": "T", "votes_visibility": "sometimes"}),
        json!({"title": "T", "delegates_can_group": "yes"}),
    ] {
        let r = server
            .http
            .post(server.url("/api/workshops"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&bad)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["code"], "invalid", "{bad}");
    }
    let good = json!({
        "title": "T", "votes_per_participant": 3, "max_votes_per_card": 2,
        "votes_visibility": "after_vote", "delegates_can_group": true
    });
    let w = server.create_workshop(good).await;
    let settings = &w.json["settings"];
    assert_eq!(settings["votes_per_participant"], 3);
    assert_eq!(settings["max_votes_per_card"], 2);
    assert_eq!(settings["votes_visibility"], "after_vote");
    assert_eq!(settings["delegates_can_group"], true);
}

#[tokio::test]
async fn two_tabs_voting_at_once_never_overspend_the_budget() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Tabs", "votes_per_participant": 3}))
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut tab1) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut tab2 = server.connect(&ana.token).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    let c2 = post(&mut f, &w.rooms[0], "problems", "Two").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;

    let ids1: Vec<String> = (0..5).map(|_| tab1.fresh_id()).collect();
    let ids2: Vec<String> = (0..5).map(|_| tab2.fresh_id()).collect();
    tokio::join!(
        send_votes(&mut tab1, &ids1, &c1, &c2),
        send_votes(&mut tab2, &ids2, &c2, &c1)
    );
    let mut answers = Vec::new();
    for id in &ids1 {
        answers.push(tab1.answer_to(&json!(id)).await);
    }
    for id in &ids2 {
        answers.push(tab2.answer_to(&json!(id)).await);
    }
    let acks = answers.iter().filter(|a| a["type"] == "ack").count();
    let refused: Vec<&Value> = answers.iter().filter(|a| a["type"] == "error").collect();
    assert_eq!(acks, 3, "{answers:#?}");
    assert_eq!(refused.len(), 7);
    assert!(
        refused.iter().all(|e| e["code"] == "forbidden"),
        "{refused:#?}"
    );

    let snap = snapshot(&server, &ana.token).await;
    let mine: u64 = [&c1, &c2]
        .iter()
        .map(|c| card(&snap, c)["my_votes"].as_u64().expect("my_votes"))
        .sum();
    let total: u64 = [&c1, &c2]
        .iter()
        .map(|c| card(&snap, c)["votes"].as_u64().expect("votes"))
        .sum();
    assert_eq!((mine, total), (3, 3));
}

#[tokio::test]
async fn live_votes_reach_room_mates_as_they_are_cast() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Live", "votes_visibility": "live"}))
        .await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;

    let seq = a.ok(vote(&c1)).await;
    let ev = b.event_of_type("vote_cast").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["card"], c1.as_str());
    assert_eq!(ev["event"]["participant"], ana.id.as_str());
    let snap = snapshot(&server, &bob.token).await;
    assert_eq!(card(&snap, &c1)["votes"], 1);
    assert_eq!(card(&snap, &c1)["my_votes"], 0);
}

#[tokio::test]
async fn secret_votes_stay_secret_until_the_vote_phase_ends() {
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Secret", "votes_visibility": "after_vote"}))
        .await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "One").await;
    let g = group_of(&mut f, &[&c1], "Portals").await;
    set_phase(&mut f, &w.rooms[0], "vote").await;

    let seq = a.ok(vote(&c1)).await;
    let own = a.event_of_type("vote_cast").await;
    assert_eq!(own["seq"].as_u64(), Some(seq));
    assert_eq!(
        f.event_of_type("vote_cast").await["seq"].as_u64(),
        Some(seq)
    );
    let after = barrier(&mut f).await;
    assert!(events_of(&b.until_seq(after).await, "vote_cast").is_empty());

    let bobs = snapshot(&server, &bob.token).await;
    assert_eq!(card(&bobs, &c1)["votes"], Value::Null);
    assert_eq!(card(&bobs, &c1)["my_votes"], 0);
    assert_eq!(group_view(&bobs, &g)["votes"], Value::Null);
    let anas = snapshot(&server, &ana.token).await;
    assert_eq!(card(&anas, &c1)["votes"], Value::Null);
    assert_eq!(card(&anas, &c1)["my_votes"], 1);
    let staff = snapshot(&server, &fac.token).await;
    assert_eq!(card(&staff, &c1)["votes"], 1);

    // The phase ends: room-mates get the totals in a fresh snapshot.
    let end = set_phase(&mut f, &w.rooms[0], "consolidate").await;
    let snap = snapshot_at(&mut b, end).await;
    assert_eq!(snap["reason"], "view_changed");
    assert_eq!(card(&snap["snapshot"], &c1)["votes"], 1);
    assert_eq!(group_view(&snap["snapshot"], &g)["votes"], 1);
}
