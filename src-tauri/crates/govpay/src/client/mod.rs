//! The HTTP client: one handler per resource (`client.payments().refund(..)`),
//! one file per resource beside this one.
//!
//! Whether a try is sent again is decided by [`retry::decide`]: reads are
//! retried with bounded exponential backoff and jitter on 5xx, timeouts and
//! 429; a request answered 429 P0900 was not processed, so it is retried too.
//! A POST that may have been done (a 5xx, a timeout or a dropped connection
//! after sending, or a success whose body cannot be read) is never retried: it
//! fails with [`Error::OutcomeUnknown`] and the caller reads GOV.UK Pay to find
//! out. Every call has an overall deadline as well as a timeout per try. A
//! limiter keeps each client under GOV.UK Pay's published per-second limits,
//! so a long sync never causes a 429 by itself.

mod agreements;
mod auth;
mod disputes;
mod limiter;
mod paging;
mod payments;
mod refunds;
mod retry;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use agreements::Agreements;
pub use auth::Moto;
pub use disputes::Disputes;
use limiter::{Group, Limiter};
pub use paging::{PageOf, PageOfResults, Paged, Pages};
pub use payments::Payments;
pub use refunds::Refunds;
use retry::{Kind, Next, Seen};

use crate::error::{ApiErrorBody, Error, Result};
use crate::idempotency::IdempotencyKey;
use crate::key::ApiKey;
use crate::models::ErrorResponse;
use crate::search::PaymentSearch;

/// GOV.UK Pay's one address for test and live: the key decides which.
pub const DEFAULT_BASE_URL: &str = "https://publicapi.payments.service.gov.uk";

/// Makes rustls use *ring* for this process (reqwest is built without a default
/// provider). Called by every client; harmless to call again.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; that is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Requests per second a client allows itself, per group, as GOV.UK Pay counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub get_per_second: u32,
    pub create_payment_per_second: u32,
    pub capture_per_second: u32,
    pub other_post_per_second: u32,
}

impl Default for RateLimits {
    /// GOV.UK Pay's defaults: 75 GET/s; 15 POST/s each for create, capture and other POSTs.
    fn default() -> Self {
        Self {
            get_per_second: 75,
            create_payment_per_second: 15,
            capture_per_second: 15,
            other_post_per_second: 15,
        }
    }
}

/// How hard a client tries before giving up on a request that is safe to repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all for a GET (5xx, timeout, dropped connection, 429).
    pub get_attempts: u32,
    /// Attempts in all for a POST answered 429 (it was not processed).
    pub rate_limited_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest a whole call may take, retries and waits included (never
    /// less than one try's timeout). `None`: two tries' timeout.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            get_attempts: 4,
            rate_limited_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: None,
        }
    }
}

/// Counters a caller can read to see what the client did.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
    /// Answers of 429 P0900 received.
    pub rate_limited: u64,
}

/// Sets up a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    key: Option<ApiKey>,
    timeout: Duration,
    auth_timeout: Duration,
    connect_timeout: Duration,
    limits: RateLimits,
    retry: RetryPolicy,
    proxy: Option<String>,
    extra_roots: Option<Vec<u8>>,
}

