//! Unit tests of reading and checking roster rows.

use super::*;
use crate::domain::settings::{default_room_names, Settings};
use crate::domain::{RoomId, WorkshopId};

fn workshop() -> Workshop {
    let id = WorkshopId::random();
    let rooms: Vec<RoomId> = (0..4).map(|_| RoomId::random()).collect();
    let settings = Settings {
        title: "T".into(),
        language: "en".into(),
        languages: vec!["en".into()],
        columns: crate::domain::settings::default_columns(),
        themes: crate::domain::settings::default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: Default::default(),
        delegates_can_group: false,
    };
    let events = Workshop::create(
        id,
        settings,
        default_room_names(),
        rooms,
        ParticipantId::random(),
    )
    .expect("a workshop");
    let mut w = Workshop::empty(id);
    for (i, e) in events.iter().enumerate() {
        w.apply(i as u64 + 1, e);
    }
    w
}

#[test]
fn the_header_line_decides_the_delimiter_and_names_the_columns_in_any_order() {
    for text in [
        "role,name,country\ndelegate,Ana,AR\n",
        "\u{feff}Rol;Nombre;País\r\ndelegada;Ana;AR\r\n",
        "Papel\tNome\tPaís\ndelegado\tAna\tAR\n",
    ] {
        let rows = parse_table(text).expect(text);
        assert_eq!(rows.len(), 1, "{text}");
        assert_eq!(
            (rows[0].row, rows[0].name.as_str(), rows[0].country.as_str()),
            (2, "Ana", "AR"),
            "{text}"
        );
    }
    // Quoted fields may hold the delimiter; blank lines are skipped but keep numbering.
    let rows = parse_table("name,country,role\n\n\"Pérez, Juan\",AR,\n").expect("quoted");
    assert_eq!((rows[0].row, rows[0].name.as_str()), (3, "Pérez, Juan"));
}

#[test]
fn a_table_without_its_needed_columns_or_rows_is_refused() {
    let e = parse_table("name,email\nAna,a@b.org\n").expect_err("no country, no role");
    let missing: Vec<_> = e.iter().map(|e| e.column).collect();
    assert_eq!(missing, [Some("country"), Some("role")]);
    assert_eq!(
        parse_table("  \n").expect_err("empty")[0].error,
        "no_header"
    );
    let mut big = String::from("name,country,role\n");
    for n in 0..=ROSTER_MAX {
        big.push_str(&format!("P{n},AR,\n"));
    }
    assert_eq!(
        parse_table(&big).expect_err("too big")[0].error,
        "too_many_rows"
    );
}

#[test]
fn each_bad_field_of_a_row_is_reported() {
    let w = workshop();
    let raw = RawRow {
        row: 7,
        name: " ".into(),
        country: "XX".into(),
        email: "nobody".into(),
        role: "chair".into(),
        room: "Kitchen".into(),
        head: "maybe".into(),
    };
    let errors: Vec<_> = check_row(&w, &raw, ParticipantId::random())
        .expect_err("bad")
        .into_iter()
        .map(|e| (e.row, e.error))
        .collect();
    assert_eq!(
        errors,
        [
            (7, "bad_role"),
            (7, "missing_name"),
            (7, "unknown_country"),
            (7, "bad_email"),
            (7, "unknown_room"),
            (7, "bad_head")
        ]
    );
    let good = RawRow {
        row: 2,
        name: "Ana".into(),
        country: "ar".into(),
        email: "ana@example.org".into(),
        role: "".into(),
        room: "room 2".into(),
        head: "sí".into(),
    };
    let p = check_row(&w, &good, ParticipantId::random()).expect("good");
    assert_eq!(
        (p.country.as_deref(), p.role, p.room, p.head),
        (Some("AR"), Role::Delegate, Some(w.rooms[1].id), true)
    );
}

#[test]
fn the_same_person_twice_is_a_duplicate_by_email_or_by_name_and_country() {
    let w = workshop();
    let person = |row, name: &str, country: &str, email: &str| {
        let raw = RawRow {
            row,
            name: name.into(),
            country: country.into(),
            email: email.into(),
            ..RawRow::default()
        };
        (
            row,
            check_row(&w, &raw, ParticipantId::random()).expect("valid"),
        )
    };
    let people = [
        person(2, "Ana Souza", "BR", ""),
        person(3, "ana  souza", "BR", ""),
        person(4, "Ana Souza", "PT", "x@y.org"),
        person(5, "Other", "AR", "X@y.org"),
    ];
    let errors: Vec<_> = check_additions(&w, &people)
        .expect_err("duplicates")
        .into_iter()
        .map(|e| e.row)
        .collect();
    assert_eq!(
        errors,
        [3, 5],
        "same name and country; same e-mail in any case"
    );
}
