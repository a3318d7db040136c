//! Shared test helpers: the schema fixture and proptest strategies.

pub mod schema;
pub mod strategies;
