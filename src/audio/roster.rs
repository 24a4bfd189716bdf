//! `audio_roster`: who is connected to audio in each room, muted or talking, for the
//! pages that asked (`audio_watch`). Staff see every room; a delegate sees their own.

use super::rooms::place_name;
use super::seat::Seat;
use crate::domain::ParticipantId;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `joined` of a seat speaking to every place (`audio_announce`).
const ANNOUNCING: &str = "all";

/// Sends every watching seat its roster, when it changed since the last one it got.
pub(super) fn publish(seats: &[Arc<Seat>], available: bool) {
    let mut rooms: BTreeMap<String, BTreeMap<ParticipantId, (bool, bool)>> = BTreeMap::new();
    for seat in seats {
        let st = seat.state();
        if let Some(place) = st.heard {
            let entry = rooms
                .entry(place_name(place))
                .or_default()
                .entry(seat.participant)
                .or_insert((true, false));
            // Several pages of one participant: unmuted or talking on any counts.
            entry.0 &= st.muted;
            entry.1 |= st.talking;
        }
    }
    let mut announcing: Vec<ParticipantId> = seats
        .iter()
        .filter(|s| s.state().announcing)
        .map(|s| s.participant)
        .collect();
    announcing.sort();
    announcing.dedup();
    for seat in seats {
        let mut st = seat.state();
        if !st.watching {
            continue;
        }
        let mine = st.place.map(place_name);
        let shown: Vec<_> = rooms
            .iter()
            .filter(|(room, _)| st.staff || mine.as_ref() == Some(*room))
            .map(|(room, people)| {
                let participants: Vec<_> = people
                    .iter()
                    .map(|(p, (muted, talking))| {
                        json!({"participant": p, "muted": muted, "talking": talking})
                    })
                    .collect();
                json!({"room": room, "participants": participants})
            })
            .collect();
        let joined = match st.heard {
            _ if st.announcing => Some(ANNOUNCING.to_string()),
            heard => heard.map(place_name),
        };
        let frame = json!({
            "type": "audio_roster",
            "available": available && !st.closed && !st.off && st.place.is_some(),
            "joined": joined,
            "rooms": shown,
            "announcing": announcing,
        })
        .to_string();
        if frame != st.last_roster {
            st.last_roster = frame.clone();
            drop(st);
            seat.outbox.send(frame.into());
        }
    }
}
