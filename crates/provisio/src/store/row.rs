//! Rows of any entity set through sqlx, on either backend: binding a [`Row`]'s cells in column
//! order, and reading a row selected with every column of its [`Layout`] by position (a lookup
//! by name hashes the name for every value of every row).

use crate::model::layout::{Cell, CellKind, Layout, Row};

/// The sqlx query type of backend `DB`.
pub type SqlQuery<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// Binds one cell of a column of kind `kind`. NULL is bound with the column's type, which
/// PostgreSQL needs.
pub fn bind_cell<'q, DB>(q: SqlQuery<'q, DB>, kind: CellKind, cell: Cell) -> SqlQuery<'q, DB>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match (cell, kind) {
        (Cell::Int(n), _) => q.bind(Some(n)),
        (Cell::Bool(b), _) => q.bind(Some(b)),
        (Cell::Text(s), _) => q.bind(Some(s)),
        (Cell::Blob(b), _) => q.bind(Some(b)),
        (Cell::Null, CellKind::Int) => q.bind(None::<i64>),
        (Cell::Null, CellKind::Bool) => q.bind(None::<bool>),
        (Cell::Null, CellKind::Text) => q.bind(None::<String>),
        (Cell::Null, CellKind::Blob) => q.bind(None::<Vec<u8>>),
    }
}

/// Binds the cells of `row` from column `from` on, in column order.
pub fn bind_row<'q, DB>(
    mut q: SqlQuery<'q, DB>,
    layout: &Layout,
    row: Row,
    from: usize,
) -> SqlQuery<'q, DB>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for (c, cell) in layout.columns.iter().zip(row.0).skip(from) {
        q = bind_cell(q, c.kind, cell);
    }
    q
}

/// Binds the cells an update writes ([`Layout::updated`]), in column order.
pub fn bind_updated<'q, DB>(mut q: SqlQuery<'q, DB>, layout: &Layout, row: Row) -> SqlQuery<'q, DB>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut cells: Vec<Option<Cell>> = row.0.into_iter().map(Some).collect();
    for &c in &layout.updated {
        let cell = cells[c].take().unwrap_or(Cell::Null);
        q = bind_cell(q, layout.columns[c].kind, cell);
    }
    q
}

/// Reads a row selected with every column of `layout`, in its order, on any backend.
pub fn read<'r, R>(layout: &Layout, r: &'r R) -> Result<Row, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Row(read_cells(r, layout.columns.iter().map(|c| c.kind))?))
}

/// A `tenant_id` column's text as a tenant id.
pub fn tenant_id(text: &str) -> Result<crate::model::TenantId, super::StoreError> {
    uuid::Uuid::parse_str(text)
        .map(crate::model::TenantId)
        .map_err(|e| super::StoreError::Other(anyhow::anyhow!("tenant_id '{text}': {e}")))
}

/// The cells of a selected row, read by position as `kinds` say, on any backend.
pub fn read_cells<'r, R>(
    r: &'r R,
    kinds: impl IntoIterator<Item = CellKind>,
) -> Result<Vec<Cell>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            Ok(match kind {
                CellKind::Int => r
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Cell::Null, Cell::Int),
                CellKind::Bool => r
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Cell::Null, Cell::Bool),
                CellKind::Text => r
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Cell::Null, Cell::Text),
                CellKind::Blob => r
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Cell::Null, Cell::Blob),
            })
        })
        .collect()
}
