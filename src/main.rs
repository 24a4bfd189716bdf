//! `cabildo`: the command line. Thin on purpose: everything lives in the library.

use cabildo::config::{Cli, Command, Config};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "cabildo=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut args = cli.serve;
    match &cli.command {
        Some(Command::Export(_) | Command::Import(_)) if args.demo => {
            anyhow::bail!("--demo only applies to serving")
        }
        Some(Command::Export(export)) => {
            return cabildo::offline::export(&args.database(), export).await
        }
        Some(Command::Import(import)) => {
            return cabildo::offline::import(&args.database(), import).await
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
