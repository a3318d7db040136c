//! Literal typing: turns a literal as written into a [`Value`] of the type of the property it
//! meets, or explains (with a hint) why it cannot be one.

use crate::ast::{EnumValue, Value};
use crate::check::err;
use crate::error::{ErrorKind, QueryError};
use crate::lexer::Lit;
use crate::parser::Expr;
use crate::schema::{EnumType, PropRef, PropertyType};

/// Whether `expr` is syntactically a condition (as opposed to a property or a literal).
pub(crate) fn is_condition(expr: &Expr) -> bool {
    !matches!(expr, Expr::Member { .. } | Expr::Literal { .. })
}

/// The value of `expr` if it is `true` or `false`.
pub(crate) fn bool_literal(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Literal {
            lit: Lit::Bool(b), ..
        } => Some(*b),
        _ => None,
    }
}

/// How a literal reads in a message.
pub(crate) fn describe(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => format!("the string '{}'", s.replace('\'', "''")),
        Lit::Int(i) => format!("the integer {i}"),
        Lit::Bool(b) => format!("the Boolean {b}"),
        Lit::Null => "null".into(),
        Lit::DateTime(d) => format!("the date-time {d}"),
        Lit::Date(d) => format!("the date {d}"),
        Lit::Guid(g) => format!("the unquoted GUID {g}"),
        Lit::Decimal(d) => format!("the decimal number {d}"),
        Lit::Typed { qualifier, text } => format!("the {qualifier} literal '{text}'"),
    }
}

/// `lit` as a value of `prop`'s type (never called with `null`); `label` is the property as
/// written (`r/displayName`), for messages.
pub(crate) fn typed_value(
    prop: PropRef,
    label: &str,
    lit: &Lit,
    pos: usize,
) -> Result<Value, QueryError> {
    let ty = prop.ty();
    match (ty, lit) {
        (PropertyType::String, Lit::Str(s)) => return Ok(Value::String(s.clone())),
        (PropertyType::Boolean, Lit::Bool(b)) => return Ok(Value::Boolean(*b)),
        (PropertyType::Int64, Lit::Int(i)) => return Ok(Value::Int(*i)),
        (PropertyType::Int32, Lit::Int(i)) => {
            return i32::try_from(*i).map(|_| Value::Int(*i)).map_err(|_| {
                err(
                    ErrorKind::Type,
                    pos,
                    format!("{i} is out of range for Edm.Int32 property '{label}'"),
                )
            });
        }
        (PropertyType::DateTimeOffset, Lit::DateTime(d)) => return Ok(Value::DateTime(*d)),
        (PropertyType::Enum(e), Lit::Str(s)) => return enum_member(e, s, pos),
        (PropertyType::Enum(e), Lit::Typed { qualifier, text }) if e.is_named(qualifier) => {
            return enum_member(e, text, pos);
        }
        _ => {}
    }
    let message = format!(
        "'{label}' is {} and cannot be compared with {}",
        ty.edm_name(),
        describe(lit)
    );
    let hint = match (ty, lit) {
        (_, Lit::Typed { qualifier, .. }) if !qualifier.contains('.') => {
            format!("typed literals such as {qualifier}'...' are not supported")
        }
        (PropertyType::String, Lit::Guid(g)) => format!("quote ids, which are strings: '{g}'"),
        (PropertyType::String, _) => "quote strings: 'text'".into(),
        (PropertyType::Boolean, _) => "use true or false".into(),
        (PropertyType::Int32 | PropertyType::Int64, Lit::Decimal(_)) => "use a whole number".into(),
        (PropertyType::Int32 | PropertyType::Int64, _) => "write integers without quotes".into(),
        (PropertyType::DateTimeOffset, Lit::Date(d)) => format!("add a time, e.g. {d}T00:00:00Z"),
        (PropertyType::DateTimeOffset, _) => {
            "write date-times without quotes, e.g. 2026-01-02T03:04:05Z".into()
        }
        (PropertyType::Enum(e), _) => format!(
            "use a member name in quotes, e.g. '{}', or {}'...'",
            e.members.first().map_or("", |m| m.0),
            e.type_name
        ),
        _ => String::new(),
    };
    let error = err(ErrorKind::Type, pos, message);
    Err(if hint.is_empty() {
        error
    } else {
        error.with_hint(hint)
    })
}

/// The member of `e` called `name`.
fn enum_member(e: &'static EnumType, name: &str, pos: usize) -> Result<Value, QueryError> {
    if let Some((member, value)) = e.member(name) {
        return Ok(Value::Enum(EnumValue {
            type_name: e.type_name,
            member,
            value,
        }));
    }
    let hint = match crate::suggest::closest(name, e.members.iter().map(|m| m.0)) {
        Some(near) => format!("did you mean '{near}'?"),
        None => {
            let names: Vec<&str> = e.members.iter().map(|m| m.0).collect();
            format!("members are: {}", names.join(", "))
        }
    };
    Err(err(
        ErrorKind::Type,
        pos,
        format!("'{name}' is not a member of {}", e.type_name),
    )
    .with_hint(hint))
}
