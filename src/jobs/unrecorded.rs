//! What the outbox worker knows but could not store yet.
//!
//! A send is an act in the world: once the relay has said "250" the email is
//! out, whether or not the database takes the news. When the store fails
//! mid-round (PostgreSQL restarting, a `SQLite` file locked by a backup),
//! the worker keeps each outcome it knows (sent, and when; failed, and when
//! to retry) and gives back the claims it did not use, and records all of it
//! before it claims anything again. Without this a sent message went out a
//! second time when its lease ran out, and every other message of the claim
//! waited for its lease too.
//!
//! Bounded: nothing new is claimed while anything is kept here, so it holds
//! at most one claim's messages; the live loop tries again soon
//! ([`retry_wait`]) rather than on its next tick.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ids::OrgId;
use crate::storage::outbox::Outcome;

/// An outcome waiting to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub org: OrgId,
    pub message: Uuid,
    pub outcome: Outcome,
    /// When it happened; a send's instant becomes its `sent_at`.
    pub at: DateTime<Utc>,
}

/// Outcomes waiting for the database, oldest first.
#[derive(Debug, Default)]
pub struct Unrecorded(Mutex<Vec<Kept>>);

impl Unrecorded {
    pub fn keep(&self, kept: Kept) {
        self.lock().push(kept);
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything kept, leaving none.
    pub fn take(&self) -> Vec<Kept> {
        std::mem::take(&mut *self.lock())
    }

    /// Puts back what could not be recorded, ahead of anything kept since.
    pub fn put_back(&self, mut rest: Vec<Kept>) {
        let mut kept = self.lock();
        rest.append(&mut kept);
        *kept = rest;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The first wait before trying again after a round that left outcomes
/// unrecorded: short, so they are stored within moments of the database's
/// return, long before any lease runs out.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);

/// The wait after `failures` failed rounds in a row (1 = the first):
/// [`FIRST_RETRY`], doubling, never more than `cap` (the outbox interval).
#[must_use]
pub fn retry_wait(failures: u32, cap: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(n: u128) -> Kept {
        Kept {
            org: OrgId(Uuid::nil()),
            message: Uuid::from_u128(n),
            outcome: Outcome::Released,
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn what_could_not_be_recorded_goes_back_first() {
        let u = Unrecorded::default();
        u.keep(kept(1));
        u.keep(kept(2));
        let mut taken = u.take();
        assert!(u.is_empty());
        u.keep(kept(3));
        taken.remove(0);
        u.put_back(taken);
        let order: Vec<u128> = u.take().iter().map(|k| k.message.as_u128()).collect();
        assert_eq!(order, [2, 3]);
    }

    #[test]
    fn retries_come_sooner_than_the_tick_and_back_off_to_it() {
        let cap = Duration::from_secs(5);
        let waits: Vec<u128> = (1..=7).map(|f| retry_wait(f, cap).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(retry_wait(u32::MAX, cap), cap);
    }
}
