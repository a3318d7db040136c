//! The audit trail's settings (TOML table `[audit]`, flags `--audit-*`, variables
//! `PROVISIO_AUDIT_*`).

use clap::Args;
use serde::Deserialize;

/// Longest retention, in days (100 years): beyond it a date cannot be computed safely.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// How long audit events are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Days an audit event is kept; older events are deleted in the background, every tenant's
    /// alike. 0 keeps them forever [default: 0].
    #[arg(
        long = "audit-retention-days",
        env = "PROVISIO_AUDIT_RETENTION_DAYS",
        value_name = "DAYS",
        default_value_t = 0
    )]
    pub retention_days: u32,
}

impl AuditSettings {
    /// Checks the values.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.retention_days > MAX_RETENTION_DAYS {
            anyhow::bail!(
                "audit.retention_days must be from 0 (keep forever) to {MAX_RETENTION_DAYS} (got {})",
                self.retention_days
            );
        }
        Ok(())
    }

    /// How long events are kept, when they are not kept forever.
    pub fn retention(&self) -> Option<std::time::Duration> {
        (self.retention_days > 0)
            .then(|| std::time::Duration::from_secs(u64::from(self.retention_days) * 86_400))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_forever_by_default_and_bounded() {
        let forever = AuditSettings::default();
        assert!(forever.validate().is_ok());
        assert_eq!(forever.retention(), None);
        let month = AuditSettings { retention_days: 30 };
        assert_eq!(
            month.retention(),
            Some(std::time::Duration::from_secs(30 * 86_400))
        );
        let err = AuditSettings {
            retention_days: MAX_RETENTION_DAYS + 1,
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("audit.retention_days"), "{err}");
    }
}
