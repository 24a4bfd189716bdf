//! What the workshop produced, derived from the state: what supports each conclusion, the
//! consolidation view (every room's cards by theme and column, with votes, groups and the
//! conclusions citing them) and the per-country overview.
//!
//! Pure functions of a `Workshop`; nothing here is stored. Only staff may see them (the hub
//! checks): they cover every room.

use super::{
    Card, CardId, Conclusion, ConclusionId, ConclusionStatus, GroupId, Place, Role, RoomId,
    Workshop,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Key used for cards without a theme.
pub const UNTAGGED: &str = "untagged";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoomRef {
    pub id: RoomId,
    pub name: String,
}

/// What backs a conclusion, derived from the cards it cites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Support {
    /// Rooms the cited cards come from, in the workshop's room order.
    pub rooms: Vec<RoomRef>,
    /// Countries of the delegates who wrote the cited cards (ISO codes, sorted). Staff
    /// speak for no country, as in the country overview.
    pub countries: Vec<String>,
    /// Votes the cited cards received.
    pub votes: u32,
    /// How many cited cards are on the record (moderated, hidden cards do not count).
    pub cards: usize,
}

pub fn support(state: &Workshop, conclusion: &Conclusion) -> Support {
    let cited: Vec<&Card> = conclusion
        .cards
        .iter()
        .filter_map(|id| state.cards.get(id))
        .filter(|c| !c.hidden)
        .collect();
    let rooms = state
        .rooms
        .iter()
        .filter(|r| cited.iter().any(|c| c.room == r.id))
        .map(|r| RoomRef {
            id: r.id,
            name: r.name.clone(),
        })
        .collect();
    let countries: BTreeSet<String> = cited
        .iter()
        .filter_map(|c| state.participants.get(&c.author))
        .filter(|p| p.role == Role::Delegate)
        .filter_map(|p| p.country.clone())
        .collect();
    Support {
        rooms,
        countries: countries.into_iter().collect(),
        votes: cited.iter().map(|c| state.votes_on(c.id)).sum(),
        cards: cited.len(),
    }
}

pub fn group_votes(state: &Workshop, group: GroupId) -> u32 {
    state
        .cards
        .values()
        .filter(|c| c.group == Some(group))
        .map(|c| state.votes_on(c.id))
        .sum()
}

/// A card's theme: its own tag, else its group's.
pub fn effective_theme<'a>(state: &'a Workshop, card: &'a Card) -> Option<&'a str> {
    card.theme.as_deref().or_else(|| {
        card.group
            .and_then(|g| state.groups.get(&g))
            .and_then(|g| g.theme.as_deref())
    })
}

/// One card with everything a facilitator consolidating needs to know about it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CardEntry {
    pub id: CardId,
    pub room: RoomId,
    pub room_name: String,
    pub column: String,
    pub theme: Option<String>,
    pub group: Option<GroupId>,
    pub group_name: Option<String>,
    pub text: String,
    pub author_country: Option<String>,
    pub votes: u32,
    pub hidden: bool,
    pub cited_by: Vec<ConclusionId>,
}

fn entry(state: &Workshop, card: &Card) -> CardEntry {
    let group = card.group.and_then(|g| state.groups.get(&g));
    CardEntry {
        id: card.id,
        room: card.room,
        room_name: state
            .room(card.room)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        column: card.column.clone(),
        theme: effective_theme(state, card).map(str::to_string),
        group: card.group,
        group_name: group.map(|g| g.name.clone()),
        text: card.text.clone(),
        // The country a card speaks for: its author's, when the author is a delegate.
        author_country: state
            .participants
            .get(&card.author)
            .filter(|p| p.role == Role::Delegate)
            .and_then(|p| p.country.clone()),
        votes: state.votes_on(card.id),
        hidden: card.hidden,
        cited_by: state
            .conclusions
            .iter()
            .filter(|c| c.cards.contains(&card.id))
            .map(|c| c.id)
            .collect(),
    }
}

