//! The mapping between a [`Profile`] and its table row, shared by the backends: plain column
//! values in one fixed column order.

use anyhow::{anyhow, Context as _};

use crate::model::{
    EnrollmentMode, EnrollmentTokenType, MembershipTarget, MembershipTargetType, Profile,
    ProfileId, Sensitive, TenantId, Timestamp, Token, Wifi, WifiSecurityType,
};

/// Column names in bind order; the QR image is last so that queries that skip it never read it.
pub const COLUMNS: [&str; 30] = [
    "tenant_id",
    "id",
    "version",
    "display_name",
    "display_name_key",
    "description",
    "description_key",
    "enrollment_mode",
    "enrollment_token_type",
    "created_at",
    "last_modified_at",
    "token_value",
    "token_created_at",
    "token_expires_at",
    "enrolled_device_count",
    "token_usage_count",
    "role_scope_tag_ids",
    "role_scope_tag_keys",
    "configure_wifi",
    "wifi_ssid",
    "wifi_ssid_key",
    "wifi_password",
    "wifi_security_type",
    "wifi_hidden",
    "is_teams_device_profile",
    "device_name_template",
    "membership_target_type",
    "membership_target_id",
    "qr_code_content",
    "qr_code_png",
];

/// A profile as column values.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct ProfileRow {
    pub tenant_id: String,
    pub id: String,
    pub version: i64,
    pub display_name: String,
    pub display_name_key: String,
    pub description: Option<String>,
    pub description_key: Option<String>,
    pub enrollment_mode: i64,
    pub enrollment_token_type: i64,
    pub created_at: String,
    pub last_modified_at: String,
    pub token_value: Option<String>,
    pub token_created_at: String,
    pub token_expires_at: String,
    pub enrolled_device_count: i64,
    pub token_usage_count: i64,
    pub role_scope_tag_ids: String,
    pub role_scope_tag_keys: String,
    pub configure_wifi: bool,
    pub wifi_ssid: Option<String>,
    pub wifi_ssid_key: Option<String>,
    pub wifi_password: Option<String>,
    pub wifi_security_type: i64,
    pub wifi_hidden: bool,
    pub is_teams_device_profile: bool,
    pub device_name_template: Option<String>,
    pub membership_target_type: Option<i64>,
    pub membership_target_id: Option<String>,
    pub qr_code_content: Option<String>,
    pub qr_code_png: Option<Vec<u8>>,
}

/// The lower-cased form that case-insensitive comparison and sorting use, on every backend.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// The JSON array of lower-cased role scope tags that `roleScopeTagIds/any(...)` compares with.
pub fn tag_keys(tags: &[String]) -> String {
    let keys: Vec<String> = tags.iter().map(|t| fold_case(t)).collect();
    serde_json::Value::from(keys).to_string()
}

impl ProfileRow {
    /// The row that stores `p`.
    pub fn from_profile(p: &Profile) -> Self {
        let token = p.token.as_ref();
        ProfileRow {
            tenant_id: p.tenant.to_string(),
            id: p.id.to_string(),
            version: p.version,
            display_name: p.display_name.clone(),
            display_name_key: fold_case(&p.display_name),
            description: p.description.clone(),
            description_key: p.description.as_deref().map(fold_case),
            enrollment_mode: p.enrollment_mode.value(),
            enrollment_token_type: p.enrollment_token_type.value(),
            created_at: p.created.to_string(),
            last_modified_at: p.last_modified.to_string(),
            token_value: token.map(|t| t.value.expose().to_owned()),
            token_created_at: p.token_created().to_string(),
            token_expires_at: p.token_expires().to_string(),
            enrolled_device_count: p.enrolled_device_count.into(),
            token_usage_count: p.token_usage_count.into(),
            role_scope_tag_ids: serde_json::Value::from(p.role_scope_tag_ids.clone()).to_string(),
            role_scope_tag_keys: tag_keys(&p.role_scope_tag_ids),
            configure_wifi: p.wifi.configure,
            wifi_ssid: p.wifi.ssid.clone(),
            wifi_ssid_key: p.wifi.ssid.as_deref().map(fold_case),
            wifi_password: p.wifi.password.as_ref().map(|s| s.expose().to_owned()),
            wifi_security_type: p.wifi.security.value(),
            wifi_hidden: p.wifi.hidden,
            is_teams_device_profile: p.is_teams_device_profile,
            device_name_template: p.device_name_template.clone(),
            membership_target_type: p.membership_target.as_ref().map(|t| t.target_type.value()),
            membership_target_id: p.membership_target.as_ref().map(|t| t.target_id.clone()),
            qr_code_content: token.map(|t| t.qr_content.expose().to_owned()),
            qr_code_png: token.map(|t| t.qr_png.clone()),
        }
    }

