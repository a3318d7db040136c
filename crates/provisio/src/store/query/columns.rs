//! Where each queryable member lives in the table, and how it compares: the SQL expression that
//! `$filter` and `$orderby` use for it, the literal conversion, and the same value read from a
//! [`ProfileRow`] (for the keyset cursor), so that the three always agree.

use anyhow::anyhow;
use sea_query::{Expr, Func, Iden, SimpleExpr, Value as SqlValue};

use super::order::KeyValue;
use crate::store::row::{fold_case, ProfileRow};

/// The profiles table.
pub const TABLE: Ident = Ident("enrollment_profiles");

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
    /// the lower-cased value (the `*_key` columns, and ids, which are stored in lower case); true
    /// when SQL's `lower()` is applied, which is only done for columns whose values are ASCII
    /// (SQLite's `lower()` folds ASCII only).
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
    /// A JSON array of lower-cased strings (`roleScopeTagIds`).
    Tags,
}

/// One queryable member and the column behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The member's JSON name.
    pub member: &'static str,
    /// The column compared and sorted.
    pub name: &'static str,
    /// How values compare.
    pub ty: ColumnType,
    /// Whether the column holds NULLs.
    pub nullable: bool,
}

const fn col(member: &'static str, name: &'static str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        member,
        name,
        ty,
        nullable,
    }
}

const KEY: ColumnType = ColumnType::Text { sql_lower: false };
const LOWER: ColumnType = ColumnType::Text { sql_lower: true };

/// Every member `$filter` or `$orderby` may use.
pub const COLUMNS: [Column; 20] = [
    col("id", "id", KEY, false),
    col("accountId", "tenant_id", KEY, false),
    col("displayName", "display_name_key", KEY, false),
    col("description", "description_key", KEY, true),
    col("enrollmentMode", "enrollment_mode", ColumnType::Int, false),
    col(
        "enrollmentTokenType",
        "enrollment_token_type",
        ColumnType::Int,
        false,
    ),
    col("createdDateTime", "created_at", ColumnType::DateTime, false),
    col(
        "lastModifiedDateTime",
        "last_modified_at",
        ColumnType::DateTime,
        false,
    ),
    col("tokenValue", "token_value", LOWER, true),
    col(
        "tokenCreationDateTime",
        "token_created_at",
        ColumnType::DateTime,
        false,
    ),
    col(
        "tokenExpirationDateTime",
        "token_expires_at",
        ColumnType::DateTime,
        false,
    ),
    col(
        "enrolledDeviceCount",
        "enrolled_device_count",
        ColumnType::Int,
        false,
    ),
    col(
        "enrollmentTokenUsageCount",
        "token_usage_count",
        ColumnType::Int,
        false,
    ),
    col("qrCodeContent", "qr_code_content", LOWER, true),
    col(
        "roleScopeTagIds",
        "role_scope_tag_keys",
        ColumnType::Tags,
        false,
    ),
    col("configureWifi", "configure_wifi", ColumnType::Bool, false),
    col("wifiSsid", "wifi_ssid_key", KEY, true),
    col(
        "wifiSecurityType",
        "wifi_security_type",
        ColumnType::Int,
        false,
    ),
    col("wifiHidden", "wifi_hidden", ColumnType::Bool, false),
    col(
        "isTeamsDeviceProfile",
        "is_teams_device_profile",
        ColumnType::Bool,
        false,
    ),
];

/// The column of the `id` tie-break.
pub const ID: &Column = &COLUMNS[0];

/// The column behind a member named in a query.
pub fn column(member: &str) -> anyhow::Result<&'static Column> {
    COLUMNS
        .iter()
        .find(|c| c.member == member)
        .ok_or_else(|| anyhow!("the member '{member}' has no query column"))
}

impl Column {
    /// The column itself, qualified with the table.
    pub fn raw(&self) -> SimpleExpr {
        Expr::col((TABLE, Ident(self.name))).into()
    }

    /// What comparisons and sorting use: the column, or `lower(column)`.
    pub fn expr(&self) -> SimpleExpr {
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

    /// The value [`Column::expr`] has for the profile stored as `row`.
    pub fn value_in(&self, row: &ProfileRow) -> KeyValue {
        let text = |s: &str| KeyValue::Text(s.to_owned());
        let folded = |s: &Option<String>| s.as_deref().map_or(KeyValue::Null, text);
        let lowered = |s: &Option<String>| {
            s.as_deref()
                .map_or(KeyValue::Null, |s| KeyValue::Text(fold_case(s)))
        };
        match self.name {
            "id" => text(&row.id),
            "tenant_id" => text(&row.tenant_id),
            "display_name_key" => text(&row.display_name_key),
            "description_key" => folded(&row.description_key),
            "enrollment_mode" => KeyValue::Int(row.enrollment_mode),
            "enrollment_token_type" => KeyValue::Int(row.enrollment_token_type),
            "created_at" => text(&row.created_at),
            "last_modified_at" => text(&row.last_modified_at),
            "token_value" => lowered(&row.token_value),
            "token_created_at" => text(&row.token_created_at),
            "token_expires_at" => text(&row.token_expires_at),
            "enrolled_device_count" => KeyValue::Int(row.enrolled_device_count),
            "token_usage_count" => KeyValue::Int(row.token_usage_count),
            "qr_code_content" => lowered(&row.qr_code_content),
            "configure_wifi" => KeyValue::Bool(row.configure_wifi),
            "wifi_ssid_key" => folded(&row.wifi_ssid_key),
            "wifi_security_type" => KeyValue::Int(row.wifi_security_type),
            "wifi_hidden" => KeyValue::Bool(row.wifi_hidden),
            "is_teams_device_profile" => KeyValue::Bool(row.is_teams_device_profile),
            // Collections are not sortable; the parser never lets one into `$orderby`.
            _ => KeyValue::Null,
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
    use crate::model::{schema::schema, Member};

    #[test]
    fn every_filterable_member_has_a_column_and_no_other() {
        for p in schema().properties {
            assert_eq!(column(p.name).is_ok(), p.filterable, "{}", p.name);
            if let Ok(c) = column(p.name) {
                let m = Member::from_name(p.name).expect("member");
                let stored_null =
                    p.nullable && !matches!(m, Member::AccountId | Member::RoleScopeTagIds);
                assert_eq!(c.nullable, stored_null, "{}", p.name);
            }
        }
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
