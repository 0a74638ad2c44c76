//! Reading rows the same way from either engine: a stored row becomes the
//! same value whichever database it came from. Each engine's row type gives
//! its columns through [`Columns`]; the mappings below are written once.

use sqlx::Row;

use govpay::models::PaymentInstrument;

use super::approvals::{RequestRecord, RequestState};
use super::audit::{AuditRow, ChainedRow, Phase, SealFields};
use super::cache::{AgreementRecord, DisputeRecord, RefundView};
use super::cases::{CaseNote, CaseSummary};
use super::dashboard::Tally;
use super::export::ExportRow;
use super::search::PaymentRow;
use super::services::ServiceRecord;
use super::telephone::TelephonePaymentRow;

/// A row's columns by name, as the few types the store keeps.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn maybe_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn maybe_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    /// A yes or no: SQLite keeps it as 0 or 1, PostgreSQL as a boolean.
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error>;
    fn maybe_flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error>;
}

macro_rules! columns_of {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn maybe_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn maybe_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> Result<bool, sqlx::Error> {
                self.try_get(column)
            }
            fn maybe_flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}

columns_of!(sqlx::sqlite::SqliteRow);
columns_of!(sqlx::postgres::PgRow);

pub(crate) fn service_record(r: &impl Columns) -> Result<ServiceRecord, sqlx::Error> {
    Ok(ServiceRecord {
        id: r.text("id")?,
        name: r.text("name")?,
        base_url: r.text("base_url")?,
        environment: r.text("environment")?,
        role: r.text("role")?,
        sandbox: r.flag("sandbox")?,
        seal: r.maybe_text("seal")?,
    })
}

pub(crate) fn seal_fields(r: &impl Columns) -> Result<SealFields, sqlx::Error> {
    Ok(SealFields {
        id: r.text("id")?,
        base_url: r.text("base_url")?,
        environment: r.text("environment")?,
        role: r.text("role")?,
        sandbox: r.flag("sandbox")?,
    })
}

pub(crate) fn case_note(r: &impl Columns) -> Result<CaseNote, sqlx::Error> {
    Ok(CaseNote {
        id: r.int("id")?,
        author: r.text("author")?,
        body: r.text("body")?,
        created_at: r.text("created_at")?,
    })
}

pub(crate) fn case_summary(r: &impl Columns) -> Result<CaseSummary, sqlx::Error> {
    Ok(CaseSummary {
        id: r.text("id")?,
        reference: r.text("reference")?,
        title: r.text("title")?,
        created_at: r.text("created_at")?,
        last_activity_at: r.text("last_activity_at")?,
        payment_count: r.int("payment_count")?,
        note_count: r.int("note_count")?,
    })
}

pub(crate) fn telephone_row(r: &impl Columns) -> Result<TelephonePaymentRow, sqlx::Error> {
    Ok(TelephonePaymentRow {
        payment_id: r.text("payment_id")?,
        reference: r.text("reference")?,
        amount: r.int("amount")?,
        operator: r.text("operator")?,
        created_at: r.text("created_at")?,
        status: r.text("status")?,
        finished: r.flag("finished")?,
        code: r.maybe_text("code")?,
        last4: r.maybe_text("last4")?,
    })
}

pub(crate) fn chained_row(r: &impl Columns) -> Result<ChainedRow, sqlx::Error> {
    Ok(ChainedRow {
        row: audit_row(r)?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

pub(crate) fn audit_row(r: &impl Columns) -> Result<AuditRow, sqlx::Error> {
    Ok(AuditRow {
        seq: r.int("seq")?,
        at: r.text("at")?,
        operator: r.text("operator")?,
        service_id: r.text("service_id")?,
        service_name: r.text("service_name")?,
        action: r.text("action")?,
        phase: Phase::parse(&r.text("phase")?),
        attempt_seq: r.maybe_int("attempt_seq")?,
        payment_id: r.maybe_text("payment_id")?,
        target_id: r.maybe_text("target_id")?,
        amount: r.maybe_int("amount")?,
        pay_code: r.maybe_text("pay_code")?,
        detail: r.text("detail")?,
        reason: r.maybe_text("reason")?,
        reason_note: r.maybe_text("reason_note")?,
    })
}

/// A result row of a search (the payments table as `p`, see `ROW_COLUMNS`).
pub(crate) fn payment_row(r: &impl Columns) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        payment_id: r.text("payment_id")?,
        reference: r.text("reference")?,
        description: r.text("description")?,
        email: r.maybe_text("email")?,
        amount: r.int("amount")?,
        status: r.text("status")?,
        finished: r.flag("finished")?,
        code: r.maybe_text("code")?,
        card_brand: r.maybe_text("card_brand")?,
        last4: r.maybe_text("last4")?,
        cardholder_name: r.maybe_text("cardholder_name")?,
        created_date: r.text("created_date")?,
        refund_status: r.maybe_text("refund_status")?,
        refund_available: r.maybe_int("refund_available")?,
        refund_submitted: r.maybe_int("refund_submitted")?,
    })
}

/// The columns `payment_row` reads, from the payments table as `p`.
pub(crate) const ROW_COLUMNS: &str = "p.payment_id, p.reference, p.description, p.email, p.amount, p.status, p.finished, p.code,
    p.card_brand, p.last4, p.cardholder_name, p.created_date, p.refund_status, p.refund_available, p.refund_submitted";