impl ClientBuilder {
    pub fn new(key: ApiKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            key: Some(key),
            timeout: Duration::from_secs(20),
            // GOV.UK Pay asks for at least 15 s: the provider itself may take 10.
            auth_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            limits: RateLimits::default(),
            retry: RetryPolicy::default(),
            proxy: None,
            extra_roots: None,
        }
    }

    /// Point the client somewhere else (the simulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of one try of every request except `POST /v1/auth`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout of `POST /v1/auth`; never less than 15 s, as GOV.UK Pay advises.
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout.max(Duration::from_secs(15));
        self
    }

    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The longest one call may take in all, retries included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.retry.deadline = Some(deadline);
        self
    }

    /// A web proxy for this service (otherwise `HTTPS_PROXY`/`NO_PROXY` apply).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Certificate authorities to trust beside the computer's own (PEM): the
    /// one a department's TLS-inspecting proxy signs with.
    pub fn extra_roots_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots = Some(pem.into());
        self
    }

    pub fn build(self) -> Result<Client> {
        install_crypto_provider();
        let mut base = Url::parse(&self.base_url)
            .map_err(|e| Error::Config(format!("the base URL is not a valid URL ({e})")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(
                "the base URL must start with https://".into(),
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Paydesk/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = &self.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .map_err(|e| Error::Config(format!("the proxy address is not valid ({e})")))?;
            http = http.proxy(proxy);
        }
        if let Some(pem) = &self.extra_roots {
            let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|_| {
                Error::Config("the CA certificate file is not a PEM certificate".into())
            })?;
            if roots.is_empty() {
                return Err(Error::Config(
                    "the CA certificate file holds no certificate".into(),
                ));
            }
            http = http.tls_certs_merge(roots);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("could not set up HTTPS ({e})")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                key: self.key,
                timeout: self.timeout,
                auth_timeout: self.auth_timeout,
                limiter: Limiter::new(self.limits),
                retry: self.retry,
                stats: Stats::default(),
                jitter: AtomicU64::new(0x2545_F491_4F6C_DD1D),
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    key: Option<ApiKey>,
    timeout: Duration,
    auth_timeout: Duration,
    limiter: Limiter,
    retry: RetryPolicy,
    stats: Stats,
    jitter: AtomicU64,
}

/// A GOV.UK Pay client for one service account (one API key). Cheap to clone:
/// clones share the connection pool, the rate limiter and the counters.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What a request is, for retries and errors.
#[derive(Debug, Clone, Copy)]
struct Call {
    group: Group,
    kind: Kind,
    operation: &'static str,
    with_key: bool,
}

impl Call {
    const GET: Call = Call {
        group: Group::Get,
        kind: Kind::Read,
        operation: "read",
        with_key: true,
    };

    fn post(group: Group, operation: &'static str) -> Self {
        Call {
            group,
            kind: Kind::Change,
            operation,
            with_key: true,
        }
    }
}

/// A whole answer: status, the `Location` header when there is one, the body.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
}

impl Client {
    pub fn builder(key: ApiKey) -> ClientBuilder {
        ClientBuilder::new(key)
    }

    pub fn payments(&self) -> Payments<'_> {
        Payments { client: self }
    }

    pub fn refunds(&self) -> Refunds<'_> {
        Refunds { client: self }
    }

    pub fn disputes(&self) -> Disputes<'_> {
        Disputes { client: self }
    }

    pub fn agreements(&self) -> Agreements<'_> {
        Agreements { client: self }
    }

    pub fn moto(&self) -> Moto<'_> {
        Moto { client: self }
    }

    /// What the client has done so far.
    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.inner.stats;
        StatsSnapshot {
            requests: s.requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            rate_limited: s.rate_limited.load(Ordering::Relaxed),
        }
    }

    /// One cheap call that proves the key works: a search for a single payment.
    pub async fn check_key(&self) -> Result<()> {
        let search = PaymentSearch {
            paging: crate::search::Paging {
                page: None,
                display_size: Some(1),
            },
            ..Default::default()
        };
        self.payments().search(&search).await.map(|_| ())
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad request path ({e})")))
    }

    /// A paging link from GOV.UK Pay, followed only if it points at our own base
    /// address (so the API key never goes anywhere else).
    fn same_origin(&self, href: &str) -> Result<Url> {
        let url = Url::parse(href).map_err(|_| Error::Decode {
            status: 200,
            detail: "a paging link was not a URL".into(),
        })?;
        let base = &self.inner.base;
        if url.scheme() != base.scheme()
            || url.host_str() != base.host_str()
            || url.port_or_known_default() != base.port_or_known_default()
        {
            return Err(Error::Decode {
                status: 200,
                detail: "a paging link pointed at another address".into(),
            });
        }
        Ok(url)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let r = &self.inner.retry;
        let exp = r
            .base_delay
            .saturating_mul(1 << attempt.min(10))
            .min(r.max_delay);
        // splitmix64 for jitter: up to half the delay again.
        let mut z = self
            .inner
            .jitter
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let frac = (z >> 11) as f64 / (1u64 << 53) as f64;
        exp + exp.mul_f64(frac / 2.0)
    }

    /// One try: the request built, sent, and its whole answer read.
    async fn try_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        call: Call,
        idempotency_key: Option<&IdempotencyKey>,
        timeout: Duration,
    ) -> Result<std::result::Result<Answer, (Seen, String)>> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(method.clone(), url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("Paydesk/", env!("CARGO_PKG_VERSION")));
        if call.with_key {
            let key = inner
                .key
                .as_ref()
                .ok_or_else(|| Error::Config("this client has no API key".into()))?;
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                    Error::Config("the API key contains characters a header cannot carry".into())
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key.as_str());
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(response) => response,
            // The secure connection was refused before anything was sent.
            Err(e) if let Some(why) = certificate_problem(&e) => return Err(Error::Untrusted(why)),
            // Nothing can have been sent when the connection was never made.
            Err(e) if e.is_connect() => return Ok(Err((Seen::NotSent, describe(&e)))),
            Err(e) => return Ok(Err((Seen::Lost, describe(&e)))),
        };
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match response.bytes().await {
            Ok(bytes) => Ok(Ok(Answer {
                status,
                location,
                body: bytes.to_vec(),
            })),
            Err(e) => Ok(Err((Seen::Lost, describe(&e)))),
        }
    }

    /// Sends a request, trying again only what [`retry::decide`] says is safe,
    /// and never past the call's deadline.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        call: Call,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Answer> {
        let inner = &self.inner;
        let per_try = if call.with_key {
            inner.timeout
        } else {
            inner.auth_timeout
        };
        let budget = inner.retry.deadline.unwrap_or(per_try * 2).max(per_try);
        let deadline = Instant::now() + budget;
        let max_attempts = match call.kind {
            Kind::Read => inner.retry.get_attempts,
            Kind::Change => inner.retry.rate_limited_attempts,
        }
        .max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            inner.limiter.acquire(call.group).await;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Network("no answer in time".into()));
            }
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let tried = self
                .try_once(
                    &method,
                    &url,
                    body,
                    call,
                    idempotency_key,
                    per_try.min(left),
                )
                .await?;
            let seen = match &tried {
                Ok(answer) => Seen::Answer(answer.status.as_u16()),
                Err((seen, _)) => *seen,
            };
            if seen == Seen::Answer(429) {
                inner.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            let mut next = retry::decide(call.kind, seen);
            if let Next::Retry { slow_down } = next {
                let mut wait = self.backoff(attempt);
                if slow_down {
                    wait = wait.max(Duration::from_secs(1));
                }
                if attempt < max_attempts && Instant::now() + wait < deadline {
                    if let Err((_, detail)) = &tried {
                        tracing::debug!("{} failed ({detail}); will retry", call.operation);
                    }
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                    continue;
                }
                next = retry::give_up(seen);
            }
            return match (next, tried) {
                (Next::Finish, Ok(answer)) => Ok(answer),
                (Next::Unknown, tried) => {
                    // A 5xx from GOV.UK Pay ("check before trying again") or
                    // from a proxy on the way, or no answer at all: it may or
                    // may not have been done. Only reading GOV.UK Pay can tell.
                    let (status, location) = match tried {
                        Ok(a) => (Some(a.status.as_u16()), a.location),
                        Err(_) => (None, None),
                    };
                    tracing::warn!(
                        status,
                        operation = call.operation,
                        "a request that changes money or state got no usable answer; its outcome is unknown"
                    );
                    Err(Error::OutcomeUnknown {
                        operation: call.operation,
                        location,
                    })
                }
                (_, Err((_, detail))) => Err(Error::Network(detail)),
                (_, Ok(_)) => Err(Error::Network("no usable answer".into())),
            };
        }
    }

    /// One page of a search, once it passed its checks.
    async fn search_page<T: DeserializeOwned>(
        &self,
        path: &str,
        search: &impl crate::search::Walkable,
    ) -> Result<T> {
        search.check()?;
        self.get(with_query(self.url(path)?, search.to_query()))
            .await
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let answer = self.send(Method::GET, url, None, Call::GET, None).await?;
        decode(answer.status, &answer.body)
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        call: Call,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<T> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("could not write the request ({e})")))?;
        let answer = self
            .send(
                Method::POST,
                self.url(path)?,
                Some(&bytes),
                call,
                idempotency_key,
            )
            .await?;
        match decode(answer.status, &answer.body) {
            // Done, but the answer cannot be read (the payment or refund was
            // made and its ID is lost with the body): the outcome is unknown to
            // the caller, who reads GOV.UK Pay to find it, starting from the
            // Location when GOV.UK Pay sent one.
            Err(Error::Decode { status, detail }) => {
                tracing::warn!(
                    status,
                    operation = call.operation,
                    "the answer to a change could not be read: {detail}"
                );
                Err(Error::OutcomeUnknown {
                    operation: call.operation,
                    location: answer.location,
                })
            }
            other => other,
        }
    }

    async fn post_empty(&self, path: &str, call: Call) -> Result<()> {
        let answer = self
            .send(Method::POST, self.url(path)?, None, call, None)
            .await?;
        expect_no_content(answer.status, &answer.body)
    }
}

