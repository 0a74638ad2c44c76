//! The finance export: payments and refunds for a date range, in the GOV.UK Pay
//! admin tool's CSV columns, streamed row by row from the cache so a million
//! rows use little memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};
use ts_rs::TS;

use crate::Core;
use crate::error::{CoreError, FieldError};
use crate::money::reason;
use crate::roles::Permission;
use crate::search::PaymentQuery;
use crate::store::export::{ExportRow, ExportShape};

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
        let shape = self
            .store()
            .export_shape(&service.id, from_ms, to_ms)
            .await?;
        Ok(shape.rows)
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
        let ExportShape {
            fees,
            moto,
            metadata_keys: keys,
            ..
        } = self
            .store()
            .export_shape(service_id, from_ms, to_ms)
            .await?;

        let header = csv_header(fees, moto, &keys);
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
        let mut line: Vec<String> = Vec::with_capacity(header.len());
        // Payments and their refunds, newest first, as one stream.
        let mut rows = self.store().export_rows(service_id, from_ms, to_ms);
        while let Some(r) = rows.next().await {
            let r = r?;
            csv_line(&r, fees, moto, &keys, &mut line);
            let (refund, amount, status) = (r.refund, r.amount, r.status.as_str());
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

/// The admin tool's CSV header: the fee columns (Stripe's in the admin tool) and the MOTO column
/// only when some row needs them, then Paydesk's refund reason and note,
/// then one column per metadata key.
fn csv_header(fees: bool, moto: bool, keys: &[String]) -> Vec<String> {
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
    if fees {
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
    // Paydesk's own: why each refund made from Paydesk was made.
    header.extend(["Refund Reason".into(), "Refund Note".into()]);
    header.extend(keys.iter().map(|k| format!("{k} (metadata)")));
    header
}

/// One row in the admin tool's columns, as `csv_header` lays them out.
fn csv_line(r: &ExportRow, fees: bool, moto: bool, keys: &[String], line: &mut Vec<String>) {
    line.clear();
    let refund = r.refund;
    let amount = r.amount;
    let status = r.status.as_str();
    let code = r.code.as_deref();
    let finished = r.finished;
    let (date, time) = date_and_time(r.created_ms);
    let state = if refund {
        refund_label(status)
    } else {
        state_label(status, code)
    };
    let total = if refund {
        String::new()
    } else if status == "success" {
        amount_text(r.total_amount.unwrap_or(amount))
    } else if finished {
        amount_text(0)
    } else {
        String::new()
    };
    line.extend([
        safe_cell(r.reference.as_deref().unwrap_or_default()),
        safe_cell(r.description.as_deref().unwrap_or_default()),
        safe_cell(r.email.as_deref().unwrap_or_default()),
        cell(&amount_text(amount)),
        safe_cell(r.card_brand.as_deref().unwrap_or_default()),
        safe_cell(r.cardholder_name.as_deref().unwrap_or_default()),
        safe_cell(r.expiry.as_deref().unwrap_or_default()),
        safe_cell(r.last4.as_deref().unwrap_or_default()),
        safe_cell(state),
        finished.to_string(),
        safe_cell(code.unwrap_or_default()),
        safe_cell(r.message.as_deref().unwrap_or_default()),
        safe_cell(r.provider_id.as_deref().unwrap_or_default()),
        safe_cell(r.payment_id.as_deref().unwrap_or_default()),
        safe_cell(r.issued_by.as_deref().unwrap_or_default()),
        date,
        time,
        r.corporate_surcharge
            .map(amount_text)
            .map(|a| cell(&a))
            .unwrap_or_default(),
        cell(&total),
        safe_cell(r.wallet_type.as_deref().unwrap_or_default()),
    ]);
    if fees {
        let fee = r.fee;
        line.extend([
            fee.map(amount_text).map(|a| cell(&a)).unwrap_or_default(),
            r.net_amount
                .map(amount_text)
                .map(|a| cell(&a))
                .unwrap_or_default(),
            fee.map(amount_text).map(|a| cell(&a)).unwrap_or_default(),
            String::new(),
            String::new(),
        ]);
    }
    line.push(safe_cell(r.card_type.as_deref().unwrap_or_default()));
    if moto {
        line.push(r.moto.unwrap_or(false).to_string());
    }
    line.push(safe_cell(r.provider.as_deref().unwrap_or_default()));
    line.push(if r.three_ds_required.unwrap_or(false) {
        "true".into()
    } else {
        String::new()
    });
    line.push(safe_cell(
        &r.reason
            .as_deref()
            .map(reason::label_of)
            .unwrap_or_default(),
    ));
    line.push(safe_cell(r.reason_note.as_deref().unwrap_or_default()));
    if !keys.is_empty() {
        let metadata: serde_json::Map<String, serde_json::Value> = r
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default();
        for k in keys {
            let v = match metadata.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            line.push(safe_cell(&v));
        }
    }
}

/// The most payments "Download these results" writes; past them, the
/// finance export (every payment of a date range) is the way.
pub const RESULTS_CSV_LIMIT: usize = 10_000;

/// Where a CSV of search results was written, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ResultsCsvDone {
    pub path: String,
    #[ts(type = "number")]
    pub payments: u64,
    /// More payments matched than the file holds (`RESULTS_CSV_LIMIT`).
    pub capped: bool,
}

/// Where an export was written, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportDone {
    pub path: String,
    pub report: ExportReport,
}

