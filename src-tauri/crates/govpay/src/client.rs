//! The HTTP client: one handler per resource (`client.payments().refund(..)`).
//!
//! GETs are retried with bounded exponential backoff and jitter on 5xx, timeouts
//! and 429; a request answered 429 P0900 was not processed, so it is retried too.
//! A POST that may have been done (timeout or dropped connection after sending)
//! is never retried: it fails with [`Error::OutcomeUnknown`] and the caller reads
//! the payment to find out. A limiter keeps each client under GOV.UK Pay's
//! published per-second limits, so a long sync never causes a 429 by itself.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use url::Url;

use crate::error::{ApiErrorBody, Error, Result};
use crate::ids::{AgreementId, PaymentId, RefundId};
use crate::key::ApiKey;
use crate::models::{
    Agreement, DisputeSearchPage, ErrorResponse, Payment, PaymentEvents, PaymentRefunds, Refund,
    SearchNavigationLinks, SearchPage,
};
use crate::requests::{CreateAgreement, CreatePayment, CreateRefund, MotoCard};
use crate::search::{AgreementSearch, DisputeSearch, PaymentSearch, RefundSearch};

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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            get_attempts: 4,
            rate_limited_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Get,
    CreatePayment,
    Capture,
    OtherPost,
}

/// At most `limit` requests in any one-second span, so none of GOV.UK Pay's
/// fixed one-second windows can be exceeded, wherever its windows start.
#[derive(Debug)]
struct Window {
    limit: u32,
    sent: Mutex<VecDeque<Instant>>,
}

impl Window {
    fn new(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            sent: Mutex::new(VecDeque::new()),
        }
    }

    async fn acquire(&self) {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                sent.pop_front();
            }
            if (sent.len() as u32) < self.limit {
                sent.push_back(now);
                return;
            }
            let wait = sent
                .front()
                .map(|t| Duration::from_secs(1).saturating_sub(now.duration_since(*t)))
                .unwrap_or_default();
            tokio::time::sleep(wait + Duration::from_millis(1)).await;
        }
    }
}

#[derive(Debug)]
struct Limiter {
    get: Window,
    create: Window,
    capture: Window,
    other: Window,
}

impl Limiter {
    fn new(l: RateLimits) -> Self {
        Self {
            get: Window::new(l.get_per_second),
            create: Window::new(l.create_payment_per_second),
            capture: Window::new(l.capture_per_second),
            other: Window::new(l.other_post_per_second),
        }
    }

    async fn acquire(&self, group: Group) {
        match group {
            Group::Get => self.get.acquire().await,
            Group::CreatePayment => self.create.acquire().await,
            Group::Capture => self.capture.acquire().await,
            Group::OtherPost => self.other.acquire().await,
        }
    }
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
        }
    }

    /// Point the client somewhere else (the simulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of every request except `POST /v1/auth`.
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

    /// A web proxy for this service (otherwise `HTTPS_PROXY`/`NO_PROXY` apply).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
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
    /// Changes money or state: never retried once it may have been sent.
    changes_state: bool,
    operation: &'static str,
    with_key: bool,
}

impl Call {
    const GET: Call = Call {
        group: Group::Get,
        changes_state: false,
        operation: "read",
        with_key: true,
    };

    fn post(group: Group, operation: &'static str) -> Self {
        Call {
            group,
            changes_state: true,
            operation,
            with_key: true,
        }
    }
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

