//! Prometheus metrics: what an SRE needs at night, and nothing personal.
//! Labels carry RPC names, outcomes and kinds, never employee ids or tokens.
//!
//! Every family, its type and its help text are declared once, in
//! [`families`]; the README's table and `deploy/alerts.yaml` follow it.
//! Durations are histograms with fixed buckets, so the series of many
//! replicas add up (`sum by (le)`), which summaries cannot do.
//!
//! The recorder is process-wide: [`install`] once per process (the server
//! does, when `--metrics-listen` is set). Tests that read exact figures
//! therefore run the server binary as a child process.

pub mod families;
mod rpc;
pub mod scrape;

use anyhow::Context as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use rpc::{RpcMetrics, RpcMetricsLayer};

/// Bucket bounds for call durations, in seconds: from a cached read (1 ms)
/// to a client's patience (10 s), dense around the 2 s deadline that
/// clients typically set.
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0,
];

/// Bucket bounds for writes per `SQLite` group commit and keys per batched
/// read.
pub const GROUP_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Installs the process-wide recorder, describes every family and sets the
/// counters that have known labels to zero, so a dashboard or an alert sees
/// them from the first scrape rather than after the first event.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(families::WRITE_GROUP_SIZE.into()),
                GROUP_BUCKETS,
            )
        })
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(families::READ_BATCH_SIZE.into()),
                GROUP_BUCKETS,
            )
        })
        .context("metric buckets")?
        .install_recorder()
        .context("installing the metrics recorder (once per process)")?;
    families::describe();
    families::zero();
    Ok(handle)
}
