//! Entities rendered by SQLite: one SQL expression (`json_object`) that turns a stored row into
//! the entity's JSON object, with `@odata.type` first and the selected members in response order
//! — the same members and values [`EntityJson`](crate::model::output::EntityJson) writes from the
//! entity, derived from the same declaration.
//!
//! A page of a list is read this way: the database hands over one text value per row instead of
//! some thirty column values, each of which the driver would copy and the service would decode,
//! only to write them out again as JSON. An image (base64 of a binary column) is the one kind of
//! member it cannot write; pages that select one are read as entities. (PostgreSQL's
//! `json_build_object` measured slower than writing the JSON in the service, so the PostgreSQL
//! store does that.)

use anyhow::bail;

use crate::model::entity::MemberType;
use crate::model::layout::Layout;

/// The expression of the JSON object with `@odata.type` and `members` (positions in the
/// declaration, in the order given, which should be response order). Fails for an image member.
pub fn entity_object(layout: &Layout, members: &[usize]) -> anyhow::Result<String> {
    let mut args = vec![quoted("@odata.type"), quoted(&layout.odata_type)];
    for &i in members {
        let Some(m) = layout.members.get(i) else {
            bail!("no member at position {i}");
        };
        let column = col(layout.table, layout.columns[m.column].name);
        args.push(quoted(m.name));
        args.push(match m.ty {
            MemberType::Enum(e) => names(&column, e.members),
            MemberType::Boolean => boolean(&column),
            // Stored as the JSON text of the value.
            MemberType::StringCollection
            | MemberType::Complex(_)
            | MemberType::ComplexCollection(_) => format!("json({column})"),
            MemberType::Image => bail!("an image cannot be rendered by the database"),
            MemberType::String
            | MemberType::GuidString
            | MemberType::Guid
            | MemberType::Int32
            | MemberType::Int64
            | MemberType::DateTime => column,
        });
    }
    Ok(format!("json_object({})", args.join(", ")))
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
fn col(table: &str, name: &str) -> String {
    format!("\"{table}\".\"{name}\"")
}

/// A constant as an SQL string literal. Only the service's own names get here, never user input;
/// quotes are doubled all the same.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PROFILES;

    #[test]
    fn every_member_but_the_image_has_an_expression() {
        let layout = PROFILES.layout();
        for (i, m) in layout.members.iter().enumerate() {
            let rendered = entity_object(layout, &[i]);
            assert_eq!(rendered.is_ok(), m.ty != MemberType::Image, "{}", m.name);
        }
        let ix = |name| layout.member(name).unwrap();
        let sql = entity_object(layout, &[ix("id"), ix("enrollmentMode")]).unwrap();
        assert_eq!(
            sql,
            "json_object('@odata.type', '#microsoft.graph.androidDeviceOwnerEnrollmentProfile', \
             'id', \"enrollment_profiles\".\"id\", 'enrollmentMode', \
             CASE \"enrollment_profiles\".\"enrollment_mode\" \
             WHEN 0 THEN 'corporateOwnedDedicatedDevice' WHEN 1 THEN 'corporateOwnedFullyManaged' \
             WHEN 2 THEN 'corporateOwnedWorkProfile' WHEN 3 THEN 'corporateOwnedAOSPUserlessDevice' \
             WHEN 4 THEN 'corporateOwnedAOSPUserAssociatedDevice' END)"
        );
    }
}