    /// The profile this row stores. A row the service could not have written is an error.
    pub fn into_profile(self) -> anyhow::Result<Profile> {
        let ts = |name: &str, v: &str| {
            Timestamp::parse(v).ok_or_else(|| anyhow!("stored {name} '{v}' is not a date-time"))
        };
        let token = match self.token_value {
            Some(value) => Some(Token {
                value: Sensitive::new(value),
                created: ts("token_created_at", &self.token_created_at)?,
                expires: ts("token_expires_at", &self.token_expires_at)?,
                qr_content: Sensitive::new(self.qr_code_content.unwrap_or_default()),
                qr_png: self.qr_code_png.unwrap_or_default(),
            }),
            None => None,
        };
        let membership_target = match (self.membership_target_type, self.membership_target_id) {
            (Some(t), Some(id)) => Some(MembershipTarget {
                target_type: MembershipTargetType::from_value(t)
                    .ok_or_else(|| anyhow!("stored membership target type {t} is unknown"))?,
                target_id: id,
            }),
            _ => None,
        };
        Ok(Profile {
            tenant: TenantId::parse(&self.tenant_id)
                .ok_or_else(|| anyhow!("stored tenant id '{}' is not a GUID", self.tenant_id))?,
            id: ProfileId::parse(&self.id)
                .ok_or_else(|| anyhow!("stored id '{}' is not a GUID", self.id))?,
            version: self.version,
            display_name: self.display_name,
            description: self.description,
            enrollment_mode: EnrollmentMode::from_value(self.enrollment_mode).ok_or_else(|| {
                anyhow!("stored enrollment mode {} is unknown", self.enrollment_mode)
            })?,
            enrollment_token_type: EnrollmentTokenType::from_value(self.enrollment_token_type)
                .ok_or_else(|| {
                    anyhow!(
                        "stored token type {} is unknown",
                        self.enrollment_token_type
                    )
                })?,
            created: ts("created_at", &self.created_at)?,
            last_modified: ts("last_modified_at", &self.last_modified_at)?,
            token,
            enrolled_device_count: i32::try_from(self.enrolled_device_count)
                .context("stored enrolled device count")?,
            token_usage_count: i32::try_from(self.token_usage_count)
                .context("stored token usage count")?,
            role_scope_tag_ids: serde_json::from_str(&self.role_scope_tag_ids)
                .context("stored role scope tag ids")?,
            wifi: Wifi {
                configure: self.configure_wifi,
                ssid: self.wifi_ssid,
                password: self.wifi_password.map(Sensitive::new),
                security: WifiSecurityType::from_value(self.wifi_security_type).ok_or_else(
                    || {
                        anyhow!(
                            "stored Wi-Fi security type {} is unknown",
                            self.wifi_security_type
                        )
                    },
                )?,
                hidden: self.wifi_hidden,
            },
            is_teams_device_profile: self.is_teams_device_profile,
            device_name_template: self.device_name_template,
            membership_target,
        })
    }
}

/// Binds `r`'s values for every column after the key (`version` to `qr_code_png`), in
/// [`COLUMNS`] order, on any backend.
pub fn bind_values<'q, DB>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    r: ProfileRow,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(r.version)
        .bind(r.display_name)
        .bind(r.display_name_key)
        .bind(r.description)
        .bind(r.description_key)
        .bind(r.enrollment_mode)
        .bind(r.enrollment_token_type)
        .bind(r.created_at)
        .bind(r.last_modified_at)
        .bind(r.token_value)
        .bind(r.token_created_at)
        .bind(r.token_expires_at)
        .bind(r.enrolled_device_count)
        .bind(r.token_usage_count)
        .bind(r.role_scope_tag_ids)
        .bind(r.role_scope_tag_keys)
        .bind(r.configure_wifi)
        .bind(r.wifi_ssid)
        .bind(r.wifi_ssid_key)
        .bind(r.wifi_password)
        .bind(r.wifi_security_type)
        .bind(r.wifi_hidden)
        .bind(r.is_teams_device_profile)
        .bind(r.device_name_template)
        .bind(r.membership_target_type)
        .bind(r.membership_target_id)
        .bind(r.qr_code_content)
        .bind(r.qr_code_png)
}

/// Reads a row selected with every column of [`COLUMNS`], in that order, on any backend
/// (by position: a lookup by name hashes the name for every value of every row).
pub fn read<'r, R>(r: &'r R) -> Result<ProfileRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProfileRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        version: r.try_get(2)?,
        display_name: r.try_get(3)?,
        display_name_key: r.try_get(4)?,
        description: r.try_get(5)?,
        description_key: r.try_get(6)?,
        enrollment_mode: r.try_get(7)?,
        enrollment_token_type: r.try_get(8)?,
        created_at: r.try_get(9)?,
        last_modified_at: r.try_get(10)?,
        token_value: r.try_get(11)?,
        token_created_at: r.try_get(12)?,
        token_expires_at: r.try_get(13)?,
        enrolled_device_count: r.try_get(14)?,
        token_usage_count: r.try_get(15)?,
        role_scope_tag_ids: r.try_get(16)?,
        role_scope_tag_keys: r.try_get(17)?,
        configure_wifi: r.try_get(18)?,
        wifi_ssid: r.try_get(19)?,
        wifi_ssid_key: r.try_get(20)?,
        wifi_password: r.try_get(21)?,
        wifi_security_type: r.try_get(22)?,
        wifi_hidden: r.try_get(23)?,
        is_teams_device_profile: r.try_get(24)?,
        device_name_template: r.try_get(25)?,
        membership_target_type: r.try_get(26)?,
        membership_target_id: r.try_get(27)?,
        qr_code_content: r.try_get(28)?,
        qr_code_png: r.try_get(29)?,
    })
}
