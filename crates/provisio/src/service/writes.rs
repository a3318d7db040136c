//! The one path every write of every entity set takes: the service turns its change into row
//! writes, lets each [`WriteHook`] add the writes that must come with it (an audit event, a
//! counter), and hands them to the store as one atomic group ([`Store::write`]). A hook's
//! writes commit with the change or not at all.
//!
//! A hook sees each write with the row it replaces or deletes (as the service read it, and
//! the write is conditional on that row's version, so it is exactly what the change replaced)
//! and who is acting ([`Acting`]: the caller and the kind of change), which is what an audit
//! event needs.

use std::sync::Arc;

use crate::error::ApiError;
use crate::model::audit::{Activity, Origin};
use crate::model::layout::{to_row, Row};
use crate::model::{Entity, TenantId};
use crate::store::{RowWrite, Store, Written};

use super::Readiness;

/// Who makes the changes of a write path, and what kind of change they are.
#[derive(Clone, Debug, Default)]
pub struct Acting {
    /// The caller and its request (the service itself when no request asked).
    pub origin: Arc<Origin>,
    /// The kind of change, when the operation says it (otherwise an insert is a create, an
    /// update a PATCH, a delete a DELETE).
    pub activity: Option<Activity>,
}

/// One write of a change, with the row it replaces or deletes.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    /// The write.
    pub write: &'a RowWrite,
    /// The stored row the write replaces or deletes, when the service read it.
    pub before: Option<&'a Row>,
}

/// Adds the writes that must commit together with a change.
pub trait WriteHook: Send + Sync + std::fmt::Debug {
    /// The writes to add to `change` (a write of `tenant`'s rows, made by `acting`).
    fn attach(&self, tenant: TenantId, acting: &Acting, change: Change<'_>) -> Vec<RowWrite>;
}

/// The write path: a store, the hooks every write passes, who is acting, and the readiness
/// that learns from each write's outcome.
#[derive(Debug, Clone)]
pub struct Writes {
    store: Arc<dyn Store>,
    hooks: Vec<Arc<dyn WriteHook>>,
    acting: Acting,
    readiness: Readiness,
}

impl Writes {
    /// Writes to `store`, without hooks.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Writes {
            readiness: Readiness::new(store.clone()),
            store,
            hooks: Vec::new(),
            acting: Acting::default(),
        }
    }

    /// The same path with `hook` added.
    pub fn with_hook(mut self, hook: Arc<dyn WriteHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// The same path, its changes made by `origin`.
    pub fn by(&self, origin: Arc<Origin>) -> Self {
        let mut w = self.clone();
        w.acting.origin = origin;
        w
    }

    /// The same path, its changes of the kind `activity`.
    pub fn doing(&self, activity: Activity) -> Self {
        let mut w = self.clone();
        w.acting.activity = Some(activity);
        w
    }

    /// Who is acting.
    pub fn acting(&self) -> &Acting {
        &self.acting
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
        self.commit_changes(tenant, changes.into_iter().map(|w| (w, None)).collect())
            .await
    }

    /// As [`Writes::commit_all`], each write with the row it replaces or deletes.
    pub async fn commit_changes(
        &self,
        tenant: TenantId,
        changes: Vec<(RowWrite, Option<Row>)>,
    ) -> Result<Written, ApiError> {
        let mut writes = Vec::with_capacity(changes.len() * (1 + self.hooks.len()));
        for (write, before) in changes {
            let change = Change {
                write: &write,
                before: before.as_ref(),
            };
            let attached: Vec<RowWrite> = self
                .hooks
                .iter()
                .flat_map(|hook| hook.attach(tenant, &self.acting, change))
                .collect();
            writes.push(write);
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

    /// Replaces the stored entity `before` with `e` if it still has `before`'s version; false
    /// when it is gone or was changed meanwhile.
    pub async fn update<E: Entity>(&self, e: &E, before: &E) -> Result<bool, ApiError> {
        self.update_with(e, before, Vec::new()).await
    }

    /// As [`Writes::update`], with `along` in the same transaction.
    pub async fn update_with<E: Entity>(
        &self,
        e: &E,
        before: &E,
        along: Vec<RowWrite>,
    ) -> Result<bool, ApiError> {
        let mut changes = vec![(
            RowWrite::Update {
                layout: E::set().layout(),
                row: to_row(e),
                expected_version: before.version(),
            },
            Some(to_row(before)),
        )];
        changes.extend(along.into_iter().map(|w| (w, None)));
        Ok(self.commit_changes(e.tenant(), changes).await? == Written::Done)
    }

    /// Deletes the stored entity `before` if it still has its version; false when it is gone
    /// or was changed meanwhile.
    pub async fn delete<E: Entity>(&self, before: &E) -> Result<bool, ApiError> {
        let delete = RowWrite::Delete {
            layout: E::set().layout(),
            id: before.id(),
            expected_version: Some(before.version()),
        };
        let changes = vec![(delete, Some(to_row(before)))];
        Ok(self.commit_changes(before.tenant(), changes).await? == Written::Done)
    }
}
