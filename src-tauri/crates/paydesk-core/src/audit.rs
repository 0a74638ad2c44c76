//! The audit trail: an append-only, hash-chained record of every action this
//! desktop took with public money, and who took it.
//!
//! An action writes an `attempt` row before it calls GOV.UK Pay and a result row
//! (`succeeded`, `failed`, `unknown`, later `reconciled`) after, so an action cut
//! short is never lost. Each row's hash covers the previous row's hash and its
//! own content; the newest hash is also kept apart, so an altered, inserted or
//! removed row (even the last) shows when the chain is verified. Rows never hold
//! API keys or card details: only what the code below writes.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Row, SqlitePool};
use ts_rs::TS;

use crate::error::CoreError;
use crate::seal::{Head, RecordKey};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an action is about, written before it is tried.
#[derive(Debug, Clone, Default)]
pub struct AuditAttempt {
    pub service_id: String,
    pub service_name: String,
    /// `refund`, `cancel`, `capture`, `telephone_payment`, `agreement_cancel`...
    pub action: &'static str,
    pub payment_id: Option<String>,
    /// A refund, agreement or dispute id, when there is one.
    pub target_id: Option<String>,
    pub amount: Option<i64>,
    pub detail: String,
}

impl AuditAttempt {
    /// A row's detail: the attempt's own, unless the result brings one.
    pub(crate) fn detail_or(&self, result: &str) -> String {
        if result.is_empty() {
            self.detail.clone()
        } else {
            result.to_owned()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Phase {
    Attempt,
    /// Paydesk refused the action itself, before anything was sent (the figures
    /// changed, GOV.UK Pay says it cannot be done): nothing reached GOV.UK Pay.
    NotSent,
    Succeeded,
    Failed,
    Unknown,
    Reconciled,
}

impl Phase {
    /// An outcome of a request that may have left the machine: it must reach
    /// the trail even when the database cannot take it at the time.
    pub(crate) fn after_sending(self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::Failed | Phase::Unknown | Phase::Reconciled
        )
    }

    fn as_str(self) -> &'static str {
        match self {
            Phase::Attempt => "attempt",
            Phase::NotSent => "not_sent",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
            Phase::Unknown => "unknown",
            Phase::Reconciled => "reconciled",
        }
    }

    fn parse(s: &str) -> Phase {
        match s {
            "not_sent" => Phase::NotSent,
            "succeeded" => Phase::Succeeded,
            "failed" => Phase::Failed,
            "unknown" => Phase::Unknown,
            "reconciled" => Phase::Reconciled,
            _ => Phase::Attempt,
        }
    }
}

/// An action's name as the trail writes it, from text read back (held rows).
pub(crate) fn action_name(text: &str) -> &'static str {
    match text {
        "refund" => "refund",
        "cancel" => "cancel",
        "capture" => "capture",
        "telephone_payment" => "telephone_payment",
        "agreement_cancel" => "agreement_cancel",
        "agreement_create" => "agreement_create",
        "staff_name" => "staff_name",
        _ => "other_action",
    }
}

/// One row of the trail, as the activity screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditRow {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub operator: String,
    pub service_id: String,
    pub service_name: String,
    pub action: String,
    pub phase: Phase,
    #[ts(type = "number | null")]
    pub attempt_seq: Option<i64>,
    pub payment_id: Option<String>,
    pub target_id: Option<String>,
    #[ts(type = "number | null")]
    pub amount: Option<i64>,
    pub pay_code: Option<String>,
    pub detail: String,
}

/// What verifying the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditVerification {
    pub intact: bool,
    #[ts(type = "number")]
    pub rows: i64,
    /// The first row that does not match, if any.
    #[ts(type = "number | null")]
    pub broken_at: Option<i64>,
    /// In words for a supervisor.
    pub summary: String,
}

fn row_fields(prev: &str, r: &AuditRow) -> [String; 14] {
    [
        r.seq.to_string(),
        r.at.clone(),
        r.operator.clone(),
        r.service_id.clone(),
        r.service_name.clone(),
        r.action.clone(),
        r.phase.as_str().to_owned(),
        r.attempt_seq.map(|s| s.to_string()).unwrap_or_default(),
        r.payment_id.clone().unwrap_or_default(),
        r.target_id.clone().unwrap_or_default(),
        r.amount.map(|a| a.to_string()).unwrap_or_default(),
        r.pay_code.clone().unwrap_or_default(),
        r.detail.clone(),
        prev.to_owned(),
    ]
}

