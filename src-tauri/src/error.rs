//! The one error shape that crosses IPC: `{ code, message, retryable, fields?, payCode? }`.
//!
//! `code` is a closed set the UI switches on; `message` is written for staff;
//! `payCode` is GOV.UK Pay's P-code for staff to quote. No raw library text, URL,
//! key or card data is ever put in here: details go to the log instead.

use paydesk_core::{CoreError, DbProblem, FieldError, StoreErrorKind};
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

    fn with_pay_code(mut self, code: Option<govpay::PayCode>) -> Self {
        self.pay_code = code.map(|c| c.to_string());
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
                tracing::error!("local failure: {detail}");
                AppError::new(
                    ErrorCode::Storage,
                    "Paydesk could not finish this on this computer. Try again; if it keeps happening, restart Paydesk",
                )
            }
            CoreError::Store(e) => {
                tracing::error!("database: {e}");
                match e.problem() {
                    Some(problem) => AppError::new(ErrorCode::Storage, database_problem(problem)),
                    // A rule of the database (on a team's, its rights too)
                    // refused the change: not a fault of the database.
                    None if e.kind == StoreErrorKind::Constraint => AppError::new(
                        ErrorCode::Conflict,
                        "The database refused this change: it would break one of its rules, or someone else changed the same thing meanwhile. Nothing was changed. Reload and check",
                    ),
                    None => AppError::new(
                        ErrorCode::Storage,
                        "Paydesk could not use its local database. Try again; if it keeps happening, restart Paydesk",
                    ),
                }
            }
            CoreError::Api(api) => from_api(api),
            CoreError::Conflict { message, pay_code } => {
                AppError::new(ErrorCode::Conflict, message).with_pay_code(pay_code)
            }
            CoreError::OutcomeUnknown(message) => AppError::new(ErrorCode::OutcomeUnknown, message),
        }
    }
}

/// What a broken database means for staff: what happened, that nothing at
/// GOV.UK Pay and no API key is touched by it, and who can put it right.
pub fn database_problem(problem: DbProblem) -> String {
    const SAFE: &str = "Nothing at GOV.UK Pay is affected: every service's payments and refunds are still there, and your API keys are safe in the system keyring.";
    match problem {
        DbProblem::Damaged => format!(
            "Paydesk's database on this computer is damaged, so Paydesk cannot use it. {SAFE} Close Paydesk and ask IT to restore the Paydesk data folder from a backup."
        ),
        DbProblem::ReadOnly => format!(
            "Paydesk cannot save to its database on this computer: the file or its folder is read-only. {SAFE} Ask IT to give your account write access to the Paydesk data folder, then restart Paydesk."
        ),
        DbProblem::Full => format!(
            "The disk that holds Paydesk's database is full, so Paydesk cannot save. {SAFE} Free some space (or ask IT to), then try again."
        ),
        DbProblem::Unreachable => format!(
            "Paydesk cannot open its database on this computer: the file or its folder cannot be reached. {SAFE} Ask IT to check the Paydesk data folder, then restart Paydesk."
        ),
        DbProblem::OtherVersion => format!(
            "Paydesk's database on this computer was made by a different version of Paydesk, so this version cannot use it. Nothing in it was changed. {SAFE} Ask IT to install the version of Paydesk your team uses, or to move the Paydesk data folder aside so this version can start a new one."
        ),
        DbProblem::ServerUnreachable => format!(
            "Paydesk cannot reach your team's database server. {SAFE} Check this computer's network connection; if it is working, ask IT whether the team database server is running."
        ),
        // Nothing is broken: the person only needs to sign in again.
        DbProblem::SignInRefused => "Your team's database did not accept your login and password. Check your password and sign in again; if it still fails, ask your team's administrator or IT to check your login.".to_owned(),
    }
}

