//! The working-time engine: from intervals to shifts, the overtime ledger,
//! calendar days, and findings. Pure code: every input is an argument.
//!
//! The order of work (rules.md § 0):
//! 1. [`record`]: intervals minus unpaid breaks become work segments, grouped
//!    into shifts (gaps under 8 h); each shift belongs to its shift day.
//! 2. [`ledger`]: every worked minute is classified once, in time order, as
//!    normal or overtime.
//! 3. [`days`]: minutes split at local midnight into timesheet rows.
//! 4. [`crate::domain::rules`]: rule packs read the segments and the ledger
//!    through [`windows`] and produce [`finding::Draft`]s.

pub mod days;
pub mod evaluate;
pub mod finding;
pub mod headroom;
pub mod ledger;
pub mod minutes;
pub mod params;
pub mod reconcile;
pub mod record;
pub mod text;
pub mod windows;

#[cfg(test)]
mod props;
#[cfg(test)]
pub(crate) mod testing;
