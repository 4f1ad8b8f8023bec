//! Counting and timing every gRPC call (a tower layer).
//! The method label is bounded: unknown paths share one label.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;

use super::families;

/// The method label for a request path: known services only, so a client
/// cannot blow up label cardinality with made-up paths.
fn method_label(path: &str) -> String {
    const KNOWN: &[&str] = &["/tidsvakt.v1.", "/grpc.health.v1.", "/grpc.reflection."];
    if KNOWN.iter().any(|p| path.starts_with(p)) && path.len() < 120 {
        path.trim_start_matches('/').to_owned()
    } else {
        "other".to_owned()
    }
}

/// A tower layer that counts and times every gRPC call.
#[derive(Clone, Copy, Debug, Default)]
pub struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

#[derive(Clone, Debug)]
pub struct RpcMetrics<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = method_label(request.uri().path());
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let r = response.await;
            metrics::counter!(families::RPC_REQUESTS, "method" => method.clone()).increment(1);
            // Until the reply's headers: for a stream, until it opens.
            metrics::histogram!(families::RPC_DURATION, "method" => method)
                .record(started.elapsed().as_secs_f64());
            r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(
            method_label("/tidsvakt.v1.ClockService/RecordEvent"),
            "tidsvakt.v1.ClockService/RecordEvent"
        );
        assert_eq!(method_label("/evil/abc123"), "other");
    }
}
