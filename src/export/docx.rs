//! The report as a Word document, built with `docx-rs`.
//!
//! Headings use the built-in Word styles `heading 1`–`heading 3` (defined in the document
//! with their outline levels), so Word's navigation pane works and a table of contents
//! can be inserted in one click. The document starts with its own contents list (levels 1
//! and 2, page numbers filled in by the word processor; see `contents`). Boards are
//! tables. `docx-rs` escapes text for XML; control characters XML cannot carry are dropped
//! before (`printable`).

use super::report::{self, list, Report};
use super::{Date, ExportError};
use crate::domain::Workshop;
use docx_rs::{
    AlignmentType, BreakType, Docx, FieldCharType, Footer, InstrPAGEREF, InstrText, LineSpacing,
    PageMargin, PageNum, Paragraph, Run, RunFonts, Shading, ShdType, Style, StyleType, Tab,
    TabLeaderType, TabValueType, Table, TableCell, TableRow, WidthType,
};

/// A4 in twentieths of a point, with 2 cm margins.
const PAGE_WIDTH: u32 = 11_906;
const PAGE_HEIGHT: u32 = 16_838;
const MARGIN: i32 = 1_134;
/// The width tables span.
const TEXT_WIDTH: usize = PAGE_WIDTH as usize - 2 * MARGIN as usize;
const ACCENT: &str = "1F4E79";
const MUTED: &str = "555555";
const HEADER_FILL: &str = "E9F0F6";
/// Text in tables, in half-points (9 pt), so six columns fit a portrait page.
const TABLE_SIZE: usize = 18;

pub fn render(state: &Workshop, date: Date) -> Result<Vec<u8>, ExportError> {
    let r = report::build(state, date);
    let stamp = format!("{date}T00:00:00Z");
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(PageMargin {
            top: MARGIN,
            left: MARGIN,
            bottom: MARGIN,
            right: MARGIN,
            header: 709,
            footer: 709,
            gutter: 0,
        })
        .default_fonts(
            RunFonts::new()
                .ascii("Calibri")
                .hi_ansi("Calibri")
                .cs("Calibri"),
        )
        .default_size(21)
        .created_at(&stamp)
        .updated_at(&stamp);
    for style in styles() {
        doc = doc.add_style(style);
    }
    doc = doc.footer(
        Footer::new().add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Right)
                .add_run(
                    Run::new()
                        .add_text(format!("{} · {} ", r.title, r.labels.page))
                        .size(16)
                        .color(MUTED),
                )
                .add_page_num(PageNum::new()),
        ),
    );
    let mut body = Body::default();
    write_report(&mut body, &r);
    let contents = contents(&body.headings, r.labels.contents);
    for block in body.blocks {
        match block {
            Block::Paragraph(p) => doc = doc.add_paragraph(*p),
            Block::Table(t) => doc = doc.add_table(*t),
            Block::Contents => {
                for p in contents.iter().cloned() {
                    doc = doc.add_paragraph(p);
                }
            }
        }
    }
    let mut stored = std::io::Cursor::new(Vec::with_capacity(256 * 1024));
    doc.build()
        .pack(&mut stored)
        .map_err(|e| ExportError::Write(e.to_string()))?;
    deflate(stored.into_inner()).map_err(|e| ExportError::Write(e.to_string()))
}

/// `docx-rs` stores the package's parts uncompressed; the same parts, deflated, make a
/// file about a seventh of the size for delegates on slow or metered connections.
fn deflate(stored: Vec<u8>) -> zip::result::ZipResult<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut parts = zip::ZipArchive::new(std::io::Cursor::new(stored))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(64 * 1024)));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..parts.len() {
        let mut part = parts.by_index(i)?;
        if part.is_dir() {
            continue;
        }
        out.start_file(part.name().to_string(), options)?;
        std::io::copy(&mut part, &mut out)?;
    }
    Ok(out.finish()?.into_inner())
}

