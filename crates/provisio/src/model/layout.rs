//! What an entity set's declaration means for storage, without the entity's Rust type: the
//! columns in row order (`tenant_id`, `id`, `version`, then each member's column and key column,
//! then the hidden ones), each member's place among them, and the mapping between an entity and
//! its row of plain [`Cell`]s. The store binds and reads cells; it never sees the entity's fields.
//! A row from [`to_row`] holds its sealed members in plain text; the store seals them (and fills
//! their hash columns and [`SEALED_WITH`]) before they reach the database, and opens them again
//! before [`from_row`] reads them.

use anyhow::{anyhow, bail};
use uuid::Uuid;

use super::entity::{Entity, EntitySet, MemberType, Nullable, Owned, Query, Secret, Val};
use super::{TenantId, Timestamp};

/// How a column's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// An integer (counts, enums, versions).
    Int,
    /// A Boolean.
    Bool,
    /// Text (strings, GUIDs in lower case, fixed-width UTC date-times, JSON).
    Text,
    /// Bytes (images).
    Blob,
}

/// One stored value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A Boolean.
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Where a column's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The owning tenant.
    Tenant,
    /// The entity's id.
    Id,
    /// The version that conditional writes compare.
    Version,
    /// The member at this position.
    Member(usize),
    /// The lower-cased key of the member at this position.
    Key(usize),
    /// The hidden column at this position.
    Hidden(usize),
    /// The keyed hash of the sealed member at this position (its key column).
    Hash(usize),
    /// The id of the key the row's sealed members are sealed with; NULL while they are plain
    /// text (a row stored before sealing existed, not yet converted).
    SealedWith,
}

/// A stored column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// How its values are stored.
    pub kind: CellKind,
    /// Whether it holds NULLs.
    pub nullable: bool,
    /// What it stores.
    pub source: Source,
}

/// A member, as storage and queries see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// The JSON name.
    pub name: &'static str,
    /// The Edm type.
    pub ty: MemberType,
    /// Whether it may be null.
    pub nullable: Nullable,
    /// The position of its column.
    pub column: usize,
    /// The position of its key column, if it has one.
    pub key: Option<usize>,
    /// Which query options may use it.
    pub query: Query,
    /// Shown by a list without `$select`.
    pub listed: bool,
    /// Stored sealed.
    pub sealed: bool,
}

/// A sealed member's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedColumn {
    /// The member's position.
    pub member: usize,
    /// The position of the column that holds it sealed.
    pub column: usize,
    /// The position of the column with its keyed hash, if it has one.
    pub hash: Option<usize>,
}

/// The derived, type-erased description of an entity set.
#[derive(Debug)]
pub struct Layout {
    /// The collection's name, e.g. `androidDeviceOwnerEnrollmentProfiles`.
    pub set_name: &'static str,
    /// The entity type's unqualified name, e.g. `androidDeviceOwnerEnrollmentProfile`.
    pub type_name: &'static str,
    /// `#microsoft.graph.<type>`, the `@odata.type` of its entities.
    pub odata_type: String,
    /// The table.
    pub table: &'static str,
    /// The columns, in row order.
    pub columns: Vec<Column>,
    /// The members, in response order.
    pub members: Vec<MemberInfo>,
    /// The positions of the members `$search` matches.
    pub search: Vec<usize>,
    /// The sealed members, in declaration order.
    pub sealed: Vec<SealedColumn>,
    /// The position of the [`SEALED_WITH`] column, present when a member is sealed.
    pub sealed_with: Option<usize>,
    /// The schema `$filter`, `$orderby` and `$select` are checked against.
    pub schema: odata::Schema,
    /// The positions of the columns an update of a row rewrites: every column after the key
    /// (`version` on) but the entity set's counters, which only the statements that count
    /// change (so that an edit never overwrites a count it read before).
    pub updated: Vec<usize>,
    /// The positions of the counters' columns, which only their own statements write
    /// ([`Tx::write_counters`](crate::store::tx::Tx::write_counters)).
    pub counters: Vec<usize>,
}

/// The columns every table starts with.
pub const TENANT: usize = 0;
/// The position of the `id` column.
pub const ID: usize = 1;
/// The position of the `version` column.
pub const VERSION: usize = 2;

/// The column of a table with sealed members that names the key they are sealed with.
pub const SEALED_WITH: &str = "sealed_with";

/// How a member's values are stored.
pub fn cell_kind(ty: MemberType) -> CellKind {
    match ty {
        MemberType::Int32 | MemberType::Int64 | MemberType::Enum(_) => CellKind::Int,
        MemberType::Boolean => CellKind::Bool,
        MemberType::Image => CellKind::Blob,
        MemberType::String
        | MemberType::GuidString
        | MemberType::Guid
        | MemberType::DateTime
        | MemberType::StringCollection
        | MemberType::Complex(_)
        | MemberType::ComplexCollection(_) => CellKind::Text,
    }
}

