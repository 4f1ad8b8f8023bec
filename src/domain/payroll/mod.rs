//! Payroll (pure): periods, settings, the figures of an employee's period,
//! adjustments for locked periods, and CSV rows.

pub mod categories;
pub mod csv;
#[cfg(test)]
mod examples;
pub mod lines;
pub mod period;
#[cfg(test)]
mod props;
pub mod settings;
