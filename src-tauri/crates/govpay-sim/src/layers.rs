//! What stands in front of the handlers, in the real API's order: the firewall,
//! the API key check, the rate limiter; then the simulator's own fault injection.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::Shared;
use crate::accounts::authenticate;
use crate::errors::ApiError;
use crate::routes::AccountId;

/// Largest request body the simulator reads.
const MAX_BODY: usize = 1 << 20;

/// Per-second limits, per account, as GOV.UK Pay sets them by default: the same
/// figures the client paces itself by.
pub use govpay::RateLimits;

#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    counts: HashMap<(u32, &'static str), (u64, u32)>,
}

/// A fault to inject on one route (`"POST /v1/payments/{payment_id}/refunds"`, or `"*"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fault {
    pub route: String,
    /// The fault starts after this many requests on the route have passed.
    pub after: u32,
    /// Added before the request is handled. The request is handled even if
    /// the client stops waiting meanwhile, as a real server's would be.
    pub latency_ms: u64,
    /// Share of requests (0.0–1.0) answered 500 without being handled.
    pub error_rate: f64,
    /// The next N requests are answered 500 without being handled.
    pub fail_next: u32,
    /// The next N requests are answered 429 P0900 without being handled.
    pub rate_limit_next: u32,
    /// The next N requests are handled (the change is made) and then the
    /// connection is closed with no answer.
    pub drop_after_commit: u32,
    /// The next N requests are handled and then no answer comes (the client times out).
    pub hang_after_commit: u32,
    /// The next N requests are handled (the change is made), then answered by
    /// "a proxy on the way" with `proxy_status` (502, 503 or 504; 504 if unset)
    /// and an HTML page instead of GOV.UK Pay's answer.
    pub proxy_error_after_commit: u32,
    pub proxy_status: u16,
    /// The next N requests are handled, then their real answer is held back
    /// for `late_ms` (longer than the client waits): done, but answered late.
    pub late_after_commit: u32,
    pub late_ms: u64,
    /// The next N requests are handled, then answered with their real status
    /// and headers but only half their body: done, with an answer that
    /// cannot be read (a 201 whose payment ID is lost, but not its Location).
    pub garble_after_commit: u32,
}

/// Closes the request's TCP connection when notified.
#[derive(Debug, Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

fn waf_blocks(query: &str) -> bool {
    let decoded = percent_decode(query);
    decoded.contains(['<', '>', '"', '\\', '|'])
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The firewall, the key check and the rate limiter for `/v1/*`.
pub(crate) async fn gatekeeper(
    State(shared): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/v1/") {
        return next.run(request).await;
    }
    if request.uri().query().is_some_and(waf_blocks) {
        return ApiError::blocked().into_response();
    }
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return ApiError::blocked().into_response(),
    };
    if method == Method::POST {
        let json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
        // Cancel, capture and agreement cancel take no body.
        let bodiless = path.ends_with("/cancel") || path.ends_with("/capture");
        if !bodiless && (!json || bytes.is_empty()) {
            return ApiError::blocked().into_response();
        }
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    if path == "/v1/auth" {
        return next.run(request).await;
    }
    let account = {
        let state = shared.lock();
        authenticate(&state.accounts, request.headers()).map(|a| a.id)
    };
    let Some(account) = account else {
        return ApiError::unauthorized();
    };
    let group = match (&method, path.as_str()) {
        (&Method::POST, "/v1/payments") => "create",
        (&Method::POST, p) if p.ends_with("/capture") => "capture",
        (&Method::POST, _) => "post",
        _ => "get",
    };
    if !shared.allow(account, group) {
        return ApiError::too_many_requests().into_response();
    }
    request.extensions_mut().insert(AccountId(account));
    next.run(request).await
}

impl Shared {
    /// A fixed one-second window per account and group, as GOV.UK Pay counts.
    fn allow(&self, account: u32, group: &'static str) -> bool {
        let Some(limits) = self.rate_limits else {
            return true;
        };
        let limit = match group {
            "create" => limits.create_payment_per_second,
            "capture" => limits.capture_per_second,
            "post" => limits.other_post_per_second,
            _ => limits.get_per_second,
        };
        let second = self.started.elapsed().as_secs();
        let mut window = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let slot = window.counts.entry((account, group)).or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        slot.1 <= limit
    }

    /// Takes the action the faults set for this route call for, counting it down.
    fn next_fault(&self, route: &str) -> Option<FaultAction> {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let fault = faults
            .iter_mut()
            .find(|f| f.route == route || f.route == "*")?;
        if fault.after > 0 {
            fault.after -= 1;
            return Some(FaultAction {
                latency: Duration::ZERO,
                action: Action::Pass,
            });
        }
        let latency = Duration::from_millis(fault.latency_ms);
        let action = if fault.rate_limit_next > 0 {
            fault.rate_limit_next -= 1;
            Action::RateLimit
        } else if fault.fail_next > 0 {
            fault.fail_next -= 1;
            Action::Fail
        } else if fault.drop_after_commit > 0 {
            fault.drop_after_commit -= 1;
            Action::DropAfter
        } else if fault.hang_after_commit > 0 {
            fault.hang_after_commit -= 1;
            Action::HangAfter
        } else if fault.proxy_error_after_commit > 0 {
            fault.proxy_error_after_commit -= 1;
            Action::ProxyErrorAfter(match fault.proxy_status {
                502..=504 => fault.proxy_status,
                _ => 504,
            })
        } else if fault.garble_after_commit > 0 {
            fault.garble_after_commit -= 1;
            Action::GarbleAfter
        } else if fault.late_after_commit > 0 {
            fault.late_after_commit -= 1;
            Action::LateAfter(Duration::from_millis(fault.late_ms))
        } else if fault.error_rate > 0.0 && self.roll() < fault.error_rate {
            Action::Fail
        } else {
            Action::Pass
        };
        Some(FaultAction { latency, action })
    }

