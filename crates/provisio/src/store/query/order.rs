//! `$orderby` to `ORDER BY`, and the keyset condition that starts a page right after the last row
//! of the previous one, for any combination of sort keys, directions and NULLs.
//!
//! The sort keys are the requested ones followed by `id`, which makes the order total; `id` takes
//! the direction of the last requested key, so an index on `(tenant_id, key, id)` serves both
//! directions (scanned backwards for `desc`). NULL sorts before every value ascending and after
//! every value descending: SQLite does so by itself, PostgreSQL is told with `NULLS FIRST/LAST`.

use odata::{Direction, OrderBy};
use sea_query::{
    Expr, ExprTrait as _, NullOrdering, Order, SelectStatement, SimpleExpr, Value as SqlValue,
};
use serde::{Deserialize, Serialize};

use super::columns::{id_column, prop_column, Column, ColumnType};
use super::filter::join;
use super::Dialect;
use crate::model::layout::{to_row, Layout, Row, ID};
use crate::model::Entity;

/// One value of a sort key, as a cursor carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    /// SQL NULL.
    Null,
    /// A Boolean column.
    Bool(bool),
    /// An integer column (counts, enums).
    Int(i64),
    /// A text column (lower-cased where the column compares case-insensitively).
    Text(String),
}

impl KeyValue {
    fn sql(&self) -> SqlValue {
        match self {
            KeyValue::Null => SqlValue::String(None),
            KeyValue::Bool(b) => SqlValue::from(*b),
            KeyValue::Int(n) => SqlValue::from(*n),
            KeyValue::Text(s) => SqlValue::from(s.clone()),
        }
    }
}

/// Where a page starts: the sort-key values (the `id` last) of the row before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(pub Vec<KeyValue>);

impl Cursor {
    /// The cursor just after `last` in the order `order`.
    pub fn after<E: Entity>(order: &[OrderBy], last: &E) -> anyhow::Result<Cursor> {
        Cursor::after_row(E::set().layout(), order, &to_row(last))
    }

    /// The cursor just after the stored `row` of the entity set of `layout` in the order `order`.
    pub fn after_row(layout: &Layout, order: &[OrderBy], row: &Row) -> anyhow::Result<Cursor> {
        Ok(Cursor(
            sort_keys(layout, order)?
                .iter()
                .map(|k| k.column.value_in(row))
                .collect(),
        ))
    }

    /// The cursor after a row selected by [`select_rendered`](super::select_rendered): the
    /// values of `keys` (the [`sort_keys`] of its order) it selected from column `from` on.
    pub(super) fn read<'r, R>(keys: &[SortKey], row: &'r R, from: usize) -> anyhow::Result<Cursor>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let mut values = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let index = from + i;
            values.push(match key.column.ty {
                ColumnType::Int => row
                    .try_get::<Option<i64>, _>(index)?
                    .map_or(KeyValue::Null, KeyValue::Int),
                ColumnType::Bool => row
                    .try_get::<Option<bool>, _>(index)?
                    .map_or(KeyValue::Null, KeyValue::Bool),
                ColumnType::Text { .. } | ColumnType::DateTime | ColumnType::Tags => row
                    .try_get::<Option<String>, _>(index)?
                    .map_or(KeyValue::Null, KeyValue::Text),
            });
        }
        Ok(Cursor(values))
    }

    /// Whether the cursor has one value of the right type for each sort key of `order`.
    pub fn fits(&self, layout: &Layout, order: &[OrderBy]) -> bool {
        sort_keys(layout, order).is_ok_and(|keys| {
            keys.len() == self.0.len() && keys.iter().zip(&self.0).all(|(k, v)| k.column.accepts(v))
        })
    }
}

/// One key of the total order.
#[derive(Clone, Copy, Debug)]
pub struct SortKey {
    /// The column sorted by.
    pub column: Column,
    /// Its direction.
    pub dir: Direction,
}

/// The requested keys, then `id` (unless `id` is already among them; keys after it never
/// matter and are dropped).
pub fn sort_keys(layout: &Layout, order: &[OrderBy]) -> anyhow::Result<Vec<SortKey>> {
    let mut keys = Vec::with_capacity(order.len() + 1);
    for o in order {
        let c = prop_column(layout, &o.prop)?;
        keys.push(SortKey {
            column: c,
            dir: o.direction,
        });
        if c.index == ID {
            return Ok(keys);
        }
    }
    let dir = keys.last().map_or(Direction::Asc, |k| k.dir);
    keys.push(SortKey {
        column: id_column(layout),
        dir,
    });
    Ok(keys)
}

