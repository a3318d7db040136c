//! provisio as a client of a Graph server.

pub mod import;
