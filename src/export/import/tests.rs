use super::*;
use crate::export::json::{record, render};
use crate::export::sample::sample;

#[test]
fn a_record_imports_into_the_same_workshop() {
    let s = sample("es");
    let original = record(&s.state).expect("record");
    let imported = events(&original).expect("import");
    assert_eq!(imported.workshop, s.state.id);
    assert_eq!(imported.organizer, s.organizer);
    assert_eq!(record(&imported.state).expect("record"), original);
    assert_eq!(
        render(&imported.state).expect("json"),
        render(&s.state).expect("json")
    );
    // The rebuilt log replays to the same state.
    let mut replayed = Workshop::empty(imported.workshop);
    for (i, e) in imported.events.iter().enumerate() {
        replayed.apply(i as u64 + 1, e);
    }
    assert_eq!(replayed, imported.state);
}

#[test]
fn the_record_keeps_hidden_cards_history_and_audit() {
    let s = sample("en");
    let r = record(&s.state).expect("record");
    let hidden = r
        .cards
        .iter()
        .find(|c| c.id == s.hidden)
        .expect("hidden card");
    assert!(hidden.hidden);
    assert_eq!(hidden.history.len(), 3);
    let edited = r.cards.iter().find(|c| c.edited).expect("edited card");
    assert_eq!(edited.history[0].previous_text.as_deref(), Some("Uno"));
    assert_eq!(
        edited.history[1].previous_text.as_deref(),
        Some("Uno editado")
    );
    assert_eq!(r.moderation.len(), 5);
    assert!(r.groups.iter().any(|g| g.cards.is_empty()));
    assert!(
        r.cards.iter().all(|c| c.text != "borrada"),
        "deleted cards are gone"
    );
    let json = String::from_utf8(render(&s.state).expect("json")).expect("utf-8");
    assert!(!json.contains("token"));
}

fn reimport(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Imported, ImportError> {
    let s = sample("en");
    let mut v = serde_json::to_value(record(&s.state).expect("record")).expect("value");
    edit(&mut v);
    let bytes = serde_json::to_vec(&v).expect("bytes");
    events(&parse(&bytes)?)
}

#[test]
fn other_schema_versions_are_refused_clearly() {
    let err = reimport(|v| v["schema_version"] = 2.into())
        .err()
        .expect("refused");
    assert!(matches!(err, ImportError::Version(2)), "{err}");
    let err = parse(b"{\"title\": 1}").expect_err("refused");
    assert!(matches!(err, ImportError::Unreadable(_)), "{err}");
    let err = parse(b"not json").expect_err("refused");
    assert!(matches!(err, ImportError::Unreadable(_)), "{err}");
}

/// A change made to an exported record by hand.
type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

#[test]
fn inconsistent_records_are_refused() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "no participant",
            Box::new(|v| v["cards"][0]["author"] = ParticipantId::random().to_string().into()),
        ),
        (
            "no card",
            Box::new(|v| v["conclusions"][0]["cards"][0] = CardId::random().to_string().into()),
        ),
        ("cards[0]", Box::new(|v| v["cards"][0]["votes"] = 99.into())),
        (
            "conclusions[0]",
            Box::new(|v| v["conclusions"][0]["support"]["votes"] = 99.into()),
        ),
        (
            "exactly one organizer",
            Box::new(|v| {
                let ps = v["participants"].as_array_mut().expect("participants");
                for p in ps {
                    p["role"] = "delegate".into();
                }
            }),
        ),
        (
            "group that does not exist",
            Box::new(|v| v["cards"][1]["group"] = GroupId::random().to_string().into()),
        ),
        (
            "a count must be",
            Box::new(|v| v["votes"][0]["count"] = 0.into()),
        ),
        (
            "no theme",
            Box::new(|v| v["cards"][0]["theme"] = "astrology".into()),
        ),
        (
            "unknown field",
            Box::new(|v| v["cards"][0]["colour"] = "red".into()),
        ),
    ];
    for (expected, edit) in cases {
        let err = reimport(edit).err().expect("refused");
        assert!(
            err.to_string().contains(expected),
            "{expected:?} not in {err}"
        );
    }
}
