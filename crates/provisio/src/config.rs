//! The settings of `provisio serve` and `provisio migrate`. Each setting is declared once, as a
//! field of [`Settings`] or of the table it belongs to ([`AuthSettings`], [`DatabaseSettings`],
//! [`AospDpcSettings`], [`SealingSettings`], [`DeviceThrottleSettings`]): its doc is the `--help` text, and its attributes give the flag, the
//! `PROVISIO_*` variable and the default. Serde reads the same structs from the TOML file, so its
//! keys are the field names. The layers are: built-in defaults < the TOML file (`--config`) <
//! `PROVISIO_*` environment variables < command-line flags. Validated once at start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, Command, FromArgMatches};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthSettings;
use crate::crypto::SealingSettings;
use crate::metrics::MetricsSettings;
use crate::net::HttpLimits;
pub use crate::provisioning::AospDpcSettings;
use crate::store::limits::QuerySettings;
use crate::store::settings::DatabaseSettings;
use crate::store::sqlite::SqliteTuning;
use crate::throttle::{DeviceThrottleSettings, ThrottleSettings};

/// The tenant of the token `provisio serve` prints in development mode.
pub const DEFAULT_DEV_TENANT: &str = "00000000-0000-4000-8000-000000000001";

/// The settings of `provisio serve`. A field's doc is its `--help` text; a default in brackets
/// there repeats the field's `default_value` (a test checks they agree).
#[derive(Clone, Debug, PartialEq, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(
        long,
        env = "PROVISIO_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Directory for the SQLite database and generated secrets; every command that uses it
    /// (serve, token, backup, restore, key, migrate) finds it the same way
    /// [default: $XDG_DATA_HOME/provisio, else ~/.local/share/provisio].
    #[arg(long, env = "PROVISIO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Public base URL for absolute links such as @odata.nextLink and Location, e.g.
    /// https://mdm.example.com [default: taken from each request's Host header].
    #[arg(long, env = "PROVISIO_PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<String>,
    /// Believe X-Forwarded-Proto and X-Forwarded-Host (only behind a proxy that sets them)
    /// [default: false].
    #[arg(
        long,
        env = "PROVISIO_TRUST_FORWARDED_HEADERS",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub trust_forwarded_headers: bool,
    /// Log format [default: text].
    #[arg(
        long,
        env = "PROVISIO_LOG_FORMAT",
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Log filter, e.g. info, debug, provisio=debug,info [default: info].
    #[arg(
        long,
        env = "PROVISIO_LOG_LEVEL",
        value_name = "FILTER",
        default_value = "info"
    )]
    pub log_level: String,
    /// Connections for reads of the SQLite database [default: 4].
    #[arg(
        long,
        env = "PROVISIO_SQLITE_READ_CONNECTIONS",
        value_name = "N",
        default_value_t = 4
    )]
    pub sqlite_read_connections: u32,
    /// MiB of the SQLite database file to read through a memory map instead of read calls,
    /// up to 2047; faster reads, but the mapped pages count in the process's resident memory and
    /// a disk error while reading ends the process [default: 0, no map].
    #[arg(
        long,
        env = "PROVISIO_SQLITE_MMAP_MIB",
        value_name = "MIB",
        default_value_t = 0
    )]
    pub sqlite_mmap_mib: u32,
    /// Seconds that in-flight requests get to finish after SIGINT or SIGTERM [default: 30].
    #[arg(
        long,
        env = "PROVISIO_SHUTDOWN_GRACE_SECONDS",
        value_name = "SECONDS",
        default_value_t = 30
    )]
    pub shutdown_grace_seconds: u64,
    /// Tenant id (GUID) of the token printed at start-up in development mode
    /// [default: 00000000-0000-4000-8000-000000000001].
    #[arg(
        long,
        env = "PROVISIO_DEV_TENANT",
        value_name = "GUID",
        default_value = DEFAULT_DEV_TENANT
    )]
    pub dev_tenant: Uuid,
    /// Bearer-token validation (`--auth-*`, `--allow-dev-auth-on-network`).
    #[command(flatten)]
    pub auth: AuthSettings,
    /// The database (`--database-*`).
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Bounds on lists and counts (`--queries-*`).
    #[command(flatten)]
    pub queries: QuerySettings,
    /// The device policy controller that AOSP devices download (no Google services there).
    #[command(flatten)]
    pub aosp_dpc: AospDpcSettings,
    /// Request limits per application and tenant (`--throttle-*`).
    #[command(flatten)]
    pub throttle: ThrottleSettings,
    /// Failed requests per client address, and enrollments per token, on the device endpoints
    /// (`--device-throttle-*`).
    #[command(flatten)]
    pub device_throttle: DeviceThrottleSettings,
    /// Who may read /metrics (`--metrics-*`).
    #[command(flatten)]
    pub metrics: MetricsSettings,
    /// Connection limits and timeouts (`--http-*`).
    #[command(flatten)]
    pub http: HttpLimits,
    /// The keys that seal secrets at rest (`--sealing-*`).
    #[command(flatten)]
    pub sealing: SealingSettings,
    /// How devices enroll (`--devices-*`).
    #[command(flatten)]
    pub devices: crate::service::devices::DeviceSettings,
    /// Browser apps on other origins (`--cors-*`).
    #[command(flatten)]
    pub cors: crate::api::cors::CorsSettings,
    /// How long audit events are kept (`--audit-*`).
    #[command(flatten)]
    pub audit: crate::service::audit::AuditSettings,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        declared_defaults()
    }
}