/// The lower-cased form that case-insensitive comparison and sorting use, on every backend.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

impl Layout {
    /// Derives the layout of `set`.
    pub fn of<E: Entity>(set: &'static EntitySet<E>) -> Layout {
        let fixed = |name, kind, source| Column {
            name,
            kind,
            nullable: false,
            source,
        };
        let mut columns = vec![
            fixed("tenant_id", CellKind::Text, Source::Tenant),
            fixed("id", CellKind::Text, Source::Id),
            fixed("version", CellKind::Int, Source::Version),
        ];
        let mut members = Vec::with_capacity(set.members.len());
        let mut sealed = Vec::new();
        for (i, m) in set.members.iter().enumerate() {
            let nullable = m.nullable == Nullable::Yes;
            let is_sealed = m.secret == Secret::Sealed;
            let column = match columns.iter().position(|c| c.name == m.column) {
                Some(at) => at,
                None => {
                    columns.push(Column {
                        name: m.column,
                        kind: if is_sealed {
                            CellKind::Blob
                        } else {
                            cell_kind(m.ty)
                        },
                        nullable,
                        source: Source::Member(i),
                    });
                    columns.len() - 1
                }
            };
            let key = m.key.map(|name| {
                columns.push(Column {
                    name,
                    kind: CellKind::Text,
                    nullable,
                    source: if is_sealed {
                        Source::Hash(i)
                    } else {
                        Source::Key(i)
                    },
                });
                columns.len() - 1
            });
            if is_sealed {
                sealed.push(SealedColumn {
                    member: i,
                    column,
                    hash: key,
                });
            }
            members.push(MemberInfo {
                name: m.name,
                ty: m.ty,
                nullable: m.nullable,
                column,
                key,
                query: m.query,
                listed: m.listed,
                sealed: is_sealed,
            });
        }
        for (i, h) in set.hidden.iter().enumerate() {
            columns.push(Column {
                name: h.column,
                kind: cell_kind(h.ty),
                nullable: true,
                source: Source::Hidden(i),
            });
        }
        let sealed_with = (!sealed.is_empty()).then(|| {
            columns.push(Column {
                name: SEALED_WITH,
                kind: CellKind::Int,
                nullable: true,
                source: Source::SealedWith,
            });
            columns.len() - 1
        });
        let search = set
            .search
            .iter()
            .filter_map(|name| members.iter().position(|m| m.name == *name))
            .collect();
        let schema = super::schema::derive(&set.qualified_type(), &members);
        let counters: Vec<usize> = set
            .counters
            .iter()
            .filter_map(|name| members.iter().find(|m| m.name == *name))
            .map(|m| m.column)
            .collect();
        let updated = (VERSION..columns.len())
            .filter(|c| !counters.contains(c))
            .collect();
        Layout {
            set_name: set.name,
            type_name: set.type_name,
            odata_type: format!("#{}", set.qualified_type()),
            table: set.table,
            columns,
            members,
            search,
            sealed,
            sealed_with,
            schema,
            updated,
            counters,
        }
    }

    /// The position of the member with this JSON name.
    pub fn member(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }

    /// The column that stores the member with this JSON name.
    pub fn column_of(&self, member: &str) -> Option<&'static str> {
        self.member(member)
            .map(|i| self.columns[self.members[i].column].name)
    }

    /// The names of every column, in row order.
    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }
}

/// A row: one cell per column of the layout, in its order.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    /// The text of a column that holds text (the key columns).
    pub fn text(&self, column: usize) -> &str {
        match self.0.get(column) {
            Some(Cell::Text(s)) => s,
            _ => "",
        }
    }

    /// The row's tenant, as stored.
    pub fn tenant(&self) -> &str {
        self.text(TENANT)
    }

    /// The row's id, as stored.
    pub fn id(&self) -> &str {
        self.text(ID)
    }
}

/// A member's value as a cell of its column.
pub fn to_cell(ty: MemberType, v: Val<'_>) -> Cell {
    match v {
        Val::Null => Cell::Null,
        Val::Str(s) => Cell::Text(s.to_owned()),
        Val::Uuid(u) => Cell::Text(u.to_string()),
        Val::Int(n) => Cell::Int(n),
        Val::Bool(b) => Cell::Bool(b),
        Val::Time(t) => Cell::Text(t.to_string()),
        Val::Strings(items) => Cell::Text(serde_json::Value::from(items.to_vec()).to_string()),
        Val::Bytes(b) if ty == MemberType::Image => Cell::Blob(b.to_vec()),
        Val::Bytes(b) => Cell::Blob(b.to_vec()),
        Val::Json(j) => Cell::Text(j.to_string()),
    }
}

