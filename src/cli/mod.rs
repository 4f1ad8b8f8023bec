//! The `tidsvakt` command line: server commands live in `main.rs`; this
//! module holds the client for people without a gRPC tool.

pub mod audit;
pub mod client;
pub mod export;
pub mod nudges;
pub mod timesheet;
pub mod timesheet_render;
