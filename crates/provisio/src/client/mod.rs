//! The client commands: `provisio profiles`, `provisio devices` and `provisio audit` call a
//! provisio server's Graph API over HTTP, as any other Graph client does; none of them opens a
//! database. docs/CLI.md describes each command.
//!
//! - [`connection`]: which server and token (flags, the saved login, the development key), the
//!   HTTP calls and paging;
//! - [`failure`]: how a failed command ends: the Graph error it prints and its exit code;
//! - [`login`]: `provisio login` and `provisio logout`, signing in with a device code;
//! - [`saved`]: the saved login file that `provisio login` writes;
//! - [`output`]: tables, JSON and CSV;
//! - [`commands`]: what each command sends and prints;
//! - [`qr`]: the QR code in the terminal and as SVG, and the zero-touch DPC extras.

pub mod commands;
pub mod connection;
pub mod failure;
pub mod import;
pub mod login;
pub mod output;
pub mod qr;
pub mod saved;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

pub use connection::{exit_code, ConnectArgs, Failure, EXIT_CODES};
pub use output::OutputArgs;

/// How a client command connects and prints: flags every client command takes.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Connection and output")]
pub struct ClientArgs {
    /// The server and the token.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The list options every list command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct ListArgs {
    /// An OData $filter, passed to the server as written, e.g. "startswith(displayName,'Lobby')".
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// An OData $orderby, e.g. "displayName desc".
    #[arg(long, value_name = "EXPR")]
    pub orderby: Option<String>,
    /// Items per page ($top); every page is fetched unless --max stops earlier.
    #[arg(long, value_name = "N")]
    pub top: Option<u32>,
    /// Stop after this many items.
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
}

