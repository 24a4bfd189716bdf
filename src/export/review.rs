//! The endorsement record of the review by delegations (`domain::review`) as the Markdown,
//! HTML, DOCX and CSV exports show it: per conclusion, who endorsed, who reserved (with the
//! reservations), who commented (with the comments and replies) and who has not answered.
//! Worked out once here, in the workshop's language; each renderer only chooses markup.

use super::report::conclusion_numbers;
use super::{countries, printable, Date, Lang};
use crate::domain::review::{self, AnswerKind, CountryAnswer};
use crate::domain::Workshop;

/// The fixed words of the review section, in one language.
pub(super) struct ReviewLabels {
    pub heading: &'static str,
    pub open_until: &'static str,
    pub closed: &'static str,
    pub endorsed: &'static str,
    pub reserved: &'static str,
    pub commented: &'static str,
    pub unanswered: &'static str,
    pub reply: &'static str,
    pub nobody: &'static str,
}

const EN: ReviewLabels = ReviewLabels {
    heading: "Review by delegations",
    open_until: "Open for answers until",
    closed: "Closed: these are the final conclusions, with each delegation's endorsement.",
    endorsed: "Endorsed by",
    reserved: "Endorsed with a reservation by",
    commented: "Commented by",
    unanswered: "No answer from",
    reply: "Reply",
    nobody: "none",
};

const ES: ReviewLabels = ReviewLabels {
    heading: "Revisión por las delegaciones",
    open_until: "Abierta a respuestas hasta",
    closed: "Cerrada: estas son las conclusiones finales, con el respaldo de cada delegación.",
    endorsed: "Respaldada por",
    reserved: "Respaldada con una reserva por",
    commented: "Comentada por",
    unanswered: "Sin respuesta de",
    reply: "Respuesta",
    nobody: "ninguna",
};

const PT: ReviewLabels = ReviewLabels {
    heading: "Revisão pelas delegações",
    open_until: "Aberta a respostas até",
    closed: "Encerrada: estas são as conclusões finais, com o endosso de cada delegação.",
    endorsed: "Endossada por",
    reserved: "Endossada com uma reserva por",
    commented: "Comentada por",
    unanswered: "Sem resposta de",
    reply: "Resposta",
    nobody: "nenhuma",
};

fn labels(lang: Lang) -> &'static ReviewLabels {
    match lang {
        Lang::En => &EN,
        Lang::Es => &ES,
        Lang::Pt => &PT,
    }
}

/// A reservation or comment: the country (named), who gave it, the text, the reply.
pub(super) struct Remark {
    pub country: String,
    pub by: String,
    pub text: String,
    pub reply: Option<String>,
}

/// One conclusion's record.
pub(super) struct ReviewedConclusion {
    /// Its number in the report.
    pub number: usize,
    pub text: String,
    pub endorsed: Vec<String>,
    pub reserved: Vec<Remark>,
    pub commented: Vec<Remark>,
    pub unanswered: Vec<String>,
}

pub(super) struct ReviewSection {
    pub labels: &'static ReviewLabels,
    /// "Open for answers until …" or "Closed: …".
    pub status: String,
    pub conclusions: Vec<ReviewedConclusion>,
}

/// The deadline as the report prints it: `2026-12-10 18:00 UTC`.
pub(super) fn deadline(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let minutes = secs.rem_euclid(86_400) / 60;
    format!(
        "{} {:02}:{:02} UTC",
        Date::from_unix_seconds(secs),
        minutes / 60,
        minutes % 60
    )
}

