//! The team's one audit chain. An append takes a transaction-scoped advisory
//! lock before it reads the chain's end, so appends from every desktop come
//! one after another and the chain never forks (and `prev_hash` being unique
//! refuses a fork from a writer that skipped the lock).

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder, Transaction};

use super::PgStore;
use crate::store::audit::{
    AuditQuery, AuditRow, ChainLock, ChainedRow, GENESIS, KeyingUnit, SealFields, Sealer,
};
use crate::store::rows::{all, audit_row, chained_row, seal_fields};
use crate::store::{AuditStore, StoreError};

/// The advisory lock every writer of the chain takes (an arbitrary number,
/// "PAYDESK" in ASCII, that no other lock of the store uses).
const CHAIN_LOCK: i64 = 0x50_41_59_44_45_53_4b;

/// Takes the chain's lock for the rest of the transaction.
pub(super) async fn lock_chain(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHAIN_LOCK)
        .execute(tx)
        .await?;
    Ok(())
}

#[async_trait]
impl AuditStore for PgStore {
    async fn audit_lock(&self) -> ChainLock {
        ChainLock::new(Arc::clone(&self.chain).lock_owned().await)
    }

    async fn audit_append(
        &self,
        _lock: &ChainLock,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_chain(&mut tx).await?;
        let head = append_in(&mut tx, row, seal).await?;
        tx.commit().await?;
        Ok(head)
    }

    async fn audit_chain(&self) -> Result<Vec<ChainedRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        chain(&mut conn).await
    }

    async fn audit_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn audit_operators(&self, service_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT operator COLLATE \"C\" FROM audit_log WHERE service_id = $1 ORDER BY 1",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn audit_list(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        let mut b = QueryBuilder::<Postgres>::new("SELECT * FROM audit_log WHERE true");
        if let Some(v) = &q.operator {
            b.push(" AND operator = ").push_bind(v.clone());
        }
        if let Some(v) = &q.action {
            b.push(" AND action = ").push_bind(v.clone());
        }
        if let Some(v) = &q.service_id {
            // Rows about the desktop itself (the staff name) belong to every service.
            b.push(" AND (service_id = '' OR service_id = ")
                .push_bind(v.clone())
                .push(")");
        }
        if let Some(v) = &q.phase {
            b.push(" AND phase = ").push_bind(v.clone());
        }
        if let Some(v) = &q.payment_id {
            b.push(" AND payment_id = ").push_bind(v.clone());
        }
        // Times are RFC 3339 text: compared byte by byte, whatever the
        // database's own collation.
        if let Some(v) = &q.from_date {
            b.push(" AND at COLLATE \"C\" >= ").push_bind(v.clone());
        }
        if let Some(v) = &q.to_date {
            b.push(" AND at COLLATE \"C\" < ")
                .push_bind(format!("{v}T99"));
        }
        let limit = if q.limit == 0 { 200 } else { q.limit.min(5000) };
        b.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = b.build().fetch_all(&self.pool).await?;
        Ok(all(&rows, audit_row)?)
    }

    async fn open_refund_attempts(
        &self,
        service_id: &str,
        payment_id: Option<&str>,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM audit_log a
             WHERE a.service_id = $1 AND a.action = 'refund' AND a.phase = 'attempt'
               AND ($2::text IS NULL OR a.payment_id = $2)
               AND NOT EXISTS (SELECT 1 FROM audit_log r WHERE r.attempt_seq = a.seq
                               AND r.phase IN ('succeeded', 'failed', 'reconciled'))
             ORDER BY a.seq",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, audit_row)?)
    }

    async fn claimed_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT target_id FROM audit_log WHERE service_id = $1 AND payment_id = $2
               AND action = 'refund' AND target_id IS NOT NULL AND phase IN ('succeeded', 'reconciled')
             ORDER BY seq",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn unknown_outcomes(&self, service_id: &str) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.* FROM audit_log u
             WHERE u.service_id = $1 AND u.phase = 'unknown' AND u.action <> 'refund'
               AND NOT EXISTS (SELECT 1 FROM audit_log r WHERE r.attempt_seq = u.attempt_seq
                               AND r.phase = 'reconciled')
             ORDER BY u.seq",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, audit_row)?)
    }

    async fn audit_keying(&self) -> Result<Box<dyn KeyingUnit>, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_chain(&mut tx).await?;
        Ok(Box::new(PgKeying { tx }))
    }
}

