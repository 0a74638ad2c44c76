//! The finance export: payments and refunds for a date range, in the GOV.UK Pay
//! admin tool's CSV columns, streamed row by row from the cache so a million
//! rows use little memory.

use std::io::Write;

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::Row;
use time::{OffsetDateTime, UtcOffset};
use ts_rs::TS;

use crate::Core;
use crate::error::CoreError;
use crate::roles::Permission;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportReport {
    #[ts(type = "number")]
    pub payments: u64,
    #[ts(type = "number")]
    pub refunds: u64,
    /// Sum of successful payments' amounts, in pence.
    #[ts(type = "number")]
    pub payments_total: i64,
    /// Sum of refunds (not in error), in pence, as a positive number.
    #[ts(type = "number")]
    pub refunds_total: i64,
}

/// `1,234.56` (the admin tool's `#,##0.00`), negative with a minus sign.
pub fn amount_text(pence: i64) -> String {
    crate::amount::pounds(pence).replacen('£', "", 1)
}

/// A CSV cell, quoted when it needs to be (RFC 4180).
pub fn cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A text cell (reference, description, email, names, ids) that a spreadsheet
/// will show as text and never run as a formula. Amounts use [`cell`], so they
/// stay numbers.
pub fn safe_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell(&format!("'{value}"))
    } else {
        cell(value)
    }
}

/// UK time: BST (UTC+1) from 01:00 UTC on the last Sunday of March to 01:00 UTC
/// on the last Sunday of October.
fn uk_time(utc: OffsetDateTime) -> OffsetDateTime {
    let last_sunday = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(utc.year(), month, 31).unwrap_or(utc.date());
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().unwrap_or(d);
        }
        d.with_hms(1, 0, 0).map(|t| t.assume_utc()).unwrap_or(utc)
    };
    let bst = utc >= last_sunday(time::Month::March) && utc < last_sunday(time::Month::October);
    utc.to_offset(if bst {
        UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC)
    } else {
        UtcOffset::UTC
    })
}

fn date_and_time(ms: i64) -> (String, String) {
    let t = uk_time(
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    (
        format!(
            "{:02} {} {}",
            t.day(),
            MONTHS[usize::from(u8::from(t.month())) - 1],
            t.year()
        ),
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
    )
}

fn state_label(status: &str, code: Option<&str>) -> &'static str {
    match (status, code) {
        ("success", _) => "Success",
        ("failed", Some("P0010")) => "Declined",
        ("failed", Some("P0020")) => "Timed out",
        ("failed", Some("P0030")) | ("cancelled", _) => "Cancelled",
        ("error", _) => "Error",
        ("failed", _) => "Declined",
        _ => "In progress",
    }
}

fn refund_label(status: &str) -> &'static str {
    match status {
        "success" => "Refund success",
        "error" => "Refund error",
        _ => "Refund submitted",
    }
}

