//! The enrollment transaction: the idempotency key, the device's current record, the profiles'
//! rows, the redemption ledger and the usage limit, then the record written or refreshed.
//!
//! It is two scripts ([`Tx::script`]): every read it decides on, then every write it decided.
//! On SQLite each script is one call to the connection's thread, so an enrollment costs two
//! round trips between threads instead of one per statement (which cost more than the
//! statements themselves, docs/BENCHMARKS.md). On PostgreSQL the reads take the locks in the
//! store's one order — the device's current record, then the profile rows in id order — so the
//! ledger read after them sees every redemption committed before; the writes then find what the
//! reads said, which [`Script`] checks row by row.

use async_trait::async_trait;

use super::{cell_int, cell_text};
use super::{
    enrollment_event, identity_args, other, rewrite_statement, uncount_statement, CellKind, Enroll,
    Enrolled, Script, IDEMPOTENCY_SECONDS, IDENTITY,
};
use crate::model::device::{ManagedDevice, DEVICES};
use crate::model::layout::{from_row, to_row, Row};
use crate::model::Timestamp;
use crate::store::query::Dialect;
use crate::store::tx::{int, text, Statement, Transaction, Tx};

/// What the reads of an enrollment found.
struct Found {
    /// The device the idempotency key was stored with, if the key came before with this
    /// request; `Err` if it came with another request.
    key_device: Result<Option<String>, ()>,
    /// The device's current record.
    current: Option<ManagedDevice>,
    /// The token's use count, if the token is still its profile's.
    usage: Option<i64>,
    /// Whether the token has counted this device before (the ledger holds the pair).
    redeemed: bool,
}

impl Enroll {
    /// The reads, in lock order: the idempotency key (if any), the device's current record, the
    /// profiles (the token's and the current record's) in id order, the ledger.
    fn reads(&self, dialect: Dialect, lock: &str, now: Timestamp) -> Vec<Statement> {
        let plan = &self.plan;
        let d = &plan.device;
        let tenant = d.tenant.to_string();
        let mut reads = Vec::with_capacity(4);
        if let Some(k) = &plan.idempotency {
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            let mut args = vec![text(plan.token_id.to_string())];
            args.extend(identity_args(&d.identity));
            args.extend([text(k.key.clone()), text(cutoff.to_string())]);
            reads.push(Statement::read(
                format!(
                    "SELECT request_hash, device_id FROM enrollment_idempotency \
                     WHERE token_id = ? AND {IDENTITY} AND idempotency_key = ? AND created_at > ?"
                ),
                args,
                &[CellKind::Text, CellKind::Text],
            ));
        }
        // Written as the partial unique index says it, so that the index finds the record (a
        // bound value would make SQLite prepare the statement again at every run).
        let current_only = match dialect {
            Dialect::Sqlite => "superseded = 0",
            Dialect::Postgres => "NOT superseded",
        };
        let mut args = vec![text(tenant.clone())];
        args.extend(identity_args(&d.identity));
        reads.push(Statement::rows(
            DEVICES.layout(),
            &format!("tenant_id = ? AND {IDENTITY} AND {current_only}{lock}"),
            args,
        ));
        let mut args = vec![text(tenant.clone()), text(plan.profile_id.to_string())];
        args.push(text(tenant));
        args.extend(identity_args(&d.identity));
        reads.push(Statement::read(
            format!(
                "SELECT id, token_id, token_usage_count FROM enrollment_profiles \
                 WHERE tenant_id = ? AND id IN (?, (SELECT enrollment_profile_id \
                 FROM managed_devices WHERE tenant_id = ? AND {IDENTITY} AND {current_only})) \
                 ORDER BY id{lock}"
            ),
            args,
            &[CellKind::Text, CellKind::Text, CellKind::Int],
        ));
        let mut args = vec![text(plan.token_id.to_string())];
        args.extend(identity_args(&d.identity));
        reads.push(Statement::read(
            format!("SELECT device_id FROM token_redemptions WHERE token_id = ? AND {IDENTITY}"),
            args,
            &[CellKind::Text],
        ));
        reads
    }

    /// What the reads' results say.
    fn found(&self, done: Vec<crate::store::tx::Done>) -> Result<Found, sqlx::Error> {
        let plan = &self.plan;
        let mut done = done.into_iter();
        let mut next = || done.next().map(|d| d.rows).unwrap_or_default();
        let key_device = match &plan.idempotency {
            None => Ok(None),
            Some(k) => match next().into_iter().next() {
                None => Ok(None),
                Some(row) if cell_text(&row[0]) != k.request_hash => Err(()),
                Some(row) => Ok(Some(cell_text(&row[1]).to_owned())),
            },
        };
        let current = next()
            .into_iter()
            .next()
            .map(|r| from_row::<ManagedDevice>(Row(r)).map_err(other))
            .transpose()?;
        let profile = plan.profile_id.to_string();
        let token = plan.token_id.to_string();
        let usage = next()
            .iter()
            .find(|r| cell_text(&r[0]) == profile)
            .filter(|r| cell_text(&r[1]) == token)
            .map(|r| cell_int(&r[2]));
        let redeemed = !next().is_empty();
        Ok(Found {
            key_device,
            current,
            usage,
            redeemed,
        })
    }
}

