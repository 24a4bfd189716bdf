//! One connection's audio: its seat (what it should hear, what Janus has now) and the task
//! that makes Janus match it, one step at a time, so a move that arrives during a join is
//! applied right after it.

use super::announce::Broadcast;
use super::janus::JanusError;
use super::{inspect, lock, rooms::place_name, Audio, Link};
use crate::domain::{ParticipantId, Place, Workshop, WorkshopId};
use crate::hub::outbox::Outbox;
use crate::hub::{HubError, WorkshopHandle};
use crate::protocol::{error_frame, AudioCommand, ErrorCode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// Longest SDP offer accepted (a gathered audio offer is 2-5 KB).
pub const MAX_SDP_BYTES: usize = 32 * 1024;
/// Requests of one connection waiting for its audio task.
const REQUEST_QUEUE: usize = 16;

/// What one seat should hear and has now.
#[derive(Default)]
pub(super) struct SeatState {
    /// Set by the workshop's actor: the participant's role and place (`None`: removed),
    /// and whether the workshop is closed.
    pub staff: bool,
    pub place: Option<Place>,
    pub closed: bool,
    /// The organizer turned audio off for the workshop.
    pub off: bool,
    /// Chosen on the page: a room a staff member listens in to, whether audio is on, muted.
    pub listen: Option<Place>,
    pub joined: bool,
    pub muted: bool,
    /// Whether the page wants `audio_roster` frames.
    pub watching: bool,
    /// Staff: speak to every place at once (`audio_announce`), and the workshop's places
    /// (the lobby and every room not removed), set by the workshop's actor.
    pub announce: bool,
    pub places: Vec<Place>,
    /// Set by the seat's task: the announcement is live.
    pub announcing: bool,
    /// Set by the seat's task: the room Janus has it in, and whether it is talking.
    pub heard: Option<Place>,
    pub talking: bool,
    /// The last roster frame sent, so an unchanged one is not sent again.
    pub last_roster: String,
}

impl SeatState {
    /// Where this seat's voice belongs now, or why it has none.
    fn target(&self) -> Result<Place, &'static str> {
        if self.closed {
            return Err("closed");
        }
        if self.off {
            return Err("off");
        }
        match self.place {
            None => Err("removed"),
            Some(place) if self.staff => Ok(self.listen.unwrap_or(place)),
            Some(place) => Ok(place),
        }
    }
}

pub(super) struct Seat {
    pub id: u64,
    pub workshop: WorkshopId,
    pub participant: ParticipantId,
    pub outbox: Outbox,
    wake: Notify,
    state: Mutex<SeatState>,
}

impl Seat {
    pub fn state(&self) -> std::sync::MutexGuard<'_, SeatState> {
        lock(&self.state)
    }

    /// Called by the workshop's actor (after each commit, and when the seat opens): takes on
    /// the participant's place and role, and wakes the task when its target changed.
    pub fn observe(&self, workshop: &Workshop) {
        let me = workshop.participants.get(&self.participant);
        let mut st = self.state();
        let before = (st.target(), st.place);
        st.staff = me.is_some_and(|p| p.role.is_staff());
        st.place = me.filter(|p| !p.removed).map(|p| p.room);
        st.closed = workshop.session.closed;
        st.off = workshop.session.audio_off;
        if let Some(Place::Room(r)) = st.listen {
            if !room_is_live(workshop, r) {
                st.listen = None;
            }
        }
        let places = super::places(workshop);
        let places_changed = st.announce && st.places != places;
        st.places = places;
        if (st.target(), st.place) != before || places_changed {
            drop(st);
            self.wake.notify_one();
        }
    }

    fn send(&self, frame: String) {
        self.outbox.send(frame.into());
    }
}

fn room_is_live(workshop: &Workshop, room: crate::domain::RoomId) -> bool {
    workshop.rooms.iter().any(|r| r.id == room && !r.removed)
}

