//! Shared test helpers: the schema fixture.

pub mod schema;
