//! The entity as JSON: every member in response order, or the `$select`ed ones.

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{Serialize, SerializeMap as _, Serializer};
use serde_json::{Map, Value};

use uuid::Uuid;

use super::members::Member;
use super::timestamp::{Timestamp, TEXT_LEN};
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
    /// The members shown, in response order.
    pub fn members(&self) -> Vec<Member> {
        Member::ALL
            .into_iter()
            .filter(|m| self.includes(*m))
            .collect()
    }

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

/// `p` with the selected members, serialised straight into the response text: `@odata.type`,
/// then the members in response order. Nothing is built in between, so a page of 100 entities
/// costs its bytes, not thousands of intermediate JSON values.
#[derive(Clone, Copy, Debug)]
pub struct EntityJson<'a> {
    /// The `@odata.context` to put first (a single-entity response), if any.
    pub context: Option<&'a str>,
    /// The entity.
    pub profile: &'a Profile,
    /// Which members to show.
    pub selection: &'a Selection,
}

impl Serialize for EntityJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(context) = self.context {
            map.serialize_entry("@odata.context", context)?;
        }
        map.serialize_entry("@odata.type", ODATA_TYPE)?;
        for m in Member::ALL {
            if self.selection.includes(m) {
                map.serialize_entry(m.name(), &MemberJson(self.profile, m))?;
            }
        }
        map.end()
    }
}

/// Renders `p` as a JSON object (the same text as [`EntityJson`], as a value).
pub fn entity_json(p: &Profile, selection: &Selection) -> Map<String, Value> {
    let view = EntityJson {
        context: None,
        profile: p,
        selection,
    };
    match serde_json::to_value(view) {
        Ok(Value::Object(map)) => map,
        // Serialising into a value only fails for non-string map keys, which this has none of.
        _ => Map::new(),
    }
}

/// One member's value.
struct MemberJson<'a>(&'a Profile, Member);

/// The `microsoft.graph.mimeContent` of a QR code image.
struct PngJson<'a>(&'a [u8]);

impl Serialize for PngJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("@odata.type", "microsoft.graph.mimeContent")?;
        map.serialize_entry("type", "image/png")?;
        map.serialize_entry("value", &Base64(self.0))?;
        map.end()
    }
}

/// Bytes as standard base64 text, written without an intermediate string.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&Base64Display::new(self.0, &STANDARD))
    }
}

/// A date-time member, formatted on the stack.
fn time<S: Serializer>(s: S, t: Timestamp) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.write_text(&mut [0; TEXT_LEN]))
}

impl Serialize for MemberJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let MemberJson(p, m) = *self;
        let token = p.token.as_ref();
        match m {
            Member::Id => {
                s.serialize_str(p.id.0.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
            }
            Member::AccountId => s.serialize_str(
                p.tenant
                    .0
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer()),
            ),
            Member::DisplayName => s.serialize_str(&p.display_name),
            Member::Description => p.description.serialize(s),
            Member::EnrollmentMode => s.serialize_str(p.enrollment_mode.name()),
            Member::EnrollmentTokenType => s.serialize_str(p.enrollment_token_type.name()),
            Member::CreatedDateTime => time(s, p.created),
            Member::LastModifiedDateTime => time(s, p.last_modified),
            Member::TokenValue => token.map(|t| t.value.expose()).serialize(s),
            Member::TokenCreationDateTime => time(s, p.token_created()),
            Member::TokenExpirationDateTime => time(s, p.token_expires()),
            Member::EnrolledDeviceCount => s.serialize_i32(p.enrolled_device_count),
            Member::EnrollmentTokenUsageCount => s.serialize_i32(p.token_usage_count),
            Member::QrCodeContent => token.map(|t| t.qr_content.expose()).serialize(s),
            Member::QrCodeImage => token.map(|t| PngJson(&t.qr_png)).serialize(s),
            Member::RoleScopeTagIds => p.role_scope_tag_ids.serialize(s),
            Member::ConfigureWifi => s.serialize_bool(p.wifi.configure),
            Member::WifiSsid => p.wifi.ssid.serialize(s),
            Member::WifiPassword => p.wifi.password.as_ref().map(|w| w.expose()).serialize(s),
            Member::WifiSecurityType => s.serialize_str(p.wifi.security.name()),
            Member::WifiHidden => s.serialize_bool(p.wifi.hidden),
            Member::IsTeamsDeviceProfile => s.serialize_bool(p.is_teams_device_profile),
            Member::DeviceNameTemplate => p.device_name_template.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProfileId, Sensitive, TenantId, Timestamp, Token};

    fn profile() -> Profile {
        let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
        let tenant = TenantId(uuid::Uuid::from_u128(1));
        let id = ProfileId(uuid::Uuid::from_u128(2));
        Profile {
            description: Some("caf\u{e9} \"q\" \\ \u{1}".into()),
            token: Some(Token {
                value: Sensitive::new("ABCDEFGHIJKLMNOPQRST"),
                created: now,
                expires: now.plus_seconds(3600).unwrap(),
                qr_content: Sensitive::new("{\"k\":\"v\"}"),
                qr_png: vec![0x89, b'P', b'N', b'G', 0, 255, 7],
            }),
            role_scope_tag_ids: vec!["0".into(), "a b".into()],
            ..Profile::new(tenant, id, "Name".into(), now)
        }
    }

    #[test]
    fn members_are_written_in_response_order_with_valid_escapes() {
        let p = profile();
        let view = EntityJson {
            context: Some("ctx"),
            profile: &p,
            selection: &Selection::All,
        };
        let text = serde_json::to_string(&view).unwrap();
        let parsed: Map<String, Value> = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = parsed.keys().map(String::as_str).collect();
        let mut want = vec!["@odata.context", "@odata.type"];
        want.extend(Member::ALL.iter().map(|m| m.name()));
        assert_eq!(keys, want);
        assert_eq!(parsed["description"], "caf\u{e9} \"q\" \\ \u{1}");
        assert_eq!(parsed["id"], "00000000-0000-0000-0000-000000000002");
        assert_eq!(
            parsed["tokenExpirationDateTime"],
            "2026-11-22T11:15:30.1234567Z"
        );
        assert_eq!(parsed["enrolledDeviceCount"], 0);
        assert_eq!(
            parsed["qrCodeImage"]["value"],
            base64::Engine::encode(&STANDARD, [0x89, b'P', b'N', b'G', 0, 255, 7])
        );
        assert_eq!(parsed["roleScopeTagIds"], serde_json::json!(["0", "a b"]));
    }

    #[test]
    fn a_selection_narrows_the_members_and_a_missing_token_is_null() {
        let mut p = profile();
        p.token = None;
        let only = Selection::Only(vec![Member::DisplayName, Member::QrCodeImage]);
        let map = entity_json(&p, &only);
        assert_eq!(
            Value::Object(map).to_string(),
            format!(r#"{{"@odata.type":"{ODATA_TYPE}","displayName":"Name","qrCodeImage":null}}"#)
        );
        let no_image = entity_json(&profile(), &Selection::AllButImage);
        assert!(!no_image.contains_key("qrCodeImage") && no_image.contains_key("qrCodeContent"));
    }
}
