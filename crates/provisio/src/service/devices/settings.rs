//! The device settings (TOML table `[devices]`, flags `--devices-*`, variables
//! `PROVISIO_DEVICES_*`).

use clap::Args;
use serde::Deserialize;

/// Most devices one enrollment token may enroll, as Graph documents (`enrollmentTokenUsageCount`
/// is 0 to 20000).
pub const MAX_TOKEN_USAGE_LIMIT: i32 = 20_000;

/// How devices enroll.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceSettings {
    /// Most distinct devices one enrollment token enrolls, 1 to 20000 [default: 20000].
    #[arg(
        long = "devices-token-usage-limit",
        env = "PROVISIO_DEVICES_TOKEN_USAGE_LIMIT",
        value_name = "N",
        default_value_t = MAX_TOKEN_USAGE_LIMIT
    )]
    pub token_usage_limit: i32,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            token_usage_limit: MAX_TOKEN_USAGE_LIMIT,
        }
    }
}

impl DeviceSettings {
    /// Checks the values.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(1..=MAX_TOKEN_USAGE_LIMIT).contains(&self.token_usage_limit) {
            anyhow::bail!(
                "devices.token_usage_limit must be from 1 to {MAX_TOKEN_USAGE_LIMIT} (got {})",
                self.token_usage_limit
            );
        }
        Ok(())
    }
}
