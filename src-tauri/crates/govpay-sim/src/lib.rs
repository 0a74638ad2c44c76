//! `govpay-sim`: a simulator of the GOV.UK Pay public API.
//!
//! It keeps real state (payments move through their lifecycle), answers with the
//! API's status codes and error bodies, and checks Bearer keys like the real API.
//! Start it in-process with [`Simulator::start`], which binds `127.0.0.1:0` and
//! hands back the base URL, or run the `govpay-sim` binary.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod accounts;
mod errors;
mod ids;
mod payments;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use accounts::{Account, PaymentProvider};

use crate::payments::SimPayment;

/// What the simulator starts with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub accounts: Vec<Account>,
    /// Seeds the id generator, so runs are repeatable.
    pub seed: u64,
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            accounts: vec![Account::sandbox("api_test_sandbox_key")],
            seed: 1,
            port: 0,
        }
    }
}

/// The simulator's shared state.
#[derive(Debug)]
pub(crate) struct State {
    pub accounts: Vec<Account>,
    pub payments: Vec<SimPayment>,
    pub ids: ids::IdGen,
    pub base_url: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a simulator bug; keep serving.
        self.0
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
    shutdown: Option<oneshot::Sender<()>>,
}

impl Simulator {
    /// Binds 127.0.0.1 on the configured port and serves in the background.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared = Shared(Arc::new(Mutex::new(State {
            accounts: config.accounts,
            payments: Vec::new(),
            ids: ids::IdGen::new(config.seed),
            base_url: base_url.clone(),
        })));
        let app = router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(Self {
            base_url,
            addr,
            shared,
            shutdown: Some(tx),
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

    /// How many payments the simulator holds, across all accounts.
    pub fn payment_count(&self) -> usize {
        self.shared.lock().payments.len()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/payments", get(payments::search).post(payments::create))
        .route("/v1/payments/{payment_id}", get(payments::get_one))
        .route("/healthcheck", get(|| async { "ok" }))
        .with_state(shared)
}
