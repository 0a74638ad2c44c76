use async_trait::async_trait;
use govpay::models::Payment;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::search::{PaymentQuery, PaymentResults, PaymentRow, SearchStore};

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_payments(
        &self,
        service_id: &str,
        query: &PaymentQuery,
    ) -> Result<PaymentResults, StoreError> {
        crate::store::sqlite::cache::search_payments(&self.pool, service_id, query).await
    }

    async fn keep_and_read_rows(
        &self,
        service_id: &str,
        payments: &[Payment],
    ) -> Result<Vec<PaymentRow>, StoreError> {
        crate::store::sqlite::cache::store_and_read_rows(&self.pool, service_id, payments).await
    }

    async fn payment_rows(
        &self,
        service_id: &str,
        payment_ids: &[String],
    ) -> Result<Vec<PaymentRow>, StoreError> {
        crate::store::sqlite::cache::read_rows(&self.pool, service_id, payment_ids).await
    }

    async fn payment_count(&self, service_id: &str) -> Result<i64, StoreError> {
        crate::store::sqlite::cache::payment_count(&self.pool, service_id).await
    }
}
