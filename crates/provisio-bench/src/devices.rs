//! The device side of the benchmark: the enrollment tokens the `enroll` workloads present
//! (profiles and tokens made over HTTP, as an admin makes them), the enrollment request of a
//! new device (its own serial number, a fresh 32-byte secret and that secret's hash, as the
//! device protocol asks), and the list of one profile's managed devices.

use anyhow::{bail, Context as _};
use base64::Engine as _;
use http::Method;
use sha2::{Digest as _, Sha256};

use crate::client::{Call, Connection};
use crate::dataset;
use crate::load::describe_error;
use crate::workload::{json, COLLECTION};

/// The enrollment path of the device protocol.
pub const ENROLL: &str = "/device/v1/enroll";

/// The managed devices collection.
pub const DEVICES: &str = "/beta/deviceManagement/managedDevices";

/// Most devices a token enrolls: the service's `--devices-token-usage-limit`, whose default is
/// the most Graph allows.
pub const TOKEN_USAGE_LIMIT: u64 = 20_000;

/// Most enrollments `enrollOneToken` sends on its one token, warm-up included: under
/// [`TOKEN_USAGE_LIMIT`], so that every one of them is a new device the token still admits.
pub const ONE_TOKEN_ENROLLMENTS: u64 = 19_000;
const _: () = assert!(ONE_TOKEN_ENROLLMENTS < TOKEN_USAGE_LIMIT);

/// The serial number of the `n`-th device worker `worker` enrolls in the workload marked `run`:
/// distinct across workers, requests and workloads (a serial seen again would re-enroll that
/// device instead of enrolling a new one).
pub fn serial(run: u64, worker: u64, n: u64) -> String {
    format!("BN{:08X}W{worker:04}N{n:08}", run as u32)
}

/// `POST /device/v1/enroll` of a new device with serial number `serial` on `token`. The device's
/// secret is 32 random bytes, base64url without padding (as the DPC makes it), and the body
/// carries its SHA-256 in lower-case hex.
pub fn enroll_call(token: &str, serial: &str) -> Call {
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let body = serde_json::json!({
        "enrollmentToken": token,
        "credentialHash": format!("{:x}", Sha256::digest(secret.as_bytes())),
        "device": {
            "serialNumber": serial,
            "manufacturer": "samsung",
            "model": "SM-G991B",
            "osVersion": "14",
            "securityPatchLevel": "2026-10-01",
        }
    });
    json(Method::POST, ENROLL.to_owned(), body.to_string())
}

/// Creates `n` dedicated-device profiles named `<name> <k>`, each with a fresh token valid for
/// an hour, and returns the token values. `conn` carries the bearer token.
pub async fn issue_tokens(
    conn: &mut Connection,
    n: u32,
    name: &str,
) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(n as usize);
    for k in 0..n {
        let created = expect_json(
            conn,
            &json(
                Method::POST,
                COLLECTION.to_owned(),
                format!(
                    r#"{{"displayName":"{name} {k}","enrollmentMode":"corporateOwnedDedicatedDevice"}}"#
                ),
            ),
        )
        .await
        .context("creating a profile for the enrollment tokens")?;
        let item = format!(
            "{COLLECTION}/{}",
            created["id"].as_str().unwrap_or_default()
        );
        let call = json(
            Method::POST,
            format!("{item}/createToken"),
            r#"{"tokenValidityInSeconds":3600}"#.to_owned(),
        );
        let reply = conn.send(&call).await?;
        if !reply.status.is_success() {
            bail!(
                "createToken answered {}",
                describe_error(reply.status.as_u16(), &reply.body)
            );
        }
        let profile = expect_json(conn, &Call::get(item)).await?;
        let token = profile["tokenValue"]
            .as_str()
            .context("the profile shows no tokenValue after createToken")?;
        tokens.push(token.to_owned());
    }
    Ok(tokens)
}

/// Sends `call` and reads the JSON of a successful answer.
async fn expect_json(conn: &mut Connection, call: &Call) -> anyhow::Result<serde_json::Value> {
    let reply = conn.send(call).await?;
    if !reply.status.is_success() {
        bail!(
            "{} {} answered {}",
            call.method,
            call.path,
            describe_error(reply.status.as_u16(), &reply.body)
        );
    }
    serde_json::from_slice(&reply.body).context("the answer is not JSON")
}

/// Page 1 of the devices of the preloaded profile that holds [`dataset::LISTED_DEVICES`]
/// (`$filter=enrollmentProfileId eq '<id>'`, the default page size of 100).
pub fn listed_profile_path() -> String {
    format!(
        "{DEVICES}?$filter=enrollmentProfileId%20eq%20%27{}%27",
        dataset::profile_id(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_distinct_and_real() {
        let a = serial(0xDEAD_BEEF_0000_0001, 3, 17);
        assert_eq!(a, "BN00000001W0003N00000017");
        assert_ne!(a, serial(2, 3, 17));
        assert_ne!(a, serial(1, 4, 17));
        assert_ne!(a, serial(1, 3, 18));
    }

    #[test]
    fn each_enrollment_has_its_own_secret() {
        let one = enroll_call("ABCDEFGHIJKLMNOPQRST", "S1");
        let two = enroll_call("ABCDEFGHIJKLMNOPQRST", "S1");
        let hash = |c: &Call| {
            let v: serde_json::Value = serde_json::from_slice(c.body.as_ref().unwrap()).unwrap();
            v["credentialHash"].as_str().unwrap().to_owned()
        };
        assert_eq!(hash(&one).len(), 64);
        assert!(hash(&one)
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(hash(&one), hash(&two));
        assert_eq!(one.path, ENROLL);
    }

    #[test]
    fn the_listed_profile_is_filtered_by_id() {
        let p = listed_profile_path();
        assert!(p.starts_with(
            "/beta/deviceManagement/managedDevices?$filter=enrollmentProfileId%20eq%20%27"
        ));
        assert!(p.ends_with(&format!("{}%27", dataset::profile_id(0))));
    }
}
