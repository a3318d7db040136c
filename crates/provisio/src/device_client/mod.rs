//! `provisio device`: a device you can hold in a terminal. It does what a device policy
//! controller (DPC) does after a factory-reset phone scans a provisioning QR code — reads the
//! code, checks its enrollment token, enrolls with a secret of its own, then checks in and
//! obeys `retire` and `wipe` — so an administrator can try a profile end to end, and tests can
//! drive the device protocol as a device would.
//!
//! - [`qr`]: the PNG, the provisioning JSON, and which admin extras carry what;
//! - [`protocol`]: the device protocol's calls, their retries and error envelopes;
//! - [`state`]: the state file (server, record, secret), private and replaced atomically;
//! - [`flow`]: the two commands, step by step, and what they print.

pub mod flow;
pub mod protocol;
pub mod qr;
pub mod state;

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// The `provisio device` commands.
#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// Enroll as a device does after scanning a provisioning QR code: check the code's
    /// enrollment token, save a new device secret in the state file, then enroll.
    Enroll(Box<EnrollArgs>),
    /// Check in as the enrolled device of the state file: send its facts, print the commands
    /// waiting for it, acknowledge a retire or wipe and do what a DPC would (here: forget the
    /// state).
    Checkin(Box<CheckinArgs>),
}

/// Where the device keeps its state, and how to print answers.
#[derive(Args, Debug)]
pub struct StateArgs {
    /// The device's state file (JSON, mode 0600): server, record and the device's secret.
    #[arg(long, value_name = "FILE", default_value = state::DEFAULT_STATE_FILE)]
    pub state: PathBuf,
    /// Print the server's answer as JSON instead of lines for people.
    #[arg(long)]
    pub json: bool,
}

/// The flags of `provisio device enroll`.
#[derive(Args, Debug)]
pub struct EnrollArgs {
    /// The provisioning QR code as a PNG image, e.g. a profile's qrCodeImage saved to a file.
    #[arg(long, value_name = "PNG")]
    pub qr: PathBuf,
    /// The server's base URL, instead of the code's enrollment URL. Required for a code for
    /// Google's Android Device Policy, which carries none.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The admin-extras key of the enrollment token in a code for your own DPC (your
    /// aosp_dpc.token_extras_key) [default: the one extras value of 20 letters A–Z].
    #[arg(long, value_name = "KEY")]
    pub token_key: Option<String>,
    /// The admin-extras key of the enrollment URL in a code for your own DPC (your
    /// aosp_dpc.enrollment_url_extras_key) [default: the one extras value that is an http(s)
    /// URL].
    #[arg(long, value_name = "KEY")]
    pub url_key: Option<String>,
    /// The device's serial number.
    #[arg(long, value_name = "SERIAL")]
    pub serial: String,
    /// The device's manufacturer, e.g. samsung.
    #[arg(long, value_name = "NAME")]
    pub manufacturer: Option<String>,
    /// The device's model, e.g. SM-G991B.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// The device's IMEI.
    #[arg(long, value_name = "IMEI")]
    pub imei: Option<String>,
    /// The device's MEID.
    #[arg(long, value_name = "MEID")]
    pub meid: Option<String>,
    /// The device's enrollment-specific id (Android 12 and later).
    #[arg(long, value_name = "ID")]
    pub enterprise_specific_id: Option<String>,
    /// The device's Wi-Fi MAC address.
    #[arg(long, value_name = "MAC")]
    pub wifi_mac_address: Option<String>,
    /// A file holding the OpenID Connect ID token of the device's user, sent as userIdToken
    /// (AOSP user-associated mode; `provisio token id-token` makes one in development).
    #[arg(long, value_name = "FILE")]
    pub user_id_token_file: Option<PathBuf>,
    /// The facts that change over the device's life.
    #[command(flatten)]
    pub facts: FactArgs,
    /// The state file and the output.
    #[command(flatten)]
    pub output: StateArgs,
}

/// The facts a device reports at enrollment and at every check-in.
#[derive(Args, Debug, Clone)]
pub struct FactArgs {
    /// The Android version, e.g. 14.
    #[arg(long, value_name = "VERSION")]
    pub os_version: Option<String>,
    /// The Android security patch level, e.g. 2026-10-01.
    #[arg(long, value_name = "DATE")]
    pub security_patch_level: Option<String>,
}

/// The flags of `provisio device checkin`.
#[derive(Args, Debug)]
pub struct CheckinArgs {
    /// The facts reported with the check-in.
    #[command(flatten)]
    pub facts: FactArgs,
    /// The state file and the output.
    #[command(flatten)]
    pub output: StateArgs,
}

/// Runs a `provisio device` command.
pub fn run(command: DeviceCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        DeviceCommand::Enroll(args) => runtime.block_on(flow::enroll(&args)),
        DeviceCommand::Checkin(args) => runtime.block_on(flow::checkin(&args)),
    }
}