fn styles() -> Vec<Style> {
    let heading = |level: usize, size: usize, before: u32| {
        let mut s = Style::new(format!("Heading{level}"), StyleType::Paragraph)
            .name(format!("heading {level}"))
            .based_on("Normal")
            .next("Normal")
            .outline_lvl(level - 1)
            .size(size)
            .bold()
            .color(ACCENT)
            .line_spacing(LineSpacing::new().before(before).after(120));
        s.paragraph_property = s.paragraph_property.keep_next(true);
        s
    };
    vec![
        Style::new("Normal", StyleType::Paragraph)
            .name("Normal")
            .line_spacing(LineSpacing::new().after(120)),
        Style::new("Title", StyleType::Paragraph)
            .name("Title")
            .based_on("Normal")
            .next("Normal")
            .size(48)
            .bold()
            .color(ACCENT)
            .line_spacing(LineSpacing::new().after(240)),
        heading(1, 32, 360),
        heading(2, 26, 280),
        heading(3, 23, 200),
    ]
}

enum Block {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
    /// Where the table of contents goes, once every heading is known.
    Contents,
}

/// A heading the table of contents lists: level, text, bookmark name.
struct Entry {
    level: usize,
    text: String,
    bookmark: String,
}

/// The document body, in order, and the headings for the table of contents.
#[derive(Default)]
struct Body {
    blocks: Vec<Block>,
    headings: Vec<Entry>,
}

/// Headings down to this level are listed in the table of contents.
const CONTENTS_LEVELS: usize = 2;

impl Body {
    fn paragraph(&mut self, p: Paragraph) {
        self.blocks.push(Block::Paragraph(Box::new(p)));
    }

    fn heading(&mut self, level: usize, text: &str) {
        let p = Paragraph::new().style(&format!("Heading{level}"));
        self.bookmarked(level, text, p);
    }

    /// A part of the report: a level-1 heading on a new page.
    fn part(&mut self, text: &str) {
        let p = Paragraph::new().style("Heading1").page_break_before(true);
        self.bookmarked(1, text, p);
    }

    /// Adds heading paragraph `p` with `text`, bookmarked for the table of contents when
    /// its level is listed there.
    fn bookmarked(&mut self, level: usize, text: &str, p: Paragraph) {
        if level > CONTENTS_LEVELS {
            self.paragraph(p.add_run(Run::new().add_text(text)));
            return;
        }
        // Bookmark ids and names are numbered from the headings, so the same report
        // always gives the same document.
        let id = self.headings.len() + 1;
        let bookmark = format!("_Toc{id:08}");
        self.paragraph(
            p.add_bookmark_start(id, &bookmark)
                .add_run(Run::new().add_text(text))
                .add_bookmark_end(id),
        );
        self.headings.push(Entry {
            level,
            text: text.to_string(),
            bookmark,
        });
    }

    fn text(&mut self, text: &str) {
        self.paragraph(Paragraph::new().add_run(lines(Run::new(), text)));
    }

    fn muted(&mut self, text: &str) {
        self.paragraph(Paragraph::new().add_run(lines(Run::new().italic().color(MUTED), text)));
    }

    /// `label: text`, the label in bold.
    fn labelled(&mut self, label: &str, text: &str) {
        self.paragraph(
            Paragraph::new()
                .add_run(Run::new().bold().add_text(format!("{label} ")))
                .add_run(lines(Run::new(), text)),
        );
    }

    fn table(&mut self, widths: &[usize], header: &[&str], rows: Vec<Vec<String>>) {
        let cell = |text: &str, width: usize| {
            TableCell::new()
                .width(width, WidthType::Dxa)
                .add_paragraph(Paragraph::new().add_run(lines(Run::new().size(TABLE_SIZE), text)))
        };
        let mut table_rows = vec![TableRow::new(
            header
                .iter()
                .zip(widths)
                .map(|(h, w)| {
                    TableCell::new()
                        .width(*w, WidthType::Dxa)
                        .shading(Shading::new().shd_type(ShdType::Clear).fill(HEADER_FILL))
                        .add_paragraph(
                            Paragraph::new()
                                .add_run(Run::new().bold().size(TABLE_SIZE).add_text(*h)),
                        )
                })
                .collect(),
        )
        .cant_split()];
        for row in rows {
            table_rows.push(
                TableRow::new(row.iter().zip(widths).map(|(t, w)| cell(t, *w)).collect())
                    .cant_split(),
            );
        }
        self.blocks.push(Block::Table(Box::new(
            Table::new(table_rows)
                .set_grid(widths.to_vec())
                .width(TEXT_WIDTH, WidthType::Dxa),
        )));
        // Word glues consecutive tables together; a paragraph keeps them apart.
        self.paragraph(Paragraph::new());
    }
}

