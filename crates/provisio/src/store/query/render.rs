//! Entities rendered by SQLite: one SQL expression (`json_object`) that turns a stored row into
//! the entity's JSON object, with `@odata.type` and `@odata.etag` first (unless the request asked
//! for no metadata) and the selected members in response order — the same members and values
//! [`EntityJson`](crate::model::output::EntityJson) writes from the entity, derived from the same
//! declaration. Full metadata (links with the request's base URL) is written by the service.
//!
//! Sealed members cannot be rendered there: the object is rendered in runs between them
//! ([`Parts`]), and the service opens each sealed value and puts it in its place ([`splice`]).
//!
//! A page of a list is read this way: the database hands over one text value per row instead of
//! some thirty column values, each of which the driver would copy and the service would decode,
//! only to write them out again as JSON. An image (base64 of a binary column) is the one kind of
//! member it cannot write; pages that select one are read as entities. (PostgreSQL's
//! `json_build_object` measured slower than writing the JSON in the service, so the PostgreSQL
//! store does that.)

use anyhow::bail;

use crate::model::entity::MemberType;
use crate::model::layout::{Layout, VERSION};
use crate::model::output::Metadata;

/// A page's members split at the sealed ones, which the database cannot render: `runs` holds
/// the members rendered in SQL before the first sealed member, between two, and after the last
/// (one more run than `sealed`); the service opens each sealed member and puts it between its
/// runs (`splice`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The plain members, run by run, in response order.
    pub runs: Vec<Vec<usize>>,
    /// The sealed members, in response order.
    pub sealed: Vec<usize>,
}

impl Parts {
    /// `members` (response order) split at the sealed ones.
    pub fn of(layout: &Layout, members: &[usize]) -> Parts {
        let mut parts = Parts {
            runs: vec![Vec::new()],
            sealed: Vec::new(),
        };
        for &i in members {
            if layout.members.get(i).is_some_and(|m| m.sealed) {
                parts.sealed.push(i);
                parts.runs.push(Vec::new());
            } else if let Some(run) = parts.runs.last_mut() {
                run.push(i);
            }
        }
        parts
    }

    /// The SQL expressions of the runs: the first with the control information of `metadata`
    /// (`none` or `minimal`; `full` fails).
    pub fn objects(&self, layout: &Layout, metadata: Metadata) -> anyhow::Result<Vec<String>> {
        if metadata == Metadata::Full {
            bail!("full metadata is written by the service, which knows the request's base URL");
        }
        self.runs
            .iter()
            .enumerate()
            .map(|(n, run)| object(layout, run, n == 0 && metadata.annotated()))
            .collect()
    }
}

/// The entity's JSON text from the rendered `runs` and the opened values of the sealed members
/// between them (`(name, None)` for null).
pub fn splice(runs: &[String], sealed: &[(&str, Option<String>)]) -> anyhow::Result<String> {
    let inner = |text: &str| -> anyhow::Result<String> {
        match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(t) => Ok(t.to_owned()),
            None => bail!("the database rendered no JSON object"),
        }
    };
    let Some(first) = runs.first() else {
        bail!("no rendered part");
    };
    let mut out = String::with_capacity(runs.iter().map(String::len).sum::<usize>() + 256);
    out.push('{');
    out.push_str(&inner(first)?);
    for ((name, value), run) in sealed.iter().zip(&runs[1..]) {
        // Without metadata the first run may be empty (the first member selected is sealed).
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name)?);
        out.push(':');
        match value {
            Some(v) => out.push_str(&serde_json::to_string(v)?),
            None => out.push_str("null"),
        }
        let rest = inner(run)?;
        if !rest.is_empty() {
            out.push(',');
            out.push_str(&rest);
        }
    }
    out.push('}');
    Ok(out)
}

