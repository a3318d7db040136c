//! The row writes a group of [`Store::write`](super::Store::write) is made of, their SQL
//! where both databases share it, and what a group did.

use uuid::Uuid;

use crate::model::layout::{Layout, Row};
use crate::store::tx::{int, text, Statement};

/// One row write of a group that [`Store::write`](super::Store::write) runs atomically.
#[derive(Clone, Debug)]
pub enum RowWrite {
    /// A new row.
    Insert {
        /// The table.
        layout: &'static Layout,
        /// The values (its tenant must be the group's).
        row: Row,
    },
    /// Replaces a row if it still has `expected_version` (the row carries the new version).
    Update {
        /// The table.
        layout: &'static Layout,
        /// The new values; the id comes from it.
        row: Row,
        /// The version the writer read.
        expected_version: i64,
    },
    /// Deletes a row (if it still has `expected_version`, when given).
    Delete {
        /// The table.
        layout: &'static Layout,
        /// The row's id.
        id: Uuid,
        /// The version the writer read, if the delete depends on it.
        expected_version: Option<i64>,
    },
    /// Sets a counter column of a row (one of its entity set's `counters`, which updates leave
    /// alone) to 0, whatever its version: a new enrollment token starts its usage count again.
    ResetCounter {
        /// The table.
        layout: &'static Layout,
        /// The row's id.
        id: Uuid,
        /// The counter's column.
        column: &'static str,
    },
}

impl RowWrite {
    /// The table it writes.
    pub fn layout(&self) -> &'static Layout {
        match self {
            RowWrite::Insert { layout, .. }
            | RowWrite::Update { layout, .. }
            | RowWrite::Delete { layout, .. }
            | RowWrite::ResetCounter { layout, .. } => layout,
        }
    }

    /// Whether the write needs an existing row (an update or a delete).
    pub fn needs_row(&self) -> bool {
        !matches!(self, RowWrite::Insert { .. })
    }

    /// The statement of this write on rows of `tenant`, with `?` placeholders.
    pub fn statement(&self, tenant: &str) -> Statement {
        let key = |id: &Uuid| vec![text(tenant), text(id.to_string())];
        match self {
            RowWrite::Insert { layout, row } => Statement::insert(layout, row.clone()),
            RowWrite::Update {
                layout,
                row,
                expected_version,
            } => Statement::update_in(tenant, layout, row.clone(), *expected_version),
            RowWrite::Delete {
                layout,
                id,
                expected_version,
            } => {
                let mut args = key(id);
                args.extend(expected_version.map(int));
                Statement::write(Self::delete_sql(layout, expected_version.is_some()), args)
            }
            RowWrite::ResetCounter { layout, id, column } => {
                Statement::write(Self::reset_sql(layout, column), key(id))
            }
        }
    }

    /// `DELETE ... WHERE tenant_id = ? AND id = ?` of a [`RowWrite::Delete`], with `AND
    /// version = ?` when `conditional`.
    fn delete_sql(layout: &Layout, conditional: bool) -> String {
        let version = if conditional { " AND version = ?" } else { "" };
        format!(
            "DELETE FROM {} WHERE tenant_id = ? AND id = ?{version}",
            layout.table
        )
    }

    /// `UPDATE ... SET column = 0 WHERE tenant_id = ? AND id = ?` of a
    /// [`RowWrite::ResetCounter`].
    fn reset_sql(layout: &Layout, column: &str) -> String {
        format!(
            "UPDATE {} SET {column} = 0 WHERE tenant_id = ? AND id = ?",
            layout.table
        )
    }
}

/// What a group of writes did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Every write was stored.
    Done,
    /// An update or delete found its row gone or changed; nothing was stored.
    Stale,
}
