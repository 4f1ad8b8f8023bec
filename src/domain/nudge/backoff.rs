//! Retry timing for outgoing email: exponential backoff with jitter, up to
//! a limit after which the message is dead (an admin can see and retry it).

use chrono::Duration;

/// How the outbox retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub base: Duration,
    /// No delay grows past this.
    pub cap: Duration,
    /// Attempts in all; after the last failure the message is dead.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: sixteen attempts, 15
    /// delays adding up to 9 h 3 min (4 h 32 min to 9 h 3 min with the
    /// jitter), so a night's SMTP outage loses nothing before a message
    /// is dead.
    fn default() -> Self {
        Self {
            base: Duration::seconds(30),
            cap: Duration::hours(1),
            max_attempts: 16,
        }
    }
}

impl Backoff {
    /// The delay after failed attempt number `attempts` (1 = the first), or
    /// `None` when no attempt is left. `jitter` in `[0, 1)` spreads the
    /// delay over its upper half ("equal jitter"), so replicas that failed
    /// together do not retry together.
    #[must_use]
    pub fn after(&self, attempts: u32, jitter: f64) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exp = attempts.saturating_sub(1).min(30);
        let full = self
            .base
            .checked_mul(1_i32 << exp)
            .map_or(self.cap, |d| d.min(self.cap));
        let half = full / 2;
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let spread = (half.num_milliseconds() as f64 * jitter.clamp(0.0, 1.0)) as i64;
        Some(half + Duration::milliseconds(spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        assert_eq!(b.after(1, 0.999_999), Some(Duration::milliseconds(29_999)));
        assert_eq!(b.after(1, 0.0), Some(Duration::seconds(15)));
        assert_eq!(b.after(2, 0.0), Some(Duration::seconds(30)));
        assert_eq!(b.after(10, 0.0), Some(Duration::minutes(30)));
        assert_eq!(b.after(11, 0.0), Some(Duration::minutes(30)));
    }

    #[test]
    fn the_last_attempt_leaves_none() {
        let b = Backoff::default();
        assert!(b.after(15, 0.5).is_some());
        assert_eq!(b.after(16, 0.5), None);
    }

    #[test]
    fn the_whole_schedule_rides_out_a_night() {
        let b = Backoff::default();
        let longest: Duration = (1..16).map(|a| b.after(a, 0.999_999_9).unwrap()).sum();
        let shortest: Duration = (1..16).map(|a| b.after(a, 0.0).unwrap()).sum();
        assert!(
            longest > Duration::minutes(9 * 60)
                && longest <= Duration::minutes(543) + Duration::seconds(30)
        );
        assert!(shortest >= Duration::minutes(271));
    }

    #[test]
    fn jitter_stays_within_the_upper_half() {
        let b = Backoff::default();
        for j in [0.0, 0.25, 0.5, 0.99] {
            let d = b.after(3, j).unwrap();
            assert!(d >= Duration::seconds(60) && d <= Duration::seconds(120));
        }
    }
}
