//! `cabildo export`, `import`, `backup` and `erase`: working on a database file without
//! serving.
//!
//! Export loads a workshop's event log and replays it through `Workshop::apply`, exactly
//! as a workshop actor does at load, then renders it; it only reads, so it is safe while a
//! server runs on the same file. Import turns a JSON record into events (`export::import`)
//! and writes them, with fresh join codes and a fresh organizer token, as a new workshop
//! with the record's ids.

use crate::auth;
use crate::config::{BackupArgs, EraseArgs, ExportArgs, ImportArgs};
use crate::domain::{Event, Workshop, WorkshopId};
use crate::export::{self, brief, brief_render, history, import, json, Date, Format, Options};
use crate::store::{
    Batch, Codes, Credential, Database, SqliteStore, Store, StoreError, StoredEvent,
};
use anyhow::{anyhow, bail, Context};
use std::io::Write;
use std::path::Path;

/// Folds a stored log into a workshop's state.
pub fn replay(id: WorkshopId, events: &[StoredEvent]) -> anyhow::Result<Workshop> {
    let mut state = Workshop::empty(id);
    for stored in events {
        let event: Event = serde_json::from_str(&stored.body)
            .with_context(|| format!("event {} of workshop {id} is unreadable", stored.seq))?;
        state.apply(stored.seq, &event);
    }
    Ok(state)
}

/// `cabildo export --db PATH|URL --workshop ID --format F [--out FILE]`.
pub async fn export(db: &Database, args: &ExportArgs) -> anyhow::Result<()> {
    if let Database::Sqlite(path) = db {
        if !path.exists() {
            bail!("no database at {}", path.display());
        }
    }
    let id = workshop_id(&args.workshop)?;
    let store = db
        .open()
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    // No `close()`: its WAL checkpoint would wait on a server working on the same file, and
    // an export wrote nothing to flush.
    let loaded = store
        .load(id)
        .await?
        .ok_or_else(|| anyhow!("no workshop {id} in {}", db.display()))?;
    let state = replay(id, &loaded.events)?;
    let date = args
        .date
        .unwrap_or_else(|| Date::of(std::time::SystemTime::now()));
    let format = args.format;
    let options = Options {
        date,
        bom: args.bom,
    };
    let bytes = match args.country.as_deref() {
        None if format == Format::Json => {
            json::render_with_history(&state, logged_history(&loaded.events)?)?
        }
        None => export::render(&state, format, &options)?,
        Some(country) => brief_render::render(&state, country, format, &options)?,
    };
    match args.out.as_deref() {
        Some(p) if p == Path::new("-") => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
        out => {
            let path = out.map_or_else(
                || match args.country.as_deref() {
                    None => export::filename(&state, format, date).into(),
                    Some(c) => brief_render::filename(&state, c, format, date).into(),
                },
                Path::to_path_buf,
            );
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("Wrote {} ({} bytes, {format})", path.display(), bytes.len());
        }
    }
    Ok(())
}

/// The session history of a stored log (`export::history`).
pub fn logged_history(events: &[StoredEvent]) -> anyhow::Result<Vec<history::HistoryEntry>> {
    let mut parsed = Vec::with_capacity(events.len());
    for stored in events {
        let event: Event = serde_json::from_str(&stored.body)
            .with_context(|| format!("event {} is unreadable", stored.seq))?;
        parsed.push((stored.at, stored.actor, event));
    }
    Ok(history::from_log(
        parsed.iter().map(|(at, by, event)| (*at, *by, event)),
    ))
}

/// `cabildo import --db PATH|URL --file FILE`.
pub async fn import(db: &Database, args: &ImportArgs) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let record = import::parse(&bytes)?;
    let imported = import::events(&record)?;
    let id = imported.workshop;
    let store: Store = db
        .open()
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let result = write(&store, &imported).await;
    store.close().await;
    let (codes, token) = result?;
    println!("Imported workshop {id}: {}", record.workshop.settings.title);
    println!("  database:         {}", db.display());
    println!("  events written:   {}", imported.events.len());
    println!("  facilitator code: {}", codes.facilitator);
    println!("  delegate code:    {}", codes.delegate);
    println!("  organizer token:  {token}");
    println!(
        "Participants of the original workshop are in the record but have no token here: they join again with the codes."
    );
    Ok(())
}

