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
use ts_rs::TS;

use crate::error::CoreError;
use crate::money::reason::RefundWhy;
use crate::seal::{Head, RecordKey};
pub use crate::store::audit::{AuditQuery, AuditRow, GENESIS, Phase};
use crate::store::audit::{ChainedRow, KeyingUnit};

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
    /// Why, for a refund.
    pub reason: Option<RefundWhy>,
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
        "refund_request" => "refund_request",
        "refund_reject" => "refund_reject",
        "refund_return" => "refund_return",
        "refund_expire" => "refund_expire",
        "approval_rules" => "approval_rules",
        _ => "other_action",
    }
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

/// A row's fields as the record hashes them, in order, ending with the
/// previous row's hash. A refund's reason and note come before that hash,
/// only on rows that have either: rows written before reasons existed hash
/// as they always did. Public so a test can play a tamperer who knows the
/// format but not the key.
pub fn row_fields(prev: &str, r: &AuditRow) -> Vec<String> {
    let mut fields = vec![
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
    ];
    if r.reason.is_some() || r.reason_note.is_some() {
        fields.push(r.reason.clone().unwrap_or_default());
        fields.push(r.reason_note.clone().unwrap_or_default());
    }
    fields.push(prev.to_owned());
    fields
}

/// A row's keyed hash (see `seal`).
pub(crate) fn row_mac(key: &RecordKey, prev: &str, r: &AuditRow) -> String {
    let fields = row_fields(prev, r);
    let parts: Vec<&str> = fields.iter().map(String::as_str).collect();
    key.mac(&parts)
}

/// The unkeyed hash: of rows written before keyed checks (see `take_over`),
/// and of every row of a team's record, which the database server guards
/// (no staff login may change or remove a row) and every desktop of the
/// team must be able to check.
pub(crate) fn legacy_hash(prev: &str, r: &AuditRow) -> String {
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

/// The row an action writes, before the store gives it its place in the chain.
pub(crate) fn new_row(
    operator: &str,
    attempt: &AuditAttempt,
    phase: Phase,
    attempt_seq: Option<i64>,
    pay_code: Option<&str>,
    detail: &str,
) -> AuditRow {
    AuditRow {
        seq: 0,
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
        reason: attempt.reason.as_ref().map(|w| w.reason.code().to_owned()),
        reason_note: attempt.reason.as_ref().and_then(|w| w.note.clone()),
    }
}

/// Starts keyed checks on a record that already has rows (written by an
/// earlier version, or sealed with a key the keyring no longer holds): one
/// row, sealed with the new key, chains on from the last and says whether
/// the rows before it could be checked. Called while holding the write lock.
pub(crate) async fn take_over(unit: &mut dyn KeyingUnit, key: &RecordKey) -> Result<(), CoreError> {
    let rows = unit.chain().await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut prev = GENESIS.to_owned();
    let mut checked = true;
    for ChainedRow {
        row,
        prev_hash,
        hash,
    } in &rows
    {
        if row.action == TAKEN_OVER {
            // Rows before an earlier take-over were checked then; the chain
            // is checked again, whole, by Verify.
            prev.clone_from(hash);
            continue;
        }
        if *prev_hash != prev || legacy_hash(&prev, row) != *hash {
            checked = false;
            break;
        }
        prev.clone_from(hash);
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
    let row = new_row("Paydesk", &attempt, Phase::Succeeded, None, None, &detail);
    unit.append(row, &|prev, r| row_mac(key, prev, r)).await?;
    Ok(())
}

/// How new rows of the record are sealed.
pub(crate) enum RowHasher {
    /// With this desktop's key (see `seal`).
    Keyed(std::sync::Arc<RecordKey>),
    /// With the unkeyed hash: a team's record (see `legacy_hash`).
    Team,
}

impl RowHasher {
    pub(crate) fn hash(&self, prev: &str, r: &AuditRow) -> String {
        match self {
            RowHasher::Keyed(key) => row_mac(key, prev, r),
            RowHasher::Team => legacy_hash(prev, r),
        }
    }

    /// Checks the whole chain as it was sealed (see `verify`).
    pub(crate) fn verify(&self, rows: &[ChainedRow], head: Option<Head>) -> AuditVerification {
        match self {
            RowHasher::Keyed(key) => verify(rows, key, head),
            RowHasher::Team => verify_chain(rows, None, head),
        }
    }
}

/// Re-computes the whole chain with the key, and checks it ends where the
/// keyring's end marker says it does (rows after the marker are fine: two
/// Paydesks on one folder may move it in either order, and every row is
/// sealed anyway).
pub(crate) fn verify(
    rows: &[ChainedRow],
    key: &RecordKey,
    head: Option<Head>,
) -> AuditVerification {
    verify_chain(rows, Some(key), head)
}

/// `verify`, or with no key every row checked with the unkeyed hash.
fn verify_chain(
    rows: &[ChainedRow],
    key: Option<&RecordKey>,
    head: Option<Head>,
) -> AuditVerification {
    let count = rows.len() as i64;
    let broken = |seq: i64, why: String| AuditVerification {
        intact: false,
        rows: count,
        broken_at: Some(seq),
        summary: why,
    };
    // Rows before the last take-over were written without the key.
    let mut keyed_from = 1;
    for c in rows {
        if c.row.action == TAKEN_OVER {
            keyed_from = c.row.seq;
        }
    }
    let mut prev = GENESIS.to_owned();
    let mut hashes = Vec::with_capacity(rows.len());
    for (expected_seq, c) in (1..).zip(rows.iter()) {
        let ChainedRow {
            row,
            prev_hash,
            hash,
        } = c;
        if row.seq != expected_seq {
            return broken(
                expected_seq,
                format!("Row {expected_seq} is missing: the record has been cut."),
            );
        }
        let sound = *prev_hash == prev
            && match key {
                Some(key) if row.seq >= keyed_from => row_mac(key, &prev, row) == *hash,
                _ => legacy_hash(&prev, row) == *hash,
            };
        if !sound {
            return broken(
                row.seq,
                format!("Row {} has been changed since it was written.", row.seq),
            );
        }
        hashes.push(hash.clone());
        prev.clone_from(hash);
    }
    match head {
        Some((seq, _)) if seq > count => {
            return broken(
                count + 1,
                format!(
                    "The newest rows have been removed: the record ends at row {count}, but row {seq} was written."
                ),
            );
        }
        Some((seq, hash)) if seq >= 1 && hashes.get((seq - 1) as usize) != Some(&hash) => {
            return broken(
                seq,
                format!("Row {seq} has been changed since it was written."),
            );
        }
        None if count > 0 => {
            return AuditVerification {
                intact: false,
                rows: count,
                broken_at: None,
                summary: format!(
                    "The {count} rows match each other, but the keyring does not hold the record's end marker, so rows removed from the end would not show."
                ),
            };
        }
        _ => {}
    }
    AuditVerification {
        intact: true,
        rows: count,
        broken_at: None,
        summary: if count == 0 {
            "The record is empty: nothing has been done from this desktop yet.".into()
        } else {
            format!("The record is intact: all {count} rows are as they were written.")
        },
    }
}
