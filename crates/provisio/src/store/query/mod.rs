//! The OData query compiler: a parsed `$filter`/`$search`/`$orderby` plus a keyset position
//! become one parameterised `SELECT` (built with sea-query, every user value bound, never
//! spliced) over the table of any entity set, for the SQLite or the PostgreSQL dialect. Backends
//! call [`select`] and [`count`] with the set's [`Layout`] and their [`Dialect`] and [`bind`] the
//! values; the [`ListQuery`] they receive knows no SQL. SQLite also calls [`select_rendered`],
//! whose rows are the entities' JSON (see `render`).
//!
//! Comparison rules (docs/API.md, Queries), identical on both databases:
//! - strings compare and sort by their lower-cased value: key columns hold it (computed in Rust
//!   with [`fold_case`](crate::model::layout::fold_case), as literals are); ids are stored in
//!   lower case; text members without a key column use SQL `lower()`, which is exact for ASCII
//!   on every backend;
//! - sealed members (`crate::store::seal`) compare only for equality, through the keyed hash
//!   in their key column, which the store puts in the filter in place of the literal;
//! - text order is code-point order (SQLite's `BINARY`; PostgreSQL columns use `COLLATE "C"`);
//! - enums by number, date-times as fixed-width UTC text, NULL first ascending.

mod columns;
mod filter;
mod order;
mod render;
#[cfg(test)]
mod tests;

use odata::{Filter, OrderBy};
use sea_query::{
    Alias, Expr, Func, PostgresQueryBuilder, Query, SelectStatement, SqliteQueryBuilder,
    Value as SqlValue, Values,
};

pub use order::{Cursor, KeyValue};

use crate::crypto::Keyring;
use crate::model::layout::{Layout, Source, ID};
use crate::model::TenantId;
use crate::store::{seal, Rendered};
use columns::Ident;

/// The SQL dialect to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35 or newer.
    Sqlite,
    /// PostgreSQL 13 or newer.
    Postgres,
}

/// Which rows a list or a count covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criteria {
    /// `$filter`, checked against the entity's schema.
    pub filter: Option<Filter>,
    /// `$search` text: matches the display name or the description, case-insensitively.
    pub search: Option<String>,
}

/// What a page of a list asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// The rows that match.
    pub criteria: Criteria,
    /// `$orderby`; `id` is always added as the last key.
    pub order: Vec<OrderBy>,
    /// Start right after this position (keyset paging); it must [fit](Cursor::fits) `order`.
    pub after: Option<Cursor>,
    /// Rows to skip before the page starts (`$skip`; `OFFSET`).
    pub skip: u64,
    /// At most this many rows.
    pub limit: u32,
    /// Whether to load the members lists leave out (large ones, such as the QR image) too;
    /// otherwise they read as absent.
    pub include_unlisted: bool,
}

impl ListQuery {
    /// The first `limit` rows of everything, in id order, without images.
    pub fn new(limit: u32) -> Self {
        ListQuery {
            criteria: Criteria::default(),
            order: Vec::new(),
            after: None,
            skip: 0,
            limit,
            include_unlisted: false,
        }
    }
}

/// Binds the values of a compiled statement to an sqlx query, in order, on any backend: integers
/// as `i64`, Booleans as `bool`, text as `Option<String>` (only the kinds the compiler writes).
pub fn bind<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    values: Values,
) -> anyhow::Result<sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>>
where
    DB: sqlx::Database,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for v in values.0 {
        q = match v {
            SqlValue::Bool(Some(b)) => q.bind(b),
            SqlValue::Int(Some(n)) => q.bind(i64::from(n)),
            SqlValue::BigInt(Some(n)) => q.bind(n),
            SqlValue::BigUnsigned(Some(n)) => q.bind(i64::try_from(n)?),
            SqlValue::String(s) => q.bind(s.map(|s| *s)),
            other => anyhow::bail!("the query compiler wrote an unexpected value {other:?}"),
        };
    }
    Ok(q)
}

/// A statement and the values for its placeholders, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// The SQL text (`?` placeholders for SQLite, `$1`... for PostgreSQL).
    pub sql: String,
    /// The bound values.
    pub values: Values,
}

fn build(statement: &SelectStatement, d: Dialect) -> Compiled {
    let (sql, values) = match d {
        Dialect::Sqlite => statement.build(SqliteQueryBuilder),
        Dialect::Postgres => statement.build(PostgresQueryBuilder),
    };
    Compiled { sql, values }
}

/// `FROM <table> WHERE tenant_id = ? AND <filter> AND <search>`.
fn matching(
    statement: &mut SelectStatement,
    layout: &Layout,
    tenant: TenantId,
    criteria: &Criteria,
    d: Dialect,
) -> anyhow::Result<()> {
    let table = Ident(layout.table);
    statement
        .from(table)
        .and_where(Expr::col((table, Ident("tenant_id"))).eq(tenant.to_string()));
    if let Some(f) = &criteria.filter {
        statement.and_where(filter::condition(layout, f, false, d)?);
    }
    if let Some(text) = &criteria.search {
        statement.and_where(filter::search(layout, text)?);
    }
    Ok(())
}

/// The `SELECT` of one page: the row columns (the members lists leave out only when asked for),
/// the tenant's matching rows after the cursor, in the total order, `LIMIT`ed (and `OFFSET` by
/// `skip`).
pub fn select(
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
    d: Dialect,
) -> anyhow::Result<Compiled> {
    let mut s = Query::select();
    let table = Ident(layout.table);
    for c in &layout.columns {
        let unlisted = matches!(c.source, Source::Member(i) if !layout.members[i].listed);
        if unlisted && !q.include_unlisted {
            s.expr_as(Expr::cust("NULL"), Alias::new(c.name));
        } else {
            s.column((table, Ident(c.name)));
        }
    }
    page(s, layout, tenant, q, d)
}

