//! An entity as JSON: every member in response order, or the `$select`ed ones, written from the
//! set's declaration, with the control information the request's `odata.metadata` level asks
//! for (docs/API.md, Response formats) and the entity's ETag (docs/API.md, ETags and lost
//! updates).

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{Serialize, SerializeMap as _, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::entity::{Entity, MemberType, Val};
use super::layout::Layout;
use super::timestamp::{Timestamp, TEXT_LEN};

/// Which members a response shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every member (a GET by id, a create, a PATCH with a representation, `$select=*`).
    All,
    /// The members a list shows without `$select` (large ones, such as images, are left out).
    Listed,
    /// Exactly these members (positions in the declaration), in response order.
    Only(Vec<usize>),
}

impl Selection {
    /// The members `names` name (each a member of `layout`), in response order, without
    /// duplicates; unknown names are skipped.
    pub fn of_names<'n>(layout: &Layout, names: impl IntoIterator<Item = &'n str>) -> Selection {
        let mut members: Vec<usize> = names.into_iter().filter_map(|n| layout.member(n)).collect();
        members.sort_unstable();
        members.dedup();
        Selection::Only(members)
    }

    /// Whether the member at position `i` of `layout` is shown.
    pub fn includes(&self, layout: &Layout, i: usize) -> bool {
        match self {
            Selection::All => true,
            Selection::Listed => layout.members.get(i).is_some_and(|m| m.listed),
            Selection::Only(list) => list.contains(&i),
        }
    }

    /// The members shown, in response order.
    pub fn members(&self, layout: &Layout) -> Vec<usize> {
        (0..layout.members.len())
            .filter(|i| self.includes(layout, *i))
            .collect()
    }

    /// Whether a member that lists leave out (an image) is shown.
    pub fn includes_unlisted(&self, layout: &Layout) -> bool {
        (0..layout.members.len()).any(|i| !layout.members[i].listed && self.includes(layout, i))
    }
}

/// How much control information a JSON response carries: the `odata.metadata` format
/// parameter (OData JSON Format 4.01, section 3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Metadata {
    /// `none`: only `@odata.count` and `@odata.nextLink` (section 3.1.3).
    None,
    /// `minimal`, the default: `@odata.context`, `@odata.type` and `@odata.etag` (3.1.1).
    #[default]
    Minimal,
    /// `full`: also each entity's `@odata.id` and `@odata.editLink` (3.1.2).
    Full,
}

impl Metadata {
    /// The parameter's value.
    pub fn name(self) -> &'static str {
        match self {
            Metadata::None => "none",
            Metadata::Minimal => "minimal",
            Metadata::Full => "full",
        }
    }

    /// Whether `@odata.context`, `@odata.type` and `@odata.etag` are written.
    pub fn annotated(self) -> bool {
        self != Metadata::None
    }
}

/// The control information of an entity: the level, and for `full` the URL of its collection,
/// which its `@odata.id` and `@odata.editLink` extend with its key.
#[derive(Clone, Copy, Debug)]
pub struct Control<'a> {
    /// The level asked for.
    pub metadata: Metadata,
    /// The absolute URL of the entity's collection (used with `full` only).
    pub collection_url: &'a str,
}

impl Control<'static> {
    /// `minimal`, what a request that asks for nothing else gets.
    pub const MINIMAL: Control<'static> = Control {
        metadata: Metadata::Minimal,
        collection_url: "",
    };

    /// The level `metadata` without links (every level but `full`).
    pub fn level(metadata: Metadata) -> Control<'static> {
        Control {
            metadata,
            collection_url: "",
        }
    }
}

/// The weak ETag of an entity at `version`: `W/"<version>"`. The version changes with every
/// stored edit and with nothing else (counters leave it alone), so the tag names the entity's
/// state independently of its representation (`$select`, metadata level), which is what a weak
/// tag promises (OData 4.01 Protocol, section 8.3.2).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// `entity` with the selected members, serialised straight into the response text:
/// `@odata.context` (when given), `@odata.type`, with `full` metadata `@odata.id`, the
/// `@odata.etag`, with `full` `@odata.editLink`, then the members in response order (the order
/// OData JSON 4.01 section 4.4 asks of a streamed payload). Nothing is built in between, so a
/// page of 100 entities costs its bytes, not thousands of intermediate JSON values.
#[derive(Clone, Copy, Debug)]
pub struct EntityJson<'a, E> {
    /// The `@odata.context` to put first (a single-entity response), if any.
    pub context: Option<&'a str>,
    /// The entity.
    pub entity: &'a E,
    /// Which members to show.
    pub selection: &'a Selection,
    /// Which control information to show.
    pub control: Control<'a>,
}

impl<E: Entity> Serialize for EntityJson<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let set = E::set();
        let layout = set.layout();
        let metadata = self.control.metadata;
        let mut map = serializer.serialize_map(None)?;
        if metadata.annotated() {
            if let Some(context) = self.context {
                map.serialize_entry("@odata.context", context)?;
            }
            map.serialize_entry("@odata.type", &layout.odata_type)?;
        }
        let link = (metadata == Metadata::Full).then(|| {
            let id = self.entity.id();
            format!("{}('{id}')", self.control.collection_url)
        });
        if let Some(link) = &link {
            map.serialize_entry("@odata.id", link)?;
        }
        if metadata.annotated() {
            map.serialize_entry("@odata.etag", &etag(self.entity.version()))?;
        }
        if let Some(link) = &link {
            map.serialize_entry("@odata.editLink", link)?;
        }
        for (i, m) in set.members.iter().enumerate() {
            if self.selection.includes(layout, i) {
                let value = MemberJson(m.ty, (m.get)(self.entity), metadata);
                map.serialize_entry(m.name, &value)?;
            }
        }
        map.end()
    }
}

