//! On one SQLite file the holds are this process's: SQLite has no lock on a
//! row. Between two Paydesks on one file the guards are GOV.UK Pay's
//! `refund_amount_available` check and the unresolved attempts in the shared
//! record (see `actions.rs`); a server engine holds them in the database.

use std::sync::Arc;

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::holds::{HoldStore, PaymentHold};

impl SqliteStore {
    fn payment_mutex(&self, service_id: &str, payment_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut holds = self.holds.lock().unwrap_or_else(|p| p.into_inner());
        // Payments no action holds or waits for are forgotten as others come.
        holds.retain(|_, m| Arc::strong_count(m) > 1);
        holds
            .entry((service_id.to_owned(), payment_id.to_owned()))
            .or_default()
            .clone()
    }
}

#[async_trait]
impl HoldStore for SqliteStore {
    async fn hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<PaymentHold, StoreError> {
        let mutex = self.payment_mutex(service_id, payment_id);
        Ok(PaymentHold::new(mutex.lock_owned().await))
    }

    async fn try_hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentHold>, StoreError> {
        let mutex = self.payment_mutex(service_id, payment_id);
        Ok(mutex.try_lock_owned().ok().map(PaymentHold::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_payment_is_not_held_twice_and_is_free_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::new(
            crate::store::sqlite::db::open(&dir.path().join("t.db"))
                .await
                .unwrap(),
        );
        let held = store.try_hold_payment("s", "p").await.unwrap();
        assert!(held.is_some());
        assert!(store.try_hold_payment("s", "p").await.unwrap().is_none());
        // Another payment, or the same ID in another service, is free.
        assert!(store.try_hold_payment("s", "q").await.unwrap().is_some());
        assert!(store.try_hold_payment("t", "p").await.unwrap().is_some());
        // A waiter gets it when the holder lets go.
        let store = Arc::new(store);
        let waiter = {
            let store = store.clone();
            tokio::spawn(async move { store.hold_payment("s", "p").await.map(|_| ()) })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(held);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(store.try_hold_payment("s", "p").await.unwrap().is_some());
    }
}
