//! Outcomes the audit trail could not take when they happened. After a money
//! request may have moved money, its outcome row must not be lost: if the
//! database cannot be written (busy past every retry, full, failing), the row
//! is held in memory and in a file beside the database, and written, in order
//! and before anything newer, at the next successful write or start. Staff are
//! told what GOV.UK Pay did either way.
//!
//! The file holds what an audit row holds (never a key or card detail).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::activity::audit::{self, AuditRow, Phase};

/// The file, in the data folder.
pub const FILE_NAME: &str = "audit-held.jsonl";

/// One outcome row waiting to be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HeldOutcome {
    pub operator: String,
    pub service_id: String,
    pub service_name: String,
    pub action: String,
    pub phase: Phase,
    pub attempt_seq: Option<i64>,
    pub payment_id: Option<String>,
    pub target_id: Option<String>,
    pub amount: Option<i64>,
    pub pay_code: Option<String>,
    pub detail: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub reason_note: Option<String>,
    /// When it happened (the row itself says when it was written).
    pub happened_at: String,
}

impl HeldOutcome {
    /// Holds `row`, which could not be written when it happened.
    pub(crate) fn of(row: AuditRow) -> Self {
        Self {
            operator: row.operator,
            service_id: row.service_id,
            service_name: row.service_name,
            action: row.action,
            phase: row.phase,
            attempt_seq: row.attempt_seq,
            payment_id: row.payment_id,
            target_id: row.target_id,
            amount: row.amount,
            pay_code: row.pay_code,
            detail: row.detail,
            reason: row.reason,
            reason_note: row.reason_note,
            happened_at: row.at,
        }
    }

    /// The row to write now, saying when it happened and why it is late.
    pub(crate) fn late_row(&self) -> AuditRow {
        AuditRow {
            seq: 0,
            at: audit::now_text(),
            operator: self.operator.clone(),
            service_id: self.service_id.clone(),
            service_name: self.service_name.clone(),
            action: audit::action_name(&self.action).to_owned(),
            phase: self.phase,
            attempt_seq: self.attempt_seq,
            payment_id: self.payment_id.clone(),
            target_id: self.target_id.clone(),
            amount: self.amount,
            pay_code: self.pay_code.clone(),
            detail: format!(
                "{} (written late: it happened at {}, when the record could not be written)",
                self.detail, self.happened_at
            ),
            reason: self.reason.clone(),
            reason_note: self.reason_note.clone(),
        }
    }
}

/// The held outcomes of one data folder.
#[derive(Debug, Default)]
pub(crate) struct Held {
    path: Option<PathBuf>,
    rows: Mutex<Vec<HeldOutcome>>,
    /// The file holds every row (the last save worked): it is the record, and
    /// another Paydesk on the same folder may have written and removed rows.
    on_disk: std::sync::atomic::AtomicBool,
}

impl Held {
    /// Loads what a previous run left held in `dir`.
    pub(crate) fn open(dir: &Path) -> Self {
        let path = dir.join(FILE_NAME);
        Self {
            rows: Mutex::new(read(&path)),
            path: Some(path),
            on_disk: std::sync::atomic::AtomicBool::new(true),
        }
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<HeldOutcome>> {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(path) = &self.path
            && self.on_disk.load(std::sync::atomic::Ordering::SeqCst)
        {
            *rows = read(path);
        }
        rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows().is_empty()
    }

    /// The oldest held row, to write next.
    pub(crate) fn first(&self) -> Option<HeldOutcome> {
        self.rows().first().cloned()
    }

    /// Adds a row and writes the file before returning.
    pub(crate) fn hold(&self, row: HeldOutcome) {
        let mut rows = self.rows();
        rows.push(row);
        self.save(&rows);
    }

    /// The oldest row was written to the audit trail.
    pub(crate) fn written_first(&self) {
        let mut rows = self.rows();
        if !rows.is_empty() {
            rows.remove(0);
        }
        self.save(&rows);
    }

    fn save(&self, rows: &[HeldOutcome]) {
        let Some(path) = &self.path else { return };
        if rows.is_empty() {
            let removed = std::fs::remove_file(path);
            if let Err(e) = &removed
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::error!("the held audit outcomes file could not be removed: {e}");
                self.on_disk
                    .store(false, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            self.on_disk
                .store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        }
        let text: String = rows
            .iter()
            .filter_map(|r| serde_json::to_string(r).ok())
            .map(|l| l + "\n")
            .collect();
        let partial = path.with_extension("jsonl.partial");
        let written = (|| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&partial)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&partial, path)
        })();
        self.on_disk
            .store(written.is_ok(), std::sync::atomic::Ordering::SeqCst);
        if let Err(e) = written {
            // Still held in memory: written at the next success.
            tracing::error!("the held audit outcomes could not be saved to disk: {e}");
        }
    }
}

fn read(path: &Path) -> Vec<HeldOutcome> {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| match serde_json::from_str(l) {
                    Ok(row) => Some(row),
                    Err(e) => {
                        tracing::error!("a held audit outcome could not be read: {e}");
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}
