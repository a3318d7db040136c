//! Where each queryable member lives in its table, and how it compares: the SQL expression that
//! `$filter` and `$orderby` use for it, the literal conversion, and the same value read from a
//! stored [`Row`] (for the keyset cursor), so that the three always agree. All of it follows from
//! the member's type in the entity set's declaration.

use anyhow::anyhow;
use sea_query::{Expr, Func, Iden, SimpleExpr, Value as SqlValue};

use super::order::KeyValue;
use crate::model::entity::{MemberType, Query};
use crate::model::layout::{fold_case, Cell, Layout, Row, ID};

/// A table or column name written by the compiler (never user text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident(pub &'static str);

impl Iden for Ident {
    fn unquoted(&self, s: &mut dyn std::fmt::Write) {
        // Infallible for the `String` buffers sea-query writes into.
        let _ = s.write_str(self.0);
    }
}

/// How a column's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Text that compares case-insensitively. `sql_lower` is false when the column already holds
    /// the lower-cased value (key columns, and ids, which are stored in lower case); true when
    /// SQL's `lower()` is applied, which is only done for text members without a key column
    /// (SQLite's `lower()` folds ASCII only, so such members must hold ASCII).
    Text {
        /// Apply `lower()` in SQL.
        sql_lower: bool,
    },
    /// An integer (counts, and enums by their numeric value).
    Int,
    /// A Boolean.
    Bool,
    /// A date-time stored as fixed-width UTC text, so text order is time order.
    DateTime,
    /// A JSON array of lower-cased strings (a string collection's key column).
    Tags,
}

/// One queryable member and the column behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The table.
    pub table: &'static str,
    /// The member's JSON name.
    pub member: &'static str,
    /// The column compared and sorted.
    pub name: &'static str,
    /// Its position in the table's rows.
    pub index: usize,
    /// How values compare.
    pub ty: ColumnType,
    /// Whether the column holds NULLs.
    pub nullable: bool,
    /// For a property of a complex member (`actor/userPrincipalName`): the property's name,
    /// read with `json_extract` from the member's key column, which holds the value's JSON with
    /// its texts lower-cased (PostgreSQL has a `json_extract` of the same meaning, migration
    /// 0007).
    pub path: Option<&'static str>,
}

/// The column behind a member named in a query.
pub fn column(layout: &Layout, member: &str) -> anyhow::Result<Column> {
    let no_column = || anyhow!("the member '{member}' has no query column");
    let m = layout
        .members
        .iter()
        .find(|m| m.name == member)
        .filter(|m| m.query != Query::SelectOnly && (!m.sealed || m.key.is_some()))
        .ok_or_else(no_column)?;
    let (index, ty) = match (m.ty, m.key) {
        (MemberType::GuidString | MemberType::Guid, _) => {
            (m.column, ColumnType::Text { sql_lower: false })
        }
        (MemberType::String, Some(key)) => (key, ColumnType::Text { sql_lower: false }),
        // The tenant and id columns hold GUIDs in lower case.
        (MemberType::String, None) if m.column <= ID => {
            (m.column, ColumnType::Text { sql_lower: false })
        }
        (MemberType::String, None) => (m.column, ColumnType::Text { sql_lower: true }),
        (MemberType::Int32 | MemberType::Int64 | MemberType::Enum(_), _) => {
            (m.column, ColumnType::Int)
        }
        (MemberType::Boolean, _) => (m.column, ColumnType::Bool),
        (MemberType::DateTime, _) => (m.column, ColumnType::DateTime),
        (MemberType::StringCollection, Some(key)) => (key, ColumnType::Tags),
        _ => return Err(no_column()),
    };
    let c = &layout.columns[index];
    Ok(Column {
        table: layout.table,
        member: m.name,
        name: c.name,
        index,
        ty,
        nullable: c.nullable,
        path: None,
    })
}

/// The column behind a property a query names: a member ([`column`]), or a text property of
/// a complex member that has a key column (`actor/userPrincipalName`).
pub fn prop_column(layout: &Layout, prop: &odata::PropRef) -> anyhow::Result<Column> {
    let Some(parent) = prop.parent() else {
        return column(layout, prop.name());
    };
    let leaf = prop.def().name;
    let m = layout
        .members
        .iter()
        .find(|m| m.name == parent.name)
        .filter(|m| m.query != Query::SelectOnly);
    let found = m.and_then(|m| match (m.ty, m.key) {
        (MemberType::Complex(decl), Some(key)) => decl
            .properties
            .iter()
            .find(|f| f.name == leaf && f.ty == MemberType::String)
            .map(|_| (m, key)),
        _ => None,
    });
    let (m, key) = found.ok_or_else(|| anyhow!("the property '{prop}' has no query column"))?;
    Ok(Column {
        table: layout.table,
        member: m.name,
        name: layout.columns[key].name,
        index: key,
        ty: ColumnType::Text { sql_lower: false },
        nullable: true,
        path: Some(leaf),
    })
}