#[async_trait]
impl Transaction for Enroll {
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error> {
        let plan = &self.plan;
        let d = &plan.device;
        let tenant = d.tenant.to_string();
        let now = Timestamp::now();
        let reads = self.reads(tx.dialect(), tx.for_update(), now);
        let found = self.found(tx.script(reads).await?)?;
        // A key seen before proves the caller, if it came with the same request.
        let Ok(key_device) = found.key_device else {
            return self.finish(Enrolled::KeyReused, false);
        };
        let Some(usage) = found.usage else {
            return self.finish(Enrolled::TokenGone, false);
        };
        // The ledger: the pair (token, identity) counts once.
        let usage_delta = i64::from(!found.redeemed);
        if usage + usage_delta > plan.usage_limit {
            return self.finish(Enrolled::LimitReached, false);
        }
        let current = found.current;
        let proven = current.as_ref().filter(|c| {
            key_device.as_deref() == Some(c.id.to_string().as_str())
                || plan.proofs.contains(&c.credential_hash)
        });
        let reused = proven
            .filter(|c| c.enrollment_profile_id == plan.profile_id)
            .cloned();
        let record_id = reused.as_ref().map_or(d.id, |c| c.id);
        let mut writes = Script::default();
        let mut args = vec![text(plan.token_id.to_string())];
        args.extend(identity_args(&d.identity));
        args.extend([
            text(tenant.clone()),
            text(plan.profile_id.to_string()),
            text(record_id.to_string()),
            text(now.to_string()),
        ]);
        writes.push_changing(
            Statement::write(
                "INSERT INTO token_redemptions (token_id, identity_kind, identity_a, identity_b, \
                 identity_c, tenant_id, profile_id, device_id, redeemed_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                args,
            ),
            u64::from(!found.redeemed),
            "the redemption ledger's insert",
        );
        let replaces_here = current
            .as_ref()
            .is_some_and(|c| c.enrollment_profile_id == plan.profile_id);
        let devices_delta = match (reused.is_some(), replaces_here) {
            (true, _) | (false, true) => 0,
            (false, false) => 1,
        };
        if usage_delta != 0 || devices_delta != 0 {
            writes.push_changing(
                Statement::write(
                    "UPDATE enrollment_profiles SET token_usage_count = token_usage_count + ?, \
                     enrolled_device_count = enrolled_device_count + ? \
                     WHERE tenant_id = ? AND id = ?",
                    vec![
                        int(usage_delta),
                        int(devices_delta),
                        text(tenant.clone()),
                        text(plan.profile_id.to_string()),
                    ],
                ),
                1,
                "the profile's counts",
            );
        }
        let outcome = match (reused, current.clone()) {
            (Some(stored), _) => {
                let mut next = stored.clone();
                next.refresh_from(d, now);
                next.version = stored.version + 1;
                writes.push_changing(rewrite_statement(&next), 1, "the device's record");
                if let Some(s) = Statement::write_counters(DEVICES.layout(), to_row(&next)) {
                    writes.push(s);
                }
                Enrolled::Reused(Box::new(next))
            }
            (None, previous) => {
                let superseded = match previous {
                    Some(old) => {
                        let mut next = old.clone();
                        next.superseded = true;
                        next.version = old.version + 1;
                        writes.push_changing(rewrite_statement(&next), 1, "the superseded record");
                        if old.enrollment_profile_id != plan.profile_id {
                            writes.push(uncount_statement(d.tenant, old.enrollment_profile_id));
                        }
                        Some(Box::new(next))
                    }
                    None => None,
                };
                writes.push(Statement::insert(DEVICES.layout(), to_row(d)));
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
            writes.push(Statement::write(
                "INSERT INTO enrollment_idempotency (token_id, identity_kind, identity_a, \
                 identity_b, identity_c, idempotency_key, request_hash, device_id, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (token_id, identity_kind, identity_a, identity_b, identity_c, \
                 idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, \
                 device_id = excluded.device_id, created_at = excluded.created_at",
                args,
            ));
            let cutoff = now
                .plus_seconds(-IDEMPOTENCY_SECONDS)
                .unwrap_or(Timestamp::MIN);
            writes.push(Statement::write(
                "DELETE FROM enrollment_idempotency WHERE created_at < ?",
                vec![text(cutoff.to_string())],
            ));
        }
        if let Some(event) = enrollment_event(&plan.origin, current.as_ref(), &outcome) {
            writes.push(event);
        }
        writes.run(tx).await?;
        self.finish(outcome, true)
    }
}
