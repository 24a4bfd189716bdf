//! The report as the Markdown, HTML and DOCX renderers lay it out: every section worked
//! out once from the workshop, in the workshop's language, with hidden cards left out.
//!
//! Renderers only choose markup; what the report says, in which order, lives here. Texts
//! are kept as typed (minus control characters): each renderer escapes them its own way.

use super::{countries, printable, sort_key, Date, Labels, Lang};
use crate::domain::reports::{self, effective_theme};
use crate::domain::{Card, CardId, ConclusionId, ConclusionStatus, Place, Role, Room, Workshop};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(super) struct Report {
    pub labels: &'static Labels,
    pub lang: Lang,
    pub title: String,
    /// The generation date, written out.
    pub date: String,
    pub draft: bool,
    pub delegates: usize,
    pub countries: Vec<CountryCount>,
    pub rooms: Vec<RoomPeople>,
    /// Delegates who were in no room (still in the lobby, no card posted).
    pub unplaced: Vec<Delegation>,
    /// Themes with at least one conclusion, in the organizer's order.
    pub themes: Vec<ThemeConclusions>,
    /// Cited cards, numbered in the order they are first cited.
    pub cited: Vec<CitedCard>,
    pub boards: Vec<Board>,
    pub overview: Vec<CountryView>,
    /// The review by delegations, when one was opened (`review.rs`).
    pub review: Option<super::review::ReviewSection>,
}

pub(super) struct CountryCount {
    pub name: String,
    pub delegates: usize,
}

pub(super) struct RoomPeople {
    pub name: String,
    /// Phase and whether the room is open, written out.
    pub status: String,
    pub facilitators: Vec<String>,
    pub delegations: Vec<Delegation>,
    /// Delegates who took part here (posted or voted) but are listed in another room (or
    /// none): each named with the room they are in now.
    pub moved_on: Vec<String>,
}

/// The delegates of one country in one place.
pub(super) struct Delegation {
    pub country: String,
    pub names: Vec<String>,
}

pub(super) struct ThemeConclusions {
    pub title: String,
    pub conclusions: Vec<ConclusionView>,
}

pub(super) struct ConclusionView {
    /// Numbered across the whole report, in the order the report shows them.
    pub number: usize,
    pub text: String,
    pub status: &'static str,
    pub rooms: Vec<String>,
    pub countries: Vec<String>,
    pub votes: u32,
    /// Numbers of the cited cards (see `Report::cited`).
    pub cited: Vec<usize>,
}

pub(super) struct CitedCard {
    pub number: usize,
    pub text: String,
    pub room: String,
    pub column: String,
    pub country: Option<String>,
    pub theme: Option<String>,
    pub votes: u32,
}

pub(super) struct Board {
    pub room: String,
    pub status: String,
    pub columns: Vec<BoardColumn>,
    pub groups: Vec<GroupView>,
}

pub(super) struct BoardColumn {
    pub title: String,
    pub cards: Vec<BoardCard>,
}

pub(super) struct BoardCard {
    pub text: String,
    pub group: Option<String>,
    pub theme: Option<String>,
    pub country: Option<String>,
    pub votes: u32,
    /// Numbers of the conclusions citing this card.
    pub conclusions: Vec<usize>,
}

pub(super) struct GroupView {
    pub name: String,
    pub theme: Option<String>,
    pub cards: usize,
    pub votes: u32,
}

pub(super) struct CountryView {
    pub name: String,
    pub delegates: usize,
    pub rooms: Vec<String>,
    /// Visible cards per column title, in column order (columns with none left out).
    pub by_column: Vec<(String, usize)>,
    /// Visible cards per theme title, in theme order, then those without a theme.
    pub by_theme: Vec<(String, usize)>,
    pub conclusions: Vec<usize>,
    pub cards: Vec<CountryCard>,
}

pub(super) struct CountryCard {
    pub column: String,
    pub room: String,
    pub text: String,
}

/// Conclusions in the order the report shows them: by theme in the organizer's order,
/// within a theme in the organizer's order; numbered from 1. Conclusions under a theme
/// that no longer exists (which the domain prevents) come last rather than vanish.
pub(super) fn conclusion_numbers(state: &Workshop) -> Vec<(ConclusionId, usize)> {
    let themes: Vec<&str> = state
        .settings
        .iter()
        .flat_map(|s| s.themes.iter().map(|t| t.key.as_str()))
        .collect();
    let rank = |theme: &str| {
        themes
            .iter()
            .position(|t| *t == theme)
            .unwrap_or(usize::MAX)
    };
    let mut ordered: Vec<(usize, usize, ConclusionId)> = state
        .conclusions
        .iter()
        .enumerate()
        .map(|(i, c)| (rank(&c.theme), i, c.id))
        .collect();
    ordered.sort();
    ordered
        .into_iter()
        .enumerate()
        .map(|(n, (_, _, id))| (id, n + 1))
        .collect()
}