    /// Sends a request, retrying only what is safe to retry.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        call: Call,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, bytes_body::Body)> {
        let inner = &self.inner;
        let max_attempts = if call.changes_state {
            inner.retry.rate_limited_attempts
        } else {
            inner.retry.get_attempts
        }
        .max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            inner.limiter.acquire(call.group).await;
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = inner
                .http
                .request(method.clone(), url.clone())
                .timeout(if call.with_key {
                    inner.timeout
                } else {
                    inner.auth_timeout
                })
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, concat!("Paydesk/", env!("CARGO_PKG_VERSION")));
            if call.with_key {
                let key = inner
                    .key
                    .as_ref()
                    .ok_or_else(|| Error::Config("this client has no API key".into()))?;
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| {
                        Error::Config(
                            "the API key contains characters a header cannot carry".into(),
                        )
                    })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(body) = body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_vec());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(bytes) => Ok((status, bytes_body::Body(bytes.to_vec()))),
                        Err(e) => Err((e, true)),
                    }
                }
                Err(e) => Err((e, false)),
            };
            let retry_after = match &outcome {
                Ok((status, _)) if *status == StatusCode::TOO_MANY_REQUESTS => {
                    inner.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    // Not processed: safe to send again, after at least a second.
                    Some(self.backoff(attempt).max(Duration::from_secs(1)))
                }
                Ok((status, _)) if status.is_server_error() && !call.changes_state => {
                    Some(self.backoff(attempt))
                }
                Ok(_) => None,
                Err((e, _)) if !call.changes_state => {
                    tracing::debug!("GET failed ({}); will retry", describe_transport_error(e));
                    Some(self.backoff(attempt))
                }
                Err(_) => None,
            };
            match (retry_after, outcome) {
                (Some(wait), outcome) if attempt < max_attempts => {
                    drop(outcome);
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                (_, Ok((status, _))) if call.changes_state && status.is_server_error() => {
                    // A 5xx after a change may have been made, from GOV.UK Pay
                    // ("check before trying again") or from a proxy on the way
                    // (502/503/504 and an HTML page): it may or may not have been
                    // done. Only reading GOV.UK Pay can tell.
                    tracing::warn!(
                        status = status.as_u16(),
                        operation = call.operation,
                        "a request that changes money or state was answered with a server error; its outcome is unknown"
                    );
                    return Err(Error::OutcomeUnknown {
                        operation: call.operation,
                    });
                }
                (_, Ok(answer)) => return Ok(answer),
                (_, Err((e, got_headers))) => {
                    if call.changes_state && (got_headers || !e.is_connect()) {
                        return Err(Error::OutcomeUnknown {
                            operation: call.operation,
                        });
                    }
                    return Err(Error::Network(describe_transport_error(&e)));
                }
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let (status, body) = self.send(Method::GET, url, None, Call::GET, None).await?;
        decode(status, &body.0)
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        call: Call,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, T)> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("could not write the request ({e})")))?;
        let (status, answer) = self
            .send(
                Method::POST,
                self.url(path)?,
                Some(&bytes),
                call,
                idempotency_key,
            )
            .await?;
        match decode(status, &answer.0) {
            // Done, but the answer cannot be read (the payment or refund was
            // made and its ID is lost with the body): the outcome is unknown to
            // the caller, who reads GOV.UK Pay to find it.
            Err(Error::Decode { status, detail }) if call.changes_state => {
                tracing::warn!(
                    status,
                    operation = call.operation,
                    "the answer to a change could not be read: {detail}"
                );
                Err(Error::OutcomeUnknown {
                    operation: call.operation,
                })
            }
            other => other.map(|v| (status, v)),
        }
    }

    async fn post_empty(&self, path: &str, call: Call) -> Result<()> {
        let (status, body) = self
            .send(Method::POST, self.url(path)?, None, call, None)
            .await?;
        expect_no_content(status, &body.0)
    }
}

/// Response bytes (a named type so the send loop's signature stays readable).
mod bytes_body {
    pub struct Body(pub Vec<u8>);
}

/// Says what went wrong in transport without echoing URLs or headers.
fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}

