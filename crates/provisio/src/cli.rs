//! The `provisio` command line: `serve` runs the service.

use clap::{Parser, Subcommand};

use crate::config::{LogFormat, ServeArgs, Settings};

/// Self-hostable Android enrollment profiles, tokens and QR codes, served as the Microsoft Graph
/// beta resource androidDeviceOwnerEnrollmentProfile.
#[derive(Parser, Debug)]
#[command(name = "provisio", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP service (embedded SQLite in the data directory).
    Serve(ServeArgs),
}

/// Parses the command line and runs the chosen command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::load(&args)?;
            init_logging(settings.log_format, &settings.log_level);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::server::serve(settings))
        }
    }
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