/// `provisio profiles`.
#[derive(Args, Debug)]
pub struct ProfilesArgs {
    /// Connection and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

/// The `provisio profiles` commands.
#[derive(Subcommand, Debug)]
pub enum ProfilesCommand {
    /// List the profiles, all pages of them.
    List(ProfileListArgs),
    /// Show one profile.
    Get(IdArg),
    /// Create a profile from member flags and/or a JSON body.
    Create(ProfileBody),
    /// Change members of a profile; only the members given are sent.
    Update(ProfileUpdateArgs),
    /// Delete a profile.
    Delete(ChangeIdArgs),
    /// The profile's enrollment token.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Show the profile's QR code in the terminal, or save it as PNG or SVG.
    Qr(QrArgs),
    /// Print the DPC extras JSON for Google's zero-touch portal (or, with --knox, Samsung Knox
    /// Mobile Enrollment) from the profile's QR code.
    ExportZeroTouch(ZeroTouchArgs),
    /// Write every profile as JSON lines (default) or CSV.
    Export(ExportArgs),
    /// Create profiles from a CSV or JSON-lines file, twenty per $batch request; a rerun
    /// creates nothing twice and continues where an interrupted run stopped (docs/CLI.md,
    /// "Importing profiles").
    Import(import::ImportArgs),
}

/// One id.
#[derive(Args, Debug)]
pub struct IdArg {
    /// The id (a GUID).
    #[arg(value_name = "ID")]
    pub id: String,
}

/// One id, for a change that may be made conditional.
#[derive(Args, Debug)]
pub struct ChangeIdArgs {
    /// The id (a GUID).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Change only if the entity still has this ETag (its @odata.etag, e.g. W/"3"); otherwise
    /// the server answers 412 and nothing changes (exit code 5).
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// The flags of `provisio profiles list`.
#[derive(Args, Debug)]
pub struct ProfileListArgs {
    /// The list options.
    #[command(flatten)]
    pub list: ListArgs,
    /// Only profiles whose token is valid now and expires within this time, e.g. 7d (soonest
    /// first unless --orderby says otherwise).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub expiring: Option<Duration>,
}

/// The members a profile's create and update take as flags (docs/API.md, section 3).
#[derive(Args, Debug, Default)]
pub struct ProfileBody {
    /// A JSON object with the members to send, from a file or - for standard input; the member
    /// flags override what it says.
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<PathBuf>,
    /// displayName: 1 to 256 characters.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// description, at most 1,500 characters.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// enrollmentMode.
    #[arg(long, value_name = "MODE", value_parser = commands::enrollment_modes())]
    pub mode: Option<String>,
    /// enrollmentTokenType.
    #[arg(long, value_name = "TYPE", value_parser = commands::token_types())]
    pub token_type: Option<String>,
    /// wifiSsid: the network the device joins while it sets up.
    #[arg(long, value_name = "SSID")]
    pub wifi_ssid: Option<String>,
    /// wifiPassword.
    #[arg(long, value_name = "PASSWORD")]
    pub wifi_password: Option<String>,
    /// wifiSecurityType.
    #[arg(long, value_name = "TYPE", value_parser = commands::wifi_security_types())]
    pub wifi_security: Option<String>,
    /// wifiHidden: the network does not broadcast its SSID.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub wifi_hidden: Option<bool>,
    /// configureWifi: whether the QR code carries the Wi-Fi settings.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub configure_wifi: Option<bool>,
    /// isTeamsDeviceProfile.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub teams_device: Option<bool>,
    /// deviceNameTemplate, e.g. "Kiosk-{{SERIAL}}".
    #[arg(long, value_name = "TEMPLATE")]
    pub device_name_template: Option<String>,
    /// roleScopeTagIds (repeat for several).
    #[arg(long = "role-scope-tag", value_name = "ID")]
    pub role_scope_tags: Vec<String>,
}

/// The flags of `provisio profiles update`.
#[derive(Args, Debug)]
pub struct ProfileUpdateArgs {
    /// The profile's id, and the ETag it must still have.
    #[command(flatten)]
    pub target: ChangeIdArgs,
    /// The members to change.
    #[command(flatten)]
    pub body: ProfileBody,
}

/// `provisio profiles token`.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Give the profile a new enrollment token (createToken); the old one stops working.
    Create(TokenCreateArgs),
    /// Remove the profile's enrollment token (revokeToken).
    Revoke(IdArg),
}

/// The flags of `provisio profiles token create`.
#[derive(Args, Debug)]
pub struct TokenCreateArgs {
    /// The profile's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// How long the token stays valid, e.g. 1h, 30d (at least a minute; the longest depends on
    /// the mode, docs/API.md section 4).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub valid_for: Duration,
}

/// The flags of `provisio profiles qr`.
#[derive(Args, Debug)]
pub struct QrArgs {
    /// The profile's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Save the server's PNG (qrCodeImage) to this file instead of drawing the code.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Save the code as an SVG to this file instead of drawing it.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// The terminal's background, so the code is drawn with dark modules dark.
    #[arg(long, value_enum, default_value_t = qr::Background::Dark)]
    pub background: qr::Background,
}

/// The flags of `provisio profiles export-zero-touch`.
#[derive(Args, Debug)]
pub struct ZeroTouchArgs {
    /// The profile's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Only the admin extras bundle, as Knox Mobile Enrollment's custom JSON takes it.
    #[arg(long)]
    pub knox: bool,
}

/// The flags of `provisio profiles export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// JSON lines (one profile per line, as the server answers it) or CSV of every member.
    #[arg(long = "format", id = "export_format", value_enum, default_value_t = commands::ExportFormat::Jsonl)]
    pub format: commands::ExportFormat,
    /// The list options.
    #[command(flatten)]
    pub list: ListArgs,
}

/// `provisio devices`.
#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Connection and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: DevicesCommand,
}

/// The `provisio devices` commands (Graph's managedDevices).
#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// List the enrolled devices, all pages of them.
    List(DeviceListArgs),
    /// Show one device.
    Get(IdArg),
    /// Delete a device's record; its next check-in is told it was removed.
    Delete(IdArg),
    /// Retire a device: it gives up management at its next check-in.
    Retire(IdArg),
}

/// The flags of `provisio devices list`.
#[derive(Args, Debug)]
pub struct DeviceListArgs {
    /// The list options.
    #[command(flatten)]
    pub list: ListArgs,
    /// Only the devices enrolled with this profile's token.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
}

/// `provisio audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Connection and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The `provisio audit` commands (Graph's auditEvents).
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// List audit events, newest first.
    List(AuditListArgs),
}

/// The flags of `provisio audit list`.
#[derive(Args, Debug)]
pub struct AuditListArgs {
    /// The list options.
    #[command(flatten)]
    pub list: ListArgs,
    /// Only events of this last stretch of time, e.g. 1h, 7d.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub since: Option<Duration>,
}

/// Runs a client command on a runtime of its own.
pub fn run<F>(work: F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}
