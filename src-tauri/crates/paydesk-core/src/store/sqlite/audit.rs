use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use super::SqliteStore;
use crate::store::audit::{
    AuditQuery, AuditRow, ChainLock, ChainedRow, GENESIS, KeyingUnit, SealFields, Sealer,
};
use crate::store::rows::{all, audit_row, chained_row, seal_fields};
use crate::store::{AuditStore, StoreError};

/// How often a busy database is tried again (on top of SQLite's own wait).
const BUSY_TRIES: u32 = 3;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_lock(&self) -> ChainLock {
        ChainLock::new(Arc::clone(&self.chain).lock_owned().await)
    }

    async fn audit_append(
        &self,
        _lock: &ChainLock,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError> {
        let mut tries = 0u32;
        loop {
            let once = async {
                // The write lock first: the chain's end is read and extended
                // with no other writer in between, in any process.
                let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                let head = append_in(&mut tx, row.clone(), seal).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(head)
            };
            match once.await.map_err(StoreError::from) {
                Err(e) if e.is_busy() && tries < BUSY_TRIES => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(tries)))
                        .await;
                }
                other => return other,
            }
        }
    }

    async fn audit_chain(&self) -> Result<Vec<ChainedRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        chain(&mut conn).await
    }

    async fn audit_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = ?1")
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn audit_operators(&self, service_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT operator FROM audit_log WHERE service_id = ?1 ORDER BY 1",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn audit_list(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        let mut b = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_log WHERE 1 = 1");
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
        if let Some(v) = &q.from_date {
            b.push(" AND at >= ").push_bind(v.clone());
        }
        if let Some(v) = &q.to_date {
            b.push(" AND at < ").push_bind(format!("{v}T99"));
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
             WHERE a.service_id = ?1 AND a.action = 'refund' AND a.phase = 'attempt'
               AND (?2 IS NULL OR a.payment_id = ?2)
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
            "SELECT target_id FROM audit_log WHERE service_id = ?1 AND payment_id = ?2
               AND action = 'refund' AND target_id IS NOT NULL AND phase IN ('succeeded', 'reconciled')",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn unknown_outcomes(&self, service_id: &str) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.* FROM audit_log u
             WHERE u.service_id = ?1 AND u.phase = 'unknown' AND u.action <> 'refund'
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
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteKeying { tx }))
    }
}

struct SqliteKeying {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait]
impl KeyingUnit for SqliteKeying {
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
        sqlx::query("UPDATE services SET seal = ?1 WHERE id = ?2")
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

async fn chain(conn: &mut SqliteConnection) -> Result<Vec<ChainedRow>, StoreError> {
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?;
    Ok(all(&rows, chained_row)?)
}

/// Appends one row inside a transaction that already holds the write lock.
async fn append_in(
    conn: &mut SqliteConnection,
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
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
            ?16, ?17)",
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
    use crate::activity::audit::{AuditAttempt, legacy_hash, new_row, row_mac, take_over, verify};
    use crate::seal::RecordKey;
    use crate::store::audit::Phase;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::sqlite::db::open(&dir.path().join("t.db"))
            .await
            .unwrap();
        (dir, SqliteStore::new(pool))
    }

    fn refund_row(amount: i64) -> AuditRow {
        let attempt = AuditAttempt {
            service_id: "s".into(),
            service_name: "Parking".into(),
            action: "refund",
            payment_id: Some("p1".into()),
            amount: Some(amount),
            ..AuditAttempt::default()
        };
        new_row("Sam", &attempt, Phase::Attempt, None, None, "")
    }

    /// Rows as a version before keyed checks wrote them, then a take-over.
    #[tokio::test]
    async fn a_record_from_before_keyed_checks_is_taken_over_and_still_checked() {
        let (_dir, store) = store().await;
        let lock = store.audit_lock().await;
        for amount in [100, 200] {
            store
                .audit_append(&lock, refund_row(amount), &|prev, r| legacy_hash(prev, r))
                .await
                .unwrap();
        }
        drop(lock);
        let key = RecordKey::for_tests(3);
        let mut unit = store.audit_keying().await.unwrap();
        take_over(&mut *unit, &key).await.unwrap();
        unit.commit().await.unwrap();

        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.len(), 3);
        assert!(
            chain[2]
                .row
                .detail
                .contains("2 rows before this one were checked"),
            "{:?}",
            chain[2].row
        );
        let head = Some((3, chain[2].hash.clone()));
        let ok = verify(&chain, &key, head.clone());
        assert!(ok.intact && ok.rows == 3, "{ok:?}");
        // Another key does not verify the taken-over record.
        assert!(!verify(&chain, &RecordKey::for_tests(4), head.clone()).intact);
        // A row from before the take-over edited and re-hashed without the
        // key breaks the link to the keyed row after it.
        for sql in [
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET amount = 999 WHERE seq = 2",
        ] {
            sqlx::query(sql).execute(&store.pool).await.unwrap();
        }
        let bad = verify(&store.audit_chain().await.unwrap(), &key, head);
        assert_eq!(bad.broken_at, Some(2), "{bad:?}");
    }

    #[tokio::test]
    async fn an_empty_record_needs_no_take_over_and_a_missing_end_marker_is_said() {
        let (_dir, store) = store().await;
        let key = RecordKey::for_tests(5);
        let mut unit = store.audit_keying().await.unwrap();
        take_over(&mut *unit, &key).await.unwrap();
        unit.commit().await.unwrap();
        assert!(verify(&store.audit_chain().await.unwrap(), &key, None).intact);
        let lock = store.audit_lock().await;
        store
            .audit_append(&lock, refund_row(100), &|prev, r| row_mac(&key, prev, r))
            .await
            .unwrap();
        let unmarked = verify(&store.audit_chain().await.unwrap(), &key, None);
        assert!(
            !unmarked.intact && unmarked.summary.contains("end marker"),
            "{unmarked:?}"
        );
    }

    /// Two writers in one process wait for each other; the chain does not fork.
    #[tokio::test]
    async fn appends_from_many_tasks_make_one_unbroken_chain() {
        let (_dir, store) = store().await;
        let store = std::sync::Arc::new(store);
        let key = std::sync::Arc::new(RecordKey::for_tests(6));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move {
                    let lock = store.audit_lock().await;
                    store
                        .audit_append(&lock, refund_row(i), &|prev, r| row_mac(&key, prev, r))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut last = (0, String::new());
        for t in tasks {
            let head = t.await.unwrap();
            if head.0 > last.0 {
                last = head;
            }
        }
        let chain = store.audit_chain().await.unwrap();
        assert_eq!(chain.len(), 16);
        assert!(verify(&chain, &key, Some(last)).intact);
    }
}
