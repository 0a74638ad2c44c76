//! One money action per payment at a time: a refund, cancel, capture or
//! telephone authorisation holds its payment until it has its outcome.

use std::any::Any;

use async_trait::async_trait;

use super::StoreError;

/// A payment held for one money action, until dropped.
pub struct PaymentHold(#[allow(dead_code)] Box<dyn Any + Send + Sync>);

impl PaymentHold {
    pub(crate) fn new(guard: impl Any + Send + Sync) -> Self {
        Self(Box::new(guard))
    }
}

#[async_trait]
pub trait HoldStore {
    /// Waits until no other action holds the payment, then holds it.
    async fn hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<PaymentHold, StoreError>;
    /// Holds the payment if nothing else does; `None` if something does.
    async fn try_hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentHold>, StoreError>;
}
