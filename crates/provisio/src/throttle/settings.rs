//! The `[throttle]` settings: how many requests each application and each tenant may send per
//! window. Off unless a preset or a number is set; each number given overrides the preset's.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde::Deserialize;

/// The largest number a limit may be set to.
pub const MAX_LIMIT: u32 = 1_000_000;
/// The longest window.
pub const MAX_WINDOW_SECONDS: u64 = 3_600;

/// A named set of limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ThrottlePreset {
    /// No limits except those set one by one.
    #[default]
    Off,
    /// Intune's published limits for its Graph API: per application and tenant 100 writes and
    /// 1,000 requests, per tenant 200 writes and 2,000 requests, every 20 seconds.
    Intune,
}

/// The throttling settings (TOML table `[throttle]`). A field's doc is its `--help` text.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleSettings {
    /// Request limits per application and tenant: off, or intune for Intune's published numbers
    /// (100 writes and 1,000 requests per application and tenant, 200 writes and 2,000 requests
    /// per tenant, every 20 seconds); the --throttle-* numbers override single limits
    /// [default: off].
    #[arg(
        long = "throttle-preset",
        env = "PROVISIO_THROTTLE_PRESET",
        value_name = "PRESET",
        default_value = "off"
    )]
    pub preset: ThrottlePreset,
    /// The window the limits count in, in seconds [default: 20].
    #[arg(
        long = "throttle-window-seconds",
        env = "PROVISIO_THROTTLE_WINDOW_SECONDS",
        value_name = "SECONDS",
        default_value_t = 20
    )]
    pub window_seconds: u64,
    /// Writes (POST, PATCH, PUT, DELETE, actions) per window of one application in one tenant;
    /// 0 for no limit [default: the preset's].
    #[arg(
        long = "throttle-app-writes",
        env = "PROVISIO_THROTTLE_APP_WRITES",
        value_name = "N"
    )]
    pub app_writes: Option<u32>,
    /// Requests of any kind per window of one application in one tenant; 0 for no limit
    /// [default: the preset's].
    #[arg(
        long = "throttle-app-requests",
        env = "PROVISIO_THROTTLE_APP_REQUESTS",
        value_name = "N"
    )]
    pub app_requests: Option<u32>,
    /// Writes per window of all applications of one tenant together; 0 for no limit
    /// [default: the preset's].
    #[arg(
        long = "throttle-tenant-writes",
        env = "PROVISIO_THROTTLE_TENANT_WRITES",
        value_name = "N"
    )]
    pub tenant_writes: Option<u32>,
    /// Requests of any kind per window of all applications of one tenant together; 0 for no
    /// limit [default: the preset's].
    #[arg(
        long = "throttle-tenant-requests",
        env = "PROVISIO_THROTTLE_TENANT_REQUESTS",
        value_name = "N"
    )]
    pub tenant_requests: Option<u32>,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

/// The limits in force, each `None` when there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The window the numbers count in.
    pub window: Duration,
    /// Writes of one application in one tenant.
    pub app_writes: Option<u32>,
    /// Requests of one application in one tenant.
    pub app_requests: Option<u32>,
    /// Writes of one tenant.
    pub tenant_writes: Option<u32>,
    /// Requests of one tenant.
    pub tenant_requests: Option<u32>,
}

impl ThrottleSettings {
    /// Intune's numbers: (app writes, app requests, tenant writes, tenant requests) per 20 s.
    pub const INTUNE: [u32; 4] = [100, 1_000, 200, 2_000];

    /// The limits these settings put in force.
    pub fn limits(&self) -> Limits {
        let preset = match self.preset {
            ThrottlePreset::Off => [None; 4],
            ThrottlePreset::Intune => Self::INTUNE.map(Some),
        };
        let pick = |given: Option<u32>, preset: Option<u32>| given.or(preset).filter(|n| *n > 0);
        Limits {
            window: Duration::from_secs(self.window_seconds),
            app_writes: pick(self.app_writes, preset[0]),
            app_requests: pick(self.app_requests, preset[1]),
            tenant_writes: pick(self.tenant_writes, preset[2]),
            tenant_requests: pick(self.tenant_requests, preset[3]),
        }
    }

    /// Checks the window and the numbers.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.window_seconds == 0 || self.window_seconds > MAX_WINDOW_SECONDS {
            bail!(
                "throttle.window_seconds must be 1 to {MAX_WINDOW_SECONDS} (got {})",
                self.window_seconds
            );
        }
        let numbers = [
            ("app_writes", self.app_writes),
            ("app_requests", self.app_requests),
            ("tenant_writes", self.tenant_writes),
            ("tenant_requests", self.tenant_requests),
        ];
        for (name, n) in numbers {
            if n.is_some_and(|n| n > MAX_LIMIT) {
                bail!("throttle.{name} must be at most {MAX_LIMIT} (0 for no limit)");
            }
        }
        Ok(())
    }
}

impl Limits {
    /// Whether any limit is in force.
    pub fn any(&self) -> bool {
        [
            self.app_writes,
            self.app_requests,
            self.tenant_writes,
            self.tenant_requests,
        ]
        .iter()
        .any(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_intune_as_a_preset_and_numbers_override_it() {
        let off = ThrottleSettings::default();
        assert!(!off.limits().any());
        assert_eq!(off.limits().window, Duration::from_secs(20));
        let intune = ThrottleSettings {
            preset: ThrottlePreset::Intune,
            ..ThrottleSettings::default()
        };
        let l = intune.limits();
        assert_eq!(
            [
                l.app_writes,
                l.app_requests,
                l.tenant_writes,
                l.tenant_requests
            ],
            [Some(100), Some(1_000), Some(200), Some(2_000)]
        );
        let changed = ThrottleSettings {
            app_writes: Some(5),
            tenant_requests: Some(0),
            ..intune
        }
        .limits();
        assert_eq!(changed.app_writes, Some(5));
        assert_eq!(changed.tenant_requests, None, "0 lifts a preset's limit");
        assert_eq!(changed.app_requests, Some(1_000));
        let one = ThrottleSettings {
            tenant_writes: Some(3),
            ..ThrottleSettings::default()
        }
        .limits();
        assert!(one.any() && one.app_writes.is_none() && one.tenant_writes == Some(3));
    }

    #[test]
    fn refuses_a_zero_or_long_window_and_huge_numbers() {
        for window_seconds in [0, MAX_WINDOW_SECONDS + 1] {
            let s = ThrottleSettings {
                window_seconds,
                ..ThrottleSettings::default()
            };
            assert!(s.validate().is_err(), "{window_seconds}");
        }
        let s = ThrottleSettings {
            app_requests: Some(MAX_LIMIT + 1),
            ..ThrottleSettings::default()
        };
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("app_requests"));
    }
}
