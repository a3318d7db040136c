//! Sealing at the store's edge: rows that come from [`to_row`](crate::model::layout::to_row)
//! hold their secret members in plain text; both backends seal them here before binding
//! ([`seal_row`], [`seal_writes`]) and open them after reading ([`open_row`]), so the rest of the
//! service never sees a sealed value, and no query sees a plain one. Which members are sealed
//! follows from the entity set's declaration (`Secret::Sealed`, see [`Layout::sealed`]).
//!
//! Also here: the rewriting of `$filter` equality on a sealed member into equality on its hash
//! column ([`hash_lookups`]) and the refusal of every other use ([`check_filter`]), the checks
//! that the keys are the ones the database was sealed with ([`check_keys`]), and the statements
//! that re-seal stored rows (the start-up conversion of plain-text rows and key rotation).

use anyhow::{anyhow, bail};
use odata::{CompareOp, Filter};

use crate::crypto::{self, Keyring};
use crate::model::layout::{fold_case, Cell, Layout, Row, ID, TENANT, VERSION};
use crate::store::query::Dialect;
use crate::store::row::{bind_cell, SqlQuery};
use crate::store::{RowWrite, Store};

/// What binds a sealed value to its place: table, column, tenant and row id.
fn aad(layout: &Layout, column: usize, tenant: &str, id: &str) -> Vec<u8> {
    format!(
        "{}\0{}\0{tenant}\0{id}",
        layout.table, layout.columns[column].name,
    )
    .into_bytes()
}

/// The plain bytes of the stored value of sealed column `column` in the row `id` of `tenant`:
/// opened when the row is `sealed` (its `sealed_with` is set), as they are otherwise.
pub fn open_cell(
    keys: &Keyring,
    layout: &Layout,
    column: usize,
    (tenant, id): (&str, &str),
    sealed: bool,
    stored: Vec<u8>,
) -> anyhow::Result<Vec<u8>> {
    if sealed {
        keys.open(&stored, &aad(layout, column, tenant, id))
    } else {
        Ok(stored)
    }
}

/// Seals the plain-text secret members of `row` under the current key, fills their hash
/// columns and the row's [`SEALED_WITH`](crate::model::layout::SEALED_WITH).
pub fn seal_row(keys: &Keyring, layout: &Layout, row: &mut Row) {
    let Some(with) = layout.sealed_with else {
        return;
    };
    for s in &layout.sealed {
        let plain = match &row.0[s.column] {
            Cell::Text(t) => Some(t.as_bytes().to_vec()),
            Cell::Blob(b) => Some(b.clone()),
            _ => None,
        };
        if let Some(h) = s.hash {
            row.0[h] = match &row.0[s.column] {
                Cell::Text(t) => Cell::Text(keys.lookup_hash(&fold_case(t))),
                _ => Cell::Null,
            };
        }
        row.0[s.column] = match plain {
            Some(p) => Cell::Blob(keys.seal(&p, &aad(layout, s.column, row.tenant(), row.id()))),
            None => Cell::Null,
        };
    }
    row.0[with] = Cell::Int(i64::from(keys.current_id()));
}

/// Opens the sealed members of a stored `row` (text members become text again, images stay
/// bytes). A row whose `sealed_with` is NULL was stored before sealing: its values are plain.
pub fn open_row(keys: &Keyring, layout: &Layout, row: &mut Row) -> anyhow::Result<()> {
    let Some(with) = layout.sealed_with else {
        return Ok(());
    };
    let sealed = !matches!(row.0[with], Cell::Null);
    for s in &layout.sealed {
        let place = (row.text(TENANT).to_owned(), row.text(ID).to_owned());
        let place = (place.0.as_str(), place.1.as_str());
        let bytes = match std::mem::replace(&mut row.0[s.column], Cell::Null) {
            Cell::Blob(b) => open_cell(keys, layout, s.column, place, sealed, b)?,
            Cell::Text(t) if !sealed => t.into_bytes(),
            Cell::Null => continue,
            _ => bail!(
                "a stored {} is neither sealed nor plain",
                layout.members[s.member].name
            ),
        };
        row.0[s.column] = match layout.members[s.member].ty {
            crate::model::entity::MemberType::Image => Cell::Blob(bytes),
            _ => Cell::Text(crypto::text(bytes)?),
        };
    }
    Ok(())
}