/// The table of contents: a title, then one paragraph per heading (text, dot leader, page
/// number). The page number is a `PAGEREF` field to the heading's bookmark, each field part
/// in its own run as Word writes them: LibreOffice computes it when it lays the document
/// out, and Word on opening it, as the field is marked dirty. (A `TOC` field around the
/// entries would let Word rebuild the table, but LibreOffice then shows its cached text
/// and no page numbers.)
fn contents(headings: &[Entry], title: &str) -> Vec<Paragraph> {
    let field = |t: FieldCharType, dirty: bool| Run::new().add_field_char(t, dirty);
    let mut out = vec![Paragraph::new()
        .keep_next(true)
        .add_run(Run::new().bold().size(28).color(ACCENT).add_text(title))];
    for h in headings {
        let mut text = Run::new().add_text(&h.text);
        if h.level == 1 {
            text = text.bold();
        }
        out.push(
            Paragraph::new()
                .add_tab(
                    Tab::new()
                        .val(TabValueType::Right)
                        .leader(TabLeaderType::Dot)
                        .pos(TEXT_WIDTH),
                )
                .indent(Some(((h.level - 1) * 360) as i32), None, None, None)
                .line_spacing(LineSpacing::new().after(40))
                .add_run(text)
                .add_run(Run::new().add_tab())
                .add_run(field(FieldCharType::Begin, true))
                .add_run(
                    Run::new().add_instr_text(InstrText::PAGEREF(InstrPAGEREF::new(&h.bookmark))),
                )
                .add_run(field(FieldCharType::Separate, false))
                .add_run(field(FieldCharType::End, false)),
        );
    }
    out
}

/// `text` added to `run`, its line breaks as Word line breaks.
fn lines(run: Run, text: &str) -> Run {
    let mut run = run;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line);
    }
    run
}

fn joined(items: &[String]) -> String {
    items.join(", ")
}

