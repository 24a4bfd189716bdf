//! The command line and environment: `cabildo serve|demo|…` and their settings.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "cabildo",
    version,
    about = "Real-time workshop facilitation server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings; they may stand before or after the subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve workshops over HTTP and WebSocket (the default).
    Serve,
    /// Serve, after loading the reference workshop (Going Digital 2020) into the database.
    Demo,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        global = true,
        env = "CABILDO_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: String,
    /// SQLite database file (created if missing).
    #[arg(long, global = true, env = "CABILDO_DB", default_value = "cabildo.db")]
    pub db: PathBuf,
    /// Token that may create workshops; generated and printed when absent.
    #[arg(
        long,
        global = true,
        env = "CABILDO_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Load the reference workshop before serving (same as `cabildo demo`).
    #[arg(long, global = true)]
    pub demo: bool,
}

/// Everything `run` needs, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub admin_token: String,
    /// Whether the admin token was generated (and so must be printed to be usable).
    pub admin_token_generated: bool,
    pub demo: bool,
}

impl Config {
    pub fn from_args(args: &ServeArgs) -> Config {
        let (admin_token, admin_token_generated) = match &args.admin_token {
            Some(t) if !t.is_empty() => (t.clone(), false),
            _ => (crate::auth::new_token(), true),
        };
        Config {
            db: args.db.clone(),
            admin_token,
            admin_token_generated,
            demo: args.demo,
        }
    }
}
