//! Records with a session history: written back as recorded, and refused when an entry
//! names what does not exist, is of a kind the history does not hold, or does not lead to
//! where the record says everyone is.

use super::super::{events, ImportError};
use crate::domain::{Event, HelpId, ParticipantId, Place, RoomId};
use crate::export::history::HistoryEntry;
use crate::export::json::{record, Record};
use crate::export::sample::sample;

/// The sample's record with a history that places everyone where they are and closes the
/// closed room, each step at its own time, by the organizer.
fn with_history() -> (Record, ParticipantId) {
    let s = sample("en");
    let mut r = record(&s.state).expect("record");
    let mut history = Vec::new();
    let mut at = 1_700_000_000_000;
    for p in r.participants.iter().filter(|p| p.room != Place::Lobby) {
        at += 1000;
        history.push(HistoryEntry {
            at,
            by: Some(s.organizer),
            event: Event::ParticipantMoved {
                participant: p.id,
                from: Place::Lobby,
                room: p.room,
            },
        });
    }
    history.push(HistoryEntry {
        at: at + 5,
        by: Some(s.organizer),
        event: Event::BroadcastSent {
            text: "Back at 11:00".into(),
            room: None,
            by: s.organizer,
            at: Some(at + 5),
        },
    });
    for room in r.rooms.iter().filter(|r| !r.open) {
        history.push(HistoryEntry {
            at: at + 10,
            by: None,
            event: Event::RoomClosed { room: room.id },
        });
    }
    r.history = Some(history);
    (r, s.organizer)
}

#[test]
fn a_history_is_written_back_with_its_times_and_actors() {
    let (r, organizer) = with_history();
    let imported = events(&r).expect("import");
    let history = r.history.clone().expect("history");
    let logged: Vec<HistoryEntry> = imported
        .events
        .iter()
        .zip(&imported.logged)
        .filter_map(|(e, l)| {
            l.map(|(at, by)| HistoryEntry {
                at,
                by,
                event: e.clone(),
            })
        })
        .collect();
    assert_eq!(logged, history);
    // No step of the import's own placed anyone: only the history's moves are in the log.
    let moves = imported
        .events
        .iter()
        .filter(|e| matches!(e, Event::ParticipantMoved { .. }))
        .count();
    assert_eq!(moves, history.len() - 2);
    assert_eq!(imported.state.session.broadcasts.len(), 1);
    assert_eq!(imported.state.session.broadcasts[0].by, organizer);
    // The rebuilt workshop's record, with that history, is the record imported.
    let mut again = record(&imported.state).expect("record");
    again.history = Some(history);
    assert!(again == r, "the imported workshop's record differs");
}

fn refused(edit: impl FnOnce(&mut Vec<HistoryEntry>)) -> String {
    let (mut r, _) = with_history();
    edit(r.history.as_mut().expect("history"));
    match events(&r) {
        Err(ImportError::Invalid(e)) => e,
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("imported"),
    }
}

#[test]
fn a_history_that_does_not_hold_together_is_refused() {
    let stranger = ParticipantId::random();
    let e = refused(|h| h[0].by = Some(stranger));
    assert!(
        e.contains("history[0]") && e.contains("no participant"),
        "{e}"
    );
    let e = refused(|h| {
        h.push(HistoryEntry {
            at: 1,
            by: None,
            event: Event::TimerCancelled {
                room: RoomId::random(),
            },
        })
    });
    assert!(e.contains("history[") && e.contains("room"), "{e}");
    let e = refused(|h| {
        h.push(HistoryEntry {
            at: 1,
            by: None,
            event: Event::HelpResolved {
                request: HelpId::random(),
                by: stranger,
            },
        })
    });
    assert!(e.contains("no help request"), "{e}");
    let e = refused(|h| {
        h.push(HistoryEntry {
            at: 1,
            by: None,
            event: Event::CodeRotated {
                role: crate::domain::Role::Delegate,
                code: "ABC".into(),
            },
        })
    });
    assert!(e.contains("not part of the history"), "{e}");
    let e = refused(|h| {
        for entry in h.iter_mut() {
            if let Event::BroadcastSent { text, .. } = &mut entry.event {
                text.push_str(&"x".repeat(2000));
            }
        }
    });
    assert!(e.contains("history["), "{e}");
    // Without its moves, nobody ends where the record says they are.
    let e = refused(|h| h.retain(|e| !matches!(e.event, Event::ParticipantMoved { .. })));
    assert!(e.contains("participants["), "{e}");
}
