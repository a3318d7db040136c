//! End-to-end tests over a real socket, and store-level tests.

mod common;
mod crud;
mod durability;
mod errors;
mod hostile;
mod metadata;
mod seeds;
mod store;
