//! The body of a create or PATCH, read member by member: every known member is type-checked,
//! client-settable members become [`Patch`] values, read-only members are checked and ignored, and
//! anything else is refused with a message that names it.

use serde_json::{Map, Value};

use super::members::{Kind, Member};
use super::rules::{self, InvalidInput};
use super::{
    EnrollmentMode, EnrollmentTokenType, Profile, ProfileId, Sensitive, TenantId, Timestamp,
    WifiSecurityType,
};

/// The entity's qualified type name.
pub const ENTITY_TYPE: &str = "microsoft.graph.androidDeviceOwnerEnrollmentProfile";

/// A member of a PATCH body: absent (leave it), null (clear it) or a new value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    /// Not in the body: the stored value stays.
    #[default]
    Absent,
    /// `null`: the stored value is cleared.
    Null,
    /// A new value.
    Value(T),
}

impl<T> Patch<T> {
    /// Applies this patch to a nullable field.
    pub fn apply_to(self, field: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *field = None,
            Patch::Value(v) => *field = Some(v),
        }
    }

    /// Applies this patch to a non-nullable field (null was refused when the body was read).
    pub fn apply_to_required(self, field: &mut T) {
        if let Patch::Value(v) = self {
            *field = v;
        }
    }

    fn is_present(&self) -> bool {
        !matches!(self, Patch::Absent)
    }
}

/// The client-settable members found in a body.
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)]
pub struct ProfileInput {
    pub display_name: Patch<String>,
    pub description: Patch<String>,
    pub enrollment_mode: Patch<EnrollmentMode>,
    pub enrollment_token_type: Patch<EnrollmentTokenType>,
    pub role_scope_tag_ids: Patch<Vec<String>>,
    pub configure_wifi: Patch<bool>,
    pub wifi_ssid: Patch<String>,
    pub wifi_password: Patch<Sensitive>,
    pub wifi_security_type: Patch<WifiSecurityType>,
    pub wifi_hidden: Patch<bool>,
    pub is_teams_device_profile: Patch<bool>,
    pub device_name_template: Patch<String>,
}

/// What a change touched, so the caller knows whether the QR code must be drawn again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Changes {
    /// A member the QR payload depends on (mode, Wi-Fi) was present in the body.
    pub affects_qr: bool,
}

impl ProfileInput {
    /// Reads a request body that must be a JSON object of entity members.
    pub fn from_json(body: &Value) -> Result<Self, InvalidInput> {
        let Value::Object(map) = body else {
            return Err(InvalidInput(format!(
                "The request body must be a JSON object of '{ENTITY_TYPE}' members, not {}.",
                json_kind(body)
            )));
        };
        Self::from_map(map)
    }

    fn from_map(map: &Map<String, Value>) -> Result<Self, InvalidInput> {
        let mut input = ProfileInput::default();
        for (key, value) in map {
            if key == "@odata.type" {
                check_odata_type(value)?;
                continue;
            }
            let Some(member) = Member::from_name(key) else {
                if key.starts_with('@') || key.contains("@odata.") {
                    // Instance annotations (e.g. "@odata.etag", "x@odata.type") carry no data.
                    continue;
                }
                return Err(InvalidInput(format!(
                    "The property '{}' does not exist on type '{ENTITY_TYPE}'. Make sure to only use property names that are defined by the type.",
                    truncate(key, 120)
                )));
            };
            input.read_member(member, value)?;
        }
        Ok(input)
    }

    fn read_member(&mut self, m: Member, v: &Value) -> Result<(), InvalidInput> {
        let name = m.name();
        match m {
            Member::DisplayName => self.display_name = string(name, v, false, rules::display_name)?,
            Member::Description => self.description = string(name, v, true, rules::description)?,
            Member::WifiSsid => self.wifi_ssid = string(name, v, true, rules::wifi_ssid)?,
            Member::DeviceNameTemplate => {
                self.device_name_template = string(name, v, true, rules::device_name_template)?
            }
            Member::WifiPassword => {
                self.wifi_password = match string(name, v, true, |_| Ok(()))? {
                    Patch::Value(s) => Patch::Value(Sensitive::new(s)),
                    Patch::Null => Patch::Null,
                    Patch::Absent => Patch::Absent,
                }
            }
            Member::EnrollmentMode => {
                self.enrollment_mode =
                    enumeration(name, v, EnrollmentMode::from_name, EnrollmentMode::names)?
            }
            Member::EnrollmentTokenType => {
                self.enrollment_token_type = enumeration(
                    name,
                    v,
                    EnrollmentTokenType::from_name,
                    EnrollmentTokenType::names,
                )?
            }
            Member::WifiSecurityType => {
                self.wifi_security_type = enumeration(
                    name,
                    v,
                    WifiSecurityType::from_name,
                    WifiSecurityType::names,
                )?
            }
            Member::ConfigureWifi => self.configure_wifi = boolean(name, v)?,
            Member::WifiHidden => self.wifi_hidden = boolean(name, v)?,
            Member::IsTeamsDeviceProfile => self.is_teams_device_profile = boolean(name, v)?,
            Member::RoleScopeTagIds => self.role_scope_tag_ids = string_collection(name, v)?,
            read_only => check_read_only(read_only, v)?,
        }
        Ok(())
    }

