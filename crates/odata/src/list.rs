//! `$select` and `$orderby`: comma-separated lists of property names (with a direction, for
//! `$orderby`), checked against the schema.

use crate::ast::{Direction, OrderBy, Select};
use crate::error::{ErrorKind, QueryError};
use crate::parser::case_hint;
use crate::schema::{PropRef, Schema};

const SELECT: &str = "$select";
const ORDERBY: &str = "$orderby";

/// The comma-separated items of `value`, trimmed, with their byte positions. An empty item is
/// an error.
fn items<'a>(option: &str, value: &'a str) -> Result<Vec<(&'a str, usize)>, QueryError> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in value.split(',') {
        let lead = part.len() - part.trim_start().len();
        let item = part.trim();
        if item.is_empty() {
            let what = if option == ORDERBY {
                "a property to sort by"
            } else {
                "a property name"
            };
            return Err(QueryError::new(
                ErrorKind::Syntax,
                option,
                start + lead,
                format!("expected {what}"),
            ));
        }
        out.push((item, start + lead));
        start += part.len() + 1;
    }
    Ok(out)
}

/// The property called `name`, with a hint when it is misspelt or glued with `+`.
fn lookup(option: &str, schema: &Schema, name: &str, pos: usize) -> Result<PropRef, QueryError> {
    if let Some(prop) = schema.property(name) {
        return Ok(prop);
    }
    let hint = if name.contains('+') {
        Some("'+' is a literal plus sign here; encode spaces as %20".to_owned())
    } else {
        schema.suggest(name).map(|s| format!("did you mean '{s}'?"))
    };
    Err(QueryError::new(
        ErrorKind::UnknownProperty,
        option,
        pos,
        format!("unknown property '{name}'"),
    )
    .with_opt_hint(hint))
}

/// Parses a `$select` value: `*`, or property names separated by commas (whitespace allowed).
/// Duplicates are dropped; `*` among names selects everything.
pub fn parse_select(value: &str, schema: &Schema) -> Result<Select, QueryError> {
    let mut props: Vec<PropRef> = Vec::new();
    let mut all = false;
    for (name, pos) in items(SELECT, value)? {
        if name == "*" {
            all = true;
            continue;
        }
        if let Some((member, _)) = name.split_once('/') {
            let top = lookup(SELECT, schema, member, pos)?;
            return Err(QueryError::new(
                ErrorKind::Unsupported,
                SELECT,
                pos,
                format!("'{name}': selecting a part of a property is not supported"),
            )
            .with_hint(format!("select the whole property: '{}'", top.name())));
        }
        let prop = lookup(SELECT, schema, name, pos)?;
        if !prop.def().selectable {
            return Err(QueryError::new(
                ErrorKind::NotAllowed,
                SELECT,
                pos,
                format!("'{name}' cannot be selected"),
            ));
        }
        if !props.contains(&prop) {
            props.push(prop);
        }
    }
    Ok(if all {
        Select::All
    } else {
        Select::Properties(props)
    })
}

/// Parses an `$orderby` value: `prop [asc|desc]` items separated by commas. Each property must
/// be sortable and appear once; directions are lower-case.
pub fn parse_orderby(value: &str, schema: &Schema) -> Result<Vec<OrderBy>, QueryError> {
    let mut out: Vec<OrderBy> = Vec::new();
    for (item, pos) in items(ORDERBY, value)? {
        let mut words = item.split_ascii_whitespace();
        let name = words.next().unwrap_or(item);
        let prop = sort_key(schema, name, pos)?;
        if out.iter().any(|o| o.prop == prop) {
            return Err(QueryError::new(
                ErrorKind::Syntax,
                ORDERBY,
                pos,
                format!("'{name}' appears more than once"),
            ));
        }
        let direction = match words.next() {
            None | Some("asc") => Direction::Asc,
            Some("desc") => Direction::Desc,
            Some(other) => {
                let at = pos + offset_in(item, other);
                return Err(QueryError::new(
                    ErrorKind::Syntax,
                    ORDERBY,
                    at,
                    format!("expected asc or desc, found '{other}'"),
                )
                .with_opt_hint(case_hint(other)));
            }
        };
        if let Some(extra) = words.next() {
            let at = pos + offset_in(item, extra);
            return Err(QueryError::new(
                ErrorKind::Syntax,
                ORDERBY,
                at,
                format!("expected ',' before '{extra}'"),
            ));
        }
        out.push(OrderBy { prop, direction });
    }
    Ok(out)
}

/// The sortable property `name` (at `pos`) names: a top-level scalar member, or a path to a
/// scalar property of a complex member (`actor/userPrincipalName`).
fn sort_key(schema: &Schema, name: &str, pos: usize) -> Result<PropRef, QueryError> {
    let error = |kind, at, message: String| QueryError::new(kind, ORDERBY, at, message);
    let mut segments = name.split('/');
    let first = segments.next().unwrap_or(name);
    let top = lookup(ORDERBY, schema, first, pos)?;
    let ty = top.ty();
    if ty.is_collection() {
        return Err(error(
            ErrorKind::NotAllowed,
            pos,
            format!(
                "'{first}' is a collection ({}) and cannot be sorted",
                ty.edm_name()
            ),
        ));
    }
    if !top.def().sortable {
        return Err(error(
            ErrorKind::NotAllowed,
            pos,
            format!("'{first}' cannot be sorted"),
        ));
    }
    let Some(segment) = segments.next() else {
        if let Some(complex) = ty.complex_type() {
            let example = complex
                .properties
                .iter()
                .find(|p| p.sortable && p.ty.is_scalar())
                .map(|p| format!("sort by one of its properties, e.g. {first}/{}", p.name));
            return Err(error(
                ErrorKind::Type,
                pos,
                format!(
                    "'{first}' is of complex type {} and cannot be sorted as a whole",
                    complex.type_name
                ),
            )
            .with_opt_hint(example));
        }
        return Ok(top);
    };
    let at = pos + first.len() + 1;
    let Some(complex) = ty.complex_type() else {
        return Err(error(
            ErrorKind::Type,
            pos,
            format!(
                "'{first}' is {} and has no properties; '/' can only follow a complex property",
                ty.edm_name()
            ),
        ));
    };
    let Some(def) = complex.property(segment) else {
        let hint = complex
            .suggest(segment)
            .map(|s| format!("did you mean '{s}'?"));
        return Err(error(
            ErrorKind::UnknownProperty,
            at,
            format!("unknown property '{segment}' in {}", complex.type_name),
        )
        .with_opt_hint(hint));
    };
    if let Some(next) = segments.next() {
        return Err(error(
            ErrorKind::Unsupported,
            at + segment.len() + 1,
            format!("paths go one level deep; cannot sort by '{name}' ('{next}' is one too many)"),
        ));
    }
    if !def.sortable || !def.ty.is_scalar() {
        let why = if def.ty.is_scalar() {
            String::new()
        } else {
            format!(" ({} is not sortable)", def.ty.edm_name())
        };
        return Err(error(
            ErrorKind::NotAllowed,
            at,
            format!("'{first}/{segment}' cannot be sorted{why}"),
        ));
    }
    Ok(PropRef::nested(top.def(), def))
}

/// The byte offset of the sub-slice `part` within `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}