pub(crate) fn refund_view(r: &impl Columns) -> Result<RefundView, sqlx::Error> {
    Ok(RefundView {
        refund_id: r.text("refund_id")?,
        amount: r.int("amount")?,
        status: r.text("status")?,
        created_date: r.maybe_text("created_date")?,
        settled_date: r.maybe_text("settled_date")?,
        // From the record, by the core (see `story`).
        refunded_by: None,
        reason: None,
    })
}

pub(crate) fn dispute_record(r: &impl Columns) -> Result<DisputeRecord, sqlx::Error> {
    Ok(DisputeRecord {
        dispute_id: r.text("dispute_id")?,
        payment_id: r.text("payment_id")?,
        amount: r.int("amount")?,
        fee: r.maybe_int("fee")?,
        net_amount: r.maybe_int("net_amount")?,
        status: r.text("status")?,
        reason: r.maybe_text("reason")?,
        created_date: r.text("created_date")?,
        evidence_due_date: r.maybe_text("evidence_due_date")?,
        settled_date: r.maybe_text("settled_date")?,
    })
}

pub(crate) fn agreement_record(r: &impl Columns) -> Result<AgreementRecord, sqlx::Error> {
    Ok(AgreementRecord {
        agreement_id: r.text("agreement_id")?,
        reference: r.text("reference")?,
        description: r.text("description")?,
        status: r.text("status")?,
        user_identifier: r.maybe_text("user_identifier")?,
        created_date: r.maybe_text("created_date")?,
        cancelled_date: r.maybe_text("cancelled_date")?,
        // Kept as GOV.UK Pay sent it; one that cannot be read shows no card.
        instrument: r
            .maybe_text("instrument")?
            .and_then(|json| serde_json::from_str::<PaymentInstrument>(&json).ok()),
    })
}

/// A refund request with its refund's outcome (see `postgres/approvals.rs`).
pub(crate) fn request_record(r: &impl Columns) -> Result<RequestRecord, sqlx::Error> {
    Ok(RequestRecord {
        id: r.int("id")?,
        service_id: r.text("service_id")?,
        payment_id: r.text("payment_id")?,
        reference: r.text("reference")?,
        email: r.maybe_text("email")?,
        amount: r.int("amount")?,
        available: r.int("available")?,
        reason: r.text("reason")?,
        reason_note: r.maybe_text("reason_note")?,
        needs: r.text("needs")?,
        requester_login: r.text("requester_login")?,
        requester: r.text("requester")?,
        asked_at: r.text("asked_at")?,
        expires_at: r.text("expires_at")?,
        state: RequestState::parse(&r.text("state")?),
        decider: r.maybe_text("decider")?,
        decided_at: r.maybe_text("decided_at")?,
        decision_note: r.maybe_text("decision_note")?,
        attempt_seq: r.maybe_int("attempt_seq")?,
        outcome: r.maybe_text("outcome")?,
        refund_id: r.maybe_text("refund_id")?,
    })
}

/// A row of the finance export (see each engine's `export.rs`).
pub(crate) fn export_row(r: &impl Columns) -> Result<ExportRow, sqlx::Error> {
    Ok(ExportRow {
        refund: r.flag("refund")?,
        created_ms: r.int("created_ms")?,
        reference: r.maybe_text("reference")?,
        description: r.maybe_text("description")?,
        email: r.maybe_text("email")?,
        amount: r.int("amount")?,
        card_brand: r.maybe_text("card_brand")?,
        cardholder_name: r.maybe_text("cardholder_name")?,
        expiry: r.maybe_text("expiry")?,
        last4: r.maybe_text("last4")?,
        status: r.maybe_text("status")?.unwrap_or_default(),
        finished: r.maybe_flag("finished")?.unwrap_or(false),
        code: r.maybe_text("code")?,
        message: r.maybe_text("message")?,
        provider_id: r.maybe_text("provider_id")?,
        payment_id: r.maybe_text("payment_id")?,
        issued_by: r.maybe_text("issued_by")?,
        corporate_surcharge: r.maybe_int("corporate_surcharge")?,
        total_amount: r.maybe_int("total_amount")?,
        wallet_type: r.maybe_text("wallet_type")?,
        fee: r.maybe_int("fee")?,
        net_amount: r.maybe_int("net_amount")?,
        card_type: r.maybe_text("card_type")?,
        moto: r.maybe_flag("moto")?,
        provider: r.maybe_text("provider")?,
        three_ds_required: r.maybe_flag("three_ds_required")?,
        metadata: r.maybe_text("metadata")?,
        reason: r.maybe_text("reason")?,
        reason_note: r.maybe_text("reason_note")?,
    })
}

/// A count and value in pence of one group (`n`, `value`), with the group's
/// key (`key`, `None` for the rows that have none).
pub(crate) fn keyed_tally(
    r: &impl Columns,
    key: &str,
) -> Result<(Option<String>, Tally), sqlx::Error> {
    Ok((
        r.maybe_text(key)?,
        Tally {
            count: r.int("n")?,
            value: r.maybe_int("value")?.unwrap_or(0),
        },
    ))
}

/// Rows read whole, each mapped by `one`.
pub(crate) fn all<R, T>(
    rows: &[R],
    one: impl Fn(&R) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(one).collect()
}
