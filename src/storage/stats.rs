//! Queue figures for the metrics endpoint: how much waits in the outbox and
//! the recompute queue, and for how long. Whole-database figures, so every
//! replica reports the same values (alert on `max`, not `sum`).

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::rows::micros;
use super::writer::classify;
use super::{SqlStore, StoreResult};

/// What waits, as of one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueueStats {
    /// `PENDING` messages, due or scheduled for later.
    pub outbox_pending: i64,
    /// `PENDING` messages whose `send_after` has passed.
    pub outbox_due: i64,
    /// Seconds the oldest due message has waited past its `send_after`.
    pub outbox_oldest_due_age: f64,
    /// `DEAD` messages (an admin may retry them).
    pub outbox_dead: i64,
    /// Employees queued for a recompute.
    pub recompute_depth: i64,
    /// Seconds since the oldest queued recompute was queued.
    pub recompute_lag: f64,
}

/// Seconds from `since` (microseconds) to `now`, never negative.
fn age(now: DateTime<Utc>, since: Option<i64>) -> f64 {
    since.map_or(0.0, |t| {
        #[allow(clippy::cast_precision_loss)] // microseconds of a queue's age fit an f64
        let seconds = (micros(now) - t).max(0) as f64 / 1e6;
        seconds
    })
}

impl SqlStore {
    /// The queue figures at `now`. Each query reads one index range
    /// (`outbox_due` is on `(status, send_after)`), never the sent history.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn queue_stats(&self, now: DateTime<Utc>) -> StoreResult<QueueStats> {
        let pool = self.reader();
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await
                .map_err(classify)
        };
        let outbox_pending = count("SELECT COUNT(*) FROM outbox WHERE status = 'PENDING'").await?;
        let outbox_dead = count("SELECT COUNT(*) FROM outbox WHERE status = 'DEAD'").await?;
        let due = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(send_after) AS oldest FROM outbox \
             WHERE status = 'PENDING' AND send_after <= $1",
        )
        .bind(micros(now))
        .fetch_one(pool)
        .await
        .map_err(classify)?;
        let queue =
            sqlx::query("SELECT COUNT(*) AS n, MIN(queued_at) AS oldest FROM recompute_queue")
                .fetch_one(pool)
                .await
                .map_err(classify)?;
        Ok(QueueStats {
            outbox_pending,
            outbox_due: due.try_get("n").map_err(classify)?,
            outbox_oldest_due_age: age(now, due.try_get("oldest").map_err(classify)?),
            outbox_dead,
            recompute_depth: queue.try_get("n").map_err(classify)?,
            recompute_lag: age(now, queue.try_get("oldest").map_err(classify)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn an_age_is_whole_seconds_and_microseconds_and_never_negative() {
        let now = Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap();
        assert!((age(now, Some(micros(now) - 90_500_000)) - 90.5).abs() < 1e-9);
        assert!(age(now, Some(micros(now) + 5)).abs() < f64::EPSILON);
        assert!(age(now, None).abs() < f64::EPSILON);
    }
}
