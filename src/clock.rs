//! The service's notion of "now", behind a trait so tests can set the time.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Truncated to whole microseconds, the precision storage keeps, so a
    /// reply carries exactly the instant a later read returns.
    fn now(&self) -> DateTime<Utc> {
        crate::domain::event::to_storage_precision(Utc::now())
    }
}

/// A clock that stands still until told otherwise (tests, benchmarks).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    #[must_use]
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Sets the current instant.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
}

impl Clock for ManualClock {
    /// Truncated to storage precision, like [`SystemClock`].
    fn now(&self) -> DateTime<Utc> {
        let at = *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        crate::domain::event::to_storage_precision(at)
    }
}
