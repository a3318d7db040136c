//! The body of a create or PATCH of any entity set, read member by member from the set's
//! declaration: every known member is type-checked, client-settable members become [`Patch`]
//! values (after their own rule), read-only members are checked and ignored, and anything else
//! is refused with a message that names it.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::entity::{Entity, EntitySet, Input, MemberType, Owned};
use super::rules::InvalidInput;
use super::{Profile, ProfileId, TenantId, Timestamp};

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

/// The members found in a create or PATCH body of an entity set: each settable member's
/// [`Patch`], in the order the body gave them. Read-only members were type-checked and dropped.
#[derive(Debug)]
pub struct Body<E: 'static> {
    set: &'static EntitySet<E>,
    values: Vec<(usize, Patch<Owned>)>,
}

impl<E> Clone for Body<E> {
    fn clone(&self) -> Self {
        Body {
            set: self.set,
            values: self.values.clone(),
        }
    }
}

/// A profile's create or PATCH body.
pub type ProfileInput = Body<Profile>;

impl<E: Entity> Body<E> {
    /// Reads a request body that must be a JSON object of entity members.
    pub fn from_json(body: &Value) -> Result<Self, InvalidInput> {
        let set = E::set();
        let Value::Object(map) = body else {
            return Err(InvalidInput(format!(
                "The request body must be a JSON object of '{}' members, not {}.",
                set.qualified_type(),
                json_kind(body)
            )));
        };
        let mut input = Body {
            set,
            values: Vec::new(),
        };
        for (key, value) in map {
            if key == "@odata.type" {
                check_odata_type(&set.qualified_type(), value)?;
                continue;
            }
            let Some((i, member)) = set.member(key) else {
                if key.starts_with('@') || key.contains("@odata.") {
                    // Instance annotations (e.g. "@odata.etag", "x@odata.type") carry no data.
                    continue;
                }
                return Err(InvalidInput(format!(
                    "The property '{}' does not exist on type '{}'. Make sure to only use property names that are defined by the type.",
                    truncate(key, 120),
                    set.qualified_type()
                )));
            };
            let read = read_value(member.name, member.ty, member.null_allowed(), value)?;
            match member.input {
                Input::ReadOnly => {}
                Input::Settable { check, .. } => {
                    if let (Some(check), Patch::Value(v)) = (check, &read) {
                        check(v)?;
                    }
                    // The strict JSON reader refused duplicate keys: each member comes once.
                    input.values.push((i, read));
                }
            }
        }
        Ok(input)
    }

    /// The value the body gives the member called `name`, if it names it.
    pub fn get(&self, name: &str) -> Option<&Patch<Owned>> {
        self.values
            .iter()
            .find(|(i, _)| self.set.members[*i].name == name)
            .map(|(_, v)| v)
    }

    /// Builds the entity a create stores: required members must be present, every other member
    /// takes its default when absent or null; then the set's own rules run.
    pub fn into_new(self, tenant: TenantId, id: Uuid, now: Timestamp) -> Result<E, InvalidInput> {
        for m in self.set.members {
            if let Input::Settable { required: true, .. } = m.input {
                if !matches!(self.get(m.name), Some(Patch::Value(_))) {
                    return Err(InvalidInput::member(
                        m.name,
                        format!("the property is required when creating {}", self.set.a_noun),
                    ));
                }
            }
        }
        let set = self.set;
        let mut e = set.new_entity(tenant, id, now);
        self.apply(&mut e)?;
        (set.check)(&e)?;
        Ok(e)
    }

    /// Applies the present members to `e`, without the set's own rules (see
    /// [`EntitySet::check`]). Null on a non-nullable member leaves its value (the body reader
    /// already refused it).
    pub fn apply(self, e: &mut E) -> Result<(), InvalidInput> {
        for (i, patch) in self.values {
            let m = &self.set.members[i];
            let value = match patch {
                Patch::Absent => continue,
                Patch::Null => Owned::Null,
                Patch::Value(v) => v,
            };
            (m.set)(e, value).map_err(|err| InvalidInput::member(m.name, err))?;
        }
        Ok(())
    }
}

