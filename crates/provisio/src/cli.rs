//! The `provisio` command line: `serve` runs the service; `migrate` updates the schema; `backup`
//! and `restore` copy the SQLite database and its secrets out and back; `key rotate`/`key retire`
//! replace the sealing key; `token issue` mints development tokens; `device enroll` and `device
//! checkin` act as an enrolling device. `profiles`, `devices` and `audit` are a client of a
//! server's Graph API ([`crate::client`]); `completions` and `man` are generated from these
//! definitions.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, CommandFactory as _, Parser, Subcommand};
use uuid::Uuid;

use crate::auth::dev::{DevKey, TokenRequest};
use crate::config::{LogFormat, ServeArgs, Settings};

/// Self-hostable Android enrollment profiles, tokens and QR codes, served as the Microsoft Graph
/// beta resource androidDeviceOwnerEnrollmentProfile.
#[derive(Parser, Debug)]
#[command(name = "provisio", version, about, after_help = crate::client::EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP service (embedded SQLite in the data directory, or PostgreSQL with
    /// --database-url).
    Serve(Box<ServeArgs>),
    /// Development bearer tokens, signed with the key `serve` keeps in the data directory.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create or update the database schema, then exit. `serve` does this itself at start-up
    /// unless --database-migrate-on-start=false; run this once, from one process, for a database
    /// without advisory locks (--no-locking).
    Migrate(Box<MigrateArgs>),
    /// Copy the SQLite database (while the service runs) and the secret files of the data
    /// directory into a new directory.
    Backup(Box<BackupArgs>),
    /// Put a backup made by `provisio backup` into the data directory (stop the service first).
    Restore(Box<RestoreArgs>),
    /// The keys that seal token values, Wi-Fi passwords and QR codes in the database
    /// (docs/DEPLOYMENT.md, "Secrets at rest").
    #[command(subcommand)]
    Key(KeyCommand),
    /// Act as a device: enroll with a provisioning QR code, then check in and receive commands,
    /// as a device policy controller does.
    #[command(subcommand)]
    Device(crate::device_client::DeviceCommand),
    /// Sign in to a provisio server with its identity provider (a code to enter in a browser)
    /// and save the token for later commands.
    Login(crate::client::login::LoginArgs),
    /// Forget the saved sign-in.
    Logout(crate::client::login::LogoutArgs),
    /// Enrollment profiles on a server, through its Graph API: list, show, create, change and
    /// delete them, manage their tokens, show their QR codes.
    #[command(after_help = crate::client::EXIT_CODES)]
    Profiles(crate::client::ProfilesArgs),
    /// Enrolled devices on a server, through its Graph API (managedDevices).
    #[command(after_help = crate::client::EXIT_CODES)]
    Devices(crate::client::DevicesArgs),
    /// The audit trail of a server, through its Graph API (auditEvents).
    #[command(after_help = crate::client::EXIT_CODES)]
    Audit(crate::client::AuditArgs),
    /// Print a shell completion script, e.g. `provisio completions bash >
    /// /etc/bash_completion.d/provisio`.
    Completions(CompletionsArgs),
    /// Write the manual pages (roff): provisio(1) on standard output, or one page per command
    /// into --dir.
    Man(ManArgs),
    /// The settings file.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print a settings file (TOML) with every setting, its help and its default, commented
    /// out; a setting given as a flag or a PROVISIO_* variable is set in it. The packaged
    /// /etc/provisio/provisio.toml is `provisio config example --data-dir /var/lib/provisio`.
    Example(Box<ServeArgs>),
}