fn bad_path(message: &str) -> CoreError {
    CoreError::Validation(vec![FieldError::new("path", message)])
}

/// An absolute `.csv` path in a folder that exists.
fn checked_path(text: &str) -> Result<PathBuf, CoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad_path("Choose where to save the CSV file"));
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(bad_path(
            "Enter the full path of the file, starting from the top folder",
        ));
    }
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Err(bad_path("The file name must end in .csv"));
    }
    if !path.parent().is_some_and(Path::is_dir) {
        return Err(bad_path("That folder does not exist"));
    }
    if path.is_dir() {
        return Err(bad_path("That is a folder: add a file name ending in .csv"));
    }
    Ok(path)
}

/// Creates `<path>.partial` for writing, new: a link left at that name (by
/// anyone) is refused rather than followed, and a file a failed export left
/// there is removed first.
fn partial_file(path: &Path) -> Result<(PathBuf, std::fs::File), CoreError> {
    let mut partial = path.to_path_buf().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    if let Ok(meta) = partial.symlink_metadata() {
        if meta.file_type().is_symlink() || !meta.is_file() {
            tracing::warn!(path = %partial.display(), "export: a link or folder is in the way");
            return Err(bad_path(
                "Something other than a file is in the way of the export there (a link or a folder named like it): choose another folder",
            ));
        }
        let _ = std::fs::remove_file(&partial);
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| {
            tracing::warn!(path = %partial.display(), "export: {e}");
            bad_path("Paydesk cannot write a file there: choose another folder")
        })?;
    Ok((partial, file))
}

/// The file a CSV is to be written to (an absolute `.csv` path in a folder
/// that exists), refused while one is there and `replace` does not say so.
fn target_file(path: &str, replace: bool) -> Result<PathBuf, CoreError> {
    let path = checked_path(path)?;
    if path.symlink_metadata().is_ok() && !replace {
        // Asked first: the UI offers "Replace the file" on this field.
        return Err(CoreError::Validation(vec![FieldError::new(
            "replace",
            "A file with that name is already there. Replace it, or choose another name",
        )]));
    }
    Ok(path)
}

/// Puts the `<path>.partial` a CSV was written to in place once `written`
/// says it is complete; otherwise, or if it cannot be moved, removes it, so
/// no file that looks finished is left behind.
fn put_in_place<T>(
    partial: &Path,
    path: &Path,
    written: Result<T, CoreError>,
) -> Result<T, CoreError> {
    let done = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(partial);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(partial, path) {
        tracing::warn!(path = %path.display(), "CSV rename: {e}");
        let _ = std::fs::remove_file(partial);
        return Err(bad_path(
            "Paydesk could not put the file there: choose another name",
        ));
    }
    Ok(done)
}

