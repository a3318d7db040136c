//! What each client command sends and prints. Requests are Graph's (docs/API.md); the flags
//! that build a `$filter` (`--expiring`, `--profile`, `--since`) join a `--filter` with `and`.

use std::io::{Read as _, Write as _};
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clap::builder::PossibleValuesParser;
use clap::ValueEnum;
use reqwest::Method;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::connection::{escape, ExitKind, Failure, Graph, Listing};
use super::output::{self, col, Column, Format, Kind};
use super::qr;
use super::{
    AuditArgs, AuditCommand, DevicesArgs, DevicesCommand, ExportArgs, ListArgs, ProfileBody,
    ProfilesArgs, ProfilesCommand, QrArgs, TokenCommand,
};
use crate::model::{EnrollmentMode, EnrollmentTokenType, WifiSecurityType};

/// The profiles' collection.
const PROFILES: &str = "androidDeviceOwnerEnrollmentProfiles";
/// The devices' collection.
const DEVICES: &str = "managedDevices";
/// The audit trail's collection.
const AUDIT: &str = "auditEvents";

/// The columns of a profile list.
const PROFILE_COLUMNS: [Column<'static>; 6] = [
    col("ID", "id", Kind::Text),
    col("NAME", "displayName", Kind::Text),
    col("MODE", "enrollmentMode", Kind::Text),
    col("TOKEN EXPIRES", "tokenExpirationDateTime", Kind::Date),
    col("DEVICES", "enrolledDeviceCount", Kind::Text),
    col("MODIFIED", "lastModifiedDateTime", Kind::Date),
];

/// The members `profiles token create` shows.
const TOKEN_COLUMNS: [Column<'static>; 4] = [
    col("ID", "id", Kind::Text),
    col("TOKEN", "tokenValue", Kind::Text),
    col("CREATED", "tokenCreationDateTime", Kind::Date),
    col("EXPIRES", "tokenExpirationDateTime", Kind::Date),
];

/// The columns of a device list.
const DEVICE_COLUMNS: [Column<'static>; 7] = [
    col("ID", "id", Kind::Text),
    col("NAME", "deviceName", Kind::Text),
    col("SERIAL", "serialNumber", Kind::Text),
    col("MODEL", "model", Kind::Text),
    col("STATE", "managementState", Kind::Text),
    col("PROFILE", "enrollmentProfileId", Kind::Text),
    col("LAST SYNC", "lastSyncDateTime", Kind::Date),
];

/// The columns of an audit event list.
const AUDIT_COLUMNS: [Column<'static>; 6] = [
    col("TIME", "activityDateTime", Kind::Date),
    col("ACTIVITY", "activityType", Kind::Text),
    col("RESULT", "activityResult", Kind::Text),
    col("ACTOR", "actor/type", Kind::Text),
    col("BY", "actor/userPrincipalName", Kind::Text),
    col("RESOURCE", "resources/0/displayName", Kind::Text),
];

fn names(members: &'static [(&'static str, i64)]) -> PossibleValuesParser {
    PossibleValuesParser::new(members.iter().map(|(name, _)| *name))
}

/// The values of `--mode`.
pub fn enrollment_modes() -> PossibleValuesParser {
    names(EnrollmentMode::MEMBERS)
}

/// The values of `--token-type`.
pub fn token_types() -> PossibleValuesParser {
    names(EnrollmentTokenType::MEMBERS)
}

/// The values of `--wifi-security`.
pub fn wifi_security_types() -> PossibleValuesParser {
    names(WifiSecurityType::MEMBERS)
}

/// What `profiles export` writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with every member as a column.
    Csv,
}

/// A usage error found after parsing (exit code 2).
fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure {
        kind: ExitKind::Usage,
        message: message.into(),
    }
    .into()
}

/// A date-time literal for `$filter`, to the second.
fn filter_date(at: OffsetDateTime) -> anyhow::Result<String> {
    Ok(at.replace_nanosecond(0)?.format(&Rfc3339)?)
}

/// `now` moved by a duration from the command line.
fn shifted(
    now: OffsetDateTime,
    by: std::time::Duration,
    forward: bool,
) -> anyhow::Result<OffsetDateTime> {
    let by = time::Duration::try_from(by).map_err(|_| usage("the duration is too long"))?;
    let at = if forward {
        now.checked_add(by)
    } else {
        now.checked_sub(by)
    };
    at.ok_or_else(|| usage("the duration is too long"))
}

