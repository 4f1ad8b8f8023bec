//! Freshness (issue 15, item 3): how far findings, headroom and nudges lag
//! behind acknowledged events while `RecordEvent` is held at a steady rate.
//!
//! Every acknowledged event queues its employee for recompute in the same
//! transaction, stamped with the time it was first queued; the row is
//! deleted when the recompute that covers it is applied. So the age of the
//! oldest queued row, sampled every 50 ms from the database file, is the
//! lag of the stalest acknowledged event at that moment: an upper bound on
//! every event's lag. The round's figures are the p50, p99 and maximum of
//! those samples, from the first event until the queue is empty again.

use std::time::Duration;

use serde::Serialize;
use sqlx::Connection as _;
use tokio::sync::watch;

use crate::database::Backend;
use crate::load::{Clock, round};
use crate::scenarios::{Outcome, Round, Settings, live_base, noop, seeded, settle};
use crate::stats::Side;

/// How often the oldest queued change is looked at.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The lag of one round, in seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Lag {
    pub p50_s: f64,
    pub p99_s: f64,
    pub max_s: f64,
    pub samples: usize,
}

impl Lag {
    fn of(mut ages: Vec<f64>) -> Self {
        ages.sort_by(f64::total_cmp);
        let at = |p: f64| {
            if ages.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * ages.len() as f64).ceil() as usize;
            ages[rank.clamp(1, ages.len()) - 1]
        };
        Self {
            p50_s: at(50.0),
            p99_s: at(99.0),
            max_s: ages.last().copied().unwrap_or(0.0),
            samples: ages.len(),
        }
    }
}

/// Samples the age of the oldest queued recompute until `stop` turns true.
async fn sample_ages(url: String, mut stop: watch::Receiver<bool>) -> anyhow::Result<Vec<f64>> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    let mut ages = Vec::new();
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return Ok(ages),
        }
        let (oldest,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(queued_at) FROM recompute_queue")
                .fetch_one(&mut conn)
                .await?;
        let now = chrono::Utc::now().timestamp_micros();
        ages.push(oldest.map_or(0.0, |q| (now - q).max(0) as f64 / 1e6));
    }
}

/// One paced round on `clocks`: `per_client` calls each, one every `every`.
async fn paced(
    clocks: Vec<Clock>,
    per_client: usize,
    every: Duration,
) -> anyhow::Result<(Vec<Clock>, Vec<Duration>, Duration)> {
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    round(clocks, move |c| c.record_paced(per_client, start, every)).await
}

pub async fn freshness_sqlite(s: &Settings) -> anyhow::Result<Outcome> {
    let (server, employees, tokens) = seeded(s, Backend::Sqlite).await?;
    let base = live_base();
    let mut clocks = Clock::many(server.proc.addr, &tokens[..s.clients], &employees, base).await?;
    let noop = noop(s, None).await?;
    let mut noop_clocks = Clock::many(noop.addr, &tokens[..s.clients], &employees, base).await?;
    let per_client = s.fresh_rate * usize::try_from(s.fresh_seconds)? / s.clients;
    // Each client holds its share of the rate.
    let every = Duration::from_secs_f64(s.clients as f64 / s.fresh_rate as f64);
    let mut rounds = Vec::new();
    for _ in 0..s.rounds {
        let cpu = server.proc.cpu_us()?;
        let (stop, stopped) = watch::channel(false);
        let sampler = tokio::spawn(sample_ages(server.db.observer_url().to_owned(), stopped));
        let (back, latencies, elapsed) = paced(clocks, per_client, every).await?;
        clocks = back;
        let (cpu, drained) = settle(&server, cpu).await?;
        stop.send(true).ok();
        let ages = sampler.await??;

        let noop_cpu = noop.cpu_us()?;
        let (back, noop_latencies, noop_elapsed) = paced(noop_clocks, per_client, every).await?;
        noop_clocks = back;
        let noop_cpu = noop.cpu_us()? - noop_cpu;
        rounds.push(Round {
            tidsvakt: Side::new(latencies, elapsed, Some(cpu)),
            ceiling: Side::new(noop_latencies, noop_elapsed, Some(noop_cpu)),
            recompute_drained_s: drained,
            lag: Some(Lag::of(ages)),
        });
    }
    server.stop().await?;
    Ok(Outcome::new(
        "freshness-sqlite",
        format!(
            "RecordEvent held at {} events/s for {} s, SQLite, {} clients (freshness)",
            s.fresh_rate, s.fresh_seconds, s.clients
        ),
        "events/s",
        format!(
            "no-op gRPC server held at the same rate, {} clients",
            s.clients
        ),
        rounds,
        vec![format!(
            "the lag is the age of the oldest queued recompute, sampled every {} ms from the first event until the queue is empty (an upper bound on each event's lag); goal: p99 ≤ 1 s",
            SAMPLE_EVERY.as_millis()
        )],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_percentiles_are_nearest_rank() {
        let lag = Lag::of((1..=100).map(|i| f64::from(i) / 100.0).collect());
        assert_eq!(
            (lag.p50_s, lag.p99_s, lag.max_s, lag.samples),
            (0.5, 0.99, 1.0, 100)
        );
        let none = Lag::of(Vec::new());
        assert_eq!((none.p99_s, none.max_s, none.samples), (0.0, 0.0, 0));
    }
}
