//! Voice in every room, on Janus's AudioBridge.
//!
//! Cabildo drives Janus server to server (`janus.rs`): one AudioBridge room per Cabildo
//! room plus one for the lobby (the plenary), created when first needed with a secret and
//! a PIN only Cabildo knows (`rooms.rs`). Browsers never talk to Janus's API: they send
//! their SDP offer over Cabildo's WebSocket (`audio_join`) and get Janus's answer back, so
//! a delegate cannot reach another room's audio.
//!
//! Each connection that uses audio has a seat (`seat.rs`): what it should hear (its
//! participant's place, or the room a facilitator listens in to) and a task that makes
//! Janus match it. The workshop's actor updates every seat after each commit (`AudioHook`),
//! so a move is a `changeroom` right after the commit that made it. Audio is live state:
//! nothing of it enters the event log.
//!
//! A supervisor keeps one Janus session open; when Janus stops or restarts, the session is
//! lost, every seat is told (`audio_ended`, reason `unavailable`), and a new session is
//! opened as soon as Janus answers again; rooms are then created anew when needed.

mod announce;
mod janus;
mod rooms;
mod roster;
mod route;
mod seat;
mod turn;

pub use route::{on_message, AudioConn, Route};
pub use turn::Turn;

use crate::domain::{Place, Workshop, WorkshopId};
use crate::hub::{Hub, HubError, Msg, WorkshopHandle};
use crate::protocol::ErrorCode;
use janus::Session;
use seat::Seat;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Pause between attempts to reach Janus while it is down.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// A live Janus session and its handle for room administration.
#[derive(Clone)]
pub(crate) struct Link {
    session: Arc<Session>,
    control: u64,
    /// The AudioBridge admin key, which creating a room needs when Janus sets one.
    admin_key: Option<String>,
}

/// Where a participant's voice goes in Janus: a Cabildo place of one workshop.
pub type Key = (WorkshopId, Place);

/// The audio service of one server.
pub struct Audio {
    http: reqwest::Client,
    url: String,
    admin_key: Option<String>,
    /// The current Janus session; `None` while Janus cannot be reached.
    link: watch::Sender<Option<Link>>,
    rooms: rooms::Rooms,
    /// Seats by workshop; a workshop without seats has no entry.
    seats: Mutex<HashMap<WorkshopId, HashMap<u64, Arc<Seat>>>>,
    next_seat: std::sync::atomic::AtomicU64,
    /// TURN servers for the pages (`--turn-url`), if any.
    turn: Option<Turn>,
    /// Several nodes: where each workshop's audio is seated (`route.rs`).
    routing: route::Routing,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Audio {
    /// The audio service for the Janus whose HTTP API is at `url`; starts its supervisor.
    pub fn start(
        url: &str,
        admin_key: Option<String>,
        turn: Option<Turn>,
    ) -> anyhow::Result<Arc<Audio>> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("bad --janus-url {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            anyhow::bail!("--janus-url must be an http:// or https:// URL of Janus's HTTP API");
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| anyhow::anyhow!("no HTTP client for Janus: {e}"))?;
        let audio = Arc::new(Audio {
            http,
            url: url.trim_end_matches('/').to_string(),
            admin_key: admin_key.filter(|k| !k.is_empty()),
            link: watch::channel(None).0,
            rooms: rooms::Rooms::default(),
            seats: Mutex::new(HashMap::new()),
            next_seat: std::sync::atomic::AtomicU64::new(1),
            turn,
            routing: route::Routing::default(),
        });
        tokio::spawn(supervise(Arc::downgrade(&audio)));
        Ok(audio)
    }

    /// The ICE servers a page of `participant` puts in its peer connection: the TURN
    /// servers with fresh credentials, or none.
    pub(crate) fn ice_servers(
        &self,
        participant: crate::domain::ParticipantId,
    ) -> Vec<serde_json::Value> {
        self.turn
            .iter()
            .map(|t| t.ice_server(participant, std::time::SystemTime::now()))
            .collect()
    }

