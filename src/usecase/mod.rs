//! Use cases that have no RPC of their own yet, transport-free like the
//! `pub async fn`s beside each gRPC handler: they take the [`Caller`], check
//! access themselves, and return domain values. The web pages call them;
//! a future RPC would call the same functions.
//!
//! [`Caller`]: crate::grpc::auth::Caller

pub mod import;
pub mod people;
pub mod reads;
pub mod record;
pub mod rejudge;
pub mod team;
pub mod tokens;
pub mod working_time_record;
