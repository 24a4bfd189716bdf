//! Helpers of `export.rs`: the demo workshop with its printed tokens, what the fixture
//! says about each conclusion, a CommonMark reader, and running the `cabildo` binary.

use super::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

pub const SLUG: &str = "going-digital-review-of-digital-government-in-latin-america";

pub fn fixture() -> Value {
    serde_json::from_str(include_str!("../../data/going-digital-2020.json")).expect("fixture")
}

pub fn printed_after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// The demo workshop running, with the ids and tokens it printed.
pub struct Demo {
    pub server: TestServer,
    pub id: String,
    pub organizer: String,
    pub lead: String,
    pub delegate: String,
}

pub async fn demo() -> Demo {
    let (server, printed) = TestServer::start_demo().await;
    let delegate = printed
        .iter()
        .find(|l| l.trim_start().starts_with("Delegate "))
        .and_then(|l| l.split_whitespace().last())
        .expect("a delegate token")
        .to_string();
    Demo {
        id: printed_after(&printed, "workshop id:").to_string(),
        organizer: printed_after(&printed, "organizer token:").to_string(),
        lead: printed_after(&printed, "Lead facilitator").to_string(),
        delegate,
        server,
    }
}

impl Demo {
    pub async fn get(&self, query: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.server.http.get(
            self.server
                .url(&format!("/api/workshops/{}/export?{query}", self.id)),
        );
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send().await.expect("request")
    }

    /// A successful export's body.
    pub async fn export(&self, format: &str) -> Vec<u8> {
        let r = self
            .get(&format!("format={format}"), Some(&self.organizer))
            .await;
        assert_eq!(r.status(), 200, "{format}");
        r.bytes().await.expect("body").to_vec()
    }

    pub async fn text(&self, format: &str) -> String {
        String::from_utf8(self.export(format).await).expect("utf-8")
    }
}

/// What the fixture says about each conclusion: theme title, text, the texts of the cards
/// it cites, and the names of its supporting countries.
pub struct Expected {
    pub theme: String,
    pub text: String,
    pub cards: Vec<String>,
    pub countries: Vec<String>,
}

pub fn expected_conclusions(fx: &Value) -> Vec<Expected> {
    let country_name: BTreeMap<&str, &str> = fx["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code"),
                c["name"].as_str().expect("name"),
            )
        })
        .collect();
    let card = |key: &str| {
        fx["cards"]
            .as_array()
            .expect("cards")
            .iter()
            .find(|c| c["key"] == key)
            .expect("cited card")
            .clone()
    };
    let country_of = |author: &str| {
        fx["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .find(|p| p["key"] == author)
            .and_then(|p| p["country"].as_str())
            .map(|c| country_name[c].to_string())
    };
    fx["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .map(|k| {
            let theme = fx["workshop"]["themes"]
                .as_array()
                .expect("themes")
                .iter()
                .find(|t| t["key"] == k["theme"])
                .expect("theme");
            let cards: Vec<Value> = k["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .map(|key| card(key.as_str().expect("key")))
                .collect();
            let mut countries: Vec<String> = cards
                .iter()
                .filter_map(|c| country_of(c["author"].as_str().expect("author")))
                .collect();
            countries.sort();
            countries.dedup();
            Expected {
                theme: theme["title"].as_str().expect("title").to_string(),
                text: k["text"].as_str().expect("text").to_string(),
                cards: cards
                    .iter()
                    .map(|c| c["text"].as_str().expect("text").to_string())
                    .collect(),
                countries,
            }
        })
        .collect()
}

/// The blocks of a CommonMark document as plain text (one string per paragraph, heading,
/// list item or table cell), and its headings as (level, text). Fails on any HTML, link
/// or image: the report has none.
pub fn markdown_blocks(md: &str) -> (Vec<String>, Vec<(u8, String)>) {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut headings = Vec::new();
    let mut current = String::new();
    let mut level = None;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) => current.push_str(&t),
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            Event::Html(h) | Event::InlineHtml(h) => panic!("HTML in the Markdown report: {h}"),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                panic!("a link in the Markdown report: {dest_url}")
            }
            Event::Start(Tag::Heading { level: l, .. }) => {
                level = Some(match l {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                })
            }
            Event::End(
                TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::TableCell | TagEnd::Item,
            ) if !current.is_empty() => {
                if let Some(l) = level.take() {
                    headings.push((l, current.clone()));
                }
                blocks.push(std::mem::take(&mut current));
            }
            _ => {}
        }
    }
    (blocks, headings)
}

pub fn position(blocks: &[String], pred: impl Fn(&str) -> bool) -> Option<usize> {
    blocks.iter().position(|b| pred(b))
}

/// One part of a DOCX package, as text.
pub fn docx_part(docx: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the docx"))
        .read_to_string(&mut s)
        .expect("utf-8 xml");
    s
}
