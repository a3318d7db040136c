//! End-to-end tests over a real socket, and store-level tests.

mod auth;
mod common;
mod crud;
mod declaration;
mod durability;
mod errors;
mod hostile;
mod membership;
mod metadata;
mod multiprocess;
mod query_cases;
mod query_data;
mod query_errors;
mod query_oracle;
mod query_store;
mod query_table;
mod secrets;
mod seeds;
mod store;
mod tokens;
mod wifi_corpus;
mod writes;