enum Request {
    Join {
        id: String,
        sdp: String,
        listen: Option<Place>,
    },
    Leave {
        id: String,
    },
    Mute {
        id: String,
        muted: bool,
    },
    Announce {
        id: String,
        on: bool,
    },
}

/// A connection's audio seated on this node's Janus, opened by its first audio message
/// handled here; dropping it (the connection ended, or its audio moved to another node)
/// takes its participant out of Janus.
pub(super) struct LocalConn {
    seat: Arc<Seat>,
    requests: mpsc::Sender<Request>,
}

impl LocalConn {
    async fn open(
        audio: &Arc<Audio>,
        workshop: &WorkshopHandle,
        participant: ParticipantId,
        outbox: &Outbox,
    ) -> Result<LocalConn, HubError> {
        let seat = Arc::new(Seat {
            id: audio
                .next_seat
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            workshop: workshop.id,
            participant,
            outbox: outbox.clone(),
            wake: Notify::new(),
            state: Mutex::new(SeatState::default()),
        });
        // Registered first, so that no commit after the look-up below goes unseen.
        audio.add_seat(seat.clone());
        let observing = seat.clone();
        if let Err(e) = inspect(workshop, move |state| observing.observe(state)).await {
            audio.remove_seat(&seat);
            return Err(e);
        }
        let (requests, queue) = mpsc::channel(REQUEST_QUEUE);
        tokio::spawn(run(audio.clone(), seat.clone(), queue));
        Ok(LocalConn { seat, requests })
    }

    /// Whether its page is in audio.
    pub(super) fn joined(&self) -> bool {
        self.seat.state().joined
    }
}

/// Handles one audio message of a connection seated on this node (`audio_join`,
/// `audio_leave`, `audio_mute`, `audio_watch`, …): its own, or another node's that this
/// node owns the workshop for. Answers go into `outbox`; `ack_watch` is false when the
/// server itself asks for the roster again (after the audio moved between nodes).
#[allow(clippy::too_many_arguments)]
pub(super) async fn handle(
    audio: &Arc<Audio>,
    conn: &mut Option<LocalConn>,
    workshop: &WorkshopHandle,
    participant: ParticipantId,
    outbox: &Outbox,
    id: String,
    message: AudioCommand,
    ack_watch: bool,
) {
    let refuse = |code, message: &str| {
        outbox.send(error_frame(Some(&id), code, message).into());
    };
    if conn.is_none() {
        match LocalConn::open(audio, workshop, participant, outbox).await {
            Ok(opened) => *conn = Some(opened),
            Err(e) => return refuse(e.code, &e.message),
        }
    }
    let Some(me) = conn.as_ref() else { return };
    let staff = me.seat.state().staff;
    let request = match message {
        AudioCommand::AudioWatch {} => {
            me.seat.state().watching = true;
            me.seat.state().last_roster.clear();
            if ack_watch {
                outbox.send(json!({"type": "ack", "id": id}).to_string().into());
            }
            audio.publish(workshop.id);
            return;
        }
        AudioCommand::AudioJoin { sdp, room } => {
            if sdp.len() > MAX_SDP_BYTES || !sdp.starts_with("v=0") {
                return refuse(
                    ErrorCode::Invalid,
                    &format!("`sdp` must be an SDP offer of at most {MAX_SDP_BYTES} bytes"),
                );
            }
            if room.is_some() && !staff {
                return refuse(
                    ErrorCode::Forbidden,
                    "only facilitators and the organizer choose the room they hear",
                );
            }
            if let Some(Place::Room(r)) = room {
                match inspect(workshop, move |state| room_is_live(state, r)).await {
                    Ok(true) => {}
                    Ok(false) => return refuse(ErrorCode::NotFound, "no such room"),
                    Err(e) => return refuse(e.code, &e.message),
                }
            }
            Request::Join {
                id: id.clone(),
                sdp,
                listen: room,
            }
        }
        AudioCommand::AudioLeave {} => Request::Leave { id: id.clone() },
        AudioCommand::AudioAnnounce { .. } if !staff => {
            return refuse(
                ErrorCode::Forbidden,
                "only facilitators and the organizer speak to every room",
            );
        }
        AudioCommand::AudioAnnounce { on } => Request::Announce { id: id.clone(), on },
        AudioCommand::AudioConfig {} => {
            let servers = audio.ice_servers(participant);
            let frame = json!({"type": "audio_config", "id": id, "ice_servers": servers});
            outbox.send(frame.to_string().into());
            return;
        }
        AudioCommand::AudioMute {
            muted,
            participant: None,
        } => Request::Mute {
            id: id.clone(),
            muted,
        },
        AudioCommand::AudioMute {
            muted,
            participant: Some(p),
        } if p == participant => Request::Mute {
            id: id.clone(),
            muted,
        },
        AudioCommand::AudioMute {
            muted,
            participant: Some(other),
        } => {
            if !staff {
                return refuse(
                    ErrorCode::Forbidden,
                    "only facilitators and the organizer mute someone else",
                );
            }
            if !muted {
                return refuse(
                    ErrorCode::Forbidden,
                    "only the participant unmutes their own microphone",
                );
            }
            let seats: Vec<Arc<Seat>> = audio
                .seats_of(workshop.id)
                .into_iter()
                .filter(|s| s.participant == other && s.state().joined)
                .collect();
            if seats.is_empty() {
                return refuse(ErrorCode::NotFound, "that participant is not in audio");
            }
            for seat in seats {
                seat.state().muted = true;
                seat.send(json!({"type": "audio_muted", "by": participant}).to_string());
                seat.wake.notify_one();
            }
            outbox.send(json!({"type": "ack", "id": id}).to_string().into());
            return;
        }
    };
    if me.requests.try_send(request).is_err() {
        refuse(
            ErrorCode::RateLimited,
            "too many audio requests at once: wait for the answers",
        );
    }
}