/// Reads one member's value from a body, by its type: `Patch::Null` for a null the member
/// allows, `Patch::Value` for a well-typed value, an error naming the member otherwise.
fn read_value(
    name: &str,
    ty: MemberType,
    nullable: bool,
    v: &Value,
) -> Result<Patch<Owned>, InvalidInput> {
    if v.is_null() {
        return if nullable {
            Ok(Patch::Null)
        } else {
            Err(null_refused(name))
        };
    }
    let value = match (ty, v) {
        (MemberType::String, Value::String(s)) => Owned::Str(s.clone()),
        (MemberType::GuidString | MemberType::Guid, Value::String(s)) => {
            match ProfileId::parse(s) {
                Some(id) => Owned::Uuid(id.0),
                None => return Err(InvalidInput::member(name, "expected a GUID string")),
            }
        }
        (MemberType::GuidString | MemberType::Guid, _) => {
            return Err(InvalidInput::member(name, "expected a GUID string"))
        }
        (MemberType::Int32, Value::Number(n))
            if n.as_i64().and_then(|i| i32::try_from(i).ok()).is_some() =>
        {
            Owned::Int(n.as_i64().unwrap_or_default())
        }
        (MemberType::Int64, Value::Number(n)) if n.as_i64().is_some() => {
            Owned::Int(n.as_i64().unwrap_or_default())
        }
        (MemberType::Boolean, Value::Bool(b)) => Owned::Bool(*b),
        (MemberType::DateTime, Value::String(s)) => match Timestamp::parse(s) {
            Some(t) => Owned::Time(t),
            None => {
                return Err(InvalidInput::member(
                    name,
                    "expected an RFC 3339 date-time string such as 2030-01-02T03:04:05Z",
                ))
            }
        },
        (MemberType::DateTime, _) => {
            return Err(InvalidInput::member(
                name,
                "expected an RFC 3339 date-time string such as 2030-01-02T03:04:05Z",
            ))
        }
        (MemberType::Enum(decl), Value::String(s)) => match decl.value_of(s) {
            Some(n) => Owned::Int(n),
            None => {
                return Err(InvalidInput::member(
                    name,
                    format!(
                        "'{}' is not one of {} (names are case-sensitive)",
                        truncate(s, 80),
                        decl.names()
                    ),
                ))
            }
        },
        (MemberType::Enum(decl), other) => {
            return Err(wrong_type(name, &format!("one of {}", decl.names()), other))
        }
        (MemberType::StringCollection, Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => return Err(wrong_type(name, "an array of strings", other)),
                }
            }
            Owned::Strings(out)
        }
        (MemberType::Image, Value::Object(o)) => {
            check_mime_content(name, o)?;
            Owned::Null
        }
        (MemberType::Complex(_), Value::Object(_))
        | (MemberType::ComplexCollection(_), Value::Array(_)) => Owned::Json(v.clone()),
        (ty, other) => return Err(wrong_type(name, kind_name(ty), other)),
    };
    Ok(Patch::Value(value))
}

fn check_odata_type(entity_type: &str, v: &Value) -> Result<(), InvalidInput> {
    match v {
        Value::String(s) if s.strip_prefix('#').unwrap_or(s) == entity_type => Ok(()),
        Value::String(s) => Err(InvalidInput(format!(
            "The '@odata.type' '{}' is not '#{entity_type}'; this collection holds only that type.",
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

fn kind_name(ty: MemberType) -> &'static str {
    match ty {
        MemberType::String | MemberType::GuidString | MemberType::Guid => "a string",
        MemberType::Int32 => "a 32-bit integer",
        MemberType::Int64 => "a 64-bit integer",
        MemberType::Boolean => "true or false",
        MemberType::DateTime => "a date-time string",
        MemberType::Enum(_) => "an enum member name",
        MemberType::StringCollection => "an array of strings",
        MemberType::ComplexCollection(_) => "an array",
        MemberType::Image | MemberType::Complex(_) => "an object",
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