/// The review section; `None` when the workshop has no review.
pub(super) fn build(state: &Workshop) -> Option<ReviewSection> {
    let r = state.review.as_ref()?;
    let lang = Lang::of(state);
    let l = labels(lang);
    let numbers = conclusion_numbers(state);
    let name = |code: &str| countries::name(code, lang);
    let remark = |a: &CountryAnswer| Remark {
        country: name(&a.country),
        by: printable(&a.by_name),
        text: printable(a.text.as_deref().unwrap_or_default()),
        reply: a.reply.as_ref().map(|r| printable(&r.text)),
    };
    let mut conclusions: Vec<ReviewedConclusion> = review::record(state)
        .into_iter()
        .map(|rec| ReviewedConclusion {
            number: numbers
                .iter()
                .find(|(id, _)| *id == rec.conclusion)
                .map_or(0, |(_, n)| *n),
            text: printable(&rec.text),
            endorsed: rec.endorsed.iter().map(|a| name(&a.country)).collect(),
            reserved: rec.reserved.iter().map(remark).collect(),
            commented: rec.commented.iter().map(remark).collect(),
            unanswered: rec.unanswered.iter().map(|c| name(c)).collect(),
        })
        .collect();
    conclusions.sort_by_key(|c| c.number);
    let status = if r.closed {
        l.closed.to_string()
    } else {
        format!("{} {}.", l.open_until, deadline(r.deadline))
    };
    Some(ReviewSection {
        labels: l,
        status,
        conclusions,
    })
}

/// The CSV's header for the review rows.
pub(super) const CSV_HEADER: [&str; 9] = [
    "number",
    "conclusion_id",
    "theme",
    "conclusion",
    "country",
    "answer",
    "text",
    "by",
    "reply",
];

/// One CSV row per conclusion and country, in report order: number, conclusion id, theme
/// key, text, country code, answer (`endorsed`, `reserved`, `commented` or `none`), the reservation
/// or comment, who gave it, the reply.
pub(super) fn csv_rows(state: &Workshop) -> Vec<[String; 9]> {
    if state.review.is_none() {
        return Vec::new();
    }
    let numbers = conclusion_numbers(state);
    let mut rows = Vec::new();
    for rec in review::record(state) {
        let number = numbers
            .iter()
            .find(|(id, _)| *id == rec.conclusion)
            .map_or(0, |(_, n)| *n);
        let row = |country: &str, word: &str, a: Option<&CountryAnswer>| {
            [
                number.to_string(),
                rec.conclusion.to_string(),
                rec.theme.clone(),
                printable(&rec.text),
                country.to_string(),
                word.to_string(),
                printable(a.and_then(|a| a.text.as_deref()).unwrap_or_default()),
                a.map(|a| printable(&a.by_name)).unwrap_or_default(),
                a.and_then(|a| a.reply.as_ref())
                    .map(|r| printable(&r.text))
                    .unwrap_or_default(),
            ]
        };
        let answers = rec
            .endorsed
            .iter()
            .chain(&rec.reserved)
            .chain(&rec.commented);
        let mut these: Vec<[String; 9]> = answers
            .map(|a| {
                let word = match a.answer {
                    AnswerKind::Endorse => "endorsed",
                    AnswerKind::Reserve => "reserved",
                    AnswerKind::Comment => "commented",
                };
                row(&a.country, word, Some(a))
            })
            .collect();
        these.extend(rec.unanswered.iter().map(|c| row(c, "none", None)));
        these.sort_by(|a, b| a[4].cmp(&b[4]));
        rows.push((number, these));
    }
    rows.sort_by_key(|(n, _)| *n);
    rows.into_iter().flat_map(|(_, r)| r).collect()
}

/// `Chile (Ana Pérez): text`, each part escaped by `escape`.
fn remark_line(r: &Remark, escape: fn(&str) -> String) -> String {
    format!(
        "{} ({}): {}",
        escape(&r.country),
        escape(&r.by),
        escape(&r.text)
    )
}

