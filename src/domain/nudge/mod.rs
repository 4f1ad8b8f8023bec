//! Nudges, decided by pure functions: categories (what may be muted), who
//! hears and when (quiet hours, weekly dedup, manager batches), the
//! forgotten clock-out reminder, retry timing, the digest schedule, and how
//! the findings of one email are grouped and ordered (`group`).
//! Storage writes the decisions in the transaction that makes them; the
//! mail layer renders and sends them.

pub mod backoff;
pub mod category;
pub mod decide;
pub mod group;
pub mod quiet;
pub mod reminder;
pub mod schedule;

pub use category::Category;