    /// Builds the profile a create stores: `displayName` is required, every other member takes
    /// its default when absent or null.
    pub fn into_new_profile(
        self,
        tenant: TenantId,
        id: ProfileId,
        now: Timestamp,
    ) -> Result<Profile, InvalidInput> {
        let Patch::Value(name) = self.display_name.clone() else {
            return Err(InvalidInput::member(
                "displayName",
                "the property is required when creating a profile",
            ));
        };
        let mut p = Profile::new(tenant, id, name, now);
        self.apply(&mut p);
        rules::whole_profile(&p)?;
        Ok(p)
    }

    /// Applies the present members to `p` (without validating cross-member rules; see
    /// [`rules::whole_profile`]) and tells what the change touched.
    pub fn apply(self, p: &mut Profile) -> Changes {
        let affects_qr = self.enrollment_mode.is_present()
            || self.configure_wifi.is_present()
            || self.wifi_ssid.is_present()
            || self.wifi_password.is_present()
            || self.wifi_security_type.is_present()
            || self.wifi_hidden.is_present();
        self.display_name.apply_to_required(&mut p.display_name);
        self.description.apply_to(&mut p.description);
        self.enrollment_mode
            .apply_to_required(&mut p.enrollment_mode);
        self.enrollment_token_type
            .apply_to_required(&mut p.enrollment_token_type);
        self.role_scope_tag_ids
            .apply_to_required(&mut p.role_scope_tag_ids);
        self.configure_wifi.apply_to_required(&mut p.wifi.configure);
        self.wifi_ssid.apply_to(&mut p.wifi.ssid);
        self.wifi_password.apply_to(&mut p.wifi.password);
        self.wifi_security_type
            .apply_to_required(&mut p.wifi.security);
        self.wifi_hidden.apply_to_required(&mut p.wifi.hidden);
        self.is_teams_device_profile
            .apply_to_required(&mut p.is_teams_device_profile);
        self.device_name_template
            .apply_to(&mut p.device_name_template);
        Changes { affects_qr }
    }
}

fn check_odata_type(v: &Value) -> Result<(), InvalidInput> {
    match v {
        Value::String(s) if s.strip_prefix('#').unwrap_or(s) == ENTITY_TYPE => Ok(()),
        Value::String(s) => Err(InvalidInput(format!(
            "The '@odata.type' '{}' is not '#{ENTITY_TYPE}'; this collection holds only that type.",
            truncate(s, 120)
        ))),
        other => Err(InvalidInput(format!(
            "The '@odata.type' annotation must be a string, not {}.",
            json_kind(other)
        ))),
    }
}

fn null_refused(name: &str) -> InvalidInput {
    InvalidInput::member(name, "null is not allowed; the property cannot be null")
}

fn wrong_type(name: &str, expected: &str, v: &Value) -> InvalidInput {
    InvalidInput::member(name, format!("expected {expected}, got {}", json_kind(v)))
}

fn string(
    name: &str,
    v: &Value,
    nullable: bool,
    rule: impl Fn(&str) -> Result<(), InvalidInput>,
) -> Result<Patch<String>, InvalidInput> {
    match v {
        Value::Null if nullable => Ok(Patch::Null),
        Value::Null => Err(null_refused(name)),
        Value::String(s) => rule(s).map(|()| Patch::Value(s.clone())),
        other => Err(wrong_type(name, "a string", other)),
    }
}