/// A string literal for `$filter` (a quote inside is doubled).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The URL of a list: `--filter` and `extra` joined with `and`, `--orderby` (else
/// `default_order`), `--top`.
fn list_url(
    collection: String,
    list: &ListArgs,
    extra: Option<String>,
    default_order: Option<&str>,
) -> String {
    let filter = match (&list.filter, extra) {
        (Some(given), Some(extra)) => Some(format!("({given}) and ({extra})")),
        (given, extra) => given.clone().or(extra),
    };
    let orderby = list.orderby.clone().or(default_order.map(str::to_owned));
    let options: Vec<String> = [
        ("$filter", filter),
        ("$orderby", orderby),
        ("$top", list.top.map(|n| n.to_string())),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| format!("{name}={}", escape(&v))))
    .collect();
    if options.is_empty() {
        collection
    } else {
        format!("{collection}?{}", options.join("&"))
    }
}

/// Prints `text` on standard output.
fn say(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Prints a line for people after a change that answers nothing (table format only: scripts
/// asking for JSON or CSV get no output, and the exit code says it worked).
fn confirm(format: Format, line: &str) -> anyhow::Result<()> {
    if format == Format::Table {
        say(&format!("{line}\n"))?;
    }
    Ok(())
}

/// Writes a file mode 0600 (it may hold an enrollment token), replacing it.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::private::replace_private(path, bytes)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// The JSON object `--json` names (`-` is standard input).
fn read_json_object(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(usage(format!(
            "{} does not hold a JSON object",
            path.display()
        ))),
        Err(e) => Err(usage(format!("{} is not JSON: {e}", path.display()))),
    }
}

/// The body of a create or update: `--json`, then the member flags over it.
fn profile_body(body: &ProfileBody) -> anyhow::Result<Map<String, Value>> {
    let mut members = match &body.json {
        Some(path) => read_json_object(path)?,
        None => Map::new(),
    };
    let mut set = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            members.insert(name.to_owned(), value);
        }
    };
    set("displayName", body.display_name.clone().map(Value::from));
    set("description", body.description.clone().map(Value::from));
    set("enrollmentMode", body.mode.clone().map(Value::from));
    set(
        "enrollmentTokenType",
        body.token_type.clone().map(Value::from),
    );
    set("wifiSsid", body.wifi_ssid.clone().map(Value::from));
    set("wifiPassword", body.wifi_password.clone().map(Value::from));
    set(
        "wifiSecurityType",
        body.wifi_security.clone().map(Value::from),
    );
    set("wifiHidden", body.wifi_hidden.map(Value::from));
    set("configureWifi", body.configure_wifi.map(Value::from));
    set("isTeamsDeviceProfile", body.teams_device.map(Value::from));
    set(
        "deviceNameTemplate",
        body.device_name_template.clone().map(Value::from),
    );
    if !body.role_scope_tags.is_empty() {
        set("roleScopeTagIds", Some(json!(body.role_scope_tags)));
    }
    Ok(members)
}

