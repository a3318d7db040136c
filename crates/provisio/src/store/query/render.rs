//! Entities rendered by SQLite: one SQL expression (`json_object`) that turns a stored row into
//! the entity's JSON object, with
//! `@odata.type` first and the selected members in response order — the same members and values
//! [`EntityJson`](crate::model::output::EntityJson) writes from a [`Profile`](crate::model::Profile).
//!
//! A page of a list is read this way: the database hands over one text value per row instead of
//! some thirty column values, each of which the driver would copy and the service would decode,
//! only to write them out again as JSON. The QR image (base64 of a binary column) is the one
//! member it cannot write; pages that select it are read as profiles. (PostgreSQL's
//! `json_build_object` measured slower than writing the JSON in the service, so the PostgreSQL
//! store does that.)

use anyhow::bail;

use super::columns::TABLE;
use crate::model::output::ODATA_TYPE;
use crate::model::{EnrollmentMode, EnrollmentTokenType, Member, WifiSecurityType};

/// The expression of the JSON object with `@odata.type` and `members` (in the order given, which
/// should be response order). Fails for [`Member::QrCodeImage`].
pub fn entity_object(members: &[Member]) -> anyhow::Result<String> {
    let mut args = vec![quoted("@odata.type"), quoted(ODATA_TYPE)];
    for &m in members {
        args.push(quoted(m.name()));
        args.push(value(m)?);
    }
    Ok(format!("json_object({})", args.join(", ")))
}

/// The SQL of one member's JSON value in the row.
fn value(m: Member) -> anyhow::Result<String> {
    Ok(match m {
        Member::Id => col("id"),
        Member::AccountId => col("tenant_id"),
        Member::DisplayName => col("display_name"),
        Member::Description => col("description"),
        Member::EnrollmentMode => names(&col("enrollment_mode"), EnrollmentMode::MEMBERS),
        Member::EnrollmentTokenType => {
            names(&col("enrollment_token_type"), EnrollmentTokenType::MEMBERS)
        }
        Member::CreatedDateTime => col("created_at"),
        Member::LastModifiedDateTime => col("last_modified_at"),
        Member::TokenValue => col("token_value"),
        Member::TokenCreationDateTime => col("token_created_at"),
        Member::TokenExpirationDateTime => col("token_expires_at"),
        Member::EnrolledDeviceCount => col("enrolled_device_count"),
        Member::EnrollmentTokenUsageCount => col("token_usage_count"),
        // A profile with a token always has its QR content; without a token it has none.
        Member::QrCodeContent => {
            format!(
                "CASE WHEN {} IS NULL THEN NULL ELSE COALESCE({}, '') END",
                col("token_value"),
                col("qr_code_content")
            )
        }
        Member::QrCodeImage => bail!("the QR image cannot be rendered by the database"),
        // Stored as the JSON text of the array.
        Member::RoleScopeTagIds => format!("json({})", col("role_scope_tag_ids")),
        Member::ConfigureWifi => boolean(&col("configure_wifi")),
        Member::WifiSsid => col("wifi_ssid"),
        Member::WifiPassword => col("wifi_password"),
        Member::WifiSecurityType => names(&col("wifi_security_type"), WifiSecurityType::MEMBERS),
        Member::WifiHidden => boolean(&col("wifi_hidden")),
        Member::IsTeamsDeviceProfile => boolean(&col("is_teams_device_profile")),
        Member::DeviceNameTemplate => col("device_name_template"),
    })
}

/// An enum column's member name, from its stored number.
fn names(column: &str, members: &[(&str, i64)]) -> String {
    let arms: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("WHEN {value} THEN {}", quoted(name)))
        .collect();
    format!("CASE {column} {} END", arms.join(" "))
}

/// A Boolean column (0 or 1) as JSON `true`/`false`, which only the JSON text gives.
fn boolean(column: &str) -> String {
    format!("json(CASE WHEN {column} THEN 'true' ELSE 'false' END)")
}

/// A column of the table, qualified (a filter's subquery may have columns of the same name).
fn col(name: &str) -> String {
    format!("\"{}\".\"{name}\"", TABLE.0)
}

/// A constant as an SQL string literal. Only the service's own names get here, never user input;
/// quotes are doubled all the same.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_but_the_image_has_an_expression() {
        for m in Member::ALL {
            assert_eq!(value(m).is_ok(), m != Member::QrCodeImage, "{m:?}");
        }
        let sql = entity_object(&[Member::Id, Member::EnrollmentMode]).unwrap();
        assert_eq!(
            sql,
            "json_object('@odata.type', '#microsoft.graph.androidDeviceOwnerEnrollmentProfile', \
             'id', \"enrollment_profiles\".\"id\", 'enrollmentMode', \
             CASE \"enrollment_profiles\".\"enrollment_mode\" \
             WHEN 0 THEN 'corporateOwnedDedicatedDevice' WHEN 1 THEN 'corporateOwnedFullyManaged' \
             WHEN 2 THEN 'corporateOwnedWorkProfile' WHEN 3 THEN 'corporateOwnedAOSPUserlessDevice' \
             WHEN 4 THEN 'corporateOwnedAOSPUserAssociatedDevice' END)"
        );
        assert!(entity_object(&[Member::QrCodeImage]).is_err());
    }
}
