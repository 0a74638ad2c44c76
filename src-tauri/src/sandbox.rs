//! The built-in sandbox: a GOV.UK Pay simulator Paydesk runs for itself on
//! 127.0.0.1, with a seeded history, so anyone can see Paydesk work with no account.

use govpay::ApiKey;
use govpay_sim::{Account, PaymentProvider, SeedSpec, SimConfig, Simulator};
use paydesk_core::Core;
use paydesk_core::services::ServiceView;

use crate::error::{AppError, ErrorCode};

/// The sandbox account's key. It only opens the simulator on this computer.
const SANDBOX_KEY: &str = "api_test_paydesk_sandbox";
/// A year of a busy council service's card payments.
const SANDBOX_PAYMENTS: usize = 20_000;
const SANDBOX_SEED: u64 = 2026;

/// Environment variable that makes Paydesk open on the sandbox when no service is set up.
pub const SANDBOX_ENV: &str = "PAYDESK_SANDBOX";

fn config() -> SimConfig {
    let mut account = Account::sandbox(SANDBOX_KEY);
    account.name = "Sandbox council".into();
    // Stripe, so that disputes (Stripe only) appear in the demo too.
    account.provider = PaymentProvider::Stripe;
    SimConfig {
        accounts: vec![account],
        seed: SANDBOX_SEED,
        seeds: vec![SeedSpec {
            account: 1,
            payments: SANDBOX_PAYMENTS,
            seed: SANDBOX_SEED,
            days: 365,
        }],
        ..SimConfig::default()
    }
}

/// Starts the simulator (if it is not running) and points the sandbox service at it.
pub async fn start(core: &Core, running: &mut Option<Simulator>) -> Result<ServiceView, AppError> {
    if running.is_none() {
        let sim = Simulator::start(config()).await.map_err(|e| {
            tracing::error!("sandbox simulator: {e}");
            AppError::new(
                ErrorCode::Internal,
                "Paydesk could not start its sandbox on this computer",
            )
        })?;
        tracing::info!(
            url = sim.base_url(),
            payments = sim.payment_count(),
            "sandbox started"
        );
        *running = Some(sim);
    }
    let base_url = running
        .as_ref()
        .map(|s| s.base_url().to_owned())
        .unwrap_or_default();
    let key = ApiKey::new(SANDBOX_KEY)
        .ok_or_else(|| AppError::new(ErrorCode::Internal, "sandbox key"))?;
    Ok(core.services_set_sandbox(&base_url, key).await?)
}