/// Renders `e` as a JSON object (the same text as [`EntityJson`] with minimal metadata, as a
/// value).
pub fn entity_json<E: Entity>(e: &E, selection: &Selection) -> Map<String, Value> {
    let view = EntityJson {
        context: None,
        entity: e,
        selection,
        control: Control::MINIMAL,
    };
    match serde_json::to_value(view) {
        Ok(Value::Object(map)) => map,
        // Serialising into a value only fails for non-string map keys, which this has none of.
        _ => Map::new(),
    }
}

/// One member's value, written as its type says (a complex value's `@odata.type` only when
/// the level annotates).
struct MemberJson<'a>(MemberType, Val<'a>, Metadata);

/// The `microsoft.graph.mimeContent` of a PNG image.
struct PngJson<'a>(&'a [u8], Metadata);

impl Serialize for PngJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if self.1.annotated() {
            map.serialize_entry("@odata.type", "microsoft.graph.mimeContent")?;
        }
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
    s.serialize_str(t.response_text(&mut [0; TEXT_LEN]))
}

impl Serialize for MemberJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (&self.1, self.0) {
            (Val::Null, _) => s.serialize_none(),
            (Val::Str(v), _) => s.serialize_str(v),
            (Val::Uuid(u), _) => {
                s.serialize_str(u.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
            }
            (Val::Int(n), MemberType::Enum(decl)) => match decl.name_of(*n) {
                Some(name) => s.serialize_str(name),
                None => s.serialize_none(),
            },
            (Val::Int(n), _) => s.serialize_i64(*n),
            (Val::Bool(b), _) => s.serialize_bool(*b),
            (Val::Time(t), _) => time(s, *t),
            (Val::Strings(items), _) => items.serialize(s),
            (Val::Bytes(b), MemberType::Image) => PngJson(b, self.2).serialize(s),
            (Val::Bytes(b), _) => Base64(b).serialize(s),
            (Val::Json(v), _) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Profile, ProfileId, Sensitive, TenantId, Timestamp, Token, PROFILES};

    fn profile() -> Profile {
        let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
        let tenant = TenantId(uuid::Uuid::from_u128(1));
        let id = ProfileId(uuid::Uuid::from_u128(2));
        Profile {
            description: Some("caf\u{e9} \"q\" \\ \u{1}".into()),
            token: Some(Token {
                id: uuid::Uuid::nil(),
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
            entity: &p,
            selection: &Selection::All,
            control: Control::MINIMAL,
        };
        let text = serde_json::to_string(&view).unwrap();
        let parsed: Map<String, Value> = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = parsed.keys().map(String::as_str).collect();
        let mut want = vec!["@odata.context", "@odata.type", "@odata.etag"];
        want.extend(PROFILES.members.iter().map(|m| m.name));
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
        let only = Selection::of_names(PROFILES.layout(), ["qrCodeImage", "displayName"]);
        let map = entity_json(&p, &only);
        assert_eq!(
            Value::Object(map).to_string(),
            r##"{"@odata.type":"#microsoft.graph.androidDeviceOwnerEnrollmentProfile","@odata.etag":"W/\"1\"","displayName":"Name","qrCodeImage":null}"##
        );
        let no_image = entity_json(&profile(), &Selection::Listed);
        assert!(!no_image.contains_key("qrCodeImage") && no_image.contains_key("qrCodeContent"));
    }

    #[test]
    fn the_levels_drop_or_add_control_information() {
        let mut p = profile();
        p.version = 7;
        let show = |control: Control<'_>| {
            let view = EntityJson {
                context: Some("ctx"),
                entity: &p,
                selection: &Selection::All,
                control,
            };
            serde_json::from_str::<Map<String, Value>>(&serde_json::to_string(&view).unwrap())
                .unwrap()
        };
        let none = show(Control::level(Metadata::None));
        assert!(none.keys().all(|k| !k.starts_with('@')), "{none:?}");
        assert!(none["qrCodeImage"].get("@odata.type").is_none());
        assert_eq!(none["qrCodeImage"]["type"], "image/png");
        let full = show(Control {
            metadata: Metadata::Full,
            collection_url: "https://h/beta/deviceManagement/c",
        });
        let keys: Vec<&str> = full.keys().take(6).map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "@odata.context",
                "@odata.type",
                "@odata.id",
                "@odata.etag",
                "@odata.editLink",
                "id"
            ]
        );
        let link = "https://h/beta/deviceManagement/c('00000000-0000-0000-0000-000000000002')";
        assert_eq!(
            (full["@odata.id"].as_str(), full["@odata.editLink"].as_str()),
            (Some(link), Some(link))
        );
        assert_eq!(full["@odata.etag"], "W/\"7\"");
        assert_eq!(
            full["qrCodeImage"]["@odata.type"],
            "microsoft.graph.mimeContent"
        );
    }
}
