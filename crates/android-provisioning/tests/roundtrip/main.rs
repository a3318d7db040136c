//! Integration tests: QR images decoded by two independent decoders (rqrr and the external
//! `zbarimg`, package zbar-tools, which must be installed), capacity limits and PNG layout.

mod common;
mod hostile;
mod image;
mod modes;
