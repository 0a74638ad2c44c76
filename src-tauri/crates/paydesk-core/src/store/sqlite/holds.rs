//! On one SQLite file the holds are this process's: SQLite has no lock on a
//! row. Between two Paydesks on one file the guards are GOV.UK Pay's
//! `refund_amount_available` check and the unresolved attempts in the shared
//! record (see `actions.rs`); a server engine holds them in the database.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::holds::{HoldStore, PaymentHold};

#[async_trait]
impl HoldStore for SqliteStore {
    async fn hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<PaymentHold, StoreError> {
        Ok(PaymentHold::new(
            self.holds.hold(service_id, payment_id).await,
        ))
    }

    async fn try_hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentHold>, StoreError> {
        Ok(self
            .holds
            .try_hold(service_id, payment_id)
            .map(PaymentHold::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
