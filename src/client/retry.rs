//! Retries. kube's own retry layer (429/503/504, up to 15 times, any `Retry-After` honoured) is
//! turned off because nothing bounds it by `--request-timeout`; this one is bounded, also retries
//! broken connections, and decides by the request's method whether repeating it is safe.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use kube::Client;
use kube::client::{Body, ClientBuilder, DynBody};

use super::explain::{causes, find_cause, innermost};

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, and this plugin's POSTs: every create is followed by an AlreadyExists check against
    /// the digest (publish.rs), and access reviews change nothing.
    Safe,
    /// DELETE, PUT, PATCH: repeated only when the server certainly did not act on the first try.
    UnsentOnly,
}

impl Replay {
    pub fn of(method: &http::Method) -> Replay {
        match *method {
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS | http::Method::POST => {
                Replay::Safe
            }
            _ => Replay::UnsentOnly,
        }
    }
}

/// How one attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// An HTTP answer with this status, and the server's `Retry-After` when it sent one.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// No connection: the request never left this machine.
    NotConnected,
    /// The connection broke (reset, closed, cut short) after the request may have been sent.
    Broken,
    /// Anything retrying cannot fix: TLS verification, credentials, timeouts, other statuses.
    Permanent,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { code, .. } => write!(f, "status {code}"),
            Failure::NotConnected => f.write_str("no connection"),
            Failure::Broken => f.write_str("a broken connection"),
            Failure::Permanent => f.write_str("a permanent failure"),
        }
    }
}

/// Bounded exponential backoff for one request; see [`RetryPolicy::delay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// `--request-timeout`: a request and its retries end within it (None waits forever).
    pub deadline: Option<Duration>,
}

/// Without `--request-timeout`, no wait is started that would end later than this after the
/// first attempt began (a server asking for long `Retry-After` pauses gets its answer reported).
pub const RETRY_WINDOW: Duration = Duration::from_secs(30);

impl RetryPolicy {
    /// 5 attempts, waiting 0.1 s, 0.2 s, 0.4 s, 0.8 s between them (or what `Retry-After` asks).
    pub fn new(deadline: Option<Duration>) -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            deadline,
        }
    }

    /// How long to wait before attempt `attempt + 1`, or None to give up and report `failure`.
    /// `elapsed` is the time since the first attempt began.
    pub fn delay(
        &self,
        replay: Replay,
        failure: Failure,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let retry = match failure {
            // 429 means the server turned the request away unprocessed (rate limit, APF).
            Failure::Status { code: 429, .. } | Failure::NotConnected => true,
            Failure::Status {
                code: 500 | 502 | 503 | 504,
                ..
            }
            | Failure::Broken => replay == Replay::Safe,
            Failure::Status { .. } | Failure::Permanent => false,
        };
        if !retry {
            return None;
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let backoff = self.first_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let wait = match failure {
            Failure::Status {
                retry_after: Some(asked),
                ..
            } => backoff.max(asked),
            _ => backoff,
        };
        let window = self.deadline.unwrap_or(RETRY_WINDOW);
        (elapsed.saturating_add(wait) < window).then_some(wait)
    }
}

/// Classifies an attempt's error by the innermost I/O error under it, or the HTTP connection's
/// state when there is none.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Failure {
    use std::io::ErrorKind;
    // A failure while connecting (TCP or TLS handshake) means no request bytes were sent.
    let connecting = find_cause::<hyper_util::client::legacy::Error>(err).is_some_and(|e| e.is_connect());
    let mut io_kind = None;
    let mut http_broken = false;
    for error in causes(err) {
        if error.is::<RequestTimedOut>() {
            return Failure::Permanent;
        }
        // The innermost I/O error says what happened (`UnexpectedEof` inside `Other`).
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        // Plain-HTTP servers (kubectl proxy) closing mid-message leave no I/O error behind.
        if let Some(http) = error.downcast_ref::<hyper::Error>() {
            http_broken |= http.is_incomplete_message() || http.is_closed() || http.is_canceled();
        }
    }
    let connection_ended = |kind: ErrorKind| {
        matches!(
            kind,
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::NotConnected
        )
    };
    match io_kind {
        Some(ErrorKind::ConnectionRefused) => Failure::NotConnected,
        Some(kind) if connection_ended(kind) && connecting => Failure::NotConnected,
        Some(kind) if connection_ended(kind) => Failure::Broken,
        // A body read as it arrives wraps hyper's error in a bare `Other`.
        Some(ErrorKind::Other) if http_broken => Failure::Broken,
        // Certificate errors (InvalidData), timeouts and the rest do not go away.
        Some(_) => Failure::Permanent,
        None if http_broken => Failure::Broken,
        None => Failure::Permanent,
    }
}