/// What was wrong with the server's certificate, when that is why the
/// connection failed (in words for staff; no address or certificate text).
fn certificate_problem(e: &reqwest::Error) -> Option<String> {
    use rustls::CertificateError as C;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(problem)) = tls {
            return Some(
                match problem {
                    C::UnknownIssuer => {
                        "its certificate was issued by an authority this computer does not trust"
                    }
                    C::Expired | C::ExpiredContext { .. } => "its certificate has expired",
                    C::NotValidYet | C::NotValidYetContext { .. } => {
                        "its certificate is not valid yet (check this computer's clock)"
                    }
                    C::NotValidForName | C::NotValidForNameContext { .. } => {
                        "its certificate is for a different address"
                    }
                    C::Revoked => "its certificate has been revoked",
                    _ => "its certificate was not accepted",
                }
                .to_owned(),
            );
        }
        cause = err.source();
    }
    None
}

/// Says what went wrong in transport without echoing URLs or headers.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}

fn api_error(status: StatusCode, bytes: &[u8]) -> Error {
    let body = || ApiErrorBody {
        status: status.as_u16(),
        body: serde_json::from_slice::<ErrorResponse>(bytes).unwrap_or_default(),
    };
    match status.as_u16() {
        401 => Error::Unauthorized,
        429 => Error::RateLimited(body()),
        _ => Error::Api(body()),
    }
}