/// The SQLite `SELECT` of one page like [`select`], each row rendered by SQLite: the entity's
/// JSON object with `members` (positions in the declaration; see the `render` module) in runs
/// between its sealed members (columns `p0`...), then the sealed members' stored values, the
/// row's `id` and `sealed_with` (when a sealed member is selected), then the page's sort keys
/// (`id` last), the values a [`Cursor`] after the row holds.
pub fn select_rendered(
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
    members: &[usize],
    metadata: crate::model::output::Metadata,
) -> anyhow::Result<Compiled> {
    let d = Dialect::Sqlite;
    let mut s = Query::select();
    let parts = render::Parts::of(layout, members);
    for (i, object) in parts.objects(layout, metadata)?.into_iter().enumerate() {
        s.expr_as(Expr::cust(object), Alias::new(format!("p{i}")));
    }
    let table = Ident(layout.table);
    if let (false, Some(with)) = (parts.sealed.is_empty(), layout.sealed_with) {
        for &i in &parts.sealed {
            s.column((table, Ident(layout.columns[layout.members[i].column].name)));
        }
        s.column((table, Ident(layout.columns[ID].name)));
        s.column((table, Ident(layout.columns[with].name)));
    }
    for (i, key) in order::sort_keys(layout, &q.order)?.iter().enumerate() {
        s.expr_as(key.column.expr(), Alias::new(format!("k{i}")));
    }
    page(s, layout, tenant, q, d)
}

/// The rows of [`select_rendered`] for `members` and `order`: each entity's JSON text, its
/// sealed members opened with `keys` and put in place, and the cursor after it.
pub fn read_rendered<'r, R>(
    layout: &Layout,
    (tenant, keys): (TenantId, &Keyring),
    (order, members): (&[OrderBy], &[usize]),
    rows: &'r [R],
) -> anyhow::Result<Vec<Rendered>>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let sort = order::sort_keys(layout, order)?;
    let parts = render::Parts::of(layout, members);
    let runs = parts.runs.len();
    let n = parts.sealed.len();
    // The cursor's values follow the runs and, with sealed members, their values, id and key.
    let keys_at = runs + if n == 0 { 0 } else { n + 2 };
    let tenant = tenant.to_string();
    rows.iter()
        .map(|row| {
            let json = if n == 0 {
                row.try_get(0)?
            } else {
                let texts = (0..runs)
                    .map(|i| row.try_get::<String, _>(i))
                    .collect::<Result<Vec<_>, _>>()?;
                let id: String = row.try_get(runs + n)?;
                let sealed = row.try_get::<Option<i64>, _>(runs + n + 1)?.is_some();
                let mut values = Vec::with_capacity(n);
                for (j, &m) in parts.sealed.iter().enumerate() {
                    let member = &layout.members[m];
                    let value = match row.try_get::<Option<Vec<u8>>, _>(runs + j)? {
                        Some(stored) => Some(crate::crypto::text(seal::open_cell(
                            keys,
                            layout,
                            member.column,
                            (&tenant, &id),
                            sealed,
                            stored,
                        )?)?),
                        None => None,
                    };
                    values.push((member.name, value));
                }
                render::splice(&texts, &values)?
            };
            Ok(Rendered {
                json,
                after: Cursor::read(&sort, row, keys_at)?,
            })
        })
        .collect()
}

/// The rest of a page's `SELECT` after its columns: the matching rows after the cursor, ordered,
/// limited and offset.
fn page(
    mut s: SelectStatement,
    layout: &Layout,
    tenant: TenantId,
    q: &ListQuery,
    d: Dialect,
) -> anyhow::Result<Compiled> {
    matching(&mut s, layout, tenant, &q.criteria, d)?;
    let keys = order::sort_keys(layout, &q.order)?;
    if let Some(cursor) = &q.after {
        anyhow::ensure!(
            cursor.fits(layout, &q.order),
            "the cursor does not fit the order"
        );
        s.and_where(order::after(&keys, cursor));
    }
    order::order_by(&mut s, &keys, d);
    s.limit(u64::from(q.limit));
    if q.skip > 0 {
        s.offset(q.skip);
    }
    Ok(build(&s, d))
}

/// `SELECT COUNT(*)` of the tenant's rows that match `criteria`, as column `n`.
pub fn count(
    layout: &Layout,
    tenant: TenantId,
    criteria: &Criteria,
    d: Dialect,
) -> anyhow::Result<Compiled> {
    let mut s = Query::select();
    s.expr_as(Func::count(Expr::cust("*")), Alias::new("n"));
    matching(&mut s, layout, tenant, criteria, d)?;
    Ok(build(&s, d))
}

/// The `SELECT` of one row by key: every column of `layout`, where `tenant_id` and `id` are the
/// two bound values.
pub fn by_key(layout: &Layout, column: &str, values: usize, limit: u32, d: Dialect) -> String {
    let marks: Vec<String> = (1..=values)
        .map(|i| match d {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${i}"),
        })
        .collect();
    format!(
        "SELECT {} FROM {} WHERE {column} IN ({}) LIMIT {limit}",
        layout.column_names().join(", "),
        layout.table,
        marks.join(", ")
    )
}

/// `SELECT` of every column of the row with a tenant and an id (bound in that order).
pub fn by_id(layout: &Layout, d: Dialect) -> String {
    let (tenant, id) = match d {
        Dialect::Sqlite => ("?", "?"),
        Dialect::Postgres => ("$1", "$2"),
    };
    format!(
        "SELECT {} FROM {} WHERE tenant_id = {tenant} AND id = {id}",
        layout.column_names().join(", "),
        layout.table
    )
}