/// A row's keyed hash (see `seal`).
fn row_mac(key: &RecordKey, prev: &str, r: &AuditRow) -> String {
    let fields = row_fields(prev, r);
    let parts: Vec<&str> = fields.iter().map(String::as_str).collect();
    key.mac(&parts)
}

/// The unkeyed hash rows had before keyed checks; only rows written before
/// the record was taken over (see `take_over`) are checked with it.
fn legacy_hash(prev: &str, r: &AuditRow) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different rows can hash the same text.
    for f in &row_fields(prev, r) {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The action of the row that starts keyed checks on a record that had rows.
const TAKEN_OVER: &str = "record_keyed";

pub(crate) fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Appends one row. Callers hold the core's audit lock, so the chain has one
/// writer in this process; the transaction takes SQLite's write lock before it
/// reads the chain's head (`BEGIN IMMEDIATE`), so another process writing at
/// the same time makes it wait, never fail half-way. A busy database is tried
/// again for a while before the error is given up.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append(
    pool: &SqlitePool,
    key: &RecordKey,
    operator: &str,
    attempt: &AuditAttempt,
    phase: Phase,
    attempt_seq: Option<i64>,
    pay_code: Option<&str>,
    detail: &str,
) -> Result<Head, CoreError> {
    let mut tries = 0u32;
    loop {
        match append_once(
            pool,
            key,
            operator,
            attempt,
            phase,
            attempt_seq,
            pay_code,
            detail,
        )
        .await
        .map_err(crate::StoreError::from)
        {
            Err(e) if e.is_busy() && tries < BUSY_TRIES => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(tries))).await;
            }
            Err(e) => return Err(e.into()),
            Ok(head) => return Ok(head),
        }
    }
}

/// How often a busy database is tried again (on top of SQLite's own 5 s wait).
const BUSY_TRIES: u32 = 3;

#[allow(clippy::too_many_arguments)]
async fn append_once(
    pool: &SqlitePool,
    key: &RecordKey,
    operator: &str,
    attempt: &AuditAttempt,
    phase: Phase,
    attempt_seq: Option<i64>,
    pay_code: Option<&str>,
    detail: &str,
) -> Result<Head, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head = append_in(
        &mut tx,
        key,
        operator,
        attempt,
        phase,
        attempt_seq,
        pay_code,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(head)
}

/// Appends one row inside a transaction that already holds the write lock.
#[allow(clippy::too_many_arguments)]
async fn append_in(
    conn: &mut sqlx::SqliteConnection,
    key: &RecordKey,
    operator: &str,
    attempt: &AuditAttempt,
    phase: Phase,
    attempt_seq: Option<i64>,
    pay_code: Option<&str>,
    detail: &str,
) -> Result<Head, sqlx::Error> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let row = AuditRow {
        seq,
        at: now_text(),
        operator: operator.to_owned(),
        service_id: attempt.service_id.clone(),
        service_name: attempt.service_name.clone(),
        action: attempt.action.to_owned(),
        phase,
        attempt_seq,
        payment_id: attempt.payment_id.clone(),
        target_id: attempt.target_id.clone(),
        amount: attempt.amount,
        pay_code: pay_code.map(str::to_owned),
        detail: attempt.detail_or(detail),
    };
    let hash = row_mac(key, &prev, &row);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase, attempt_seq, payment_id,
            target_id, amount, pay_code, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
    .execute(&mut *conn)
    .await?;
    Ok((seq, hash))
}