fn api_error(status: StatusCode, bytes: &[u8]) -> Error {
    match status.as_u16() {
        401 => Error::Unauthorized,
        429 => Error::RateLimited,
        s => {
            let body: ErrorResponse = serde_json::from_slice(bytes).unwrap_or_default();
            Error::Api(ApiErrorBody { status: s, body })
        }
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

/// The payments resource.
#[derive(Debug, Clone, Copy)]
pub struct Payments<'a> {
    client: &'a Client,
}

impl Payments<'_> {
    /// `POST /v1/payments`. The `Idempotency-Key` is sent for agreement payments,
    /// the only ones GOV.UK Pay applies it to.
    pub async fn create(
        &self,
        request: &CreatePayment,
        idempotency_key: Option<&str>,
    ) -> Result<Payment> {
        request.validate()?;
        let key = match request.authorisation_mode {
            crate::requests::AuthorisationMode::Agreement => idempotency_key,
            _ => None,
        };
        if let Some(k) = key
            && (k.is_empty()
                || k.len() > 255
                || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(Error::InvalidRequest {
                field: "Idempotency-Key",
                message: "must be 1 to 255 letters, digits or hyphens".into(),
                pay_code: "P0102",
            });
        }
        self.client
            .post_json(
                "v1/payments",
                request,
                Call::post(Group::CreatePayment, "payment creation"),
                key,
            )
            .await
            .map(|(_, p)| p)
    }

    /// `GET /v1/payments/{id}`: strongly consistent; mints a new one-time token.
    pub async fn get(&self, id: &PaymentId) -> Result<Payment> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}"))?)
            .await
    }

    /// `GET /v1/payments/{id}/events`.
    pub async fn events(&self, id: &PaymentId) -> Result<PaymentEvents> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}/events"))?)
            .await
    }

    /// `POST /v1/payments/{id}/cancel`.
    pub async fn cancel(&self, id: &PaymentId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/payments/{id}/cancel"),
                Call::post(Group::OtherPost, "cancellation"),
            )
            .await
    }

    /// `POST /v1/payments/{id}/capture`. Idempotent at GOV.UK Pay.
    pub async fn capture(&self, id: &PaymentId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/payments/{id}/capture"),
                Call::post(Group::Capture, "capture"),
            )
            .await
    }

    /// `POST /v1/payments/{id}/refunds`: answered 202 with the refund.
    pub async fn refund(&self, id: &PaymentId, request: &CreateRefund) -> Result<Refund> {
        request.validate()?;
        self.client
            .post_json(
                &format!("v1/payments/{id}/refunds"),
                request,
                Call::post(Group::OtherPost, "refund"),
                None,
            )
            .await
            .map(|(_, r)| r)
    }

    /// `GET /v1/payments/{id}/refunds`: eventually consistent.
    pub async fn refunds(&self, id: &PaymentId) -> Result<PaymentRefunds> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}/refunds"))?)
            .await
    }

    /// `GET /v1/payments/{id}/refunds/{refund_id}`: strongly consistent.
    pub async fn refund_status(&self, id: &PaymentId, refund_id: &RefundId) -> Result<Refund> {
        self.client
            .get(
                self.client
                    .url(&format!("v1/payments/{id}/refunds/{refund_id}"))?,
            )
            .await
    }

    /// `GET /v1/payments`: one page, newest first.
    pub async fn search(&self, search: &PaymentSearch) -> Result<SearchPage<Payment>> {
        search.validate()?;
        self.client
            .get(with_query(self.client.url("v1/payments")?, search.query()))
            .await
    }

    /// Every page of a search, following the paging links (500 a page unless set).
    pub fn search_all(&self, search: &PaymentSearch) -> Pages<Payment> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(
            self.client,
            "v1/payments",
            search.validate(),
            search.query(),
        )
    }
}

/// The refunds search.
#[derive(Debug, Clone, Copy)]
pub struct Refunds<'a> {
    client: &'a Client,
}

impl Refunds<'_> {
    /// `GET /v1/refunds`: one page, newest first.
    pub async fn search(&self, search: &RefundSearch) -> Result<SearchPage<Refund>> {
        search.validate()?;
        self.client
            .get(with_query(self.client.url("v1/refunds")?, search.query()))
            .await
    }

    pub fn search_all(&self, search: &RefundSearch) -> Pages<Refund> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(self.client, "v1/refunds", search.validate(), search.query())
    }
}

/// The disputes search (`GET /v1/disputes`; its paging key is `links`).
#[derive(Debug, Clone, Copy)]
pub struct Disputes<'a> {
    client: &'a Client,
}

impl Disputes<'_> {
    pub async fn search(&self, search: &DisputeSearch) -> Result<DisputeSearchPage> {
        search.validate()?;
        self.client
            .get(with_query(self.client.url("v1/disputes")?, search.query()))
            .await
    }

    pub fn search_all(&self, search: &DisputeSearch) -> Pages<crate::models::Dispute> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(
            self.client,
            "v1/disputes",
            search.validate(),
            search.query(),
        )
    }
}

/// Recurring-payment agreements.
#[derive(Debug, Clone, Copy)]
pub struct Agreements<'a> {
    client: &'a Client,
}

impl Agreements<'_> {
    pub async fn create(&self, request: &CreateAgreement) -> Result<Agreement> {
        request.validate()?;
        self.client
            .post_json(
                "v1/agreements",
                request,
                Call::post(Group::OtherPost, "agreement creation"),
                None,
            )
            .await
            .map(|(_, a)| a)
    }

    pub async fn get(&self, id: &AgreementId) -> Result<Agreement> {
        self.client
            .get(self.client.url(&format!("v1/agreements/{id}"))?)
            .await
    }

    pub async fn cancel(&self, id: &AgreementId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/agreements/{id}/cancel"),
                Call::post(Group::OtherPost, "agreement cancellation"),
            )
            .await
    }

    pub async fn search(&self, search: &AgreementSearch) -> Result<SearchPage<Agreement>> {
        search.validate()?;
        self.client
            .get(with_query(
                self.client.url("v1/agreements")?,
                search.query(),
            ))
            .await
    }

    pub fn search_all(&self, search: &AgreementSearch) -> Pages<Agreement> {
        let mut search = search.clone();
        search
            .paging
            .display_size
            .get_or_insert(crate::search::MAX_PAGE_SIZE);
        Pages::first(
            self.client,
            "v1/agreements",
            search.validate(),
            search.query(),
        )
    }
}

