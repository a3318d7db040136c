//! Storage: the [`Store`] trait every backend implements for the rows of any entity set, the
//! typed reads and writes on top of it, the OData query compiler the backends share ([`query`]),
//! and the SQLite and PostgreSQL backends.
//!
//! Every method takes the tenant and every query is scoped by it. Writes of an existing
//! entity are conditional on its `version`, so concurrent writers (tasks or processes) never
//! overwrite each other's changes: the loser sees `false` and retries on fresh data.

pub mod devices;
pub mod limits;
pub mod postgres;
pub mod query;
pub mod row;
pub mod seal;
pub mod settings;
pub mod sqlite;
pub mod tx;
mod write;

use async_trait::async_trait;
use uuid::Uuid;

pub use query::{Criteria, Cursor, ListQuery};
pub use write::{RowWrite, Written};

use crate::model::layout::{from_row, to_row, Layout, Row};
use crate::model::output::{Control, EntityJson, Metadata, Selection};
use crate::model::{Entity, ProfileId, TenantId};

/// One entity of a page as [`Store::render_rows`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The entity's JSON object text.
    pub json: String,
    /// The position right after this entity in the page's order.
    pub after: Cursor,
}

impl Rendered {
    /// `rows` of the entity set of `layout` rendered with `members` (never an image) and the
    /// control information of `metadata` (`none` or `minimal`), each with the cursor after it
    /// in `order`: what [`Store::render_rows`] returns by default.
    pub fn from_rows<E: Entity>(
        rows: Vec<Row>,
        order: &[odata::OrderBy],
        (members, metadata): (&[usize], Metadata),
    ) -> anyhow::Result<Vec<Rendered>> {
        let layout = E::set().layout();
        let selection = Selection::Only(members.to_vec());
        anyhow::ensure!(
            !selection.includes_unlisted(layout),
            "members lists leave out are not rendered in a page"
        );
        anyhow::ensure!(
            metadata != Metadata::Full,
            "full metadata is written with the request's links, not rendered in a page"
        );
        rows.into_iter()
            .map(|row| {
                let after = Cursor::after_row(layout, order, &row)?;
                let entity: E = from_row(row)?;
                let view = EntityJson {
                    context: None,
                    entity: &entity,
                    selection: &selection,
                    control: Control::level(metadata),
                };
                Ok(Rendered {
                    json: serde_json::to_string(&view)?,
                    after,
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
    /// The disk (or the database's space) is full: nothing was written. Reads still work; writes
    /// work again once space is freed.
    #[error("storage full")]
    Full,
    /// A statement ran longer than the time limit (`queries.statement_timeout_ms`) and was
    /// stopped; nothing it would have written is stored.
    #[error("the statement ran longer than {} ms", .0.as_millis())]
    TimedOut(std::time::Duration),
    /// A uniqueness rule of the schema refused the write.
    #[error("{0}")]
    Conflict(String),
    /// Anything else; logged, shown to clients as an internal error.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Rows [`Store::reseal_rows`] is asked for at a time.
const RESEAL_BATCH: u32 = 500;

/// The conflict of an insert whose id is taken.
pub const DUPLICATE_ID: &str = "An entity with this id already exists.";

/// A store of every entity set's rows. Implementations keep every invariant in the database
/// itself, so several service processes may share one. Rows are described by their entity set's
/// [`Layout`]; the typed methods on `dyn Store` ([`insert`](#method.insert), [`get`](#method.get),
/// ...) map entities to rows and back.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Runs `writes` of `tenant` in one transaction: all of them, or none. An update whose row
    /// is gone or has another version than `expected_version`, or a delete whose row is gone (or
    /// has another version than the one it expects),
    /// undoes the whole group ([`Written::Stale`]); an insert whose id is taken fails it with a
    /// conflict. Every write of every entity set comes here, so that whatever a change must
    /// bring along (an audit event, a counter) commits or fails with it.
    async fn write(&self, tenant: TenantId, writes: Vec<RowWrite>) -> Result<Written, StoreError>;

    /// Runs `work` in one transaction (see [`tx`]): what it writes commits when it says so, or
    /// not at all. On PostgreSQL a serialization failure, deadlock or unique-key race runs it
    /// again from the start.
    async fn transact(&self, work: std::sync::Arc<dyn tx::Transaction>) -> Result<(), StoreError>;

    /// The rows of `layout`, in any tenant, whose key column `column` holds one of `values`
    /// (at most `limit` of them), opened: how a device's enrollment token finds its profile
    /// through the token's keyed hash. The only read that crosses tenants: the token is the
    /// credential that names its tenant.
    async fn rows_by_key(
        &self,
        layout: &'static Layout,
        column: &'static str,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<Row>, StoreError>;

    /// The row with this id in this tenant.
    async fn get_row(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<Row>, StoreError>;

    /// One page of the tenant's rows: those matching `query.criteria`, in the query's order
    /// (ties broken by id), after its cursor, at most `query.limit` of them. Filtering, ordering
    /// and paging happen in the database.
    async fn list_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<Vec<Row>, StoreError>;

    /// The page [`Store::list_rows`] returns, each entity as the JSON object of its
    /// `@odata.type`, `@odata.etag` (both left out with `none` metadata; `full` fails) and
    /// `members` (positions in the declaration, response order; never an image, which fails),
    /// with the cursor right after it. `render` writes rows out in the
    /// service; a backend whose database renders them for less (SQLite's `json_object`)
    /// overrides this. PostgreSQL's `json_build_object` looks up the type of every argument of
    /// every row and measured slower than the service.
    async fn render_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        query: &ListQuery,
        shape: (&[usize], Metadata),
        render: RenderRows,
    ) -> Result<Vec<Rendered>, StoreError> {
        let rows = self.list_rows(layout, tenant, query).await?;
        Ok(render(rows, &query.order, shape)?)
    }

    /// How many of the tenant's rows match `criteria`.
    async fn count_rows(
        &self,
        layout: &'static Layout,
        tenant: TenantId,
        criteria: &Criteria,
    ) -> Result<u64, StoreError>;

    /// The secret named `name`, created from `generate` on first use. Every process on one
    /// database gets the same value.
    async fn service_key(
        &self,
        name: &str,
        generate: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> Result<Vec<u8>, StoreError>;

    /// The value [`Store::set_service_value`] last stored under `name`, if any: small state the
    /// processes on one database share (the fingerprint of the settings the stored QR codes
    /// were drawn with, for example).
    async fn service_value(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Stores `value` under `name`, replacing any earlier value (the last writer wins).
    async fn set_service_value(&self, name: &str, value: &str) -> Result<(), StoreError>;

    /// Up to `limit` distinct tenants that hold rows of `layout`, in ascending order, starting
    /// after `after`: how a task that must visit every tenant (the store is otherwise scoped by
    /// tenant) pages through them.
    async fn tenant_ids(
        &self,
        layout: &'static Layout,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, StoreError>;

    /// Writes and commits a row of [`PROBE_BYTES`] bytes that nothing reads, as a write of an
    /// entity would: what the readiness check (`/readyz`) asks to learn whether writes work.
    async fn probe_write(&self) -> Result<(), StoreError>;

    /// The keys that seal the secret members of rows (see [`seal`]): rows are sealed before
    /// they are written and opened after they are read, so callers only see plain values.
    fn keyring(&self) -> &crate::crypto::Keyring;

    /// Seals anew up to `limit` rows of the entity set of `layout` whose secret members are
    /// plain text (a database from before sealing) or, when `all`, sealed with another key
    /// than the current one; returns how many rows it found. A row changed meanwhile is left
    /// for the next call.
    async fn reseal_rows(
        &self,
        layout: &'static Layout,
        all: bool,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// The distinct ids of the keys the rows of `layout` are sealed with (None: plain rows).
    async fn sealed_key_ids(&self, layout: &'static Layout)
        -> Result<Vec<Option<i64>>, StoreError>;

    /// Waits for in-flight statements and closes the database cleanly.
    async fn close(&self);
}

/// The size of the row [`Store::probe_write`] writes: larger than any entity's row (a profile
/// with its QR image is under 16 KiB), so that when the probe fits, a write of an entity fits too.
pub const PROBE_BYTES: usize = 64 * 1024;

/// A fresh filler for [`Store::probe_write`]: random bytes, which no database can compress.
pub fn probe_filler() -> Vec<u8> {
    use rand::RngCore as _;
    let mut filler = vec![0u8; PROBE_BYTES];
    rand::thread_rng().fill_bytes(&mut filler);
    filler
}

/// Renders rows of one entity set in the service: [`Rendered::from_rows`] of its type.
pub type RenderRows =
    fn(Vec<Row>, &[odata::OrderBy], (&[usize], Metadata)) -> anyhow::Result<Vec<Rendered>>;

/// An id that names the entity set it belongs to, so that typed reads know what to return.
pub trait EntityId: Copy + Send + Sync {
    /// The entity it identifies.
    type Entity: Entity;
    /// The GUID.
    fn uuid(self) -> Uuid;
    /// The id that is `uuid`.
    fn from_uuid(uuid: Uuid) -> Self;
}

impl EntityId for ProfileId {
    type Entity = crate::model::Profile;
    fn uuid(self) -> Uuid {
        self.0
    }
    fn from_uuid(uuid: Uuid) -> Self {
        ProfileId(uuid)
    }
}

impl dyn Store {
    /// Stores a new entity of `tenant`.
    pub async fn insert<E: Entity>(&self, tenant: TenantId, e: &E) -> Result<(), StoreError> {
        debug_assert_eq!(tenant, e.tenant());
        let insert = RowWrite::Insert {
            layout: E::set().layout(),
            row: to_row(e),
        };
        self.write(tenant, vec![insert]).await?;
        Ok(())
    }

    /// The entity with this id in this tenant.
    pub async fn get<I: EntityId>(
        &self,
        tenant: TenantId,
        id: I,
    ) -> Result<Option<I::Entity>, StoreError> {
        let layout = <I::Entity as Entity>::set().layout();
        match self.get_row(layout, tenant, id.uuid()).await? {
            Some(row) => Ok(Some(from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Replaces the stored entity with `e` if the stored version is still `expected_version`
    /// (`e`'s version is the new one); false when it is gone or was changed meanwhile.
    pub async fn update<E: Entity>(
        &self,
        tenant: TenantId,
        e: &E,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let update = RowWrite::Update {
            layout: E::set().layout(),
            row: to_row(e),
            expected_version,
        };
        Ok(self.write(tenant, vec![update]).await? == Written::Done)
    }

    /// Deletes the entity; false when there was none.
    pub async fn delete<I: EntityId>(&self, tenant: TenantId, id: I) -> Result<bool, StoreError> {
        let layout = <I::Entity as Entity>::set().layout();
        let delete = RowWrite::Delete {
            layout,
            id: id.uuid(),
            expected_version: None,
        };
        Ok(self.write(tenant, vec![delete]).await? == Written::Done)
    }

    /// `query` with equality on sealed members compared through their hash columns.
    fn lookups(&self, layout: &Layout, query: &ListQuery) -> ListQuery {
        ListQuery {
            criteria: self.lookup_criteria(layout, &query.criteria),
            ..query.clone()
        }
    }

    fn lookup_criteria(&self, layout: &Layout, criteria: &Criteria) -> Criteria {
        Criteria {
            filter: criteria
                .filter
                .as_ref()
                .map(|f| seal::hash_lookups(self.keyring(), layout, f)),
            search: criteria.search.clone(),
        }
    }

    /// One page of the tenant's entities (see [`Store::list_rows`]).
    pub async fn list<E: Entity>(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<Vec<E>, StoreError> {
        let layout = E::set().layout();
        let rows = self
            .list_rows(layout, tenant, &self.lookups(layout, query))
            .await?;
        rows.into_iter()
            .map(|row| from_row(row).map_err(StoreError::Other))
            .collect()
    }

    /// One page of the tenant's entities, rendered with minimal metadata (see
    /// [`Store::render_rows`]).
    pub async fn list_rendered<E: Entity>(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        members: &[usize],
    ) -> Result<Vec<Rendered>, StoreError> {
        self.list_rendered_as::<E>(tenant, query, (members, Metadata::Minimal))
            .await
    }

    /// One page of the tenant's entities, rendered with `members` and the control information
    /// of a metadata level (`none` or `minimal`; see [`Store::render_rows`]).
    pub async fn list_rendered_as<E: Entity>(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        shape: (&[usize], Metadata),
    ) -> Result<Vec<Rendered>, StoreError> {
        let layout = E::set().layout();
        let query = self.lookups(layout, query);
        self.render_rows(layout, tenant, &query, shape, Rendered::from_rows::<E>)
            .await
    }

    /// How many of the tenant's entities match `criteria`.
    pub async fn count<E: Entity>(
        &self,
        tenant: TenantId,
        criteria: &Criteria,
    ) -> Result<u64, StoreError> {
        let layout = E::set().layout();
        self.count_rows(layout, tenant, &self.lookup_criteria(layout, criteria))
            .await
    }

    /// The entity of `tenant` whose sealed member `member` (one with a hash column, such as a
    /// profile's token value) is exactly `value`: found through the keyed hash, then compared
    /// in full, in constant time, after opening. What the device enrollment endpoint uses to
    /// find a profile by the token a device presents.
    pub async fn find_by_secret<E: Entity>(
        &self,
        tenant: TenantId,
        member: &str,
        value: &str,
    ) -> Result<Option<E>, StoreError> {
        let layout = E::set().layout();
        let i = layout
            .member(member)
            .filter(|&i| layout.members[i].sealed && layout.members[i].key.is_some())
            .ok_or_else(|| anyhow::anyhow!("'{member}' is no sealed member with a hash"))?;
        let prop = layout
            .schema
            .property(member)
            .ok_or_else(|| anyhow::anyhow!("'{member}' is not in the schema"))?;
        let query = ListQuery {
            criteria: Criteria {
                filter: Some(odata::Filter::Compare {
                    prop,
                    op: odata::CompareOp::Eq,
                    value: odata::Value::String(value.to_owned()),
                }),
                search: None,
            },
            include_unlisted: true,
            ..ListQuery::new(2)
        };
        let set = E::set();
        for e in self.list::<E>(tenant, &query).await? {
            if let crate::model::entity::Val::Str(stored) = (set.members[i].get)(&e) {
                if crate::crypto::same(stored.as_bytes(), value.as_bytes()) {
                    return Ok(Some(e));
                }
            }
        }
        Ok(None)
    }

    /// The profile of `tenant` whose enrollment token is exactly `token` (see
    /// [`find_by_secret`](#method.find_by_secret)): for the device enrollment endpoint.
    pub async fn profile_by_token(
        &self,
        tenant: TenantId,
        token: &str,
    ) -> Result<Option<crate::model::Profile>, StoreError> {
        self.find_by_secret(tenant, crate::model::TOKEN_VALUE, token)
            .await
    }

    /// The profile, in any tenant, whose enrollment token is exactly `token`: found through
    /// the token's keyed hash (under every sealing key, while a rotation runs), then compared in
    /// full, in constant time, after opening. What a device's enrollment and check use.
    pub async fn profile_by_any_token(
        &self,
        token: &str,
    ) -> Result<Option<crate::model::Profile>, StoreError> {
        let layout = crate::model::PROFILES.layout();
        let Some(hash_column) = layout
            .member(crate::model::TOKEN_VALUE)
            .and_then(|i| layout.members[i].key)
            .map(|c| layout.columns[c].name)
        else {
            return Err(anyhow::anyhow!("the token value has no hash column").into());
        };
        let hashes = self
            .keyring()
            .lookup_hashes(&crate::model::layout::fold_case(token));
        let rows = self.rows_by_key(layout, hash_column, &hashes, 4).await?;
        for row in rows {
            let p: crate::model::Profile = from_row(row)?;
            let same = p.token.as_ref().is_some_and(|t| {
                crate::crypto::same(t.value.expose().as_bytes(), token.as_bytes())
            });
            if same {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// Runs `work` in one transaction (see [`Store::transact`]) and returns it, its outcome
    /// recorded.
    pub async fn run<W: tx::Transaction + 'static>(
        &self,
        work: W,
    ) -> Result<std::sync::Arc<W>, StoreError> {
        let work = std::sync::Arc::new(work);
        self.transact(work.clone()).await?;
        Ok(work)
    }

    /// Seals every row of `layout` that needs it (see [`Store::reseal_rows`]); returns how
    /// many were found.
    pub async fn reseal(&self, layout: &'static Layout, all: bool) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let found = self.reseal_rows(layout, all, RESEAL_BATCH).await?;
            if found == 0 {
                return Ok(total);
            }
            total += found;
        }
    }

    /// What every process does before it serves: checks that its keys are the ones the
    /// database was sealed with and that they open every stored row, and seals rows still in
    /// plain text (a database from before sealing). Logs what it converted.
    pub async fn prepare_sealing(&self, layout: &'static Layout) -> anyhow::Result<()> {
        seal::check_keys(self, self.keyring()).await?;
        let ids = self.sealed_key_ids(layout).await?;
        let known = self.keyring().ids();
        for id in ids.iter().flatten() {
            let named = u32::try_from(*id).ok();
            if !named.is_some_and(|id| known.contains(&id)) {
                anyhow::bail!(
                    "the database holds values sealed with key {id}, which the sealing keys do not \
                     have; restore the key file that holds it (without it those values are lost)"
                );
            }
        }
        if ids.contains(&None) {
            let n = self.reseal(layout, false).await?;
            tracing::info!(
                rows = n,
                table = layout.table,
                "sealed the secrets of rows stored in plain text"
            );
        }
        Ok(())
    }
}

/// Opens the configured store: PostgreSQL when `db.url` is set (migrated first when
/// `db.migrate_on_start`), otherwise SQLite in `data_dir` (always migrated: one process owns it).
/// Rows are sealed with `keys`; before it is returned the store has checked them and sealed
/// the rows still in plain text ([`prepare_sealing`](#method.prepare_sealing)).
pub async fn open(
    db: &settings::DatabaseSettings,
    data_dir: &std::path::Path,
    sqlite: sqlite::SqliteTuning,
    limits: limits::ReadLimits,
    keys: std::sync::Arc<crate::crypto::Keyring>,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    match db.postgres(limits) {
        Some(pg) => {
            let store = postgres::PostgresStore::connect(&pg, keys).await?;
            if db.migrate_on_start {
                store.migrate(true).await?;
            }
            // `serve` names the database in its line after the listening one.
            tracing::debug!(database = %settings::redact(&pg.url), "using PostgreSQL");
            let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
            store
                .prepare_sealing(crate::model::PROFILES.layout())
                .await?;
            Ok(store)
        }
        None => Ok(std::sync::Arc::new(
            sqlite::SqliteStore::open_keyed(data_dir, sqlite, limits, keys).await?,
        )),
    }
}
