//! A typed client for the GOV.UK Pay public API.
//!
//! This crate is the only code in Paydesk that speaks HTTP to GOV.UK Pay. The wire
//! types in [`models`] are shared with the simulator (`govpay-sim`), so both sides of
//! every test agree on one definition of the API's JSON.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod client;
pub mod codes;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod key;
pub mod models;
pub mod requests;
pub mod search;
pub mod states;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, RateLimits, RetryPolicy, install_crypto_provider,
};
pub use codes::PayCode;
pub use error::{ApiErrorBody, Error};
pub use idempotency::IdempotencyKey;
pub use ids::{AgreementId, DisputeId, IdError, PaymentId, RefundId};
pub use key::ApiKey;
pub use states::{
    AgreementStatus, CardType, DisputeStatus, PaymentMode, PaymentProvider, PaymentStatus,
    RefundAvailability, RefundStatus,
};
