//! Boards over real sockets: phases, dot voting, secret votes, hidden brainstorms, grouping,
//! theme tags and moderation with its audit trail.

mod common;
use common::*;
use serde_json::{json, Value};

// ---- Phases -------------------------------------------------------------------------

#[tokio::test]
async fn facilitator_sets_one_rooms_phase_and_everyone_hears_it() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (carl, mut c) = seated(&server, &w, &mut f, "Carl", "CL", &w.rooms[1]).await;

    let seq = f
        .ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    for client in [&mut a, &mut c, &mut f] {
        let ev = client.event_of_type("phase_set").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["room"], w.rooms[0].as_str());
        assert_eq!(ev["event"]["phase"], "vote");
        assert_eq!(ev["event"]["from"], "brainstorm");
    }
    let snap = snapshot(&server, &carl.token).await;
    assert_eq!(
        phases(&snap),
        ["vote", "brainstorm", "brainstorm", "brainstorm"]
    );
}

#[tokio::test]
async fn facilitator_sets_every_rooms_phase_at_once() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;

    let seq = f
        .ok(json!({"type": "set_phase", "phase": "consolidate"}))
        .await;
    let (mut rooms, mut seqs) = (Vec::new(), Vec::new());
    for _ in 0..w.rooms.len() {
        let ev = a.event_of_type("phase_set").await;
        assert_eq!(ev["event"]["phase"], "consolidate");
        rooms.push(ev["event"]["room"].as_str().expect("room").to_string());
        seqs.push(ev["seq"].as_u64().expect("seq"));
    }
    assert_eq!(rooms, w.rooms);
    // One event per room, the last one acknowledged.
    assert_eq!(seqs, (seq - 3..=seq).collect::<Vec<_>>());
    let snap = snapshot(&server, &ana.token).await;
    assert_eq!(phases(&snap), ["consolidate"; 4]);
    // Setting the same phase again changes nothing and says so with an ack alone.
    f.ok(json!({"type": "set_phase", "phase": "consolidate"}))
        .await;
    let after = barrier(&mut f).await;
    assert!(events_of(&a.until_seq(after).await, "phase_set").is_empty());
}

#[tokio::test]
async fn only_a_brainstorm_can_be_hidden_and_only_staff_set_phases() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    f.refused(
        json!({"type": "set_phase", "phase": "vote", "hidden": true}),
        "invalid",
    )
    .await;
    a.refused(json!({"type": "set_phase", "phase": "vote"}), "forbidden")
        .await;
    f.refused(
        json!({"type": "set_phase", "room": NO_SUCH_ROOM, "phase": "vote"}),
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn delegates_may_not_post_edit_or_delete_during_vote_and_consolidate() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let card = post(&mut a, room, "strengths", "One portal").await;

    for phase in ["vote", "consolidate"] {
        set_phase(&mut f, room, phase).await;
        a.refused(post_card(room, "problems", "late"), "forbidden")
            .await;
        a.refused(edit(&card, "changed"), "forbidden").await;
        a.refused(json!({"type": "delete_card", "card": card}), "forbidden")
            .await;
    }
    // Brainstorm and reveal allow all three again.
    for phase in ["brainstorm", "reveal"] {
        set_phase(&mut f, room, phase).await;
        let extra = post(&mut a, room, "problems", &format!("in {phase}")).await;
        a.ok(edit(&extra, "edited")).await;
        a.ok(json!({"type": "delete_card", "card": extra})).await;
    }
}

#[tokio::test]
async fn delegates_vote_only_in_the_vote_phase() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let card = post(&mut a, room, "strengths", "One portal").await;

    for phase in ["brainstorm", "reveal", "consolidate"] {
        set_phase(&mut f, room, phase).await;
        a.refused(vote(&card), "forbidden").await;
        a.refused(unvote(&card), "forbidden").await;
    }
    set_phase(&mut f, room, "vote").await;
    a.ok(vote(&card)).await;
    a.ok(unvote(&card)).await;
}

