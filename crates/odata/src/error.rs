//! The one error type of the crate: which option failed, where in its value, and why, worded so
//! that a person can fix the request.

use std::fmt;

/// What kind of mistake the request made. Every kind maps to HTTP 400 in the service; the kind
/// lets callers and tests tell them apart without matching on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Malformed text: an unexpected character or token, a missing value, bad quoting.
    Syntax,
    /// A name that the schema does not have.
    UnknownProperty,
    /// A property used where the schema forbids it (not filterable, sortable or selectable).
    NotAllowed,
    /// A type mismatch: a literal of the wrong type, an operator the type does not support,
    /// an unknown enum member, a number out of range.
    Type,
    /// A syntax OData has that this service does not support (e.g. nested lambdas, `$expand`).
    Unsupported,
    /// A configured limit was exceeded: `$top` too large, nesting too deep, value too long.
    Limit,
    /// A `$`-option that is not an OData system query option, or a repeated option.
    Option,
    /// Bad percent-encoding or invalid UTF-8 in the raw query string.
    Encoding,
}

/// A query option that could not be accepted.
///
/// `Display` gives the whole message, e.g.
/// `$filter: unknown property 'dispayName' at position 0; did you mean 'displayName'?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The option, canonically spelt (`$filter`, `$top`, ...), whatever case the request used.
    pub option: String,
    /// Byte offset into the option's (percent-decoded) value where the problem starts, when the
    /// problem has a place. For encoding errors it is an offset into the raw value.
    pub position: Option<usize>,
    /// What is wrong, e.g. `unknown property 'dispayName'`.
    pub message: String,
    /// How to fix it, when there is a likely fix, e.g. `did you mean 'displayName'?`.
    pub hint: Option<String>,
    /// The category of the mistake.
    pub kind: ErrorKind,
}

impl QueryError {
    /// An error in `option` at byte `position` of its value.
    pub fn new(kind: ErrorKind, option: &str, position: usize, message: impl Into<String>) -> Self {
        QueryError {
            option: option.to_owned(),
            position: Some(position),
            message: message.into(),
            hint: None,
            kind,
        }
    }

    /// An error about `option` as a whole (a repeated option, an unknown option).
    pub fn whole(kind: ErrorKind, option: &str, message: impl Into<String>) -> Self {
        QueryError {
            option: option.to_owned(),
            position: None,
            message: message.into(),
            hint: None,
            kind,
        }
    }

    /// The same error with a hint attached.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same error with an optional hint attached.
    pub(crate) fn with_opt_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.option, self.message)?;
        if let Some(position) = self.position {
            write!(f, " at position {position}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for QueryError {}
