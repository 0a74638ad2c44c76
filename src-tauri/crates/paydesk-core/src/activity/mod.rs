//! The activity record for supervisors: what this desktop did, and whether
//! the record is as it was written.

pub mod audit;

use crate::Core;
use crate::error::CoreError;
use crate::roles::Permission;
use audit::{AuditQuery, AuditRow, AuditVerification};

impl Core {
    /// The audit trail of one service, for a supervisor.
    pub async fn activity_list(
        &self,
        service_id: &str,
        q: &AuditQuery,
    ) -> Result<Vec<AuditRow>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewActivity)?;
        let q = AuditQuery {
            service_id: Some(service.id.clone()),
            ..q.clone()
        };
        Ok(self.store().audit_list(&q).await?)
    }

    /// The people named in the service's record, for the "Who" filter.
    pub async fn activity_people(&self, service_id: &str) -> Result<Vec<String>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewActivity)?;
        Ok(self.store().audit_operators(&service.id).await?)
    }

    /// Checks the whole hash chain (every service's rows: it is one chain).
    pub async fn activity_verify(&self, service_id: &str) -> Result<AuditVerification, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewActivity)?;
        self.audit_verify().await
    }

    /// Checks the whole record against the keyring's key and end marker,
    /// whatever the role (the app asks through `activity_verify`).
    pub async fn audit_verify(&self) -> Result<AuditVerification, CoreError> {
        let hasher = self.row_hasher().await?;
        let head = self.record_head().await?;
        let chain = self.store().audit_chain().await?;
        let found = hasher.verify(&chain, head.clone());
        // Checked whole: the marker moves on to the newest row, so rows cut
        // later show here even when another desktop of the team wrote them.
        if let Some(last) = chain.last()
            && found.intact
            && head.is_none_or(|(seq, _)| seq < last.row.seq)
        {
            self.record_head_moved(last.row.seq, last.hash.clone())
                .await;
        }
        Ok(found)
    }
}