fn from_api(e: govpay::Error) -> AppError {
    use govpay::Error as E;
    // "Check before trying again" answers (P0198, P0698 …) are never offered
    // again, whatever their status.
    let retryable = e.is_retryable();
    match e {
        // Paydesk's own check refused it before sending: GOV.UK Pay said
        // nothing, so no GOV.UK Pay code is quoted.
        E::InvalidRequest { field, message, .. } => AppError {
            fields: Some(vec![FieldError::new(field, capitalise(&message))]),
            ..AppError::new(
                ErrorCode::Validation,
                "There is a problem with the details you entered",
            )
        },
        E::Unauthorized => AppError::new(
            ErrorCode::Unauthorized,
            "GOV.UK Pay did not accept this service's API key. Check it has not been revoked, then enter it again",
        ),
        E::RateLimited(body) => {
            tracing::warn!(
                code = body.code().map(|c| c.to_string()).unwrap_or_default(),
                "GOV.UK Pay asked Paydesk to slow down: {}",
                body.description()
            );
            AppError::new(
                ErrorCode::RateLimited,
                "GOV.UK Pay is busy. Wait a moment and try again",
            )
            .retryable()
            .with_pay_code(body.code())
        }
        E::Network(detail) => {
            tracing::warn!("network: {detail}");
            AppError::new(
                ErrorCode::Network,
                "Paydesk could not reach GOV.UK Pay. Check your connection and try again",
            )
            .retryable()
        }
        E::Untrusted(why) => {
            tracing::warn!("the secure connection to GOV.UK Pay was refused: {why}");
            AppError::new(
                ErrorCode::Network,
                format!(
                    "Paydesk could not make a secure connection to GOV.UK Pay: {why}. Nothing was sent. If your organisation's network inspects secure connections, ask IT to give Paydesk its certificate authority (CA) file in Paydesk's policy (network.ca_file)"
                ),
            )
        }
        E::OutcomeUnknown { operation, .. } => AppError::new(
            ErrorCode::OutcomeUnknown,
            format!(
                "GOV.UK Pay did not answer the {operation} in time. It may have been done: Paydesk will check before anything is tried again"
            ),
        ),
        E::Api(body) => {
            // GOV.UK Pay's own description is for developers (and the log),
            // never for the screen: staff read what the code means, and the
            // code itself to quote.
            tracing::warn!(
                status = body.status,
                code = body.code().map(|c| c.to_string()).unwrap_or_default(),
                "GOV.UK Pay refused a request: {}",
                body.description()
            );
            let message = match body.code().and_then(govpay::PayCode::explain) {
                Some(words) => words.trim_end_matches('.').to_owned(),
                None if body.status >= 500 => {
                    "GOV.UK Pay had a problem and could not do this. Try again later".to_owned()
                }
                None => "GOV.UK Pay refused this request".to_owned(),
            };
            let err = AppError::new(ErrorCode::PayApi, message).with_pay_code(body.code());
            if retryable { err.retryable() } else { err }
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
    fn a_refused_certificate_names_the_problem_and_what_to_ask_it_for() {
        let err = AppError::from(CoreError::Api(govpay::Error::Untrusted(
            "its certificate was issued by an authority this computer does not trust".into(),
        )));
        assert_eq!(err.code, ErrorCode::Network);
        assert!(!err.retryable);
        assert!(
            err.message
                .contains("authority this computer does not trust")
        );
        assert!(err.message.contains("ask IT") && err.message.contains("CA"));
    }

    #[test]
    fn a_server_error_that_says_check_first_is_not_offered_again() {
        let body = |status, code: &str| govpay::ApiErrorBody {
            status,
            body: govpay::models::ErrorResponse {
                code: code.parse().ok(),
                description: Some("Downstream system error".into()),
                ..Default::default()
            },
        };
        let refund = AppError::from(CoreError::Api(govpay::Error::Api(body(500, "P0698"))));
        assert!(!refund.retryable);
        assert_eq!(refund.pay_code.as_deref(), Some("P0698"));
        let read = AppError::from(CoreError::Api(govpay::Error::Api(body(500, "P0298"))));
        assert!(read.retryable);
        // A 429 quotes the code GOV.UK Pay sent, and none when it sent none.
        let busy = AppError::from(CoreError::Api(govpay::Error::RateLimited(body(
            429, "P0900",
        ))));
        assert_eq!(busy.pay_code.as_deref(), Some("P0900"));
        let bare = AppError::from(CoreError::Api(govpay::Error::RateLimited(body(429, ""))));
        assert_eq!(bare.pay_code, None);
        assert!(bare.retryable);
    }

    #[test]
    fn carries_the_pay_code_and_hides_raw_storage_errors() {
        let api = govpay::Error::Api(govpay::ApiErrorBody {
            status: 412,
            body: govpay::models::ErrorResponse {
                code: Some(govpay::PayCode::P0604),
                description: Some("Refund amount available mismatch.".into()),
                ..Default::default()
            },
        });
        let err = AppError::from(CoreError::Api(api));
        assert_eq!(err.code, ErrorCode::PayApi);
        assert_eq!(err.pay_code.as_deref(), Some("P0604"));

        let err = AppError::from(CoreError::Store(paydesk_core::StoreError::new(
            paydesk_core::StoreErrorKind::Busy,
            "error returned from database: (code: 5) database is locked",
        )));
        assert_eq!(err.code, ErrorCode::Storage);
        assert!(err.message.contains("local database"), "{}", err.message);
        assert!(!err.message.contains("code: 5"), "{}", err.message);
    }

    /// A damaged database file, opened for real, is explained in staff words.
    #[tokio::test]
    async fn a_damaged_database_is_explained_without_sqlite_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("paydesk.db"),
            b"this is not what SQLite wrote, whatever it once was".repeat(200),
        )
        .unwrap();
        let keys = std::sync::Arc::new(paydesk_core::keys::MemoryKeyStore::default());
        let err = paydesk_core::Core::open(dir.path(), keys)
            .await
            .unwrap_err();
        let shown = AppError::from(err);
        assert_eq!(shown.code, ErrorCode::Storage);
        assert!(shown.message.contains("damaged"), "{}", shown.message);
        assert!(
            shown.message.contains("API keys are safe"),
            "{}",
            shown.message
        );
        assert!(shown.message.contains("ask IT"), "{}", shown.message);
        for raw in ["code:", "file is not a database", "SQLite", "sqlx"] {
            assert!(!shown.message.contains(raw), "{}", shown.message);
        }
    }

    #[test]
    fn every_database_problem_says_what_happened_and_what_to_do() {
        for p in [
            DbProblem::Damaged,
            DbProblem::ReadOnly,
            DbProblem::Full,
            DbProblem::Unreachable,
            DbProblem::OtherVersion,
            DbProblem::ServerUnreachable,
        ] {
            let m = database_problem(p);
            assert!(m.contains("Nothing at GOV.UK Pay is affected"), "{m}");
            assert!(m.contains("IT") || m.contains("space"), "{m}");
        }
        assert!(database_problem(DbProblem::ReadOnly).contains("read-only"));
        assert!(database_problem(DbProblem::Full).contains("full"));
        assert!(database_problem(DbProblem::OtherVersion).contains("different version"));
        assert!(database_problem(DbProblem::ServerUnreachable).contains("team's database server"));
        let refused = database_problem(DbProblem::SignInRefused);
        assert!(
            refused.contains("did not accept your login and password"),
            "{refused}"
        );
    }

    /// A change a database rule refused (a team's rights, a check, a unique
    /// index) is said as that, never as a broken local database, and the
    /// engine's words stay in the log.
    #[test]
    fn a_refused_change_is_not_called_a_broken_database() {
        let refused = AppError::from(CoreError::Store(paydesk_core::StoreError::new(
            StoreErrorKind::Constraint,
            "new row violates row-level security policy for table \"refund_requests\"",
        )));
        assert_eq!(refused.code, ErrorCode::Conflict);
        assert!(
            refused
                .message
                .starts_with("The database refused this change"),
            "{}",
            refused.message
        );
        assert!(!refused.message.contains("local"), "{}", refused.message);
        assert!(
            !refused.message.contains("row-level"),
            "{}",
            refused.message
        );
        let other = AppError::from(CoreError::Store(paydesk_core::StoreError::other("boom")));
        assert_eq!(other.code, ErrorCode::Storage);
    }

    /// Splits one line of a CSV file, with fields maybe in double quotes.
    fn csv_fields(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    /// Every code of GOV.UK Pay's error table, answered with its own
    /// description, reaches staff in Paydesk's words: the description (written
    /// for developers) never does, and the code is there to quote.
    #[test]
    fn no_gov_uk_pay_description_reaches_a_screen() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/crates/govpay/reference/error_codes.csv"
        );
        let table = std::fs::read_to_string(path).unwrap();
        let mut walked = 0;
        let mut quotes = Vec::new();
        for line in table.lines().skip(1) {
            let f = csv_fields(line);
            let (code, status, description) = (&f[0], &f[2], &f[3]);
            let status: u16 = status
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(400);
            let api = govpay::Error::Api(govpay::ApiErrorBody {
                status,
                body: govpay::models::ErrorResponse {
                    code: code.parse().ok(),
                    description: Some(description.clone()),
                    ..Default::default()
                },
            });
            let err = AppError::from(CoreError::Api(api));
            assert_eq!(err.pay_code.as_deref(), Some(code.as_str()), "{code}");
            // Any run of five words from the description is a quote of it.
            let words: Vec<&str> = description.split_whitespace().collect();
            for run in words.windows(5) {
                let quoted = run.join(" ");
                if err.message.contains(&quoted) {
                    quotes.push(format!("{code}: {:?} quotes {quoted:?}", err.message));
                }
            }
            let whole = description.trim().trim_end_matches('.');
            if !whole.is_empty() && err.message.contains(whole) {
                quotes.push(format!("{code}: {:?} holds {whole:?}", err.message));
            }
            walked += 1;
        }
        assert!(walked >= 60, "the whole table was walked: {walked}");
        assert!(quotes.is_empty(), "{quotes:#?}");
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
