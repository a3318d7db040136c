//! The CLI as a client of a provisio server.

pub mod login;
