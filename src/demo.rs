//! `cabildo demo`: loads the reference workshop (Going Digital, 24 June 2020) and prints
//! ready-to-use tokens, the way a real organizer would set it up: create the workshop,
//! register everyone on the roster (preferred rooms, heads of delegation, a personal link
//! each, and three people who have not arrived yet), let everyone join with their link,
//! post the cards, tag them with their themes, write the draft conclusions citing them, run
//! part of the reference agenda and open a review by delegations with a few answers.
//!
//! Every step goes through the same hub calls and domain rules as live traffic. The fixture
//! is compiled into the binary, so a copied binary needs no other file.

use crate::domain::review::{AnswerKind, AnswerRule};
use crate::domain::settings::limits;
use crate::domain::{CardId, Column, Command, ConclusionId, ParticipantId, Place, Settings, Theme};
use crate::hub::{Hub, JoinRequest, NewWorkshop};
use crate::protocol::Outcome;
use anyhow::{anyhow, bail, Context};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

#[path = "demo/roster.rs"]
mod roster;

/// The reference workshop, as shipped in `data/`.
pub const FIXTURE: &str = include_str!("../data/going-digital-2020.json");

#[derive(Deserialize)]
pub struct Fixture {
    pub workshop: FixtureWorkshop,
    pub rooms: Vec<FixtureRoom>,
    pub participants: Vec<FixtureParticipant>,
    pub cards: Vec<FixtureCard>,
    pub conclusions: Vec<FixtureConclusion>,
}

#[derive(Deserialize)]
pub struct FixtureWorkshop {
    pub title: String,
    pub language: String,
    pub languages: Vec<String>,
    pub columns: Vec<Column>,
    pub themes: Vec<Theme>,
    pub votes_per_participant: u32,
}

#[derive(Deserialize)]
pub struct FixtureRoom {
    pub key: String,
    pub name: String,
}

#[derive(Deserialize)]
pub struct FixtureParticipant {
    pub key: String,
    pub display_name: String,
    pub country: Option<String>,
    pub language: String,
    pub role: String,
    pub room: Option<String>,
}

#[derive(Deserialize)]
pub struct FixtureCard {
    pub key: String,
    pub author: String,
    pub room: String,
    pub column: String,
    pub theme: Option<String>,
    pub text: String,
}

#[derive(Deserialize)]
pub struct FixtureConclusion {
    pub theme: String,
    pub text: String,
    pub cards: Vec<String>,
}

pub fn fixture() -> anyhow::Result<Fixture> {
    serde_json::from_str(FIXTURE).context("the bundled fixture is unreadable")
}

fn expect_ack(outcome: Outcome, what: &str) -> anyhow::Result<()> {
    match outcome {
        Outcome::Ack { .. } => Ok(()),
        Outcome::Error { code, message, .. } => bail!("{what}: {} ({message})", code.as_str()),
    }
}

