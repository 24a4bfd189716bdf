//! A national brief (`brief.rs`) as Markdown, HTML, DOCX, CSV or JSON, and every
//! country's brief in one ZIP file.
//!
//! Texts are escaped as the report's renderers escape them (the same functions). Each
//! conclusion shows the delegation's endorsement in its own labelled line (`endorsement`).

use super::brief::{self, Brief, BriefConclusion, BriefError};
use super::{csv::neutralise, html::escape as html_escape, markdown::escape as md_escape};
use super::{slug, Date, ExportError, Format, Lang, Options};
use crate::domain::Workshop;
use std::fmt::Write;

/// Why one country's brief or the ZIP of all could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BriefExportError {
    #[error(transparent)]
    Brief(#[from] BriefError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// The brief of `country` (an upper-case code) in `format`.
pub fn render(
    state: &Workshop,
    country: &str,
    format: Format,
    options: &Options,
) -> Result<Vec<u8>, BriefExportError> {
    if state.settings.is_none() {
        return Err(ExportError::NoWorkshop.into());
    }
    let b = brief::build(state, country, options.date)?;
    let fail = |e: std::fmt::Error| ExportError::Write(e.to_string());
    Ok(match format {
        Format::Markdown => markdown(&b).map_err(fail)?.into_bytes(),
        Format::Html => html(&b).map_err(fail)?.into_bytes(),
        Format::Docx => docx(&b)?,
        Format::Csv => csv(&b, options.bom)?,
        Format::Json => {
            let mut out =
                serde_json::to_vec_pretty(&b).map_err(|e| ExportError::Write(e.to_string()))?;
            out.push(b'\n');
            out
        }
    })
}

/// The file name a brief is offered under: the country code, a slug of the workshop's
/// title, the date and the extension, e.g. `AR-going-digital-2026-11-27.md`. The code is
/// checked upper-case ASCII, so the name is safe on every file system.
pub fn filename(state: &Workshop, country: &str, format: Format, date: Date) -> String {
    let title = state.settings.as_ref().map_or("", |s| s.title.as_str());
    let code: String = country
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(2)
        .collect();
    format!("{code}-{}-{date}.{}", slug(title), format.key())
}

/// The file name of the ZIP of every country's brief: `briefs-<slug>-<date>.zip`.
pub fn zip_filename(state: &Workshop, date: Date) -> String {
    let title = state.settings.as_ref().map_or("", |s| s.title.as_str());
    format!("briefs-{}-{date}.zip", slug(title))
}

/// Every country's brief in `format`, one file per country of the workshop's delegates
/// (at most one per ISO code, so at most 249 files), deflated into one ZIP file.
pub fn render_zip(
    state: &Workshop,
    format: Format,
    options: &Options,
) -> Result<Vec<u8>, BriefExportError> {
    use zip::write::SimpleFileOptions;
    if state.settings.is_none() {
        return Err(ExportError::NoWorkshop.into());
    }
    let fail = |e: zip::result::ZipError| ExportError::Write(e.to_string());
    // A fixed modification time (the export date), so the same state gives the same file.
    let day = options.date.to_string();
    let part = |r: std::ops::Range<usize>| day.get(r).and_then(|x| x.parse::<u16>().ok());
    let time = match (part(0..4), part(5..7), part(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            zip::DateTime::from_date_and_time(y, m as u8, d as u8, 0, 0, 0).unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    };
    let file_options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time);
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(64 * 1024)));
    for country in brief::countries(state) {
        let bytes = render(state, &country, format, options)?;
        out.start_file(
            filename(state, &country, format, options.date),
            file_options,
        )
        .map_err(fail)?;
        std::io::Write::write_all(&mut out, &bytes)
            .map_err(|e| ExportError::Write(e.to_string()))?;
    }
    Ok(out.finish().map_err(fail)?.into_inner())
}

/// The endorsement line of a conclusion: what is recorded, or that nothing is.
fn endorsement(lang: Lang, c: &BriefConclusion) -> String {
    let l = lang.brief_labels();
    c.endorsement
        .clone()
        .unwrap_or_else(|| l.no_endorsement.to_string())
}

fn others(lang: Lang, c: &BriefConclusion) -> String {
    if c.other_countries.is_empty() {
        lang.brief_labels().only_this_country.to_string()
    } else {
        c.other_countries.join(", ")
    }
}

