//! Phases, and the hidden brainstorm.

use super::*;

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
