//! Shared test helpers: the schema fixtures and proptest strategies.

pub mod audit;
pub mod schema;
pub mod strategies;