#[tokio::test]
async fn closed_phase_makes_the_board_read_only_for_everyone() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let card = post(&mut a, room, "strengths", "One portal").await;
    set_phase(&mut f, room, "closed").await;

    a.refused(post_card(room, "problems", "late"), "closed")
        .await;
    a.refused(edit(&card, "changed"), "closed").await;
    a.refused(json!({"type": "delete_card", "card": card}), "closed")
        .await;
    a.refused(vote(&card), "closed").await;
    a.refused(unvote(&card), "closed").await;
    // Staff too: no posting, editing, hiding, tagging or grouping.
    f.refused(post_card(room, "problems", "late"), "closed")
        .await;
    f.refused(edit(&card, "moderated"), "closed").await;
    f.refused(json!({"type": "hide_card", "card": card}), "closed")
        .await;
    f.refused(tag(&card, "governance"), "closed").await;
    f.refused(group(&[&card], "Portals"), "closed").await;
    // Another room is untouched.
    f.ok(post_card(&w.rooms[1], "problems", "elsewhere")).await;
}

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

// ---- Hidden brainstorm --------------------------------------------------------------

#[tokio::test]
async fn hidden_brainstorm_shows_delegates_only_their_own_cards_until_reveal() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let hide = f
        .ok(json!({"type": "set_phase", "room": room, "phase": "brainstorm", "hidden": true}))
        .await;
    for client in [&mut a, &mut b] {
        assert_eq!(snapshot_at(client, hide).await["reason"], "view_changed");
    }

    let mine = post(&mut a, room, "strengths", "Ana's idea").await;
    let theirs = post(&mut b, room, "problems", "Bob's idea").await;
    let after = barrier(&mut f).await;
    let seen: Vec<String> = events_of(&a.until_seq(after).await, "card_posted")
        .iter()
        .map(|e| e["event"]["card"].as_str().expect("card").to_string())
        .collect();
    assert!(!seen.contains(&theirs), "Ana saw Bob's hidden card");
    for card in [&mine, &theirs] {
        assert_eq!(
            f.event_of_type("card_posted").await["event"]["card"],
            card.as_str()
        );
    }
    assert_eq!(
        card_texts_of(&snapshot(&server, &ana.token).await),
        ["Ana's idea"]
    );

    let reveal = set_phase(&mut f, room, "reveal").await;
    for client in [&mut a, &mut b] {
        let snap = snapshot_at(client, reveal).await;
        assert_eq!(snap["reason"], "view_changed");
        assert_eq!(card_texts(&snap), ["Ana's idea", "Bob's idea"]);
    }
    assert_eq!(
        card_texts_of(&snapshot(&server, &bob.token).await),
        ["Ana's idea", "Bob's idea"]
    );
}

#[tokio::test]
async fn hidden_brainstorm_does_not_tell_a_delegate_their_card_was_grouped_with_others() {
    let mut h = HiddenRoom::start().await;
    let mine = post(&mut h.a, &h.room, "strengths", "Ana one").await;
    let theirs = post(&mut h.b, &h.room, "strengths", "Bob one").await;
    h.f.ok(group(&[&mine, &theirs], "Mixed")).await;
    assert_no_dangling_groups(&snapshot(&h.server, &h.ana.token).await);
}

#[tokio::test]
async fn hidden_brainstorm_refuses_a_delegate_grouping_until_the_reveal() {
    let mut h = HiddenRoom::start().await;
    let mine = post(&mut h.a, &h.room, "strengths", "Ana one").await;
    // PROTOCOL.md: "in a hidden brainstorm, grouping waits for the reveal".
    let refused = h.a.refused(group(&[&mine], "Mine"), "forbidden").await;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("waits for the reveal")),
        "{refused}"
    );
    let snap = snapshot(&h.server, &h.fac.token).await;
    assert_eq!(snap["groups"], json!([]), "nothing was grouped");
    assert_no_dangling_groups(&snapshot(&h.server, &h.ana.token).await);
}

// ---- Grouping -----------------------------------------------------------------------

