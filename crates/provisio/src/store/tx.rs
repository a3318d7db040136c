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

/// One statement of a [`Tx::script`]: its SQL (with `?` placeholders), its arguments, and the
/// kinds of the columns it returns (none for a statement that only writes).
#[derive(Debug, Clone)]
pub struct Statement {
    /// The SQL.
    pub sql: String,
    /// The values of its placeholders, in order.
    pub args: Vec<Arg>,
    /// How each returned column is read.
    pub kinds: Vec<CellKind>,
}

/// What one statement of a [`Tx::script`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Done {
    /// The rows it returned, each read as the statement's kinds.
    pub rows: Vec<Vec<Cell>>,
    /// The rows it changed (for a statement that writes).
    pub changed: u64,
}

impl Statement {
    /// A statement whose rows are read as `kinds`.
    pub fn read(sql: impl Into<String>, args: Vec<Arg>, kinds: &[CellKind]) -> Self {
        Statement {
            sql: sql.into(),
            args,
            kinds: kinds.to_vec(),
        }
    }

    /// A statement that writes and returns nothing.
    pub fn write(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Statement {
            sql: sql.into(),
            args,
            kinds: Vec::new(),
        }
    }

    /// The rows of `layout` that `where_sql` (with `args`) selects, every column in order.
    pub fn rows(layout: &Layout, where_sql: &str, args: Vec<Arg>) -> Self {
        Statement {
            sql: format!(
                "SELECT {} FROM {} WHERE {where_sql}",
                layout.column_names().join(", "),
                layout.table
            ),
            args,
            kinds: layout.columns.iter().map(|c| c.kind).collect(),
        }
    }

    /// Inserts `row` into `layout`'s table.
    pub fn insert(layout: &Layout, row: Row) -> Self {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            layout.table,
            layout.column_names().join(", "),
            vec!["?"; layout.columns.len()].join(", ")
        );
        let args = layout.columns.iter().map(|c| c.kind).zip(row.0).collect();
        Statement::write(sql, args)
    }

    /// Rewrites every column of `row` an update writes, if its version is still `expected`.
    pub fn update(layout: &Layout, row: Row, expected: i64) -> Self {
        let tenant = row.tenant().to_owned();
        Self::update_in(&tenant, layout, row, expected)
    }

    /// [`update`](Self::update) among the rows of `tenant` only: a row of another tenant
    /// with `row`'s id is left alone, whatever tenant `row` names.
    pub fn update_in(tenant: &str, layout: &Layout, row: Row, expected: i64) -> Self {
        let (sql, mut args) = set_columns(layout, &layout.updated, row, tenant, " AND version = ?");
        args.push(int(expected));
        Statement::write(sql, args)
    }

    /// Writes the counter columns of `row` (those an update leaves alone), whatever the row's
    /// version, which stays: a count, or a fact a device reports, is no edit
    /// (docs/API.md, ETags and lost updates). None for a layout without counters.
    pub fn write_counters(layout: &Layout, row: Row) -> Option<Self> {
        if layout.counters.is_empty() {
            return None;
        }
        let tenant = row.tenant().to_owned();
        let (sql, args) = set_columns(layout, &layout.counters, row, &tenant, "");
        Some(Statement::write(sql, args))
    }
}

/// One transaction's connection.
#[async_trait]
pub trait Tx: Send {
    /// Which database it is.
    fn dialect(&self) -> Dialect;

    /// Runs `statements` in order and tells what each did. SQLite runs them as one script, in
    /// one call to the connection's thread (each call is a round trip between threads, which
    /// costs more than a small statement itself); PostgreSQL runs them one after the other. A
    /// statement that fails ends the script with its error; the ones before it have run.
    async fn script(&mut self, statements: Vec<Statement>) -> Result<Vec<Done>, sqlx::Error>;

    /// The rows `sql` returns, each read as cells of `kinds`.
    async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        kinds: &[CellKind],
    ) -> Result<Vec<Vec<Cell>>, sqlx::Error> {
        Ok(self.one(Statement::read(sql, args, kinds)).await?.rows)
    }

    /// Runs `sql`; the number of rows it changed.
    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        Ok(self.one(Statement::write(sql, args)).await?.changed)
    }

    /// Runs one statement.
    async fn one(&mut self, statement: Statement) -> Result<Done, sqlx::Error> {
        Ok(self
            .script(vec![statement])
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

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
        let done = self.one(Statement::rows(layout, where_sql, args)).await?;
        Ok(done.rows.into_iter().map(Row).collect())
    }

    /// Writes the counter columns of `row` ([`Statement::write_counters`]).
    async fn write_counters(&mut self, layout: &Layout, row: Row) -> Result<u64, sqlx::Error> {
        match Statement::write_counters(layout, row) {
            Some(s) => Ok(self.one(s).await?.changed),
            None => Ok(0),
        }
    }
}

