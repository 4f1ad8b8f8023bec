//! The `tidsvakt` command line: server commands live in `main.rs`; this
//! module holds the client for people without a gRPC tool, the health probe
//! and the online backup.

pub mod audit;
pub mod backup;
pub mod client;
pub mod correct;
pub mod export;
pub mod health;
pub mod import;
pub mod nudges;
pub mod period;
pub mod plans;
pub mod timesheet;
pub mod timesheet_render;
