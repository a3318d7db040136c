//! provisio: Android device-owner enrollment profiles, their tokens and their provisioning QR
//! codes, served as the Microsoft Graph beta resource `androidDeviceOwnerEnrollmentProfile`.
//!
//! Requests flow one way: `api` (extractors, thin handlers) → `service` (the operations) →
//! `store` (SQL). `model` holds the entity and its rules and knows neither HTTP nor SQL.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod client;
pub mod config;
pub mod crypto;
pub mod device_client;
pub mod error;
pub mod metrics;
pub mod model;
pub mod net;
pub mod private;
pub mod provisioning;
pub mod rotation;
pub mod server;
pub mod service;
pub mod store;
pub mod throttle;
