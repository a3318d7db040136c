//! End-to-end tests over a real socket, and store-level tests.

mod auth;
mod backup;
mod common;
mod crud;
mod declaration;
mod durability;
mod errors;
mod full_disk;
mod hostile;
mod membership;
mod metadata;
mod metrics;
mod multiprocess;
mod query_cases;
mod query_data;
mod query_errors;
mod query_oracle;
mod query_store;
mod query_table;
mod seeds;
mod soak;
mod store;
mod throttle;
mod tokens;
mod wifi_corpus;
mod writes;