struct PgKeying {
    tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl KeyingUnit for PgKeying {
    async fn chain(&mut self) -> Result<Vec<ChainedRow>, StoreError> {
        chain(&mut self.tx).await
    }

    async fn append(
        &mut self,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError> {
        Ok(append_in(&mut self.tx, row, seal).await?)
    }

    async fn unsealed_services(&mut self) -> Result<Vec<SealFields>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, base_url, environment, role, sandbox FROM services WHERE seal IS NULL",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(all(&rows, seal_fields)?)
    }

    async fn set_service_seal(&mut self, service_id: &str, seal: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE services SET seal = $1 WHERE id = $2")
            .bind(seal)
            .bind(service_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

async fn chain(conn: &mut PgConnection) -> Result<Vec<ChainedRow>, StoreError> {
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?;
    Ok(all(&rows, chained_row)?)
}

/// Appends one row inside a transaction that already holds the chain's lock.
pub(super) async fn append_in(
    conn: &mut PgConnection,
    mut row: AuditRow,
    seal: Sealer<'_>,
) -> Result<(i64, String), sqlx::Error> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    row.seq = seq;
    let hash = seal(&prev, &row);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase,
            attempt_seq, payment_id, target_id, amount, pay_code, detail, prev_hash, hash,
            reason, reason_note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16, $17)",
    )
    .bind(row.seq)
    .bind(&row.at)
    .bind(&row.operator)
    .bind(&row.service_id)
    .bind(&row.service_name)
    .bind(&row.action)
    .bind(row.phase.as_str())
    .bind(row.attempt_seq)
    .bind(&row.payment_id)
    .bind(&row.target_id)
    .bind(row.amount)
    .bind(&row.pay_code)
    .bind(&row.detail)
    .bind(&prev)
    .bind(&hash)
    .bind(&row.reason)
    .bind(&row.reason_note)
    .execute(&mut *conn)
    .await?;
    Ok((seq, hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreErrorKind;
    use crate::store::audit::Phase;

    fn seal(prev: &str, row: &AuditRow) -> String {
        format!("{prev}>{}:{}", row.seq, row.detail)
    }

    /// Even a login that goes around the store cannot rewrite the record:
    /// the database's own guard refuses, and the store calls it a constraint.
    #[tokio::test]
    async fn the_database_refuses_to_change_or_remove_audit_rows() {
        let db = paydesk_testdb::server().database();
        let store = super::super::set_up(&db.admin_url()).await.unwrap();
        let lock = store.audit_lock().await;
        let row = AuditRow {
            seq: 0,
            at: "2026-12-06T10:00:00Z".into(),
            operator: "Sam".into(),
            service_id: "s".into(),
            service_name: "Parking".into(),
            action: "refund".into(),
            phase: Phase::Attempt,
            attempt_seq: None,
            payment_id: Some("p1".into()),
            target_id: None,
            amount: Some(500),
            pay_code: None,
            detail: "first".into(),
            reason: Some("goodwill".into()),
            reason_note: None,
        };
        store.audit_append(&lock, row, &seal).await.unwrap();
        for statement in [
            "UPDATE audit_log SET amount = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
        ] {
            let err = StoreError::from(
                sqlx::query(statement)
                    .execute(&store.pool)
                    .await
                    .expect_err(statement),
            );
            assert_eq!(err.kind, StoreErrorKind::Constraint, "{statement}: {err:?}");
        }
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].row.amount, Some(500));
    }
}
