//! Work that reads and decides inside one transaction, written once for both databases: the
//! device operations (an enrollment reads the device's current record and the token's count,
//! then writes what it decided) cannot be a fixed list of row writes. A [`Transaction`] runs
//! against a [`Tx`], which both backends implement over their connection: SQLite inside its
//! group writer's batch (a savepoint of its own), PostgreSQL in a transaction retried on
//! serialization failures, deadlocks and unique-key races.
//!
//! Statements are written with `?` placeholders; [`Tx`] numbers them for PostgreSQL. A row
//! lock (`FOR UPDATE`) is only written for PostgreSQL ([`Tx::for_update`]): SQLite has one
//! writer, which already runs each transaction alone.

use async_trait::async_trait;

use crate::model::layout::{Cell, CellKind, Layout, Row};

use super::query::Dialect;
use super::row::{bind_cell, read_cells, SqlQuery};

/// A value bound to a placeholder: its kind (so that NULL gets its column's type) and the cell.
pub type Arg = (CellKind, Cell);

/// Text as an argument.
pub fn text(s: impl Into<String>) -> Arg {
    (CellKind::Text, Cell::Text(s.into()))
}

/// An integer as an argument.
pub fn int(n: i64) -> Arg {
    (CellKind::Int, Cell::Int(n))
}

/// A Boolean as an argument.
pub fn boolean(b: bool) -> Arg {
    (CellKind::Bool, Cell::Bool(b))
}

/// One transaction's connection.
#[async_trait]
pub trait Tx: Send {
    /// Which database it is.
    fn dialect(&self) -> Dialect;

    /// The rows `sql` returns, each read as cells of `kinds`.
    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        kinds: &[CellKind],
    ) -> Result<Vec<Vec<Cell>>, sqlx::Error>;

    /// Runs `sql`; the number of rows it changed.
    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error>;

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite.
    fn for_update(&self) -> &'static str {
        match self.dialect() {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        }
    }

    /// The rows of `layout` that `where_sql` (with `args`) selects, every column in order.
    async fn rows(
        &mut self,
        layout: &Layout,
        where_sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        let kinds: Vec<CellKind> = layout.columns.iter().map(|c| c.kind).collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {where_sql}",
            layout.column_names().join(", "),
            layout.table
        );
        Ok(self
            .fetch(&sql, args, &kinds)
            .await?
            .into_iter()
            .map(Row)
            .collect())
    }

    /// Inserts `row` into `layout`'s table.
    async fn insert(&mut self, layout: &Layout, row: Row) -> Result<u64, sqlx::Error> {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            layout.table,
            layout.column_names().join(", "),
            vec!["?"; layout.columns.len()].join(", ")
        );
        let args = layout.columns.iter().map(|c| c.kind).zip(row.0).collect();
        self.execute(&sql, args).await
    }

    /// Rewrites every column of `row` an update writes, if its version is still `expected`.
    async fn update(
        &mut self,
        layout: &Layout,
        row: Row,
        expected: i64,
    ) -> Result<u64, sqlx::Error> {
        let (sql, mut args) = set_columns(layout, &layout.updated, row, " AND version = ?");
        args.push(int(expected));
        self.execute(&sql, args).await
    }

    /// Writes the counter columns of `row` (those an update leaves alone), whatever the row's
    /// version, which stays: a count, or a fact a device reports, is no edit
    /// (docs/API.md, ETags and lost updates).
    async fn write_counters(&mut self, layout: &Layout, row: Row) -> Result<u64, sqlx::Error> {
        if layout.counters.is_empty() {
            return Ok(0);
        }
        let (sql, args) = set_columns(layout, &layout.counters, row, "");
        self.execute(&sql, args).await
    }
}

/// `UPDATE <table> SET <column> = ?, ... WHERE tenant_id = ? AND id = ?<condition>` for the
/// `columns` of `layout`, and its arguments: `row`'s cells in those columns, then its key.
fn set_columns(
    layout: &Layout,
    columns: &[usize],
    row: Row,
    condition: &str,
) -> (String, Vec<Arg>) {
    let sets: Vec<String> = columns
        .iter()
        .map(|&c| format!("{} = ?", layout.columns[c].name))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE tenant_id = ? AND id = ?{condition}",
        layout.table,
        sets.join(", ")
    );
    let key = (text(row.tenant()), text(row.id()));
    let mut cells: Vec<Option<Cell>> = row.0.into_iter().map(Some).collect();
    let mut args: Vec<Arg> = columns
        .iter()
        .map(|&c| {
            (
                layout.columns[c].kind,
                cells[c].take().unwrap_or(Cell::Null),
            )
        })
        .collect();
    args.extend([key.0, key.1]);
    (sql, args)
}

/// Work that runs in one transaction. It keeps its own outcome (behind a lock) for its caller.
#[async_trait]
pub trait Transaction: Send + Sync + std::fmt::Debug {
    /// Runs the work: `Ok(true)` commits what it wrote, `Ok(false)` undoes it (a refusal it
    /// recorded as its outcome). It may run more than once (after a serialization failure); each
    /// run must start afresh and overwrite its outcome.
    async fn run(&self, tx: &mut dyn Tx) -> Result<bool, sqlx::Error>;
}

/// `sql` with its `?` placeholders numbered `$1, $2, ...` for PostgreSQL.
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

fn bind_all<'q, DB>(mut q: SqlQuery<'q, DB>, args: Vec<Arg>) -> SqlQuery<'q, DB>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for (kind, cell) in args {
        q = bind_cell(q, kind, cell);
    }
    q
}

/// A [`Tx`] over an SQLite connection.
#[derive(Debug)]
pub struct SqliteTx<'a>(pub &'a mut sqlx::SqliteConnection);

#[async_trait]
impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        kinds: &[CellKind],
    ) -> Result<Vec<Vec<Cell>>, sqlx::Error> {
        let rows = bind_all(sqlx::query(sql), args)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|r| read_cells(r, kinds.iter().copied()))
            .collect()
    }

    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(bind_all(sqlx::query(sql), args)
            .execute(&mut *self.0)
            .await?
            .rows_affected())
    }
}

/// A [`Tx`] over a PostgreSQL connection (inside a transaction).
#[derive(Debug)]
pub struct PgTx<'a>(pub &'a mut sqlx::PgConnection);

#[async_trait]
impl Tx for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        kinds: &[CellKind],
    ) -> Result<Vec<Vec<Cell>>, sqlx::Error> {
        let sql = numbered(sql);
        let rows = bind_all(sqlx::query(&sql), args)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|r| read_cells(r, kinds.iter().copied()))
            .collect()
    }

    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        let sql = numbered(sql);
        Ok(bind_all(sqlx::query(&sql), args)
            .execute(&mut *self.0)
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            super::numbered("UPDATE t SET a = ? WHERE b = ? AND c = ?"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = $3"
        );
    }
}