/// Adds `ORDER BY` for `keys`.
pub fn order_by(select: &mut SelectStatement, keys: &[SortKey], d: Dialect) {
    for k in keys {
        let (order, nulls) = match k.dir {
            Direction::Asc => (Order::Asc, NullOrdering::First),
            Direction::Desc => (Order::Desc, NullOrdering::Last),
        };
        if d == Dialect::Postgres && k.column.nullable {
            select.order_by_expr_with_nulls(k.column.expr(), order, nulls);
        } else {
            select.order_by_expr(k.column.expr(), order);
        }
    }
}

/// The rows strictly after `cursor` in the order of `keys` (the cursor fits the keys).
///
/// When every key has one direction and no NULL is involved, this is one row-value comparison,
/// `(k1, k2, id) > (?, ?, ?)`, which both databases answer with an index range. Otherwise it is
/// the expanded form `k1 > v1 OR (k1 = v1 AND (k2 > v2 OR (...)))` with NULLs placed as the
/// order places them, preceded by a redundant bound on the first key so that an index can seek.
pub fn after(keys: &[SortKey], cursor: &Cursor) -> SimpleExpr {
    let pairs: Vec<(&SortKey, &KeyValue)> = keys.iter().zip(&cursor.0).collect();
    let dir = keys.first().map_or(Direction::Asc, |k| k.dir);
    let uniform = pairs.iter().all(|(k, v)| {
        k.dir == dir && **v != KeyValue::Null && (dir == Direction::Asc || !k.column.nullable)
    });
    if uniform && pairs.len() > 1 {
        let lhs = Expr::tuple(pairs.iter().map(|(k, _)| k.column.expr()));
        let rhs = Expr::tuple(pairs.iter().map(|(_, v)| SimpleExpr::Value(v.sql())));
        return match dir {
            Direction::Asc => lhs.gt(rhs),
            Direction::Desc => lhs.lt(rhs),
        };
    }
    let mut rest: Option<SimpleExpr> = None;
    for (k, v) in pairs.iter().rev() {
        let tail = rest.map(|r| equal(k, v).and(r));
        rest = match (strictly_after(k, v), tail) {
            (Some(a), Some(t)) => Some(a.or(t)),
            (a, t) => a.or(t),
        };
    }
    let exact = rest.unwrap_or_else(|| join(Vec::new(), false));
    // The bound is only worth adding when the first key has rows strictly after the cursor's
    // value; otherwise the exact form already starts with an equality on it.
    match pairs.first() {
        Some((k, v)) if pairs.len() > 1 && strictly_after(k, v).is_some() => match seek(k, v) {
            Some(bound) => bound.and(exact),
            None => exact,
        },
        _ => exact,
    }
}

/// `k` is after `v` in `k`'s direction; `None` when nothing is (descending after NULL).
fn strictly_after(k: &SortKey, v: &KeyValue) -> Option<SimpleExpr> {
    let e = k.column.expr();
    match (k.dir, v) {
        (Direction::Asc, KeyValue::Null) => Some(e.is_not_null()),
        (Direction::Asc, v) => Some(e.gt(v.sql())),
        (Direction::Desc, KeyValue::Null) => None,
        (Direction::Desc, v) if k.column.nullable => Some(e.clone().lt(v.sql()).or(e.is_null())),
        (Direction::Desc, v) => Some(e.lt(v.sql())),
    }
}

/// `k` equals `v` (NULL included).
fn equal(k: &SortKey, v: &KeyValue) -> SimpleExpr {
    match v {
        KeyValue::Null => k.column.expr().is_null(),
        v => k.column.expr().eq(v.sql()),
    }
}

/// A bound every row after `v` satisfies on the first key, for the index to seek with.
fn seek(k: &SortKey, v: &KeyValue) -> Option<SimpleExpr> {
    let e = k.column.expr();
    match (k.dir, v) {
        (Direction::Asc, KeyValue::Null) => None,
        (Direction::Asc, v) => Some(e.gte(v.sql())),
        (Direction::Desc, KeyValue::Null) => None,
        (Direction::Desc, v) if k.column.nullable => Some(e.clone().lte(v.sql()).or(e.is_null())),
        (Direction::Desc, v) => Some(e.lte(v.sql())),
    }
}