/// `provisio profiles ...`.
pub async fn profiles(args: ProfilesArgs) -> anyhow::Result<()> {
    let graph = Graph::connect(&args.client.connect).await?;
    let format = args.client.output.format;
    let show = |entity: &Value| -> anyhow::Result<()> {
        say(&output::entity(format, &PROFILE_COLUMNS, entity)?)
    };
    match args.command {
        ProfilesCommand::List(list) => {
            let now = OffsetDateTime::now_utc();
            let (extra, order) = match list.expiring {
                Some(window) => (
                    Some(format!(
                        "tokenExpirationDateTime ge {} and tokenExpirationDateTime le {}",
                        filter_date(now)?,
                        filter_date(shifted(now, window, true)?)?
                    )),
                    Some("tokenExpirationDateTime"),
                ),
                None => (None, None),
            };
            let url = list_url(graph.collection(PROFILES), &list.list, extra, order);
            let listing = graph.list(&url, list.list.max).await?;
            say(&output::list(format, &PROFILE_COLUMNS, &listing)?)
        }
        ProfilesCommand::Get(id) => show(&graph.get(&graph.entity(PROFILES, &id.id)).await?),
        ProfilesCommand::Create(body) => {
            let body = Value::Object(profile_body(&body)?);
            let created = graph
                .send(Method::POST, &graph.collection(PROFILES), Some(&body))
                .await?;
            show(&created.unwrap_or(Value::Null))
        }
        ProfilesCommand::Update(update) => {
            let body = profile_body(&update.body)?;
            if body.is_empty() {
                return Err(usage(
                    "nothing to change: give member flags (see --help) or --json",
                ));
            }
            let url = graph.entity(PROFILES, &update.target.id);
            let changed = graph
                .send_if_match(
                    Method::PATCH,
                    &url,
                    Some(&Value::Object(body)),
                    update.target.if_match.as_deref(),
                )
                .await?;
            match changed {
                Some(entity) => show(&entity),
                None => show(&graph.get(&url).await?),
            }
        }
        ProfilesCommand::Delete(id) => {
            graph
                .send_if_match(
                    Method::DELETE,
                    &graph.entity(PROFILES, &id.id),
                    None,
                    id.if_match.as_deref(),
                )
                .await?;
            confirm(format, &format!("deleted profile {}", id.id))
        }
        ProfilesCommand::Token(TokenCommand::Create(token)) => {
            let seconds = i32::try_from(token.valid_for.as_secs())
                .map_err(|_| usage("--valid-for is longer than a token can be valid (68 years)"))?;
            let url = graph.entity(PROFILES, &token.id);
            graph
                .send(
                    Method::POST,
                    &format!("{url}/createToken"),
                    Some(&json!({ "tokenValidityInSeconds": seconds })),
                )
                .await?;
            let profile = graph.get(&url).await?;
            match format {
                Format::Json => say(&output::json(&profile)?),
                _ => say(&output::entity(
                    format,
                    &TOKEN_COLUMNS,
                    &pick(&profile, &TOKEN_COLUMNS),
                )?),
            }
        }
        ProfilesCommand::Token(TokenCommand::Revoke(id)) => {
            let url = graph.entity(PROFILES, &id.id);
            graph
                .send(Method::POST, &format!("{url}/revokeToken"), None)
                .await?;
            confirm(format, &format!("revoked the token of profile {}", id.id))
        }
        ProfilesCommand::Qr(args) => qr_code(&graph, &args).await,
        ProfilesCommand::ExportZeroTouch(args) => {
            let content = qr_content(&graph, &args.id).await?;
            say(&output::json(&qr::zero_touch_extras(&content, args.knox)?)?)
        }
        ProfilesCommand::Export(args) => export(&graph, &args).await,
    }
}

/// The members `columns` name, in their order (for the short table after `token create`).
fn pick(entity: &Value, columns: &[Column]) -> Value {
    let members = columns
        .iter()
        .filter_map(|c| Some((c.member.to_owned(), entity.get(c.member)?.clone())))
        .collect();
    Value::Object(members)
}

/// The profile's selected member; a profile without a token has none.
async fn token_member(graph: &Graph, id: &str, member: &str) -> anyhow::Result<Value> {
    let url = format!("{}?$select={member}", graph.entity(PROFILES, id));
    let mut profile = graph.get(&url).await?;
    match profile.get_mut(member).map(Value::take) {
        Some(Value::Null) | None => Err(Failure {
            kind: ExitKind::Conflict,
            message: format!(
                "profile {id} has no enrollment token, so no QR code: create one with \
                 provisio profiles token create {id} --valid-for 30d"
            ),
        }
        .into()),
        Some(value) => Ok(value),
    }
}

/// The profile's `qrCodeContent`.
async fn qr_content(graph: &Graph, id: &str) -> anyhow::Result<String> {
    match token_member(graph, id, "qrCodeContent").await? {
        Value::String(content) => Ok(content),
        other => anyhow::bail!("qrCodeContent is not a string: {other}"),
    }
}

/// `provisio profiles qr`.
async fn qr_code(graph: &Graph, args: &QrArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.png {
        let image = token_member(graph, &args.id, "qrCodeImage").await?;
        let data = image
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("qrCodeImage has no value"))?;
        let png = STANDARD
            .decode(data)
            .map_err(|e| anyhow::anyhow!("qrCodeImage is not base64: {e}"))?;
        write_private(path, &png)?;
    }
    if args.png.is_some() && args.svg.is_none() {
        return Ok(());
    }
    let content = qr_content(graph, &args.id).await?;
    match &args.svg {
        Some(path) => write_private(path, qr::svg(&content)?.as_bytes()),
        None => say(&qr::terminal(&content, args.background)?),
    }
}

/// `provisio profiles export`.
async fn export(graph: &Graph, args: &ExportArgs) -> anyhow::Result<()> {
    let url = list_url(graph.collection(PROFILES), &args.list, None, None);
    let listing = graph.list(&url, args.list.max).await?;
    let text = match args.format {
        ExportFormat::Jsonl => {
            let mut text = String::new();
            for item in &listing.items {
                text.push_str(&serde_json::to_string(item)?);
                text.push('\n');
            }
            text
        }
        ExportFormat::Csv => every_member_csv(&listing)?,
    };
    match &args.out {
        Some(path) => write_private(path, text.as_bytes()),
        None => say(&text),
    }
}

