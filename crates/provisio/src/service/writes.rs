//! The one path every write of every entity set takes: the service turns its change into row
//! writes, lets each [`WriteHook`] add the writes that must come with it (an audit event, a
//! counter), and hands them to the store as one atomic group ([`Store::write`]). A hook's
//! writes commit with the change or not at all.

use std::sync::Arc;

use crate::error::ApiError;
use crate::model::layout::to_row;
use crate::model::{Entity, TenantId};
use crate::store::{RowWrite, Store, Written};

use super::Readiness;

/// Adds the writes that must commit together with a change.
pub trait WriteHook: Send + Sync + std::fmt::Debug {
    /// The writes to add to `change` (a write of `tenant`'s rows); none by default.
    fn attach(&self, tenant: TenantId, change: &RowWrite) -> Vec<RowWrite>;
}

/// The write path: a store, the hooks every write passes, and the readiness that learns from
/// each write's outcome.
#[derive(Debug, Clone)]
pub struct Writes {
    store: Arc<dyn Store>,
    hooks: Vec<Arc<dyn WriteHook>>,
    readiness: Readiness,
}

impl Writes {
    /// Writes to `store`, without hooks.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Writes {
            readiness: Readiness::new(store.clone()),
            store,
            hooks: Vec::new(),
        }
    }

    /// The same path with `hook` added.
    pub fn with_hook(mut self, hook: Arc<dyn WriteHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Runs `change` with what the hooks attach to it, in one transaction.
    pub async fn commit(&self, tenant: TenantId, change: RowWrite) -> Result<Written, ApiError> {
        self.commit_all(tenant, vec![change]).await
    }

    /// Runs `changes` (the first is the change itself, the others what it brings along) with
    /// what the hooks attach to each, in one transaction.
    pub async fn commit_all(
        &self,
        tenant: TenantId,
        changes: Vec<RowWrite>,
    ) -> Result<Written, ApiError> {
        let mut writes = Vec::with_capacity(changes.len() * (1 + self.hooks.len()));
        for change in changes {
            let attached: Vec<RowWrite> = self
                .hooks
                .iter()
                .flat_map(|hook| hook.attach(tenant, &change))
                .collect();
            writes.push(change);
            writes.extend(attached);
        }
        let outcome = self.store.write(tenant, writes).await;
        self.readiness.saw(&outcome);
        Ok(outcome?)
    }

    /// Whether writes work now (see [`Readiness`]).
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Stores a new entity.
    pub async fn insert<E: Entity>(&self, e: &E) -> Result<(), ApiError> {
        let insert = RowWrite::Insert {
            layout: E::set().layout(),
            row: to_row(e),
        };
        self.commit(e.tenant(), insert).await?;
        Ok(())
    }

    /// Replaces the stored entity with `e` if it still has `expected_version`; false when it
    /// is gone or was changed meanwhile.
    pub async fn update<E: Entity>(&self, e: &E, expected_version: i64) -> Result<bool, ApiError> {
        let update = RowWrite::Update {
            layout: E::set().layout(),
            row: to_row(e),
            expected_version,
        };
        Ok(self.commit(e.tenant(), update).await? == Written::Done)
    }

    /// As [`Writes::update`], with `along` in the same transaction.
    pub async fn update_with<E: Entity>(
        &self,
        e: &E,
        expected_version: i64,
        along: Vec<RowWrite>,
    ) -> Result<bool, ApiError> {
        let mut changes = vec![RowWrite::Update {
            layout: E::set().layout(),
            row: to_row(e),
            expected_version,
        }];
        changes.extend(along);
        Ok(self.commit_all(e.tenant(), changes).await? == Written::Done)
    }

    /// Deletes an entity of `E`'s set (only at `expected_version`, when given); false when there
    /// was none (or it had another version).
    pub async fn delete<E: Entity>(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        expected_version: Option<i64>,
    ) -> Result<bool, ApiError> {
        let delete = RowWrite::Delete {
            layout: E::set().layout(),
            id,
            expected_version,
        };
        Ok(self.commit(tenant, delete).await? == Written::Done)
    }
}
