//! A client that stops reading is disconnected as too slow (close 4008) without delaying
//! anyone else (the sender keeps getting its acks, another delegate of the room every
//! event, counted), and resumes from its last `seq` with exactly what it missed.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Edits sent: each event is ~1.1 KB, so together they overflow the stalled client's
/// 1,024-frame queue and the loopback socket buffers.
const EDITS: usize = 6000;

#[tokio::test]
async fn stalled_delegate_is_disconnected_as_too_slow_and_resumes_what_it_missed() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Facilitator").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    let mut f = server.connect(&fac.token).await;
    f.ok(move_to(&ana.id, &w.rooms[0])).await;
    f.ok(move_to(&bruno.id, &w.rooms[0])).await;
    let card_seq = f.ok(post_card(&w.rooms[0], "problems", "first")).await;
    let card = f
        .drain()
        .await
        .into_iter()
        .find(|v| v["event"]["type"] == "card_posted")
        .expect("card_posted")["event"]["card"]
        .as_str()
        .expect("card id")
        .to_string();

    // Ana connects and then stops reading altogether.
    let mut stalled = TestClient::raw(&server.ws_url()).await;
    stalled
        .send(Message::text(
            json!({"type": "hello", "token": ana.token}).to_string(),
        ))
        .await
        .expect("hello");

    // Bruno, in the same room, keeps reading: he must get every edit while Ana stalls.
    let mut b = server.connect(&bruno.token).await;
    let bruno_reads = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < EDITS {
            let e = b.event_of_type("card_edited").await;
            seqs.push(e["seq"].as_u64().expect("seq"));
        }
        (seqs, b.closed_with)
    });

    // The facilitator floods the room with edits and keeps reading: every one is acked.
    let (mut tx, mut rx) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("connect")
        .0
        .split();
    tx.send(Message::text(
        json!({"type": "hello", "token": fac.token}).to_string(),
    ))
    .await
    .expect("hello");
    let long = "x".repeat(990);
    let writer = tokio::spawn(async move {
        for i in 0..EDITS {
            let cmd = json!({"type": "edit_card", "id": format!("e{i}"), "card": card,
                             "text": format!("{i:06} {long}")});
            tx.send(Message::text(cmd.to_string())).await.expect("send");
        }
        tx
    });
    let mut acks = 0;
    let mut last_seq = 0;
    while acks < EDITS {
        let msg = tokio::time::timeout(WAIT, rx.next())
            .await
            .expect("the facilitator keeps receiving while a delegate is stalled")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] == "ack" {
                acks += 1;
                last_seq = last_seq.max(v["seq"].as_u64().expect("seq"));
            }
            assert_ne!(v["type"], "error", "{v}");
        }
    }
    let _tx = writer.await.expect("writer");
    let (bruno_seqs, bruno_closed) = bruno_reads.await.expect("Bruno's reader");
    assert_eq!(bruno_closed, None, "Bruno was not disconnected");
    assert_eq!(bruno_seqs.len(), EDITS, "Bruno got every edit");
    assert!(bruno_seqs.windows(2).all(|p| p[0] < p[1]), "in order");
    assert_eq!(bruno_seqs.last(), Some(&last_seq));

    // Now read the stalled socket: what was buffered, then the close frame 4008.
    let mut seen = card_seq;
    let code = loop {
        match tokio::time::timeout(WAIT, stalled.next())
            .await
            .expect("frames or close")
        {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).expect("json");
                if let Some(s) = v["seq"].as_u64() {
                    if v["type"] == "event" {
                        assert!(s > seen, "seq {s} after {seen}");
                        seen = s;
                    }
                }
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, Some(4008));
    // The facilitator's first socket, which nobody read during the flood either, was cut
    // off too: two slow clients, both counted.
    assert_eq!(f.close_code().await, Some(4008));
    let metrics = scrape(&server).await;
    assert_eq!(
        value(&metrics, "cabildo_slow_client_disconnects_total"),
        2.0
    );
    assert!(
        seen < last_seq,
        "the stalled client was cut off before the end"
    );

    // Resuming from the last seq it saw gives exactly the edits it missed, in order.
    let resumed = server.resume(&ana.token, seen).await;
    assert_eq!(
        resumed.welcome["resumed"], true,
        "{}",
        resumed.welcome["reason"]
    );
    let events = resumed.welcome["events"].as_array().expect("events");
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    let expected: Vec<u64> = (seen + 1..=last_seq).collect();
    assert_eq!(seqs, expected);
    assert!(events.iter().all(|e| e["event"]["type"] == "card_edited"));
}
