//! One money action per payment across the team. A desktop first queues its
//! own actions on the payment in memory (as the SQLite store does), then
//! holds it in the database: a transaction holding an advisory lock on
//! (service, payment), kept open while the action runs. Dropping the hold
//! rolls the transaction back, which lets go of the lock; a desktop that
//! crashes or loses its network lets go when the server sees the connection
//! end.
//!
//! At most [`HOLD_SLOTS`] payments are held at once by one desktop, so a held
//! payment never takes the last connection its own action needs for the
//! audit record.

use std::sync::Arc;

use async_trait::async_trait;

use super::PgStore;
use crate::store::StoreError;
use crate::store::holds::{HoldStore, PaymentHold};

/// Payments one desktop holds in the database at the same time.
pub(super) const HOLD_SLOTS: usize = 2;

impl PgStore {
    /// Holds the payment in the database, once this desktop's own queue for
    /// it (`local`) is passed.
    async fn hold_in_database(
        &self,
        local: impl std::any::Any + Send + Sync,
        service_id: &str,
        payment_id: &str,
        wait: bool,
    ) -> Result<Option<PaymentHold>, StoreError> {
        let slot = Arc::clone(&self.hold_slots)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::other("the store is closed"))?;
        let mut tx = self.pool.begin().await?;
        // Two keys, one per service and one per payment: payments whose
        // hashes collide only wait for each other, never share a hold.
        let held: bool = if wait {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))")
                .bind(service_id)
                .bind(payment_id)
                .execute(&mut *tx)
                .await?;
            true
        } else {
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2))")
                .bind(service_id)
                .bind(payment_id)
                .fetch_one(&mut *tx)
                .await?
        };
        Ok(held.then(|| PaymentHold::new((local, slot, tx))))
    }
}

#[async_trait]
impl HoldStore for PgStore {
    async fn hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<PaymentHold, StoreError> {
        let local = self.local_holds.hold(service_id, payment_id).await;
        let held = self
            .hold_in_database(local, service_id, payment_id, true)
            .await?;
        held.ok_or_else(|| StoreError::other("the payment's lock was not given"))
    }

    async fn try_hold_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentHold>, StoreError> {
        let Some(local) = self.local_holds.try_hold(service_id, payment_id) else {
            return Ok(None);
        };
        self.hold_in_database(local, service_id, payment_id, false)
            .await
    }
}