fn boolean(name: &str, v: &Value) -> Result<Patch<bool>, InvalidInput> {
    match v {
        Value::Bool(b) => Ok(Patch::Value(*b)),
        Value::Null => Err(null_refused(name)),
        other => Err(wrong_type(name, "true or false", other)),
    }
}

fn enumeration<T>(
    name: &str,
    v: &Value,
    from_name: fn(&str) -> Option<T>,
    names: fn() -> String,
) -> Result<Patch<T>, InvalidInput> {
    match v {
        Value::String(s) => from_name(s).map(Patch::Value).ok_or_else(|| {
            InvalidInput::member(
                name,
                format!(
                    "'{}' is not one of {} (names are case-sensitive)",
                    truncate(s, 80),
                    names()
                ),
            )
        }),
        Value::Null => Err(null_refused(name)),
        other => Err(wrong_type(
            name,
            format!("one of {}", names()).as_str(),
            other,
        )),
    }
}

fn string_collection(name: &str, v: &Value) -> Result<Patch<Vec<String>>, InvalidInput> {
    match v {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len().min(rules::MAX_ROLE_SCOPE_TAGS + 1));
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => {
                        return Err(wrong_type(name, "an array of strings", other));
                    }
                }
                if out.len() > rules::MAX_ROLE_SCOPE_TAGS {
                    break;
                }
            }
            if items.len() > out.len() {
                return Err(InvalidInput::member(
                    name,
                    format!(
                        "at most {} scope tags are allowed (got {})",
                        rules::MAX_ROLE_SCOPE_TAGS,
                        items.len()
                    ),
                ));
            }
            rules::role_scope_tag_ids(&out)?;
            Ok(Patch::Value(out))
        }
        Value::Null => Err(null_refused(name)),
        other => Err(wrong_type(name, "an array of strings", other)),
    }
}

/// Read-only members are ignored, but only when their value has the member's type: a GET result
/// posts back cleanly, a wrong type is still an error.
fn check_read_only(m: Member, v: &Value) -> Result<(), InvalidInput> {
    let name = m.name();
    match (m.kind(), v) {
        (Kind::String { nullable: true } | Kind::MimeContent, Value::Null) => Ok(()),
        (_, Value::Null) => Err(null_refused(name)),
        (Kind::String { .. }, Value::String(_)) => Ok(()),
        (Kind::Guid, Value::String(s)) if ProfileId::parse(s).is_some() => Ok(()),
        (Kind::Guid, _) => Err(InvalidInput::member(name, "expected a GUID string")),
        (Kind::Int32, Value::Number(n))
            if n.as_i64().and_then(|i| i32::try_from(i).ok()).is_some() =>
        {
            Ok(())
        }
        (Kind::Int32, other) => Err(wrong_type(name, "a 32-bit integer", other)),
        (Kind::DateTime, Value::String(s)) if Timestamp::parse(s).is_some() => Ok(()),
        (Kind::DateTime, _) => Err(InvalidInput::member(
            name,
            "expected an RFC 3339 date-time string such as 2030-01-02T03:04:05Z",
        )),
        (Kind::MimeContent, Value::Object(o)) => check_mime_content(name, o),
        (kind, other) => Err(wrong_type(name, kind_name(kind), other)),
    }
}

fn check_mime_content(name: &str, o: &Map<String, Value>) -> Result<(), InvalidInput> {
    use base64::Engine as _;
    for (k, v) in o {
        match (k.as_str(), v) {
            ("@odata.type", Value::String(t))
                if t.trim_start_matches('#') == "microsoft.graph.mimeContent" => {}
            ("type", Value::String(_) | Value::Null) => {}
            ("value", Value::Null) => {}
            ("value", Value::String(s))
                if base64::engine::general_purpose::STANDARD.decode(s).is_ok() => {}
            ("value", _) => {
                return Err(InvalidInput::member(name, "'value' must be base64 text"));
            }
            (other, _) => {
                return Err(InvalidInput::member(
                    name,
                    format!(
                        "'{}' is not a valid member of microsoft.graph.mimeContent here",
                        truncate(other, 80)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::String { .. } | Kind::Guid => "a string",
        Kind::Int32 => "a 32-bit integer",
        Kind::Boolean => "true or false",
        Kind::DateTime => "a date-time string",
        Kind::Enum(_) => "an enum member name",
        Kind::StringCollection => "an array of strings",
        Kind::MimeContent => "an object",
    }
}

/// "a string", "an array", ... for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// At most `max` characters of `s`, for echoing client text in messages.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}