/// The expression of the JSON object with `members` (positions in the declaration, in the order
/// given, which should be response order), after `@odata.type` and `@odata.etag` when `typed`.
/// Fails for an image member and for a sealed one.
fn object(layout: &Layout, members: &[usize], typed: bool) -> anyhow::Result<String> {
    let mut args = if typed {
        // The weak ETag of `crate::model::output::etag`: W/"<version>".
        let version = col(layout.table, layout.columns[VERSION].name);
        vec![
            quoted("@odata.type"),
            quoted(&layout.odata_type),
            quoted("@odata.etag"),
            format!("'W/\"' || {version} || '\"'"),
        ]
    } else {
        Vec::new()
    };
    for &i in members {
        let Some(m) = layout.members.get(i) else {
            bail!("no member at position {i}");
        };
        if m.sealed {
            bail!("a sealed member cannot be rendered by the database");
        }
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
            MemberType::DateTime => date_time(&column),
            MemberType::String
            | MemberType::GuidString
            | MemberType::Guid
            | MemberType::Int32
            | MemberType::Int64 => column,
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

/// A date-time column (stored in the fixed-width form) as responses show it: the minimum, the
/// token dates' "not set", as [`MIN_TEXT`](crate::model::timestamp::MIN_TEXT).
fn date_time(column: &str) -> String {
    format!(
        "CASE {column} WHEN {} THEN {} ELSE {column} END",
        quoted(&crate::model::Timestamp::MIN.to_string()),
        quoted(crate::model::timestamp::MIN_TEXT)
    )
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
    fn sealed_members_are_spliced_between_the_runs() {
        let layout = PROFILES.layout();
        let ix = |name| layout.member(name).unwrap();
        let members = [
            ix("id"),
            ix("tokenValue"),
            ix("wifiPassword"),
            ix("wifiHidden"),
        ];
        let parts = Parts::of(layout, &members);
        assert_eq!(
            parts.runs,
            vec![vec![ix("id")], vec![], vec![ix("wifiHidden")]]
        );
        assert_eq!(parts.sealed, vec![ix("tokenValue"), ix("wifiPassword")]);
        let runs = [
            r##"{"@odata.type":"#t","id":"1"}"##.to_owned(),
            "{}".to_owned(),
            r#"{"wifiHidden":false}"#.to_owned(),
        ];
        let json = splice(
            &runs,
            &[("tokenValue", Some("A\"B".into())), ("wifiPassword", None)],
        )
        .unwrap();
        assert_eq!(
            json,
            r##"{"@odata.type":"#t","id":"1","tokenValue":"A\"B","wifiPassword":null,"wifiHidden":false}"##
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["tokenValue"], "A\"B");
        assert!(splice(&["not json".to_owned()], &[]).is_err());
    }

    #[test]
    fn every_member_but_images_and_sealed_ones_has_an_expression() {
        let layout = PROFILES.layout();
        for (i, m) in layout.members.iter().enumerate() {
            let rendered = object(layout, &[i], true);
            assert_eq!(
                rendered.is_ok(),
                m.ty != MemberType::Image && !m.sealed,
                "{}",
                m.name
            );
        }
        let ix = |name| layout.member(name).unwrap();
        let sql = object(layout, &[ix("id"), ix("enrollmentMode")], true).unwrap();
        assert_eq!(
            sql,
            "json_object('@odata.type', '#microsoft.graph.androidDeviceOwnerEnrollmentProfile', \
             '@odata.etag', 'W/\"' || \"enrollment_profiles\".\"version\" || '\"', \
             'id', \"enrollment_profiles\".\"id\", 'enrollmentMode', \
             CASE \"enrollment_profiles\".\"enrollment_mode\" \
             WHEN 0 THEN 'corporateOwnedDedicatedDevice' WHEN 1 THEN 'corporateOwnedFullyManaged' \
             WHEN 2 THEN 'corporateOwnedWorkProfile' WHEN 3 THEN 'corporateOwnedAOSPUserlessDevice' \
             WHEN 4 THEN 'corporateOwnedAOSPUserAssociatedDevice' END)"
        );
    }
}
