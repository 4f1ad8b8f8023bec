//! API tests: the real server, a real database, the generated clients.

// Helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]
// A table of bad inputs reads best as one function.
#![allow(clippy::too_many_lines)]

mod browser_harness;
mod helpers;
mod smtp;
mod web_client;

mod admin;
mod audit;
mod browser;
mod clock;
mod digest;
mod durability;
mod employees;
mod event_order;
mod mail;
mod mail_settings;
mod nudges;
mod outbox;
mod packs;
mod payroll;
mod payroll_examples;
mod policy;
mod service;
mod timesheet;
mod tokens;
mod web;