/// Creates the reference workshop in `hub` and prints how to use it.
pub async fn load(hub: &Arc<Hub>, base_url: &str) -> anyhow::Result<()> {
    let fx = fixture()?;
    let w = fx.workshop;
    let created = hub
        .create_workshop(NewWorkshop {
            settings: Settings {
                title: w.title,
                language: w.language,
                languages: w.languages,
                columns: w.columns,
                themes: w.themes,
                votes_per_participant: w.votes_per_participant.min(limits::VOTES_MAX),
                max_votes_per_card: None,
                votes_visibility: Default::default(),
                delegates_can_group: false,
            },
            rooms: fx.rooms.iter().map(|r| r.name.clone()).collect(),
        })
        .await
        .map_err(|e| anyhow!("creating the demo workshop: {e}"))?;
    let room_of: HashMap<&str, _> = fx
        .rooms
        .iter()
        .zip(&created.rooms)
        .map(|(f, r)| (f.key.as_str(), r.id))
        .collect();
    let handle = hub.workshop(created.id).await.map_err(|e| anyhow!("{e}"))?;

    // The roster, registered before the session: everyone of the fixture with their
    // preferred room, the first delegate of each country as head of delegation, and a
    // personal link each; plus a few registered people who have not arrived yet.
    let links =
        roster::register(hub, &handle, created.organizer, &fx.participants, &room_of).await?;

    let mut ids: HashMap<&str, ParticipantId> = HashMap::new();
    let mut tokens: Vec<(String, String, String)> = Vec::new();
    for p in &fx.participants {
        if p.role == "organizer" {
            ids.insert(&p.key, created.organizer);
            continue;
        }
        // Everyone arrives with their personal link: no form, placed in their room.
        let link = links
            .get(p.key.as_str())
            .ok_or_else(|| anyhow!("no personal link for {}", p.key))?;
        let joined = hub
            .join(
                created.id,
                JoinRequest {
                    code: String::new(),
                    name: String::new(),
                    country: None,
                    language: p.language.clone(),
                    idempotency_key: None,
                    personal_link: Some(link.clone()),
                },
            )
            .await
            .map_err(|e| anyhow!("joining {}: {e}", p.key))?;
        ids.insert(&p.key, joined.participant.id);
        tokens.push((p.role.clone(), p.display_name.clone(), joined.token));
        if let Some(room) = &p.room {
            let to = Place::Room(
                *room_of
                    .get(room.as_str())
                    .ok_or_else(|| anyhow!("room {room}"))?,
            );
            if joined.participant.room == to {
                continue;
            }
            let command = Command::MoveParticipant {
                participant: joined.participant.id,
                to,
            };
            let outcome = hub
                .execute(
                    &handle,
                    created.organizer,
                    format!("demo-move-{}", p.key),
                    command,
                )
                .await
                .map_err(|e| anyhow!("{e}"))?;
            expect_ack(outcome, &format!("placing {}", p.key))?;
        }
    }
    let mut card_ids: HashMap<&str, CardId> = HashMap::new();
    let organizer = created.organizer;
    let run = |id: String, command: Command, who: ParticipantId| {
        let handle = handle.clone();
        async move {
            let outcome = hub
                .execute(&handle, who, id.clone(), command)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            expect_ack(outcome, &id)
        }
    };
    if let Some(lead) = ids.get("lead") {
        let command = Command::SetLead { participant: *lead };
        run("demo-lead".into(), command, organizer).await?;
    }
    for card in &fx.cards {
        let author = *ids
            .get(card.author.as_str())
            .ok_or_else(|| anyhow!("author {}", card.author))?;
        let room = *room_of
            .get(card.room.as_str())
            .ok_or_else(|| anyhow!("room {}", card.room))?;
        let id = CardId::random();
        card_ids.insert(&card.key, id);
        let command = Command::PostCard {
            card: id,
            room,
            column: card.column.clone(),
            text: card.text.clone(),
        };
        run(format!("demo-post-{}", card.key), command, author).await?;
        if let Some(theme) = &card.theme {
            let command = Command::TagCard {
                card: id,
                theme: Some(theme.clone()),
            };
            run(format!("demo-tag-{}", card.key), command, organizer).await?;
        }
    }
    let mut conclusion_ids: Vec<ConclusionId> = Vec::new();
    for (n, conclusion) in fx.conclusions.iter().enumerate() {
        let cards = conclusion
            .cards
            .iter()
            .map(|k| {
                card_ids
                    .get(k.as_str())
                    .copied()
                    .ok_or_else(|| anyhow!("card {k}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let id = ConclusionId::random();
        conclusion_ids.push(id);
        let command = Command::AddConclusion {
            conclusion: id,
            theme: conclusion.theme.clone(),
            text: conclusion.text.clone(),
            cards,
        };
        run(format!("demo-conclusion-{n}"), command, organizer).await?;
    }
    run_agenda(&run, organizer).await?;

    // A review by delegations in progress (`docs/protocol/review.md`), open for a week:
    // Argentina endorsed everything, Bolivia endorsed with a reservation, Brazil commented
    // and was answered; the other countries have not answered yet.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let command = Command::OpenReview {
        deadline: now + 7 * 24 * 3600 * 1000,
        rule: AnswerRule::All,
        now,
    };
    run("demo-review-open".into(), command, organizer).await?;
    let delegate = |key: &str| {
        ids.get(key)
            .copied()
            .ok_or_else(|| anyhow!("the demo's review needs delegate {key}"))
    };
    let answer =
        |conclusion: ConclusionId, answer: AnswerKind, text: Option<&str>| Command::AnswerReview {
            conclusion,
            version: 1,
            answer,
            text: text.map(str::to_string),
            now,
        };
    for (n, id) in conclusion_ids.iter().enumerate() {
        let command = answer(*id, AnswerKind::Endorse, None);
        run(format!("demo-review-ar-{n}"), command, delegate("ar-1")?).await?;
    }
    if let [first, second, ..] = conclusion_ids.as_slice() {
        let reserve = answer(
            *first,
            AnswerKind::Reserve,
            Some("Endorsed, provided connectivity targets include rural municipalities."),
        );
        run("demo-review-bo".into(), reserve, delegate("bo-1")?).await?;
        let comment = answer(
            *second,
            AnswerKind::Comment,
            Some("Could the text name the regional data-sharing agreements?"),
        );
        run("demo-review-br".into(), comment, delegate("br-1")?).await?;
        let reply = Command::ReplyReview {
            conclusion: *second,
            country: "BR".into(),
            text: "Yes: the next revision names them.".into(),
        };
        run("demo-review-reply".into(), reply, organizer).await?;
    }

    println!();
    println!("Demo workshop loaded: {}", created.settings.title);
    println!("  workshop id:      {}", created.id);
    println!("  facilitator code: {}", created.codes.facilitator);
    println!("  delegate code:    {}", created.codes.delegate);
    println!(
        "  join:             POST {base_url}/api/workshops/{}/join",
        created.id
    );
    println!("  organizer token:  {}", created.organizer_token);
    let facilitators = tokens.iter().filter(|t| t.0 == "facilitator");
    let delegates = tokens.iter().filter(|t| t.0 == "delegate").take(4);
    for (_, name, token) in facilitators.chain(delegates) {
        println!("  {name:<20} token: {token}");
    }
    println!(
        "  connect: ws://{}/ws and send {{\"type\":\"hello\",\"token\":\"<token>\"}}",
        base_url.trim_start_matches("http://")
    );
    Ok(())
}

/// The reference agenda, partly run: the opening plenary, the presentation and the hidden
/// brainstorm are over and the reveal runs, a few minutes behind the plan, so a newcomer
/// sees the agenda at work (the segments' times are set in the recent past).
async fn run_agenda<F, Fut>(run: &F, organizer: ParticipantId) -> anyhow::Result<()>
where
    F: Fn(String, Command, ParticipantId) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let segments = crate::domain::agenda::reference();
    let command = Command::SetAgenda {
        version: 0,
        segments,
    };
    run("demo-agenda".into(), command, organizer).await?;
    let now = crate::hub::now_ms();
    let minutes_ago = |m: i64| now - m * 60_000;
    // Welcome (15 min planned) took 18, the presentation (20) took 22, the breakout (25)
    // took 26: the reveal started 4 minutes ago, 6 minutes behind the plan.
    for (version, started) in [(1, 70), (2, 52), (3, 30), (4, 4)] {
        let command = Command::NextSegment {
            version,
            now: minutes_ago(started),
        };
        run(format!("demo-agenda-{version}"), command, organizer).await?;
    }
    Ok(())
}
