//! `cabildo`: the command line. Thin on purpose: everything lives in the library.

use cabildo::config::{Cli, Command, Config, LogFormat};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "cabildo=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Human => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let mut args = cli.serve;
    let offline = matches!(
        cli.command,
        Some(Command::Export(_) | Command::Import(_) | Command::Backup(_) | Command::Erase(_))
    );
    if offline && args.demo {
        anyhow::bail!("--demo only applies to serving")
    }
    match &cli.command {
        Some(Command::Export(export)) => {
            return cabildo::offline::export(&args.database(), export).await
        }
        Some(Command::Import(import)) => {
            return cabildo::offline::import(&args.database(), import).await
        }
        Some(Command::Backup(backup)) => {
            return cabildo::offline::backup(&args.database(), backup).await
        }
        Some(Command::Erase(erase)) => {
            return cabildo::offline::erase(&args.database(), erase).await
        }
        Some(Command::Demo) => args.demo = true,
        Some(Command::Serve) | None => {}
    }
    let config = Config::from_args(&args);
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
    cabildo::run(config, listener, cabildo::shutdown_signal()).await
}