fn status(lang: Lang, c: &BriefConclusion) -> &'static str {
    match c.status {
        crate::domain::ConclusionStatus::Draft => lang.labels().draft,
        crate::domain::ConclusionStatus::Final => lang.labels().final_,
    }
}

fn markdown(b: &Brief) -> Result<String, std::fmt::Error> {
    let lang = Lang::of_brief(b);
    let (l, bl) = (lang.labels(), lang.brief_labels());
    let mut out = String::with_capacity(8 * 1024);
    writeln!(out, "# {}: {}\n", bl.brief, md_escape(&b.country_name))?;
    writeln!(
        out,
        "**{}** · {} {}\n",
        md_escape(&b.workshop_title),
        l.generated,
        b.date
    )?;
    let notice = if b.draft {
        l.draft_notice
    } else {
        l.final_notice
    };
    writeln!(out, "> {notice}\n")?;
    writeln!(out, "## {}\n", bl.delegation)?;
    for d in &b.delegates {
        if d.rooms.is_empty() {
            writeln!(out, "- {}", md_escape(&d.name))?;
        } else {
            let rooms: Vec<String> = d.rooms.iter().map(|r| md_escape(r)).collect();
            writeln!(out, "- {} ({})", md_escape(&d.name), rooms.join(", "))?;
        }
    }
    writeln!(out)?;
    for (heading, sections) in [(bl.by_column, &b.by_column), (bl.by_theme, &b.by_theme)] {
        writeln!(out, "## {heading}\n")?;
        if sections.is_empty() {
            writeln!(out, "{}\n", l.no_cards)?;
        }
        for s in sections {
            writeln!(out, "### {} ({})\n", md_escape(&s.title), s.cards.len())?;
            for c in &s.cards {
                writeln!(
                    out,
                    "- {} *({} · {}: {})*",
                    md_escape(&c.text),
                    md_escape(&c.room),
                    l.votes,
                    c.votes
                )?;
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "## {}\n", bl.conclusions)?;
    if b.conclusions.is_empty() {
        writeln!(out, "{}\n", bl.no_conclusions)?;
    }
    for c in &b.conclusions {
        writeln!(
            out,
            "### {}. {}\n\n{}\n",
            c.number,
            md_escape(&c.theme),
            md_escape(&c.text)
        )?;
        writeln!(out, "- {}: {}", l.status, status(lang, c))?;
        let cards: Vec<String> = c.cards.iter().map(|t| md_escape(t)).collect();
        writeln!(out, "- {}: {}", bl.their_cards, cards.join(" · "))?;
        writeln!(
            out,
            "- {}: {}",
            bl.also_supported_by,
            md_escape(&others(lang, c))
        )?;
        writeln!(
            out,
            "- **{}:** {}\n",
            bl.endorsement,
            md_escape(&endorsement(lang, c))
        )?;
    }
    Ok(out)
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { font: 11pt/1.5 "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1b1b1b;
  background: #fff; max-width: 54rem; margin: 2rem auto; padding: 0 1.25rem; }
header { border-bottom: 3px solid #1f4e79; padding-bottom: .75rem; margin-bottom: 1.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; color: #1f4e79; font-weight: 600;
  font-size: .85rem; margin: 0; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: .25rem 0 .5rem; }
h2 { font-size: 1.45rem; color: #1f4e79; border-bottom: 1px solid #c9d6e3; margin-top: 2.2rem; }
h3 { font-size: 1.1rem; color: #1f4e79; margin-top: 1.5rem; }
.meta, .about { color: #4a4a4a; margin: 0; }
.notice { border-left: 4px solid #b8860b; background: #fff8e1; padding: .5rem .8rem; margin: .75rem 0 0; }
.notice.final { border-color: #2e7d32; background: #edf7ee; }
.empty { color: #666; font-style: italic; }
.endorsement { border: 1px solid #1f4e79; border-radius: 4px; padding: .4rem .7rem; margin: .5rem 0 1rem; }
@page { size: A4; margin: 2cm 1.8cm; }
@media print { body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  li, .endorsement { break-inside: avoid; page-break-inside: avoid; } }
"#;

fn html(b: &Brief) -> Result<String, std::fmt::Error> {
    let lang = Lang::of_brief(b);
    let (l, bl) = (lang.labels(), lang.brief_labels());
    let e = html_escape;
    let mut out = String::with_capacity(16 * 1024);
    let title = format!(
        "{}: {} · {}",
        bl.brief,
        e(&b.country_name),
        e(&b.workshop_title)
    );
    super::html::document_head(&mut out, lang.code(), &title, CSS)?;
    writeln!(out, "<header>\n<p class=\"kicker\">{}</p>", bl.brief)?;
    writeln!(out, "<h1>{}</h1>", e(&b.country_name))?;
    writeln!(
        out,
        "<p class=\"meta\">{} · {} {}</p>",
        e(&b.workshop_title),
        l.generated,
        e(&b.date)
    )?;
    if b.draft {
        writeln!(out, "<p class=\"notice draft\">{}</p>", l.draft_notice)?;
    } else {
        writeln!(out, "<p class=\"notice final\">{}</p>", l.final_notice)?;
    }
    writeln!(out, "</header>\n<main>")?;
    writeln!(
        out,
        "<section id=\"delegation\">\n<h2>{}</h2>\n<ul>",
        bl.delegation
    )?;
    for d in &b.delegates {
        let rooms: Vec<String> = d.rooms.iter().map(|r| e(r)).collect();
        if rooms.is_empty() {
            writeln!(out, "<li>{}</li>", e(&d.name))?;
        } else {
            writeln!(
                out,
                "<li>{} <span class=\"about\">({})</span></li>",
                e(&d.name),
                rooms.join(", ")
            )?;
        }
    }
    writeln!(out, "</ul>\n</section>")?;
    for (id, heading, sections) in [
        ("by-column", bl.by_column, &b.by_column),
        ("by-theme", bl.by_theme, &b.by_theme),
    ] {
        writeln!(out, "<section id=\"{id}\">\n<h2>{heading}</h2>")?;
        if sections.is_empty() {
            writeln!(out, "<p class=\"empty\">{}</p>", l.no_cards)?;
        }
        for s in sections {
            writeln!(out, "<h3>{} ({})</h3>\n<ul>", e(&s.title), s.cards.len())?;
            for c in &s.cards {
                writeln!(
                    out,
                    "<li>{} <span class=\"about\">({} · {}: {})</span></li>",
                    e(&c.text).replace('\n', "<br>"),
                    e(&c.room),
                    l.votes,
                    c.votes
                )?;
            }
            writeln!(out, "</ul>")?;
        }
        writeln!(out, "</section>")?;
    }
    writeln!(
        out,
        "<section id=\"conclusions\">\n<h2>{}</h2>",
        bl.conclusions
    )?;
    if b.conclusions.is_empty() {
        writeln!(out, "<p class=\"empty\">{}</p>", bl.no_conclusions)?;
    }
    for c in &b.conclusions {
        writeln!(
            out,
            "<article id=\"conclusion-{}\">\n<h3>{}. {}</h3>\n<p>{}</p>",
            c.number,
            c.number,
            e(&c.theme),
            e(&c.text).replace('\n', "<br>")
        )?;
        let cards: Vec<String> = c.cards.iter().map(|t| e(t)).collect();
        writeln!(
            out,
            "<ul>\n<li>{}: {}</li>\n<li>{}: {}</li>\n<li>{}: {}</li>\n</ul>",
            l.status,
            status(lang, c),
            bl.their_cards,
            cards.join(" · "),
            bl.also_supported_by,
            e(&others(lang, c))
        )?;
        writeln!(
            out,
            "<p class=\"endorsement\"><strong>{}:</strong> {}</p>\n</article>",
            bl.endorsement,
            e(&endorsement(lang, c))
        )?;
    }
    writeln!(out, "</section>\n</main>\n</body>\n</html>")?;
    Ok(out)
}

/// The CSV header of a brief: one row per card of the delegation, then one per
/// conclusion their cards support (`kind` tells which).
pub const CSV_HEADER: [&str; 10] = [
    "country",
    "kind",
    "number",
    "room",
    "column",
    "theme",
    "text",
    "votes",
    "also_supported_by",
    "endorsement",
];

fn csv(b: &Brief, bom: bool) -> Result<Vec<u8>, ExportError> {
    let lang = Lang::of_brief(b);
    let mut out = Vec::with_capacity(8 * 1024);
    if bom {
        out.extend_from_slice("\u{FEFF}".as_bytes());
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(&mut out);
    let fail = |e: csv::Error| ExportError::Write(e.to_string());
    writer.write_record(CSV_HEADER).map_err(fail)?;
    for s in &b.by_column {
        for c in &s.cards {
            let numbers: Vec<String> = c.conclusions.iter().map(usize::to_string).collect();
            writer
                .write_record([
                    b.country.clone(),
                    "card".into(),
                    numbers.join("; "),
                    neutralise(&c.room),
                    neutralise(&c.column),
                    neutralise(c.theme.as_deref().unwrap_or_default()),
                    neutralise(&c.text),
                    c.votes.to_string(),
                    String::new(),
                    String::new(),
                ])
                .map_err(fail)?;
        }
    }
    for c in &b.conclusions {
        writer
            .write_record([
                b.country.clone(),
                "conclusion".into(),
                c.number.to_string(),
                String::new(),
                String::new(),
                neutralise(&c.theme),
                neutralise(&c.text),
                String::new(),
                neutralise(&c.other_countries.join("; ")),
                neutralise(&endorsement(lang, c)),
            ])
            .map_err(fail)?;
    }
    writer
        .flush()
        .map_err(|e| ExportError::Write(e.to_string()))?;
    drop(writer);
    Ok(out)
}

fn docx(b: &Brief) -> Result<Vec<u8>, ExportError> {
    use docx_rs::{Docx, Paragraph, Run};
    let lang = Lang::of_brief(b);
    let (l, bl) = (lang.labels(), lang.brief_labels());
    let heading = |text: &str, size: usize| {
        Paragraph::new().add_run(Run::new().bold().size(size).color("1F4E79").add_text(text))
    };
    let text = |t: &str| {
        let mut run = Run::new();
        for (i, line) in t.split('\n').enumerate() {
            if i > 0 {
                run = run.add_break(docx_rs::BreakType::TextWrapping);
            }
            run = run.add_text(line);
        }
        Paragraph::new().add_run(run)
    };
    let labelled = |label: &str, t: &str| {
        Paragraph::new()
            .add_run(Run::new().bold().add_text(format!("{label}: ")))
            .add_run(Run::new().add_text(t))
    };
    let mut doc = Docx::new()
        .add_paragraph(heading(&format!("{}: {}", bl.brief, b.country_name), 36))
        .add_paragraph(text(&format!(
            "{} · {} {}",
            b.workshop_title, l.generated, b.date
        )))
        .add_paragraph(text(if b.draft {
            l.draft_notice
        } else {
            l.final_notice
        }))
        .add_paragraph(heading(bl.delegation, 28));
    for d in &b.delegates {
        let line = if d.rooms.is_empty() {
            d.name.clone()
        } else {
            format!("{} ({})", d.name, d.rooms.join(", "))
        };
        doc = doc.add_paragraph(text(&line));
    }
    for (title, sections) in [(bl.by_column, &b.by_column), (bl.by_theme, &b.by_theme)] {
        doc = doc.add_paragraph(heading(title, 28));
        if sections.is_empty() {
            doc = doc.add_paragraph(text(l.no_cards));
        }
        for s in sections {
            doc = doc.add_paragraph(heading(&format!("{} ({})", s.title, s.cards.len()), 24));
            for c in &s.cards {
                doc = doc.add_paragraph(text(&format!(
                    "• {} ({} · {}: {})",
                    c.text, c.room, l.votes, c.votes
                )));
            }
        }
    }
    doc = doc.add_paragraph(heading(bl.conclusions, 28));
    if b.conclusions.is_empty() {
        doc = doc.add_paragraph(text(bl.no_conclusions));
    }
    for c in &b.conclusions {
        doc = doc
            .add_paragraph(heading(&format!("{}. {}", c.number, c.theme), 24))
            .add_paragraph(text(&c.text))
            .add_paragraph(labelled(l.status, status(lang, c)))
            .add_paragraph(labelled(bl.their_cards, &c.cards.join(" · ")))
            .add_paragraph(labelled(bl.also_supported_by, &others(lang, c)))
            .add_paragraph(labelled(bl.endorsement, &endorsement(lang, c)));
    }
    let mut out = std::io::Cursor::new(Vec::with_capacity(64 * 1024));
    doc.build()
        .pack(&mut out)
        .map_err(|e| ExportError::Write(e.to_string()))?;
    Ok(out.into_inner())
}
