//! An organizer exports the reference workshop: the report in Markdown, HTML and DOCX,
//! the cards as CSV, the complete record as JSON; offline with `cabildo export`; and the
//! record imported into a fresh database with `cabildo import`.

#[path = "../common/mod.rs"]
mod common;
mod support;

use common::*;
use serde_json::{json, Value};
use support::*;

mod formats;
mod records;
mod safety;