#[tokio::test]
async fn facilitator_groups_moves_merges_renames_and_ungroups_cards() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let c1 = post(&mut f, room, "problems", "Silos").await;
    let c2 = post(&mut f, room, "problems", "No shared registers").await;
    let c3 = post(&mut f, room, "problems", "Every agency its own ID").await;
    let c4 = post(&mut f, room, "problems", "Paper forms").await;
    set_phase(&mut f, room, "vote").await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c3)).await;
    a.ok(vote(&c4)).await;

    // Create: room-mates see it.
    let seq = f.ok(group(&[&c1, &c2], "Interoperability")).await;
    let ev = a.event_of_type("group_created").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["name"], "Interoperability");
    assert_eq!(ev["event"]["room"], room.as_str());
    assert_eq!(ev["event"]["cards"], json!([c1, c2]));
    let g1 = ev["event"]["group"].as_str().expect("group").to_string();

    f.ok(json!({"type": "move_card_to_group", "card": c3, "group": g1}))
        .await;
    let ev = a.event_of_type("card_regrouped").await;
    assert_eq!(ev["event"]["card"], c3.as_str());
    assert_eq!(ev["event"]["group"], g1.as_str());
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["votes"],
        3
    );

    let g2 = group_of(&mut f, &[&c4], "Paper").await;
    f.ok(json!({"type": "merge_groups", "group": g2, "into": g1}))
        .await;
    let ev = a.event_of_type("groups_merged").await;
    assert_eq!(
        (ev["event"]["group"].as_str(), ev["event"]["into"].as_str()),
        (Some(g2.as_str()), Some(g1.as_str()))
    );
    let snap = snapshot(&server, &fac.token).await;
    let groups = snap["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["id"], g1.as_str());
    assert_eq!(groups[0]["votes"], 4);
    for c in [&c1, &c2, &c3, &c4] {
        assert_eq!(card(&snap, c)["group"], g1.as_str());
    }

    // Take one card out: the group's votes follow.
    f.ok(json!({"type": "move_card_to_group", "card": c1, "group": null}))
        .await;
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["votes"],
        2
    );

    f.ok(json!({"type": "rename_group", "group": g1, "name": "Data silos"}))
        .await;
    assert_eq!(
        a.event_of_type("group_renamed").await["event"]["name"],
        "Data silos"
    );
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["name"],
        "Data silos"
    );

    f.ok(json!({"type": "ungroup", "group": g1})).await;
    assert_eq!(
        a.event_of_type("group_dissolved").await["event"]["group"],
        g1.as_str()
    );
    let snap = snapshot(&server, &fac.token).await;
    assert!(snap["groups"].as_array().expect("groups").is_empty());
    for c in [&c1, &c2, &c3, &c4] {
        assert_eq!(card(&snap, c)["group"], Value::Null);
    }
}

#[tokio::test]
async fn a_group_never_spans_two_rooms() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let here = post(&mut f, &w.rooms[0], "problems", "Here").await;
    let there = post(&mut f, &w.rooms[1], "problems", "There").await;
    f.refused(group(&[&here, &there], "Both"), "invalid").await;
    let g0 = group_of(&mut f, &[&here], "Room 1").await;
    let g1 = group_of(&mut f, &[&there], "Room 2").await;
    f.refused(
        json!({"type": "move_card_to_group", "card": there, "group": g0}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "merge_groups", "group": g1, "into": g0}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "merge_groups", "group": g0, "into": g0}),
        "invalid",
    )
    .await;
}

#[tokio::test]
async fn delegates_group_only_when_the_workshop_allows_it() {
    let server = TestServer::start().await;
    let strict = server.workshop().await;
    let (_fac, mut f) = staff(&server, &strict).await;
    let (_ana, mut a) = seated(&server, &strict, &mut f, "Ana", "AR", &strict.rooms[0]).await;
    let c = post(&mut a, &strict.rooms[0], "strengths", "Mine").await;
    a.refused(group(&[&c], "Mine"), "forbidden").await;

    let open = server
        .create_workshop(json!({"title": "Open", "delegates_can_group": true}))
        .await;
    let (_fac, mut f) = staff(&server, &open).await;
    let (_ana, mut a) = seated(&server, &open, &mut f, "Ana", "AR", &open.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &open, &mut f, "Bob", "BR", &open.rooms[0]).await;
    let c1 = post(&mut a, &open.rooms[0], "strengths", "Ana's").await;
    let c2 = post(&mut b, &open.rooms[0], "strengths", "Bob's").await;
    let elsewhere = post(&mut f, &open.rooms[1], "strengths", "Elsewhere").await;
    let seq = a.ok(group(&[&c1, &c2], "Together")).await;
    assert_eq!(
        b.event_of_type("group_created").await["seq"].as_u64(),
        Some(seq)
    );
    a.refused(group(&[&elsewhere], "Not mine"), "forbidden")
        .await;
    // Delegates still may not tag, and group only while the phase allows it.
    a.refused(tag(&c1, "governance"), "forbidden").await;
    set_phase(&mut f, &open.rooms[0], "vote").await;
    a.refused(group(&[&c1], "Late"), "forbidden").await;
}

