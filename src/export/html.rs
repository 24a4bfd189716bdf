//! The report as one self-contained HTML file: inline CSS (with a print stylesheet that
//! starts each part on a new page), no scripts, no external resources, and a Content
//! Security Policy that forbids both should anything slip through. Every text is escaped
//! by `escape`.

use super::report::{self, Report};
use super::{Date, ExportError};
use crate::domain::Workshop;
use std::fmt::Write;

pub fn render(state: &Workshop, date: Date) -> Result<String, ExportError> {
    let r = report::build(state, date);
    let mut out = String::with_capacity(64 * 1024);
    write_report(&mut out, &r).map_err(|e| ExportError::Write(e.to_string()))?;
    Ok(out)
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text whose line breaks show as `<br>`.
fn multiline(text: &str) -> String {
    text.split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>")
}

const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 11pt/1.5 "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1b1b1b;
  background: #fff; max-width: 54rem; margin: 2rem auto; padding: 0 1.25rem; }
header { border-bottom: 3px solid #1f4e79; padding-bottom: .75rem; margin-bottom: 1.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; color: #1f4e79; font-weight: 600;
  font-size: .85rem; margin: 0; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: .25rem 0 .5rem; }
h2 { font-size: 1.45rem; color: #1f4e79; border-bottom: 1px solid #c9d6e3; padding-bottom: .2rem;
  margin-top: 2.5rem; }
h3 { font-size: 1.15rem; color: #1f4e79; margin-top: 1.75rem; }
h4 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.meta { color: #4a4a4a; margin: 0; }
.notice { border-left: 4px solid #b8860b; background: #fff8e1; padding: .5rem .8rem; margin: .75rem 0 0; }
.notice.final { border-color: #2e7d32; background: #edf7ee; }
.facts { font-weight: 600; }
.status, .support, .about { color: #4a4a4a; font-size: .92em; }
nav ol { padding-left: 1.25rem; }
nav.contents a { display: inline-block; min-height: 1.6rem; line-height: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1.2rem; }
th, td { border: 1px solid #b9c3cc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #e9f0f6; }
.num { text-align: right; white-space: nowrap; width: 1%; }
ol.conclusions > li { margin-bottom: 1rem; }
ol.conclusions p { margin: .2rem 0; }
ol.cited > li { margin-bottom: .4rem; }
.people { list-style: none; padding-left: 0; }
.people li { margin: .15rem 0; }
.empty { color: #666; font-style: italic; }
a { color: #1f4e79; }
a.ref { display: inline-block; min-width: 1.6rem; min-height: 1.6rem; line-height: 1.6rem; padding: 0 .35rem;
  margin: .1rem 0; text-align: center; border: 1px solid #b9c3cc; border-radius: 4px; text-decoration: none; }
figure.chart { margin: .5rem 0 1rem; max-width: 36rem; }
figure.chart figcaption { font-size: .9em; font-weight: 600; color: #4a4a4a; }
ul.bars { list-style: none; margin: .25rem 0 0; padding: 0; }
ul.bars li { display: grid; grid-template-columns: 1fr auto; gap: 0 .5rem; margin: .2rem 0; }
ul.bars .bar-value { font-weight: 600; text-align: right; }
svg.chart-bar { grid-column: 1 / -1; width: 100%; height: .55rem; display: block; }
svg.chart-bar .track { fill: #e3e7ed; }
svg.chart-bar .fill { fill: #1f4e79; }
@page { size: A4; margin: 2cm 1.8cm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav.contents { break-after: page; page-break-after: always; }
  section.part { break-before: page; page-break-before: always; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr, li, .notice { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Everything up to `<body>` of a self-contained export page: the language, a CSP that
/// allows only the inline style, the viewport, `title` (already escaped) and `css`.
pub(super) fn document_head(
    out: &mut String,
    lang: &str,
    title: &str,
    css: &str,
) -> std::fmt::Result {
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"{lang}\">")?;
    writeln!(out, "<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{title}</title>\n<style>{css}</style>\n</head>\n<body>"
    )
}

fn write_report(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    let title = escape(&r.title);
    document_head(out, r.lang.code(), &title, CSS)?;

    writeln!(out, "<header>\n<p class=\"kicker\">{}</p>", l.report)?;
    writeln!(out, "<h1>{title}</h1>")?;
    writeln!(
        out,
        "<p class=\"meta\">{} {}</p>",
        l.generated,
        escape(&r.date)
    )?;
    if r.draft {
        writeln!(out, "<p class=\"notice draft\">{}</p>", l.draft_notice)?;
    } else {
        writeln!(out, "<p class=\"notice final\">{}</p>", l.final_notice)?;
    }
    writeln!(out, "</header>")?;

    writeln!(
        out,
        "<nav class=\"contents\" aria-labelledby=\"contents\">\n<h2 id=\"contents\">{}</h2>\n<ol>",
        l.contents
    )?;
    for (id, name) in [
        ("participation", l.participation),
        ("conclusions", l.conclusions),
        ("boards", l.boards),
        ("overview", l.overview),
    ] {
        writeln!(out, "<li><a href=\"#{id}\">{name}</a></li>")?;
    }
    if let Some(review) = &r.review {
        writeln!(
            out,
            "<li><a href=\"#review\">{}</a></li>",
            review.labels.heading
        )?;
    }
    writeln!(out, "</ol>\n</nav>\n<main>")?;

    participation(out, r)?;
    conclusions(out, r)?;
    boards(out, r)?;
    overview(out, r)?;
    if let Some(review) = &r.review {
        super::review::html(out, review)?;
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

fn people(
    out: &mut String,
    r: &Report,
    facilitators: &[String],
    delegations: &[report::Delegation],
) -> std::fmt::Result {
    let l = r.labels;
    writeln!(out, "<ul class=\"people\">")?;
    if !facilitators.is_empty() {
        writeln!(
            out,
            "<li><strong>{}:</strong> {}</li>",
            l.facilitators,
            joined(facilitators)
        )?;
    }
    for d in delegations {
        writeln!(
            out,
            "<li><strong>{}</strong> ({}): {}</li>",
            escape(&d.country),
            d.names.len(),
            joined(&d.names)
        )?;
    }
    writeln!(out, "</ul>")
}

/// A bar chart as inline SVG (the same bars as the web client's js/charts.js): one row per
/// item with its name and value as text; the bars are decoration.
fn bars(out: &mut String, caption: &str, items: &[(String, u32)]) -> std::fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    writeln!(
        out,
        "<figure class=\"chart\"><figcaption>{}</figcaption><ul class=\"bars\">",
        escape(caption)
    )?;
    for (name, value) in items {
        let width = f64::from(*value) * 100.0 / f64::from(max);
        writeln!(
            out,
            "<li><span class=\"bar-name\">{}</span><span class=\"bar-value\">{value}</span>\
             <svg class=\"chart-bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">\
             <rect class=\"track\" width=\"100\" height=\"10\"/><rect class=\"fill\" width=\"{width:.2}\" height=\"10\"/></svg></li>",
            escape(name)
        )?;
    }
    writeln!(out, "</ul></figure>")
}

/// How many of `numbers` (cited cards) each value of `key` counts, in first-seen order.
fn tally<'a>(
    r: &'a Report,
    numbers: &[usize],
    key: impl Fn(&'a report::CitedCard) -> Option<&'a str>,
) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for n in numbers {
        let Some(name) = r.cited.iter().find(|c| c.number == *n).and_then(&key) else {
            continue;
        };
        match out.iter_mut().find(|(k, _)| k == name) {
            Some((_, count)) => *count += 1,
            None => out.push((name.to_string(), 1)),
        }
    }
    out
}

fn participation(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    writeln!(
        out,
        "<section class=\"part\" id=\"participation\">\n<h2>{}</h2>",
        l.participation
    )?;
    writeln!(
        out,
        "<p class=\"facts\">{}: {} · {}: {} · {}: {}</p>",
        l.delegates,
        r.delegates,
        l.countries,
        r.countries.len(),
        l.rooms,
        r.rooms.len()
    )?;
    if !r.countries.is_empty() {
        writeln!(
            out,
            "<table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>",
            l.country, l.delegates
        )?;
        for c in &r.countries {
            writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(&c.name),
                c.delegates
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
    }
    writeln!(out, "<h3>{}</h3>", l.rooms_and_people)?;
    for room in &r.rooms {
        writeln!(out, "<h4>{}</h4>", escape(&room.name))?;
        writeln!(
            out,
            "<p class=\"status\">{}: {}</p>",
            l.phase,
            escape(&room.status)
        )?;
        if room.facilitators.is_empty() && room.delegations.is_empty() && room.moved_on.is_empty() {
            writeln!(out, "<p class=\"empty\">{}</p>", l.nobody)?;
        } else if !room.facilitators.is_empty() || !room.delegations.is_empty() {
            people(out, r, &room.facilitators, &room.delegations)?;
        }
        if !room.moved_on.is_empty() {
            writeln!(
                out,
                "<p class=\"moved-on\"><strong>{}:</strong> {}</p>",
                l.moved_on,
                joined(&room.moved_on)
            )?;
        }
    }
    if !r.unplaced.is_empty() {
        writeln!(out, "<h4>{}</h4>", l.unplaced)?;
        people(out, r, &[], &r.unplaced)?;
    }
    writeln!(out, "</section>")
}

fn conclusions(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    writeln!(
        out,
        "<section class=\"part\" id=\"conclusions\">\n<h2>{}</h2>",
        l.conclusions
    )?;
    if r.themes.is_empty() {
        writeln!(out, "<p class=\"empty\">{}</p>", l.no_conclusions)?;
    }
    for theme in &r.themes {
        writeln!(out, "<h3>{}</h3>", escape(&theme.title))?;
        let start = theme.conclusions.first().map_or(1, |c| c.number);
        writeln!(out, "<ol class=\"conclusions\" start=\"{start}\">")?;
        for c in &theme.conclusions {
            writeln!(out, "<li id=\"conclusion-{}\">", c.number)?;
            writeln!(out, "<p>{}</p>", multiline(&c.text))?;
            let mut support = vec![format!("{}: {}", l.status, c.status)];
            if !c.rooms.is_empty() {
                support.push(format!("{}: {}", l.rooms, joined(&c.rooms)));
            }
            if !c.countries.is_empty() {
                support.push(format!("{}: {}", l.countries, joined(&c.countries)));
            }
            support.push(format!("{}: {}", l.votes, c.votes));
            if !c.cited.is_empty() {
                let refs: Vec<String> = c
                    .cited
                    .iter()
                    .map(|n| format!("<a class=\"ref\" href=\"#card-{n}\">{n}</a>"))
                    .collect();
                support.push(format!("{}: {}", l.cited_cards, refs.join(", ")));
            }
            writeln!(out, "<p class=\"support\">{}</p>", support.join(" · "))?;
            let caption = |what: &str| format!("{} · {what}", l.cited_cards);
            bars(
                out,
                &caption(l.rooms),
                &tally(r, &c.cited, |x| Some(x.room.as_str())),
            )?;
            bars(
                out,
                &caption(l.countries),
                &tally(r, &c.cited, |x| x.country.as_deref()),
            )?;
            writeln!(out, "</li>")?;
        }
        writeln!(out, "</ol>")?;
    }
    if !r.cited.is_empty() {
        writeln!(
            out,
            "<h3>{}</h3>\n<p>{}</p>",
            l.cited_cards, l.cited_cards_intro
        )?;
        writeln!(out, "<ol class=\"cited\">")?;
        for c in &r.cited {
            let mut about = vec![escape(&c.room), escape(&c.column)];
            about.extend(c.country.as_deref().map(escape));
            about.extend(c.theme.as_deref().map(escape));
            about.push(format!("{}: {}", l.votes, c.votes));
            writeln!(
                out,
                "<li id=\"card-{}\">{} <span class=\"about\">— {}</span></li>",
                c.number,
                multiline(&c.text),
                about.join(" · ")
            )?;
        }
        writeln!(out, "</ol>")?;
    }
    writeln!(out, "</section>")
}

fn boards(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    writeln!(
        out,
        "<section class=\"part\" id=\"boards\">\n<h2>{}</h2>",
        l.boards
    )?;
    for board in &r.boards {
        writeln!(out, "<h3>{}</h3>", escape(&board.room))?;
        writeln!(
            out,
            "<p class=\"status\">{}: {}</p>",
            l.phase,
            escape(&board.status)
        )?;
        for column in &board.columns {
            writeln!(out, "<h4>{}</h4>", escape(&column.title))?;
            if column.cards.is_empty() {
                writeln!(out, "<p class=\"empty\">{}</p>", l.no_cards)?;
                continue;
            }
            writeln!(
                out,
                "<table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>",
                l.card, l.group, l.theme, l.country, l.votes, l.conclusions
            )?;
            for card in &column.cards {
                let refs: Vec<String> = card
                    .conclusions
                    .iter()
                    .map(|n| format!("<a class=\"ref\" href=\"#conclusion-{n}\">{n}</a>"))
                    .collect();
                writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    multiline(&card.text),
                    card.group.as_deref().map(escape).unwrap_or_default(),
                    card.theme.as_deref().map(escape).unwrap_or_default(),
                    card.country.as_deref().map(escape).unwrap_or_default(),
                    card.votes,
                    refs.join(", ")
                )?;
            }
            writeln!(out, "</tbody>\n</table>")?;
        }
        if !board.groups.is_empty() {
            writeln!(out, "<h4>{}</h4>", l.groups)?;
            writeln!(
                out,
                "<table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>",
                l.group, l.theme, l.cards, l.votes
            )?;
            for g in &board.groups {
                writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    escape(&g.name),
                    g.theme.as_deref().map(escape).unwrap_or_default(),
                    g.cards,
                    g.votes
                )?;
            }
            writeln!(out, "</tbody>\n</table>")?;
            let votes: Vec<(String, u32)> = board
                .groups
                .iter()
                .map(|g| (g.name.clone(), g.votes))
                .collect();
            bars(out, &format!("{} · {}", l.groups, l.votes), &votes)?;
        }
    }
    writeln!(out, "</section>")
}

fn overview(out: &mut String, r: &Report) -> std::fmt::Result {
    let l = r.labels;
    writeln!(
        out,
        "<section class=\"part\" id=\"overview\">\n<h2>{}</h2>",
        l.overview
    )?;
    for c in &r.overview {
        writeln!(out, "<h3>{}</h3>", escape(&c.name))?;
        let mut facts = vec![format!("{}: {}", l.delegates, c.delegates)];
        if !c.rooms.is_empty() {
            facts.push(format!("{}: {}", l.rooms, joined(&c.rooms)));
        }
        if !c.conclusions.is_empty() {
            let refs: Vec<String> = c
                .conclusions
                .iter()
                .map(|n| format!("<a class=\"ref\" href=\"#conclusion-{n}\">{n}</a>"))
                .collect();
            facts.push(format!("{}: {}", l.cited_in, refs.join(", ")));
        }
        writeln!(out, "<p class=\"facts\">{}</p>", facts.join(" · "))?;
        if !c.by_column.is_empty() {
            writeln!(
                out,
                "<ul>\n<li><strong>{}:</strong> {}</li>\n<li><strong>{}:</strong> {}</li>\n</ul>",
                l.cards,
                counts(&c.by_column),
                l.themes,
                counts(&c.by_theme)
            )?;
        }
        if c.cards.is_empty() {
            writeln!(out, "<p class=\"empty\">{}</p>", l.no_cards)?;
            continue;
        }
        writeln!(out, "<h4>{}</h4>\n<ul>", l.raised)?;
        for card in &c.cards {
            writeln!(
                out,
                "<li><em>{} · {}:</em> {}</li>",
                escape(&card.column),
                escape(&card.room),
                multiline(&card.text)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
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

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')"> & co"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co"
        );
        assert_eq!(multiline("a<b\nc"), "a&lt;b<br>c");
    }

    #[test]
    fn the_stylesheet_breaks_pages_between_parts_when_printed() {
        assert!(CSS.contains("@media print"));
        assert!(CSS.contains("section.part { break-before: page"));
        assert!(!CSS.contains("url("), "no external resources");
    }
}
