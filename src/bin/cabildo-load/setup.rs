//! Puts the participants in place before a scenario: through the real API for Cabildo
//! (create workshops with the admin token, join delegates, place them with the
//! organizer's `assign_rooms` plan), or by naming them for the baseline.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

/// One participant to connect.
pub struct Member {
    pub token: String,
}

pub struct Room {
    pub id: String,
    pub members: Vec<Member>,
}

pub struct Workshop {
    pub rooms: Vec<Room>,
}

/// The plan entries sent in one `assign_rooms` (a message is at most 64 KiB).
const PLAN_CHUNK: usize = 400;

/// The baseline's made-up tokens: `w<workshop>.r<room>.m<member>`.
pub fn baseline(workshops: &[usize], rooms: usize, members: usize) -> Vec<Workshop> {
    workshops
        .iter()
        .map(|&w| Workshop {
            rooms: (0..rooms)
                .map(|r| Room {
                    id: format!("r{r}"),
                    members: (0..members)
                        .map(|m| Member {
                            token: format!("w{w}.r{r}.m{m}"),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// Creates `workshops.len()` workshops of `rooms` rooms, joins `members` delegates per room
/// and places them, `concurrency` requests at a time.
pub async fn cabildo(
    base: &str,
    admin_token: &str,
    workshops: &[usize],
    rooms: usize,
    members: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Workshop>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(120))
        .build()?;
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for &w in workshops {
        let (http, base, admin, limit) = (
            http.clone(),
            base.to_string(),
            admin_token.to_string(),
            limit.clone(),
        );
        tasks.push(tokio::spawn(async move {
            one_workshop(&http, &base, &admin, w, rooms, members, &limit).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

async fn post(
    http: &reqwest::Client,
    url: String,
    bearer: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = http.post(&url).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let value: Value = response.json().await?;
    anyhow::ensure!(
        status.as_u16() != 429,
        "{url}: {status} {value}: the server limits joins per client address; start it with \
         CABILDO_JOIN_RATE_LIMIT=0 (or --join-rate-limit 0) for a load test"
    );
    anyhow::ensure!(status.as_u16() == 201, "{url}: {status} {value}");
    Ok(value)
}

fn text(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no {key} in {v}"))
}

async fn one_workshop(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    w: usize,
    rooms: usize,
    members: usize,
    limit: &Semaphore,
) -> anyhow::Result<Workshop> {
    let names: Vec<String> = (0..rooms).map(|r| format!("Room {}", r + 1)).collect();
    let created = {
        let _permit = limit.acquire().await?;
        post(
            http,
            format!("{base}/api/workshops"),
            Some(admin),
            json!({"title": format!("Load {w}"), "rooms": names}),
        )
        .await?
    };
    let id = text(&created, "id")?;
    let code = text(&created, "delegate_code")?;
    let organizer = text(&created, "organizer_token")?;
    let room_ids: Vec<String> = created["rooms"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no rooms in {created}"))?
        .iter()
        .map(|r| text(r, "id"))
        .collect::<anyhow::Result<_>>()?;
    let joins = (0..rooms * members).map(|i| {
        let (url, code) = (format!("{base}/api/workshops/{id}/join"), code.clone());
        async move {
            let _permit = limit.acquire().await?;
            let body = json!({"code": code, "name": format!("D{w}-{i}"), "country": "AR", "language": "en"});
            let joined = post(http, url, None, body).await?;
            anyhow::Ok((text(&joined, "participant_id")?, text(&joined, "token")?))
        }
    });
    let joined = futures_util::future::try_join_all(joins).await?;
    let mut plan = BTreeMap::new();
    let mut out: Vec<Room> = room_ids
        .iter()
        .map(|id| Room {
            id: id.clone(),
            members: Vec::new(),
        })
        .collect();
    for (i, (participant, token)) in joined.into_iter().enumerate() {
        let r = i / members;
        plan.insert(participant, room_ids[r].clone());
        out[r].members.push(Member { token });
    }
    let _permit = limit.acquire().await?;
    place(base, &organizer, plan).await?;
    Ok(Workshop { rooms: out })
}

/// The organizer places everyone with `assign_rooms` plans, then leaves.
async fn place(base: &str, organizer: &str, plan: BTreeMap<String, String>) -> anyhow::Result<()> {
    let url = format!("{}/ws", base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(Message::text(
        json!({"type": "hello", "token": organizer}).to_string(),
    ))
    .await?;
    let entries: Vec<(String, String)> = plan.into_iter().collect();
    for (i, chunk) in entries.chunks(PLAN_CHUNK).enumerate() {
        let id = format!("place-{i}");
        let plan: BTreeMap<&str, &str> = chunk
            .iter()
            .map(|(p, r)| (p.as_str(), r.as_str()))
            .collect();
        let command = json!({"type": "assign_rooms", "id": id, "strategy": "plan", "plan": plan});
        ws.send(Message::text(command.to_string())).await?;
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(60), ws.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("organizer socket closed"))??;
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text)?;
            if v["id"] == id.as_str() {
                anyhow::ensure!(v["type"] == "ack", "assign_rooms refused: {v}");
                break;
            }
        }
    }
    let _closing = ws.close(None).await;
    Ok(())
}