// ---- Themes -------------------------------------------------------------------------

#[tokio::test]
async fn facilitator_tags_cards_and_groups_with_known_themes_only() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut a, &w.rooms[0], "strengths", "Agenda").await;
    let c2 = post(&mut a, &w.rooms[0], "problems", "Open data").await;
    let g = group_of(&mut f, &[&c2], "Data").await;

    let seq = f.ok(tag(&c1, "governance")).await;
    let ev = a.event_of_type("card_tagged").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["theme"], "governance");
    f.ok(json!({"type": "tag_group", "group": g, "theme": "data"}))
        .await;
    assert_eq!(
        a.event_of_type("group_tagged").await["event"]["theme"],
        "data"
    );

    f.refused(tag(&c1, "astrology"), "invalid").await;
    f.refused(
        json!({"type": "tag_group", "group": g, "theme": "astrology"}),
        "invalid",
    )
    .await;
    a.refused(tag(&c1, "data"), "forbidden").await;
    a.refused(
        json!({"type": "tag_group", "group": g, "theme": "data"}),
        "forbidden",
    )
    .await;

    let snap = snapshot(&server, &fac.token).await;
    assert_eq!(card(&snap, &c1)["theme"], "governance");
    assert_eq!(group_view(&snap, &g)["theme"], "data");
    // Untagging is a tag with no theme.
    f.ok(json!({"type": "tag_card", "card": c1, "theme": null}))
        .await;
    assert_eq!(
        card(&snapshot(&server, &fac.token).await, &c1)["theme"],
        Value::Null
    );
}

#[tokio::test]
async fn only_the_organizer_edits_themes_and_removed_themes_drop_their_tags() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "Agenda").await;
    let c2 = post(&mut f, &w.rooms[0], "problems", "Open data").await;
    let g = group_of(&mut f, &[&c2], "Data").await;
    f.ok(tag(&c1, "governance")).await;
    f.ok(tag(&c2, "data")).await;
    f.ok(json!({"type": "tag_group", "group": g, "theme": "governance"}))
        .await;
    let themes = json!([
        {"key": "data", "title": "Data-driven public sector"},
        {"key": "access", "title": "Access"}
    ]);
    f.refused(json!({"type": "set_themes", "themes": themes}), "forbidden")
        .await;
    a.refused(json!({"type": "set_themes", "themes": themes}), "forbidden")
        .await;

    let mut o = server.connect(&w.organizer_token).await;
    let seq = o.ok(json!({"type": "set_themes", "themes": themes})).await;
    let ev = a.event_of_type("themes_set").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));

    let snap = snapshot(&server, &fac.token).await;
    let keys: Vec<&str> = snap["workshop"]["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .map(|t| t["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["data", "access"]);
    assert_eq!(card(&snap, &c1)["theme"], Value::Null);
    assert_eq!(card(&snap, &c2)["theme"], "data");
    assert_eq!(group_view(&snap, &g)["theme"], Value::Null);
    assert_eq!(
        snapshot(&server, &ana.token).await["workshop"]["themes"],
        themes
    );
    f.refused(tag(&c1, "governance"), "invalid").await;
    f.ok(tag(&c1, "access")).await;
}

// ---- Moderation ---------------------------------------------------------------------

