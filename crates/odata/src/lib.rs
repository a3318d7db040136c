//! Parses the OData query options of a Microsoft Graph-style request (`$filter`, `$select`,
//! `$orderby`, `$top`, `$skip`, `$skiptoken`, `$count`, `$search`) into a typed AST that has
//! been checked against a caller-supplied [`Schema`]. Pure: no I/O, no SQL, no HTTP types.
//!
//! ```
//! use odata::{parse_query, Limits, Property, PropertyType, Schema, Filter};
//!
//! static PROPS: [Property; 2] = [
//!     Property::new("id", PropertyType::String).not_null(),
//!     Property::new("displayName", PropertyType::String),
//! ];
//! static SCHEMA: Schema = Schema { entity_type: "example.thing", properties: &PROPS };
//!
//! let q = parse_query("$filter=startswith(displayName,'Kiosk')&$top=10", &SCHEMA, &Limits::DEFAULT)?;
//! assert_eq!(q.top, Some(10));
//! assert!(matches!(q.filter, Some(Filter::StringMatch { .. })));
//! assert_eq!(q.filter.unwrap().to_string(), "startswith(displayName,'Kiosk')");
//! # Ok::<(), odata::QueryError>(())
//! ```
//!
//! The pipeline for `$filter` is: lexer (tokens with byte positions) → parser (untyped tree,
//! OData precedence, depth-bounded) → checker (typed [`Filter`]). Every error is a
//! [`QueryError`] naming the option, the byte position in its decoded value and, where there is
//! one, a fix. The crate's README lists the type rules and the decisions taken where OData
//! leaves a choice.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod ast;
mod check;
mod check_element;
mod datetime;
mod display;
mod error;
mod lexer;
mod list;
mod literal;
mod parser;
mod percent;
mod query;
mod schema;
mod suggest;

pub use ast::{
    CompareOp, ComplexLambda, Direction, ElementFilter, EnumValue, Filter, Lambda, OrderBy, Select,
    StringFunction, Value,
};
pub use check::MAX_TEXT_ARGUMENT;
pub use datetime::DateTimeUtc;
pub use display::format_orderby;
pub use error::{ErrorKind, QueryError};
pub use list::{parse_orderby, parse_select};
pub use query::{option_value, parse_filter, parse_query, Limits, QueryOptions};
pub use schema::{ComplexType, EnumType, PropRef, Property, PropertyType, Schema};
