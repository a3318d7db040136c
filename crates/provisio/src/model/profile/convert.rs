//! The small conversions the profile's declaration uses in its `get` and `set` functions.

use crate::model::entity::{Input, Owned, Val};
use crate::model::rules::InvalidInput;
use crate::model::Timestamp;

/// A member clients may send but not change.
pub const READ_ONLY: Input = Input::ReadOnly;

/// A member clients may set, without a rule of its own.
pub const SETTABLE: Input = Input::Settable {
    check: None,
    required: false,
};

/// Stores a setter's converted value in its field.
pub fn put<T>(field: &mut T, value: Result<T, String>) -> Result<(), String> {
    *field = value?;
    Ok(())
}

/// Text out of a value.
pub fn text(v: Owned) -> Result<String, String> {
    match v {
        Owned::Str(s) => Ok(s),
        other => Err(format!("{other:?} is no text")),
    }
}

/// Text or null out of a value.
pub fn opt_text(v: Owned) -> Result<Option<String>, String> {
    match v {
        Owned::Null => Ok(None),
        other => text(other).map(Some),
    }
}

/// A Boolean out of a value.
pub fn boolean(v: Owned) -> Result<bool, String> {
    match v {
        Owned::Bool(b) => Ok(b),
        other => Err(format!("{other:?} is no Boolean")),
    }
}

/// A 32-bit integer out of a value.
pub fn int32(v: Owned) -> Result<i32, String> {
    match v {
        Owned::Int(n) => i32::try_from(n).map_err(|_| format!("{n} is no 32-bit integer")),
        other => Err(format!("{other:?} is no integer")),
    }
}

/// A date-time out of a value.
pub fn time(v: Owned) -> Result<Timestamp, String> {
    match v {
        Owned::Time(t) => Ok(t),
        other => Err(format!("{other:?} is no date-time")),
    }
}

/// Text or null as a value.
pub fn opt_str(v: Option<&str>) -> Val<'_> {
    v.map_or(Val::Null, Val::Str)
}

/// Runs `rule` on a text value (null passes: whether null is allowed is the member's own
/// nullability).
pub fn text_rule(
    v: &Owned,
    rule: fn(&str) -> Result<(), InvalidInput>,
) -> Result<(), InvalidInput> {
    v.text().map_or(Ok(()), rule)
}
