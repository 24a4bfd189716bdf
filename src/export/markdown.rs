//! The report as CommonMark: headings, lists and one table, and nothing else — no HTML,
//! no links, no images. Every text a participant typed goes through `escape`, so it reads
//! as plain text in any Markdown renderer (CommonMark or GitHub's).

use super::report::{self, list, Report};
use super::{Date, ExportError};
use crate::domain::Workshop;
use std::fmt::Write;

pub fn render(state: &Workshop, date: Date) -> Result<String, ExportError> {
    let r = report::build(state, date);
    let mut out = String::with_capacity(32 * 1024);
    write_report(&mut out, &r).map_err(|e| ExportError::Write(e.to_string()))?;
    Ok(out)
}

/// Makes `text` inert Markdown on one line: whitespace runs (line breaks included) become
/// one space, every character that could start emphasis, code, a link, an image, HTML, an
/// entity or a table cell is backslash-escaped, and so are the characters that would open
/// a block (heading, list, quote) at the start of the text. The URL and e-mail shapes that
/// GitHub turns into links on its own (`https://…`, `www.…`, `a@b`) are broken up by an
/// escape, which renders as nothing.
pub fn escape(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    let chars: Vec<char> = flat.chars().collect();
    let mut out = String::with_capacity(flat.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let next = |k: usize| chars.get(i + k).copied();
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '@' => true,
            '!' => next(1) == Some('['),
            ':' => next(1) == Some('/') && next(2) == Some('/'),
            // `www.` (GitHub autolink) or `12.` at the start (ordered list).
            '.' => {
                (i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')))
                    || (i > 0 && chars[..i].iter().all(char::is_ascii_digit))
            }
            ')' => i > 0 && chars[..i].iter().all(char::is_ascii_digit),
            '-' | '+' | '=' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn write_report(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    writeln!(out, "# {}\n", escape(&r.title))?;
    writeln!(out, "**{}** · {} {}\n", l.report, l.generated, r.date)?;
    let notice = if r.draft {
        l.draft_notice
    } else {
        l.final_notice
    };
    writeln!(out, "> {notice}\n")?;

    // Participation.
    writeln!(out, "## {}\n", l.participation)?;
    writeln!(
        out,
        "{}: {} · {}: {} · {}: {}\n",
        l.delegates,
        r.delegates,
        l.countries,
        r.countries.len(),
        l.rooms,
        r.rooms.len()
    )?;
    if !r.countries.is_empty() {
        writeln!(out, "| {} | {} |", l.country, l.delegates)?;
        writeln!(out, "| --- | ---: |")?;
        for c in &r.countries {
            writeln!(out, "| {} | {} |", escape(&c.name), c.delegates)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "### {}\n", l.rooms_and_people)?;
    for room in &r.rooms {
        writeln!(out, "#### {}\n", escape(&room.name))?;
        writeln!(out, "*{}: {}*\n", l.phase, room.status)?;
        if room.facilitators.is_empty() && room.delegations.is_empty() && room.moved_on.is_empty() {
            writeln!(out, "{}\n", l.nobody)?;
            continue;
        }
        if !room.facilitators.is_empty() {
            writeln!(
                out,
                "- **{}:** {}",
                l.facilitators,
                joined(&room.facilitators)
            )?;
        }
        for d in &room.delegations {
            writeln!(
                out,
                "- **{}** ({}): {}",
                escape(&d.country),
                d.names.len(),
                joined(&d.names)
            )?;
        }
        if !room.moved_on.is_empty() {
            writeln!(out, "- *{}:* {}", l.moved_on, joined(&room.moved_on))?;
        }
        writeln!(out)?;
    }
    if !r.unplaced.is_empty() {
        writeln!(out, "#### {}\n", l.unplaced)?;
        for d in &r.unplaced {
            writeln!(
                out,
                "- **{}** ({}): {}",
                escape(&d.country),
                d.names.len(),
                joined(&d.names)
            )?;
        }
        writeln!(out)?;
    }

    // Conclusions, then the cards they cite.
    writeln!(out, "## {}\n", l.conclusions)?;
    if r.themes.is_empty() {
        writeln!(out, "{}\n", l.no_conclusions)?;
    }
    for theme in &r.themes {
        writeln!(out, "### {}\n", escape(&theme.title))?;
        for c in &theme.conclusions {
            let marker = format!("{}. ", c.number);
            writeln!(out, "{marker}{}\n", escape(&c.text))?;
            let mut support = vec![format!("{}: {}", l.status, c.status)];
            if !c.rooms.is_empty() {
                support.push(format!("{}: {}", l.rooms, joined(&c.rooms)));
            }
            if !c.countries.is_empty() {
                support.push(format!("{}: {}", l.countries, joined(&c.countries)));
            }
            support.push(format!("{}: {}", l.votes, c.votes));
            if !c.cited.is_empty() {
                support.push(format!("{}: {}", l.cited_cards, list(&c.cited)));
            }
            let indent = " ".repeat(marker.len());
            writeln!(out, "{indent}*{}*\n", support.join(" · "))?;
        }
    }
    if !r.cited.is_empty() {
        writeln!(out, "### {}\n", l.cited_cards)?;
        writeln!(out, "{}\n", l.cited_cards_intro)?;
        for c in &r.cited {
            let mut about = vec![escape(&c.room), escape(&c.column)];
            about.extend(c.country.as_deref().map(escape));
            about.extend(c.theme.as_deref().map(escape));
            about.push(format!("{}: {}", l.votes, c.votes));
            writeln!(
                out,
                "{}. {} — *{}*",
                c.number,
                escape(&c.text),
                about.join(" · ")
            )?;
        }
        writeln!(out)?;
    }

    // Every room's board.
    writeln!(out, "## {}\n", l.boards)?;
    for board in &r.boards {
        writeln!(out, "### {}\n", escape(&board.room))?;
        writeln!(out, "*{}: {}*\n", l.phase, board.status)?;
        for column in &board.columns {
            writeln!(out, "#### {}\n", escape(&column.title))?;
            if column.cards.is_empty() {
                writeln!(out, "*{}*\n", l.no_cards)?;
                continue;
            }
            for card in &column.cards {
                let mut about = Vec::new();
                about.extend(
                    card.group
                        .as_deref()
                        .map(|g| format!("{}: {}", l.group, escape(g))),
                );
                about.extend(
                    card.theme
                        .as_deref()
                        .map(|t| format!("{}: {}", l.theme, escape(t))),
                );
                about.extend(card.country.as_deref().map(escape));
                about.push(format!("{}: {}", l.votes, card.votes));
                if !card.conclusions.is_empty() {
                    about.push(format!("{}: {}", l.cited_in, list(&card.conclusions)));
                }
                writeln!(out, "- {} — *{}*", escape(&card.text), about.join(" · "))?;
            }
            writeln!(out)?;
        }
        if !board.groups.is_empty() {
            writeln!(out, "#### {}\n", l.groups)?;
            for g in &board.groups {
                let mut about = Vec::new();
                about.extend(
                    g.theme
                        .as_deref()
                        .map(|t| format!("{}: {}", l.theme, escape(t))),
                );
                about.push(format!("{}: {}", l.cards, g.cards));
                about.push(format!("{}: {}", l.votes, g.votes));
                writeln!(out, "- **{}** — {}", escape(&g.name), about.join(" · "))?;
            }
            writeln!(out)?;
        }
    }

    // What each country raised.
    writeln!(out, "## {}\n", l.overview)?;
    for c in &r.overview {
        writeln!(out, "### {}\n", escape(&c.name))?;
        let mut facts = vec![format!("{}: {}", l.delegates, c.delegates)];
        if !c.rooms.is_empty() {
            facts.push(format!("{}: {}", l.rooms, joined(&c.rooms)));
        }
        if !c.conclusions.is_empty() {
            facts.push(format!("{}: {}", l.cited_in, list(&c.conclusions)));
        }
        writeln!(out, "{}\n", facts.join(" · "))?;
        if !c.by_column.is_empty() {
            writeln!(out, "- **{}:** {}", l.cards, counts(&c.by_column))?;
            writeln!(out, "- **{}:** {}", l.themes, counts(&c.by_theme))?;
            writeln!(out)?;
        }
        if c.cards.is_empty() {
            writeln!(out, "*{}*\n", l.no_cards)?;
            continue;
        }
        writeln!(out, "#### {}\n", l.raised)?;
        for card in &c.cards {
            writeln!(
                out,
                "- *{} · {}:* {}",
                escape(&card.column),
                escape(&card.room),
                escape(&card.text)
            )?;
        }
        writeln!(out)?;
    }
    if let Some(review) = &r.review {
        super::review::markdown(out, review)?;
    }
    Ok(())
}

fn joined(items: &[String]) -> String {
    items
        .iter()
        .map(|s| escape(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts(items: &[(String, usize)]) -> String {
    items
        .iter()
        .map(|(name, n)| format!("{} {n}", escape(name)))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Event, Parser, Tag};

    /// Parses `md` and returns its text, failing on any link, image or HTML.
    fn inert_text(md: &str) -> String {
        let mut text = String::new();
        for event in Parser::new(md) {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::Code(_) | Event::Html(_) | Event::InlineHtml(_) => {
                    panic!("{md:?} produced {event:?}")
                }
                Event::Start(
                    Tag::Link { .. } | Tag::Image { .. } | Tag::Emphasis | Tag::Strong,
                ) => {
                    panic!("{md:?} produced {event:?}")
                }
                Event::Start(Tag::Paragraph) | Event::End(_) => {}
                other => panic!("{md:?} produced {other:?}"),
            }
        }
        text
    }

    #[test]
    fn hostile_texts_render_as_the_same_plain_text() {
        let hostile = [
            "[click me](https://evil.example/)",
            "![x](https://evil.example/x.png)",
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
            "*bold* _it_ **strong** `code` ~~gone~~",
            "# not a heading",
            "- not a list",
            "+ not a list",
            "1. not a list",
            "2) not a list",
            "> not a quote",
            "= not an underline",
            "&amp; &#x3C; entities",
            "| a | b |",
            "trailing \\ backslash \\",
            "[ref]: https://evil.example/",
            "https://evil.example/ and www.evil.example and mail@evil.example",
            "a_b_c*d*e",
        ];
        for text in hostile {
            assert_eq!(inert_text(&escape(text)), text, "{text:?}");
        }
    }

    #[test]
    fn line_breaks_cannot_open_blocks() {
        let md = escape("first line\n# heading\n\n- item\n    code");
        assert!(!md.contains('\n'));
        assert_eq!(inert_text(&md), "first line # heading - item code");
    }

    #[test]
    fn bare_urls_are_broken_up_for_autolinking_renderers() {
        let md = escape("see https://evil.example or www.evil.example");
        assert!(md.contains(r"https\://") && md.contains(r"www\."), "{md}");
    }
}