/// A settings struct with every field at the default its attributes declare (`None` or empty
/// where they declare none). Neither the environment nor the command line is read.
///
/// # Panics
///
/// When a declared default does not parse as its field's type, which the tests of this module
/// would show.
pub fn declared_defaults<T: Args + FromArgMatches>() -> T {
    let command = T::augment_args(Command::new("defaults")).mut_args(|a| a.env(None));
    let parsed = command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(value) => value,
        Err(e) => panic!("a declared default does not parse: {e}"),
    }
}

/// The `--config` flag, the one flag of `serve` that is not a setting.
#[derive(Args, Debug)]
struct ConfigFlag {
    /// TOML file with settings; environment variables and flags override it.
    #[arg(long, env = "PROVISIO_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The flags of `provisio serve` (and `migrate`): `--config`, then every field of [`Settings`]
/// as a flag with its `PROVISIO_*` variable. Holds only the values that the command line or the
/// environment gave, so that they can be laid over the TOML file.
#[derive(Clone, Debug, Default)]
pub struct ServeArgs {
    /// The TOML file to read, if any.
    pub config: Option<PathBuf>,
    /// The flags and variables given; the declared defaults are taken out.
    given: ArgMatches,
}

impl Args for ServeArgs {
    fn augment_args(cmd: Command) -> Command {
        // The help text of each setting states its default in its own words.
        Settings::augment_args(ConfigFlag::augment_args(cmd)).mut_args(|arg| {
            let takes_values = arg.get_action().takes_values();
            arg.hide_default_value(takes_values)
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ServeArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = matches.clone();
        let defaulted: Vec<String> = given
            .ids()
            .filter(|id| given.value_source(id.as_str()) == Some(ValueSource::DefaultValue))
            .map(|id| id.as_str().to_owned())
            .collect();
        for id in defaulted {
            given
                .try_clear_id(&id)
                .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))?;
        }
        Ok(ServeArgs {
            config: ConfigFlag::from_arg_matches(matches)?.config,
            given,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl ServeArgs {
    /// Parses `flags` (the words after `provisio serve`) as `serve` does, but takes the
    /// `PROVISIO_*` variables from `env` instead of the process environment. A flag wins over
    /// its variable, as on the command line.
    pub fn parse(flags: &[&str], env: &[(&str, &str)]) -> anyhow::Result<ServeArgs> {
        let declared = || Self::augment_args(Command::new("serve").no_binary_name(true));
        let without_env = || declared().mut_args(|a| a.env(None));
        let on_command_line = without_env().try_get_matches_from(flags)?;
        let mut words = Vec::new();
        for arg in declared().get_arguments() {
            let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let from_flag = on_command_line.value_source(arg.get_id().as_str())
                == Some(ValueSource::CommandLine);
            if let Some((_, value)) = env.iter().find(|(name, _)| var == *name) {
                if !from_flag {
                    words.push(format!("--{long}={value}"));
                }
            }
        }
        words.extend(flags.iter().map(|f| (*f).to_owned()));
        let matches = without_env().try_get_matches_from(words)?;
        Ok(Self::from_arg_matches(&matches)?)
    }
}

impl Settings {
    /// Lays the file named by `args.config` (if any) over the defaults and then the flags and
    /// variables in `args`, and validates the result.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Settings> {
        let mut s = match &args.config {
            Some(path) => read_file(path)?,
            None => Settings::default(),
        };
        // `ServeArgs::default()` holds no parse at all, which clap may not be asked about.
        if args.given.ids().next().is_some() {
            s.update_from_arg_matches(&args.given)?;
        }
        if s.data_dir.is_none() {
            s.data_dir = Some(default_data_dir()?);
        }
        s.validate()?;
        Ok(s)
    }

    /// The data directory: the one configured, or (for settings from [`Settings::load`], which
    /// fills it in) the per-user default. Settings built in code without one name the current
    /// directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.as_deref().unwrap_or(Path::new("."))
    }

    /// How the SQLite store is opened.
    pub fn sqlite_tuning(&self) -> SqliteTuning {
        SqliteTuning {
            read_connections: self.sqlite_read_connections,
            mmap_mib: self.sqlite_mmap_mib,
        }
    }

    /// File descriptors to keep free of HTTP connections for the database and everything else.
    pub fn reserved_fds(&self) -> u64 {
        let pool = self
            .database
            .url
            .is_some()
            .then_some(self.database.pool_size);
        crate::net::reserved_fds(pool, self.sqlite_read_connections)
    }

    fn validate(&mut self) -> anyhow::Result<()> {
        self.database.validate()?;
        self.queries.validate()?;
        self.sealing.validate()?;
        self.devices.validate()?;
        self.cors.validate()?;
        self.audit.validate()?;
        if let Some(url) = &self.public_base_url {
            let trimmed = url.trim_end_matches('/');
            let ok = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
                && trimmed.len() > "https://".len()
                && !trimmed.contains(['?', '#', ' ']);
            if !ok {
                bail!("public_base_url '{url}' must be an absolute http(s) URL without query or fragment, e.g. https://mdm.example.com");
            }
            self.public_base_url = Some(trimmed.to_owned());
        }
        if self.sqlite_read_connections == 0 || self.sqlite_read_connections > 64 {
            bail!(
                "sqlite_read_connections must be 1 to 64 (got {})",
                self.sqlite_read_connections
            );
        }
        self.sqlite_tuning().check()?;
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .with_context(|| format!("log_level '{}' is not a valid filter", self.log_level))?;
        self.aosp_dpc.build(self.public_base_url.as_deref())?;
        self.auth.validate()?;
        self.throttle.validate()?;
        self.device_throttle.validate()?;
        self.metrics.validate()?;
        self.http.validate(self.reserved_fds())?;
        Ok(())
    }
}

/// The data directory when none is configured: `provisio` in the user's data directory
/// (`$XDG_DATA_HOME`, else `~/.local/share`), so that a development server and the commands run
/// next to it find the same one from any working directory. A service gets its own from its
/// config file (`/var/lib/provisio` in the packaged one).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    use etcetera::base_strategy::{BaseStrategy as _, Xdg};
    let dirs = Xdg::new().map_err(|e| {
        anyhow::anyhow!(
            "no data directory is set and {e} (HOME): give --data-dir or PROVISIO_DATA_DIR"
        )
    })?;
    Ok(dirs.data_dir().join("provisio"))
}

fn read_file(path: &Path) -> anyhow::Result<Settings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in the config file {}", path.display()))
}

#[path = "config_example.rs"]
pub mod example;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
