//! `$skiptoken`: where the next page starts, as an opaque, signed token. A token that was altered,
//! or that belongs to another query, is refused instead of returning a wrong page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

/// Name of the paging key in the store's service keys.
pub const KEY_NAME: &str = "paging-hmac-sha256";

/// Signs and checks skip tokens with a key shared by every process on one database.
#[derive(Clone)]
pub struct SkipTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for SkipTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SkipTokens(<key redacted>)")
    }
}

const TAG_BYTES: usize = 16;

impl SkipTokens {
    /// Tokens signed with `key`.
    pub fn new(key: Vec<u8>) -> Self {
        SkipTokens { key }
    }

    fn tag(&self, query: &str, payload: &[u8]) -> Vec<u8> {
        // Infallible: HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(&(query.len() as u64).to_be_bytes());
        mac.update(query.as_bytes());
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }

    /// The error for a token that was altered, or that belongs to another query.
    pub fn invalid() -> ApiError {
        ApiError::BadRequest(
            "The $skiptoken is not valid for this query; use the @odata.nextLink of the previous page unchanged."
                .into(),
        )
    }

    /// A token for `position`, valid only for the query described by `query`.
    pub fn encode<T: Serialize>(&self, query: &str, position: &T) -> String {
        let payload = serde_json::to_vec(position).unwrap_or_default();
        let mut bytes = self.tag(query, &payload);
        bytes.extend_from_slice(&payload);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position in a token made by [`SkipTokens::encode`] for the same query.
    pub fn decode<T: DeserializeOwned>(&self, query: &str, token: &str) -> Result<T, ApiError> {
        let invalid = SkipTokens::invalid;
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| invalid())?;
        if bytes.len() < TAG_BYTES {
            return Err(invalid());
        }
        let (tag, payload) = bytes.split_at(TAG_BYTES);
        let expected = self.tag(query, payload);
        if !constant_time_eq(tag, &expected) {
            return Err(invalid());
        }
        serde_json::from_slice(payload).map_err(|_| invalid())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering() {
        let t = SkipTokens::new(b"k".to_vec());
        let tok = t.encode("q", &("abc", 3));
        assert_eq!(
            t.decode::<(String, i32)>("q", &tok).unwrap(),
            ("abc".to_owned(), 3)
        );
        assert!(t.decode::<(String, i32)>("other query", &tok).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&tok).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        assert!(t
            .decode::<(String, i32)>("q", &URL_SAFE_NO_PAD.encode(bytes))
            .is_err());
        assert!(t.decode::<(String, i32)>("q", "not-a-token!").is_err());
        assert!(SkipTokens::new(b"other".to_vec())
            .decode::<(String, i32)>("q", &tok)
            .is_err());
    }
}