/// `UPDATE <table> SET <column> = ?, ... WHERE tenant_id = ? AND id = ?<condition>` for the
/// `columns` of `layout`, and its arguments: `row`'s cells in those columns, then `tenant` and
/// the row's id.
fn set_columns(
    layout: &Layout,
    columns: &[usize],
    row: Row,
    tenant: &str,
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
    let key = (text(tenant), text(row.id()));
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

/// `q` with `args` bound in order.
pub(crate) fn bind_all<'q, DB>(mut q: SqlQuery<'q, DB>, args: Vec<Arg>) -> SqlQuery<'q, DB>
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

/// A [`Tx`] over an SQLite connection, inside the group writer's batch. The work's savepoint
/// is opened by its first script, in the same call (see [`SqliteTx::opened`]).
///
/// A script is one query of several statements, its arguments numbered across them, which
/// sqlx 0.8's SQLite driver runs statement after statement, answering each statement's rows and
/// then its result. sqlx has said it may drop multi-statement queries with arguments
/// (launchbadge/sqlx#3108, `Query::fetch_many` is deprecated for it); the device tests run
/// every enrollment path through scripts and would fail on an upgrade that drops them, and
/// running the statements one call each is then the way back.
#[derive(Debug)]
pub struct SqliteTx<'a> {
    conn: &'a mut sqlx::SqliteConnection,
    savepoint: &'static str,
    opened: bool,
}

impl<'a> SqliteTx<'a> {
    /// A transaction on `conn` whose writes go in the savepoint `savepoint`, opened with its
    /// first statement.
    pub fn new(conn: &'a mut sqlx::SqliteConnection, savepoint: &'static str) -> Self {
        SqliteTx {
            conn,
            savepoint,
            opened: false,
        }
    }

    /// Whether the savepoint was opened (the work ran a statement); if not, there is nothing
    /// to release or undo.
    pub fn opened(&self) -> bool {
        self.opened
    }
}

#[async_trait]
impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn script(&mut self, statements: Vec<Statement>) -> Result<Vec<Done>, sqlx::Error> {
        use futures_util::TryStreamExt as _;
        // The savepoint's own result is the first one, when it opens here.
        let mut skip = usize::from(!self.opened);
        let mut sql = String::new();
        if !self.opened {
            sql.push_str("SAVEPOINT ");
            sql.push_str(self.savepoint);
            self.opened = true;
        }
        for s in &statements {
            if !sql.is_empty() {
                sql.push_str(";\n");
            }
            sql.push_str(&s.sql);
        }
        let mut kinds = Vec::with_capacity(statements.len());
        let mut args = Vec::new();
        for s in statements {
            kinds.push(s.kinds);
            args.extend(s.args);
        }
        let mut out: Vec<Done> = vec![Done::default(); kinds.len()];
        let mut i = 0;
        let mut results =
            sqlx::Executor::fetch_many(&mut *self.conn, bind_all(sqlx::query(&sql), args));
        while let Some(item) = results.try_next().await? {
            if skip > 0 {
                skip -= usize::from(item.is_left());
                continue;
            }
            let (Some(done), Some(kinds)) = (out.get_mut(i), kinds.get(i)) else {
                break;
            };
            match item {
                sqlx::Either::Left(result) => {
                    if kinds.is_empty() {
                        done.changed = result.rows_affected();
                    }
                    i += 1;
                }
                sqlx::Either::Right(row) => {
                    done.rows.push(read_cells(&row, kinds.iter().copied())?);
                }
            }
        }
        Ok(out)
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

    async fn script(&mut self, statements: Vec<Statement>) -> Result<Vec<Done>, sqlx::Error> {
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            let sql = numbered(&s.sql);
            let q = bind_all(sqlx::query(&sql), s.args);
            out.push(if s.kinds.is_empty() {
                Done {
                    rows: Vec::new(),
                    changed: q.execute(&mut *self.0).await?.rows_affected(),
                }
            } else {
                let rows = q.fetch_all(&mut *self.0).await?;
                Done {
                    rows: rows
                        .iter()
                        .map(|r| read_cells(r, s.kinds.iter().copied()))
                        .collect::<Result<_, _>>()?,
                    changed: 0,
                }
            });
        }
        Ok(out)
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
