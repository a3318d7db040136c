//! Storage: the [`Store`] trait every backend implements, the OData query compiler the backends
//! share ([`query`]), and the SQLite backend.
//!
//! Every method takes the tenant first and every query is scoped by it. Writes of an existing
//! profile are conditional on its `version`, so concurrent writers (tasks or processes) never
//! overwrite each other's changes: the loser sees `false` and retries on fresh data.

pub mod postgres;
pub mod query;
pub mod row;
pub mod settings;
pub mod sqlite;
mod sqlite_query;
mod sqlite_writer;

use async_trait::async_trait;

pub use query::{Criteria, Cursor, ListQuery};

use crate::model::output::{EntityJson, Selection};
use crate::model::{Member, Profile, ProfileId, TenantId};

/// One profile of a page as [`Store::list_rendered`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The entity's JSON object text.
    pub json: String,
    /// The position right after this profile in the page's order.
    pub after: Cursor,
}

impl Rendered {
    /// `profiles` rendered with `members` (never the QR image), each with the cursor after it
    /// in `order`: what [`Store::list_rendered`] returns by default.
    pub fn from_profiles(
        profiles: &[Profile],
        order: &[odata::OrderBy],
        members: &[Member],
    ) -> anyhow::Result<Vec<Rendered>> {
        anyhow::ensure!(
            !members.contains(&Member::QrCodeImage),
            "the QR image is not rendered in a page"
        );
        let selection = Selection::Only(members.to_vec());
        profiles
            .iter()
            .map(|profile| {
                let entity = EntityJson {
                    context: None,
                    profile,
                    selection: &selection,
                };
                Ok(Rendered {
                    json: serde_json::to_string(&entity)?,
                    after: Cursor::after(order, profile)?,
                })
            })
            .collect()
    }
}

/// A failure of the database, as the service sees it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is overloaded or locked for longer than the configured wait; retry later.
    #[error("database busy")]
    Busy,
    /// A uniqueness rule of the schema refused the write.
    #[error("{0}")]
    Conflict(String),
    /// Anything else; logged, shown to clients as an internal error.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A profile store. Implementations keep every invariant in the database itself, so several
/// service processes may share one.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new profile (its `tenant` must be `tenant`).
    async fn insert(&self, tenant: TenantId, profile: &Profile) -> Result<(), StoreError>;

    /// The profile with this id in this tenant.
    async fn get(&self, tenant: TenantId, id: ProfileId) -> Result<Option<Profile>, StoreError>;

    /// Replaces the stored profile with `profile` if the stored version is still
    /// `expected_version`; `profile.version` is the new version. Returns false when the row is
    /// gone or was changed meanwhile.
    async fn update(
        &self,
        tenant: TenantId,
        profile: &Profile,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes the profile; false when there was none.
    async fn delete(&self, tenant: TenantId, id: ProfileId) -> Result<bool, StoreError>;

    /// One page of the tenant's profiles: those matching `query.criteria`, in the query's order
    /// (ties broken by id), after its cursor, at most `query.limit` of them. Filtering, ordering
    /// and paging happen in the database.
    async fn list(&self, tenant: TenantId, query: &ListQuery) -> Result<Vec<Profile>, StoreError>;

    /// The page [`Store::list`] returns, each profile as the JSON object of its `@odata.type` and
    /// `members` (response order; never the QR image, which fails), with the cursor right after
    /// it. By default the profiles are read and written out here; a backend whose database
    /// renders them for less (SQLite's `json_object`) overrides this. PostgreSQL's
    /// `json_build_object` looks up the type of every argument of every row and measured a third
    /// slower than the default.
    async fn list_rendered(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        members: &[Member],
    ) -> Result<Vec<Rendered>, StoreError> {
        let profiles = self.list(tenant, query).await?;
        Ok(Rendered::from_profiles(&profiles, &query.order, members)?)
    }

    /// How many of the tenant's profiles match `criteria`.
    async fn count(&self, tenant: TenantId, criteria: &Criteria) -> Result<u64, StoreError>;

    /// The secret named `name`, created from `generate` on first use. Every process on one
    /// database gets the same value.
    async fn service_key(
        &self,
        name: &str,
        generate: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError>;

    /// Waits for in-flight statements and closes the database cleanly.
    async fn close(&self);
}

/// Opens the configured store: PostgreSQL when `db.url` is set (migrated first when
/// `db.migrate_on_start`), otherwise SQLite in `data_dir` (always migrated: one process owns it).
pub async fn open(
    db: &settings::DatabaseSettings,
    data_dir: &std::path::Path,
    sqlite: sqlite::SqliteTuning,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    match db.postgres() {
        Some(pg) => {
            let store = postgres::PostgresStore::connect(&pg).await?;
            if db.migrate_on_start {
                store.migrate(true).await?;
            }
            tracing::info!(database = %settings::redact(&pg.url), "using PostgreSQL");
            Ok(std::sync::Arc::new(store))
        }
        None => Ok(std::sync::Arc::new(
            sqlite::SqliteStore::open_tuned(data_dir, sqlite).await?,
        )),
    }
}