impl Core {
    /// How many rows (payments and refunds) an export of `[from_ms, to_ms)` will
    /// write, for its progress bar.
    pub async fn export_size(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<u64, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ExportPayments)?;
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM payments WHERE service_id = ?1 AND created_ms >= ?2 AND created_ms < ?3)
                  + (SELECT count(*) FROM refunds WHERE service_id = ?1 AND created_ms >= ?2 AND created_ms < ?3)",
        )
        .bind(&service.id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes the CSV of payments and refunds created in `[from_ms, to_ms)` to `out`.
    pub async fn export_csv(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
        out: &mut (dyn Write + Send),
        on_rows: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ExportReport, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ExportPayments)?;
        let service_id = service.id.as_str();
        let io = |e: std::io::Error| CoreError::Storage(format!("could not write the export: {e}"));
        let pool = self.pool();
        let stripe: bool = sqlx::query_scalar("SELECT count(*) > 0 FROM payments WHERE service_id = ?1 AND provider = 'stripe' AND created_ms >= ?2 AND created_ms < ?3")
            .bind(service_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(pool)
            .await?;
        let moto: bool = sqlx::query_scalar("SELECT count(*) > 0 FROM payments WHERE service_id = ?1 AND moto = 1 AND created_ms >= ?2 AND created_ms < ?3")
            .bind(service_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(pool)
            .await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT m.key FROM payment_metadata m JOIN payments p ON p.rowid = m.payment_rowid
             WHERE p.service_id = ?1 AND p.created_ms >= ?2 AND p.created_ms < ?3 ORDER BY m.key",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(pool)
        .await?;

        let mut header: Vec<String> = [
            "Reference",
            "Description",
            "Email",
            "Amount",
            "Card Brand",
            "Cardholder Name",
            "Card Expiry Date",
            "Card Number",
            "State",
            "Finished",
            "Error Code",
            "Error Message",
            "Provider ID",
            "GOV.UK Payment ID",
            "Issued By",
            "Date Created",
            "Time Created",
            "Corporate Card Surcharge",
            "Total Amount",
            "Wallet Type",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if stripe {
            header.extend(
                [
                    "Fee",
                    "Net",
                    "Fee (transaction)",
                    "Fee (3DS)",
                    "Fee (fraud protection)",
                ]
                .map(String::from),
            );
        }
        header.push("Card Type".into());
        if moto {
            header.push("MOTO".into());
        }
        header.extend(["Payment Provider".into(), "3-D Secure Required".into()]);
        header.extend(keys.iter().map(|k| format!("{k} (metadata)")));
        writeln!(
            out,
            "{}",
            header
                .iter()
                .map(|h| safe_cell(h))
                .collect::<Vec<_>>()
                .join(",")
        )
        .map_err(io)?;

        let mut report = ExportReport::default();
        let mut line = Vec::with_capacity(header.len());
        // Payments and their refunds, newest first, as one stream: each read in
        // the order of its own date index and merged here, so nothing is sorted
        // (a sort of a million rows would be held in memory).
        let mut payments = sqlx::query(
            "SELECT 'payment' AS kind, p.created_ms, p.reference, p.description, p.email, p.amount, p.card_brand, p.cardholder_name,
                    p.expiry, p.last4, p.status, p.finished, p.code, p.message, p.provider_id, p.payment_id, NULL AS issued_by,
                    p.corporate_surcharge, p.total_amount, p.wallet_type, p.fee, p.net_amount, p.card_type, p.moto, p.provider,
                    p.three_ds_required, p.metadata
             FROM payments p INDEXED BY payments_created
             WHERE p.service_id = ?1 AND p.created_ms >= ?2 AND p.created_ms < ?3
             ORDER BY p.created_ms DESC",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch(pool);
        let mut refunds = sqlx::query(
            "SELECT 'refund' AS kind, r.created_ms, p.reference, p.description, p.email, -r.amount AS amount, p.card_brand,
                    p.cardholder_name, p.expiry, p.last4, r.status, r.status != 'submitted' AS finished, NULL AS code,
                    NULL AS message, p.provider_id, r.payment_id,
                    (SELECT operator FROM audit_log a WHERE a.service_id = r.service_id AND a.target_id = r.refund_id
                       AND a.phase IN ('succeeded', 'reconciled') LIMIT 1) AS issued_by,
                    NULL AS corporate_surcharge, NULL AS total_amount, p.wallet_type, NULL AS fee, NULL AS net_amount,
                    p.card_type, p.moto, p.provider, NULL AS three_ds_required, p.metadata
             FROM refunds r INDEXED BY refunds_created
             LEFT JOIN payments p ON p.service_id = r.service_id AND p.payment_id = r.payment_id
             WHERE r.service_id = ?1 AND r.created_ms >= ?2 AND r.created_ms < ?3
             ORDER BY r.created_ms DESC",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch(pool);
        let mut next_payment = payments.try_next().await?;
        let mut next_refund = refunds.try_next().await?;
        let created = |r: &sqlx::sqlite::SqliteRow| r.try_get::<i64, _>("created_ms").unwrap_or(0);
        loop {
            let payment_first = match (&next_payment, &next_refund) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(p), Some(r)) => created(p) >= created(r),
            };
            let r = if payment_first {
                std::mem::replace(&mut next_payment, payments.try_next().await?)
            } else {
                std::mem::replace(&mut next_refund, refunds.try_next().await?)
            };
            let Some(r) = r else { break };
            line.clear();
            let text = |name: &str| {
                r.try_get::<Option<String>, _>(name)
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            };
            let num = |name: &str| r.try_get::<Option<i64>, _>(name).ok().flatten();
            let kind: String = r.try_get("kind")?;
            let refund = kind == "refund";
            let amount: i64 = r.try_get("amount")?;
            let status = text("status");
            let code = r.try_get::<Option<String>, _>("code")?;
            let finished: bool = r.try_get::<Option<bool>, _>("finished")?.unwrap_or(false);
            let (date, time) = date_and_time(r.try_get("created_ms")?);
            let state = if refund {
                refund_label(&status)
            } else {
                state_label(&status, code.as_deref())
            };
            let total = if refund {
                String::new()
            } else if status == "success" {
                amount_text(num("total_amount").unwrap_or(amount))
            } else if finished {
                amount_text(0)
            } else {
                String::new()
            };
            line.extend([
                safe_cell(&text("reference")),
                safe_cell(&text("description")),
                safe_cell(&text("email")),
                cell(&amount_text(amount)),
                safe_cell(&text("card_brand")),
                safe_cell(&text("cardholder_name")),
                safe_cell(&text("expiry")),
                safe_cell(&text("last4")),
                safe_cell(state),
                finished.to_string(),
                safe_cell(code.as_deref().unwrap_or_default()),
                safe_cell(&text("message")),
                safe_cell(&text("provider_id")),
                safe_cell(&text("payment_id")),
                safe_cell(&text("issued_by")),
                date,
                time,
                num("corporate_surcharge")
                    .map(amount_text)
                    .map(|a| cell(&a))
                    .unwrap_or_default(),
                cell(&total),
                safe_cell(&text("wallet_type")),
            ]);
            if stripe {
                let fee = num("fee");
                line.extend([
                    fee.map(amount_text).map(|a| cell(&a)).unwrap_or_default(),
                    num("net_amount")
                        .map(amount_text)
                        .map(|a| cell(&a))
                        .unwrap_or_default(),
                    fee.map(amount_text).map(|a| cell(&a)).unwrap_or_default(),
                    String::new(),
                    String::new(),
                ]);
            }
            line.push(safe_cell(&text("card_type")));
            if moto {
                line.push(
                    r.try_get::<Option<bool>, _>("moto")?
                        .unwrap_or(false)
                        .to_string(),
                );
            }
            line.push(safe_cell(&text("provider")));
            line.push(
                if r.try_get::<Option<bool>, _>("three_ds_required")?
                    .unwrap_or(false)
                {
                    "true".into()
                } else {
                    String::new()
                },
            );
            if !keys.is_empty() {
                let metadata: serde_json::Map<String, serde_json::Value> = r
                    .try_get::<Option<String>, _>("metadata")?
                    .and_then(|m| serde_json::from_str(&m).ok())
                    .unwrap_or_default();
                for k in &keys {
                    let v = match metadata.get(k) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    line.push(safe_cell(&v));
                }
            }
            writeln!(out, "{}", line.join(",")).map_err(io)?;
            if refund {
                report.refunds += 1;
                if status != "error" {
                    report.refunds_total += -amount;
                }
            } else {
                report.payments += 1;
                if status == "success" {
                    report.payments_total += amount;
                }
            }
            let done = report.payments + report.refunds;
            if done.is_multiple_of(5000) {
                on_rows(done);
            }
        }
        out.flush().map_err(io)?;
        on_rows(report.payments + report.refunds);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_the_admin_tools_format() {
        assert_eq!(amount_text(123_456), "1,234.56");
        assert_eq!(amount_text(-500), "-5.00");
        assert_eq!(amount_text(7), "0.07");
    }

    #[test]
    fn formulas_are_defused_and_commas_quoted() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(safe_cell("+44 20"), "'+44 20");
        assert_eq!(safe_cell("@SUM"), "'@SUM");
        assert_eq!(cell("1,234.56"), "\"1,234.56\"");
        assert_eq!(cell("-5.00"), "-5.00", "amounts stay numbers");
        assert_eq!(safe_cell("-cmd"), "'-cmd");
        assert_eq!(safe_cell("plain"), "plain");
    }

    #[test]
    fn times_are_uk_local() {
        // 12:00 UTC in July is 13:00 BST; in January it is 12:00 GMT.
        let july = 1_783_080_000_000; // 2026-07-03T12:00:00Z
        assert_eq!(
            date_and_time(july),
            ("03 Jul 2026".into(), "13:00:00".into())
        );
        let january = 1_767_441_600_000; // 2026-01-03T12:00:00Z
        assert_eq!(
            date_and_time(january),
            ("03 Jan 2026".into(), "12:00:00".into())
        );
    }
}
