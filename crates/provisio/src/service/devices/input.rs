//! Reading the device protocol's request bodies: strict types, bounded lengths, a message that
//! names the member for every refusal, and nothing stored on a refusal.

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;
use crate::model::device::{Identity, IdentityError};
use crate::model::input::{json_kind, truncate};
use crate::model::Sensitive;

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Longest device secret accepted in `Authorization: Device`.
pub const MAX_SECRET: usize = 512;

/// Longest `userIdToken`.
const MAX_ID_TOKEN: usize = 16 * 1024;

/// The device facts an enrollment reports, each checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    /// `serialNumber`.
    pub serial_number: Option<String>,
    /// `imei`.
    pub imei: Option<String>,
    /// `meid`.
    pub meid: Option<String>,
    /// `enterpriseSpecificId`.
    pub enterprise_specific_id: Option<String>,
    /// `manufacturer`.
    pub manufacturer: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `osVersion`.
    pub os_version: Option<String>,
    /// `securityPatchLevel`.
    pub security_patch_level: Option<String>,
    /// `wifiMacAddress`.
    pub wifi_mac_address: Option<String>,
}

/// The members of `device` and their longest values, in characters.
const FACTS: [(&str, usize); 9] = [
    ("serialNumber", 128),
    ("imei", 32),
    ("meid", 32),
    ("enterpriseSpecificId", 256),
    ("manufacturer", 128),
    ("model", 128),
    ("osVersion", 64),
    ("securityPatchLevel", 32),
    ("wifiMacAddress", 64),
];

/// A checked `POST /device/v1/enroll` body.
#[derive(Clone, Debug)]
pub struct EnrollBody {
    /// `enrollmentToken`, as sent (checked against the stored ones later).
    pub token: String,
    /// `credentialHash`, lower-cased.
    pub credential_hash: String,
    /// `device`.
    pub facts: DeviceFacts,
    /// The device's identity.
    pub identity: Identity,
    /// SHA-256 of the request's meaning (token, credential hash, facts, user token), for
    /// idempotency keys.
    pub request_hash: String,
    /// `userIdToken`, as sent (verified by the caller, which knows the accepted issuers).
    pub user_id_token: Option<Sensitive>,
}

fn bad(message: String) -> ApiError {
    ApiError::BadRequest(message)
}

fn object<'a>(body: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        other => Err(bad(format!(
            "The {what} must be a JSON object, not {}.",
            json_kind(other)
        ))),
    }
}

/// Refuses a member that is not one of `names`: the protocol's bodies are as strict as Graph's,
/// so a misspelt member is a client's error, not a value silently dropped.
fn only(map: &Map<String, Value>, path: &str, names: &[&str]) -> Result<(), ApiError> {
    match map.keys().find(|k| !names.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(bad(format!(
            "The member '{path}{}' does not exist in this request (its members: {}).",
            truncate(k, 80),
            match names {
                [] => "none".to_owned(),
                _ => names.join(", "),
            }
        ))),
    }
}

/// A text member: absent or null is `None`; anything but a string is a 400; longer than `max`
/// characters or holding a control character is a 400.
fn text(
    map: &Map<String, Value>,
    path: &str,
    name: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n > max {
                return Err(bad(format!(
                    "Invalid value for '{path}{name}': must be at most {max} characters (got {n})."
                )));
            }
            if s.chars().any(char::is_control) {
                return Err(bad(format!(
                    "Invalid value for '{path}{name}': control characters are not allowed."
                )));
            }
            Ok(Some(s.clone()))
        }
        Some(other) => Err(bad(format!(
            "Invalid value for '{path}{name}': expected a string, got {}.",
            json_kind(other)
        ))),
    }
}

/// `enrollmentToken` of a check or enroll body: a string (its form is checked with the stored
/// tokens: a malformed one is as unknown as a wrong one).
pub fn token(map: &Map<String, Value>) -> Result<String, ApiError> {
    text(map, "", "enrollmentToken", 256)?
        .ok_or_else(|| bad("The member 'enrollmentToken' is required.".into()))
}

/// Reads a `POST /device/v1/check` body.
pub fn check_body(body: &Value) -> Result<String, ApiError> {
    let map = object(body, "request body")?;
    only(map, "", &["enrollmentToken"])?;
    token(map)
}

