//! What an event records of a changed entity: an `auditResource` with the members whose value
//! changed, as text, read from the rows before and after the change through the entity set's
//! layout; secrets as [`MASK`].

use serde_json::{json, Map, Value};

use super::MASK;
use crate::model::entity::{EnumDecl, MemberType};
use crate::model::layout::{Cell, Layout, Row};
use crate::model::MembershipTargetType;

/// What an event records of one changed entity: its layout and its row before and after the
/// change (none before a create, none after a delete).
#[derive(Clone, Copy, Debug)]
pub struct Changed<'a> {
    /// The entity set.
    pub layout: &'a Layout,
    /// The row as it was.
    pub before: Option<&'a Row>,
    /// The row as it is now.
    pub after: Option<&'a Row>,
}

/// A member's value in a row as the text `oldValue` and `newValue` hold: enum members by name,
/// date-times, GUIDs and collections as stored (collections and complex values as JSON), and
/// secrets as [`MASK`].
fn shown(layout: &Layout, member: usize, row: &Row) -> Option<String> {
    let m = &layout.members[member];
    let cell = row.0.get(m.column)?;
    if matches!(cell, Cell::Null) {
        return None;
    }
    if m.sealed {
        return Some(MASK.to_owned());
    }
    Some(match (cell, m.ty) {
        (Cell::Int(n), MemberType::Enum(e)) => e.name_of(*n).map_or(n.to_string(), str::to_owned),
        (Cell::Int(n), _) => n.to_string(),
        (Cell::Bool(b), _) => b.to_string(),
        (Cell::Text(s), _) => s.clone(),
        (Cell::Blob(_), _) | (Cell::Null, _) => MASK.to_owned(),
    })
}

/// Stored columns that are no member but whose changes an event shows: (column, the name the
/// event gives it, whether it is a secret, the enum its numbers stand for).
const HIDDEN_SHOWN: [(&str, &str, bool, Option<EnumDecl>); 4] = [
    (
        "membership_target_type",
        "enrollmentTimeDeviceMembershipTarget/targetType",
        false,
        Some(MembershipTargetType::DECL),
    ),
    (
        "membership_target_id",
        "enrollmentTimeDeviceMembershipTarget/targetId",
        false,
        None,
    ),
    ("credential_hash", "deviceCredential", true, None),
    ("superseded", "superseded", false, None),
];

/// The value of column `at` of a row, unless it is NULL.
fn stored(row: Option<&Row>, at: usize) -> Option<&Cell> {
    row.and_then(|r| r.0.get(at))
        .filter(|c| !matches!(c, Cell::Null))
}

/// The display member of an entity set: what `auditResource.displayName` shows.
fn display_member(layout: &Layout) -> Option<usize> {
    ["displayName", "deviceName"]
        .iter()
        .find_map(|n| layout.member(n))
}

/// The `auditResource` of a change: the entity's type, id and display name, and each member
/// whose value differs between before and after (every member with a value, for a create or
/// a delete), old and new as text; and the changes of the stored columns that are no member
/// but matter (a membership target, a device's credential, shown as [`MASK`]).
pub fn resource(c: Changed<'_>) -> Value {
    let layout = c.layout;
    let Some(current) = c.after.or(c.before) else {
        return Value::Null;
    };
    let mut modified = Vec::new();
    for i in 0..layout.members.len() {
        if layout.members[i].name == "id" {
            continue;
        }
        let old = c.before.and_then(|r| shown(layout, i, r));
        let new = c.after.and_then(|r| shown(layout, i, r));
        let changed = match (c.before, c.after) {
            (Some(b), Some(a)) => {
                b.0.get(layout.members[i].column) != a.0.get(layout.members[i].column)
            }
            _ => old.is_some() || new.is_some(),
        };
        if changed {
            modified.push(property(
                layout.members[i].name,
                old.as_deref(),
                new.as_deref(),
            ));
        }
    }
    for (column, name, secret, decl) in HIDDEN_SHOWN {
        let Some(at) = layout.columns.iter().position(|c| c.name == column) else {
            continue;
        };
        let (old, new) = (stored(c.before, at), stored(c.after, at));
        let changed = match (c.before, c.after) {
            (Some(_), Some(_)) => old != new,
            _ => old.is_some() || new.is_some(),
        };
        if changed {
            let text = |v: Option<&Cell>| {
                v.map(|v| match (v, secret) {
                    (_, true) => MASK.to_owned(),
                    (Cell::Text(s), false) => s.clone(),
                    (Cell::Int(n), false) => decl
                        .and_then(|d| d.name_of(*n))
                        .map_or_else(|| n.to_string(), str::to_owned),
                    (Cell::Bool(b), false) => b.to_string(),
                    (Cell::Blob(_) | Cell::Null, false) => MASK.to_owned(),
                })
            };
            modified.push(property(name, text(old).as_deref(), text(new).as_deref()));
        }
    }
    let display = display_member(layout).and_then(|i| shown(layout, i, current));
    json!({
        "@odata.type": "#microsoft.graph.auditResource",
        "displayName": display,
        "modifiedProperties": modified,
        "type": layout.type_name,
        "auditResourceType": layout.type_name,
        "resourceId": current.id(),
    })
}

/// One `auditProperty` (without `@odata.type`: the type is the declared one, and an enrollment's
/// event lists some twenty of them).
fn property(name: &str, old: Option<&str>, new: Option<&str>) -> Value {
    let mut p = Map::new();
    p.insert("displayName".into(), Value::from(name));
    p.insert("oldValue".into(), old.map_or(Value::Null, Value::from));
    p.insert("newValue".into(), new.map_or(Value::Null, Value::from));
    Value::Object(p)
}
