//! Settings, in layers: built-in defaults < an optional TOML file (`--config`) < `PROVISIO_*`
//! environment variables < command-line flags. Validated once at start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Args;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{AuthArgs, AuthSettings};
use crate::store::settings::{DatabaseArgs, DatabaseSettings};
use crate::store::sqlite::SqliteTuning;

/// The tenant of the token `provisio serve` prints in development mode.
pub const DEFAULT_DEV_TENANT: &str = "00000000-0000-4000-8000-000000000001";

/// The settings of `provisio serve`, after layering.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory that holds the SQLite database and generated secrets.
    pub data_dir: PathBuf,
    /// Public base URL for absolute links; from the request's Host when unset.
    pub public_base_url: Option<String>,
    /// Believe X-Forwarded-Proto/-Host from a reverse proxy.
    pub trust_forwarded_headers: bool,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `provisio=debug,info`.
    pub log_level: String,
    /// Connections used for reads of the SQLite database.
    pub sqlite_read_connections: u32,
    /// MiB of the SQLite database file read through a memory map (0: none).
    pub sqlite_mmap_mib: u32,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// The tenant of the token printed at start-up in development mode.
    pub dev_tenant: Uuid,
    /// Which bearer tokens are accepted (`[auth]`).
    pub auth: AuthSettings,
    /// Which database holds the profiles (`[database]`).
    pub database: DatabaseSettings,
    /// The device policy controller that AOSP devices download (no Google services there).
    pub aosp_dpc: AospDpcSettings,
}

/// The operator's own DPC app for AOSP modes. All of `component_name`, `download_url`,
/// `signature_checksum`, `token_extras_key` and `enrollment_url_extras_key` must be set for AOSP
/// tokens; `enrollment_url` defaults to `public_base_url`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AospDpcSettings {
    /// `package/.ReceiverClass` of the DPC's device admin receiver.
    pub component_name: Option<String>,
    /// https URL of the DPC's APK.
    pub download_url: Option<String>,
    /// SHA-256 of the APK's signing certificate, URL-safe base64 (padding optional).
    pub signature_checksum: Option<String>,
    /// Key of the admin-extras entry that carries the enrollment token.
    pub token_extras_key: Option<String>,
    /// Key of the admin-extras entry that carries the enrollment URL.
    pub enrollment_url_extras_key: Option<String>,
    /// URL the DPC contacts to enroll; defaults to `public_base_url`.
    pub enrollment_url: Option<String>,
}

impl AospDpcSettings {
    /// The setting names, as written in the TOML file's `[aosp_dpc]` table.
    pub const REQUIRED: [&'static str; 5] = [
        "aosp_dpc.component_name",
        "aosp_dpc.download_url",
        "aosp_dpc.signature_checksum",
        "aosp_dpc.token_extras_key",
        "aosp_dpc.enrollment_url_extras_key",
    ];

    fn values(&self) -> [&Option<String>; 5] {
        [
            &self.component_name,
            &self.download_url,
            &self.signature_checksum,
            &self.token_extras_key,
            &self.enrollment_url_extras_key,
        ]
    }

    /// The configured DPC, `Ok(None)` when none of it is set, or an error naming what is missing
    /// or wrong.
    pub fn build(
        &self,
        public_base_url: Option<&str>,
    ) -> anyhow::Result<Option<android_provisioning::CustomDpc>> {
        let values = self.values();
        if values.iter().all(|v| v.is_none()) && self.enrollment_url.is_none() {
            return Ok(None);
        }
        let missing: Vec<&str> = Self::REQUIRED
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            bail!(
                "the AOSP DPC is partly configured; also set {}",
                missing.join(", ")
            );
        }
        let Some(enrollment_url) = self.enrollment_url.as_deref().or(public_base_url) else {
            bail!("the AOSP DPC needs aosp_dpc.enrollment_url (or public_base_url) so devices know where to enroll");
        };
        let get = |v: &Option<String>| v.clone().unwrap_or_default();
        let dpc = android_provisioning::CustomDpc::new(&android_provisioning::CustomDpcSettings {
            component_name: &get(&self.component_name),
            download_url: &get(&self.download_url),
            signature_checksum: &get(&self.signature_checksum),
            token_extras_key: &get(&self.token_extras_key),
            enrollment_url_extras_key: &get(&self.enrollment_url_extras_key),
            enrollment_url,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Some(dpc))
    }
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
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./provisio-data"),
            public_base_url: None,
            trust_forwarded_headers: false,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            sqlite_read_connections: 4,
            sqlite_mmap_mib: 0,
            shutdown_grace_seconds: 30,
            dev_tenant: Uuid::from_u128(0x00000000_0000_4000_8000_000000000001),
            auth: AuthSettings::default(),
            database: DatabaseSettings::default(),
            aosp_dpc: AospDpcSettings::default(),
        }
    }
}