/// A request that got no complete answer within `--request-timeout`, retries included.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {} (--request-timeout)", seconds(*.0))]
pub struct RequestTimedOut(pub Duration);

pub(super) fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxResponse = http::Response<Box<DynBody>>;

/// Marks a request whose answer the caller reads as it arrives (a large list parsed on the way
/// in, so it is never held whole): the layer sends it once and hands the body over unread, and
/// the caller retries a broken read itself.
#[derive(Debug, Clone, Copy)]
pub struct ReadAsItArrives;

/// kube's client with kube's retry replaced by [`RetryLayer`] (outermost, so each retry goes
/// through authentication again and a refreshed token is used).
pub(super) fn build_client(mut config: kube::Config, policy: RetryPolicy) -> Result<Client, kube::Error> {
    config.default_retry = false;
    let server = config.cluster_url.to_string().trim_end_matches('/').into();
    Ok(ClientBuilder::try_from(config)?
        .with_layer(&RetryLayer { policy, server })
        .build())
}

/// Retries requests as [`RetryPolicy`] allows and reads each answer whole before returning it,
/// so a connection that breaks halfway through a body is retried like one that broke earlier.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    pub policy: RetryPolicy,
    /// The server's URL, for log lines (requests carry only the path here).
    pub server: Arc<str>,
}

impl<S> tower::Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> RetryService<S> {
        RetryService {
            inner: Arc::new(tokio::sync::Mutex::new(inner)),
            policy: self.policy,
            server: Arc::clone(&self.server),
        }
    }
}

/// The service [`RetryLayer`] makes. The inner stack is not `Clone`; a lock lets each attempt
/// dispatch through it while earlier answers are still being read.
pub struct RetryService<S> {
    inner: Arc<tokio::sync::Mutex<S>>,
    policy: RetryPolicy,
    server: Arc<str>,
}

impl<S> tower::Service<http::Request<Body>> for RetryService<S>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = BoxResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<BoxResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness of the inner stack is awaited per attempt, under the lock.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        let policy = self.policy;
        let server = Arc::clone(&self.server);
        Box::pin(async move {
            let attempts = send_with_retries(inner, policy, server, request);
            match policy.deadline {
                Some(limit) => tokio::time::timeout(limit, attempts)
                    .await
                    .unwrap_or_else(|_| Err(Box::new(RequestTimedOut(limit)))),
                None => attempts.await,
            }
        })
    }
}