/// Starts keyed checks on a record that already has rows (written by an
/// earlier version, or sealed with a key the keyring no longer holds): one
/// row, sealed with the new key, chains on from the last and says whether
/// the rows before it could be checked. Called while holding the write lock.
pub(crate) async fn take_over(
    conn: &mut sqlx::SqliteConnection,
    key: &RecordKey,
) -> Result<(), CoreError> {
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut prev = GENESIS.to_owned();
    let mut checked = true;
    for r in &rows {
        let (row, prev_hash, hash) = from_row(r)?;
        if row.action == TAKEN_OVER {
            // Rows before an earlier take-over were checked then; the chain
            // is checked again, whole, by Verify.
            prev = hash;
            continue;
        }
        if prev_hash != prev || legacy_hash(&prev, &row) != hash {
            checked = false;
            break;
        }
        prev = hash;
    }
    let count = rows.len();
    let detail = if checked {
        format!("keyed checks began: the {count} rows before this one were checked and taken over")
    } else {
        format!(
            "keyed checks began with a new key: the {count} rows before this one could not be checked \
             (they were changed, or sealed with a key the keyring no longer holds)"
        )
    };
    let attempt = AuditAttempt {
        action: TAKEN_OVER,
        ..AuditAttempt::default()
    };
    append_in(
        conn,
        key,
        "Paydesk",
        &attempt,
        Phase::Succeeded,
        None,
        None,
        &detail,
    )
    .await?;
    Ok(())
}

pub(crate) fn from_row(
    r: &sqlx::sqlite::SqliteRow,
) -> Result<(AuditRow, String, String), sqlx::Error> {
    Ok((
        AuditRow {
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            operator: r.try_get("operator")?,
            service_id: r.try_get("service_id")?,
            service_name: r.try_get("service_name")?,
            action: r.try_get("action")?,
            phase: Phase::parse(&r.try_get::<String, _>("phase")?),
            attempt_seq: r.try_get("attempt_seq")?,
            payment_id: r.try_get("payment_id")?,
            target_id: r.try_get("target_id")?,
            amount: r.try_get("amount")?,
            pay_code: r.try_get("pay_code")?,
            detail: r.try_get("detail")?,
        },
        r.try_get("prev_hash")?,
        r.try_get("hash")?,
    ))
}

/// Re-computes the whole chain with the key, and checks it ends where the
/// keyring's end marker says it does (rows after the marker are fine: two
/// Paydesks on one folder may move it in either order, and every row is
/// sealed anyway).
pub(crate) async fn verify(
    pool: &SqlitePool,
    key: &RecordKey,
    head: Option<Head>,
) -> Result<AuditVerification, CoreError> {
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(pool)
        .await?;
    let count = rows.len() as i64;
    let broken = |seq: i64, why: String| AuditVerification {
        intact: false,
        rows: count,
        broken_at: Some(seq),
        summary: why,
    };
    // Rows before the last take-over were written without the key.
    let mut keyed_from = 1;
    for r in &rows {
        let (row, ..) = from_row(r)?;
        if row.action == TAKEN_OVER {
            keyed_from = row.seq;
        }
    }
    let mut prev = GENESIS.to_owned();
    let mut hashes = Vec::with_capacity(rows.len());
    for (expected_seq, r) in (1..).zip(rows.iter()) {
        let (row, prev_hash, hash) = from_row(r)?;
        if row.seq != expected_seq {
            return Ok(broken(
                expected_seq,
                format!("Row {expected_seq} is missing: the record has been cut."),
            ));
        }
        let sound = prev_hash == prev
            && if row.seq < keyed_from {
                legacy_hash(&prev, &row) == hash
            } else {
                row_mac(key, &prev, &row) == hash
            };
        if !sound {
            return Ok(broken(
                row.seq,
                format!("Row {} has been changed since it was written.", row.seq),
            ));
        }
        hashes.push(hash.clone());
        prev = hash;
    }
    match head {
        Some((seq, _)) if seq > count => {
            return Ok(broken(
                count + 1,
                format!(
                    "The newest rows have been removed: the record ends at row {count}, but row {seq} was written."
                ),
            ));
        }
        Some((seq, hash)) if seq >= 1 && hashes.get((seq - 1) as usize) != Some(&hash) => {
            return Ok(broken(
                seq,
                format!("Row {seq} has been changed since it was written."),
            ));
        }
        None if count > 0 => {
            return Ok(AuditVerification {
                intact: false,
                rows: count,
                broken_at: None,
                summary: format!(
                    "The {count} rows match each other, but the keyring does not hold the record's end marker, so rows removed from the end would not show."
                ),
            });
        }
        _ => {}
    }
    Ok(AuditVerification {
        intact: true,
        rows: count,
        broken_at: None,
        summary: if count == 0 {
            "The record is empty: nothing has been done from this desktop yet.".into()
        } else {
            format!("The record is intact: all {count} rows are as they were written.")
        },
    })
}