#[tokio::test]
async fn facilitator_edits_a_delegates_card_and_the_audit_record_keeps_the_original() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let c = post(&mut a, &w.rooms[0], "problems", "Teh portal is slow").await;
    b.refused(edit(&c, "Bob's take"), "forbidden").await;
    b.refused(json!({"type": "delete_card", "card": c}), "forbidden")
        .await;

    let seq = f.ok(edit(&c, "The portal is slow")).await;
    for client in [&mut a, &mut b] {
        let ev = client.event_of_type("card_edited").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["by"], fac.id.as_str());
        assert_eq!(ev["event"]["text"], "The portal is slow");
    }

    let staff = snapshot(&server, &fac.token).await;
    let entry = card(&staff, &c);
    assert_eq!(entry["text"], "The portal is slow");
    assert_eq!(entry["edited"], true);
    assert_eq!(entry["revisions"], 1);
    assert!(
        entry.get("history").is_none(),
        "the record is sent on demand: {entry}"
    );
    assert_eq!(
        history_of(&mut f, &c).await,
        json!([{
            "seq": seq, "by": fac.id, "action": "edited", "previous_text": "Teh portal is slow"
        }])
    );
    let anas = snapshot(&server, &ana.token).await;
    let entry = card(&anas, &c);
    assert_eq!(entry["text"], "The portal is slow");
    assert!(entry.get("revisions").is_none(), "{entry}");
    assert!(entry.get("hidden").is_none(), "{entry}");
}

/// A card's audit record, asked for with `card_history` (answered before the `ack`).
async fn history_of(client: &mut TestClient, card: &str) -> Value {
    let id = client.fresh_id();
    client
        .send(json!({"type": "card_history", "id": id, "card": card}))
        .await;
    loop {
        let v = client.recv().await.expect("card_history");
        if v["id"] == id {
            assert_eq!(v["type"], "card_history", "{v}");
            return v["history"].clone();
        }
    }
}

#[tokio::test]
async fn hidden_cards_leave_delegates_boards_and_come_back_when_shown() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_carl, mut c) = seated(&server, &w, &mut f, "Carl", "CL", &w.rooms[1]).await;
    let card_id = post(&mut a, &w.rooms[0], "problems", "Off-topic rant").await;
    let keep = post(&mut a, &w.rooms[0], "problems", "Keep me").await;
    a.refused(json!({"type": "hide_card", "card": keep}), "forbidden")
        .await;

    let hid = f.ok(json!({"type": "hide_card", "card": card_id})).await;
    let ev = a.event_of_type("card_hidden").await;
    assert_eq!(ev["seq"].as_u64(), Some(hid));
    assert_eq!(ev["event"]["card"], card_id.as_str());
    assert_eq!(ev["event"]["by"], fac.id.as_str());
    assert!(ev["event"].get("text").is_none());
    assert_eq!(
        card_texts_of(&snapshot(&server, &ana.token).await),
        ["Keep me"]
    );
    let staff = snapshot(&server, &fac.token).await;
    assert_eq!(card(&staff, &card_id)["hidden"], true);
    let history = history_of(&mut f, &card_id).await;
    assert_eq!(history[0]["action"], "hidden");
    assert_eq!(history[0]["by"], fac.id.as_str());
    // The author cannot touch a hidden card any more.
    a.refused(edit(&card_id, "sneaky"), "not_found").await;
    c.drain().await;

    let shown = f.ok(json!({"type": "show_card", "card": card_id})).await;
    let snap = snapshot_at(&mut a, shown).await;
    assert_eq!(snap["reason"], "view_changed");
    assert_eq!(card_texts(&snap), ["Off-topic rant", "Keep me"]);
    // Nobody outside the room is disturbed.
    let after = barrier(&mut f).await;
    let other_room = c.until_seq(after).await;
    assert!(
        other_room.iter().all(|v| v["type"] != "snapshot"),
        "{other_room:#?}"
    );
    let staff = snapshot(&server, &fac.token).await;
    assert_eq!(card(&staff, &card_id)["hidden"], false);
    assert_eq!(history_of(&mut f, &card_id).await[1]["action"], "shown");
}

// ---- Helpers ------------------------------------------------------------------------

const NO_SUCH_ROOM: &str = "00000000-0000-4000-8000-000000000000";

/// Posts a card; returns its id (from the poster's own `card_posted`).
async fn post(c: &mut TestClient, room: &str, column: &str, text: &str) -> String {
    let seq = c.ok(post_card(room, column, text)).await;
    created(c, "card_posted", "card", seq).await
}