async fn send_with_retries<S>(
    inner: Arc<tokio::sync::Mutex<S>>,
    policy: RetryPolicy,
    server: Arc<str>,
    request: http::Request<Body>,
) -> Result<BoxResponse, BoxError>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError>,
{
    let started = tokio::time::Instant::now();
    let replay = Replay::of(request.method());
    // Watches stream for as long as they run, answers marked `ReadAsItArrives` are parsed as
    // they arrive (the caller retries them), and streamed request bodies cannot be copied: all
    // are sent once, as they are.
    let streaming = request.uri().query().is_some_and(|q| q.contains("watch=true"))
        || request.extensions().get::<ReadAsItArrives>().is_some();
    let template = match copy_request(&request) {
        Some(copy) if !streaming => copy,
        _ => return send(&inner, request, false).await,
    };
    let mut next = request;
    let mut attempt = 1;
    loop {
        let (method, uri) = (next.method().clone(), next.uri().clone());
        let sent = tokio::time::Instant::now();
        let result = send(&inner, next, true).await;
        let failure = match &result {
            Ok(response) => {
                tracing::debug!(target: "kubectl_kfp::http", "{method} {server}{uri} {} ({} ms)", response.status().as_u16(), sent.elapsed().as_millis());
                match status_failure(response) {
                    Some(failure) => failure,
                    None => return result,
                }
            }
            Err(err) => {
                tracing::debug!(target: "kubectl_kfp::http", "{method} {server}{uri} failed: {} ({} ms)", innermost(err.as_ref()), sent.elapsed().as_millis());
                classify(err.as_ref())
            }
        };
        let Some(wait) = policy.delay(replay, failure, attempt, started.elapsed()) else {
            return result;
        };
        tracing::debug!(
            "retrying {method} {server}{uri} in {} ms after {failure} (attempt {} of {})",
            wait.as_millis(),
            attempt + 1,
            policy.attempts
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
        next = match copy_request(&template) {
            Some(copy) => copy,
            None => return result,
        };
    }
}

/// One attempt; with `whole`, the body is read completely (within the same attempt).
async fn send<S>(
    inner: &tokio::sync::Mutex<S>,
    request: http::Request<Body>,
    whole: bool,
) -> Result<BoxResponse, BoxError>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError>,
{
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let answer = {
        let mut service = inner.lock().await;
        service.ready().await?.call(request)
    };
    let response = answer.await?;
    if !whole {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    let body = http_body_util::Full::new(bytes).map_err(|never| -> BoxError { match never {} });
    Ok(http::Response::from_parts(parts, Box::new(body) as Box<DynBody>))
}

/// A copy of a request whose body is in memory (every request kube makes but streams).
fn copy_request(request: &http::Request<Body>) -> Option<http::Request<Body>> {
    let mut copy = http::Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(request.body().try_clone()?)
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// Statuses worth retrying, with the server's `Retry-After` (seconds form).
fn status_failure(response: &BoxResponse) -> Option<Failure> {
    let code = response.status().as_u16();
    if !matches!(code, 429 | 500 | 502 | 503 | 504) {
        return None;
    }
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Some(Failure::Status { code, retry_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn status(code: u16) -> Failure {
        Failure::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn transient_answers_to_reads_are_retried_with_exponential_backoff() {
        let policy = RetryPolicy::new(Some(Duration::from_secs(30)));
        for failure in [
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
            Failure::Broken,
            Failure::NotConnected,
        ] {
            let waits: Vec<Option<Duration>> = (1..=5)
                .map(|attempt| policy.delay(Replay::Safe, failure, attempt, Duration::ZERO))
                .collect();
            assert_eq!(
                waits,
                [Some(MS(100)), Some(MS(200)), Some(MS(400)), Some(MS(800)), None],
                "{failure:?}"
            );
        }
        for failure in [
            status(400),
            status(403),
            status(404),
            status(409),
            status(501),
            Failure::Permanent,
        ] {
            assert_eq!(
                policy.delay(Replay::Safe, failure, 1, Duration::ZERO),
                None,
                "{failure:?}"
            );
        }
    }

    #[test]
    fn unsafe_writes_are_retried_only_when_the_server_did_not_act() {
        let policy = RetryPolicy::new(None);
        assert_eq!(Replay::of(&http::Method::DELETE), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::PATCH), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::PUT), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::GET), Replay::Safe);
        assert_eq!(Replay::of(&http::Method::POST), Replay::Safe);
        for failure in [status(503), status(500), Failure::Broken] {
            assert_eq!(
                policy.delay(Replay::UnsentOnly, failure, 1, Duration::ZERO),
                None,
                "{failure:?}"
            );
        }
        for failure in [status(429), Failure::NotConnected] {
            assert_eq!(
                policy.delay(Replay::UnsentOnly, failure, 1, Duration::ZERO),
                Some(MS(100)),
                "{failure:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_only_within_the_request_timeout() {
        let policy = RetryPolicy::new(Some(Duration::from_secs(5)));
        let asked = |seconds| Failure::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(seconds)),
        };
        assert_eq!(
            policy.delay(Replay::Safe, asked(2), 1, MS(500)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(Replay::Safe, asked(5), 1, Duration::ZERO), None);
        // Backoff is never shorter than asked-for pauses, and never runs past the deadline.
        assert_eq!(
            policy.delay(Replay::Safe, asked(0), 4, Duration::ZERO),
            Some(MS(800))
        );
        assert_eq!(policy.delay(Replay::Safe, status(503), 2, MS(4850)), None);
        assert_eq!(
            policy.delay(Replay::Safe, status(503), 2, MS(4700)),
            Some(MS(200))
        );
        // Without --request-timeout, waits still end within the retry window.
        let open = RetryPolicy::new(None);
        assert_eq!(open.delay(Replay::Safe, asked(60), 1, Duration::ZERO), None);
        assert_eq!(
            open.delay(Replay::Safe, asked(20), 1, Duration::ZERO),
            Some(Duration::from_secs(20))
        );
    }

    #[test]
    fn retry_after_is_read_from_answers_to_retry() {
        let answer = |code: u16, retry_after: &str| {
            http::Response::builder()
                .status(code)
                .header(http::header::RETRY_AFTER, retry_after)
                .body(
                    Box::new(http_body_util::Empty::new().map_err(|never| -> BoxError { match never {} }))
                        as Box<DynBody>,
                )
                .unwrap()
        };
        use http_body_util::BodyExt as _;
        assert_eq!(
            status_failure(&answer(429, "3")),
            Some(Failure::Status {
                code: 429,
                retry_after: Some(Duration::from_secs(3))
            })
        );
        // The HTTP-date form is not worth a date parser here; backoff applies instead.
        assert_eq!(
            status_failure(&answer(503, "Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(status(503))
        );
        assert_eq!(status_failure(&answer(404, "3")), None);
    }

    #[test]
    fn errors_are_classified_by_their_innermost_io_error() {
        use std::io::{Error, ErrorKind};
        let wrapped = |kind| Error::other(Error::new(kind, "inner"));
        assert_eq!(classify(&wrapped(ErrorKind::ConnectionReset)), Failure::Broken);
        assert_eq!(classify(&wrapped(ErrorKind::UnexpectedEof)), Failure::Broken);
        assert_eq!(
            classify(&wrapped(ErrorKind::ConnectionRefused)),
            Failure::NotConnected
        );
        assert_eq!(classify(&wrapped(ErrorKind::InvalidData)), Failure::Permanent);
        assert_eq!(classify(&wrapped(ErrorKind::TimedOut)), Failure::Permanent);
        assert_eq!(classify(&RequestTimedOut(MS(1000))), Failure::Permanent);
        assert_eq!(classify(&Error::other("no cause")), Failure::Permanent);
    }

    /// A stand-in for kube's stack that answers with `statuses` in turn (then 200), and breaks
    /// the body of each answer listed in `broken_bodies`.
    fn scripted(
        statuses: Vec<u16>,
        broken_bodies: Vec<usize>,
        calls: Arc<std::sync::atomic::AtomicUsize>,
    ) -> impl tower::Service<
        http::Request<Body>,
        Response = BoxResponse,
        Error = BoxError,
        Future = impl Future<Output = Result<BoxResponse, BoxError>> + Send,
    > + Send
    + 'static {
        use http_body_util::BodyExt as _;
        use hyper::body::{Bytes, Frame};
        tower::service_fn(move |_request: http::Request<Body>| {
            let call = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let code = statuses.get(call).copied().unwrap_or(200);
            let broken = broken_bodies.contains(&call);
            async move {
                let frames: Vec<Result<Frame<Bytes>, BoxError>> = if broken {
                    vec![
                        Ok(Frame::data(Bytes::from_static(b"{\"half"))),
                        Err(Box::new(std::io::Error::from(
                            std::io::ErrorKind::ConnectionReset,
                        ))),
                    ]
                } else {
                    vec![Ok(Frame::data(Bytes::from(format!("answer {call}"))))]
                };
                let body = http_body_util::StreamBody::new(futures::stream::iter(frames));
                let response = http::Response::builder()
                    .status(code)
                    .body(Box::new(body.map_err(|e| e)) as Box<DynBody>)?;
                Ok::<_, BoxError>(response)
            }
        })
    }

    async fn call_through(
        method: http::Method,
        statuses: Vec<u16>,
        broken_bodies: Vec<usize>,
    ) -> (u16, String, usize) {
        use http_body_util::BodyExt as _;
        use tower::{Layer as _, ServiceExt as _};
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let layer = RetryLayer {
            policy: RetryPolicy {
                first_delay: MS(1),
                ..RetryPolicy::new(Some(Duration::from_secs(10)))
            },
            server: "https://test".into(),
        };
        let service = layer.layer(scripted(statuses, broken_bodies, Arc::clone(&calls)));
        let request = http::Request::builder()
            .method(method)
            .uri("/apis/x")
            .body(Body::from(b"{}".to_vec()))
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let code = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            code,
            String::from_utf8_lossy(&body).into_owned(),
            calls.load(std::sync::atomic::Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn the_layer_retries_429_and_503_and_broken_bodies_then_answers() {
        assert_eq!(
            call_through(http::Method::GET, vec![429, 503, 502], vec![]).await,
            (200, "answer 3".into(), 4)
        );
        // A create is safe to repeat: its AlreadyExists answer is checked against the digest.
        assert_eq!(
            call_through(http::Method::POST, vec![503], vec![0, 1]).await,
            (200, "answer 2".into(), 3)
        );
        // Gives up after 5 attempts with the last answer.
        assert_eq!(
            call_through(http::Method::GET, vec![503; 9], vec![]).await,
            (503, "answer 4".into(), 5)
        );
        // A delete is not repeated once the server may have acted on it.
        assert_eq!(
            call_through(http::Method::DELETE, vec![503], vec![]).await,
            (503, "answer 0".into(), 1)
        );
        assert_eq!(
            call_through(http::Method::DELETE, vec![429], vec![]).await,
            (200, "answer 1".into(), 2)
        );
    }
}
