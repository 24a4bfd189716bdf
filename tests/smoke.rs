mod common;
use common::*;

#[tokio::test]
async fn delegate_posts_a_card_and_the_facilitator_sees_it() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Facilitator").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut f = server.connect(&fac.token).await;
    f.ok(move_to(&ana.id, &w.rooms[0])).await;
    let mut a = server.connect(&ana.token).await;
    let seq = a
        .ok(post_card(&w.rooms[0], "strengths", "One portal"))
        .await;
    let ev = f.event_of_type("card_posted").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["text"], "One portal");
}