/// Stores the imported workshop; returns its new join codes and organizer token.
async fn write(store: &Store, imported: &import::Imported) -> anyhow::Result<(Codes, String)> {
    let id = imported.workshop;
    if store.load(id).await?.is_some() {
        bail!("workshop {id} is already in this database; import it into another one");
    }
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut batch = Batch::default();
    for (i, (event, logged)) in imported.events.iter().zip(&imported.logged).enumerate() {
        // History events keep when they happened and who caused them.
        let (at, actor) = logged.unwrap_or((at, None));
        batch.events.push(StoredEvent {
            seq: i as u64 + 1,
            at,
            actor,
            body: serde_json::to_string(event)?,
        });
    }
    let token = auth::new_token();
    batch.credentials.push(Credential {
        token_hash: auth::hash_token(&token),
        participant: imported.organizer,
    });
    for _ in 0..5 {
        let codes = Codes {
            facilitator: auth::new_facilitator_code(),
            delegate: auth::new_code(),
        };
        match store.create_workshop(id, &codes, &batch).await {
            Ok(()) => return Ok((codes, token)),
            Err(StoreError::CodeTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    bail!("could not find unused join codes; try again")
}

/// `cabildo backup --db PATH --out FILE`: a consistent copy (`VACUUM INTO`), safe while a
/// server runs on the same database.
pub async fn backup(db: &Database, args: &BackupArgs) -> anyhow::Result<()> {
    let path = match db {
        Database::Postgres(_) => bail!(
            "cabildo backup copies SQLite databases only. For PostgreSQL use its own tools, e.g.\n  \
             pg_dump --format=custom --file=cabildo.dump \"$CABILDO_DATABASE_URL\"\n\
             and restore with pg_restore (see docs/OPERATIONS.md)"
        ),
        Database::Sqlite(path) => path,
    };
    let shown = path.display().to_string();
    if !path.exists() {
        bail!("no database at {shown}");
    }
    let store = SqliteStore::open(path)
        .await
        .with_context(|| format!("opening {shown}"))?;
    // No `close()`, as for export: the backup only read.
    store
        .backup(&args.out)
        .await
        .with_context(|| format!("backing up {shown} to {}", args.out.display()))?;
    let size = std::fs::metadata(&args.out).map_or(0, |m| m.len());
    println!("Backed up {shown} to {} ({size} bytes)", args.out.display());
    Ok(())
}

/// `cabildo erase --db PATH|URL --workshop ID`: deletes every row of the workshop.
pub async fn erase(db: &Database, args: &EraseArgs) -> anyhow::Result<()> {
    if let Database::Sqlite(path) = db {
        if !path.exists() {
            bail!("no database at {}", path.display());
        }
    }
    let id = workshop_id(&args.workshop)?;
    let store = db
        .open()
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let erased = store.erase_workshop(id).await;
    store.close().await;
    if !erased? {
        bail!("no workshop {id} in {}", db.display());
    }
    println!("Erased workshop {id} from {}", db.display());
    Ok(())
}

fn workshop_id(raw: &str) -> anyhow::Result<WorkshopId> {
    raw.parse()
        .map_err(|_| anyhow!("{raw:?} is not a workshop id"))
}

/// Parses `--format`.
pub fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("must be one of {}", Format::keys()))
}

/// Parses `--country`: a known ISO 3166-1 alpha-2 code, any case.
pub fn parse_country(s: &str) -> Result<String, String> {
    brief::country_code(s).map_err(|e| e.to_string())
}

/// Parses `--date`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| "must be a date written YYYY-MM-DD".to_string())
}
