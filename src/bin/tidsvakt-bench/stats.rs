//! What one round of one side measured, and the medians over rounds.

use std::time::Duration;

use serde::Serialize;

/// One side (Tidsvakt or its ceiling) in one round.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Side {
    /// Operations (events, calls or rows) completed.
    pub ops: u64,
    pub seconds: f64,
    /// `ops / seconds`.
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU (user + system) of the serving process per operation; `None` when
    /// the side runs inside the load generator (raw inserts).
    pub cpu_us_per_op: Option<f64>,
    /// CPU of the database's backends serving this side per operation
    /// (`db_cpu`); `None` on SQLite or when they could not be read.
    pub db_cpu_us_per_op: Option<f64>,
    /// The part of `db_cpu_us_per_op` spent while the round's calls ran,
    /// before its recompute drained (Tidsvakt's side only): the write
    /// path and whatever recompute ran beside it, what the throughput
    /// competes with.
    pub db_cpu_in_round_us_per_op: Option<f64>,
}

impl Side {
    /// From the latencies of every operation and the wall time of the round.
    #[must_use]
    pub fn new(mut latencies: Vec<Duration>, elapsed: Duration, cpu_us: Option<f64>) -> Self {
        latencies.sort_unstable();
        let ops = latencies.len() as u64;
        let seconds = elapsed.as_secs_f64();
        Self {
            ops,
            seconds,
            per_second: if seconds > 0.0 {
                ops as f64 / seconds
            } else {
                0.0
            },
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            cpu_us_per_op: per_op(cpu_us, ops),
            db_cpu_us_per_op: None,
            db_cpu_in_round_us_per_op: None,
        }
    }

    /// With the database's CPU for the round, `us` in all, per operation as
    /// they are counted now ([`Self::per_item`] divides it too).
    #[must_use]
    pub fn with_db_cpu(mut self, us: Option<f64>) -> Self {
        self.db_cpu_us_per_op = per_op(us, self.ops);
        self
    }

    /// With the database's CPU while the round's calls ran, as
    /// [`Self::with_db_cpu`].
    #[must_use]
    pub fn with_db_cpu_in_round(mut self, us: Option<f64>) -> Self {
        self.db_cpu_in_round_us_per_op = per_op(us, self.ops);
        self
    }

    /// Counts events, not calls: a batch call carries `per_call` events.
    #[must_use]
    pub fn per_item(mut self, per_call: u64) -> Self {
        self.ops *= per_call;
        self.per_second *= per_call as f64;
        self.cpu_us_per_op = self.cpu_us_per_op.map(|c| c / per_call as f64);
        self.db_cpu_us_per_op = self.db_cpu_us_per_op.map(|c| c / per_call as f64);
        self.db_cpu_in_round_us_per_op =
            self.db_cpu_in_round_us_per_op.map(|c| c / per_call as f64);
        self
    }
}

/// `us` of CPU over `ops` operations (none counted: zero).
fn per_op(us: Option<f64>, ops: u64) -> Option<f64> {
    us.map(|us| if ops > 0 { us / ops as f64 } else { 0.0 })
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
#[must_use]
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Median, minimum and maximum of one figure over the rounds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    #[must_use]
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        Self {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert!((percentile(&l, 50.0) - 50.0).abs() < 1e-9);
        assert!((percentile(&l, 99.0) - 99.0).abs() < 1e-9);
        let s = Spread::of([3.0, 1.0, 2.0, 10.0, 4.0]);
        assert!(
            (s.median - 3.0).abs() < 1e-9
                && (s.min - 1.0).abs() < 1e-9
                && (s.max - 10.0).abs() < 1e-9
        );
    }
}