/// The column of the `id` tie-break.
pub fn id_column(layout: &Layout) -> Column {
    Column {
        table: layout.table,
        member: "id",
        name: layout.columns[ID].name,
        index: ID,
        ty: ColumnType::Text { sql_lower: false },
        nullable: false,
        path: None,
    }
}

impl Column {
    /// The column itself, qualified with the table.
    pub fn raw(&self) -> SimpleExpr {
        Expr::col((Ident(self.table), Ident(self.name))).into()
    }

    /// What comparisons and sorting use: the column, `lower(column)`, or the property a path
    /// names in the column's JSON.
    pub fn expr(&self) -> SimpleExpr {
        if let Some(path) = self.path {
            return Func::cust(Ident("json_extract"))
                .arg(self.raw())
                .arg(Expr::val(format!("$.{path}")))
                .into();
        }
        match self.ty {
            ColumnType::Text { sql_lower: true } => Func::lower(self.raw()).into(),
            _ => self.raw(),
        }
    }

    /// The SQL value of an OData literal compared with this column: strings lower-cased with
    /// [`fold_case`], enums by number, date-times as the stored fixed-width text.
    pub fn literal(&self, value: &odata::Value) -> SqlValue {
        match value {
            odata::Value::String(s) => SqlValue::from(fold_case(s)),
            odata::Value::Boolean(b) => SqlValue::from(*b),
            odata::Value::Int(n) => SqlValue::from(*n),
            odata::Value::DateTime(dt) => SqlValue::from(dt.to_string()),
            odata::Value::Enum(e) => SqlValue::from(e.value),
        }
    }

    /// The value [`Column::expr`] has for the entity stored as `row`.
    pub fn value_in(&self, row: &Row) -> KeyValue {
        if let Some(path) = self.path {
            let text = match row.0.get(self.index) {
                Some(Cell::Text(s)) => serde_json::from_str::<serde_json::Value>(s)
                    .ok()
                    .and_then(|v| v.get(path).and_then(|p| p.as_str()).map(str::to_owned)),
                _ => None,
            };
            return text.map_or(KeyValue::Null, KeyValue::Text);
        }
        match row.0.get(self.index) {
            Some(Cell::Text(s)) => match self.ty {
                ColumnType::Text { sql_lower: true } => KeyValue::Text(fold_case(s)),
                _ => KeyValue::Text(s.clone()),
            },
            Some(Cell::Int(n)) => KeyValue::Int(*n),
            Some(Cell::Bool(b)) => KeyValue::Bool(*b),
            // Collections are not sortable; the parser never lets one into `$orderby`.
            Some(Cell::Null | Cell::Blob(_)) | None => KeyValue::Null,
        }
    }

    /// Whether a cursor value has the type this column's values have.
    pub fn accepts(&self, v: &KeyValue) -> bool {
        match (v, self.ty) {
            (KeyValue::Null, _) => self.nullable,
            (KeyValue::Text(_), ColumnType::Text { .. } | ColumnType::DateTime) => true,
            (KeyValue::Int(_), ColumnType::Int) | (KeyValue::Bool(_), ColumnType::Bool) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entity::Nullable;
    use crate::model::PROFILES;

    #[test]
    fn every_filterable_member_has_a_column_and_no_other() {
        let layout = PROFILES.layout();
        for p in layout.schema.properties {
            assert_eq!(column(layout, p.name).is_ok(), p.filterable, "{}", p.name);
            if let Ok(c) = column(layout, p.name) {
                let m = &layout.members[layout.member(p.name).expect("member")];
                // A column holds NULLs only for a nullable member (the tenant column never does).
                assert!(!c.nullable || m.nullable == Nullable::Yes, "{}", p.name);
                assert_eq!(
                    c.nullable,
                    m.nullable == Nullable::Yes && p.name != "accountId"
                );
            }
        }
        assert!(column(layout, "qrCodeImage").is_err());
        assert_eq!(
            column(layout, "displayName").unwrap().name,
            "display_name_key"
        );
        // A sealed member compares its keyed hash, which the store puts in the literal's place;
        // one without a hash column has no query column.
        let token = column(layout, "tokenValue").unwrap();
        assert_eq!(token.name, "token_value_hash");
        assert_eq!(token.ty, ColumnType::Text { sql_lower: false });
        assert!(column(layout, "qrCodeContent").is_err());
        assert!(column(layout, "wifiPassword").is_err());
    }

    #[test]
    fn date_literals_have_the_stored_form() {
        let stored = crate::model::Timestamp::parse("0001-01-01T00:00:00Z").expect("ts");
        let lit = odata::DateTimeUtc::parse("0001-01-01T00:00:00Z").expect("lit");
        assert_eq!(lit.to_string(), stored.to_string());
        let stored = crate::model::Timestamp::parse("2026-11-22T10:15:30.1234567+01:00");
        let lit = odata::DateTimeUtc::parse("2026-11-22T10:15:30.1234567+01:00").expect("lit");
        assert_eq!(lit.to_string(), stored.expect("ts").to_string());
    }
}