/// Display helpers shared by the sections.
struct Names<'a> {
    state: &'a Workshop,
    labels: &'static Labels,
    lang: Lang,
}

impl Names<'_> {
    fn room(&self, room: crate::domain::RoomId) -> String {
        self.state
            .room(room)
            .map(|r| printable(&r.name))
            .unwrap_or_default()
    }

    fn column(&self, key: &str) -> String {
        self.state
            .settings
            .iter()
            .flat_map(|s| s.columns.iter())
            .find(|c| c.key == key)
            .map_or_else(
                || key.to_string(),
                |c| printable(self.labels.title(&c.key, &c.title)),
            )
    }

    fn theme(&self, key: &str) -> String {
        self.state
            .settings
            .iter()
            .flat_map(|s| s.themes.iter())
            .find(|t| t.key == key)
            .map_or_else(
                || key.to_string(),
                |t| printable(self.labels.title(&t.key, &t.title)),
            )
    }

    fn country(&self, code: &str) -> String {
        countries::name(code, self.lang)
    }

    fn author_country(&self, card: &Card) -> Option<String> {
        let p = self.state.participants.get(&card.author)?;
        p.country.as_deref().map(|c| self.country(c))
    }

    fn room_status(&self, room: &Room) -> String {
        let open = if room.open {
            self.labels.open
        } else {
            self.labels.closed
        };
        format!("{} · {open}", self.labels.phase(room.phase))
    }
}

/// Visible cards in posting order.
fn visible_cards(state: &Workshop) -> Vec<&Card> {
    let mut cards: Vec<&Card> = state.cards.values().filter(|c| !c.hidden).collect();
    cards.sort_by_key(|c| c.seq);
    cards
}

/// Groups people by country (sorted by the country's name), names sorted within; `moved`
/// names, beside a person, the other rooms they posted in.
fn delegations(
    names: &Names<'_>,
    people: &[&crate::domain::Participant],
    moved: &HashMap<crate::domain::ParticipantId, Vec<String>>,
) -> Vec<Delegation> {
    let mut by_country: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for p in people {
        let name = match moved.get(&p.id) {
            Some(rooms) if !rooms.is_empty() => format!(
                "{} ({} {})",
                printable(&p.name),
                names.labels.moved_from,
                rooms.join(", ")
            ),
            _ => printable(&p.name),
        };
        let country = p
            .country
            .as_deref()
            .map_or_else(String::new, |c| names.country(c));
        by_country
            .entry(sort_key(&country))
            .or_insert_with(|| (country, Vec::new()))
            .1
            .push(name);
    }
    by_country
        .into_values()
        .map(|(country, mut names)| {
            names.sort_by_key(|n| sort_key(n));
            Delegation { country, names }
        })
        .collect()
}