/// The flags of `provisio completions`.
#[derive(Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The flags of `provisio man`.
#[derive(Args, Debug)]
struct ManArgs {
    /// Write provisio.1 and a page for every subcommand (provisio-profiles-list.1, ...) into
    /// this directory instead of provisio(1) to standard output.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The flags of `provisio backup`: where to, plus the settings of `serve` (which find the data
/// directory and the database as `serve` does).
#[derive(Args, Debug)]
struct BackupArgs {
    /// The directory to write the backup into; it must not exist yet or be empty.
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    #[command(flatten)]
    settings: ServeArgs,
}

/// The flags of `provisio restore`.
#[derive(Args, Debug)]
struct RestoreArgs {
    /// The directory that `provisio backup --to` wrote.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Move an existing database and secret files in the data directory aside (renamed with a
    /// .before-restore-<time> suffix) instead of refusing.
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    settings: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Add a new sealing key to the key file and seal every value in the database with it; the
    /// old keys stay in the file to open values until `key retire`. Stop an SQLite service first.
    Rotate(Box<ServeArgs>),
    /// Seal anew whatever still uses an old key, then drop the old keys from the key file. Run
    /// once every process uses the rotated key file.
    Retire(Box<ServeArgs>),
}

/// The flags of `provisio migrate`: the same settings as `serve`, plus locking.
#[derive(Args, Debug)]
struct MigrateArgs {
    /// Do not take PostgreSQL's advisory lock while migrating (for engines that lack it; make
    /// sure no other process migrates at the same time).
    #[arg(long)]
    no_locking: bool,
    #[command(flatten)]
    settings: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Print a new development token on standard output.
    Issue(IssueArgs),
    /// Print a development user ID token on standard output: what a DPC's sign-in returns for
    /// the user of an AOSP user-associated device (`provisio device enroll
    /// --user-id-token-file`).
    IdToken(IdTokenArgs),
}

/// The flags of `provisio token id-token`, plus the settings of `serve`.
#[derive(Args, Debug)]
struct IdTokenArgs {
    /// The client id the token is issued to (its aud claim): one of
    /// devices.user_id_token_audiences.
    #[arg(long, value_name = "CLIENT_ID")]
    client: String,
    /// The user's principal name (its preferred_username claim), e.g. eric@contoso.com.
    #[arg(long, value_name = "UPN")]
    user: String,
    /// Tenant id (GUID) of the user (its tid claim) [default: the dev_tenant setting].
    #[arg(long, value_name = "GUID")]
    tenant: Option<Uuid>,
    /// Lifetime, e.g. 10m, 1h [default: 1h].
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
    expires_in: Duration,
    #[command(flatten)]
    settings: ServeArgs,
}

/// The flags of `provisio token issue`, plus the settings of `serve` (which find the data
/// directory, and so the signing key, as `serve` does).
#[derive(Args, Debug)]
struct IssueArgs {
    /// Tenant id (GUID) the token acts for (its tid claim) [default: the dev_tenant setting,
    /// 00000000-0000-4000-8000-000000000001].
    #[arg(long, value_name = "GUID")]
    tenant: Option<Uuid>,
    /// Permission to grant, e.g. DeviceManagementConfiguration.ReadWrite.All or
    /// DeviceManagementConfiguration.Read.All (repeat for several).
    #[arg(long = "scope", value_name = "PERMISSION", num_args = 1.., required = true)]
    scopes: Vec<String>,
    /// An application token (permissions in roles) instead of a delegated one (in scp).
    #[arg(long)]
    app: bool,
    /// Lifetime, e.g. 30m, 1h, 30d [default: 1h].
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
    expires_in: Duration,
    #[command(flatten)]
    settings: ServeArgs,
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
        Command::Migrate(args) => {
            let settings = Settings::load(&args.settings)?;
            one_shot(&settings)?.block_on(migrate(&settings, !args.no_locking))
        }
        Command::Backup(args) => {
            let settings = Settings::load(&args.settings)?;
            let lines =
                one_shot(&settings)?.block_on(crate::backup::backup(&settings, &args.to))?;
            report(&format!("backed up into {}", args.to.display()), &lines);
            Ok(())
        }
        Command::Restore(args) => {
            let settings = Settings::load(&args.settings)?;
            let lines = one_shot(&settings)?.block_on(crate::backup::restore(
                &settings,
                &args.from,
                args.replace,
            ))?;
            report(
                &format!("restored into {}", settings.data_dir().display()),
                &lines,
            );
            Ok(())
        }
        Command::Key(command) => {
            let (args, rotate) = match command {
                KeyCommand::Rotate(args) => (args, true),
                KeyCommand::Retire(args) => (args, false),
            };
            let settings = Settings::load(&args)?;
            init_logging(settings.log_format, &settings.log_level);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let said = runtime.block_on(async {
                if rotate {
                    crate::rotation::rotate(&settings).await
                } else {
                    crate::rotation::retire(&settings).await
                }
            })?;
            println!("{said}");
            Ok(())
        }
        Command::Token(TokenCommand::Issue(args)) => {
            println!("{}", issue(&args)?);
            Ok(())
        }
        Command::Token(TokenCommand::IdToken(args)) => {
            if args.expires_in < Duration::from_secs(1) {
                bail!("--expires-in must be at least one second");
            }
            let settings = Settings::load(&args.settings)?;
            let key = DevKey::load(settings.data_dir())?;
            let tenant = args.tenant.unwrap_or(settings.dev_tenant);
            println!(
                "{}",
                key.issue_id_token(tenant, &args.client, &args.user, args.expires_in)?
            );
            Ok(())
        }
        Command::Device(command) => crate::device_client::run(command),
        Command::Login(args) => crate::client::login::run_login(&args),
        Command::Logout(args) => crate::client::login::run_logout(&args),
        Command::Profiles(args) => crate::client::run(crate::client::commands::profiles(args)),
        Command::Devices(args) => crate::client::run(crate::client::commands::devices(args)),
        Command::Audit(args) => crate::client::run(crate::client::commands::audit(args)),
        Command::Completions(args) => {
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "provisio",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Man(args) => man(args.dir.as_deref()),
        Command::Config(ConfigCommand::Example(args)) => {
            print!("{}", crate::config::example::example(&args)?);
            Ok(())
        }
    }
}

/// provisio(1) on standard output, or every page into `dir`.
fn man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let command = Cli::command();
    match dir {
        None => {
            clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(command, dir)?;
        }
    }
    Ok(())
}

