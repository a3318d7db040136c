//! The settings of `provisio serve` and `provisio migrate`. Each setting is declared once, as a
//! field of [`Settings`] or of the table it belongs to ([`AuthSettings`], [`DatabaseSettings`],
//! [`AospDpcSettings`]): its doc is the `--help` text, and its attributes give the flag, the
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
pub use crate::provisioning::AospDpcSettings;
use crate::store::settings::DatabaseSettings;
use crate::store::sqlite::SqliteTuning;

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
    /// Directory for the SQLite database and generated secrets [default: ./provisio-data].
    #[arg(
        long,
        env = "PROVISIO_DATA_DIR",
        value_name = "DIR",
        default_value = "./provisio-data"
    )]
    pub data_dir: PathBuf,
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
    /// The device policy controller that AOSP devices download (no Google services there).
    #[command(flatten)]
    pub aosp_dpc: AospDpcSettings,
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
        s.validate()?;
        Ok(s)
    }

    /// How the SQLite store is opened.
    pub fn sqlite_tuning(&self) -> SqliteTuning {
        SqliteTuning {
            read_connections: self.sqlite_read_connections,
            mmap_mib: self.sqlite_mmap_mib,
        }
    }

    fn validate(&mut self) -> anyhow::Result<()> {
        self.database.validate()?;
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
        Ok(())
    }
}