/// The seat's connection to Janus.
pub(super) struct Connected {
    pub link: Link,
    handle: u64,
    events: mpsc::Receiver<Value>,
    pub room: Place,
    /// The AudioBridge participant id in `room`.
    janus_id: Option<u64>,
    muted: bool,
    /// While speaking to every place: the handle is in the broadcast's room, not `room`.
    pub broadcast: Option<Broadcast>,
}

async fn next_event(conn: &mut Option<Connected>) -> Option<Value> {
    match conn {
        Some(c) => c.events.recv().await,
        None => std::future::pending().await,
    }
}

/// The seat's task: handles its requests in order, and follows its target.
async fn run(audio: Arc<Audio>, seat: Arc<Seat>, mut requests: mpsc::Receiver<Request>) {
    let mut link_changes = audio.watch_link();
    let mut conn: Option<Connected> = None;
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                None => break,
                Some(Request::Join { id, sdp, listen }) => {
                    hang_up(conn.take()).await;
                    {
                        let mut st = seat.state();
                        st.listen = listen;
                        st.joined = true;
                        st.announce = false;
                    }
                    match join(&audio, &seat, &sdp).await {
                        Ok((connected, answer)) => {
                            conn = Some(connected);
                            seat.send(json!({"type": "audio_answer", "id": id, "sdp": answer}).to_string());
                        }
                        Err(e) => {
                            seat.state().joined = false;
                            seat.send(error_frame(Some(&id), e.code, &e.message));
                        }
                    }
                }
                Some(Request::Leave { id }) => {
                    seat.state().joined = false;
                    hang_up(conn.take()).await;
                    seat.send(json!({"type": "ack", "id": id}).to_string());
                }
                Some(Request::Mute { id, muted }) => {
                    seat.state().muted = muted;
                    if conn.is_some() {
                        follow(&audio, &seat, &mut conn).await;
                    }
                    seat.send(json!({"type": "ack", "id": id}).to_string());
                }
                Some(Request::Announce { id, on }) => {
                    if conn.is_none() {
                        seat.send(error_frame(Some(&id), ErrorCode::Invalid, "join audio first"));
                    } else {
                        seat.state().announce = on;
                        follow(&audio, &seat, &mut conn).await;
                        let live = conn.as_ref().is_some_and(|c| c.broadcast.is_some());
                        if live == on {
                            seat.send(json!({"type": "ack", "id": id}).to_string());
                        } else {
                            let message = "the audio server could not start the announcement";
                            seat.send(error_frame(Some(&id), ErrorCode::Unavailable, message));
                        }
                    }
                }
            },
            () = seat.wake.notified() => {}
            event = next_event(&mut conn) => match event {
                Some(event) => on_event(&seat, &mut conn, &event).await,
                // The session was lost: Janus stopped or restarted.
                None => end(&seat, &mut conn, "unavailable").await,
            },
            changed = link_changes.changed() => {
                if changed.is_err() {
                    break;
                }
                let current = link_changes.borrow_and_update().as_ref().map(|l| l.session.id);
                if conn.as_ref().is_some_and(|c| Some(c.link.session.id) != current) {
                    conn = None;
                    end(&seat, &mut conn, "unavailable").await;
                }
            }
        }
        follow(&audio, &seat, &mut conn).await;
        {
            let announcing = conn.as_ref().is_some_and(|c| c.broadcast.is_some());
            let mut st = seat.state();
            st.heard = conn.as_ref().filter(|_| !announcing).map(|c| c.room);
            st.announcing = announcing;
        }
        audio.publish(seat.workshop);
    }
    hang_up(conn.take()).await;
    audio.remove_seat(&seat);
    audio.publish(seat.workshop);
}

