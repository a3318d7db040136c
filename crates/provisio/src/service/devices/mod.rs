//! The device side: the device protocol (`/device/v1`: check, enroll, check-in, command
//! acknowledgement, docs/DEVICES.md) and the Graph operations on managed devices (list, get,
//! PATCH, DELETE, `retire`, `wipe`). The decisions that must hold across processes — counting,
//! supersession, idempotency — are transactions of the store (`store::devices`).

pub mod input;
mod settings;

use std::sync::Arc;

use serde_json::{json, Value};
use uuid::Uuid;

pub use settings::DeviceSettings;

use self::input::{CheckinBody, EnrollBody};
use super::Writes;
use crate::error::{ApiError, DeviceError};
use crate::model::audit::Origin;
use crate::model::device::{is_placeholder, DeviceId, ManagedDevice, DEVICES};
use crate::model::device_name::{device_name, NameFacts};
use crate::model::{Body, EnrollmentMode, Entity as _, IfMatch, Profile, TenantId, Timestamp};
use crate::store::devices::{
    Command, CommandKind, DeviceOp, DeviceOutcome, DeviceWork, Enroll, EnrollPlan, Enrolled,
    IdempotencyKey,
};
use crate::store::{Criteria, EntityId, ListQuery, Rendered, Store};

/// The protocol version devices speak.
pub const PROTOCOL_VERSION: i64 = 1;

/// How often a conditional write of a device is retried when another writer got there first.
const MAX_ATTEMPTS: usize = 16;

impl EntityId for DeviceId {
    type Entity = ManagedDevice;
    fn uuid(self) -> Uuid {
        self.0
    }
    fn from_uuid(uuid: Uuid) -> Self {
        DeviceId(uuid)
    }
}

/// The device operations over one store.
#[derive(Debug, Clone)]
pub struct Devices {
    store: Arc<dyn Store>,
    writes: Writes,
    settings: Arc<DeviceSettings>,
}

impl Devices {
    /// The same operations, their changes made by `origin` (the audit trail's actor).
    pub fn by(&self, origin: Arc<Origin>) -> Self {
        Devices {
            writes: self.writes.by(origin),
            ..self.clone()
        }
    }

    fn origin(&self) -> Arc<Origin> {
        self.writes.acting().origin.clone()
    }
}

/// What `POST /device/v1/check` answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The profile the token belongs to.
    pub profile: Profile,
}

impl Checked {
    /// The response body.
    pub fn json(&self) -> Value {
        let p = &self.profile;
        json!({
            "enrollmentMode": p.enrollment_mode.name(),
            "tenantId": p.tenant.to_string(),
            "protocolVersion": PROTOCOL_VERSION,
            "tokenExpirationDateTime": p.token.as_ref().map(|t| t.expires.to_string()),
        })
    }
}

/// What `POST /device/v1/enroll` did.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollResult {
    /// True when a new record was created (201), false when one was reused (200).
    pub created: bool,
    /// The record.
    pub device: ManagedDevice,
    /// The profile whose token enrolled it.
    pub profile: Profile,
    /// The record the new one superseded, if any.
    pub superseded: Option<ManagedDevice>,
}

impl EnrollResult {
    /// The response body.
    pub fn json(&self) -> Value {
        let p = &self.profile;
        json!({
            "managedDeviceId": self.device.id.to_string(),
            "deviceName": self.device.device_name,
            "enrollmentProfileId": p.id.to_string(),
            "enrollmentMode": p.enrollment_mode.name(),
            "tenantId": p.tenant.to_string(),
            "enrollmentTimeDeviceMembershipTarget": p.membership_target.as_ref().map(|t| json!({
                "targetType": t.target_type.name(),
                "targetId": t.target_id,
            })),
        })
    }
}

/// What a check-in answers: the record and the commands waiting for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedIn {
    /// The record, as updated.
    pub device: ManagedDevice,
    /// The commands waiting.
    pub commands: Vec<Command>,
}

impl CheckedIn {
    /// The response body.
    pub fn json(&self) -> Value {
        let commands: Vec<Value> = self
            .commands
            .iter()
            .map(|c| {
                json!({
                    "id": c.id.to_string(),
                    "type": c.kind.name(),
                    "issuedDateTime": c.issued,
                })
            })
            .collect();
        json!({
            "managedDeviceId": self.device.id.to_string(),
            "deviceName": self.device.device_name,
            "commands": commands,
        })
    }
}