/// Logging as the settings say, and a runtime for a command that runs once and exits.
fn one_shot(settings: &Settings) -> anyhow::Result<tokio::runtime::Runtime> {
    init_logging(settings.log_format, &settings.log_level);
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Prints `headline` and one indented line per item.
fn report(headline: &str, lines: &[String]) {
    println!("provisio: {headline}");
    for line in lines {
        println!("  {line}");
    }
}

async fn migrate(settings: &Settings, locking: bool) -> anyhow::Result<()> {
    match settings.database.postgres(settings.queries.limits()) {
        Some(pg) => {
            let keys = std::sync::Arc::new(settings.sealing.load(settings.data_dir())?);
            let store = crate::store::postgres::PostgresStore::connect(&pg, keys).await?;
            store.migrate(locking).await?;
            let store: &dyn crate::store::Store = &store;
            store
                .prepare_sealing(crate::model::PROFILES.layout())
                .await?;
            store.close().await;
        }
        None => {
            crate::private::secure_data_dir(settings.data_dir())?;
            let keys = std::sync::Arc::new(settings.sealing.load(settings.data_dir())?);
            let store = crate::store::sqlite::SqliteStore::open_keyed(
                settings.data_dir(),
                settings.sqlite_tuning(),
                settings.queries.limits(),
                keys,
            )
            .await?;
            crate::store::Store::close(&store).await;
        }
    }
    println!("provisio: the database schema is up to date");
    Ok(())
}

fn issue(args: &IssueArgs) -> anyhow::Result<String> {
    if args.expires_in < Duration::from_secs(1) {
        bail!("--expires-in must be at least one second");
    }
    let settings = Settings::load(&args.settings)?;
    let key = DevKey::load(settings.data_dir())?;
    key.issue(&TokenRequest {
        tenant: args.tenant.unwrap_or(settings.dev_tenant),
        permissions: args.scopes.clone(),
        app: args.app,
        lifetime: args.expires_in,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The help of a subcommand at a fixed width; `built` propagates the global flags first,
    /// as `provisio <name> --help` shows them.
    fn help_of(name: &str, built: bool) -> String {
        let mut cli = Cli::command().term_width(100);
        if built {
            cli.build();
        }
        let mut sub = &mut cli;
        for word in name.split(' ') {
            sub = sub.find_subcommand_mut(word).unwrap();
        }
        sub.render_long_help().to_string()
    }

    fn long_help(name: &str) -> String {
        help_of(name, false)
    }

    fn built_long_help(name: &str) -> String {
        help_of(name, true)
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_help_names_every_flag_its_variable_and_default() {
        insta::assert_snapshot!(long_help("serve"));
    }

    #[test]
    fn migrate_help_adds_no_locking_to_the_serve_flags() {
        insta::assert_snapshot!(long_help("migrate"));
    }

    #[test]
    fn device_enroll_help_names_the_qr_code_the_server_and_the_device_facts() {
        insta::assert_snapshot!(long_help("device enroll"));
    }

    #[test]
    fn profiles_create_help_names_every_member_flag_and_the_connection() {
        insta::assert_snapshot!(built_long_help("profiles create"));
    }

    #[test]
    fn profiles_list_help_names_the_list_options_and_the_exit_codes() {
        insta::assert_snapshot!(built_long_help("profiles list"));
    }

    #[test]
    fn device_checkin_help_names_the_state_file() {
        insta::assert_snapshot!(long_help("device checkin"));
    }

    #[test]
    fn login_help_names_the_server_and_its_default() {
        insta::assert_snapshot!(long_help("login"));
    }
}
