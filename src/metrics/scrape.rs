//! The `/metrics` endpoint. Queue figures are read from the database on each
//! scrape, so every gauge has a value from the first scrape on and none is
//! older than the scrape itself.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use super::families;
use crate::clock::Clock;
use crate::storage::SqlStore;
use crate::storage::stats::QueueStats;

/// A scrape waits at most this long for the database, then answers with
/// `tidsvakt_database_up 0` and the queue figures of the last good scrape.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How often histograms are folded in between scrapes, so memory stays flat.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
}

/// Serves `GET /metrics` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP_EVERY);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        })
    };
    let app = axum::Router::new()
        .route("/metrics", get(metrics))
        .with_state(Scrape {
            handle,
            store,
            clock,
        });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served
}

async fn metrics(State(s): State<Scrape>) -> Response {
    sample(&s.store, s.clock.now()).await;
    s.handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.handle.render(),
    )
        .into_response()
}

/// Sets the database gauges from one look at the database.
async fn sample(store: &SqlStore, now: chrono::DateTime<chrono::Utc>) {
    let stats = tokio::time::timeout(SAMPLE_TIMEOUT, async {
        store.ping().await?;
        store.queue_stats(now).await
    })
    .await;
    match stats {
        Ok(Ok(stats)) => {
            metrics::gauge!(families::DATABASE_UP).set(1.0);
            let writable = store.write_fault().is_none();
            metrics::gauge!(families::DATABASE_WRITABLE).set(if writable { 1.0 } else { 0.0 });
            set_queue_gauges(&stats);
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            metrics::gauge!(families::DATABASE_UP).set(0.0);
            metrics::gauge!(families::DATABASE_WRITABLE).set(0.0);
        }
        Err(_) => {
            tracing::warn!("metrics: the database did not answer within 2 s");
            metrics::gauge!(families::DATABASE_UP).set(0.0);
            metrics::gauge!(families::DATABASE_WRITABLE).set(0.0);
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts of rows, far below 2^52
fn set_queue_gauges(s: &QueueStats) {
    metrics::gauge!(families::OUTBOX_PENDING).set(s.outbox_pending as f64);
    metrics::gauge!(families::OUTBOX_DUE).set(s.outbox_due as f64);
    metrics::gauge!(families::OUTBOX_OLDEST_DUE_AGE).set(s.outbox_oldest_due_age);
    metrics::gauge!(families::OUTBOX_DEAD_MESSAGES).set(s.outbox_dead as f64);
    metrics::gauge!(families::RECOMPUTE_QUEUE_DEPTH).set(s.recompute_depth as f64);
    metrics::gauge!(families::RECOMPUTE_LAG).set(s.recompute_lag);
}
