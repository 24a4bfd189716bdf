//! Speaking to every room at once (`audio_announce`), on Janus's AudioBridge.
//!
//! The announcing staff member's handle moves (`changeroom`) into an announcement room of
//! its own. For every place of the workshop (the lobby and each room), Cabildo adds a
//! *relay*: a plain-RTP participant of that place's room (`join` with an `rtp` object and
//! no remote address, so Janus sends it nothing) and an `rtp_forward` of the announcement
//! room's mix to the port Janus opened for that relay. Janus mixes the relay into its room
//! like anyone speaking there, so everyone in every place hears the announcement. The
//! forwarded RTP goes from Janus to Janus on the address the AudioBridge binds its plain-RTP
//! ports to (its `local_ip`, loopback or private: docs/OPERATIONS.md).
//!
//! A broadcast belongs to one seat: it ends (forwarders stopped, relays detached, room
//! destroyed) when that staff member stops, leaves, joins again or disconnects.

use super::janus::JanusError;
use super::rooms::{create_room, JanusRoom, Rooms};
use super::seat::{Connected, Seat};
use super::{Audio, Link};
use crate::domain::{Place, WorkshopId};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The display name of a relay in Janus; `GET …/audio` leaves relays out.
pub(super) const RELAY_DISPLAY: &str = "cabildo-announcement";

/// The relay of one place: its plain-RTP participant's handle and the forwarder feeding it.
struct Relay {
    handle: u64,
    stream: u64,
}

/// One staff member's announcement to every place of a workshop.
pub(super) struct Broadcast {
    room: Arc<JanusRoom>,
    relays: HashMap<Place, Relay>,
}

impl Broadcast {
    /// Creates the announcement room (the caller moves its handle there).
    pub async fn open(link: &Link, workshop: WorkshopId) -> Result<Broadcast, JanusError> {
        let room = create_room(link, format!("cabildo {workshop} announcement")).await?;
        Ok(Broadcast {
            room,
            relays: HashMap::new(),
        })
    }

    pub fn room(&self) -> &JanusRoom {
        &self.room
    }

    /// Relays the announcement into each of `places` not reached yet, and stops relaying
    /// to places that are gone (removed rooms).
    pub async fn reach(
        &mut self,
        audio: &Audio,
        link: &Link,
        workshop: WorkshopId,
        places: &[Place],
    ) -> Result<(), JanusError> {
        let gone: Vec<Place> = self
            .relays
            .keys()
            .filter(|p| !places.contains(p))
            .copied()
            .collect();
        for place in gone {
            if let Some(relay) = self.relays.remove(&place) {
                self.cut(link, relay).await;
            }
        }
        for place in places {
            if self.relays.contains_key(place) {
                continue;
            }
            let target = audio.rooms.ensure(link, (workshop, *place)).await?;
            let relay = self.relay(link, &target).await?;
            self.relays.insert(*place, relay);
        }
        Ok(())
    }

    /// Adds a relay to `target`: a plain-RTP participant there, fed by a forwarder of the
    /// announcement room's mix.
    async fn relay(&self, link: &Link, target: &JanusRoom) -> Result<Relay, JanusError> {
        // Its events are not listened to: the receiver is dropped at once.
        let (handle, _unheard) = link.session.attach().await?;
        let joined = async {
            let body = json!({
                "request": "join",
                "room": target.id,
                "pin": target.pin,
                "display": RELAY_DISPLAY,
                "muted": false,
                "rtp": {"payload_type": 100},
            });
            let (data, _) = link.session.call(handle, body, None).await?;
            let rtp = &data["rtp"];
            let (Some(host), Some(port)) = (rtp["ip"].as_str(), rtp["port"].as_u64()) else {
                return Err(JanusError::Unexpected);
            };
            let mut body = json!({
                "request": "rtp_forward",
                "room": self.room.id,
                "secret": self.room.secret,
                "host": host,
                "port": port,
                "codec": "opus",
                "ptype": rtp["payload_type"].as_u64().unwrap_or(100),
            });
            if let Some(key) = &link.admin_key {
                body["admin_key"] = Value::String(key.clone());
            }
            let forwarded = link.session.request(link.control, body).await?;
            forwarded["stream_id"]
                .as_u64()
                .ok_or(JanusError::Unexpected)
        }
        .await;
        match joined {
            Ok(stream) => Ok(Relay { handle, stream }),
            Err(e) => {
                link.session.detach(handle).await;
                Err(e)
            }
        }
    }

    async fn cut(&self, link: &Link, relay: Relay) {
        let mut body = json!({
            "request": "stop_rtp_forward",
            "room": self.room.id,
            "secret": self.room.secret,
            "stream_id": relay.stream,
        });
        if let Some(key) = &link.admin_key {
            body["admin_key"] = Value::String(key.clone());
        }
        if let Err(e) = link.session.request(link.control, body).await {
            tracing::debug!(error = %e, "stopping an announcement forwarder failed");
        }
        link.session.detach(relay.handle).await;
    }

    /// Ends the announcement: every relay goes, then the announcement room.
    pub async fn close(mut self, link: &Link) {
        let relays: Vec<Relay> = self.relays.drain().map(|(_, r)| r).collect();
        for relay in relays {
            self.cut(link, relay).await;
        }
        Rooms::destroy_now(link, &self.room).await;
    }
}

/// Starts, keeps up or stops the seat's announcement to every place; `Err` when its
/// handle could not be moved (its audio must end).
pub(super) async fn follow(
    audio: &Audio,
    seat: &Seat,
    c: &mut Connected,
    place: Place,
    muted: bool,
) -> Result<(), JanusError> {
    let (wanted, places) = {
        let st = seat.state();
        (st.announce && st.staff, st.places.clone())
    };
    if wanted {
        if c.broadcast.is_none() {
            let mut broadcast = match Broadcast::open(&c.link, seat.workshop).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "starting an announcement failed");
                    seat.state().announce = false;
                    return Ok(());
                }
            };
            if let Err(e) = super::seat::change_room(c, seat, broadcast.room(), muted).await {
                broadcast.close(&c.link).await;
                return Err(e);
            }
            let reached = broadcast
                .reach(audio, &c.link, seat.workshop, &places)
                .await;
            c.broadcast = Some(broadcast);
            if let Err(e) = reached {
                tracing::warn!(error = %e, "an announcement reaches only some rooms");
            }
            tracing::debug!(participant = %seat.participant, "announcement started");
        } else if let Some(broadcast) = c.broadcast.as_mut() {
            if let Err(e) = broadcast
                .reach(audio, &c.link, seat.workshop, &places)
                .await
            {
                tracing::warn!(error = %e, "an announcement reaches only some rooms");
            }
        }
    } else if let Some(broadcast) = c.broadcast.take() {
        // Back to the seat's place, then the announcement goes.
        let room = audio.rooms.ensure(&c.link, (seat.workshop, place)).await;
        let back = match room {
            Ok(room) => super::seat::change_room(c, seat, &room, muted).await,
            Err(e) => Err(e),
        };
        c.room = place;
        broadcast.close(&c.link).await;
        back?;
        tracing::debug!(participant = %seat.participant, "announcement ended");
    }
    Ok(())
}