/// Telephone (MOTO) payments: `POST /v1/auth` takes the card and the one-time token.
#[derive(Debug, Clone, Copy)]
pub struct Moto<'a> {
    client: &'a Client,
}

impl Moto<'_> {
    /// Sends the card details with the payment's one-time token. No API key is
    /// sent: the token is the credential. Card details are checked first and
    /// never leave memory that is wiped afterwards.
    pub async fn authorise(&self, one_time_token: &str, card: &MotoCard) -> Result<()> {
        card.validate()?;
        if one_time_token.trim().is_empty() {
            return Err(Error::InvalidRequest {
                field: "one_time_token",
                message: "is missing: read the payment again for a new one".into(),
                pay_code: "P0101",
            });
        }
        let body = card.body(one_time_token);
        let call = Call {
            group: Group::OtherPost,
            changes_state: true,
            operation: "card authorisation",
            with_key: false,
        };
        let (status, answer) = self
            .client
            .send(
                Method::POST,
                self.client.url("v1/auth")?,
                Some(&body),
                call,
                None,
            )
            .await?;
        expect_no_content(status, &answer.0)
    }
}

/// A page type that carries paging links, whatever the key they come under.
pub trait Paged: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, SearchNavigationLinks, u64);
}

impl<T: DeserializeOwned> Paged for SearchPage<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, SearchNavigationLinks, u64) {
        (self.results, self.links, self.total)
    }
}

impl Paged for DisputeSearchPage {
    type Item = crate::models::Dispute;
    fn into_parts(self) -> (Vec<Self::Item>, SearchNavigationLinks, u64) {
        (self.results, self.links, self.total)
    }
}

/// Maps an item type to the page type its search answers with.
pub trait PageOf {
    type Page: Paged<Item = Self>;
}

impl PageOf for Payment {
    type Page = SearchPage<Payment>;
}
impl PageOf for Refund {
    type Page = SearchPage<Refund>;
}
impl PageOf for Agreement {
    type Page = SearchPage<Agreement>;
}
impl PageOf for crate::models::Dispute {
    type Page = DisputeSearchPage;
}

/// One page of a walk through a search.
#[derive(Debug)]
pub struct PageOfResults<T> {
    pub items: Vec<T>,
    /// How many results the whole search has.
    pub total: u64,
}

/// Every page of a search, in order, following GOV.UK Pay's `next_page` links.
#[derive(Debug)]
pub struct Pages<T> {
    client: Client,
    next: Option<Result<Url>>,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T: PageOf> Pages<T> {
    /// A walk that starts at `path` with the query, once it passed its checks.
    fn first(
        client: &Client,
        path: &str,
        valid: Result<()>,
        query: Vec<(&'static str, String)>,
    ) -> Self {
        let first = valid.and_then(|()| Ok(with_query(client.url(path)?, query)));
        Self::new(client.clone(), first)
    }

    fn new(client: Client, first: Result<Url>) -> Self {
        Self {
            client,
            next: Some(first),
            _item: std::marker::PhantomData,
        }
    }

    /// The next page, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<PageOfResults<T>>> {
        let url = match self.next.take()? {
            Ok(url) => url,
            Err(e) => return Some(Err(e)),
        };
        let page: <T as PageOf>::Page = match self.client.get(url).await {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let (items, links, total) = page.into_parts();
        if let Some(next) = links.next_page {
            self.next = Some(self.client.same_origin(&next.href));
        }
        Some(Ok(PageOfResults { items, total }))
    }

    /// Reads every page into one list (fine for small searches; a sync should page).
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(page) = self.next().await {
            all.extend(page?.items);
        }
        Ok(all)
    }
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

    #[tokio::test]
    async fn the_limiter_allows_at_most_n_in_any_second() {
        let window = Window::new(5);
        let start = Instant::now();
        for _ in 0..11 {
            window.acquire().await;
        }
        // 11 requests at 5 a second need two full waits.
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}
