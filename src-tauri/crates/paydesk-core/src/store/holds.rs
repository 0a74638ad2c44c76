//! One money action per payment at a time: a refund, cancel, capture or
//! telephone authorisation holds its payment until it has its outcome.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

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

/// A desktop's own queue per payment: a mutex per (service, payment) that a
/// money action in this process holds. Engines build their holds on it.
#[derive(Default)]
pub(crate) struct LocalHolds(std::sync::Mutex<HashMap<PaymentKey, Arc<tokio::sync::Mutex<()>>>>);

/// A payment by its service and its ID.
type PaymentKey = (String, String);

/// A payment held in this process, until dropped.
pub(crate) type LocalHold = tokio::sync::OwnedMutexGuard<()>;

impl LocalHolds {
    fn mutex(&self, service_id: &str, payment_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut holds = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Payments no action holds or waits for are forgotten as others come.
        holds.retain(|_, m| Arc::strong_count(m) > 1);
        holds
            .entry((service_id.to_owned(), payment_id.to_owned()))
            .or_default()
            .clone()
    }

    /// Waits until no other action of this process holds the payment.
    pub(crate) async fn hold(&self, service_id: &str, payment_id: &str) -> LocalHold {
        self.mutex(service_id, payment_id).lock_owned().await
    }

    /// Holds the payment if no other action of this process does.
    pub(crate) fn try_hold(&self, service_id: &str, payment_id: &str) -> Option<LocalHold> {
        self.mutex(service_id, payment_id).try_lock_owned().ok()
    }
}
