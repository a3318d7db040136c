//! Tests of the layered settings.

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
    assert_eq!(s.data_dir(), Path::new("/srv/p"));
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
        "auth.client_id" => "22222222-3333-4444-5555-666666666666",
        "auth.client_scopes" => "api://provisio/.default",
        "auth.client_issuer" => "https://login.microsoftonline.com/organizations/v2.0",
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
        "aosp_dpc.all_modes" => "true",
        "database.url" => "postgres://app:pw@db:5432/provisio",
        "throttle.preset" => "intune",
        "device_throttle.failures_per_minute" => "30",
        "device_throttle.failure_burst" => "5",
        "device_throttle.max_addresses" => "5000",
        "device_throttle.trusted_proxies" => "10.0.0.0/8",
        "device_throttle.forwarded_header" => "forwarded",
        "device_throttle.token_enrollments_per_minute" => "10",
        "metrics.allow" => "10.0.0.0/8",
        "metrics.token" => "0123456789abcdef-metrics",
        "http.head_timeout_seconds" => "7",
        "http.body_timeout_seconds" => "9",
        "http.idle_timeout_seconds" => "90",
        "http.max_connections" => "500",
        "queries.statement_timeout_ms" => "2500",
        "queries.max_concurrent" => "3",
        "queries.admission_wait_ms" => "750",
        "sealing.key_file" => "/etc/provisio/sealing-keys",
        "sealing.keys" => "7:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "devices.token_usage_limit" => "50",
        "devices.user_id_token_audiences" => "dpc-sign-in",
        "cors.allowed_origins" => "https://admin.example.org",
        "audit.retention_days" => "90",
        other => panic!("README.md lists {other}, which this test has no sample for"),
    }
}

/// The loaded value of a setting, written as its sample is.
fn loaded(s: &Settings, key: &str) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match key {
        "listen" => s.listen.to_string(),
        "data_dir" => s.data_dir().display().to_string(),
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
        "auth.client_id" => text(&s.auth.client_id),
        "auth.client_scopes" => s.auth.client_scopes.join(","),
        "auth.client_issuer" => text(&s.auth.client_issuer),
        "aosp_dpc.component_name" => text(&s.aosp_dpc.component_name),
        "aosp_dpc.download_url" => text(&s.aosp_dpc.download_url),
        "aosp_dpc.signature_checksum" => text(&s.aosp_dpc.signature_checksum),
        "aosp_dpc.token_extras_key" => text(&s.aosp_dpc.token_extras_key),
        "aosp_dpc.enrollment_url_extras_key" => text(&s.aosp_dpc.enrollment_url_extras_key),
        "aosp_dpc.enrollment_url" => text(&s.aosp_dpc.enrollment_url),
        "aosp_dpc.all_modes" => s.aosp_dpc.all_modes.to_string(),
        "database.url" => text(&s.database.url),
        "throttle.preset" => format!("{:?}", s.throttle.preset).to_lowercase(),
        "device_throttle.failures_per_minute" => s.device_throttle.failures_per_minute.to_string(),
        "device_throttle.failure_burst" => s.device_throttle.failure_burst.to_string(),
        "device_throttle.max_addresses" => s.device_throttle.max_addresses.to_string(),
        "device_throttle.trusted_proxies" => s.device_throttle.trusted_proxies.join(","),
        "device_throttle.forwarded_header" => {
            format!("{:?}", s.device_throttle.forwarded_header).to_lowercase()
        }
        "device_throttle.token_enrollments_per_minute" => {
            s.device_throttle.token_enrollments_per_minute.to_string()
        }
        "metrics.allow" => s.metrics.allow.join(","),
        "metrics.token" => text(&s.metrics.token),
        "http.head_timeout_seconds" => s.http.head_timeout_seconds.to_string(),
        "http.body_timeout_seconds" => s.http.body_timeout_seconds.to_string(),
        "http.idle_timeout_seconds" => s.http.idle_timeout_seconds.to_string(),
        "http.max_connections" => s
            .http
            .max_connections
            .map(|n| n.to_string())
            .unwrap_or_default(),
        "queries.statement_timeout_ms" => s.queries.statement_timeout_ms.to_string(),
        "queries.max_concurrent" => s.queries.max_concurrent.to_string(),
        "queries.admission_wait_ms" => s.queries.admission_wait_ms.to_string(),
        "sealing.key_file" => s
            .sealing
            .key_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        "sealing.keys" => text(&s.sealing.keys),
        "devices.token_usage_limit" => s.devices.token_usage_limit.to_string(),
        "devices.user_id_token_audiences" => s.devices.user_id_token_audiences.join(","),
        "cors.allowed_origins" => s.cors.allowed_origins.join(","),
        "audit.retention_days" => s.audit.retention_days.to_string(),
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
        ("auth.client_id", "11111111-2222-3333-4444-555555555555"),
        ("auth.client_scopes", "offline_access"),
        (
            "auth.client_issuer",
            "https://login.microsoftonline.com/common/v2.0",
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
        ("aosp_dpc.all_modes", "false"),
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
    if key.ends_with("issuers")
        || key.ends_with("audiences")
        || key.ends_with("allow")
        || key.ends_with("trusted_proxies")
        || key.ends_with("allowed_origins")
        || key.ends_with("scopes")
    {
        format!("[{value:?}]")
    } else if value.parse::<u64>().is_ok() || value == "true" || value == "false" {
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