/// `writes` with the rows of their inserts and updates sealed.
pub fn seal_writes(keys: &Keyring, mut writes: Vec<RowWrite>) -> Vec<RowWrite> {
    for w in &mut writes {
        match w {
            RowWrite::Insert { layout, row } | RowWrite::Update { layout, row, .. } => {
                seal_row(keys, layout, row);
            }
            RowWrite::Delete { .. } | RowWrite::ResetCounter { .. } => {}
        }
    }
    writes
}

/// The message of a 400 for a use of a sealed member that its hash cannot serve. It names the
/// member, never the value compared with.
fn refused(member: &str) -> String {
    format!(
        "The property '{member}' is stored encrypted: $filter can only compare it for equality \
         (eq, or eq null / ne null), and $orderby cannot use it."
    )
}

/// Refuses (with the message of a 400) every use of a sealed member in `filter` other than
/// `eq` with a value, `eq null` and `ne null`, and their negations.
pub fn check_filter(layout: &Layout, filter: &Filter) -> Result<(), String> {
    let sealed = |name: &str| {
        layout
            .member(name)
            .is_some_and(|i| layout.members[i].sealed)
    };
    match filter {
        Filter::And(items) | Filter::Or(items) => {
            items.iter().try_for_each(|f| check_filter(layout, f))
        }
        Filter::Not(inner) => check_filter(layout, inner),
        Filter::Compare { prop, op, .. } if *op != CompareOp::Eq && sealed(prop.name()) => {
            Err(refused(prop.name()))
        }
        Filter::In { prop, .. } | Filter::StringMatch { prop, .. } if sealed(prop.name()) => {
            Err(refused(prop.name()))
        }
        Filter::Compare { .. }
        | Filter::In { .. }
        | Filter::StringMatch { .. }
        | Filter::IsNull { .. }
        | Filter::Any { .. }
        | Filter::AnyComplex { .. } => Ok(()),
    }
}

/// `filter` with each `eq` on a sealed member turned into `in` over the value's lookup hashes
/// under every key (a rotation in progress leaves rows hashed under either), which the query
/// compiler compares with the member's hash column.
pub fn hash_lookups(keys: &Keyring, layout: &Layout, filter: &Filter) -> Filter {
    let sealed = |name: &str| {
        layout
            .member(name)
            .is_some_and(|i| layout.members[i].sealed)
    };
    match filter {
        Filter::And(items) => Filter::And(
            items
                .iter()
                .map(|f| hash_lookups(keys, layout, f))
                .collect(),
        ),
        Filter::Or(items) => Filter::Or(
            items
                .iter()
                .map(|f| hash_lookups(keys, layout, f))
                .collect(),
        ),
        Filter::Not(inner) => Filter::Not(Box::new(hash_lookups(keys, layout, inner))),
        Filter::Compare {
            prop,
            op: CompareOp::Eq,
            value: odata::Value::String(s),
        } if sealed(prop.name()) => Filter::In {
            prop: *prop,
            values: keys
                .lookup_hashes(&fold_case(s))
                .into_iter()
                .map(odata::Value::String)
                .collect(),
        },
        other => other.clone(),
    }
}

/// The name under which the database remembers key `id` (its check value, never the key).
fn check_name(id: u32) -> String {
    format!("sealing-key-{id}")
}