/// What an enrollment of `body` with `profile`'s token is to do ([`EnrollPlan`]): the record it
/// creates if it reuses none (of `user`, the verified user, if any), the proofs of a stored
/// record it carries (the body's credential hash, and the one of the `Authorization: Device`
/// secret), its idempotency key. None when the profile has no token.
pub fn enrollment_plan(
    profile: &Profile,
    body: &EnrollBody,
    user: Option<&str>,
    device_secret: Option<&str>,
    idempotency_key: Option<String>,
    usage_limit: i64,
    origin: Arc<Origin>,
) -> Option<EnrollPlan> {
    let token = profile.token.as_ref()?;
    let mut proofs = vec![body.credential_hash.clone()];
    proofs.extend(device_secret.map(input::credential_hash));
    Some(EnrollPlan {
        profile_id: profile.id.0,
        token_id: token.id,
        usage_limit,
        device: new_record(profile, body, user, Timestamp::now()),
        proofs,
        idempotency: idempotency_key.map(|key| IdempotencyKey {
            key,
            request_hash: body.request_hash.clone(),
        }),
        origin,
    })
}

/// The record an enrollment creates when it reuses none.
fn new_record(p: &Profile, body: &EnrollBody, user: Option<&str>, now: Timestamp) -> ManagedDevice {
    let f = &body.facts;
    let mut d = ManagedDevice::blank(p.tenant, Uuid::new_v4(), now);
    // The serial the device reports, also when another fact identifies it; a placeholder
    // names nothing.
    let serial = f
        .serial_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !is_placeholder(s));
    d.device_name = device_name(
        p.device_name_template.as_deref(),
        &NameFacts {
            serial,
            mode: p.enrollment_mode,
            enrolled: now,
            user_principal_name: user,
        },
        &mut rand::thread_rng(),
    );
    d.user_principal_name = user.map(str::to_owned);
    d.os_version = f.os_version.clone();
    d.security_patch_level = f.security_patch_level.clone();
    d.serial_number = f.serial_number.clone();
    d.imei = f.imei.clone();
    d.meid = f.meid.clone();
    d.manufacturer = f.manufacturer.clone();
    d.model = f.model.clone();
    d.wifi_mac_address = f.wifi_mac_address.clone();
    d.device_type = ManagedDevice::device_type_of(p.enrollment_mode);
    d.enrollment_type = ManagedDevice::enrollment_type_of(p.enrollment_mode);
    d.enrollment_profile_name = Some(p.display_name.clone());
    d.role_scope_tag_ids = p.role_scope_tag_ids.clone();
    d.enrollment_profile_id = p.id.0;
    d.identity = body.identity.clone();
    d.credential_hash = body.credential_hash.clone();
    d
}

fn device_error(e: DeviceError) -> ApiError {
    ApiError::Device(e)
}

/// The 404 for a managed device id that does not exist for the caller's tenant.
pub fn device_not_found(id: impl std::fmt::Display) -> ApiError {
    ApiError::NotFound(format!("No managedDevice with id '{id}' exists."))
}

