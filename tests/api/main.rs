//! API tests: the real server, a real database, the generated clients.

// Helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]
// A table of bad inputs reads best as one function.
#![allow(clippy::too_many_lines)]

mod browser_harness;
mod csv_text;
mod helpers;
mod oidc_provider;
mod smtp;
mod web_client;

mod admin;
mod admin_plans;
mod admin_plans_browser;
mod audit;
mod backup;
mod browser;
mod clock;
mod console;
mod console_browser;
mod digest;
mod durability;
mod employees;
mod event_order;
mod health_cli;
mod hr_lead_browser;
mod integrity;
mod mail;
mod mail_logs;
mod mail_settings;
mod metrics;
mod nudges;
mod operator_cli;
mod outbox;
mod outbox_faults;
mod packs;
mod payroll;
mod payroll_csv;
mod payroll_examples;
mod plan_queue;
mod plans_cli;
mod policy;
mod pull_queue;
mod queue_lock_order;
mod recompute_page;
mod security;
mod service;
mod sso;
mod status_tail;
mod storage_faults;
mod timesheet;
mod tls;
mod tokens;
mod upgrade;
mod web;
mod web_admin_payroll;
mod week_totals;
mod working_time_record;