/// Reads a `POST /device/v1/enroll` body.
pub fn enroll_body(body: &Value) -> Result<EnrollBody, ApiError> {
    let map = object(body, "request body")?;
    only(
        map,
        "",
        &["enrollmentToken", "credentialHash", "device", "userIdToken"],
    )?;
    let token = token(map)?;
    let credential_hash = text(map, "", "credentialHash", 64)?
        .ok_or_else(|| bad("The member 'credentialHash' is required.".into()))?;
    if credential_hash.len() != 64 || !credential_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(
            "Invalid value for 'credentialHash': must be 64 hexadecimal digits (the SHA-256 of the device's secret)."
                .into(),
        ));
    }
    let credential_hash = credential_hash.to_ascii_lowercase();
    let device = match map.get("device") {
        Some(v @ Value::Object(_)) => object(v, "member 'device'")?,
        None | Some(Value::Null) => {
            return Err(bad("The member 'device' is required.".into()));
        }
        Some(other) => {
            return Err(bad(format!(
                "Invalid value for 'device': expected an object, got {}.",
                json_kind(other)
            )))
        }
    };
    only(device, "device/", &FACTS.map(|(name, _)| name))?;
    let mut values = Vec::with_capacity(FACTS.len());
    for (name, max) in FACTS {
        values.push(text(device, "device/", name, max)?);
    }
    let user_token = text(map, "", "userIdToken", MAX_ID_TOKEN)?;
    let [serial_number, imei, meid, enterprise_specific_id, manufacturer, model, os_version, security_patch_level, wifi_mac_address] =
        <[Option<String>; 9]>::try_from(values).unwrap_or_default();
    let facts = DeviceFacts {
        serial_number,
        imei,
        meid,
        enterprise_specific_id,
        manufacturer,
        model,
        os_version,
        security_patch_level,
        wifi_mac_address,
    };
    let identity = Identity::of(
        facts.enterprise_specific_id.as_deref(),
        facts.manufacturer.as_deref(),
        facts.model.as_deref(),
        facts.serial_number.as_deref(),
        facts.imei.as_deref(),
    )
    .map_err(|e: IdentityError| bad(e.to_string()))?;
    let mut hash = Sha256::new();
    let facts_json = device_json(&facts).to_string();
    for part in [
        token.as_str(),
        credential_hash.as_str(),
        facts_json.as_str(),
        user_token.as_deref().unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    Ok(EnrollBody {
        token,
        credential_hash,
        identity,
        request_hash: format!("{:x}", hash.finalize()),
        facts,
        user_id_token: user_token.map(Sensitive::new),
    })
}

fn device_json(f: &DeviceFacts) -> Value {
    serde_json::json!([
        f.serial_number,
        f.imei,
        f.meid,
        f.enterprise_specific_id,
        f.manufacturer,
        f.model,
        f.os_version,
        f.security_patch_level,
        f.wifi_mac_address
    ])
}

/// The facts a check-in reports (both optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckinBody {
    /// `osVersion`.
    pub os_version: Option<String>,
    /// `securityPatchLevel`.
    pub security_patch_level: Option<String>,
}

/// Reads a `POST /device/v1/checkin` body (none is `{}`).
pub fn checkin_body(body: Option<&Value>) -> Result<CheckinBody, ApiError> {
    let Some(body) = body else {
        return Ok(CheckinBody::default());
    };
    let map = object(body, "request body")?;
    only(map, "", &["osVersion", "securityPatchLevel"])?;
    Ok(CheckinBody {
        os_version: text(map, "", "osVersion", 64)?,
        security_patch_level: text(map, "", "securityPatchLevel", 32)?,
    })
}

/// Reads a `POST /device/v1/commands/{id}/ack` body: none, or `{}`.
pub fn ack_body(body: Option<&Value>) -> Result<(), ApiError> {
    match body {
        None => Ok(()),
        Some(body) => only(object(body, "request body")?, "", &[]),
    }
}

/// The lower-case hex SHA-256 of a device secret: what the service stores and compares.
pub fn credential_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// An `Authorization` header that is no well-formed `Device <secret>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MalformedSecret;

