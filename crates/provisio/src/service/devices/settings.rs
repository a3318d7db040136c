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
    /// Client ids (audiences) of the user ID tokens DPCs send when a device enrolls in the AOSP
    /// user-associated mode (repeat, or separate with commas); such a token is verified like an
    /// access token and names the device's user. Without one, the tokens are not verified and
    /// no user is recorded.
    #[arg(
        long = "devices-user-id-token-audience",
        env = "PROVISIO_DEVICES_USER_ID_TOKEN_AUDIENCES",
        value_name = "AUD",
        value_delimiter = ','
    )]
    pub user_id_token_audiences: Vec<String>,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            token_usage_limit: MAX_TOKEN_USAGE_LIMIT,
            user_id_token_audiences: Vec::new(),
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