/// Cards of all rooms in posting order.
fn cards_in_order(state: &Workshop) -> Vec<&Card> {
    let mut cards: Vec<&Card> = state.cards.values().collect();
    cards.sort_by_key(|c| c.seq);
    cards
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ColumnBlock {
    pub column: String,
    pub title: String,
    pub cards: Vec<CardEntry>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeBlock {
    /// A theme key, or `"untagged"`.
    pub theme: String,
    pub title: String,
    pub columns: Vec<ColumnBlock>,
}

/// Every room's cards by theme and column, and what no conclusion cites yet.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Consolidation {
    pub themes: Vec<ThemeBlock>,
    /// Visible cards that no conclusion cites yet, in posting order.
    pub unconsolidated: Vec<CardId>,
}

pub fn consolidation(state: &Workshop) -> Consolidation {
    let Some(settings) = state.settings.as_ref() else {
        return Consolidation {
            themes: Vec::new(),
            unconsolidated: Vec::new(),
        };
    };
    let entries: Vec<CardEntry> = cards_in_order(state)
        .into_iter()
        .map(|c| entry(state, c))
        .collect();
    let keys = settings
        .themes
        .iter()
        .map(|t| (Some(t.key.as_str()), t.title.as_str()))
        .chain([(None, "Untagged")]);
    let themes = keys
        .map(|(key, title)| ThemeBlock {
            theme: key.unwrap_or(UNTAGGED).to_string(),
            title: title.to_string(),
            columns: settings
                .columns
                .iter()
                .map(|col| ColumnBlock {
                    column: col.key.clone(),
                    title: col.title.clone(),
                    cards: entries
                        .iter()
                        .filter(|e| e.column == col.key && e.theme.as_deref() == key)
                        .cloned()
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Consolidation {
        themes,
        unconsolidated: entries
            .iter()
            .filter(|e| !e.hidden && e.cited_by.is_empty())
            .map(|e| e.id)
            .collect(),
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CitingConclusion {
    pub id: ConclusionId,
    pub theme: String,
    pub text: String,
    pub status: ConclusionStatus,
    /// The cards of this country it cites.
    pub cards: Vec<CardId>,
}

/// What one country's delegates raised: the raw material for a per-country brief.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountryOverview {
    pub country: String,
    pub delegates: usize,
    /// Rooms the country's delegates are in now.
    pub rooms: Vec<RoomRef>,
    /// Visible cards by the country's delegates, in posting order.
    pub cards: Vec<CardEntry>,
    pub by_column: BTreeMap<String, usize>,
    /// Counts per theme key, `"untagged"` for cards without one.
    pub by_theme: BTreeMap<String, usize>,
    pub conclusions: Vec<CitingConclusion>,
}

pub fn country_overview(state: &Workshop) -> Vec<CountryOverview> {
    let mut countries: BTreeMap<&str, Vec<&super::Participant>> = BTreeMap::new();
    for p in state.participants.values() {
        if let (Role::Delegate, Some(c)) = (p.role, p.country.as_deref()) {
            countries.entry(c).or_default().push(p);
        }
    }
    countries
        .into_iter()
        .map(|(country, delegates)| {
            let cards: Vec<CardEntry> = cards_in_order(state)
                .into_iter()
                .filter(|c| !c.hidden && delegates.iter().any(|d| d.id == c.author))
                .map(|c| entry(state, c))
                .collect();
            let mut by_column = BTreeMap::new();
            let mut by_theme = BTreeMap::new();
            for e in &cards {
                *by_column.entry(e.column.clone()).or_insert(0) += 1;
                let theme = e.theme.clone().unwrap_or_else(|| UNTAGGED.to_string());
                *by_theme.entry(theme).or_insert(0) += 1;
            }
            let conclusions = state
                .conclusions
                .iter()
                .filter_map(|k| {
                    let cited: Vec<CardId> = k
                        .cards
                        .iter()
                        .filter(|id| cards.iter().any(|e| e.id == **id))
                        .copied()
                        .collect();
                    (!cited.is_empty()).then(|| CitingConclusion {
                        id: k.id,
                        theme: k.theme.clone(),
                        text: k.text.clone(),
                        status: k.status,
                        cards: cited,
                    })
                })
                .collect();
            let rooms = state
                .rooms
                .iter()
                .filter(|r| delegates.iter().any(|d| d.room == Place::Room(r.id)))
                .map(|r| RoomRef {
                    id: r.id,
                    name: r.name.clone(),
                })
                .collect();
            CountryOverview {
                country: country.to_string(),
                delegates: delegates.len(),
                rooms,
                cards,
                by_column,
                by_theme,
                conclusions,
            }
        })
        .collect()
}