    pub(crate) fn link(&self) -> Option<Link> {
        self.link.borrow().clone()
    }

    pub(crate) fn watch_link(&self) -> watch::Receiver<Option<Link>> {
        self.link.subscribe()
    }

    fn seats_of(&self, workshop: WorkshopId) -> Vec<Arc<Seat>> {
        lock(&self.seats)
            .get(&workshop)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    fn add_seat(&self, seat: Arc<Seat>) {
        lock(&self.seats)
            .entry(seat.workshop)
            .or_default()
            .insert(seat.id, seat);
    }

    fn remove_seat(&self, seat: &Seat) {
        let mut seats = lock(&self.seats);
        if let Some(of) = seats.get_mut(&seat.workshop) {
            of.remove(&seat.id);
            if of.is_empty() {
                seats.remove(&seat.workshop);
            }
        }
    }

    /// Tells every watching page of `workshop` who is where now.
    fn publish(&self, workshop: WorkshopId) {
        roster::publish(&self.seats_of(workshop), self.link().is_some());
    }

    /// Who Janus says is in each audio room of `workshop`, for `places` (`listparticipants`).
    pub async fn participants(
        &self,
        workshop: WorkshopId,
        places: &[Place],
    ) -> Result<Vec<(Place, Vec<String>)>, HubError> {
        let Some(link) = self.link() else {
            return Err(HubError::new(
                ErrorCode::Unavailable,
                "the audio server cannot be reached right now",
            ));
        };
        let mut out = Vec::new();
        for place in places {
            let names = self
                .rooms
                .participants(&link, (workshop, *place))
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "listing an audio room's participants failed");
                    HubError::new(ErrorCode::Unavailable, "the audio server did not answer")
                })?;
            out.push((*place, names));
        }
        Ok(out)
    }
}

/// Keeps one Janus session open, and opens a new one whenever it is lost.
async fn supervise(audio: std::sync::Weak<Audio>) {
    let mut down_logged = false;
    loop {
        let Some(strong) = audio.upgrade() else {
            return;
        };
        let (http, url) = (strong.http.clone(), strong.url.clone());
        let admin_key = strong.admin_key.clone();
        drop(strong);
        let opened = async {
            let session = Session::create(http, &url).await?;
            let (control, _unasked_events) = session.attach().await?;
            Ok::<_, janus::JanusError>(Link {
                session,
                control,
                admin_key,
            })
        }
        .await;
        let link = match opened {
            Ok(link) => link,
            Err(e) => {
                if !down_logged {
                    tracing::warn!(error = %e, "audio unavailable: cannot reach Janus; retrying");
                    down_logged = true;
                }
                tokio::time::sleep(RECONNECT_PAUSE).await;
                continue;
            }
        };
        down_logged = false;
        tracing::info!(
            session = link.session.id,
            "audio available: connected to Janus"
        );
        let Some(strong) = audio.upgrade() else {
            link.session.destroy().await;
            return;
        };
        strong.rooms.forget_all();
        strong.link.send_replace(Some(link.clone()));
        let workshops: Vec<WorkshopId> = lock(&strong.seats).keys().copied().collect();
        for workshop in workshops {
            strong.publish(workshop);
        }
        drop(strong);
        let lost = link.session.poll().await;
        tracing::warn!(error = %lost, "audio unavailable: the Janus session was lost");
        let Some(strong) = audio.upgrade() else {
            return;
        };
        strong.link.send_replace(None);
        strong.rooms.forget_all();
    }
}

/// What the workshop actor holds to tell the audio service about its commits.
#[derive(Clone, Default)]
pub struct AudioHook(Option<(Arc<Audio>, WorkshopId)>);

impl AudioHook {
    pub fn new(audio: Option<&Arc<Audio>>, workshop: WorkshopId) -> AudioHook {
        AudioHook(audio.map(|a| (a.clone(), workshop)))
    }

