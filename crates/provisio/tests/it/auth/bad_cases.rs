//! The bad credentials of `bad_tokens`: malformed headers, forged or unverifiable signatures,
//! refused algorithms and keys, and properly signed tokens whose claims are wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::{claims, now, sign, Keys, READ, READ_WRITE, TENANT_A, TENANT_B};

pub fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

fn unsigned(header: Value, claims: &Value) -> String {
    let (h, c) = (header.to_string(), claims.to_string());
    format!("{}.{}.", b64(h.as_bytes()), b64(c.as_bytes()))
}

/// A claim to change: its name, and the new value (`None` removes it).
pub type Change = (&'static str, Option<Value>);

/// Properly signed RS256 tokens whose claims are wrong.
fn claim_cases() -> Vec<(&'static str, Vec<Change>)> {
    let iss = |t: &str| Some(json!(format!("https://login.microsoftonline.com/{t}/v2.0")));
    let hex = TENANT_A.replace('-', "");
    let no_scp = ("scp", None);
    vec![
        (
            "expired beyond the skew",
            vec![
                ("exp", Some(json!(now() - 600))),
                ("nbf", Some(json!(now() - 7200))),
            ],
        ),
        (
            "not yet valid beyond the skew",
            vec![("nbf", Some(json!(now() + 600)))],
        ),
        ("no exp", vec![("exp", None)]),
        ("exp as a string", vec![("exp", Some(json!("tomorrow")))]),
        (
            "wrong audience",
            vec![("aud", Some(json!("https://graph.microsoft.com")))],
        ),
        ("no audience", vec![("aud", None)]),
        (
            "audience list without ours",
            vec![("aud", Some(json!(["api://other", "api://else"])))],
        ),
        (
            "wrong issuer",
            vec![(
                "iss",
                Some(json!(format!("https://evil.example.com/{TENANT_A}/v2.0"))),
            )],
        ),
        ("no issuer", vec![("iss", None)]),
        ("v2 issuer of another tenant", vec![("iss", iss(TENANT_B))]),
        (
            "v1 issuer of another tenant",
            vec![(
                "iss",
                Some(json!(format!("https://sts.windows.net/{TENANT_B}/"))),
            )],
        ),
        (
            "the common endpoint as issuer",
            vec![("iss", iss("common"))],
        ),
        ("no tid", vec![("tid", None)]),
        (
            "tid not a GUID",
            vec![
                ("tid", Some(json!("contoso.com"))),
                ("iss", iss("contoso.com")),
            ],
        ),
        (
            "tid GUID without hyphens",
            vec![("tid", Some(json!(hex))), ("iss", iss(&hex))],
        ),
        ("tid as a number", vec![("tid", Some(json!(42)))]),
        ("neither scp nor roles", vec![no_scp.clone()]),
        ("empty scp", vec![("scp", Some(json!("  ")))]),
        (
            "empty roles",
            vec![no_scp.clone(), ("roles", Some(json!([])))],
        ),
        (
            "roles not an array",
            vec![no_scp, ("roles", Some(json!(READ_WRITE)))],
        ),
    ]
}

/// `claims(TENANT_A, ReadWrite)` with `changes` applied.
pub fn changed(changes: &[Change]) -> Value {
    let mut c = claims(TENANT_A, READ_WRITE);
    let map = c.as_object_mut().unwrap();
    for (name, value) in changes {
        match value {
            Some(v) => map.insert((*name).to_owned(), v.clone()),
            None => map.remove(*name),
        };
    }
    c
}

/// Name and Authorization header values (none, one or two) of every bad case.
pub fn bad_cases(k: &Keys) -> Vec<(String, Vec<Vec<u8>>)> {
    let good_claims = claims(TENANT_A, READ_WRITE);
    let rs = |c: &Value| sign(Algorithm::RS256, Some("rsa-a"), &k.rsa_a, c);
    let with_key = |alg, kid, key: &EncodingKey| sign(alg, kid, key, &good_claims);
    let good = rs(&good_claims);
    let bearer = |t: &str| vec![format!("Bearer {t}").into_bytes()];
    let p: Vec<&str> = good.split('.').collect();
    let read_only = rs(&claims(TENANT_A, READ));
    let ro: Vec<&str> = read_only.split('.').collect();
    let upgraded = b64(good_claims.to_string().as_bytes());
    let mut crit = Header::new(Algorithm::RS256);
    crit.kid = Some("rsa-a".into());
    crit.crit = Some(vec!["exp".into()]);
    let crit = jsonwebtoken::encode(&crit, &good_claims, &k.rsa_a).unwrap();
    // Over the verifier's 16 KiB limit on a token, under the service's 32 KiB of header fields
    // (past those, the answer is 431 before any token is looked at).
    let huge_header = json!({"alg": "RS256", "kid": "k".repeat(16 * 1024)}).to_string();
    let huge = format!("{}.{}.{}", b64(huge_header.as_bytes()), p[1], p[2]);
    let public_as_secret = EncodingKey::from_secret(&k.rsa_a_public_pem);
    let secret = EncodingKey::from_secret(b"secret");
    let none = |alg: &str| unsigned(json!({"alg": alg, "typ": "JWT"}), &good_claims);
    let mut cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("no Authorization header", vec![]),
        ("Basic scheme", vec![b"Basic dXNlcjpwYXNz".to_vec()]),
        ("Bearer without a token", vec![b"Bearer".to_vec()]),
        ("Bearer with only spaces", vec![b"Bearer    ".to_vec()]),
        (
            "the token without a scheme",
            vec![good.clone().into_bytes()],
        ),
        (
            "two Authorization headers",
            [bearer(&good), bearer(&good)].concat(),
        ),
        ("non-JWT garbage", bearer("hello-world")),
        ("two segments", bearer(&format!("{}.{}", p[0], p[1]))),
        (
            "header not base64",
            bearer(&format!("%%%.{}.{}", p[1], p[2])),
        ),
        (
            "header not JSON",
            bearer(&format!("{}.{}.{}", b64(b"not json"), p[1], p[2])),
        ),
        ("non-ASCII bytes", vec![b"Bearer \xff\xfe\xfd".to_vec()]),
        ("truncated", bearer(&good[..good.len() - 12])),
        ("signature removed", bearer(&format!("{}.{}.", p[0], p[1]))),
        (
            "claims tampered (Read to ReadWrite)",
            bearer(&format!("{}.{upgraded}.{}", ro[0], ro[2])),
        ),
        (
            "another key under a known kid",
            bearer(&with_key(Algorithm::RS256, Some("rsa-a"), &k.rsa_b)),
        ),
        ("alg none", bearer(&none("none"))),
        ("alg None", bearer(&none("None"))),
        (
            "alg confusion: HS256 keyed with the RSA public key",
            bearer(&with_key(
                Algorithm::HS256,
                Some("rsa-a"),
                &public_as_secret,
            )),
        ),
        (
            "HS256 with a shared secret in production mode",
            bearer(&with_key(Algorithm::HS256, None, &secret)),
        ),
        (
            "RS384 (not configured)",
            bearer(&with_key(Algorithm::RS384, Some("rsa-a"), &k.rsa_a)),
        ),
        (
            "PS256 (not configured)",
            bearer(&with_key(Algorithm::PS256, Some("rsa-a"), &k.rsa_a)),
        ),
        (
            "ES256 naming the RSA kid",
            bearer(&with_key(Algorithm::ES256, Some("rsa-a"), &k.ec_a)),
        ),
        (
            "RS256 naming the EC kid",
            bearer(&with_key(Algorithm::RS256, Some("ec-a"), &k.rsa_a)),
        ),
        (
            "unknown kid",
            bearer(&with_key(Algorithm::RS256, Some("nope"), &k.rsa_a)),
        ),
        (
            "no kid",
            bearer(&with_key(Algorithm::RS256, None, &k.rsa_a)),
        ),
        ("critical header extension", bearer(&crit)),
        ("22 KB token", bearer(&huge)),
    ];
    let claim_tokens: Vec<(&str, String)> = claim_cases()
        .into_iter()
        .map(|(name, c)| (name, rs(&changed(&c))))
        .collect();
    cases.extend(claim_tokens.iter().map(|(name, t)| (*name, bearer(t))));
    cases.into_iter().map(|(n, v)| (n.to_owned(), v)).collect()
}