/// Ends the seat's audio for `reason` and tells its page.
async fn end(seat: &Seat, conn: &mut Option<Connected>, reason: &str) {
    hang_up(conn.take()).await;
    let was_joined = std::mem::replace(&mut seat.state().joined, false);
    if was_joined {
        seat.send(json!({"type": "audio_ended", "reason": reason}).to_string());
    }
}

async fn hang_up(conn: Option<Connected>) {
    if let Some(c) = conn {
        c.link.session.detach(c.handle).await;
        if let Some(broadcast) = c.broadcast {
            broadcast.close(&c.link).await;
        }
    }
}

/// Moves the connection's handle into `room` (same peer connection).
pub(super) async fn change_room(
    c: &mut Connected,
    seat: &Seat,
    room: &super::rooms::JanusRoom,
    muted: bool,
) -> Result<(), JanusError> {
    let body = json!({
        "request": "changeroom",
        "room": room.id,
        "pin": room.pin,
        "display": seat.participant.to_string(),
        "muted": muted,
    });
    let (data, _) = c.link.session.call(c.handle, body, None).await?;
    c.janus_id = data["id"].as_u64();
    c.muted = muted;
    seat.state().talking = false;
    Ok(())
}

/// Makes Janus match the seat's target: moves it (`changeroom`), mutes or unmutes it, or
/// ends its audio when it has no place any more.
async fn follow(audio: &Audio, seat: &Seat, conn: &mut Option<Connected>) {
    let (target, muted) = {
        let st = seat.state();
        (st.target(), st.muted)
    };
    let Some(c) = conn.as_mut() else { return };
    let place = match target {
        Ok(place) => place,
        Err(reason) => return end(seat, conn, reason).await,
    };
    if let Err(e) = super::announce::follow(audio, seat, c, place, muted).await {
        tracing::warn!(error = %e, "moving a participant's audio failed");
        return end(seat, conn, "unavailable").await;
    }
    if c.room != place && c.broadcast.is_none() {
        let moved = async {
            let room = audio.rooms.ensure(&c.link, (seat.workshop, place)).await?;
            change_room(c, seat, &room, muted).await
        }
        .await;
        match moved {
            Ok(()) => {
                tracing::debug!(participant = %seat.participant, to = %place_name(place), "audio moved");
                c.room = place;
            }
            Err(e) => {
                tracing::warn!(error = %e, "moving a participant's audio failed");
                return end(seat, conn, "unavailable").await;
            }
        }
    }
    if c.muted != muted {
        let body = json!({"request": "configure", "muted": muted});
        match c.link.session.call(c.handle, body, None).await {
            Ok(_) => c.muted = muted,
            Err(e) => tracing::warn!(error = %e, "muting a participant failed"),
        }
    }
}

