//! The core's errors. The app maps them onto its one IPC error shape.

use serde::Serialize;
use ts_rs::TS;

pub use crate::store::{DbProblem, StoreError, StoreErrorKind};

/// A problem with one field of what a person typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FieldError {
    /// The field's name as the UI knows it (`name`, `baseUrl`, `apiKey`...).
    pub field: String,
    /// What is wrong, in GOV.UK style: says how to put it right.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// One or more fields need correcting; nothing was changed.
    #[error("check the details you entered")]
    Validation(Vec<FieldError>),
    /// This desktop's role does not allow the action.
    #[error("your role on this service does not allow this: {0}")]
    Forbidden(String),
    #[error("{0} was not found")]
    NotFound(String),
    /// The OS keyring could not be used.
    #[error("the system keyring could not be used: {0}")]
    Keyring(String),
    /// Something on this computer, other than the database, failed (a file
    /// being written, a task that stopped). The text is for the log.
    #[error("{0}")]
    Storage(String),
    /// The database failed: its kind says whether trying again may help
    /// (busy) or the file itself cannot be used (`problem()`).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// GOV.UK Pay (or the way to it) failed.
    #[error(transparent)]
    Api(#[from] govpay::Error),
    /// The action no longer fits what GOV.UK Pay holds (a refund was already
    /// made, the amount changed, the payment moved on). Nothing was done.
    #[error("{message}")]
    Conflict {
        message: String,
        pay_code: Option<govpay::PayCode>,
    },
    /// The action was sent but its outcome could not be found out yet. It is
    /// recorded and will be checked again; it must not be repeated blindly.
    #[error("{0}")]
    OutcomeUnknown(String),
}

impl CoreError {
    /// The problem with the database itself, if that is what this is.
    pub fn problem(&self) -> Option<DbProblem> {
        match self {
            CoreError::Store(e) => e.problem(),
            _ => None,
        }
    }
}
