//! End-to-end tests over a real socket, and store-level tests.

mod auth;
mod common;
mod crud;
mod durability;
mod errors;
mod hostile;
mod membership;
mod seeds;
mod store;
mod tokens;
mod wifi_corpus;