/// The flags of `provisio serve`. Every flag can also be set with the `PROVISIO_*` variable
/// shown, or in the TOML file under the same name with underscores (`data_dir = "..."`).
#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// TOML file with settings; environment variables and flags override it.
    #[arg(long, env = "PROVISIO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "PROVISIO_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database and generated secrets [default: ./provisio-data].
    #[arg(long, env = "PROVISIO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Public base URL for absolute links such as @odata.nextLink and Location, e.g.
    /// https://mdm.example.com [default: taken from each request's Host header].
    #[arg(long, env = "PROVISIO_PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<String>,
    /// Believe X-Forwarded-Proto and X-Forwarded-Host (only behind a proxy that sets them)
    /// [default: false].
    #[arg(long, env = "PROVISIO_TRUST_FORWARDED_HEADERS", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_headers: Option<bool>,
    /// Log format [default: text].
    #[arg(long, env = "PROVISIO_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info, debug, provisio=debug,info [default: info].
    #[arg(long, env = "PROVISIO_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Connections for reads of the SQLite database [default: 4].
    #[arg(long, env = "PROVISIO_SQLITE_READ_CONNECTIONS", value_name = "N")]
    pub sqlite_read_connections: Option<u32>,
    /// MiB of the SQLite database file to read through a memory map instead of read calls,
    /// up to 2047; faster reads, but the mapped pages count in the process's resident memory and
    /// a disk error while reading ends the process [default: 0, no map].
    #[arg(long, env = "PROVISIO_SQLITE_MMAP_MIB", value_name = "MIB")]
    pub sqlite_mmap_mib: Option<u32>,
    /// Seconds that in-flight requests get to finish after SIGINT or SIGTERM [default: 30].
    #[arg(long, env = "PROVISIO_SHUTDOWN_GRACE_SECONDS", value_name = "SECONDS")]
    pub shutdown_grace_seconds: Option<u64>,
    /// Tenant id (GUID) of the token printed at start-up in development mode
    /// [default: 00000000-0000-4000-8000-000000000001].
    #[arg(long, env = "PROVISIO_DEV_TENANT", value_name = "GUID")]
    pub dev_tenant: Option<Uuid>,
    /// Bearer-token validation (`--auth-*`, `--allow-dev-auth-on-network`).
    #[command(flatten)]
    pub auth: AuthArgs,
    /// The database (`--database-*`).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// AOSP DPC: component name of its device admin receiver, e.g. com.example.dpc/.AdminReceiver.
    #[arg(
        long,
        env = "PROVISIO_AOSP_DPC_COMPONENT_NAME",
        value_name = "COMPONENT"
    )]
    pub aosp_dpc_component_name: Option<String>,
    /// AOSP DPC: https URL of its APK.
    #[arg(long, env = "PROVISIO_AOSP_DPC_DOWNLOAD_URL", value_name = "URL")]
    pub aosp_dpc_download_url: Option<String>,
    /// AOSP DPC: SHA-256 of its signing certificate, URL-safe base64.
    #[arg(
        long,
        env = "PROVISIO_AOSP_DPC_SIGNATURE_CHECKSUM",
        value_name = "BASE64"
    )]
    pub aosp_dpc_signature_checksum: Option<String>,
    /// AOSP DPC: admin-extras key that carries the enrollment token.
    #[arg(long, env = "PROVISIO_AOSP_DPC_TOKEN_EXTRAS_KEY", value_name = "KEY")]
    pub aosp_dpc_token_extras_key: Option<String>,
    /// AOSP DPC: admin-extras key that carries the enrollment URL.
    #[arg(
        long,
        env = "PROVISIO_AOSP_DPC_ENROLLMENT_URL_EXTRAS_KEY",
        value_name = "KEY"
    )]
    pub aosp_dpc_enrollment_url_extras_key: Option<String>,
    /// AOSP DPC: URL it contacts to enroll [default: the public base URL].
    #[arg(long, env = "PROVISIO_AOSP_DPC_ENROLLMENT_URL", value_name = "URL")]
    pub aosp_dpc_enrollment_url: Option<String>,
}