fn names(items: &[String], nobody: &str, escape: fn(&str) -> String) -> String {
    if items.is_empty() {
        nobody.to_string()
    } else {
        items
            .iter()
            .map(|s| escape(s))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The section in Markdown, appended to the report.
pub(super) fn markdown(out: &mut String, s: &ReviewSection) -> std::fmt::Result {
    use super::markdown::escape;
    use std::fmt::Write;
    let l = s.labels;
    writeln!(out, "## {}\n", l.heading)?;
    writeln!(out, "*{}*\n", s.status)?;
    for c in &s.conclusions {
        writeln!(out, "### {}. {}\n", c.number, escape(&c.text))?;
        writeln!(
            out,
            "- **{}:** {}",
            l.endorsed,
            names(&c.endorsed, l.nobody, escape)
        )?;
        for (label, remarks) in [(l.reserved, &c.reserved), (l.commented, &c.commented)] {
            if remarks.is_empty() {
                writeln!(out, "- **{label}:** {}", l.nobody)?;
                continue;
            }
            writeln!(out, "- **{label}:**")?;
            for r in remarks {
                writeln!(out, "  - {}", remark_line(r, escape))?;
                if let Some(reply) = &r.reply {
                    writeln!(out, "    - *{}:* {}", l.reply, escape(reply))?;
                }
            }
        }
        writeln!(
            out,
            "- **{}:** {}\n",
            l.unanswered,
            names(&c.unanswered, l.nobody, escape)
        )?;
    }
    Ok(())
}

/// The section in HTML, a `<section class="part" id="review">` before `</main>`.
pub(super) fn html(out: &mut String, s: &ReviewSection) -> std::fmt::Result {
    use super::html::escape;
    use std::fmt::Write;
    let l = s.labels;
    writeln!(
        out,
        "<section class=\"part\" id=\"review\">\n<h2>{}</h2>\n<p class=\"status\">{}</p>",
        l.heading,
        escape(&s.status)
    )?;
    for c in &s.conclusions {
        writeln!(
            out,
            "<h3>{}. {}</h3>\n<dl class=\"review\">",
            c.number,
            escape(&c.text)
        )?;
        writeln!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            l.endorsed,
            names(&c.endorsed, l.nobody, escape)
        )?;
        for (label, remarks) in [(l.reserved, &c.reserved), (l.commented, &c.commented)] {
            write!(out, "<dt>{label}</dt><dd>")?;
            if remarks.is_empty() {
                write!(out, "{}", l.nobody)?;
            } else {
                write!(out, "<ul>")?;
                for r in remarks {
                    write!(out, "<li>{}", remark_line(r, escape))?;
                    if let Some(reply) = &r.reply {
                        write!(out, "<br><em>{}:</em> {}", l.reply, escape(reply))?;
                    }
                    write!(out, "</li>")?;
                }
                write!(out, "</ul>")?;
            }
            writeln!(out, "</dd>")?;
        }
        writeln!(
            out,
            "<dt>{}</dt><dd>{}</dd>\n</dl>",
            l.unanswered,
            names(&c.unanswered, l.nobody, escape)
        )?;
    }
    writeln!(out, "</section>")
}

/// The section as plain lines for the DOCX renderer: (label, text) pairs per conclusion.
pub(super) fn plain_lines(c: &ReviewedConclusion, l: &ReviewLabels) -> Vec<(String, String)> {
    let plain: fn(&str) -> String = str::to_string;
    let mut lines = vec![(
        format!("{}:", l.endorsed),
        names(&c.endorsed, l.nobody, plain),
    )];
    for (label, remarks) in [(l.reserved, &c.reserved), (l.commented, &c.commented)] {
        if remarks.is_empty() {
            lines.push((format!("{label}:"), l.nobody.to_string()));
        }
        for r in remarks {
            let mut text = remark_line(r, plain);
            if let Some(reply) = &r.reply {
                text.push_str(&format!(" — {}: {}", l.reply, reply));
            }
            lines.push((format!("{label}:"), text));
        }
    }
    lines.push((
        format!("{}:", l.unanswered),
        names(&c.unanswered, l.nobody, plain),
    ));
    lines
}