pub(super) fn build(state: &Workshop, date: Date) -> Report {
    let lang = Lang::of(state);
    let labels = lang.labels();
    let names = Names {
        state,
        labels,
        lang,
    };
    let title = state
        .settings
        .as_ref()
        .map(|s| printable(&s.title))
        .unwrap_or_default();
    let cards = visible_cards(state);
    let numbers = conclusion_numbers(state);
    let number_of: HashMap<ConclusionId, usize> = numbers.iter().copied().collect();

    // Participation.
    let delegates: Vec<&crate::domain::Participant> = state
        .participants
        .values()
        .filter(|p| p.role == Role::Delegate)
        .collect();
    let mut countries: BTreeMap<String, CountryCount> = BTreeMap::new();
    for p in &delegates {
        if let Some(code) = p.country.as_deref() {
            let name = names.country(code);
            countries
                .entry(sort_key(&name))
                .or_insert(CountryCount { name, delegates: 0 })
                .delegates += 1;
        }
    }

    // Each delegate is listed once: in the room they are in now, else the last room they
    // posted in (so sending everyone back to the lobby at the end does not empty the
    // report); the other rooms they took part in (posted or voted) are named beside them,
    // as moved from, and those rooms name them too, as moved on to where they are now.
    let mut last_posted: HashMap<crate::domain::ParticipantId, crate::domain::RoomId> =
        HashMap::new();
    let mut posted_in: BTreeSet<(crate::domain::ParticipantId, crate::domain::RoomId)> =
        BTreeSet::new();
    for c in &cards {
        last_posted.insert(c.author, c.room);
        posted_in.insert((c.author, c.room));
    }
    for c in &cards {
        for voter in state.votes.get(&c.id).into_iter().flat_map(|v| v.keys()) {
            posted_in.insert((*voter, c.room));
        }
    }
    let listed_in = |p: &crate::domain::Participant| match p.room {
        Place::Room(r) => Some(r),
        _ => last_posted.get(&p.id).copied(),
    };
    let placed: BTreeSet<(crate::domain::RoomId, crate::domain::ParticipantId)> = delegates
        .iter()
        .filter_map(|p| listed_in(p).map(|r| (r, p.id)))
        .collect();
    let moved: HashMap<crate::domain::ParticipantId, Vec<String>> = delegates
        .iter()
        .map(|p| {
            let here = listed_in(p);
            let elsewhere = state
                .rooms
                .iter()
                .filter(|r| Some(r.id) != here && posted_in.contains(&(p.id, r.id)))
                .map(|r| printable(&r.name))
                .collect();
            (p.id, elsewhere)
        })
        .collect();
    let rooms = state
        .rooms
        .iter()
        .map(|room| {
            let here = |p: &&crate::domain::Participant| placed.contains(&(room.id, p.id));
            let staff: Vec<String> = state
                .participants
                .values()
                .filter(|p| p.role == Role::Facilitator && p.room == Place::Room(room.id))
                .map(|p| printable(&p.name))
                .collect();
            let people: Vec<&crate::domain::Participant> =
                delegates.iter().copied().filter(here).collect();
            let mut moved_on: Vec<(String, String)> = delegates
                .iter()
                .filter(|p| !here(p) && posted_in.contains(&(p.id, room.id)))
                .map(|p| {
                    let now = listed_in(p)
                        .and_then(|r| state.rooms.iter().find(|x| x.id == r))
                        .map(|r| printable(&r.name));
                    let name = printable(&p.name);
                    let shown = match now {
                        Some(now) => format!("{name} ({} {now})", names.labels.now_in),
                        None => name,
                    };
                    (sort_key(&shown), shown)
                })
                .collect();
            moved_on.sort();
            RoomPeople {
                name: printable(&room.name),
                status: names.room_status(room),
                facilitators: staff,
                delegations: delegations(&names, &people, &moved),
                moved_on: moved_on.into_iter().map(|(_, shown)| shown).collect(),
            }
        })
        .collect();
    let somewhere: BTreeSet<crate::domain::ParticipantId> =
        placed.iter().map(|(_, who)| *who).collect();
    let unplaced: Vec<&crate::domain::Participant> = delegates
        .iter()
        .copied()
        .filter(|p| !somewhere.contains(&p.id))
        .collect();

    // Conclusions and the cards they cite.
    let mut cited: Vec<CitedCard> = Vec::new();
    let mut cited_number: HashMap<CardId, usize> = HashMap::new();
    let mut themes: Vec<ThemeConclusions> = Vec::new();
    for (id, number) in &numbers {
        let Ok(conclusion) = state.conclusion(*id) else {
            continue;
        };
        // Support as the report shows it: from the cited cards still visible.
        let shown: Vec<&Card> = conclusion
            .cards
            .iter()
            .filter_map(|c| state.cards.get(c))
            .filter(|c| !c.hidden)
            .collect();
        let mut refs = Vec::new();
        for card in &shown {
            let n = *cited_number.entry(card.id).or_insert_with(|| {
                cited.push(CitedCard {
                    number: cited.len() + 1,
                    text: printable(&card.text),
                    room: names.room(card.room),
                    column: names.column(&card.column),
                    country: names.author_country(card),
                    theme: effective_theme(state, card).map(|t| names.theme(t)),
                    votes: state.votes_on(card.id),
                });
                cited.len()
            });
            refs.push(n);
        }
        let view = ConclusionView {
            number: *number,
            text: printable(&conclusion.text),
            status: match conclusion.status {
                ConclusionStatus::Draft => labels.draft,
                ConclusionStatus::Final => labels.final_,
            },
            rooms: state
                .rooms
                .iter()
                .filter(|r| shown.iter().any(|c| c.room == r.id))
                .map(|r| printable(&r.name))
                .collect(),
            countries: {
                let codes: BTreeSet<&str> = shown
                    .iter()
                    .filter_map(|c| state.participants.get(&c.author)?.country.as_deref())
                    .collect();
                let mut c: Vec<String> = codes.into_iter().map(|c| names.country(c)).collect();
                c.sort_by_key(|n| sort_key(n));
                c
            },
            votes: shown.iter().map(|c| state.votes_on(c.id)).sum(),
            cited: refs,
        };
        let title = names.theme(&conclusion.theme);
        match themes.last_mut() {
            Some(t) if t.title == title => t.conclusions.push(view),
            _ => themes.push(ThemeConclusions {
                title,
                conclusions: vec![view],
            }),
        }
    }

    // Every room's board.
    let citing = |card: CardId| -> Vec<usize> {
        let mut n: Vec<usize> = state
            .conclusions
            .iter()
            .filter(|k| k.cards.contains(&card))
            .filter_map(|k| number_of.get(&k.id).copied())
            .collect();
        n.sort_unstable();
        n
    };
    let settings_columns: Vec<&crate::domain::Column> = state
        .settings
        .iter()
        .flat_map(|s| s.columns.iter())
        .collect();
    let boards = state
        .rooms
        .iter()
        .map(|room| {
            let columns = settings_columns
                .iter()
                .map(|col| BoardColumn {
                    title: names.column(&col.key),
                    cards: cards
                        .iter()
                        .filter(|c| c.room == room.id && c.column == col.key)
                        .map(|c| BoardCard {
                            text: printable(&c.text),
                            group: c
                                .group
                                .and_then(|g| state.groups.get(&g))
                                .map(|g| printable(&g.name)),
                            theme: effective_theme(state, c).map(|t| names.theme(t)),
                            country: names.author_country(c),
                            votes: state.votes_on(c.id),
                            conclusions: citing(c.id),
                        })
                        .collect(),
                })
                .collect();
            let mut groups: Vec<&crate::domain::Group> = state
                .groups
                .values()
                .filter(|g| g.room == room.id)
                .collect();
            groups.sort_by_key(|g| g.seq);
            let groups = groups
                .into_iter()
                .map(|g| {
                    let members: Vec<&&Card> =
                        cards.iter().filter(|c| c.group == Some(g.id)).collect();
                    GroupView {
                        name: printable(&g.name),
                        theme: g.theme.as_deref().map(|t| names.theme(t)),
                        cards: members.len(),
                        votes: members.iter().map(|c| state.votes_on(c.id)).sum(),
                    }
                })
                .collect();
            Board {
                room: printable(&room.name),
                status: names.room_status(room),
                columns,
                groups,
            }
        })
        .collect();

    // What each country raised.
    let theme_keys: Vec<&str> = state
        .settings
        .iter()
        .flat_map(|s| s.themes.iter().map(|t| t.key.as_str()))
        .chain([reports::UNTAGGED])
        .collect();
    let mut overview: Vec<CountryView> = reports::country_overview(state)
        .into_iter()
        .map(|o| {
            let by_column = settings_columns
                .iter()
                .filter_map(|c| {
                    let n = *o.by_column.get(&c.key)?;
                    Some((names.column(&c.key), n))
                })
                .collect();
            let by_theme = theme_keys
                .iter()
                .filter_map(|key| {
                    let n = *o.by_theme.get(*key)?;
                    let title = if *key == reports::UNTAGGED {
                        labels.no_theme.to_string()
                    } else {
                        names.theme(key)
                    };
                    Some((title, n))
                })
                .collect();
            let mut conclusions: Vec<usize> = o
                .conclusions
                .iter()
                .filter_map(|k| number_of.get(&k.id).copied())
                .collect();
            conclusions.sort_unstable();
            CountryView {
                name: names.country(&o.country),
                delegates: o.delegates,
                rooms: o.rooms.iter().map(|r| printable(&r.name)).collect(),
                by_column,
                by_theme,
                conclusions,
                cards: o
                    .cards
                    .iter()
                    .map(|e| CountryCard {
                        column: names.column(&e.column),
                        room: printable(&e.room_name),
                        text: printable(&e.text),
                    })
                    .collect(),
            }
        })
        .collect();
    overview.sort_by_key(|c| sort_key(&c.name));

    Report {
        labels,
        lang,
        title,
        date: date.long(labels),
        draft: super::is_draft(state),
        delegates: delegates.len(),
        countries: countries.into_values().collect(),
        rooms,
        unplaced: delegations(&names, &unplaced, &moved),
        themes,
        cited,
        boards,
        overview,
        review: super::review::build(state),
    }
}

/// `1, 2, 5`: numbers joined for a line of text.
pub(super) fn list(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
