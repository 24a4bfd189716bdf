//! Closing and reopening the session, and removing participants.

use super::*;

// ---- Closing the session ------------------------------------------------------------

#[tokio::test]
async fn only_the_organizer_or_the_lead_facilitator_closes_the_workshop() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let lead = server.facilitator(&w, "Lead").await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut l = server.connect(&lead.token).await;
    let mut p = server.connect(&plain.token).await;
    let (_ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    assert_eq!(a.welcome["snapshot"]["session"]["lead"], lead.id.as_str());

    p.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    a.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    // The organizer names the other facilitator lead: now they may, the first may not.
    let mut o = server.connect(&w.organizer_token).await;
    l.refused(
        json!({"type": "set_lead", "participant": plain.id}),
        "forbidden",
    )
    .await;
    o.ok(json!({"type": "set_lead", "participant": plain.id}))
        .await;
    let ev = a.event_of_type("lead_set").await;
    assert_eq!(ev["event"]["participant"], plain.id.as_str());
    l.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    p.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
    o.ok(json!({"type": "reopen_workshop"})).await;
    a.event_of_type("workshop_reopened").await;
    // The organizer closes too.
    o.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
}

#[tokio::test]
async fn a_closed_workshop_is_read_only_for_everyone_until_reopened() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let mut o = server.connect(&w.organizer_token).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Before closing"))
        .await;

    let seq = l.ok(json!({"type": "close_workshop"})).await;
    for c in [&mut a, &mut p, &mut o, &mut l] {
        let ev = c.event_of_type("workshop_closed").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
    }
    a.refused(post_card(&w.rooms[0], "strengths", "After"), "closed")
        .await;
    p.refused(move_to(&bob.id, &w.rooms[1]), "closed").await;
    l.refused(json!({"type": "broadcast", "text": "Anyone?"}), "closed")
        .await;
    o.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 60}),
        "closed",
    )
    .await;
    a.refused(json!({"type": "request_help"}), "closed").await;
    // Exports still work; the snapshot says it is closed; nobody new joins.
    let (status, overview) = get(
        &server,
        &format!("/api/workshops/{}/overview", w.id),
        &lead.token,
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        snapshot(&server, &ana.token).await["session"]["closed"],
        true
    );
    let (status, body) = join_raw(&server, &w, &w.delegate_code, "Latecomer", "UY").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "closed");
    // A plain facilitator cannot reopen; the organizer can.
    p.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    let seq = o.ok(json!({"type": "reopen_workshop"})).await;
    let ev = a.event_of_type("workshop_reopened").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    a.ok(post_card(&w.rooms[0], "strengths", "After reopening"))
        .await;
    p.ok(move_to(&bob.id, &w.rooms[1])).await;
    let (status, _) = join_raw(&server, &w, &w.delegate_code, "Latecomer", "UY").await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_lead_facilitator_reopens_a_closed_workshop_and_it_stays_open_after_a_restart() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    assert_eq!(l.welcome["snapshot"]["session"]["lead"], lead.id.as_str());

    l.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
    a.refused(post_card(&w.rooms[0], "strengths", "Closed"), "closed")
        .await;
    // Only the lead (or the organizer) reopens: not another facilitator, not a delegate.
    p.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    a.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    let seq = l.ok(json!({"type": "reopen_workshop"})).await;
    for c in [&mut a, &mut p, &mut l] {
        let ev = c.event_of_type("workshop_reopened").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["by"], lead.id.as_str());
    }
    let posted = a
        .ok(post_card(&w.rooms[0], "strengths", "Open again"))
        .await;
    // Reopening an open workshop is acknowledged without a new event.
    assert_eq!(l.ok(json!({"type": "reopen_workshop"})).await, posted);

    drop((a, p, l));
    assert!(server.terminate().await.success());
    server.restart().await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.welcome["snapshot"]["session"]["closed"], false);
    assert_eq!(card_texts(&a.welcome), ["Open again"]);
    a.ok(post_card(&w.rooms[0], "problems", "After the restart"))
        .await;
}

#[tokio::test]
async fn the_reference_workshops_lead_facilitator_can_close_it() {
    let (server, printed) = TestServer::start_demo().await;
    let lead = token_after(&printed, "Lead facilitator");
    let mut l = server.connect(lead).await;
    let seq = l.ok(json!({"type": "close_workshop"})).await;
    let ev = l.event_of_type("workshop_closed").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(
        l.welcome["snapshot"]["session"]["lead"],
        l.welcome["you"]["id"]
    );
}

// ---- Removing participants ----------------------------------------------------------

#[tokio::test]
async fn a_removed_delegate_is_disconnected_and_their_token_stops_working() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut tab2 = server.connect(&ana.token).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Ana's card stays"))
        .await;
    let settled = barrier(&mut f).await;
    f.until_seq(settled).await;

    let seq = f
        .ok(json!({"type": "remove_participant", "participant": ana.id}))
        .await;
    assert_eq!(a.close_code().await, Some(4003));
    assert_eq!(tab2.close_code().await, Some(4003));
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    let removed = events_of(&frames, "participant_removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["seq"].as_u64(), Some(seq));
    assert_eq!(removed[0]["event"]["participant"], ana.id.as_str());
    assert_eq!(presence_of(&frames, &ana.id), [false], "offline at once");

    assert_eq!(hello_close_code(&server, &ana.token).await, Some(4001));
    let staff_view = snapshot(&server, &fac.token).await;
    assert_eq!(card_texts_of(&staff_view), ["Ana's card stays"]);
    let me = staff_view["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == ana.id.as_str())
        .expect("still listed");
    assert_eq!(me["removed"], true);
    f.refused(move_to(&ana.id, &w.rooms[1]), "invalid").await;
}

#[tokio::test]
async fn nobody_removes_the_organizer_and_delegates_remove_nobody() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    let (bob, _b) = seated(&server, &w, &mut l, "Bob", "BR", &w.rooms[0]).await;
    let organizer = w.json["organizer_id"].as_str().expect("organizer_id");
    let remove = |who: &str| json!({"type": "remove_participant", "participant": who});

    l.refused(remove(organizer), "invalid").await;
    l.refused(remove(&lead.id), "invalid").await;
    a.refused(remove(&bob.id), "forbidden").await;
    p.refused(remove(&lead.id), "forbidden").await;
    l.refused(remove(NO_SUCH_PARTICIPANT), "not_found").await;
    // Nobody was removed: Bob still connects.
    let b2 = server.connect(&bob.token).await;
    assert_eq!(b2.welcome["you"]["removed"], false);
    // A plain facilitator may remove a delegate; the lead may remove a facilitator.
    p.ok(remove(&ana.id)).await;
    assert_eq!(a.close_code().await, Some(4003));
    l.ok(remove(&plain.id)).await;
    assert_eq!(p.close_code().await, Some(4003));
}
