//! The profile operations behind the API: create, read, change and delete, the token and
//! membership-target actions, the rules that span several members, and the retry loop that makes
//! concurrent changes safe.

pub mod audit;
pub mod devices;
mod membership;
mod precondition;
mod readiness;
mod redraw;
mod tokens;
pub use tokens::TOKEN_LENGTH;
mod writes;

use std::sync::Arc;

pub use crate::model::IfMatch;
pub use membership::{MembershipRequest, MembershipResult, TargetStatus};
pub use readiness::{NotReady, Readiness, FULL_RETRY_AFTER_SECONDS};
pub use redraw::{RedrawReport, FINGERPRINT};
pub use writes::{Acting, Change, WriteHook, Writes};

use crate::error::ApiError;
use crate::model::audit::{Activity, Origin};
use crate::model::{
    rules, Entity as _, Profile, ProfileId, ProfileInput, TenantId, Timestamp, PROFILES,
};
use crate::provisioning::QrCodes;
use crate::store::{Criteria, ListQuery, Rendered, Store};

/// How often a conditional write is retried when another writer got there first.
const MAX_ATTEMPTS: usize = 32;

/// The profile operations over one store.
#[derive(Debug, Clone)]
pub struct Profiles {
    store: Arc<dyn Store>,
    writes: Writes,
    qr: QrCodes,
}

impl Profiles {
    /// Operations over `store`, drawing QR codes with `qr`.
    /// Every change is recorded in the audit trail ([`audit::AuditTrail`]).
    pub fn new(store: Arc<dyn Store>, qr: QrCodes) -> Self {
        Profiles {
            writes: Writes::new(store.clone()).with_hook(Arc::new(audit::AuditTrail)),
            store,
            qr,
        }
    }

    /// The same operations, their changes made by `origin` (the audit trail's actor).
    pub fn by(&self, origin: Arc<Origin>) -> Self {
        Profiles {
            writes: self.writes.by(origin),
            ..self.clone()
        }
    }

    /// The same operations, their changes recorded as `activity`.
    fn doing(&self, activity: Activity) -> Self {
        Profiles {
            writes: self.writes.doing(activity),
            ..self.clone()
        }
    }

    /// The same operations, with `hook` attached to every write.
    pub fn with_hook(mut self, hook: Arc<dyn WriteHook>) -> Self {
        self.writes = self.writes.with_hook(hook);
        self
    }

    /// Whether writes work now (`/readyz`).
    pub async fn ready(&self) -> Result<(), NotReady> {
        self.writes.readiness().check().await
    }

    /// The write path (its hooks and readiness), for the other entity sets' operations.
    pub fn writes(&self) -> &Writes {
        &self.writes
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Creates a profile from a create body.
    pub async fn create(&self, tenant: TenantId, input: ProfileInput) -> Result<Profile, ApiError> {
        let profile = input.into_new(tenant, ProfileId::new_random().0, Timestamp::now())?;
        self.writes.insert(&profile).await?;
        Ok(profile)
    }

    /// The profile with this id, or 404.
    pub async fn get(&self, tenant: TenantId, id: ProfileId) -> Result<Profile, ApiError> {
        self.store
            .get(tenant, id)
            .await?
            .ok_or_else(|| ApiError::profile_not_found(id))
    }

    /// Applies a PATCH body, if the profile meets `if_match`. When a token exists and the change
    /// alters what the QR code says (mode, Wi-Fi), the QR code is drawn again and stored in the
    /// same write; otherwise it stays byte for byte.
    pub async fn update(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
        input: ProfileInput,
    ) -> Result<Profile, ApiError> {
        self.modify(tenant, id, if_match, |p| {
            input.clone().apply(p)?;
            rules::whole_profile(p)?;
            self.redraw_if_changed(p)
        })
        .await
    }

    /// Deletes a profile that meets `if_match`, or 404 (412 when it does not meet it). The
    /// delete is conditional on the profile read just before (its audit event shows what was
    /// deleted), and starts again when the profile changed meanwhile: the next read then checks
    /// the condition again.
    pub async fn delete(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
    ) -> Result<(), ApiError> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.get(tenant, id).await?;
            if_match.check(current.version, PROFILES.a_noun)?;
            if self.writes.delete(&current).await? {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
        Err(busy())
    }

    /// One page of profiles.
    pub async fn list(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<Vec<Profile>, ApiError> {
        Ok(self.store.list(tenant, query).await?)
    }

    /// One page of profiles, each rendered with `members` (positions in the declaration; never
    /// the QR image).
    pub async fn list_rendered(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        members: &[usize],
    ) -> Result<Vec<Rendered>, ApiError> {
        Ok(self
            .store
            .list_rendered::<Profile>(tenant, query, members)
            .await?)
    }

    /// How many profiles match `criteria`.
    pub async fn count(&self, tenant: TenantId, criteria: &Criteria) -> Result<u64, ApiError> {
        Ok(self.store.count::<Profile>(tenant, criteria).await?)
    }

    /// Reads the profile, checks it meets `if_match` (412), lets `change` edit it, and stores
    /// the result only if nobody changed the profile meanwhile; otherwise starts again from the
    /// fresh row, whose new version then fails a condition. `change` may run more than once and
    /// must depend only on the profile it is given. Bumps `lastModifiedDateTime` and the version.
    pub async fn modify<F>(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
        change: F,
    ) -> Result<Profile, ApiError>
    where
        F: FnMut(&mut Profile) -> Result<(), ApiError> + Send,
    {
        self.modify_with(tenant, id, if_match, change, |_| Vec::new())
            .await
    }

    /// [`Profiles::modify`], with the writes `along` gives for the changed profile in the same
    /// transaction.
    pub async fn modify_with<F, A>(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
        mut change: F,
        along: A,
    ) -> Result<Profile, ApiError>
    where
        F: FnMut(&mut Profile) -> Result<(), ApiError> + Send,
        A: Fn(&Profile) -> Vec<crate::store::RowWrite> + Send,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let current = self.get(tenant, id).await?;
            if_match.check(current.version, PROFILES.a_noun)?;
            let mut next = current.clone();
            change(&mut next)?;
            next.touch(Timestamp::now());
            next.version = current.version + 1;
            if self
                .writes
                .update_with(&next, &current, along(&next))
                .await?
            {
                return Ok(next);
            }
            if attempt > 2 {
                tokio::task::yield_now().await;
            }
        }
        Err(busy())
    }
}

/// The answer when a profile kept changing under every attempt.
fn busy() -> ApiError {
    ApiError::Unavailable {
        message: "The profile is being changed by many requests at once; retry the request.".into(),
        retry_after: 1,
    }
}
