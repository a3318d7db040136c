//! The signing keys of production mode: a JWKS read from a file or fetched from an https URL,
//! cached, and read again when a token names a key id that is not in the cache (at most once per
//! `jwks_min_refresh_seconds`, so a stream of made-up key ids cannot turn into a stream of
//! fetches) or when the cache is older than an hour.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use reqwest::Url;
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

/// How old the cached keys may get before a request refreshes them.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// The largest JWKS document accepted.
const MAX_BYTES: usize = 1024 * 1024;

/// One usable verification key.
pub struct Key {
    /// The key, for `jsonwebtoken::decode`.
    pub decoding: DecodingKey,
    /// RSA or EC.
    pub family: AlgorithmFamily,
    /// The algorithm the JWKS pins the key to, if it does.
    pub alg: Option<Algorithm>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("family", &self.family)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Where the keys come from.
#[derive(Debug)]
enum Source {
    File(PathBuf),
    Url(Url, reqwest::Client),
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<Key>>,
    fetched: Option<Instant>,
}

/// The key set and its refresh rules.
pub struct Jwks {
    source: Source,
    cache: RwLock<Arc<Cache>>,
    last_attempt: Mutex<Option<Instant>>,
    min_refresh: Duration,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("source", &self.source)
            .finish()
    }
}

/// Why no key could be found.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The key set does not hold this key id.
    Unknown,
    /// No keys at all: the JWKS could not be fetched or read.
    Unavailable,
}

impl Jwks {
    /// Keys fetched lazily from `url` (checked by [`parse_jwks_url`]).
    pub fn from_url(url: &str, min_refresh: Duration) -> anyhow::Result<Self> {
        let url = parse_jwks_url(url)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the JWKS HTTP client")?;
        Ok(Self::new(Source::Url(url, client), min_refresh))
    }

    /// Keys read from a file now (it must hold at least one usable key) and again on refresh.
    pub fn from_file(path: PathBuf, min_refresh: Duration) -> anyhow::Result<Self> {
        let text = std::fs::read(&path)
            .with_context(|| format!("reading the JWKS file {}", path.display()))?;
        let keys =
            parse_key_set(&text).with_context(|| format!("in the JWKS file {}", path.display()))?;
        if keys.is_empty() {
            bail!(
                "the JWKS file {} holds no usable RS256/ES256 signing key",
                path.display()
            );
        }
        let jwks = Self::new(Source::File(path), min_refresh);
        jwks.store(keys);
        Ok(jwks)
    }

    fn new(source: Source, min_refresh: Duration) -> Self {
        Jwks {
            source,
            cache: RwLock::new(Arc::new(Cache::default())),
            last_attempt: Mutex::new(None),
            min_refresh,
        }
    }

    fn current(&self) -> Arc<Cache> {
        match self.cache.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, keys: HashMap<String, Arc<Key>>) {
        let fresh = Arc::new(Cache {
            keys,
            fetched: Some(Instant::now()),
        });
        match self.cache.write() {
            Ok(mut c) => *c = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// The key named `kid`, refreshing the set when it is unknown or old (rate-limited). A
    /// known key in an old set is used at once when another request is already refreshing.
    pub async fn key(&self, kid: &str) -> Result<Arc<Key>, KeyError> {
        let cache = self.current();
        let stale = cache.fetched.is_none_or(|t| t.elapsed() > MAX_AGE);
        match (cache.keys.get(kid), stale) {
            (Some(key), false) => return Ok(key.clone()),
            (Some(_), true) => {
                if let Ok(last) = self.last_attempt.try_lock() {
                    self.refresh(last, cache.fetched).await;
                }
            }
            (None, _) => {
                let last = self.last_attempt.lock().await;
                self.refresh(last, cache.fetched).await;
            }
        }
        let cache = self.current();
        match cache.keys.get(kid) {
            Some(key) => Ok(key.clone()),
            None if cache.keys.is_empty() => Err(KeyError::Unavailable),
            None => Err(KeyError::Unknown),
        }
    }

    /// Fetches the set again unless another request did since `seen`, or the last attempt was
    /// less than `min_refresh` ago. A failed fetch keeps the keys there were.
    async fn refresh(&self, mut last: MutexGuard<'_, Option<Instant>>, seen: Option<Instant>) {
        if self.current().fetched != seen {
            return; // another request refreshed while this one waited
        }
        if last.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "loaded the token signing keys (JWKS)");
                self.store(keys);
            }
            Err(e) => tracing::warn!(
                error = %format!("{e:#}"),
                "could not load the token signing keys (JWKS)"
            ),
        }
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, Arc<Key>>> {
        let bytes = match &self.source {
            Source::File(path) => std::fs::read(path)
                .with_context(|| format!("reading the JWKS file {}", path.display()))?,
            Source::Url(url, client) => fetch_url(client, url).await?,
        };
        parse_key_set(&bytes)
    }
}

async fn fetch_url(client: &reqwest::Client, url: &Url) -> anyhow::Result<Vec<u8>> {
    let mut res = client
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?;
    if !res.status().is_success() {
        bail!("fetching {url}: HTTP {}", res.status());
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .with_context(|| format!("reading {url}"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            bail!("{url} sent more than {MAX_BYTES} bytes");
        }
    }
    Ok(body)
}

/// The usable keys of a JWKS document, by key id. Keys without an id, for encryption, of another
/// type or curve, or that do not parse are skipped: one odd key must not hide the others.
pub fn parse_key_set(bytes: &[u8]) -> anyhow::Result<HashMap<String, Arc<Key>>> {
    let doc: Value = serde_json::from_slice(bytes).context("the JWKS is not JSON")?;
    let Some(Value::Array(entries)) = doc.get("keys") else {
        bail!("the JWKS has no \"keys\" array");
    };
    let mut keys = HashMap::new();
    for entry in entries {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            continue;
        }
        let family = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa,
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                AlgorithmFamily::Ec
            }
            _ => continue,
        };
        let alg = match jwk.common.key_algorithm {
            None => None,
            Some(a) => match a.to_string().parse::<Algorithm>() {
                Ok(alg) => Some(alg),
                Err(_) => continue, // pinned to an algorithm that does not sign
            },
        };
        let Ok(decoding) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.insert(
            kid,
            Arc::new(Key {
                decoding,
                family,
                alg,
            }),
        );
    }
    Ok(keys)
}

/// A JWKS URL: https, or plain http for a loopback host (tests, a local identity provider).
pub fn parse_jwks_url(url: &str) -> anyhow::Result<Url> {
    https_or_loopback("auth.jwks_url", url)
}

/// `url`, the value of `setting`, if it is https, or plain http to a loopback host (what tests
/// use); a URL of an identity provider must be one of these.
pub fn https_or_loopback(setting: &str, url: &str) -> anyhow::Result<Url> {
    let parsed = Url::parse(url).with_context(|| format!("{setting} '{url}' is not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => bail!("{setting} '{url}' must be an https URL (plain http only for a loopback host such as 127.0.0.1)"),
    }
}

#[cfg(test)]
#[path = "jwks_tests.rs"]
mod tests;
