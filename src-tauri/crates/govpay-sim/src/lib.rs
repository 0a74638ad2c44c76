//! `govpay-sim`: a stateful simulator of the GOV.UK Pay public API.
//!
//! Payments move through the real lifecycle, refunds are checked in the real order,
//! one-time tokens are spent like the real ones, and errors carry the real status
//! codes, P-codes and messages (see API-NOTES). It is how Paydesk's sandbox works
//! with no account, and how every test reaches "GOV.UK Pay".
//!
//! Start it in-process with [`Simulator::start`] (it binds `127.0.0.1`, port 0 by
//! default) and drive it through [`Simulator::control`], or run the `govpay-sim`
//! binary and use the same controls over HTTP under `/_sim/`.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod accounts;
mod cards;
mod clock;
#[cfg(feature = "conformance")]
mod conformance;
mod control;
mod errors;
mod hosted;
mod ids;
mod layers;
mod model;
mod routes;
mod seed;
mod state;
mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post, put};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

pub use accounts::{Account, PaymentProvider};
pub use control::{Control, DISPUTE_REASONS, PaymentSnapshot};
pub use errors::{ApiError as SimError, ApiResult as SimResult};
pub use layers::{Fault, RateLimits};
pub use seed::SeedSpec;

use crate::layers::ConnKill;

/// What the simulator starts with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub accounts: Vec<Account>,
    /// Seeds ids, tokens and the fault dice, so runs are repeatable.
    pub seed: u64,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Histories to generate before serving.
    pub seeds: Vec<SeedSpec>,
    /// GOV.UK Pay's per-second limits, or `None` for no limits.
    pub rate_limits: Option<RateLimits>,
    /// How long search endpoints (and a payment's refund list) lag behind writes.
    pub consistency_lag: Duration,
    /// How long a telephone or agreement payment stays `success` with its
    /// capture queued (refund status `unavailable`) before it is captured,
    /// as the real API does for a moment after the card is authorised.
    /// Zero captures at once.
    pub capture_queued_for: Duration,
    /// Check every answer against the official spec. Only builds with the
    /// `conformance` feature (the test suite) can; benchmarks turn it off.
    pub check_conformance: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            accounts: vec![Account::sandbox("api_test_sandbox_key")],
            seed: 1,
            port: 0,
            seeds: Vec::new(),
            rate_limits: Some(RateLimits::default()),
            consistency_lag: Duration::ZERO,
            capture_queued_for: Duration::from_secs(2),
            check_conformance: true,
        }
    }
}

impl SimConfig {
    /// One test account on Stripe (so it can have disputes and fees too),
    /// answering to `api_key`: what most tests and benchmarks need.
    pub fn stripe_account(api_key: &str) -> Self {
        let mut account = Account::sandbox(api_key);
        account.provider = PaymentProvider::Stripe;
        Self {
            accounts: vec![account],
            ..Self::default()
        }
    }

    /// Adds `payments` generated payments, from `seed`, spread over the
    /// first account's last `days`.
    pub fn with_history(mut self, payments: usize, seed: u64, days: i64) -> Self {
        self.seeds.push(SeedSpec {
            account: 1,
            payments,
            seed,
            days,
        });
        self
    }
}

/// State shared by every request.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    state: Arc<Mutex<state::State>>,
    pub(crate) faults: Arc<Mutex<Vec<Fault>>>,
    /// API requests being handled now, and the most there have been at once.
    pub(crate) in_flight: Arc<layers::InFlight>,
    pub(crate) rate: Arc<Mutex<layers::RateWindow>>,
    pub(crate) rate_limits: Option<RateLimits>,
    pub(crate) started: Instant,
    #[cfg(feature = "conformance")]
    pub(crate) conformance: Option<Arc<conformance::Checker>>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, state::State> {
        // A panic while holding the lock would be a simulator bug; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Simulator {
    base_url: String,
    addr: SocketAddr,
    shared: Shared,
    stop: watch::Sender<bool>,
}

