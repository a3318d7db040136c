//! Unit tests of the JWKS URL rule and key-set parsing.

use super::*;

#[test]
fn jwks_urls_are_https_or_loopback_http() {
    for ok in [
        "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        "http://127.0.0.1:8081/keys",
        "http://127.8.0.1/keys",
        "http://localhost:9/keys",
        "http://[::1]:9/keys",
    ] {
        assert!(parse_jwks_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://login.microsoftonline.com/common/discovery/v2.0/keys",
        "http://10.0.0.1/keys",
        "http://localhost.example.com/keys",
        "ftp://127.0.0.1/keys",
        "file:///etc/keys.json",
        "keys.json",
    ] {
        assert!(parse_jwks_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn odd_keys_are_skipped_not_fatal() {
    let doc = serde_json::json!({"keys": [
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
        {"kty": "RSA", "n": "sXch", "e": "AQAB"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "oaep", "alg": "RSA-OAEP", "n": "sXch", "e": "AQAB"},
        {"kty": "weird", "kid": "x"},
        {"kty": "RSA", "kid": "good", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"},
        {"kty": "RSA", "use": "sig", "kid": "entra", "x5t": "entra", "n": "sXch", "e": "AQAB",
         "x5c": ["MIIC/TCCAeWgAwIBAgIIQ"], "cloud_instance_name": "microsoftonline.com",
         "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}
    ]});
    let keys = parse_key_set(doc.to_string().as_bytes()).unwrap();
    let mut kids: Vec<&String> = keys.keys().collect();
    kids.sort();
    assert_eq!(kids, ["entra", "good"], "Entra ID's extra members are fine");
    assert_eq!(keys["entra"].alg, None);
    assert_eq!(keys["good"].alg, Some(Algorithm::RS256));
    assert!(parse_key_set(b"{}").is_err());
    assert!(parse_key_set(b"not json").is_err());
}