/// CSV with a column for every member of the first item (annotations left out).
fn every_member_csv(listing: &Listing) -> anyhow::Result<String> {
    let columns: Vec<Column<'_>> = listing
        .items
        .first()
        .and_then(Value::as_object)
        .map(|first| {
            first
                .keys()
                .filter(|k| !k.starts_with('@'))
                .map(|k| col(k, k, Kind::Text))
                .collect()
        })
        .unwrap_or_default();
    output::list(Format::Csv, &columns, listing)
}

/// `provisio devices ...`.
pub async fn devices(args: DevicesArgs) -> anyhow::Result<()> {
    let graph = Graph::connect(&args.client.connect).await?;
    let format = args.client.output.format;
    match args.command {
        DevicesCommand::List(list) => {
            let extra = list
                .profile
                .as_deref()
                .map(|id| format!("enrollmentProfileId eq {}", literal(id)));
            let url = list_url(graph.collection(DEVICES), &list.list, extra, None);
            let listing = graph.list(&url, list.list.max).await?;
            say(&output::list(format, &DEVICE_COLUMNS, &listing)?)
        }
        DevicesCommand::Get(id) => {
            let device = graph.get(&graph.entity(DEVICES, &id.id)).await?;
            say(&output::entity(format, &DEVICE_COLUMNS, &device)?)
        }
        DevicesCommand::Delete(id) => {
            graph
                .send(Method::DELETE, &graph.entity(DEVICES, &id.id), None)
                .await?;
            confirm(format, &format!("deleted device {}", id.id))
        }
        DevicesCommand::Retire(id) => {
            let url = format!("{}/retire", graph.entity(DEVICES, &id.id));
            graph.send(Method::POST, &url, None).await?;
            confirm(
                format,
                &format!(
                    "retire queued for device {}: it leaves management at its next check-in",
                    id.id
                ),
            )
        }
    }
}

/// `provisio audit ...`.
pub async fn audit(args: AuditArgs) -> anyhow::Result<()> {
    let graph = Graph::connect(&args.client.connect).await?;
    let format = args.client.output.format;
    match args.command {
        AuditCommand::List(list) => {
            let extra = match list.since {
                Some(since) => Some(format!(
                    "activityDateTime ge {}",
                    filter_date(shifted(OffsetDateTime::now_utc(), since, false)?)?
                )),
                None => None,
            };
            let url = list_url(
                graph.collection(AUDIT),
                &list.list,
                extra,
                Some("activityDateTime desc"),
            );
            let listing = graph.list(&url, list.list.max).await?;
            say(&output::list(format, &AUDIT_COLUMNS, &listing)?)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn list_urls_join_filters_and_escape_values() {
        let list = ListArgs {
            filter: Some("displayName eq 'a+b c'".into()),
            orderby: None,
            top: Some(5),
            max: None,
        };
        assert_eq!(
            list_url("http://h/c".into(), &list, Some("x eq 1".into()), Some("y desc")),
            "http://h/c?$filter=%28displayName%20eq%20%27a%2Bb%20c%27%29%20and%20%28x%20eq%201%29&$orderby=y%20desc&$top=5"
        );
        assert_eq!(
            list_url("http://h/c".into(), &ListArgs::default(), None, None),
            "http://h/c"
        );
        assert_eq!(literal("O'Brien"), "'O''Brien'");
    }

    #[test]
    fn flags_override_the_json_body() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.json");
        std::fs::write(&path, r#"{"displayName":"From file","wifiSsid":"Lobby"}"#).unwrap();
        let body = ProfileBody {
            json: Some(path.clone()),
            display_name: Some("From flag".into()),
            wifi_hidden: Some(true),
            role_scope_tags: vec!["0".into(), "7".into()],
            ..ProfileBody::default()
        };
        assert_eq!(
            Value::Object(profile_body(&body).unwrap()),
            json!({"displayName": "From flag", "wifiSsid": "Lobby", "wifiHidden": true, "roleScopeTagIds": ["0", "7"]})
        );
        std::fs::write(&path, "[1]").unwrap();
        let body = ProfileBody {
            json: Some(path),
            ..ProfileBody::default()
        };
        let err = profile_body(&body).unwrap_err();
        assert_eq!(super::super::exit_code(&err), 2);
    }
}
