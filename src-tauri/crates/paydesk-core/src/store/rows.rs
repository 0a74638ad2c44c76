//! Reading rows the same way from either engine: a stored row becomes the
//! same value whichever database it came from. Each engine's row type gives
//! its columns through [`Columns`]; the mappings below are written once.

use sqlx::Row;

use super::audit::{AuditRow, ChainedRow, Phase, SealFields};
use super::cases::CaseNote;
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
    })
}

/// Rows read whole, each mapped by `one`.
pub(crate) fn all<R, T>(
    rows: &[R],
    one: impl Fn(&R) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(one).collect()
}
