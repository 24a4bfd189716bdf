//! A national brief: what one country's delegation did in the workshop — its delegates and
//! the rooms they took part in, the cards they raised by column and by theme, the
//! conclusions their cards support (with the other countries that support them) and, per
//! conclusion, their delegation's answer in the review by delegations (`domain::review`).
//!
//! Like the report (`report.rs`), the brief is worked out once here, in the workshop's
//! language, with hidden cards left out; `brief_render.rs` lays it out as Markdown, HTML,
//! DOCX, CSV or JSON. Conclusions are numbered as the report numbers them, so a brief and
//! the report can be read side by side.

use super::report::conclusion_numbers;
use super::{countries, printable, sort_key, Date, Lang};
use crate::domain::reports::{effective_theme, UNTAGGED};
use crate::domain::{Card, CardId, ConclusionId, ConclusionStatus, Place, Role, Workshop};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One country's brief.
#[derive(Clone, Debug, Serialize)]
pub struct Brief {
    /// The ISO 3166-1 alpha-2 code, upper case.
    pub country: String,
    /// The country's name in the workshop's language.
    pub country_name: String,
    pub workshop_title: String,
    /// `en`, `es` or `pt`: the workshop's language, which the brief is written in.
    pub language: &'static str,
    /// The generation date, written out.
    pub date: String,
    /// The workshop is still running: the brief may change.
    pub draft: bool,
    /// Sorted by name.
    pub delegates: Vec<BriefDelegate>,
    /// The board's columns in order, each with the delegation's visible cards (columns
    /// without any left out).
    pub by_column: Vec<CardSection>,
    /// The workshop's themes in order, then the cards without one.
    pub by_theme: Vec<CardSection>,
    /// The conclusions citing at least one of the delegation's visible cards, in the
    /// report's order and numbering.
    pub conclusions: Vec<BriefConclusion>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BriefDelegate {
    pub name: String,
    /// The rooms they are in or took part in (posted or voted), in the workshop's order.
    pub rooms: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CardSection {
    pub title: String,
    pub cards: Vec<BriefCard>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BriefCard {
    pub id: CardId,
    pub room: String,
    pub column: String,
    pub theme: Option<String>,
    pub text: String,
    pub votes: u32,
    /// Numbers of the conclusions citing it.
    pub conclusions: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BriefConclusion {
    pub id: ConclusionId,
    /// As numbered in the report.
    pub number: usize,
    pub theme: String,
    pub text: String,
    pub status: ConclusionStatus,
    /// The delegation's cards it cites, by their text.
    pub cards: Vec<String>,
    /// The other countries whose visible cards it cites, by name, sorted.
    pub other_countries: Vec<String>,
    /// The delegation's endorsement of this conclusion, written out in the workshop's
    /// language (`endorsement`); `None` while no review was opened. Every renderer shows
    /// this one field in its own delimited place.
    pub endorsement: Option<String>,
}

/// Why a brief cannot be made.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BriefError {
    #[error("{0:?} is not an ISO 3166-1 alpha-2 country code")]
    UnknownCode(String),
    #[error("no delegate of {0} took part in this workshop")]
    NoDelegation(String),
}

/// `code` as a country code the brief can be asked for: two ASCII letters of a known
/// country, any case; upper-cased.
pub fn country_code(code: &str) -> Result<String, BriefError> {
    let upper = code.trim().to_ascii_uppercase();
    if upper.len() == 2
        && upper.bytes().all(|b| b.is_ascii_uppercase())
        && crate::domain::countries::exists(&upper)
    {
        Ok(upper)
    } else {
        Err(BriefError::UnknownCode(code.chars().take(16).collect()))
    }
}

/// The countries a brief can be made for: those of the workshop's delegates, sorted by code.
pub fn countries(state: &Workshop) -> Vec<String> {
    let codes: BTreeSet<&str> = state
        .participants
        .values()
        .filter(|p| p.role == Role::Delegate)
        .filter_map(|p| p.country.as_deref())
        .collect();
    codes.into_iter().map(str::to_string).collect()
}

/// The brief of `country` (an upper-case code, see `country_code`).
pub fn build(state: &Workshop, country: &str, date: Date) -> Result<Brief, BriefError> {
    let lang = Lang::of(state);
    let labels = lang.labels();
    let settings = state
        .settings
        .as_ref()
        .ok_or_else(|| BriefError::NoDelegation(country.to_string()))?;
    let delegation: Vec<&crate::domain::Participant> = state
        .participants
        .values()
        .filter(|p| p.role == Role::Delegate && p.country.as_deref() == Some(country))
        .collect();
    if delegation.is_empty() {
        return Err(BriefError::NoDelegation(country.to_string()));
    }
    let ours = |id: crate::domain::ParticipantId| delegation.iter().any(|d| d.id == id);
    let country_of = |card: &Card| {
        state
            .participants
            .get(&card.author)
            .filter(|p| p.role == Role::Delegate)
            .and_then(|p| p.country.clone())
    };
    let mut visible: Vec<&Card> = state.cards.values().filter(|c| !c.hidden).collect();
    visible.sort_by_key(|c| c.seq);
    let numbers = conclusion_numbers(state);
    let number_of: HashMap<ConclusionId, usize> = numbers.iter().copied().collect();
    let column_title = |key: &str| {
        settings.columns.iter().find(|c| c.key == key).map_or_else(
            || key.to_string(),
            |c| printable(labels.title(&c.key, &c.title)),
        )
    };
    let theme_title = |key: &str| {
        settings.themes.iter().find(|t| t.key == key).map_or_else(
            || key.to_string(),
            |t| printable(labels.title(&t.key, &t.title)),
        )
    };
    let room_name = |room| {
        state
            .room(room)
            .map(|r| printable(&r.name))
            .unwrap_or_default()
    };

    // Delegates, with every room they are in or took part in.
    let mut took_part: BTreeSet<(crate::domain::ParticipantId, crate::domain::RoomId)> =
        BTreeSet::new();
    for c in &visible {
        took_part.insert((c.author, c.room));
        for voter in state.votes.get(&c.id).into_iter().flat_map(|v| v.keys()) {
            took_part.insert((*voter, c.room));
        }
    }
    let mut delegates: Vec<BriefDelegate> = delegation
        .iter()
        .map(|p| BriefDelegate {
            name: printable(&p.name),
            rooms: state
                .rooms
                .iter()
                .filter(|r| p.room == Place::Room(r.id) || took_part.contains(&(p.id, r.id)))
                .map(|r| printable(&r.name))
                .collect(),
        })
        .collect();
    delegates.sort_by_key(|d| sort_key(&d.name));

    // Their cards.
    let cards: Vec<BriefCard> = visible
        .iter()
        .filter(|c| ours(c.author))
        .map(|c| {
            let mut cited: Vec<usize> = state
                .conclusions
                .iter()
                .filter(|k| k.cards.contains(&c.id))
                .filter_map(|k| number_of.get(&k.id).copied())
                .collect();
            cited.sort_unstable();
            BriefCard {
                id: c.id,
                room: room_name(c.room),
                column: column_title(&c.column),
                theme: effective_theme(state, c).map(theme_title),
                text: printable(&c.text),
                votes: state.votes_on(c.id),
                conclusions: cited,
            }
        })
        .collect();
    let section = |title: String, pick: &dyn Fn(&Card) -> bool| CardSection {
        title,
        cards: visible
            .iter()
            .filter(|c| ours(c.author) && pick(c))
            .filter_map(|c| cards.iter().find(|b| b.id == c.id).cloned())
            .collect(),
    };
    let by_column: Vec<CardSection> = settings
        .columns
        .iter()
        .map(|col| section(column_title(&col.key), &|c: &Card| c.column == col.key))
        .filter(|s| !s.cards.is_empty())
        .collect();
    let by_theme: Vec<CardSection> = settings
        .themes
        .iter()
        .map(|t| t.key.as_str())
        .chain([UNTAGGED])
        .map(|key| {
            let title = if key == UNTAGGED {
                labels.no_theme.to_string()
            } else {
                theme_title(key)
            };
            section(title, &|c: &Card| {
                effective_theme(state, c).unwrap_or(UNTAGGED) == key
            })
        })
        .filter(|s| !s.cards.is_empty())
        .collect();

    // The conclusions their visible cards support, each with the delegation's answer in
    // the review by delegations (when one was opened).
    let endorsements = crate::domain::review::country_record(state, country);
    let mut conclusions = Vec::new();
    for (id, number) in &numbers {
        let Ok(k) = state.conclusion(*id) else {
            continue;
        };
        let cited: Vec<&Card> = k
            .cards
            .iter()
            .filter_map(|c| state.cards.get(c))
            .filter(|c| !c.hidden)
            .collect();
        let mine: Vec<String> = cited
            .iter()
            .filter(|c| ours(c.author))
            .map(|c| printable(&c.text))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let others: BTreeSet<String> = cited
            .iter()
            .filter_map(|c| country_of(c))
            .filter(|c| c != country)
            .collect();
        let mut other_countries: Vec<String> =
            others.iter().map(|c| countries::name(c, lang)).collect();
        other_countries.sort_by_key(|n| sort_key(n));
        conclusions.push(BriefConclusion {
            id: k.id,
            number: *number,
            theme: theme_title(&k.theme),
            text: printable(&k.text),
            status: k.status,
            cards: mine,
            other_countries,
            endorsement: endorsements
                .as_ref()
                .map(|r| endorsement(state, r, k.id, lang.brief_labels())),
        });
    }

    Ok(Brief {
        country: country.to_string(),
        country_name: countries::name(country, lang),
        workshop_title: printable(&settings.title),
        language: lang.code(),
        date: date.long(labels),
        draft: super::is_draft(state),
        delegates,
        by_column,
        by_theme,
        conclusions,
    })
}

/// The delegation's answer on conclusion `id`, written out: endorsed, endorsed with a
/// reservation or commented (with the text, who answered, and the facilitators' reply), or
/// not answered yet. A closed review says the answer is final.
fn endorsement(
    state: &Workshop,
    record: &crate::domain::review::CountryRecord,
    id: ConclusionId,
    l: &BriefLabels,
) -> String {
    use crate::domain::review::AnswerKind;
    let answer = record
        .conclusions
        .iter()
        .find(|c| c.conclusion == id)
        .and_then(|c| c.answer.as_ref());
    let Some(a) = answer else {
        return if record.closed {
            l.no_answer_closed.to_string()
        } else {
            l.no_answer.to_string()
        };
    };
    let what = match a.answer {
        AnswerKind::Endorse => l.endorsed,
        AnswerKind::Reserve => l.reserved,
        AnswerKind::Comment => l.commented,
    };
    let mut line = match &a.text {
        Some(text) => format!("{what}: \u{201c}{}\u{201d}", printable(text)),
        None => what.to_string(),
    };
    line.push_str(&format!(" ({} {})", l.answered_by, printable(&a.by_name)));
    if let Some(reply) = &a.reply {
        let by = state
            .participants
            .get(&reply.by)
            .map(|p| printable(&p.name))
            .unwrap_or_default();
        line.push_str(&format!(
            ". {} ({by}): \u{201c}{}\u{201d}",
            l.reply,
            printable(&reply.text)
        ));
    }
    line
}

/// The fixed words of a brief, in one language (the report's `Labels` give the rest).
pub(crate) struct BriefLabels {
    pub brief: &'static str,
    pub delegation: &'static str,
    pub by_column: &'static str,
    pub by_theme: &'static str,
    pub conclusions: &'static str,
    pub no_conclusions: &'static str,
    pub their_cards: &'static str,
    pub also_supported_by: &'static str,
    pub only_this_country: &'static str,
    pub endorsement: &'static str,
    pub no_endorsement: &'static str,
    pub endorsed: &'static str,
    pub reserved: &'static str,
    pub commented: &'static str,
    pub answered_by: &'static str,
    pub reply: &'static str,
    pub no_answer: &'static str,
    pub no_answer_closed: &'static str,
}

impl Lang {
    pub(crate) fn brief_labels(self) -> &'static BriefLabels {
        match self {
            Lang::En => &BRIEF_EN,
            Lang::Es => &BRIEF_ES,
            Lang::Pt => &BRIEF_PT,
        }
    }

    /// The language `brief` is written in.
    pub(crate) fn of_brief(brief: &Brief) -> Lang {
        match brief.language {
            "es" => Lang::Es,
            "pt" => Lang::Pt,
            _ => Lang::En,
        }
    }
}

static BRIEF_EN: BriefLabels = BriefLabels {
    brief: "National brief",
    delegation: "Delegation",
    by_column: "Cards by column",
    by_theme: "Cards by theme",
    conclusions: "Conclusions their cards support",
    no_conclusions: "No conclusion cites this delegation's cards yet.",
    their_cards: "Their cards",
    also_supported_by: "Also supported by",
    only_this_country: "no other country",
    endorsement: "Delegation's endorsement",
    no_endorsement: "not recorded",
    endorsed: "Endorsed",
    reserved: "Endorsed with a reservation",
    commented: "Commented",
    answered_by: "answered by",
    reply: "Reply",
    no_answer: "no answer yet",
    no_answer_closed: "no answer (the review is closed)",
};

static BRIEF_ES: BriefLabels = BriefLabels {
    brief: "Informe nacional",
    delegation: "Delegación",
    by_column: "Tarjetas por columna",
    by_theme: "Tarjetas por tema",
    conclusions: "Conclusiones que respaldan sus tarjetas",
    no_conclusions: "Todavía ninguna conclusión cita tarjetas de esta delegación.",
    their_cards: "Sus tarjetas",
    also_supported_by: "También respaldada por",
    only_this_country: "ningún otro país",
    endorsement: "Respaldo de la delegación",
    no_endorsement: "sin registrar",
    endorsed: "Respaldada",
    reserved: "Respaldada con una reserva",
    commented: "Comentada",
    answered_by: "respondió",
    reply: "Respuesta",
    no_answer: "todavía sin respuesta",
    no_answer_closed: "sin respuesta (la revisión está cerrada)",
};

static BRIEF_PT: BriefLabels = BriefLabels {
    brief: "Relatório nacional",
    delegation: "Delegação",
    by_column: "Cartões por coluna",
    by_theme: "Cartões por tema",
    conclusions: "Conclusões que seus cartões apoiam",
    no_conclusions: "Nenhuma conclusão cita ainda os cartões desta delegação.",
    their_cards: "Seus cartões",
    also_supported_by: "Também apoiada por",
    only_this_country: "nenhum outro país",
    endorsement: "Endosso da delegação",
    no_endorsement: "não registrado",
    endorsed: "Endossada",
    reserved: "Endossada com uma reserva",
    commented: "Comentada",
    answered_by: "respondeu",
    reply: "Resposta",
    no_answer: "ainda sem resposta",
    no_answer_closed: "sem resposta (a revisão está encerrada)",
};
