//! A single desktop has no second person to approve a refund: no approval
//! rules, no requests, and nothing of either is kept.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::approvals::{
    ApprovalRules, ApprovalStore, CitizenRefund, Decision, NewRequest, RequestFilter,
    RequestRecord, RulesRecord, not_offered,
};
use crate::store::audit::{ChainLock, Sealer};
use crate::store::{AuditRow, StoreError};

#[async_trait]
impl ApprovalStore for SqliteStore {
    async fn approval_rules(&self, _service_id: &str) -> Result<RulesRecord, StoreError> {
        Ok(RulesRecord::default())
    }

    async fn set_approval_rules(
        &self,
        _lock: &ChainLock,
        _service_id: &str,
        _rules: &ApprovalRules,
        _row: AuditRow,
        _seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError> {
        Err(not_offered())
    }

    async fn ask_refund(
        &self,
        _lock: &ChainLock,
        _new: &NewRequest,
        _row: AuditRow,
        _seal: Sealer<'_>,
    ) -> Result<(RequestRecord, (i64, String)), StoreError> {
        Err(not_offered())
    }

    async fn decide_request(
        &self,
        _lock: &ChainLock,
        _id: i64,
        _decision: &Decision,
        _decider: &str,
        _row: AuditRow,
        _seal: Sealer<'_>,
    ) -> Result<Option<(RequestRecord, (i64, String))>, StoreError> {
        Err(not_offered())
    }

    async fn citizen_refunds(
        &self,
        _service_id: &str,
        _payment_id: &str,
        _email: Option<&str>,
    ) -> Result<Vec<CitizenRefund>, StoreError> {
        Ok(Vec::new())
    }

    async fn telephone_taker(
        &self,
        _service_id: &str,
        _payment_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn refund_request(&self, _id: i64) -> Result<Option<RequestRecord>, StoreError> {
        Ok(None)
    }

    async fn refund_requests(
        &self,
        _filter: &RequestFilter,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        Ok(Vec::new())
    }
}
