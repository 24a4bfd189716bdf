//! The AudioBridge rooms of every workshop: created in Janus when first needed, each with
//! a secret (to destroy it) and a PIN (to join it) that only Cabildo knows, and forgotten
//! when the Janus session is lost (a restarted Janus has none of them).

use super::janus::{JanusError, ROOM_EXISTS};
use super::{lock, Key, Link};
use crate::domain::{Place, WorkshopId};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// How long a removed room lives on, so that its people's moves happen first.
const DESTROY_DELAY: std::time::Duration = std::time::Duration::from_secs(3);
/// AudioBridge: no such room.
const NO_SUCH_ROOM: i64 = 485;

/// One AudioBridge room.
pub(super) struct JanusRoom {
    pub id: u64,
    pub pin: String,
    pub secret: String,
}

#[derive(Default)]
struct Known {
    /// The Janus session these rooms were created in.
    session: u64,
    rooms: HashMap<Key, Arc<OnceCell<Arc<JanusRoom>>>>,
}

/// Told of every room `Rooms::ensure` creates (several nodes: the other nodes learn it).
pub(super) type OnCreate = Box<dyn Fn(WorkshopId, &JanusRoom) + Send + Sync>;

#[derive(Default)]
pub(super) struct Rooms {
    known: Mutex<Known>,
    on_create: std::sync::OnceLock<OnCreate>,
}

impl Rooms {
    /// Whether `workshop` has any room in Janus.
    pub fn has_any(&self, workshop: WorkshopId) -> bool {
        lock(&self.known).rooms.keys().any(|(w, _)| *w == workshop)
    }

    /// Forgets every room (the Janus session was lost or replaced).
    pub fn forget_all(&self) {
        let mut known = lock(&self.known);
        known.rooms.clear();
        known.session = 0;
    }

    fn cell(&self, link: &Link, key: Key) -> Arc<OnceCell<Arc<JanusRoom>>> {
        let mut known = lock(&self.known);
        if known.session != link.session.id {
            known.rooms.clear();
            known.session = link.session.id;
        }
        known.rooms.entry(key).or_default().clone()
    }

    /// The room for `key`, created in Janus if it is not there yet.
    pub async fn ensure(&self, link: &Link, key: Key) -> Result<Arc<JanusRoom>, JanusError> {
        let cell = self.cell(link, key);
        cell.get_or_try_init(|| async {
            let room = create(link, key).await?;
            if let Some(told) = self.on_create.get() {
                told(key.0, &room);
            }
            Ok(room)
        })
        .await
        .map(Arc::clone)
    }

    /// Sets what is told of every room created from now on (once).
    pub fn on_create(&self, told: OnCreate) {
        let _set_once = self.on_create.set(told);
    }

    /// The participants' display names (Cabildo participant ids) in `key`'s room, as Janus
    /// reports them; none when the room was never created.
    pub async fn participants(&self, link: &Link, key: Key) -> Result<Vec<String>, JanusError> {
        let room = {
            let known = lock(&self.known);
            if known.session != link.session.id {
                return Ok(Vec::new());
            }
            known.rooms.get(&key).and_then(|c| c.get().cloned())
        };
        let Some(room) = room else {
            return Ok(Vec::new());
        };
        let body = json!({"request": "listparticipants", "room": room.id});
        match link.session.request(link.control, body).await {
            Ok(data) => Ok(data["participants"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| p["display"].as_str())
                        .filter(|d| *d != super::announce::RELAY_DISPLAY)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()),
            Err(JanusError::Plugin { code, .. }) if code == NO_SUCH_ROOM => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Destroys the rooms of `workshop` at `places` (rooms removed from the workshop).
    pub fn destroy_places(&self, link: Option<Link>, workshop: WorkshopId, places: &[Place]) {
        if places.is_empty() {
            return;
        }
        self.destroy_where(link, |(w, p)| *w == workshop && places.contains(p));
    }

    /// Destroys every room of `workshop`.
    pub fn destroy_workshop(&self, link: Option<Link>, workshop: WorkshopId) {
        self.destroy_where(link, |(w, _)| *w == workshop);
    }

    /// Destroys one room now (an announcement's, which nobody else uses).
    pub async fn destroy_now(link: &Link, room: &JanusRoom) {
        let body = json!({"request": "destroy", "room": room.id, "secret": room.secret});
        if let Err(e) = link.session.request(link.control, body).await {
            tracing::debug!(error = %e, "destroying an audio room failed");
        }
    }

    fn destroy_where(&self, link: Option<Link>, doomed: impl Fn(&Key) -> bool) {
        let gone: Vec<Arc<JanusRoom>> = {
            let mut known = lock(&self.known);
            let keys: Vec<Key> = known.rooms.keys().filter(|k| doomed(k)).copied().collect();
            keys.iter()
                .filter_map(|k| known.rooms.remove(k))
                .filter_map(|cell| cell.get().cloned())
                .collect()
        };
        let Some(link) = link else { return };
        if gone.is_empty() {
            return;
        }
        tokio::spawn(async move {
            // Its people move first (to the lobby), on the same peer connection.
            tokio::time::sleep(DESTROY_DELAY).await;
            for room in gone {
                Rooms::destroy_now(&link, &room).await;
            }
        });
    }
}

/// Creates a private room for `key` under a fresh random id.
async fn create(link: &Link, key: Key) -> Result<Arc<JanusRoom>, JanusError> {
    create_room(link, format!("cabildo {} {}", key.0, place_name(key.1))).await
}

/// Creates a private room described as `description` under a fresh random id; plain RTP
/// participants may join it (the relays of an announcement, `announce.rs`).
pub(super) async fn create_room(
    link: &Link,
    description: String,
) -> Result<Arc<JanusRoom>, JanusError> {
    for _ in 0..5 {
        let room = JanusRoom {
            // Below 2^53, so that the id survives any JSON reader.
            id: rand::Rng::gen_range(&mut rand::thread_rng(), 1..(1u64 << 53)),
            pin: crate::auth::new_token(),
            secret: crate::auth::new_token(),
        };
        let mut body = json!({
            "request": "create",
            "room": room.id,
            "description": description,
            "secret": room.secret,
            "pin": room.pin,
            "is_private": true,
            "permanent": false,
            "sampling_rate": 16000,
            "audiolevel_event": true,
            "audio_active_packets": 25,
            "audio_level_average": 40,
            "allow_rtp_participants": true,
        });
        if let Some(admin_key) = &link.admin_key {
            body["admin_key"] = Value::String(admin_key.clone());
        }
        match link.session.request(link.control, body).await {
            Ok(_) => return Ok(Arc::new(room)),
            Err(JanusError::Plugin { code, .. }) if code == ROOM_EXISTS => continue,
            Err(e) => return Err(e),
        }
    }
    Err(JanusError::Unexpected)
}

/// `lobby` or the room id, as the protocol names places.
pub(super) fn place_name(place: Place) -> String {
    match place {
        Place::Lobby => "lobby".to_string(),
        Place::Room(r) => r.to_string(),
    }
}
