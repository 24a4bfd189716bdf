//! A small workshop with a bit of everything (edits by author and moderator, a hidden
//! card, a card shown again, groups including an empty one, tags, votes, conclusions that
//! were edited and reordered, phases, a closed room, hostile texts), built through
//! `decide` and `apply` like a real one. Unit tests of the renderers and of import use it.

use crate::domain::settings::{default_columns, default_themes};
use crate::domain::{
    decide, Actor, CardId, Command, ConclusionId, ConclusionStatus, GroupId, ParticipantId, Phase,
    Place, Role, RoomId, Settings, Workshop, WorkshopId,
};

pub(super) struct Sample {
    pub state: Workshop,
    pub organizer: ParticipantId,
    pub hidden: CardId,
    pub hostile: CardId,
}

/// Markup of three languages and a control character XML cannot carry.
pub(super) const HOSTILE: &str =
    "<img src=x onerror=alert(1)> [x](https://evil.example) =1+2 \u{7}bell";
pub(super) const HIDDEN: &str = "A card the moderator hid";

struct Run {
    state: Workshop,
}

impl Run {
    fn as_(&mut self, who: ParticipantId, command: Command) {
        let events = decide(&self.state, Actor::Participant(who), &command)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        self.push(events);
    }

    fn push(&mut self, events: Vec<crate::domain::Event>) {
        for e in events {
            self.state.apply(self.state.seq + 1, &e);
        }
    }

    fn join(&mut self, name: &str, country: Option<&str>, role: Role) -> ParticipantId {
        let id = ParticipantId::random();
        let command = Command::Join {
            participant: id,
            name: name.into(),
            country: country.map(str::to_string),
            language: "es".into(),
            role,
        };
        let events = decide(&self.state, Actor::Server, &command).expect("join");
        self.push(events);
        id
    }
}

pub(super) fn sample(language: &str) -> Sample {
    let id = WorkshopId::random();
    let organizer = ParticipantId::random();
    let rooms = vec![RoomId::random(), RoomId::random()];
    let settings = Settings {
        title: "Revisión <Digital> & Co".into(),
        language: language.into(),
        languages: vec!["en".into(), "es".into(), "pt".into()],
        columns: default_columns(),
        themes: default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: Default::default(),
        delegates_can_group: false,
    };
    let created = Workshop::create(
        id,
        settings,
        vec!["Sala Norte".into(), "Sala *Sur*".into()],
        rooms.clone(),
        organizer,
    )
    .expect("create");
    let mut w = Run {
        state: Workshop::empty(id),
    };
    w.push(created);
    let fac = w.join("Fran", None, Role::Facilitator);
    let ana = w.join("Ana", Some("AR"), Role::Delegate);
    let bia = w.join("Bia", Some("BR"), Role::Delegate);
    let cam = w.join("Camila", Some("CL"), Role::Delegate);
    let _lobby = w.join("Dora", Some("PE"), Role::Delegate);
    for (who, room) in [(fac, 0), (ana, 0), (bia, 0), (cam, 1)] {
        w.as_(
            organizer,
            Command::MoveParticipant {
                participant: who,
                to: Place::Room(rooms[room]),
            },
        );
    }
    let post = |w: &mut Run, who, room: usize, column: &str, text: &str| {
        let card = CardId::random();
        w.as_(
            who,
            Command::PostCard {
                card,
                room: rooms[room],
                column: column.into(),
                text: text.into(),
            },
        );
        card
    };
    let one = post(&mut w, ana, 0, "strengths", "Uno");
    let hidden = post(&mut w, bia, 0, "problems", HIDDEN);
    let three = post(&mut w, cam, 1, "solutions", "Tres\ncon salto");
    let gone = post(&mut w, ana, 0, "strengths", "borrada");
    let hostile = post(&mut w, bia, 0, "solutions", HOSTILE);
    w.as_(ana, Command::DeleteCard { card: gone });
    w.as_(
        ana,
        Command::EditCard {
            card: one,
            text: "Uno editado".into(),
        },
    );
    w.as_(
        fac,
        Command::EditCard {
            card: one,
            text: "Uno moderado".into(),
        },
    );
    w.as_(fac, Command::HideCard { card: hidden });
    w.as_(fac, Command::ShowCard { card: hidden });
    w.as_(fac, Command::HideCard { card: hidden });
    let g1 = GroupId::random();
    w.as_(
        fac,
        Command::GroupCards {
            group: g1,
            cards: vec![one, hidden],
            name: "Grupo uno".into(),
        },
    );
    let g2 = GroupId::random();
    w.as_(
        organizer,
        Command::GroupCards {
            group: g2,
            cards: vec![three],
            name: "Vacío".into(),
        },
    );
    w.as_(
        organizer,
        Command::MoveCardToGroup {
            card: three,
            group: None,
        },
    );
    w.as_(
        fac,
        Command::TagCard {
            card: one,
            theme: Some("data".into()),
        },
    );
    w.as_(
        fac,
        Command::TagGroup {
            group: g1,
            theme: Some("governance".into()),
        },
    );
    w.as_(
        fac,
        Command::SetPhase {
            room: Some(rooms[0]),
            phase: Phase::Vote,
            hidden: false,
        },
    );
    w.as_(ana, Command::Vote { card: hostile });
    w.as_(ana, Command::Vote { card: hostile });
    w.as_(bia, Command::Vote { card: one });
    let k1 = ConclusionId::random();
    let k2 = ConclusionId::random();
    let k3 = ConclusionId::random();
    for (k, theme, text, cards) in [
        (k1, "data", "Datos abiertos", vec![one, three]),
        (k2, "governance", "Una estrategia", vec![hidden, hostile]),
        (k3, "data", "Interoperabilidad", vec![three]),
    ] {
        w.as_(
            organizer,
            Command::AddConclusion {
                conclusion: k,
                theme: theme.into(),
                text: text.into(),
                cards,
            },
        );
    }
    w.as_(
        fac,
        Command::EditConclusion {
            conclusion: k1,
            version: 1,
            text: Some("Datos abiertos, por defecto".into()),
            cards: None,
            theme: None,
            status: Some(ConclusionStatus::Final),
        },
    );
    w.as_(
        fac,
        Command::MoveConclusion {
            conclusion: k3,
            position: 0,
        },
    );
    w.as_(
        fac,
        Command::SetPhase {
            room: Some(rooms[0]),
            phase: Phase::Consolidate,
            hidden: false,
        },
    );
    w.as_(fac, Command::CloseRoom { room: rooms[1] });
    Sample {
        state: w.state,
        organizer,
        hidden,
        hostile,
    }
}