fn decode<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T> {
    if !status.is_success() {
        return Err(api_error(status, bytes));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        status: status.as_u16(),
        detail: e.to_string(),
    })
}

fn expect_no_content(status: StatusCode, bytes: &[u8]) -> Result<()> {
    if status.is_success() {
        Ok(())
    } else {
        Err(api_error(status, bytes))
    }
}

fn with_query(mut url: Url, query: Vec<(&'static str, String)>) -> Url {
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_base_url_that_is_not_http() {
        let key = ApiKey::new("k").unwrap();
        let err = Client::builder(key)
            .base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
    }

    #[test]
    fn paging_links_to_another_host_are_refused() {
        let client = Client::builder(ApiKey::new("k").unwrap())
            .base_url("https://pay.example")
            .build()
            .unwrap();
        assert!(
            client
                .same_origin("https://pay.example/v1/payments?page=2")
                .is_ok()
        );
        assert!(
            client
                .same_origin("https://evil.example/v1/payments?page=2")
                .is_err()
        );
        assert!(
            client
                .same_origin("http://pay.example/v1/payments?page=2")
                .is_err()
        );
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let client = Client::builder(ApiKey::new("k").unwrap()).build().unwrap();
        let first = client.backoff(1);
        assert!(
            first >= Duration::from_millis(400) && first <= Duration::from_millis(600),
            "{first:?}"
        );
        for attempt in 0..20 {
            assert!(client.backoff(attempt) <= Duration::from_millis(7500));
        }
    }
}
