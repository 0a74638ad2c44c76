//! Why a refund is made: one of a short list, with a note when the list
//! is not enough. Every refund from Paydesk carries one, written into the
//! audit record with the refund's own rows (sealed with them), and shown
//! wherever the refund is: the payment's timeline, Activity, the dashboard
//! and the finance export.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, FieldError};

/// The reasons staff pick from. The codes are what the record keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RefundReason {
    DuplicatePayment,
    ServiceNotProvided,
    Overpayment,
    Goodwill,
    StaffError,
    Other,
}

/// The longest note, in characters.
pub const NOTE_MAX: usize = 255;

impl RefundReason {
    pub const ALL: [RefundReason; 6] = [
        RefundReason::DuplicatePayment,
        RefundReason::ServiceNotProvided,
        RefundReason::Overpayment,
        RefundReason::Goodwill,
        RefundReason::StaffError,
        RefundReason::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RefundReason::DuplicatePayment => "duplicate_payment",
            RefundReason::ServiceNotProvided => "service_not_provided",
            RefundReason::Overpayment => "overpayment",
            RefundReason::Goodwill => "goodwill",
            RefundReason::StaffError => "staff_error",
            RefundReason::Other => "other",
        }
    }

    /// The words staff read, on every screen and in the export.
    pub fn label(self) -> &'static str {
        match self {
            RefundReason::DuplicatePayment => "Duplicate payment",
            RefundReason::ServiceNotProvided => "Service not provided",
            RefundReason::Overpayment => "Overpayment",
            RefundReason::Goodwill => "Goodwill",
            RefundReason::StaffError => "Error by staff",
            RefundReason::Other => "Other",
        }
    }

    pub fn parse(code: &str) -> Option<RefundReason> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The label of a code read back from the record; a code this version does
/// not know is shown as it is rather than hidden.
pub fn label_of(code: &str) -> String {
    RefundReason::parse(code).map_or_else(|| code.to_owned(), |r| r.label().to_owned())
}

/// A reason as a choice on the refund form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReasonChoice {
    pub code: RefundReason,
    pub label: String,
}

/// The choices, in the order the form lists them.
pub fn choices() -> Vec<ReasonChoice> {
    RefundReason::ALL
        .into_iter()
        .map(|code| ReasonChoice {
            code,
            label: code.label().to_owned(),
        })
        .collect()
}

/// A refund's reason and note, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundWhy {
    pub reason: RefundReason,
    /// Trimmed; `None` when nothing was written.
    pub note: Option<String>,
}

impl RefundWhy {
    /// Reads the form's two fields, `reason` (a code) and `reasonNote`,
    /// naming each field that needs correcting.
    pub fn parse(reason: &str, note: &str) -> Result<RefundWhy, CoreError> {
        let mut problems = Vec::new();
        let reason = RefundReason::parse(reason.trim());
        if reason.is_none() {
            problems.push(FieldError::new(
                "reason",
                "Select why the payment is being refunded",
            ));
        }
        let note = note.trim();
        if note.chars().count() > NOTE_MAX {
            problems.push(FieldError::new(
                "reasonNote",
                format!("The note must be {NOTE_MAX} characters or fewer"),
            ));
        } else if note.chars().any(char::is_control) {
            problems.push(FieldError::new(
                "reasonNote",
                "The note must be one line of text, without tabs or line breaks",
            ));
        } else if note.is_empty() && reason == Some(RefundReason::Other) {
            problems.push(FieldError::new(
                "reasonNote",
                "Enter a note saying why, when the reason is Other",
            ));
        }
        match reason {
            Some(reason) if problems.is_empty() => Ok(RefundWhy {
                reason,
                note: (!note.is_empty()).then(|| note.to_owned()),
            }),
            _ => Err(CoreError::Validation(problems)),
        }
    }

    /// In words, for the timeline and the export: "Overpayment: paid twice".
    pub fn text(&self) -> String {
        words(self.reason.code(), self.note.as_deref())
    }
}

/// A reason read back from the record, in words.
pub fn words(code: &str, note: Option<&str>) -> String {
    match note {
        Some(note) if !note.is_empty() => format!("{}: {note}", label_of(code)),
        _ => label_of(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_code_reads_back_as_itself() {
        for r in RefundReason::ALL {
            assert_eq!(RefundReason::parse(r.code()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
        }
        assert_eq!(label_of("staff_error"), "Error by staff");
        assert_eq!(label_of("from_a_newer_version"), "from_a_newer_version");
    }

    #[test]
    fn a_reason_is_required_and_the_note_is_checked() {
        let ok = RefundWhy::parse("overpayment", "  paid £10 too much ").unwrap();
        assert_eq!(ok.reason, RefundReason::Overpayment);
        assert_eq!(ok.note.as_deref(), Some("paid £10 too much"));
        assert_eq!(ok.text(), "Overpayment: paid £10 too much");
        assert_eq!(RefundWhy::parse("goodwill", " ").unwrap().note, None);

        assert_eq!(fields(RefundWhy::parse("", "").unwrap_err()), ["reason"]);
        assert_eq!(
            fields(RefundWhy::parse("Overpayment", "").unwrap_err()),
            ["reason"]
        );
        assert_eq!(
            fields(RefundWhy::parse("other", "").unwrap_err()),
            ["reasonNote"]
        );
        assert!(RefundWhy::parse("other", "Paid at the wrong council").is_ok());
        // 255 characters are fine, 256 are not, counted as a person counts them.
        assert!(RefundWhy::parse("goodwill", &"é".repeat(255)).is_ok());
        assert_eq!(
            fields(RefundWhy::parse("goodwill", &"é".repeat(256)).unwrap_err()),
            ["reasonNote"]
        );
        assert_eq!(
            fields(RefundWhy::parse("goodwill", "two\nlines").unwrap_err()),
            ["reasonNote"]
        );
        assert_eq!(
            fields(RefundWhy::parse("nope", &"x".repeat(300)).unwrap_err()),
            ["reason", "reasonNote"]
        );
    }
}
