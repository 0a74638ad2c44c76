//! Approval rules and refund requests on the team's database. Each change
//! and its audit row are one transaction under the chain's lock; who may
//! make which change is the database's to say (`migrations/postgres`, the
//! approvals step): a request is never decided by the login that asked.

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use super::PgStore;
use super::audit::{append_in, lock_chain};
use crate::store::approvals::{
    ApprovalRules, ApprovalStore, CitizenRefund, Decision, NewRequest, RequestFilter,
    RequestRecord, RequestState, RulesRecord,
};
use crate::store::audit::{ChainLock, Sealer};
use crate::store::rows::{all, request_record};
use crate::store::{AuditRow, StoreError};

/// A time as the store gives times: RFC 3339 in UTC, to the second.
macro_rules! utc {
    ($column:literal) => {
        concat!(
            "to_char(",
            $column,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        )
    };
}

/// A request with its refund's outcome, from the audit rows of its attempt.
macro_rules! request_sql {
    () => {
        concat!(
            "SELECT q.id, q.service_id, q.payment_id, q.reference, q.email, q.amount, q.available,
        q.reason, q.reason_note, q.needs, q.requester_login, q.requester, ",
            utc!("q.asked_at"),
            " AS asked_at, ",
            utc!("q.expires_at"),
            " AS expires_at, q.state, q.decider, ",
            utc!("q.decided_at"),
            " AS decided_at, q.decision_note, q.attempt_seq,
        (SELECT a.phase FROM audit_log a WHERE a.attempt_seq = q.attempt_seq
          ORDER BY a.seq DESC LIMIT 1) AS outcome,
        (SELECT a.target_id FROM audit_log a WHERE a.attempt_seq = q.attempt_seq
           AND a.phase IN ('succeeded', 'reconciled') AND a.target_id IS NOT NULL
          ORDER BY a.seq LIMIT 1) AS refund_id
     FROM refund_requests q"
        )
    };
}