impl Devices {
    /// Operations over `store`, writing through `writes`.
    pub fn new(store: Arc<dyn Store>, writes: Writes, settings: DeviceSettings) -> Self {
        Devices {
            store,
            writes,
            settings: Arc::new(settings),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &DeviceSettings {
        &self.settings
    }

    /// Whether an enrollment with `profile`'s token verifies the user ID token a device sends:
    /// in the AOSP user-associated mode (the one mode whose device has a user at setup), when
    /// client ids to accept are configured (`devices.user_id_token_audiences`). Otherwise the
    /// token is not read and no user is recorded.
    pub fn verifies_users_of(&self, profile: &Profile) -> bool {
        profile.enrollment_mode == EnrollmentMode::CorporateOwnedAospUserAssociatedDevice
            && !self.settings.user_id_token_audiences.is_empty()
    }

    /// The profile whose current, unexpired token is `token`: 401 for an unknown, malformed,
    /// revoked or replaced token (one answer for all), 410 for an expired one.
    pub async fn profile_for_token(&self, token: &str) -> Result<Profile, ApiError> {
        if !input::well_formed_token(token) {
            return Err(device_error(DeviceError::InvalidEnrollmentToken));
        }
        let profile = self
            .store
            .profile_by_any_token(token)
            .await?
            .ok_or(device_error(DeviceError::InvalidEnrollmentToken))?;
        let expired = profile
            .token
            .as_ref()
            .is_none_or(|t| t.expires <= Timestamp::now());
        if expired {
            return Err(device_error(DeviceError::EnrollmentTokenExpired));
        }
        Ok(profile)
    }

    /// `POST /device/v1/check`: whether the token would enroll; never counts, never writes.
    pub async fn check(&self, token: &str) -> Result<Checked, ApiError> {
        let profile = self.profile_for_token(token).await?;
        if profile.token_usage_count >= self.settings.token_usage_limit {
            return Err(device_error(DeviceError::EnrollmentTokenUsageLimitReached));
        }
        Ok(Checked { profile })
    }

    /// `POST /device/v1/enroll` for a checked body, from the profile its token names
    /// ([`Devices::profile_for_token`]), of `user` when the body's user ID token verified
    /// ([`Devices::verifies_users_of`]). `device_secret` is the secret of an
    /// `Authorization: Device` header, which proves the caller owns a stored record.
    pub async fn enroll(
        &self,
        profile: Profile,
        body: EnrollBody,
        user: Option<&str>,
        device_secret: Option<&str>,
        idempotency_key: Option<String>,
    ) -> Result<EnrollResult, ApiError> {
        let usage_limit = i64::from(self.settings.token_usage_limit);
        let plan = enrollment_plan(
            &profile,
            &body,
            user,
            device_secret,
            idempotency_key,
            usage_limit,
            self.origin(),
        )
        .ok_or(device_error(DeviceError::InvalidEnrollmentToken))?;
        let work = self.store.run(Enroll::new(plan)).await?;
        let outcome = work
            .outcome()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the enrollment left no outcome")))?;
        match outcome {
            Enrolled::Created { device, superseded } => {
                if let Some(old) = &superseded {
                    tracing::info!(
                        tenant = %old.tenant,
                        superseded = %old.id,
                        by = %device.id,
                        profile = %old.enrollment_profile_id,
                        "a device enrolled again without proof of its record; the older record is superseded"
                    );
                }
                Ok(EnrollResult {
                    created: true,
                    device: *device,
                    profile,
                    superseded: superseded.map(|d| *d),
                })
            }
            Enrolled::Reused(device) => Ok(EnrollResult {
                created: false,
                device: *device,
                profile,
                superseded: None,
            }),
            Enrolled::TokenGone => Err(device_error(DeviceError::InvalidEnrollmentToken)),
            Enrolled::LimitReached => {
                Err(device_error(DeviceError::EnrollmentTokenUsageLimitReached))
            }
            Enrolled::KeyReused => Err(device_error(DeviceError::IdempotencyKeyReused)),
        }
    }

    /// `POST /device/v1/checkin` with the device's secret.
    pub async fn checkin(&self, secret: &str, body: CheckinBody) -> Result<CheckedIn, ApiError> {
        let op = DeviceOp::CheckIn {
            credential_hash: input::credential_hash(secret),
            os_version: body.os_version,
            security_patch_level: body.security_patch_level,
        };
        match self.device_op(op).await? {
            DeviceOutcome::CheckedIn(device, commands) => Ok(CheckedIn { device, commands }),
            DeviceOutcome::Removed => Err(device_error(DeviceError::DeviceRemoved)),
            _ => Err(device_error(DeviceError::InvalidDeviceCredential)),
        }
    }

    /// `POST /device/v1/commands/{id}/ack` with the device's secret.
    pub async fn acknowledge(&self, secret: &str, command: Uuid) -> Result<(), ApiError> {
        let credential_hash = input::credential_hash(secret);
        let op = DeviceOp::Ack {
            credential_hash,
            command,
        };
        match self.device_op(op).await? {
            DeviceOutcome::Done(_) => Ok(()),
            DeviceOutcome::Removed => Err(device_error(DeviceError::DeviceRemoved)),
            DeviceOutcome::UnknownCredential => {
                Err(device_error(DeviceError::InvalidDeviceCredential))
            }
            DeviceOutcome::NotFound => Err(ApiError::NotFound(format!(
                "No command with id '{command}' is waiting for this device."
            ))),
            DeviceOutcome::CheckedIn(..) | DeviceOutcome::Stale(_) => Err(ApiError::Internal(
                anyhow::anyhow!("an acknowledgement answered as another operation"),
            )),
        }
    }

    async fn device_op(&self, op: DeviceOp) -> Result<DeviceOutcome, ApiError> {
        let work = self.store.run(DeviceWork::new(op, self.origin())).await?;
        work.outcome().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("a device operation left no outcome"))
        })
    }

    /// The record with this id, or 404.
    pub async fn get(&self, tenant: TenantId, id: DeviceId) -> Result<ManagedDevice, ApiError> {
        self.store
            .get(tenant, id)
            .await?
            .ok_or_else(|| device_not_found(id))
    }

    /// One page of records.
    pub async fn list(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<Vec<ManagedDevice>, ApiError> {
        Ok(self.store.list(tenant, query).await?)
    }

    /// One page of records, rendered with `members`.
    pub async fn list_rendered(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        members: &[usize],
    ) -> Result<Vec<Rendered>, ApiError> {
        Ok(self
            .store
            .list_rendered::<ManagedDevice>(tenant, query, members)
            .await?)
    }

    /// How many records match `criteria`.
    pub async fn count(&self, tenant: TenantId, criteria: &Criteria) -> Result<u64, ApiError> {
        Ok(self.store.count::<ManagedDevice>(tenant, criteria).await?)
    }

    /// PATCH: `notes` and `managedDeviceName` (the other members are read-only), if the record
    /// meets `if_match` (checked on each read; the write is conditional on the version read). A
    /// body that changes nothing writes nothing.
    pub async fn update(
        &self,
        tenant: TenantId,
        id: DeviceId,
        if_match: &IfMatch,
        body: &Value,
    ) -> Result<ManagedDevice, ApiError> {
        let input = Body::<ManagedDevice>::from_json(body)?;
        for _ in 0..MAX_ATTEMPTS {
            let current = self.get(tenant, id).await?;
            if_match.check(current.version, DEVICES.a_noun)?;
            let mut next = current.clone();
            input.clone().apply(&mut next)?;
            if next == current {
                // Nothing to store (only read-only members, or the values it has): no edit, so
                // the ETag stays.
                return Ok(current);
            }
            next.version = current.version + 1;
            if self.writes.update(&next, &current).await? {
                return Ok(next);
            }
            tokio::task::yield_now().await;
        }
        Err(ApiError::Unavailable {
            message:
                "The managed device is being changed by many requests at once; retry the request."
                    .into(),
            retry_after: 1,
        })
    }

    /// DELETE: the record goes (and its count on its profile), if it meets `if_match`; its
    /// credential is then told it was removed.
    pub async fn delete(
        &self,
        tenant: TenantId,
        id: DeviceId,
        if_match: IfMatch,
    ) -> Result<(), ApiError> {
        let op = DeviceOp::Remove {
            tenant,
            id: id.0,
            if_match: if_match.clone(),
        };
        Self::done(self.device_op(op).await?, id, &if_match).map(|_| ())
    }

    /// `retire` or `wipe`, if the record meets `if_match`: queued for the device's next
    /// check-in.
    pub async fn queue(
        &self,
        tenant: TenantId,
        id: DeviceId,
        kind: CommandKind,
        if_match: IfMatch,
    ) -> Result<ManagedDevice, ApiError> {
        let op = DeviceOp::Queue {
            tenant,
            id: id.0,
            kind,
            if_match: if_match.clone(),
        };
        Self::done(self.device_op(op).await?, id, &if_match)
    }

    /// The record an admin's operation acted on, or its refusal: 412 for a record that does
    /// not meet `if_match`, 404 for none.
    fn done(
        outcome: DeviceOutcome,
        id: DeviceId,
        if_match: &IfMatch,
    ) -> Result<ManagedDevice, ApiError> {
        match outcome {
            DeviceOutcome::Done(d) => Ok(d),
            DeviceOutcome::Stale(version) => Err(if_match
                .check(version, DEVICES.a_noun)
                .err()
                .map_or_else(|| device_not_found(id), ApiError::from)),
            _ => Err(device_not_found(id)),
        }
    }
}