    fn roll(&self) -> f64 {
        let mut state = self.lock();
        (state.ids.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Pass,
    Fail,
    RateLimit,
    DropAfter,
    HangAfter,
    ProxyErrorAfter(u16),
    LateAfter(Duration),
    GarbleAfter,
}

struct FaultAction {
    latency: Duration,
    action: Action,
}

/// The "Downstream system error" code each operation uses for a 500.
fn downstream_code(method: &Method, route: &str) -> &'static str {
    match (method.as_str(), route) {
        ("POST", "/v1/payments") => "P0198",
        ("GET", "/v1/payments/{payment_id}") => "P0298",
        ("GET", "/v1/payments/{payment_id}/events") => "P0398",
        ("GET", "/v1/payments") => "P0498",
        ("POST", "/v1/payments/{payment_id}/cancel") => "P0598",
        ("POST", "/v1/payments/{payment_id}/refunds") => "P0698",
        ("GET", "/v1/payments/{payment_id}/refunds/{refund_id}") => "P0798",
        ("GET", "/v1/payments/{payment_id}/refunds") => "P0898",
        ("POST", "/v1/payments/{payment_id}/capture") => "P1098",
        ("GET", "/v1/refunds") => "P1898",
        ("POST", "/v1/agreements") => "P2198",
        ("GET", "/v1/agreements/{agreement_id}") => "P2298",
        ("GET", "/v1/agreements") => "P2498",
        ("POST", "/v1/agreements/{agreement_id}/cancel") => "P2598",
        ("POST", "/v1/auth") => "P0050",
        _ => "P0498",
    }
}

/// Counts the API requests under way (see `Control::most_in_flight`).
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    now: AtomicU32,
    most: AtomicU32,
}

impl InFlight {
    pub(crate) fn most(&self) -> u32 {
        self.most.load(Ordering::SeqCst)
    }
}

/// One request counted in while it is handled, out when its handling ends
/// (answered, failed or dropped).
struct Counted<'a>(&'a InFlight);

impl<'a> Counted<'a> {
    fn start(gauge: &'a InFlight) -> Self {
        let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.most.fetch_max(now, Ordering::SeqCst);
        Counted(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Injects the faults tests ask for on `/v1/*` routes.
pub(crate) async fn faults(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    if !route.starts_with("/v1/") {
        return next.run(request).await;
    }
    let _counted = Counted::start(&shared.in_flight);
    let method = request.method().clone();
    let key = format!("{method} {route}");
    let Some(fault) = shared.next_fault(&key) else {
        return next.run(request).await;
    };
    let kill = request.extensions().get::<ConnKill>().cloned();
    if !fault.latency.is_zero() {
        if fault.action == Action::Pass {
            // A server goes on with a request after its client gives up: the
            // late request is handled whether or not anyone waits for it.
            let latency = fault.latency;
            let handled = tokio::spawn(async move {
                tokio::time::sleep(latency).await;
                next.run(request).await
            });
            return handled.await.unwrap_or_else(|_| {
                ApiError::new(500, "P0999", "the simulator failed").into_response()
            });
        }
        tokio::time::sleep(fault.latency).await;
    }
    match fault.action {
        Action::Pass => next.run(request).await,
        Action::Fail => ApiError::new(
            500,
            downstream_code(&method, &route),
            "Downstream system error",
        )
        .into_response(),
        Action::RateLimit => ApiError::too_many_requests().into_response(),
        Action::DropAfter => {
            let _committed = next.run(request).await;
            if let Some(ConnKill(notify)) = kill {
                notify.notify_one();
            }
            // The connection is being torn down; this answer is never sent.
            std::future::pending::<()>().await;
            unreachable_response()
        }
        Action::HangAfter => {
            let _committed = next.run(request).await;
            // Bounded: long past any client's timeout, then give up.
            tokio::time::sleep(Duration::from_secs(300)).await;
            unreachable_response()
        }
        Action::ProxyErrorAfter(status) => {
            let _committed = next.run(request).await;
            proxy_error(status)
        }
        Action::GarbleAfter => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let whole = to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.extensions.insert(FromProxy);
            Response::from_parts(parts, Body::from(whole.slice(..whole.len() / 2)))
        }
        Action::LateAfter(wait) => {
            let answer = next.run(request).await;
            // Bounded by the fault's own figure: the answer, however late.
            tokio::time::sleep(wait.min(Duration::from_secs(300))).await;
            answer
        }
    }
}

/// What a web proxy between the desktop and GOV.UK Pay sends when the answer
/// from upstream did not come back in time: its own HTML page, not JSON.
fn proxy_error(status: u16) -> Response {
    let (code, reason) = match status {
        502 => (StatusCode::BAD_GATEWAY, "Bad Gateway"),
        503 => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        _ => (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout"),
    };
    let page = format!(
        "<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1><p>The proxy server did not receive a timely response from the upstream server.</p></body></html>"
    );
    let mut response = (code, [(header::CONTENT_TYPE, "text/html")], page).into_response();
    response.extensions_mut().insert(FromProxy);
    response
}

/// Marks an answer as coming from the simulated proxy, not from GOV.UK Pay:
/// the conformance check leaves it out (the spec describes GOV.UK Pay only).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FromProxy;

fn unreachable_response() -> Response {
    ApiError::new(500, "P0999", "no answer").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_firewall_reads_encoded_query_text() {
        assert!(waf_blocks("reference=%3Cscript%3E"));
        assert!(waf_blocks("reference=a|b"));
        assert!(waf_blocks("email=%22x%22"));
        assert!(!waf_blocks("reference=INV-1&page=2"));
    }
}