async fn one(conn: &mut PgConnection, id: i64) -> Result<Option<RequestRecord>, StoreError> {
    let row = sqlx::query(concat!(request_sql!(), " WHERE q.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(request_record).transpose()?)
}

#[async_trait]
impl ApprovalStore for PgStore {
    async fn approval_rules(&self, service_id: &str) -> Result<RulesRecord, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT above_pence, older_than_days, own_telephone, set_by, ",
            utc!("set_at"),
            " AS set_at FROM approval_rules WHERE service_id = $1"
        ))
        .bind(service_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(RulesRecord::default());
        };
        Ok(RulesRecord {
            rules: ApprovalRules {
                above: row.try_get("above_pence")?,
                older_than_days: row.try_get("older_than_days")?,
                own_telephone: row.try_get("own_telephone")?,
            },
            set_by: row.try_get("set_by")?,
            set_at: row.try_get("set_at")?,
        })
    }

    async fn set_approval_rules(
        &self,
        _lock: &ChainLock,
        service_id: &str,
        rules: &ApprovalRules,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_chain(&mut tx).await?;
        sqlx::query(
            "INSERT INTO approval_rules (service_id, above_pence, older_than_days, own_telephone, set_by)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (service_id) DO UPDATE SET above_pence = excluded.above_pence,
                older_than_days = excluded.older_than_days, own_telephone = excluded.own_telephone,
                set_by = excluded.set_by, set_login = current_user, set_at = now()",
        )
        .bind(service_id)
        .bind(rules.above)
        .bind(rules.older_than_days)
        .bind(rules.own_telephone)
        .bind(&row.operator)
        .execute(&mut *tx)
        .await?;
        let head = append_in(&mut tx, row, seal).await?;
        tx.commit().await?;
        Ok(head)
    }

    async fn ask_refund(
        &self,
        _lock: &ChainLock,
        new: &NewRequest,
        mut row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(RequestRecord, (i64, String)), StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_chain(&mut tx).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO refund_requests (service_id, payment_id, reference, email, amount,
                available, reason, reason_note, needs, requester)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&new.service_id)
        .bind(&new.payment_id)
        .bind(&new.reference)
        .bind(&new.email)
        .bind(new.amount)
        .bind(new.available)
        .bind(&new.reason)
        .bind(&new.reason_note)
        .bind(&new.needs)
        .bind(&new.requester)
        .fetch_one(&mut *tx)
        .await?;
        row.target_id = Some(id.to_string());
        let head = append_in(&mut tx, row, seal).await?;
        let record = one(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::other("the request just kept cannot be read"))?;
        tx.commit().await?;
        Ok((record, head))
    }

    async fn decide_request(
        &self,
        _lock: &ChainLock,
        id: i64,
        decision: &Decision,
        decider: &str,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<Option<(RequestRecord, (i64, String))>, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_chain(&mut tx).await?;
        let head = append_in(&mut tx, row, seal).await?;
        let changed = match decision {
            Decision::Expire => {
                sqlx::query(
                    "UPDATE refund_requests SET state = 'expired'
                     WHERE id = $1 AND state = 'waiting' AND expires_at <= clock_timestamp()",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?
            }
            Decision::Approve | Decision::Reject { .. } | Decision::Return { .. } => {
                let (state, note, attempt) = match decision {
                    Decision::Approve => (RequestState::Approved, None, Some(head.0)),
                    Decision::Reject { note } => (RequestState::Rejected, Some(note), None),
                    Decision::Return { note } => (RequestState::Returned, Some(note), None),
                    Decision::Expire => unreachable!("handled above"),
                };
                sqlx::query(
                    "UPDATE refund_requests SET state = $2, decider_login = current_user,
                        decider = $3, decision_note = $4, attempt_seq = $5
                     WHERE id = $1 AND state = 'waiting' AND expires_at > clock_timestamp()",
                )
                .bind(id)
                .bind(state.as_str())
                .bind(decider)
                .bind(note)
                .bind(attempt)
                .execute(&mut *tx)
                .await?
            }
        };
        if changed.rows_affected() == 0 {
            // Not waiting any more: the audit row goes with the change.
            tx.rollback().await?;
            return Ok(None);
        }
        let record = one(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::other("the request just decided cannot be read"))?;
        tx.commit().await?;
        Ok(Some((record, head)))
    }

    async fn citizen_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
        email: Option<&str>,
    ) -> Result<Vec<CitizenRefund>, StoreError> {
        // The same email in any case, through the trigram index (no wildcards).
        let pattern = email.map(|e| {
            e.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        });
        let rows = sqlx::query(
            "SELECT r.payment_id, p.reference, r.refund_id, r.amount, r.status, r.created_date
             FROM payments p JOIN refunds r ON r.service_id = p.service_id AND r.payment_id = p.payment_id
             WHERE p.service_id = $1 AND (p.payment_id = $2 OR ($3::text IS NOT NULL AND p.email ILIKE $3))
             ORDER BY r.created_ms DESC LIMIT 20",
        )
        .bind(service_id)
        .bind(payment_id)
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(CitizenRefund {
                    payment_id: r.try_get("payment_id")?,
                    reference: r.try_get("reference")?,
                    refund_id: r.try_get("refund_id")?,
                    amount: r.try_get("amount")?,
                    status: r.try_get("status")?,
                    created_date: r.try_get("created_date")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    async fn telephone_taker(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT login FROM audit_log WHERE service_id = $1 AND payment_id = $2
               AND action = 'telephone_payment' ORDER BY seq LIMIT 1",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn refund_request(&self, id: i64) -> Result<Option<RequestRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        one(&mut conn, id).await
    }

    async fn refund_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let mut b = QueryBuilder::<Postgres>::new(request_sql!());
        b.push(" WHERE true");
        if let Some(v) = &filter.service_id {
            b.push(" AND q.service_id = ").push_bind(v.clone());
        }
        if let Some(v) = &filter.payment_id {
            b.push(" AND q.payment_id = ").push_bind(v.clone());
        }
        if let Some(v) = &filter.requester_login {
            b.push(" AND q.requester_login = ").push_bind(v.clone());
        }
        if !filter.states.is_empty() {
            let states: Vec<String> = filter
                .states
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect();
            b.push(" AND q.state = ANY(").push_bind(states).push(")");
        }
        if filter.overdue {
            b.push(" AND q.state = 'waiting' AND q.expires_at <= clock_timestamp()");
        }
        b.push(" ORDER BY q.asked_at, q.id LIMIT 500");
        let rows = b.build().fetch_all(&self.pool).await?;
        Ok(all(&rows, request_record)?)
    }
}
