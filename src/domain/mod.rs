//! Pure domain logic: no I/O, no async, no clock or environment reads.
//!
//! `now`, the time zone and the rule pack are always arguments, so every
//! function here is deterministic and unit-testable.

pub mod audit;
pub mod chain;
pub mod clock_status;
pub mod digest;
pub mod employee;
pub mod engine;
pub mod event;
pub mod holidays;
pub mod ids;
pub mod import;
pub mod local_days;
pub mod nudge;
pub mod payroll;
pub mod policy;
pub mod record_period;
pub mod rejudge;
pub mod retention;
pub mod rules;
pub mod sso;
pub mod token;
pub mod years;
