//! The enrollment transaction: the idempotency key, the device's current record, the profiles'
//! rows, the redemption ledger and the usage limit, then the record written or refreshed.

use async_trait::async_trait;

use super::{cell_int, cell_text};
use super::{
    devices, identity_args, record_enrollment, rewrite, uncount, CellKind, Enroll, Enrolled,
    IDEMPOTENCY_SECONDS, IDENTITY,
};
use crate::model::device::DEVICES;
use crate::model::layout::to_row;
use crate::model::Timestamp;
use crate::store::tx::{int, text, Transaction, Tx};

#[async_trait]
impl Transaction for Enroll {
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error> {
        let plan = &self.plan;
        let d = &plan.device;
        let tenant = d.tenant.to_string();
        let now = Timestamp::now();
        // A key seen before proves the caller, if it came with the same request.
        let mut key_device = None;
        if let Some(k) = &plan.idempotency {
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            let mut args = vec![text(plan.token_id.to_string())];
            args.extend(identity_args(&d.identity));
            args.extend([text(k.key.clone()), text(cutoff.to_string())]);
            let found = tx
                .fetch(
                    &format!(
                        "SELECT request_hash, device_id FROM enrollment_idempotency \
                         WHERE token_id = ? AND {IDENTITY} AND idempotency_key = ? AND created_at > ?"
                    ),
                    args,
                    &[CellKind::Text, CellKind::Text],
                )
                .await?;
            if let Some(row) = found.first() {
                if cell_text(&row[0]) != k.request_hash {
                    return self.finish(Enrolled::KeyReused, false);
                }
                key_device = Some(cell_text(&row[1]).to_owned());
            }
        }
        // The device's current record, locked first.
        let mut args = vec![text(tenant.clone())];
        args.extend(identity_args(&d.identity));
        // Written as the partial unique index says it, so that the index finds the record (a
        // bound value would make SQLite prepare the statement again at every run).
        let current_only = match tx.dialect() {
            crate::store::query::Dialect::Sqlite => "superseded = 0",
            crate::store::query::Dialect::Postgres => "NOT superseded",
        };
        let sql = format!(
            "tenant_id = ? AND {IDENTITY} AND {current_only}{}",
            tx.for_update()
        );
        let current = devices(tx, &sql, args).await?.into_iter().next();
        // Then the profiles, in id order.
        let mut profiles = vec![plan.profile_id];
        if let Some(c) = &current {
            if c.enrollment_profile_id != plan.profile_id {
                profiles.push(c.enrollment_profile_id);
            }
        }
        profiles.sort();
        let mut usage = None;
        for p in &profiles {
            let sql = format!(
                "SELECT token_id, token_usage_count FROM enrollment_profiles \
                 WHERE tenant_id = ? AND id = ?{}",
                tx.for_update()
            );
            let found = tx
                .fetch(
                    &sql,
                    vec![text(tenant.clone()), text(p.to_string())],
                    &[CellKind::Text, CellKind::Int],
                )
                .await?;
            if *p == plan.profile_id {
                match found.first() {
                    Some(row) if cell_text(&row[0]) == plan.token_id.to_string() => {
                        usage = Some(cell_int(&row[1]));
                    }
                    _ => return self.finish(Enrolled::TokenGone, false),
                }
            }
        }
        let Some(usage) = usage else {
            return self.finish(Enrolled::TokenGone, false);
        };
        let proven = current.as_ref().filter(|c| {
            key_device.as_deref() == Some(c.id.to_string().as_str())
                || plan.proofs.contains(&c.credential_hash)
        });
        let reused = proven
            .filter(|c| c.enrollment_profile_id == plan.profile_id)
            .cloned();
        let record_id = reused.as_ref().map_or(d.id, |c| c.id);
        // The ledger: the pair (token, identity) counts once.
        let mut args = vec![text(plan.token_id.to_string())];
        args.extend(identity_args(&d.identity));
        args.extend([
            text(tenant.clone()),
            text(plan.profile_id.to_string()),
            text(record_id.to_string()),
            text(now.to_string()),
        ]);
        let counted = tx
            .execute(
                "INSERT INTO token_redemptions (token_id, identity_kind, identity_a, identity_b, \
                 identity_c, tenant_id, profile_id, device_id, redeemed_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                args,
            )
            .await?;
        let usage_delta = i64::try_from(counted).unwrap_or(1);
        if usage + usage_delta > plan.usage_limit {
            return self.finish(Enrolled::LimitReached, false);
        }
        let replaces_here = current
            .as_ref()
            .is_some_and(|c| c.enrollment_profile_id == plan.profile_id);
        let devices_delta = match (reused.is_some(), replaces_here) {
            (true, _) | (false, true) => 0,
            (false, false) => 1,
        };
        if usage_delta != 0 || devices_delta != 0 {
            tx.execute(
                "UPDATE enrollment_profiles SET token_usage_count = token_usage_count + ?, \
                 enrolled_device_count = enrolled_device_count + ? WHERE tenant_id = ? AND id = ?",
                vec![
                    int(usage_delta),
                    int(devices_delta),
                    text(tenant.clone()),
                    text(plan.profile_id.to_string()),
                ],
            )
            .await?;
        }
        let outcome = match (reused, current.clone()) {
            (Some(stored), _) => {
                let mut next = stored.clone();
                next.refresh_from(d, now);
                next.version = stored.version + 1;
                rewrite(tx, &next).await?;
                tx.write_counters(DEVICES.layout(), to_row(&next)).await?;
                Enrolled::Reused(Box::new(next))
            }
            (None, previous) => {
                let superseded = match previous {
                    Some(old) => {
                        let mut next = old.clone();
                        next.superseded = true;
                        next.version = old.version + 1;
                        rewrite(tx, &next).await?;
                        if old.enrollment_profile_id != plan.profile_id {
                            uncount(tx, d.tenant, old.enrollment_profile_id).await?;
                        }
                        Some(Box::new(next))
                    }
                    None => None,
                };
                tx.insert(DEVICES.layout(), to_row(d)).await?;
                Enrolled::Created {
                    device: Box::new(d.clone()),
                    superseded,
                }
            }
        };
        if let Some(k) = &plan.idempotency {
            let mut args = vec![text(plan.token_id.to_string())];
            args.extend(identity_args(&d.identity));
            args.extend([
                text(k.key.clone()),
                text(k.request_hash.clone()),
                text(record_id.to_string()),
                text(now.to_string()),
            ]);
            tx.execute(
                "INSERT INTO enrollment_idempotency (token_id, identity_kind, identity_a, \
                 identity_b, identity_c, idempotency_key, request_hash, device_id, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (token_id, identity_kind, identity_a, identity_b, identity_c, \
                 idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, \
                 device_id = excluded.device_id, created_at = excluded.created_at",
                args,
            )
            .await?;
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            tx.execute(
                "DELETE FROM enrollment_idempotency WHERE created_at < ?",
                vec![text(cutoff.to_string())],
            )
            .await?;
        }
        record_enrollment(tx, &plan.origin, current.as_ref(), &outcome).await?;
        self.finish(outcome, true)
    }
}
