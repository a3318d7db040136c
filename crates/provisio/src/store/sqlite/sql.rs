//! What the SQLite reader and writer share: the error mapping and the statements that write a
//! whole row. A leaf: it imports nothing from the rest of the SQLite store.

use crate::model::layout::Layout;
use crate::store::{StoreError, DUPLICATE_ID};

pub use crate::store::row::{bind_row, bind_updated};

/// The store's view of an SQLite error: busy and locked are [`StoreError::Busy`], a unique key
/// refused is a conflict, anything else is internal.
pub fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut => StoreError::Busy,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(DUPLICATE_ID.into())
        }
        // SQLITE_FULL: the disk (or the file system's quota) has no room for the write.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("13") => StoreError::Full,
        sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("5" | "6" | "261" | "517")) =>
        {
            StoreError::Busy
        }
        _ => StoreError::Other(anyhow::Error::new(e).context("sqlite")),
    }
}

/// `INSERT` of every column of `layout`, in row order, for `rows` rows (bound with
/// [`bind_row`] from column 0).
pub fn insert_sql(layout: &Layout, rows: usize) -> String {
    let one = format!("({})", vec!["?"; layout.columns.len()].join(", "));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        layout.table,
        layout.column_names().join(", "),
        vec![one; rows].join(", ")
    )
}
