//! The entity as JSON: every member in response order, or the `$select`ed ones.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::members::Member;
use super::Profile;

/// Which members a response shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// All 23 members (a GET by id, a create, a PATCH with a representation).
    All,
    /// All members but `qrCodeImage` (a list without `$select`: the image is large).
    AllButImage,
    /// Exactly these members, in response order.
    Only(Vec<Member>),
}

impl Selection {
    fn includes(&self, m: Member) -> bool {
        match self {
            Selection::All => true,
            Selection::AllButImage => m != Member::QrCodeImage,
            Selection::Only(list) => list.contains(&m),
        }
    }
}

/// The entity's `@odata.type`.
pub const ODATA_TYPE: &str = "#microsoft.graph.androidDeviceOwnerEnrollmentProfile";

/// Renders `p` as a JSON object: `@odata.type`, then the selected members in response order.
pub fn entity_json(p: &Profile, selection: &Selection) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("@odata.type".into(), Value::from(ODATA_TYPE));
    for m in Member::ALL {
        if selection.includes(m) {
            out.insert(m.name().into(), member_value(p, m));
        }
    }
    out
}

fn member_value(p: &Profile, m: Member) -> Value {
    let token = p.token.as_ref();
    match m {
        Member::Id => Value::from(p.id.to_string()),
        Member::AccountId => Value::from(p.tenant.to_string()),
        Member::DisplayName => Value::from(p.display_name.as_str()),
        Member::Description => p.description.as_deref().map_or(Value::Null, Value::from),
        Member::EnrollmentMode => Value::from(p.enrollment_mode.name()),
        Member::EnrollmentTokenType => Value::from(p.enrollment_token_type.name()),
        Member::CreatedDateTime => Value::from(p.created.to_string()),
        Member::LastModifiedDateTime => Value::from(p.last_modified.to_string()),
        Member::TokenValue => token.map_or(Value::Null, |t| Value::from(t.value.expose())),
        Member::TokenCreationDateTime => Value::from(p.token_created().to_string()),
        Member::TokenExpirationDateTime => Value::from(p.token_expires().to_string()),
        Member::EnrolledDeviceCount => Value::from(p.enrolled_device_count),
        Member::EnrollmentTokenUsageCount => Value::from(p.token_usage_count),
        Member::QrCodeContent => token.map_or(Value::Null, |t| Value::from(t.qr_content.expose())),
        Member::QrCodeImage => token.map_or(Value::Null, |t| {
            json!({
                "@odata.type": "microsoft.graph.mimeContent",
                "type": "image/png",
                "value": base64::engine::general_purpose::STANDARD.encode(&t.qr_png),
            })
        }),
        Member::RoleScopeTagIds => Value::from(p.role_scope_tag_ids.clone()),
        Member::ConfigureWifi => Value::from(p.wifi.configure),
        Member::WifiSsid => p.wifi.ssid.as_deref().map_or(Value::Null, Value::from),
        Member::WifiPassword => p
            .wifi
            .password
            .as_ref()
            .map_or(Value::Null, |s| Value::from(s.expose())),
        Member::WifiSecurityType => Value::from(p.wifi.security.name()),
        Member::WifiHidden => Value::from(p.wifi.hidden),
        Member::IsTeamsDeviceProfile => Value::from(p.is_teams_device_profile),
        Member::DeviceNameTemplate => p
            .device_name_template
            .as_deref()
            .map_or(Value::Null, Value::from),
    }
}