/// The TOML file: every setting optional, unknown keys refused.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    public_base_url: Option<String>,
    trust_forwarded_headers: Option<bool>,
    log_format: Option<LogFormat>,
    log_level: Option<String>,
    sqlite_read_connections: Option<u32>,
    sqlite_mmap_mib: Option<u32>,
    shutdown_grace_seconds: Option<u64>,
    dev_tenant: Option<Uuid>,
    #[serde(default)]
    auth: Option<AuthSettings>,
    #[serde(default)]
    database: Option<DatabaseSettings>,
    #[serde(default)]
    aosp_dpc: Option<AospDpcSettings>,
}

macro_rules! overlay {
    ($target:expr, $source:expr, $($field:ident),+) => {
        $( if let Some(v) = $source.$field { $target.$field = v; } )+
    };
}

impl Settings {
    /// Layers the file named by `args.config` (if any) and then `args` (flags, or their
    /// environment variables) over the defaults, and validates the result.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Settings> {
        let mut s = Settings::default();
        if let Some(path) = &args.config {
            s.apply_file(read_file(path)?);
        }
        let a = args.clone();
        overlay!(
            s,
            a,
            listen,
            data_dir,
            trust_forwarded_headers,
            log_format,
            log_level,
            sqlite_read_connections,
            sqlite_mmap_mib,
            shutdown_grace_seconds,
            dev_tenant
        );
        if a.public_base_url.is_some() {
            s.public_base_url = a.public_base_url;
        }
        s.auth.apply_args(&a.auth);
        s.database.apply_args(&a.database);
        let dpc = &mut s.aosp_dpc;
        for (target, flag) in [
            (&mut dpc.component_name, a.aosp_dpc_component_name),
            (&mut dpc.download_url, a.aosp_dpc_download_url),
            (&mut dpc.signature_checksum, a.aosp_dpc_signature_checksum),
            (&mut dpc.token_extras_key, a.aosp_dpc_token_extras_key),
            (
                &mut dpc.enrollment_url_extras_key,
                a.aosp_dpc_enrollment_url_extras_key,
            ),
            (&mut dpc.enrollment_url, a.aosp_dpc_enrollment_url),
        ] {
            if flag.is_some() {
                *target = flag;
            }
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

    fn apply_file(&mut self, f: FileSettings) {
        overlay!(
            self,
            f,
            listen,
            data_dir,
            trust_forwarded_headers,
            log_format,
            log_level,
            sqlite_read_connections,
            sqlite_mmap_mib,
            shutdown_grace_seconds,
            dev_tenant
        );
        if f.public_base_url.is_some() {
            self.public_base_url = f.public_base_url;
        }
        if let Some(auth) = f.auth {
            self.auth = auth;
        }
        if let Some(database) = f.database {
            self.database = database;
        }
        if let Some(dpc) = f.aosp_dpc {
            self.aosp_dpc = dpc;
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

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in the config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::MAX_MMAP_MIB;

    #[test]
    fn layers_defaults_file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/var/lib/provisio\"\nlog_level = \"debug\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file),
            data_dir: Some("/srv/p".into()),
            ..ServeArgs::default()
        };
        let s = Settings::load(&args).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("/srv/p"));
        assert_eq!(s.log_level, "debug");
        assert_eq!(s.shutdown_grace_seconds, 30);
        assert_eq!(s.dev_tenant.to_string(), DEFAULT_DEV_TENANT);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Settings::load(&ServeArgs {
            config: Some(file),
            ..ServeArgs::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
        let bad_url = ServeArgs {
            public_base_url: Some("mdm.example.com".into()),
            ..ServeArgs::default()
        };
        assert!(Settings::load(&bad_url).is_err());
    }

    #[test]
    fn the_sqlite_memory_map_is_off_by_default_and_bounded() {
        assert_eq!(Settings::default().sqlite_tuning().mmap_mib, 0);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "sqlite_mmap_mib = 512\nsqlite_read_connections = 3\n",
        )
        .unwrap();
        let s = Settings::load(&ServeArgs {
            config: Some(file),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(
            s.sqlite_tuning(),
            SqliteTuning {
                read_connections: 3,
                mmap_mib: 512
            }
        );
        let too_big = ServeArgs {
            sqlite_mmap_mib: Some(MAX_MMAP_MIB + 1),
            ..ServeArgs::default()
        };
        let err = format!("{:#}", Settings::load(&too_big).unwrap_err());
        assert!(err.contains("sqlite_mmap_mib must be 0 to 2047"), "{err}");
        let largest = ServeArgs {
            sqlite_mmap_mib: Some(MAX_MMAP_MIB),
            ..ServeArgs::default()
        };
        assert_eq!(Settings::load(&largest).unwrap().sqlite_mmap_mib, 2047);
    }
}