/// The lower-cased key of a member's value: the folded text, the JSON array of folded items, or
/// a complex value's JSON with every text in it folded (what `$filter=actor/...` compares).
pub fn key_cell(v: &Val<'_>) -> Cell {
    match v {
        Val::Str(s) => Cell::Text(fold_case(s)),
        Val::Strings(items) => {
            let keys: Vec<String> = items.iter().map(|t| fold_case(t)).collect();
            Cell::Text(serde_json::Value::from(keys).to_string())
        }
        Val::Json(serde_json::Value::Null) => Cell::Null,
        Val::Json(j) => Cell::Text(folded_json(j).to_string()),
        _ => Cell::Null,
    }
}

/// `v` with every string in it (keys excepted) lower-cased with [`fold_case`].
fn folded_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(fold_case(s)),
        Value::Array(items) => Value::Array(items.iter().map(folded_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), folded_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A stored cell as a member's value.
pub fn from_cell(ty: MemberType, c: Cell) -> anyhow::Result<Owned> {
    Ok(match (ty, c) {
        (_, Cell::Null) => Owned::Null,
        (MemberType::String, Cell::Text(s)) => Owned::Str(s),
        (MemberType::GuidString | MemberType::Guid, Cell::Text(s)) => {
            Owned::Uuid(Uuid::try_parse(&s).map_err(|_| anyhow!("stored id '{s}' is not a GUID"))?)
        }
        (MemberType::DateTime, Cell::Text(s)) => Owned::Time(
            Timestamp::parse(&s).ok_or_else(|| anyhow!("stored '{s}' is not a date-time"))?,
        ),
        (MemberType::StringCollection, Cell::Text(s)) => Owned::Strings(serde_json::from_str(&s)?),
        (MemberType::Complex(_) | MemberType::ComplexCollection(_), Cell::Text(s)) => {
            Owned::Json(serde_json::from_str(&s)?)
        }
        (MemberType::Int32 | MemberType::Int64 | MemberType::Enum(_), Cell::Int(n)) => {
            Owned::Int(n)
        }
        (MemberType::Boolean, Cell::Bool(b)) => Owned::Bool(b),
        (MemberType::Image, Cell::Blob(b)) => Owned::Bytes(b),
        (ty, c) => bail!("a stored {c:?} does not fit a member of type {ty:?}"),
    })
}

/// The row that stores `e`.
pub fn to_row<E: Entity>(e: &E) -> Row {
    let set = E::set();
    let layout = set.layout();
    let mut cells = Vec::with_capacity(layout.columns.len());
    for c in &layout.columns {
        cells.push(match c.source {
            Source::Tenant => Cell::Text(e.tenant().to_string()),
            Source::Id => Cell::Text(e.id().to_string()),
            Source::Version => Cell::Int(e.version()),
            Source::Member(i) => {
                let m = &set.members[i];
                to_cell(m.ty, (m.get)(e))
            }
            Source::Key(i) => key_cell(&(set.members[i].get)(e)),
            Source::Hidden(i) => {
                let h = &set.hidden[i];
                to_cell(h.ty, (h.get)(e))
            }
            // Filled in when the store seals the row (`crate::store::seal`).
            Source::Hash(_) | Source::SealedWith => Cell::Null,
        });
    }
    Row(cells)
}

/// The entity a row stores. A row the service could not have written is an error.
pub fn from_row<E: Entity>(row: Row) -> anyhow::Result<E> {
    let set = E::set();
    let layout = set.layout();
    let guid = |c: &Cell, what: &str| match c {
        Cell::Text(s) => Uuid::try_parse(s).map_err(|_| anyhow!("stored {what} '{s}' is no GUID")),
        other => Err(anyhow!("stored {what} {other:?} is no GUID")),
    };
    let (Some(tenant), Some(id), Some(version)) = (row.0.first(), row.0.get(1), row.0.get(2))
    else {
        bail!("a row of {} has too few columns", layout.table);
    };
    let Cell::Int(version) = *version else {
        bail!("stored version {version:?} is no integer");
    };
    let mut e = E::blank(
        TenantId(guid(tenant, "tenant id")?),
        guid(id, "id")?,
        Timestamp::MIN,
    );
    e.set_version(version);
    for (c, cell) in layout.columns.iter().zip(row.0) {
        match c.source {
            Source::Member(i) => {
                let m = &set.members[i];
                let value = from_cell(m.ty, cell)?;
                (m.set)(&mut e, value).map_err(|err| anyhow!("stored {}: {err}", m.name))?;
            }
            Source::Hidden(i) => {
                let h = &set.hidden[i];
                let value = from_cell(h.ty, cell)?;
                (h.set)(&mut e, value).map_err(|err| anyhow!("stored {}: {err}", h.column))?;
            }
            Source::Tenant
            | Source::Id
            | Source::Version
            | Source::Key(_)
            | Source::Hash(_)
            | Source::SealedWith => {}
        }
    }
    Ok(e)
}
