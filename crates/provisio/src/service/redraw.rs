//! Keeping stored QR codes in step with the DPC settings.
//!
//! What a QR code says depends on its profile, its token and the server's DPC settings (the
//! `[aosp_dpc]` table, `all_modes` included). A change of the profile redraws the code in the
//! same write ([`Profiles::update`]); a change of the settings is found at start-up. The
//! database keeps the fingerprint of the settings the stored codes were last brought in line
//! with ([`QrCodes::fingerprint`](crate::provisioning::QrCodes::fingerprint), under
//! [`FINGERPRINT`]). When this process's differs (or none is stored yet), it visits every
//! tenant's profiles whose token has not expired, page by page, and redraws each whose text
//! differs from what the settings now give, through [`Profiles::modify`] (a conditional write
//! that starts again on a row changed meanwhile, so edits and other processes are safe). Then
//! it stores its fingerprint, so the next start with the same settings reads one value and
//! scans nothing.
//!
//! Several processes on one database are meant to share one configuration. If they do not, the
//! last one to start redraws the stored codes with its settings, and each process keeps
//! drawing new codes (`createToken`, a PATCH) with its own: the codes are then mixed, so change
//! the settings of every process together.

use crate::error::ApiError;
use crate::model::{Profile, TenantId, Timestamp, PROFILES};
use crate::store::{Criteria, Cursor, ListQuery};

use super::Profiles;

/// The service value that holds the fingerprint of the settings the stored codes follow.
pub const FINGERPRINT: &str = "qr_settings_fingerprint";

/// Tenants, and profiles of a tenant, read at a time: the memory the pass needs is one page of
/// profiles without their images (and their new codes), and a page's redraws run at once.
const PAGE: u32 = 100;

/// What a pass over the stored codes did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedrawReport {
    /// Whether the stored fingerprint matched, so nothing was scanned.
    pub unchanged: bool,
    /// Tenants visited.
    pub tenants: u64,
    /// Profiles with a live token that were compared.
    pub checked: u64,
    /// Profiles whose code was drawn again.
    pub redrawn: u64,
    /// Profiles whose code these settings cannot draw (an AOSP profile without a configured
    /// DPC, a payload too large for a QR code); they keep their code, and are logged.
    pub failed: u64,
}

impl Profiles {
    /// At start-up: redraws the stored codes of live tokens when the settings changed since the
    /// last pass (see the module docs), and logs what it did.
    pub async fn redraw_for_settings(&self) -> anyhow::Result<RedrawReport> {
        let fingerprint = self.qr.fingerprint();
        let stored = self.store.service_value(FINGERPRINT).await?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            tracing::debug!("QR code settings unchanged; no codes to redraw");
            return Ok(RedrawReport {
                unchanged: true,
                ..RedrawReport::default()
            });
        }
        let started = std::time::Instant::now();
        let report = self.redraw_all().await?;
        self.store
            .set_service_value(FINGERPRINT, &fingerprint)
            .await?;
        let ms = started.elapsed().as_millis() as u64;
        if stored.is_none() && report.checked == 0 {
            // A new database: nothing was drawn with other settings, so nothing changed.
            tracing::debug!("QR code settings recorded");
        } else {
            tracing::info!(
                tenants = report.tenants,
                checked = report.checked,
                redrawn = report.redrawn,
                failed = report.failed,
                ms,
                "QR code settings changed: brought the codes of live tokens in line"
            );
        }
        Ok(report)
    }

    /// Visits every tenant's profiles with a live token and redraws each code whose text
    /// differs from what the current settings give.
    pub async fn redraw_all(&self) -> anyhow::Result<RedrawReport> {
        let mut report = RedrawReport::default();
        let now = odata::DateTimeUtc::parse(&Timestamp::now().to_string())
            .map_err(|e| anyhow::anyhow!("the current time as a literal: {e}"))?;
        let mut after = None;
        loop {
            let tenants = self
                .store
                .tenant_ids(PROFILES.layout(), after, PAGE)
                .await?;
            for &tenant in &tenants {
                report.tenants += 1;
                self.redraw_tenant(tenant, &now, &mut report).await?;
            }
            match tenants.last() {
                Some(&last) if tenants.len() == PAGE as usize => after = Some(last),
                _ => return Ok(report),
            }
        }
    }

    async fn redraw_tenant(
        &self,
        tenant: TenantId,
        now: &odata::DateTimeUtc,
        report: &mut RedrawReport,
    ) -> anyhow::Result<()> {
        let prop = PROFILES
            .layout()
            .schema
            .property("tokenExpirationDateTime")
            .ok_or_else(|| anyhow::anyhow!("tokenExpirationDateTime is not in the schema"))?;
        let mut query = ListQuery {
            criteria: Criteria {
                filter: Some(odata::Filter::Compare {
                    prop,
                    op: odata::CompareOp::Gt,
                    value: odata::Value::DateTime(*now),
                }),
                search: None,
            },
            ..ListQuery::new(PAGE)
        };
        loop {
            let page = self.store.list::<Profile>(tenant, &query).await?;
            // A page's redraws run side by side, so that SQLite's group writer commits them
            // together (one flush for many) and PostgreSQL overlaps their round trips.
            let mut redraws = tokio::task::JoinSet::new();
            for p in &page {
                let (this, p) = (self.clone(), p.clone());
                redraws.spawn(async move { this.redraw_one(&p).await });
            }
            while let Some(outcome) = redraws.join_next().await {
                report.checked += 1;
                match outcome?? {
                    Outcome::Current => {}
                    Outcome::Redrawn => report.redrawn += 1,
                    Outcome::Failed => report.failed += 1,
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE as usize => {
                    query.after = Some(Cursor::after(&query.order, last)?);
                }
                _ => return Ok(()),
            }
        }
    }

    /// Redraws `p`'s code when its text is not what the settings give. A code the settings
    /// cannot draw is logged (ids and the reason, never the token) and left as it is.
    async fn redraw_one(&self, p: &Profile) -> anyhow::Result<Outcome> {
        let Some(token) = &p.token else {
            return Ok(Outcome::Current);
        };
        let refused = |e: &ApiError| {
            tracing::warn!(
                tenant = %p.tenant, profile = %p.id, reason = %e,
                "cannot redraw this QR code with the current settings; it keeps its old one"
            );
            Ok(Outcome::Failed)
        };
        match self.qr.content(p, token.value.expose()) {
            Ok(content) if content == token.qr_content.expose() => return Ok(Outcome::Current),
            Ok(_) => {}
            Err(e) => return refused(&e),
        }
        match self
            .modify(p.tenant, p.id, &super::IfMatch::ANY, |q| {
                self.redraw_if_changed(q)
            })
            .await
        {
            Ok(_) => Ok(Outcome::Redrawn),
            // Deleted meanwhile: nothing to redraw.
            Err(ApiError::NotFound(_)) => Ok(Outcome::Current),
            Err(e @ (ApiError::BadRequest(_) | ApiError::Conflict(_))) => refused(&e),
            Err(e) => Err(anyhow::anyhow!(
                "redrawing the QR code of profile {}: {e}",
                p.id
            )),
        }
    }
}

/// What became of one profile's code.
enum Outcome {
    /// It already says what the settings give (or the profile is gone).
    Current,
    /// It was drawn again.
    Redrawn,
    /// The settings cannot draw it; it was left as it is.
    Failed,
}
