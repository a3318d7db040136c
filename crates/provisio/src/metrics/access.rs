//! Who may read `/metrics`: callers on loopback, callers from the addresses and networks in
//! `metrics.allow`, and callers with the `metrics.token` bearer token (compared in constant
//! time). It needs no Graph token; anyone else gets 403.
//!
//! A request on loopback that carries a forwarding header (`Forwarded`, `X-Forwarded-For`,
//! `X-Real-IP`) came through a proxy on this host, maybe from anywhere, so loopback alone does
//! not admit it; the allow list and the token still do.

use std::fmt;
use std::net::IpAddr;

use anyhow::Context as _;
use axum::http::{header, HeaderMap};
use clap::Args;
use ipnet::IpNet;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::model::Sensitive;

/// The `/metrics` settings (TOML table `[metrics]`). A field's doc is its `--help` text.
#[derive(Clone, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Addresses or networks (CIDR) that may read /metrics besides loopback (repeat, or separate
    /// with commas), e.g. 10.0.0.5,192.168.0.0/24 [default: none].
    #[arg(
        long = "metrics-allow",
        env = "PROVISIO_METRICS_ALLOW",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub allow: Vec<String>,
    /// A bearer token that lets any address read /metrics (at least 16 characters; prefer the
    /// variable or the TOML file to the flag, which other users can see) [default: none].
    #[arg(
        long = "metrics-token",
        env = "PROVISIO_METRICS_TOKEN",
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("allow", &self.allow)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The shortest token accepted.
pub const MIN_TOKEN_CHARS: usize = 16;

impl MetricsSettings {
    /// Checks the networks and the token.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.access().map(|_| ())
    }

    /// The access rule these settings describe.
    pub fn access(&self) -> anyhow::Result<MetricsAccess> {
        let allow = self
            .allow
            .iter()
            .map(|a| parse_net("metrics.allow", a.trim()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(t) = &self.token {
            if t.trim().chars().count() < MIN_TOKEN_CHARS {
                anyhow::bail!("metrics.token must have at least {MIN_TOKEN_CHARS} characters");
            }
        }
        Ok(MetricsAccess {
            allow,
            token: self.token.as_ref().map(|t| Sensitive::new(t.trim())),
        })
    }
}

/// An address (a network of one) or a network in CIDR notation, as the setting `setting`
/// gives it. An IPv4-mapped IPv6 address or network (`::ffff:10.0.0.5`, `::ffff:10.0.0.0/104`)
/// becomes the IPv4 one, since peers are compared in their canonical form.
pub(crate) fn parse_net(setting: &str, text: &str) -> anyhow::Result<IpNet> {
    let net = match text.parse::<IpAddr>() {
        Ok(ip) => IpNet::from(ip),
        Err(_) => text.parse::<IpNet>().with_context(|| {
            format!("{setting}: '{text}' is neither an address nor a network such as 10.0.0.0/8")
        })?,
    };
    Ok(match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::V4(
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                    .context("a mapped network's prefix")?,
            ),
            None => net,
        },
        _ => net,
    })
}

/// Who may read `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct MetricsAccess {
    allow: Vec<IpNet>,
    token: Option<Sensitive>,
}

impl MetricsAccess {
    /// Whether a request from `peer` (unknown: `None`) with these headers may read the metrics.
    pub fn allows(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
        let peer = peer.map(|ip| ip.to_canonical());
        let direct_loopback = peer.is_some_and(|ip| ip.is_loopback()) && !forwarded(headers);
        direct_loopback
            || peer.is_some_and(|ip| self.allow.iter().any(|net| net.contains(&ip)))
            || self.token_matches(headers)
    }

    fn token_matches(&self, headers: &HeaderMap) -> bool {
        let Some(want) = &self.token else {
            return false;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().as_bytes());
        // `ct_eq` on slices of different lengths is false without comparing; the length of
        // the token is not the secret.
        given.is_some_and(|g| bool::from(g.ct_eq(want.expose().as_bytes())))
    }
}

/// Whether a proxy says it forwarded the request.
fn forwarded(headers: &HeaderMap) -> bool {
    ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn access(allow: &[&str], token: Option<&str>) -> MetricsAccess {
        MetricsSettings {
            allow: allow.iter().map(|a| (*a).to_owned()).collect(),
            token: token.map(str::to_owned),
        }
        .access()
        .expect("valid settings")
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        h
    }

    #[test]
    fn loopback_only_by_default() {
        let a = access(&[], None);
        let none = HeaderMap::new();
        for allowed in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(a.allows(ip(allowed), &none), "{allowed}");
        }
        for refused in ["10.0.0.5", "192.168.1.1", "::ffff:10.0.0.5", "2001:db8::1"] {
            assert!(!a.allows(ip(refused), &none), "{refused}");
        }
        assert!(!a.allows(None, &none), "an unknown peer is not loopback");
    }

    #[test]
    fn a_forwarded_request_on_loopback_is_not_loopback() {
        let a = access(&[], None);
        for name in ["forwarded", "x-forwarded-for", "x-real-ip"] {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static("203.0.113.7"));
            assert!(!a.allows(ip("127.0.0.1"), &h), "{name}");
        }
    }

    #[test]
    fn the_allow_list_takes_addresses_and_networks() {
        let a = access(&["10.0.0.5", "192.168.0.0/24", "2001:db8::/32"], None);
        let none = HeaderMap::new();
        for allowed in [
            "10.0.0.5",
            "192.168.0.77",
            "2001:db8::9",
            "::ffff:192.168.0.1",
        ] {
            assert!(a.allows(ip(allowed), &none), "{allowed}");
        }
        for refused in ["10.0.0.6", "192.168.1.1", "2001:db9::1"] {
            assert!(!a.allows(ip(refused), &none), "{refused}");
        }
        let err = MetricsSettings {
            allow: vec!["10.0.0.0/33".into()],
            token: None,
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn the_token_admits_any_address_and_only_when_exact() {
        let token = "s3cret-metrics-token-0123";
        let a = access(&[], Some(token));
        let far = ip("203.0.113.7");
        assert!(a.allows(far, &bearer(token)));
        assert!(a.allows(far, &bearer(&format!("  {token} "))));
        assert!(!a.allows(far, &HeaderMap::new()));
        assert!(!a.allows(far, &bearer("s3cret-metrics-token-0124")));
        assert!(!a.allows(far, &bearer(&token[..token.len() - 1])));
        let mut basic = HeaderMap::new();
        basic.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).expect("header"),
        );
        assert!(!a.allows(far, &basic));
        // Without a configured token, no bearer admits anyone.
        assert!(!access(&[], None).allows(far, &bearer(token)));
        let short = MetricsSettings {
            allow: vec![],
            token: Some("short".into()),
        };
        assert!(short.validate().is_err());
        assert!(!format!("{:?} {a:?}", short).contains("short\""));
        assert!(!format!("{a:?}").contains(token));
    }
}