/// The secret of an `Authorization: Device <secret>` header; `Ok(None)` without one. A header
/// of another scheme, or a malformed secret, is an unknown credential.
pub fn device_secret(header: Option<&str>) -> Result<Option<&str>, MalformedSecret> {
    let Some(value) = header else { return Ok(None) };
    let (scheme, secret) = value.split_once(' ').ok_or(MalformedSecret)?;
    let secret = secret.trim();
    let ok = scheme.eq_ignore_ascii_case("Device")
        && !secret.is_empty()
        && secret.len() <= MAX_SECRET
        && secret.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(Some(secret)).ok_or(MalformedSecret)
}

/// An `Idempotency-Key` header: at most 200 visible ASCII characters.
pub fn idempotency_key(header: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(key) = header else { return Ok(None) };
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(bad(format!(
            "Invalid Idempotency-Key: must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters (got '{}').",
            truncate(key, 40)
        )));
    }
    Ok(Some(key.to_owned()))
}

/// Whether a token has the form of one (20 letters A–Z); one that has not is refused as unknown,
/// without a lookup.
pub fn well_formed_token(token: &str) -> bool {
    token.len() == crate::service::TOKEN_LENGTH && token.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "enrollmentToken": "ABCDEFGHIJKLMNOPQRST",
            "credentialHash": "A".repeat(64),
            "device": {"serialNumber": "R58N12345XY", "manufacturer": "samsung", "model": "SM-G991B"}
        })
    }

    #[test]
    fn reads_an_enrollment_and_names_bad_members() {
        let b = enroll_body(&body()).unwrap();
        assert_eq!(b.credential_hash, "a".repeat(64));
        assert_eq!(b.identity.kind, 2);
        let mut wrong = body();
        wrong["device"]["serialNumber"] = json!(5);
        let e = enroll_body(&wrong).unwrap_err().to_string();
        assert!(e.contains("device/serialNumber"), "{e}");
        let mut long = body();
        long["device"]["serialNumber"] = json!("x".repeat(10_000));
        assert!(enroll_body(&long)
            .unwrap_err()
            .to_string()
            .contains("at most 128"));
        let mut hash = body();
        hash["credentialHash"] = json!("xyz");
        assert!(enroll_body(&hash)
            .unwrap_err()
            .to_string()
            .contains("credentialHash"));
        let mut none = body();
        none["device"] = json!({"serialNumber": "unknown"});
        assert!(enroll_body(&none)
            .unwrap_err()
            .to_string()
            .contains("identity"));
        assert!(enroll_body(&json!([])).is_err());
    }

    #[test]
    fn members_the_protocol_does_not_have_are_named() {
        let mut extra = body();
        extra["device"]["brand"] = json!("x");
        let e = enroll_body(&extra).unwrap_err().to_string();
        assert!(e.contains("'device/brand'"), "{e}");
        let e = checkin_body(Some(&json!({"osversion": "14"})))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'osversion'") && e.contains("osVersion"), "{e}");
        let e = check_body(&json!({"enrollmentToken": "A", "mode": 1}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'mode'"), "{e}");
        assert!(ack_body(None).is_ok() && ack_body(Some(&json!({}))).is_ok());
        assert!(ack_body(Some(&json!({"x": 1}))).is_err());
        assert!(ack_body(Some(&json!([]))).is_err());
    }

    #[test]
    fn same_request_same_hash() {
        let a = enroll_body(&body()).unwrap().request_hash;
        assert_eq!(a, enroll_body(&body()).unwrap().request_hash);
        let mut other = body();
        other["device"]["osVersion"] = json!("14");
        assert_ne!(a, enroll_body(&other).unwrap().request_hash);
    }

    #[test]
    fn device_secrets_and_keys() {
        assert_eq!(device_secret(Some("Device abc")), Ok(Some("abc")));
        assert_eq!(device_secret(None), Ok(None));
        assert!(device_secret(Some("Bearer abc")).is_err());
        assert!(device_secret(Some("Device ")).is_err());
        assert!(idempotency_key(Some(&"k".repeat(201))).is_err());
        assert_eq!(idempotency_key(Some("k1")).unwrap().as_deref(), Some("k1"));
        assert!(well_formed_token("ABCDEFGHIJKLMNOPQRST"));
        assert!(!well_formed_token("abcdefghijklmnopqrst"));
    }
}
