//! Tidsvakt: working-time registration with overtime alerts.
//!
//! Code map:
//! - [`domain`]: pure working-time logic (events, amendments, pairing,
//!   validation). No I/O, no async, no clock reads.
//! - [`storage`]: the [`storage::Store`] interface over `SQLite` and `PostgreSQL`.
//! - [`grpc`]: the tonic services, authentication and the one place where
//!   errors become `tonic::Status`.
//! - [`mail`]: email templates (nb, en), view models and the lettre
//!   [`mail::Mailer`] (SMTP or `.eml` files).
//! - [`app`]: wires configuration, storage and services into a server.
//! - [`tls`]: rustls for both ports, reloaded when the files change.
//! - [`links`]: the web pages' addresses, shared by the router and email.
//! - [`redact`]: email addresses out of logs and stored errors.
//! - [`sso`]: single sign-on providers (OIDC) for the web.
//! - [`cli`]: the command-line client; server commands are in `main.rs`.
//! - [`pb`]: code generated from `proto/tidsvakt/v1`.

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod jobs;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod payroll;
pub mod pb;
pub mod recompute;
pub mod redact;
pub mod sso;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod usecase;
pub mod web;