fn read_file(path: &Path) -> anyhow::Result<Settings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in the config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::sqlite::MAX_MMAP_MIB;

    /// A TOML file in a fresh directory; the directory goes when the guard drops.
    fn toml_file(text: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, text).unwrap();
        let path = file.to_str().unwrap().to_owned();
        (dir, path)
    }

    fn load(flags: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Settings> {
        Settings::load(&ServeArgs::parse(flags, env)?)
    }

    #[test]
    fn layers_defaults_file_env_then_flags() {
        let (_dir, path) = toml_file(
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/var/lib/provisio\"\nlog_level = \"debug\"\n\
             shutdown_grace_seconds = 10\n",
        );
        let env = [
            ("PROVISIO_DATA_DIR", "/env/p"),
            ("PROVISIO_SHUTDOWN_GRACE_SECONDS", "20"),
        ];
        let s = load(&["--config", &path, "--data-dir", "/srv/p"], &env).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("/srv/p"));
        assert_eq!(s.log_level, "debug");
        assert_eq!(s.shutdown_grace_seconds, 20);
        assert_eq!(s.sqlite_read_connections, 4);
        assert_eq!(s.dev_tenant.to_string(), DEFAULT_DEV_TENANT);
        let env_config = load(&[], &[("PROVISIO_CONFIG", &path)]).unwrap();
        assert_eq!(env_config.log_level, "debug");
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values() {
        let (_dir, path) = toml_file("lisen = \"0.0.0.0:9000\"\n");
        let err = load(&["--config", &path], &[]).unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
        let (_dir, path) = toml_file("[database]\npool = 3\n");
        let err = load(&["--config", &path], &[]).unwrap_err();
        assert!(format!("{err:#}").contains("pool"), "{err:#}");
        assert!(load(&["--public-base-url", "mdm.example.com"], &[]).is_err());
        let err = load(&[], &[("PROVISIO_DATABASE_POOL_SIZE", "0")]).unwrap_err();
        assert!(
            format!("{err:#}").contains("database.pool_size must be 1 to 1000"),
            "{err:#}"
        );
        assert!(load(&["--listen", "nowhere"], &[]).is_err());
    }

    #[test]
    fn the_sqlite_memory_map_is_off_by_default_and_bounded() {
        assert_eq!(Settings::default().sqlite_tuning().mmap_mib, 0);
        let (_dir, path) = toml_file("sqlite_mmap_mib = 512\nsqlite_read_connections = 3\n");
        let s = load(&["--config", &path], &[]).unwrap();
        assert_eq!(
            s.sqlite_tuning(),
            SqliteTuning {
                read_connections: 3,
                mmap_mib: 512
            }
        );
        let too_big = (MAX_MMAP_MIB + 1).to_string();
        let err = format!(
            "{:#}",
            load(&["--sqlite-mmap-mib", &too_big], &[]).unwrap_err()
        );
        assert!(err.contains("sqlite_mmap_mib must be 0 to 2047"), "{err}");
        let largest = MAX_MMAP_MIB.to_string();
        let s = load(&["--sqlite-mmap-mib", &largest], &[]).unwrap();
        assert_eq!(s.sqlite_mmap_mib, 2047);
    }

    #[test]
    fn a_default_in_the_help_text_is_the_declared_one() {
        let command = ServeArgs::augment_args(Command::new("serve"));
        let mut checked = 0;
        for arg in command.get_arguments() {
            let [default] = arg.get_default_values() else {
                continue;
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if !help.contains("[default:") {
                continue;
            }
            let shown = format!("[default: {}", default.to_string_lossy());
            assert!(
                help.contains(&shown),
                "{:?}: {help:?} lacks {shown:?}",
                arg.get_id()
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} defaults in the help text");
    }

    #[test]
    fn list_settings_split_on_commas_in_variables_and_flags() {
        let env = [
            (
                "PROVISIO_AUTH_ISSUERS",
                "https://a.example/{tenantid}/,https://b.example/",
            ),
            ("PROVISIO_AUTH_AUDIENCES", "api://a"),
            ("PROVISIO_AUTH_JWKS_URL", "https://a.example/keys"),
        ];
        let s = load(&["--auth-audience", "api://b,api://c"], &env).unwrap();
        assert_eq!(
            s.auth.issuers,
            ["https://a.example/{tenantid}/", "https://b.example/"]
        );
        assert_eq!(s.auth.audiences, ["api://b", "api://c"]);
    }

    /// README.md's settings table: TOML key, flag and variable of each setting it lists.
    fn readme_settings() -> Vec<(String, String, String)> {
        include_str!("../../../README.md")
            .lines()
            .skip_while(|line| !line.starts_with("| Setting (TOML key) | Flag | Environment |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .filter_map(|line| {
                let line = line.replace("\\|", "/");
                let cells: Vec<&str> = line
                    .split('|')
                    .map(|cell| cell.trim().trim_matches('`'))
                    .collect();
                let flag = cells[2].split_whitespace().next().unwrap_or_default();
                (cells[1] != "—").then(|| (cells[1].into(), flag.into(), cells[3].into()))
            })
            .collect()
    }

    /// A value for each setting in the table, unlike its default.
    fn sample(key: &str) -> &'static str {
        match key {
            "listen" => "0.0.0.0:9999",
            "data_dir" => "/srv/provisio",
            "public_base_url" => "https://mdm.example.org",
            "trust_forwarded_headers" => "true",
            "log_format" => "json",
            "log_level" => "debug",
            "sqlite_read_connections" => "7",
            "sqlite_mmap_mib" => "64",
            "shutdown_grace_seconds" => "5",
            "dev_tenant" => "3f1a6d2c-8b4e-4c5d-9e6f-0a1b2c3d4e5f",
            "auth.issuers" => "https://sts.windows.net/{tenantid}/",
            "auth.audiences" => "api://sample",
            "auth.jwks_url" => "https://idp.example.org/keys",
            "auth.clock_skew_seconds" => "60",
            "auth.jwks_min_refresh_seconds" => "5",
            "auth.allow_dev_auth_on_network" => "true",
            "aosp_dpc.component_name" => "org.example.other/.Receiver",
            "aosp_dpc.download_url" => "https://dpc.example.org/other.apk",
            "aosp_dpc.signature_checksum" => "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
            "aosp_dpc.token_extras_key" => "org.example.TOKEN",
            "aosp_dpc.enrollment_url_extras_key" => "org.example.URL",
            "aosp_dpc.enrollment_url" => "https://enroll.example.org",
            "database.url" => "postgres://app:pw@db:5432/provisio",
            other => panic!("README.md lists {other}, which this test has no sample for"),
        }
    }

    /// The loaded value of a setting, written as its sample is.
    fn loaded(s: &Settings, key: &str) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match key {
            "listen" => s.listen.to_string(),
            "data_dir" => s.data_dir.display().to_string(),
            "public_base_url" => text(&s.public_base_url),
            "trust_forwarded_headers" => s.trust_forwarded_headers.to_string(),
            "log_format" => format!("{:?}", s.log_format).to_lowercase(),
            "log_level" => s.log_level.clone(),
            "sqlite_read_connections" => s.sqlite_read_connections.to_string(),
            "sqlite_mmap_mib" => s.sqlite_mmap_mib.to_string(),
            "shutdown_grace_seconds" => s.shutdown_grace_seconds.to_string(),
            "dev_tenant" => s.dev_tenant.to_string(),
            "auth.issuers" => s.auth.issuers.join(","),
            "auth.audiences" => s.auth.audiences.join(","),
            "auth.jwks_url" => text(&s.auth.jwks_url),
            "auth.clock_skew_seconds" => s.auth.clock_skew_seconds.to_string(),
            "auth.jwks_min_refresh_seconds" => s.auth.jwks_min_refresh_seconds.to_string(),
            "auth.allow_dev_auth_on_network" => s.auth.allow_dev_auth_on_network.to_string(),
            "aosp_dpc.component_name" => text(&s.aosp_dpc.component_name),
            "aosp_dpc.download_url" => text(&s.aosp_dpc.download_url),
            "aosp_dpc.signature_checksum" => text(&s.aosp_dpc.signature_checksum),
            "aosp_dpc.token_extras_key" => text(&s.aosp_dpc.token_extras_key),
            "aosp_dpc.enrollment_url_extras_key" => text(&s.aosp_dpc.enrollment_url_extras_key),
            "aosp_dpc.enrollment_url" => text(&s.aosp_dpc.enrollment_url),
            "database.url" => text(&s.database.url),
            other => panic!("no reader for {other}"),
        }
    }

    /// Settings that are only valid together: the others of the group, at values unlike the
    /// samples, go along with each sample.
    const GROUPS: [&[(&str, &str)]; 2] = [
        &[
            (
                "auth.issuers",
                "https://login.microsoftonline.com/{tenantid}/v2.0",
            ),
            ("auth.audiences", "api://provisio"),
            (
                "auth.jwks_url",
                "https://login.microsoftonline.com/common/discovery/v2.0/keys",
            ),
        ],
        &[
            ("aosp_dpc.component_name", "com.example.dpc/.AdminReceiver"),
            (
                "aosp_dpc.download_url",
                "https://downloads.example.com/dpc.apk",
            ),
            (
                "aosp_dpc.signature_checksum",
                "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
            ),
            ("aosp_dpc.token_extras_key", "com.example.dpc.EXTRA_TOKEN"),
            (
                "aosp_dpc.enrollment_url_extras_key",
                "com.example.dpc.EXTRA_URL",
            ),
            ("aosp_dpc.enrollment_url", "https://mdm.example.com"),
        ],
    ];

    /// The sample of `key` and the rest of its group, as (key, value) pairs.
    fn with_group(key: &str) -> Vec<(&str, &'static str)> {
        let group = GROUPS
            .iter()
            .find(|g| g.iter().any(|(k, _)| *k == key))
            .map_or(&[][..], |g| *g);
        let mut pairs: Vec<(&str, &'static str)> =
            group.iter().copied().filter(|(k, _)| *k != key).collect();
        pairs.push((key, sample(key)));
        pairs
    }

    fn toml_literal(key: &str, value: &str) -> String {
        if key.ends_with("issuers") || key.ends_with("audiences") {
            format!("[{value:?}]")
        } else if value.parse::<u64>().is_ok() || value == "true" {
            value.to_owned()
        } else {
            format!("{value:?}")
        }
    }

    #[test]
    fn every_setting_in_the_readme_is_read_from_toml_env_and_flag() {
        let rows = readme_settings();
        assert!(rows.len() >= 20, "the README table was not found: {rows:?}");
        let names: BTreeMap<&str, (&str, &str)> = rows
            .iter()
            .map(|(key, flag, var)| (key.as_str(), (flag.as_str(), var.as_str())))
            .collect();
        let defaults = Settings::default();
        for (key, _, _) in &rows {
            let want = sample(key);
            assert_ne!(
                loaded(&defaults, key),
                want,
                "{key}: the sample is the default"
            );
            let pairs = with_group(key);

            let mut top = String::new();
            let mut tables: BTreeMap<&str, String> = BTreeMap::new();
            for (k, v) in &pairs {
                match k.split_once('.') {
                    Some((table, name)) => {
                        let body = tables.entry(table).or_default();
                        body.push_str(&format!("{name} = {}\n", toml_literal(k, v)));
                    }
                    None => top.push_str(&format!("{k} = {}\n", toml_literal(k, v))),
                }
            }
            for (table, body) in tables {
                top.push_str(&format!("[{table}]\n{body}"));
            }
            let (_dir, path) = toml_file(&top);
            let from_toml = load(&["--config", &path], &[])
                .unwrap_or_else(|e| panic!("{key} in TOML:\n{top}\n{e:#}"));
            assert_eq!(loaded(&from_toml, key), want, "{key} from TOML");

            let env: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (names[*k].1, *v)).collect();
            let from_env = load(&[], &env).unwrap_or_else(|e| panic!("{key} from {env:?}: {e:#}"));
            assert_eq!(
                loaded(&from_env, key),
                want,
                "{key} from {}",
                names[key.as_str()].1
            );

            let flags: Vec<&str> = pairs.iter().flat_map(|(k, v)| [names[*k].0, *v]).collect();
            let from_flags =
                load(&flags, &[]).unwrap_or_else(|e| panic!("{key} from {flags:?}: {e:#}"));
            assert_eq!(
                loaded(&from_flags, key),
                want,
                "{key} from {}",
                names[key.as_str()].0
            );
        }
    }
}