    /// After a commit (the state holds only what is durable): every seat of the workshop
    /// learns where its participant is now; seats whose room changed move at once.
    pub fn after_commit(&self, state: &Workshop) {
        let Some((audio, workshop)) = &self.0 else {
            return;
        };
        let seats = audio.seats_of(*workshop);
        if seats.is_empty() && !audio.rooms.has_any(*workshop) {
            return;
        }
        for seat in seats {
            seat.observe(state);
        }
        let gone: Vec<Place> = state
            .rooms
            .iter()
            .filter(|r| r.removed)
            .map(|r| Place::Room(r.id))
            .collect();
        audio.rooms.destroy_places(audio.link(), *workshop, &gone);
    }

    /// On a node that does not own the workshop (several nodes): only this node's seats
    /// learn where their participants are; the owner alone creates and destroys rooms.
    pub fn seats_follow(&self, state: &Workshop) {
        if let Some((audio, workshop)) = &self.0 {
            for seat in audio.seats_of(*workshop) {
                seat.observe(state);
            }
        }
    }

    /// The workshop was erased: its audio rooms go (its connections are closed already).
    pub fn erased(&self) {
        if let Some((audio, workshop)) = &self.0 {
            audio.rooms.destroy_workshop(audio.link(), *workshop);
            audio.forget_route(*workshop);
        }
    }

    /// Several nodes: this node took the workshop over; the rooms of its earlier owners go.
    pub fn took_over(&self) {
        if let Some((audio, workshop)) = &self.0 {
            audio.destroy_foreign(*workshop);
        }
    }

    /// Several nodes: where the workshop's audio is seated now (`None`: here), as its actor
    /// knows it; connections whose audio is elsewhere move to it (`route.rs`).
    pub fn route(&self, route: Route) {
        if let Some((audio, workshop)) = &self.0 {
            audio.set_route(*workshop, route);
        }
    }
}

/// The workshop's places, each with an audio room: the lobby, then every room not removed.
fn places(state: &Workshop) -> Vec<Place> {
    std::iter::once(Place::Lobby)
        .chain(
            state
                .rooms
                .iter()
                .filter(|r| !r.removed)
                .map(|r| Place::Room(r.id)),
        )
        .collect()
}

/// Runs `f` on the workshop's state inside its actor, between commits; returns its result.
async fn inspect<T: Send + 'static>(
    workshop: &WorkshopHandle,
    f: impl FnOnce(&Workshop) -> T + Send + 'static,
) -> Result<T, HubError> {
    let (tx, rx) = oneshot::channel();
    let job = Box::new(move |state: &Workshop| {
        let _caller_may_be_gone = tx.send(f(state));
    });
    workshop.send(Msg::Inspect(job)).await?;
    rx.await.map_err(|_| HubError::unavailable())
}

/// `GET /api/workshops/{id}/audio`: who is in each audio room of the workshop, as Janus
/// reports it, for an organizer or facilitator.
pub async fn rooms_of(
    hub: &Hub,
    token: &str,
    id: WorkshopId,
) -> Result<Vec<(Place, Vec<String>)>, HubError> {
    let (handle, participant) = hub.authenticate_for(token, id).await?;
    let places = inspect(&handle, move |state| {
        let me = state.participants.get(&participant)?;
        if me.removed {
            return None;
        }
        Some((me.role.is_staff(), places(state)))
    })
    .await?;
    let Some((staff, places)) = places else {
        return Err(HubError::new(
            ErrorCode::Unauthorized,
            "unknown or removed participant",
        ));
    };
    if !staff {
        return Err(HubError::new(
            ErrorCode::Forbidden,
            "only facilitators and the organizer see who is in audio",
        ));
    }
    let Some(audio) = hub.audio() else {
        return Err(HubError::new(
            ErrorCode::NotFound,
            "this server has no audio (no --janus-url)",
        ));
    };
    audio.participants(id, &places).await
}