/// Groups cards (as `c`); returns the new group's id.
async fn group_of(c: &mut TestClient, cards: &[&str], name: &str) -> String {
    let seq = c.ok(group(cards, name)).await;
    created(c, "group_created", "group", seq).await
}

/// The id in field `field` of the `ty` event with this `seq`.
async fn created(c: &mut TestClient, ty: &str, field: &str, seq: u64) -> String {
    loop {
        let ev = c.event_of_type(ty).await;
        if ev["seq"].as_u64() == Some(seq) {
            return ev["event"][field].as_str().expect("id").to_string();
        }
    }
}

/// Sets one room's phase; returns the ack's seq.
async fn set_phase(f: &mut TestClient, room: &str, phase: &str) -> u64 {
    f.ok(json!({"type": "set_phase", "room": room, "phase": phase}))
        .await
}

fn vote(card: &str) -> Value {
    json!({"type": "vote", "card": card})
}

fn unvote(card: &str) -> Value {
    json!({"type": "unvote", "card": card})
}

fn edit(card: &str, text: &str) -> Value {
    json!({"type": "edit_card", "card": card, "text": text})
}

fn tag(card: &str, theme: &str) -> Value {
    json!({"type": "tag_card", "card": card, "theme": theme})
}

fn group(cards: &[&str], name: &str) -> Value {
    json!({"type": "group_cards", "cards": cards, "name": name})
}

/// Sends one vote per id without waiting, alternating between two cards.
async fn send_votes(tab: &mut TestClient, ids: &[String], first: &str, second: &str) {
    for (n, id) in ids.iter().enumerate() {
        let card = if n % 2 == 0 { first } else { second };
        tab.send(json!({"type": "vote", "card": card, "id": id}))
            .await;
    }
}

/// What this token's holder sees now, from a fresh connection's welcome.
async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

/// The unasked `snapshot` frame at `seq` (earlier ones are skipped).
async fn snapshot_at(c: &mut TestClient, seq: u64) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("no snapshot at seq {seq}"));
        if v["type"] == "snapshot" && v["seq"].as_u64() == Some(seq) {
            return v;
        }
    }
}

fn card<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("card {id} not in {snapshot}"))
}

fn group_view<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("group {id} not in {snapshot}"))
}

fn phases(snapshot: &Value) -> Vec<String> {
    snapshot["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["phase"].as_str().expect("phase").to_string())
        .collect()
}

/// Card texts of a bare snapshot (not a frame).
fn card_texts_of(snapshot: &Value) -> Vec<String> {
    card_texts(&json!({ "snapshot": snapshot }))
}

/// A workshop where delegates may group, with Ana and Bob in room 1 in a hidden brainstorm.
struct HiddenRoom {
    server: TestServer,
    room: String,
    fac: Member,
    ana: Member,
    a: TestClient,
    b: TestClient,
    f: TestClient,
}

impl HiddenRoom {
    async fn start() -> HiddenRoom {
        let server = TestServer::start().await;
        let w = server
            .create_workshop(json!({"title": "Hidden groups", "delegates_can_group": true}))
            .await;
        let (fac, mut f) = staff(&server, &w).await;
        let (ana, a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
        let (_bob, b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
        let room = w.rooms[0].clone();
        f.ok(json!({"type": "set_phase", "room": room, "phase": "brainstorm", "hidden": true}))
            .await;
        HiddenRoom {
            server,
            room,
            fac,
            ana,
            a,
            b,
            f,
        }
    }
}

/// Every group a card of this snapshot belongs to is listed in its `groups`.
fn assert_no_dangling_groups(snapshot: &Value) {
    for c in snapshot["cards"].as_array().expect("cards") {
        if let Some(g) = c["group"].as_str() {
            assert!(
                snapshot["groups"]
                    .as_array()
                    .expect("groups")
                    .iter()
                    .any(|x| x["id"] == g),
                "card {} is in group {g}, which this viewer does not see: {snapshot}",
                c["text"]
            );
        }
    }
}

fn events_of<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == ty)
        .collect()
}
