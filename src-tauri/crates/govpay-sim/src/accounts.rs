//! Service accounts, each reached with its own API key.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// The payment service provider behind an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProvider {
    Sandbox,
    Stripe,
}

impl PaymentProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentProvider::Sandbox => "sandbox",
            PaymentProvider::Stripe => "stripe",
        }
    }
}

/// One GOV.UK Pay gateway account and its settings.
#[derive(Debug, Clone)]
pub struct Account {
    /// The gateway account id (shown in the admin tool).
    pub id: u32,
    pub name: String,
    /// The Bearer key that reaches this account.
    pub api_key: String,
    pub provider: PaymentProvider,
    pub moto_api_enabled: bool,
    pub recurring_enabled: bool,
    pub allow_zero_amount: bool,
    pub live: bool,
    /// GOV.UK Pay has switched off payment and refund creation (403 P0941).
    pub disabled: bool,
}

impl Account {
    /// A test account on the sandbox provider with MOTO and recurring payments on.
    pub fn sandbox(api_key: impl Into<String>) -> Self {
        Self {
            id: 1,
            name: "Sandbox service".into(),
            api_key: api_key.into(),
            provider: PaymentProvider::Sandbox,
            moto_api_enabled: true,
            recurring_enabled: true,
            allow_zero_amount: false,
            live: false,
            disabled: false,
        }
    }
}

/// Finds the account a request's `Authorization: Bearer` header names.
pub(crate) fn authenticate<'a>(
    accounts: &'a [Account],
    headers: &HeaderMap,
) -> Option<&'a Account> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    accounts.iter().find(|a| a.api_key == token)
}
