//! The two commands step by step, as a DPC takes them, and what they print.
//!
//! `enroll`: read the QR code → `check` the token (nothing is spent yet) → save the state with a
//! new secret → `enroll` with the secret's hash → save the record. A state file left by an
//! enrollment that got no answer is picked up again with its secret, whose hash is the proof
//! that lets the server hand back the record it may already have made.
//!
//! `checkin`: send the device's facts with its secret → print the commands → acknowledge a
//! `wipe` (or else the first `retire`) and forget the state, as a DPC that wipes the phone or
//! removes itself would. A 410 means the record is gone: the state is forgotten too. A 401 means
//! the server does not know the secret: the state is kept and nothing else happens (a DPC never
//! wipes on it).

use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use base64::Engine as _;
use rand::RngCore as _;
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};

use super::protocol::{CallError, CheckinFacts, Command, DeviceApi, DeviceFacts, RetryPolicy};
use super::qr::{self, CodeKind, ExtrasKeys, PROTOCOL_VERSION};
use super::state::DeviceState;
use super::{CheckinArgs, EnrollArgs};
use crate::model::Sensitive;

/// Bytes of randomness in a device secret.
const SECRET_BYTES: usize = 32;

/// A new device secret: 32 bytes from the operating system, base64url without padding.
pub fn new_secret() -> Sensitive {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Sensitive::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The `credentialHash` the server keeps: lowercase hex SHA-256 of the secret's UTF-8 bytes.
pub fn credential_hash(secret: &Sensitive) -> String {
    Sha256::digest(secret.expose().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `provisio device enroll`.
pub async fn enroll(args: &EnrollArgs) -> anyhow::Result<()> {
    let path = args.output.state.as_path();
    let png = std::fs::read(&args.qr).with_context(|| format!("reading {}", args.qr.display()))?;
    let text = qr::decode_png(&png)
        .with_context(|| format!("reading the QR code in {}", args.qr.display()))?;
    let keys = ExtrasKeys {
        token: args.token_key.as_deref(),
        url: args.url_key.as_deref(),
    };
    let code = qr::read_code(&text, keys)?;
    let server = code.server_url(args.server.as_deref())?;
    let say = |line: String| {
        if !args.output.json {
            println!("provisio: {line}");
        }
    };
    let dpc = match code.kind {
        CodeKind::AndroidDevicePolicy => "Google's Android Device Policy",
        CodeKind::OwnDpc => "your own DPC",
    };
    say(format!(
        "the QR code is for {dpc} (token under {}); enrolling with {server}",
        code.token_key
    ));

    let secret = match DeviceState::load(path)? {
        Some(old) if old.is_enrolled() => bail!(
            "{} already holds an enrolled device ({} on {}); pass another --state, or delete the file to enroll again",
            path.display(),
            old.device_name.as_deref().unwrap_or("unnamed"),
            old.server_url
        ),
        Some(old) if old.server_url == server => {
            say(format!(
                "{} holds an enrollment that got no answer; trying again with its device secret",
                path.display()
            ));
            old.device_secret
        }
        Some(old) => bail!(
            "{} holds an unfinished enrollment with {}; delete it to enroll with {server}",
            path.display(),
            old.server_url
        ),
        None => new_secret(),
    };

    let api = DeviceApi::new(&server, RetryPolicy::default())?;
    let check = api
        .check(&code.token)
        .await
        .map_err(|e| anyhow!(e).context("checking the enrollment token"))?
        .body;
    if check.protocol_version != PROTOCOL_VERSION {
        bail!(
            "the server speaks device protocol version {}; this provisio speaks version {PROTOCOL_VERSION}",
            check.protocol_version
        );
    }
    if let Some(mode) = code.mode.as_deref().filter(|m| *m != check.enrollment_mode) {
        say(format!(
            "note: the QR code says {mode}, the server says {}; the server's mode applies",
            check.enrollment_mode
        ));
    }
    say(format!(
        "enrollment token accepted: {} for tenant {}, valid until {}",
        check.enrollment_mode,
        check.tenant_id,
        check
            .token_expiration_date_time
            .as_deref()
            .unwrap_or("(no expiry given)")
    ));

    let mut state = DeviceState {
        server_url: server,
        tenant_id: Some(check.tenant_id),
        managed_device_id: None,
        device_name: None,
        enrollment_profile_id: None,
        enrollment_mode: Some(check.enrollment_mode),
        device_secret: secret,
    };
    state.save(path)?;
    let device = DeviceFacts {
        serial_number: Some(args.serial.clone()),
        imei: args.imei.clone(),
        meid: args.meid.clone(),
        enterprise_specific_id: args.enterprise_specific_id.clone(),
        manufacturer: args.manufacturer.clone(),
        model: args.model.clone(),
        os_version: args.facts.os_version.clone(),
        security_patch_level: args.facts.security_patch_level.clone(),
        wifi_mac_address: args.wifi_mac_address.clone(),
    };
    let user_id_token = match &args.user_id_token_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading the user ID token from {}", file.display()))?;
            Some(Sensitive::new(text.trim()))
        }
        None => None,
    };
    let idempotency_key = uuid::Uuid::new_v4().to_string();
    let hash = credential_hash(&state.device_secret);
    let answer = api
        .enroll(
            &code.token,
            &hash,
            &device,
            user_id_token.as_ref(),
            &idempotency_key,
        )
        .await
        .map_err(|e| {
            anyhow!(e).context(format!(
                "enrolling (the device secret stays in {}; running the same command again reuses it)",
                path.display()
            ))
        })?;
    let record = &answer.body;
    state.managed_device_id = Some(record.managed_device_id.clone());
    state.device_name = Some(record.device_name.clone());
    state.enrollment_profile_id = Some(record.enrollment_profile_id.clone());
    state.enrollment_mode = Some(record.enrollment_mode.clone());
    state.tenant_id = Some(record.tenant_id.clone());
    state.save(path)?;

    if args.output.json {
        println!("{}", answer.raw);
        return Ok(());
    }
    let how = if answer.status == StatusCode::CREATED {
        "a new device record"
    } else {
        "its existing device record"
    };
    println!("provisio: enrolled as {how}");
    for (name, value) in [
        ("managedDeviceId", &record.managed_device_id),
        ("deviceName", &record.device_name),
        ("enrollmentProfileId", &record.enrollment_profile_id),
        ("enrollmentMode", &record.enrollment_mode),
        ("tenantId", &record.tenant_id),
    ] {
        println!("  {name:<20} {value}");
    }
    println!(
        "  {:<20} {} (holds the device's secret: keep it private)",
        "state",
        path.display()
    );
    Ok(())
}

/// `provisio device checkin`.
pub async fn checkin(args: &CheckinArgs) -> anyhow::Result<()> {
    let path = args.output.state.as_path();
    let mut state = match DeviceState::load(path)? {
        Some(state) if state.is_enrolled() => state,
        Some(_) => bail!(
            "the enrollment in {} got no answer; run provisio device enroll again first",
            path.display()
        ),
        None => bail!(
            "no device state in {}; run provisio device enroll first (or pass --state)",
            path.display()
        ),
    };
    // With --json the answer alone goes to standard output, the rest to standard error.
    let json = args.output.json;
    let show = |line: String| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    let say = |line: String| show(format!("provisio: {line}"));
    let api = DeviceApi::new(&state.server_url, RetryPolicy::default())?;
    let facts = CheckinFacts {
        os_version: args.facts.os_version.clone(),
        security_patch_level: args.facts.security_patch_level.clone(),
    };
    let answer = match api.checkin(&state.device_secret, &facts).await {
        Ok(answer) => answer,
        Err(e) if e.status() == Some(StatusCode::GONE) => {
            say(format!(
                "the device was removed from the server ({e}); a DPC would now give up its management of the device and uninstall itself"
            ));
            return forget(path, &say);
        }
        Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => bail!(
            "the server does not know this device's credential ({e}); a DPC keeps the device as it is and never wipes on this answer. {} is kept",
            path.display()
        ),
        Err(e) => return Err(anyhow!(e).context("checking in")),
    };
    let reply = &answer.body;
    if json {
        println!("{}", answer.raw);
    }
    let count = match reply.commands.len() {
        0 => "no commands".to_owned(),
        1 => "1 command".to_owned(),
        n => format!("{n} commands"),
    };
    say(format!(
        "checked in as {} (managed device {}): {count}",
        reply.device_name, reply.managed_device_id
    ));
    for command in &reply.commands {
        show(format!(
            "  {:<7} {}  issued {}",
            command.kind,
            command.id,
            command.issued_date_time.as_deref().unwrap_or("-")
        ));
    }
    if state.device_name.as_deref() != Some(reply.device_name.as_str()) {
        state.device_name = Some(reply.device_name.clone());
        state.save(path)?;
    }
    let Some(command) = obeyed(&reply.commands) else {
        return Ok(());
    };
    api.ack(&state.device_secret, &command.id)
        .await
        .map_err(|e: CallError| {
            anyhow!(e).context(format!("acknowledging {} {}", command.kind, command.id))
        })?;
    let action = if command.kind == "wipe" {
        "factory-reset the device (wipeData)"
    } else {
        "give up its management of the device (clear device owner, remove its policies) and uninstall itself"
    };
    say(format!(
        "acknowledged {} {}; a DPC would now {action}",
        command.kind, command.id
    ));
    forget(path, &say)
}

/// The command a DPC acts on: a wipe before anything else, else the first retire. Commands of
/// other types are printed and left alone.
fn obeyed(commands: &[Command]) -> Option<&Command> {
    commands
        .iter()
        .find(|c| c.kind == "wipe")
        .or_else(|| commands.iter().find(|c| c.kind == "retire"))
}

/// Deletes the state file, as a DPC that removed itself forgets its secret.
fn forget(path: &Path, say: &dyn Fn(String)) -> anyhow::Result<()> {
    DeviceState::remove(path)?;
    say(format!("deleted the device state {}", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_credential_hash_is_lowercase_hex_sha256_of_the_secret() {
        assert_eq!(
            credential_hash(&Sensitive::new("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_are_32_random_bytes_in_base64url() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(a.expose())
            .unwrap();
        assert_eq!(bytes.len(), SECRET_BYTES);
    }

    #[test]
    fn a_wipe_wins_over_a_retire_and_unknown_types_are_left_alone() {
        let command = |id: &str, kind: &str| Command {
            id: id.into(),
            kind: kind.into(),
            issued_date_time: None,
        };
        let list = [
            command("1", "lock"),
            command("2", "retire"),
            command("3", "wipe"),
        ];
        assert_eq!(obeyed(&list).unwrap().id, "3");
        assert_eq!(obeyed(&list[..2]).unwrap().id, "2");
        assert!(obeyed(&list[..1]).is_none());
    }
}