/// Filters for the activity list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AuditQuery {
    #[ts(optional)]
    pub operator: Option<String>,
    #[ts(optional)]
    pub action: Option<String>,
    #[ts(optional)]
    pub service_id: Option<String>,
    #[ts(optional)]
    pub phase: Option<String>,
    #[ts(optional)]
    pub payment_id: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[ts(optional)]
    pub from_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[ts(optional)]
    pub to_date: Option<String>,
    pub limit: u32,
}

/// The trail, newest first, filtered.
pub async fn list(pool: &SqlitePool, q: &AuditQuery) -> Result<Vec<AuditRow>, CoreError> {
    let mut b = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT * FROM audit_log WHERE 1 = 1");
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
    let rows = b.build().fetch_all(pool).await?;
    rows.iter()
        .map(|r| from_row(r).map(|(row, ..)| row).map_err(CoreError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a row as a version before keyed checks did.
    async fn legacy_row(pool: &SqlitePool, seq: i64, prev: &str, amount: i64) -> String {
        let row = AuditRow {
            seq,
            at: now_text(),
            operator: "Sam".into(),
            service_id: "s".into(),
            service_name: "Parking".into(),
            action: "refund".into(),
            phase: Phase::Attempt,
            attempt_seq: None,
            payment_id: Some("p1".into()),
            target_id: None,
            amount: Some(amount),
            pay_code: None,
            detail: String::new(),
        };
        let hash = legacy_hash(prev, &row);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase, payment_id, amount, detail, prev_hash, hash)
             VALUES (?1, ?2, 'Sam', 's', 'Parking', 'refund', 'attempt', 'p1', ?3, '', ?4, ?5)",
        )
        .bind(seq)
        .bind(&row.at)
        .bind(amount)
        .bind(prev)
        .bind(&hash)
        .execute(pool)
        .await
        .unwrap();
        hash
    }

    #[tokio::test]
    async fn a_record_from_before_keyed_checks_is_taken_over_and_still_checked() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("t.db")).await.unwrap();
        let h1 = legacy_row(&pool, 1, GENESIS, 100).await;
        legacy_row(&pool, 2, &h1, 200).await;
        let key = RecordKey::for_tests(3);
        let mut conn = pool.acquire().await.unwrap();
        take_over(&mut conn, &key).await.unwrap();
        drop(conn);
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_one(&pool)
                .await
                .unwrap();
        let detail: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE seq = 3")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(
            detail.contains("2 rows before this one were checked"),
            "{detail}"
        );
        let head = Some((seq, hash));
        let ok = verify(&pool, &key, head.clone()).await.unwrap();
        assert!(ok.intact && ok.rows == 3, "{ok:?}");
        // Another key does not verify the taken-over record.
        assert!(
            !verify(&pool, &RecordKey::for_tests(4), head.clone())
                .await
                .unwrap()
                .intact
        );
        // A row from before the take-over edited and re-hashed without the
        // key breaks the link to the keyed row after it.
        sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET amount = 999 WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        let bad = verify(&pool, &key, head).await.unwrap();
        assert_eq!(bad.broken_at, Some(2), "{bad:?}");
    }

    #[tokio::test]
    async fn an_empty_record_needs_no_take_over_and_a_missing_end_marker_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("t.db")).await.unwrap();
        let key = RecordKey::for_tests(5);
        let mut conn = pool.acquire().await.unwrap();
        take_over(&mut conn, &key).await.unwrap();
        drop(conn);
        assert!(verify(&pool, &key, None).await.unwrap().intact);
        let attempt = AuditAttempt {
            action: "refund",
            ..AuditAttempt::default()
        };
        append(&pool, &key, "Sam", &attempt, Phase::Attempt, None, None, "")
            .await
            .unwrap();
        let unmarked = verify(&pool, &key, None).await.unwrap();
        assert!(
            !unmarked.intact && unmarked.summary.contains("end marker"),
            "{unmarked:?}"
        );
    }
}