impl Simulator {
    /// Seeds the configured histories, binds 127.0.0.1 and serves in the background.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let mut state = state::State::new(
            config.accounts,
            config.seed,
            base_url.clone(),
            config.consistency_lag,
        );
        state.capture_queued_for = config.capture_queued_for;
        for spec in &config.seeds {
            seed::seed(&mut state, *spec);
        }
        let shared = Shared {
            state: Arc::new(Mutex::new(state)),
            faults: Arc::new(Mutex::new(Vec::new())),
            in_flight: Arc::default(),
            rate: Arc::new(Mutex::new(layers::RateWindow::default())),
            rate_limits: config.rate_limits,
            started: Instant::now(),
            #[cfg(feature = "conformance")]
            conformance: config
                .check_conformance
                .then(conformance::Checker::from_env)
                .flatten()
                .map(Arc::new),
        };
        let app = router(shared.clone());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, app, stopped));
        Ok(Self {
            base_url,
            addr,
            shared,
            stop,
        })
    }

    /// `http://127.0.0.1:<port>`: give this to the client as its base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The accounts this simulator serves.
    pub fn accounts(&self) -> Vec<Account> {
        self.shared.lock().accounts.clone()
    }

    /// Tests' and demos' handle on the simulator's state.
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// A GOV.UK Pay client on the first account, for a test's or a demo's
    /// own calls to this simulator.
    pub fn client(&self) -> Result<govpay::Client, Box<dyn std::error::Error + Send + Sync>> {
        let key = self
            .accounts()
            .first()
            .map(|a| a.api_key.clone())
            .ok_or("the simulator has no account")?;
        let key = govpay::ApiKey::new(key).ok_or("the first account's key is not a key")?;
        Ok(govpay::Client::builder(key)
            .base_url(&self.base_url)
            .build()?)
    }

    /// A web payment made through the API on the first account and, when a
    /// `card` number is given, paid with it as a citizen would. Its ID.
    pub async fn web_payment(
        &self,
        amount: i64,
        reference: &str,
        delayed_capture: bool,
        card: Option<&str>,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let mut request = govpay::requests::CreatePayment::web(
            amount,
            reference,
            "Resident parking permit",
            "https://council.example/done",
        );
        request.delayed_capture = delayed_capture.then_some(true);
        let payment = self.client()?.payments().create(&request, None).await?;
        if let Some(card) = card {
            self.control()
                .complete_payment(payment.payment_id.as_str(), card)
                .map_err(|e| format!("the payment could not be paid: {e:?}"))?;
        }
        Ok(payment.payment_id.to_string())
    }

    /// How many payments the simulator holds, across all accounts.
    pub fn payment_count(&self) -> usize {
        self.shared.lock().payments.len()
    }

    /// Responses that did not match the official spec so far (conformance builds only).
    #[cfg(feature = "conformance")]
    pub fn conformance_violations(&self) -> Vec<String> {
        self.shared
            .conformance
            .as_ref()
            .map(|c| c.violations())
            .unwrap_or_default()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        #[cfg(feature = "conformance")]
        if let Some(checker) = &self.shared.conformance {
            let violations = checker.violations();
            if !violations.is_empty() && !std::thread::panicking() {
                panic!(
                    "govpay-sim answered {} time(s) in a way the official spec does not allow:\n{}",
                    violations.len(),
                    violations.join("\n")
                );
            }
        }
    }
}

/// Accepts connections until stopped. Each connection can be cut from inside a
/// request (the "drop after commit" fault), which axum's own server cannot do.
async fn serve(listener: TcpListener, app: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let app = app.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let conn_kill = ConnKill(kill.clone());
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(conn_kill.clone());
                    app.clone().oneshot(request.map(axum::body::Body::new))
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                // Dropping the connection closes the socket without an answer.
                _ = kill.notified() => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

fn router(shared: Shared) -> Router {
    let api = Router::new()
        .route(
            "/v1/payments",
            get(routes::search_payments).post(routes::create_payment),
        )
        .route("/v1/payments/{payment_id}", get(routes::get_payment))
        .route("/v1/payments/{payment_id}/events", get(routes::events))
        .route("/v1/payments/{payment_id}/cancel", post(routes::cancel))
        .route("/v1/payments/{payment_id}/capture", post(routes::capture))
        .route(
            "/v1/payments/{payment_id}/refunds",
            get(routes::refunds_of).post(routes::create_refund),
        )
        .route(
            "/v1/payments/{payment_id}/refunds/{refund_id}",
            get(routes::refund_get),
        )
        .route("/v1/refunds", get(routes::search_refunds))
        .route("/v1/disputes", get(routes::search_disputes))
        .route(
            "/v1/agreements",
            get(routes::search_agreements).post(routes::create_agreement),
        )
        .route("/v1/agreements/{agreement_id}", get(routes::get_agreement))
        .route(
            "/v1/agreements/{agreement_id}/cancel",
            post(routes::cancel_agreement),
        )
        .route("/v1/auth", post(routes::authorise))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            layers::faults,
        ));
    #[cfg(feature = "conformance")]
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        shared.clone(),
        conformance::check,
    ));
    Router::new()
        .merge(api)
        .route("/secure/{token}", get(hosted::open))
        .route("/card_details/{payment_id}", post(hosted::submit))
        .route("/_sim/accounts", get(control::accounts))
        .route(
            "/_sim/payments/{payment_id}/complete",
            post(control::complete),
        )
        .route(
            "/_sim/payments/{payment_id}/abandon",
            post(control::abandon),
        )
        .route(
            "/_sim/payments/{payment_id}/dispute",
            post(control::dispute),
        )
        .route("/_sim/payments/{payment_id}/refund", post(control::refund))
        .route("/_sim/disputes/{dispute_id}/status", post(control::resolve))
        .route(
            "/_sim/agreements/{agreement_id}/status",
            post(control::agreement_status),
        )
        .route("/_sim/clock/advance", post(control::advance))
        .route(
            "/_sim/faults",
            put(control::put_faults).delete(control::delete_faults),
        )
        .route("/_sim/consistency-lag", put(control::lag))
        .route("/healthcheck", get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            layers::gatekeeper,
        ))
        .with_state(shared)
}
