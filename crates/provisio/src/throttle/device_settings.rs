//! The `[device_throttle]` settings: how many failed requests one client address may send to
//! the device endpoints, which proxies may name the client, and the cap on enrollments per
//! enrollment token. docs/DEPLOYMENT.md ("Device endpoints: address throttling") explains them.

use std::num::NonZeroU32;

use anyhow::bail;
use clap::Args;
use ipnet::IpNet;
use serde::Deserialize;

use super::settings::MAX_LIMIT;

/// The most client addresses (and enrollment tokens) whose counts may be kept.
pub const MAX_TRACKED: u32 = 10_000_000;

/// The header in which trusted proxies name the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// The device endpoints' limits (TOML table `[device_throttle]`). A field's doc is its `--help`
/// text.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceThrottleSettings {
    /// Failed device requests (a token that is not valid, a malformed body) per minute from
    /// one client address, an IPv6 /64 counting as one address; a request with a valid token
    /// never counts and is never refused for its address; 0 for no limit [default: 60].
    #[arg(
        long = "device-throttle-failures-per-minute",
        env = "PROVISIO_DEVICE_THROTTLE_FAILURES_PER_MINUTE",
        value_name = "N",
        default_value_t = 60
    )]
    pub failures_per_minute: u32,
    /// Failed device requests one client address may send at once before the per-minute rate
    /// applies [default: 20].
    #[arg(
        long = "device-throttle-failure-burst",
        env = "PROVISIO_DEVICE_THROTTLE_FAILURE_BURST",
        value_name = "N",
        default_value_t = 20
    )]
    pub failure_burst: u32,
    /// Client addresses, and enrollment tokens, whose counts are kept in memory; failures from
    /// addresses beyond it share one count [default: 100000].
    #[arg(
        long = "device-throttle-max-addresses",
        env = "PROVISIO_DEVICE_THROTTLE_MAX_ADDRESSES",
        value_name = "N",
        default_value_t = 100_000
    )]
    pub max_addresses: u32,
    /// Addresses or networks (CIDR) of reverse proxies trusted to name the client of the device
    /// endpoints in a forwarding header (repeat, or separate with commas), e.g.
    /// 10.0.0.5,192.168.0.0/24 [default: none, the peer is the client].
    #[arg(
        long = "device-throttle-trusted-proxies",
        env = "PROVISIO_DEVICE_THROTTLE_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies write the client's address into: x-forwarded-for, or
    /// forwarded (RFC 7239) [default: x-forwarded-for].
    #[arg(
        long = "device-throttle-forwarded-header",
        env = "PROVISIO_DEVICE_THROTTLE_FORWARDED_HEADER",
        value_name = "HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: ForwardedHeader,
    /// Enrollments per minute on one enrollment token (as many at once, then that many per
    /// minute), against a leaked code; 0 for no limit [default: 0].
    #[arg(
        long = "device-throttle-token-enrollments-per-minute",
        env = "PROVISIO_DEVICE_THROTTLE_TOKEN_ENROLLMENTS_PER_MINUTE",
        value_name = "N",
        default_value_t = 0
    )]
    pub token_enrollments_per_minute: u32,
}

impl Default for DeviceThrottleSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

impl DeviceThrottleSettings {
    /// Checks the numbers and the proxies.
    pub fn validate(&self) -> anyhow::Result<()> {
        let numbers = [
            ("failures_per_minute", self.failures_per_minute),
            (
                "token_enrollments_per_minute",
                self.token_enrollments_per_minute,
            ),
        ];
        for (name, n) in numbers {
            if n > MAX_LIMIT {
                bail!("device_throttle.{name} must be at most {MAX_LIMIT} (0 for no limit)");
            }
        }
        if self.failure_burst == 0 || self.failure_burst > MAX_LIMIT {
            bail!(
                "device_throttle.failure_burst must be 1 to {MAX_LIMIT} (got {})",
                self.failure_burst
            );
        }
        if self.max_addresses == 0 || self.max_addresses > MAX_TRACKED {
            bail!(
                "device_throttle.max_addresses must be 1 to {MAX_TRACKED} (got {})",
                self.max_addresses
            );
        }
        self.trusted().map(|_| ())
    }

    /// The trusted proxies' networks.
    pub fn trusted(&self) -> anyhow::Result<Vec<IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| crate::metrics::access::parse_net("device_throttle.trusted_proxies", p.trim()))
            .collect()
    }

    /// The failure limit per minute and its burst, `None` when off.
    pub(crate) fn failure_limit(&self) -> Option<(NonZeroU32, NonZeroU32)> {
        let rate = NonZeroU32::new(self.failures_per_minute)?;
        Some((
            rate,
            NonZeroU32::new(self.failure_burst).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// The per-token cap per minute, `None` when off.
    pub(crate) fn token_limit(&self) -> Option<NonZeroU32> {
        NonZeroU32::new(self.token_enrollments_per_minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_limit_failures_and_leave_tokens_alone() {
        let s = DeviceThrottleSettings::default();
        assert_eq!(
            s.failure_limit().map(|(r, b)| (r.get(), b.get())),
            Some((60, 20))
        );
        assert_eq!(s.max_addresses, 100_000);
        assert!(s.trusted().unwrap().is_empty());
        assert_eq!(s.forwarded_header, ForwardedHeader::XForwardedFor);
        assert_eq!(s.token_limit(), None);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn refuses_bad_numbers_and_proxies() {
        let bad = [
            DeviceThrottleSettings {
                failure_burst: 0,
                ..Default::default()
            },
            DeviceThrottleSettings {
                failures_per_minute: MAX_LIMIT + 1,
                ..Default::default()
            },
            DeviceThrottleSettings {
                max_addresses: 0,
                ..Default::default()
            },
            DeviceThrottleSettings {
                max_addresses: MAX_TRACKED + 1,
                ..Default::default()
            },
            DeviceThrottleSettings {
                token_enrollments_per_minute: MAX_LIMIT + 1,
                ..Default::default()
            },
            DeviceThrottleSettings {
                trusted_proxies: vec!["10.0.0.0/8".into(), "proxy.local".into()],
                ..Default::default()
            },
        ];
        for s in bad {
            let err = s.validate().expect_err("refused").to_string();
            assert!(err.starts_with("device_throttle."), "{err}");
        }
    }

    #[test]
    fn proxies_are_addresses_or_networks_and_mapped_ones_are_ipv4() {
        let s = DeviceThrottleSettings {
            trusted_proxies: vec![
                " 10.0.0.5".into(),
                "192.168.0.0/24".into(),
                "2001:db8::/48".into(),
                "::ffff:172.16.0.0/108".into(),
            ],
            ..Default::default()
        };
        let nets: Vec<String> = s
            .trusted()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            nets,
            [
                "10.0.0.5/32",
                "192.168.0.0/24",
                "2001:db8::/48",
                "172.16.0.0/12"
            ]
        );
    }
}