/// Refuses keys that are not the ones this database was sealed with: each key's check value
/// is stored the first time a process uses it, and a key with a known id but another check
/// value (a key file generated anew, or another host's) stops the start.
pub async fn check_keys(store: &dyn Store, keys: &Keyring) -> anyhow::Result<()> {
    for key in keys.keys().0.iter() {
        let check = key.check_value();
        let stored = store
            .service_key(&check_name(key.id), &|| check.clone())
            .await?;
        if stored != check {
            bail!(
                "sealing key {} is not the key {} this database was sealed with{}; restore the \
                 original key file (without it the sealed values cannot be read)",
                key.id,
                key.id,
                keys.file()
                    .map(|p| format!(" ({} holds another)", p.display()))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// `SELECT` of every column of up to `$n` rows whose sealed members need sealing anew: plain
/// ones (`sealed_with` NULL) and, when `all`, those sealed with another key than `current`.
pub fn reseal_select(layout: &Layout, d: Dialect, all: bool) -> anyhow::Result<String> {
    if layout.sealed_with.is_none() {
        return Err(anyhow!("{} has no sealed members", layout.table));
    }
    let (current, limit) = match d {
        Dialect::Sqlite => ("?1", "?2"),
        Dialect::Postgres => ("$1", "$2"),
    };
    let which = if all {
        format!("sealed_with IS NULL OR sealed_with <> {current}")
    } else {
        // The bound value is compared with itself so that both forms take the same values.
        format!("sealed_with IS NULL AND {current} = {current}")
    };
    Ok(format!(
        "SELECT {} FROM {} WHERE {which} LIMIT {limit}",
        layout.column_names().join(", "),
        layout.table
    ))
}

/// `UPDATE` of a row's sealed columns, hash columns and `sealed_with` (in that order), where
/// its tenant, id and version are the last three values: the version is not bumped, the
/// entity is the same; a row changed meanwhile is left to the next pass.
pub fn reseal_update(layout: &Layout, d: Dialect) -> String {
    let columns = reseal_columns(layout);
    let mut n = 0;
    let mut next = || {
        n += 1;
        match d {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    };
    let set: Vec<String> = columns
        .iter()
        .map(|&c| format!("{} = {}", layout.columns[c].name, next()))
        .collect();
    format!(
        "UPDATE {} SET {} WHERE tenant_id = {} AND id = {} AND version = {}",
        layout.table,
        set.join(", "),
        next(),
        next(),
        next()
    )
}

/// The columns [`reseal_update`] sets, in its order.
pub fn reseal_columns(layout: &Layout) -> Vec<usize> {
    let mut columns: Vec<usize> = layout.sealed.iter().map(|s| s.column).collect();
    columns.extend(layout.sealed.iter().filter_map(|s| s.hash));
    columns.extend(layout.sealed_with);
    columns
}

/// A stored `row` (as read, sealed or plain) sealed anew under the current key.
pub fn reseal_row(keys: &Keyring, layout: &Layout, mut row: Row) -> anyhow::Result<Row> {
    open_row(keys, layout, &mut row)?;
    seal_row(keys, layout, &mut row);
    Ok(row)
}

/// Binds the values of [`reseal_update`] for the re-sealed `row`.
pub fn bind_reseal<'q, DB>(q: SqlQuery<'q, DB>, layout: &Layout, row: Row) -> SqlQuery<'q, DB>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut q = q;
    for c in reseal_columns(layout) {
        q = bind_cell(q, layout.columns[c].kind, row.0[c].clone());
    }
    let version = match row.0[VERSION] {
        Cell::Int(v) => Some(v),
        _ => None,
    };
    q.bind(Some(row.text(TENANT).to_owned()))
        .bind(Some(row.text(ID).to_owned()))
        .bind(version)
}

/// The `SELECT` of the distinct key ids the rows of `layout` are sealed with (NULL for plain
/// rows), as column `k`.
///
/// It runs at every start, under the statement time limit, over tables of any size, so it reads
/// only a few entries of the `sealed_with` index: it jumps from one key id to the next greater
/// one (a handful of keys, however many rows), and asks once whether any row is still plain.
/// A plain `SELECT DISTINCT` would read the whole index: neither database skips duplicates.
pub fn key_ids_select(layout: &Layout) -> String {
    let t = layout.table;
    format!(
        "WITH RECURSIVE keys(k) AS (\
           SELECT (SELECT sealed_with FROM {t} WHERE sealed_with IS NOT NULL \
                   ORDER BY sealed_with LIMIT 1) \
           UNION ALL \
           SELECT (SELECT sealed_with FROM {t} WHERE sealed_with > keys.k \
                   ORDER BY sealed_with LIMIT 1) \
           FROM keys WHERE keys.k IS NOT NULL) \
         SELECT k FROM keys WHERE k IS NOT NULL \
         UNION ALL \
         SELECT NULL WHERE EXISTS (SELECT 1 FROM {t} WHERE sealed_with IS NULL)"
    )
}

#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;