/// Joins the seat's target room with the page's SDP offer; returns Janus's answer.
async fn join(audio: &Audio, seat: &Seat, sdp: &str) -> Result<(Connected, String), HubError> {
    let unavailable = |e: JanusError| {
        tracing::warn!(error = %e, "joining audio failed");
        HubError::new(
            ErrorCode::Unavailable,
            "the audio server cannot be reached right now",
        )
    };
    let (target, muted) = {
        let st = seat.state();
        (st.target(), st.muted)
    };
    let place = target.map_err(|reason| match reason {
        "closed" => HubError::new(ErrorCode::Closed, "the workshop is closed"),
        "off" => HubError::new(ErrorCode::Closed, "the organizer turned audio off"),
        _ => HubError::new(ErrorCode::Unauthorized, "unknown or removed participant"),
    })?;
    let link = audio.link().ok_or_else(|| {
        HubError::new(
            ErrorCode::Unavailable,
            "the audio server cannot be reached right now",
        )
    })?;
    let room = audio
        .rooms
        .ensure(&link, (seat.workshop, place))
        .await
        .map_err(unavailable)?;
    let (handle, events) = link.session.attach().await.map_err(unavailable)?;
    let mut conn = Connected {
        link: link.clone(),
        handle,
        events,
        room: place,
        janus_id: None,
        muted,
        broadcast: None,
    };
    let negotiated = async {
        let body = json!({
            "request": "join",
            "room": room.id,
            "pin": room.pin,
            "display": seat.participant.to_string(),
            "muted": muted,
        });
        let (joined, _) = link.session.call(handle, body, None).await?;
        conn.janus_id = joined["id"].as_u64();
        let body = json!({"request": "configure", "muted": muted});
        let offer = json!({"type": "offer", "sdp": sdp});
        link.session.call(handle, body, Some(offer)).await
    }
    .await;
    let answer = match negotiated {
        Ok((_, Some(jsep))) => jsep["sdp"].as_str().map(str::to_string),
        Ok((_, None)) => None,
        Err(JanusError::Plugin { reason, .. }) => {
            link.session.detach(handle).await;
            return Err(HubError::new(
                ErrorCode::Invalid,
                format!("the audio server refused the offer: {reason}"),
            ));
        }
        Err(e) => {
            link.session.detach(handle).await;
            return Err(unavailable(e));
        }
    };
    match answer {
        Some(answer) => Ok((conn, answer)),
        None => {
            link.session.detach(handle).await;
            Err(unavailable(JanusError::Unexpected))
        }
    }
}

/// An event Janus sent about the seat's handle unasked.
async fn on_event(seat: &Seat, conn: &mut Option<Connected>, event: &Value) {
    if event["janus"] == "hangup" {
        return end(seat, conn, "hangup").await;
    }
    let data = event.pointer("/plugindata/data").unwrap_or(&Value::Null);
    let about_me = conn.as_ref().and_then(|c| c.janus_id) == data["id"].as_u64();
    match data["audiobridge"].as_str() {
        Some("talking") if about_me => seat.state().talking = true,
        Some("stopped-talking") if about_me => seat.state().talking = false,
        Some("destroyed") => end(seat, conn, "unavailable").await,
        _ => {}
    }
}
