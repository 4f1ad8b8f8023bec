//! Re-codes the statuses tonic itself answers before a handler runs, where
//! its choice misleads a client: a request over the size limit is
//! `OUT_OF_RANGE` in tonic and `RESOURCE_EXHAUSTED` in gRPC's own
//! guidance (the limit is a resource; the value is not out of a range).
//! Only trailers-only answers (status in the headers) are touched: that is
//! how tonic refuses a unary request it cannot read. Our handlers never
//! answer `OUT_OF_RANGE` (see `ApiError::code`).

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::HeaderValue;

const RESOURCE_EXHAUSTED: &str = "8";

#[derive(Clone, Copy, Debug, Default)]
pub struct InboundStatusLayer;

impl<S> tower::Layer<S> for InboundStatusLayer {
    type Service = InboundStatus<S>;
    fn layer(&self, inner: S) -> Self::Service {
        InboundStatus { inner }
    }
}

#[derive(Clone, Debug)]
pub struct InboundStatus<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for InboundStatus<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut r = response.await?;
            recode(r.headers_mut());
            Ok(r)
        })
    }
}

/// Turns tonic's size-limit `OUT_OF_RANGE` into `RESOURCE_EXHAUSTED`
/// (the same test as for streams, `error::over_size_limit`).
fn recode(headers: &mut http::HeaderMap) {
    if tonic::Status::from_header_map(headers).is_some_and(|s| super::error::over_size_limit(&s)) {
        headers.insert("grpc-status", HeaderValue::from_static(RESOURCE_EXHAUSTED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_size_limit_is_recoded() {
        let mut h = http::HeaderMap::new();
        h.insert("grpc-status", HeaderValue::from_static("11"));
        h.insert(
            "grpc-message",
            HeaderValue::from_static("Error,%20decoded%20message%20length%20too%20large"),
        );
        recode(&mut h);
        assert_eq!(h["grpc-status"], "8");
        let mut other = http::HeaderMap::new();
        other.insert("grpc-status", HeaderValue::from_static("11"));
        other.insert("grpc-message", HeaderValue::from_static("something else"));
        recode(&mut other);
        assert_eq!(other["grpc-status"], "11");
    }
}
