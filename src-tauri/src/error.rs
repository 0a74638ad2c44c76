//! The one error shape that crosses IPC: `{ code, message, retryable, fields?, payCode? }`.
//!
//! `code` is a closed set the UI switches on; `message` is written for staff;
//! `payCode` is GOV.UK Pay's P-code for staff to quote. No raw library text, URL,
//! key or card data is ever put in here: details go to the log instead.

use paydesk_core::{CoreError, FieldError};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// Some fields need correcting; see `fields`.
    Validation,
    /// This desktop's role does not allow the action.
    Forbidden,
    NotFound,
    /// GOV.UK Pay rejected the service's API key (401).
    Unauthorized,
    /// GOV.UK Pay could not be reached; nothing was changed.
    Network,
    /// GOV.UK Pay asked us to slow down (429 P0900).
    RateLimited,
    /// GOV.UK Pay refused the request; see `payCode`.
    PayApi,
    /// Things changed since the screen was read (a refund was already made...);
    /// nothing was done. Read the figures again.
    Conflict,
    /// The request was sent but no answer came: Paydesk will find out what happened.
    OutcomeUnknown,
    /// The OS keyring is missing or locked.
    Keyring,
    /// The local database failed.
    Storage,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pay_code: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retryable: false,
            fields: None,
            pay_code: None,
        }
    }

    fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    fn with_pay_code(mut self, code: Option<&str>) -> Self {
        self.pay_code = code.map(str::to_owned);
        self
    }
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation(fields) => AppError {
                fields: Some(fields),
                ..AppError::new(
                    ErrorCode::Validation,
                    "There is a problem with the details you entered",
                )
            },
            CoreError::Forbidden(_) | CoreError::NotFound(_) => {
                let code = if matches!(e, CoreError::Forbidden(_)) {
                    ErrorCode::Forbidden
                } else {
                    ErrorCode::NotFound
                };
                AppError::new(code, capitalise(&e.to_string()))
            }
            CoreError::Keyring(why) => AppError::new(
                ErrorCode::Keyring,
                format!("Paydesk could not use the system keyring, where API keys are kept: {why}"),
            ),
            CoreError::Storage(detail) => {
                tracing::error!("storage: {detail}");
                AppError::new(
                    ErrorCode::Storage,
                    "Paydesk could not use its local database. Try again; if it keeps happening, restart Paydesk",
                )
            }
            CoreError::Api(api) => from_api(api),
            CoreError::Conflict { message, pay_code } => {
                AppError::new(ErrorCode::Conflict, message).with_pay_code(pay_code)
            }
            CoreError::OutcomeUnknown(message) => AppError::new(ErrorCode::OutcomeUnknown, message),
        }
    }
}

fn from_api(e: govpay::Error) -> AppError {
    use govpay::Error as E;
    match e {
        E::InvalidRequest {
            field,
            message,
            pay_code,
        } => AppError {
            fields: Some(vec![FieldError::new(field, capitalise(&message))]),
            ..AppError::new(
                ErrorCode::Validation,
                "There is a problem with the details you entered",
            )
        }
        .with_pay_code(Some(pay_code)),
        E::Unauthorized => AppError::new(
            ErrorCode::Unauthorized,
            "GOV.UK Pay did not accept this service's API key. Check it has not been revoked, then enter it again",
        ),
        E::RateLimited => AppError::new(
            ErrorCode::RateLimited,
            "GOV.UK Pay is busy. Wait a moment and try again",
        )
        .retryable()
        .with_pay_code(Some("P0900")),
        E::Network(detail) => {
            tracing::warn!("network: {detail}");
            AppError::new(
                ErrorCode::Network,
                "Paydesk could not reach GOV.UK Pay. Check your connection and try again",
            )
            .retryable()
        }
        E::OutcomeUnknown { operation } => AppError::new(
            ErrorCode::OutcomeUnknown,
            format!(
                "GOV.UK Pay did not answer the {operation} in time. It may have been done: Paydesk will check before anything is tried again"
            ),
        ),
        E::Api(body) => {
            let description = body
                .body
                .description
                .clone()
                .unwrap_or_else(|| format!("GOV.UK Pay answered with HTTP {}", body.status));
            // Staff read GOV.UK Pay's own words first, then what the code means.
            let message = match body.pay_code() {
                Some(code) => format!("{description} ({})", code.explain().trim_end_matches('.')),
                None => description,
            };
            let err = AppError::new(ErrorCode::PayApi, message).with_pay_code(body.code());
            if body.status >= 500 {
                err.retryable()
            } else {
                err
            }
        }
        E::Decode { status, detail } => {
            tracing::error!(status, "could not read GOV.UK Pay's answer: {detail}");
            AppError::new(
                ErrorCode::PayApi,
                "GOV.UK Pay sent an answer Paydesk could not read",
            )
        }
        E::Config(detail) => {
            tracing::error!("client setup: {detail}");
            AppError::new(
                ErrorCode::Internal,
                "Paydesk could not set up its connection to GOV.UK Pay",
            )
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_one_ipc_shape() {
        let err = AppError::from(CoreError::Validation(vec![FieldError::new(
            "apiKey",
            "Enter the API key",
        )]));
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "validation",
                "message": "There is a problem with the details you entered",
                "retryable": false,
                "fields": [{"field": "apiKey", "message": "Enter the API key"}]
            })
        );
    }

    #[test]
    fn carries_the_pay_code_and_hides_raw_storage_errors() {
        let api = govpay::Error::Api(govpay::ApiErrorBody {
            status: 412,
            body: govpay::models::ErrorResponse {
                code: Some("P0604".into()),
                description: Some("Refund amount available mismatch.".into()),
                ..Default::default()
            },
        });
        let err = AppError::from(CoreError::Api(api));
        assert_eq!(err.code, ErrorCode::PayApi);
        assert_eq!(err.pay_code.as_deref(), Some("P0604"));

        let err = AppError::from(CoreError::Storage(
            "error returned from database: (code: 5) database is locked".into(),
        ));
        assert_eq!(err.code, ErrorCode::Storage);
        assert!(!err.message.contains("code: 5"), "{}", err.message);
    }

    #[test]
    fn forbidden_reads_as_a_sentence() {
        let err = AppError::from(
            paydesk_core::Role::CallCentre
                .require(paydesk_core::Permission::Refund)
                .unwrap_err(),
        );
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert!(err.message.starts_with("Your role"), "{}", err.message);
    }
}