impl Core {
    /// Writes the CSV of `[from_ms, to_ms)` to the file at `path` (an absolute
    /// `.csv` path in a folder that exists), through `<path>.partial` renamed
    /// into place when complete, so a failed export never leaves a file that
    /// looks finished. An existing file is replaced only when `replace` says
    /// so. `on_rows` hears the rows written so far and the rows expected.
    pub async fn export_to_file(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
        path: &str,
        replace: bool,
        on_rows: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ExportDone, CoreError> {
        if from_ms >= to_ms {
            return Err(CoreError::Validation(vec![FieldError::new(
                "toDate",
                "The end date must be after the start date",
            )]));
        }
        let path = target_file(path, replace)?;
        let expected = self.export_size(service_id, from_ms, to_ms).await?;
        let (partial, file) = partial_file(&path)?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
        let written = self
            .export_csv(service_id, from_ms, to_ms, &mut out, &|rows| {
                on_rows(rows, expected)
            })
            .await;
        drop(out);
        let report = put_in_place(&partial, &path, written)?;
        tracing::info!(rows = report.payments + report.refunds, "export written");
        Ok(ExportDone {
            path: path.display().to_string(),
            report,
        })
    }
}

impl Core {
    /// Writes the payments a search finds (every page, newest first or as
    /// sorted, up to `RESULTS_CSV_LIMIT`) as the admin tool's CSV to the
    /// file at `path`, through `<path>.partial` as the finance export does.
    /// The Stripe, MOTO and metadata columns are there when a payment in the
    /// file needs them.
    pub async fn results_csv_to_file(
        &self,
        service_id: &str,
        query: &PaymentQuery,
        path: &str,
        replace: bool,
    ) -> Result<ResultsCsvDone, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ExportPayments)?;
        query.validate()?;
        let path = target_file(path, replace)?;
        const PAGE: u32 = 200;
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            let found = self
                .store()
                .search_payments(
                    &service.id,
                    &PaymentQuery {
                        page,
                        page_size: PAGE,
                        ..query.clone()
                    },
                )
                .await?;
            let full = found.rows.len() == PAGE as usize;
            ids.extend(found.rows.into_iter().map(|r| r.payment_id));
            if !full || ids.len() > RESULTS_CSV_LIMIT {
                break;
            }
            page += 1;
        }
        let capped = ids.len() > RESULTS_CSV_LIMIT;
        ids.truncate(RESULTS_CSV_LIMIT);
        let rows = self.store().export_payments(&service.id, &ids).await?;
        let fees = rows.iter().any(|r| r.fee.is_some());
        let moto = rows.iter().any(|r| r.moto == Some(true));
        let mut keys: Vec<String> = rows
            .iter()
            .filter_map(|r| r.metadata.as_deref())
            .filter_map(|m| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(m).ok()
            })
            .flat_map(|m| m.into_iter().map(|(k, _)| k))
            .collect();
        keys.sort();
        keys.dedup();

        let io = |e: std::io::Error| CoreError::Storage(format!("could not write the CSV: {e}"));
        let (partial, file) = partial_file(&path)?;
        let mut out = std::io::BufWriter::new(file);
        let written = (|| -> Result<(), CoreError> {
            let header = csv_header(fees, moto, &keys);
            let header: Vec<String> = header.iter().map(|h| safe_cell(h)).collect();
            writeln!(out, "{}", header.join(",")).map_err(io)?;
            let mut line = Vec::with_capacity(header.len());
            for r in &rows {
                csv_line(r, fees, moto, &keys, &mut line);
                writeln!(out, "{}", line.join(",")).map_err(io)?;
            }
            out.flush().map_err(io)
        })();
        drop(out);
        put_in_place(&partial, &path, written)?;
        tracing::info!(rows = rows.len(), capped, "results CSV written");
        Ok(ResultsCsvDone {
            path: path.display().to_string(),
            payments: rows.len() as u64,
            capped,
        })
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

    fn field_message(e: CoreError) -> String {
        let CoreError::Validation(f) = e else {
            panic!("a field error: {e:?}")
        };
        assert_eq!(f[0].field, "path");
        f[0].message.clone()
    }

    #[test]
    fn the_save_path_is_checked_and_named() {
        let dir = std::env::temp_dir();
        assert!(field_message(checked_path(" ").unwrap_err()).contains("Choose where"));
        assert!(field_message(checked_path("takings.csv").unwrap_err()).contains("full path"));
        assert!(
            field_message(checked_path(dir.join("takings.txt").to_str().unwrap()).unwrap_err())
                .contains(".csv")
        );
        assert!(
            field_message(
                checked_path(
                    dir.join("no-such-folder-x9")
                        .join("a.csv")
                        .to_str()
                        .unwrap()
                )
                .unwrap_err()
            )
            .contains("does not exist")
        );
        assert!(checked_path(dir.join("takings.CSV").to_str().unwrap()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_partial_name_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, "keep me").unwrap();
        let path = dir.path().join("export.csv");
        let partial = dir.path().join("export.csv.partial");
        std::os::unix::fs::symlink(&target, &partial).unwrap();
        let err = partial_file(&path).unwrap_err();
        assert!(
            matches!(err, CoreError::Validation(ref f) if f[0].field == "path"),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        // A plain file a failed export left is replaced.
        std::fs::remove_file(&partial).unwrap();
        std::fs::write(&partial, "half").unwrap();
        let (made, _file) = partial_file(&path).unwrap();
        assert_eq!(std::fs::read_to_string(made).unwrap(), "");
    }
}