fn counts(items: &[(String, usize)]) -> String {
    items
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn write_report(b: &mut Body, r: &Report) {
    let l = r.labels;
    b.paragraph(
        Paragraph::new()
            .style("Title")
            .add_run(Run::new().add_text(&r.title)),
    );
    b.muted(&format!("{} · {} {}", l.report, l.generated, r.date));
    b.paragraph(
        Paragraph::new().add_run(Run::new().bold().add_text(if r.draft {
            l.draft_notice
        } else {
            l.final_notice
        })),
    );
    b.blocks.push(Block::Contents);

    // Participation.
    b.part(l.participation);
    b.text(&format!(
        "{}: {} · {}: {} · {}: {}",
        l.delegates,
        r.delegates,
        l.countries,
        r.countries.len(),
        l.rooms,
        r.rooms.len()
    ));
    if !r.countries.is_empty() {
        b.table(
            &[TEXT_WIDTH - 1800, 1800],
            &[l.country, l.delegates],
            r.countries
                .iter()
                .map(|c| vec![c.name.clone(), c.delegates.to_string()])
                .collect(),
        );
    }
    b.heading(2, l.rooms_and_people);
    for room in &r.rooms {
        b.heading(3, &room.name);
        b.muted(&format!("{}: {}", l.phase, room.status));
        if room.facilitators.is_empty() && room.delegations.is_empty() && room.moved_on.is_empty() {
            b.muted(l.nobody);
            continue;
        }
        if !room.moved_on.is_empty() {
            b.labelled(&format!("{}:", l.moved_on), &joined(&room.moved_on));
        }
        if !room.facilitators.is_empty() {
            b.labelled(&format!("{}:", l.facilitators), &joined(&room.facilitators));
        }
        for d in &room.delegations {
            b.labelled(
                &format!("{} ({}):", d.country, d.names.len()),
                &joined(&d.names),
            );
        }
    }
    if !r.unplaced.is_empty() {
        b.heading(3, l.unplaced);
        for d in &r.unplaced {
            b.labelled(
                &format!("{} ({}):", d.country, d.names.len()),
                &joined(&d.names),
            );
        }
    }

    // Conclusions, then the cards they cite.
    b.part(l.conclusions);
    if r.themes.is_empty() {
        b.muted(l.no_conclusions);
    }
    for theme in &r.themes {
        b.heading(2, &theme.title);
        for c in &theme.conclusions {
            b.labelled(&format!("{}.", c.number), &c.text);
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
            b.muted(&support.join(" · "));
        }
    }
    if !r.cited.is_empty() {
        b.heading(2, l.cited_cards);
        b.text(l.cited_cards_intro);
        for c in &r.cited {
            let mut about = vec![c.room.clone(), c.column.clone()];
            about.extend(c.country.clone());
            about.extend(c.theme.clone());
            about.push(format!("{}: {}", l.votes, c.votes));
            b.paragraph(
                Paragraph::new()
                    .add_run(Run::new().bold().add_text(format!("[{}] ", c.number)))
                    .add_run(lines(Run::new(), &c.text))
                    .add_run(
                        Run::new()
                            .italic()
                            .color(MUTED)
                            .add_text(format!(" — {}", about.join(" · "))),
                    ),
            );
        }
    }

    // Every room's board.
    b.part(l.boards);
    let card_widths = [3100, 1200, 1600, 1500, 800, TEXT_WIDTH - 8200];
    for board in &r.boards {
        b.heading(2, &board.room);
        b.muted(&format!("{}: {}", l.phase, board.status));
        for column in &board.columns {
            b.heading(3, &column.title);
            if column.cards.is_empty() {
                b.muted(l.no_cards);
                continue;
            }
            b.table(
                &card_widths,
                &[l.card, l.group, l.theme, l.country, l.votes, l.conclusions],
                column
                    .cards
                    .iter()
                    .map(|c| {
                        vec![
                            c.text.clone(),
                            c.group.clone().unwrap_or_default(),
                            c.theme.clone().unwrap_or_default(),
                            c.country.clone().unwrap_or_default(),
                            c.votes.to_string(),
                            list(&c.conclusions),
                        ]
                    })
                    .collect(),
            );
        }
        if !board.groups.is_empty() {
            b.heading(3, l.groups);
            b.table(
                &[4600, 2600, 1200, TEXT_WIDTH - 8400],
                &[l.group, l.theme, l.cards, l.votes],
                board
                    .groups
                    .iter()
                    .map(|g| {
                        vec![
                            g.name.clone(),
                            g.theme.clone().unwrap_or_default(),
                            g.cards.to_string(),
                            g.votes.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
    }

    // What each country raised.
    b.part(l.overview);
    for c in &r.overview {
        b.heading(2, &c.name);
        let mut facts = vec![format!("{}: {}", l.delegates, c.delegates)];
        if !c.rooms.is_empty() {
            facts.push(format!("{}: {}", l.rooms, joined(&c.rooms)));
        }
        if !c.conclusions.is_empty() {
            facts.push(format!("{}: {}", l.cited_in, list(&c.conclusions)));
        }
        b.text(&facts.join(" · "));
        if !c.by_column.is_empty() {
            b.labelled(&format!("{}:", l.cards), &counts(&c.by_column));
            b.labelled(&format!("{}:", l.themes), &counts(&c.by_theme));
        }
        if c.cards.is_empty() {
            b.muted(l.no_cards);
            continue;
        }
        b.heading(3, l.raised);
        for card in &c.cards {
            b.paragraph(
                Paragraph::new()
                    .add_run(
                        Run::new()
                            .italic()
                            .add_text(format!("{} · {}: ", card.column, card.room)),
                    )
                    .add_run(lines(Run::new(), &card.text)),
            );
        }
    }
    if let Some(review) = &r.review {
        write_review(b, review);
    }
}

/// The review by delegations: its status, then each conclusion's endorsement record.
fn write_review(b: &mut Body, s: &super::review::ReviewSection) {
    b.part(s.labels.heading);
    b.muted(&s.status);
    for c in &s.conclusions {
        b.heading(3, &format!("{}. {}", c.number, c.text));
        for (label, text) in super::review::plain_lines(c, s.labels) {
            b.labelled(&label, &text);
        }
    }
}
