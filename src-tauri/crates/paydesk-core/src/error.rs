//! The core's errors. The app maps them onto its one IPC error shape.

use serde::Serialize;
use ts_rs::TS;

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
    /// The local database could not be used.
    #[error("{0}")]
    Storage(String),
    /// The database file itself is damaged, read-only, on a full disk or out
    /// of reach: trying again will not help, and staff need to know that.
    /// `detail` is SQLite's own text, for the log only.
    #[error("the local database cannot be used ({problem:?}): {detail}")]
    Database { problem: DbProblem, detail: String },
    /// GOV.UK Pay (or the way to it) failed.
    #[error(transparent)]
    Api(#[from] govpay::Error),
    /// The action no longer fits what GOV.UK Pay holds (a refund was already
    /// made, the amount changed, the payment moved on). Nothing was done.
    #[error("{message}")]
    Conflict {
        message: String,
        pay_code: Option<&'static str>,
    },
    /// The action was sent but its outcome could not be found out yet. It is
    /// recorded and will be checked again; it must not be repeated blindly.
    #[error("{0}")]
    OutcomeUnknown(String),
}

/// What is wrong with the database file, as far as staff need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbProblem {
    /// Corrupt, or not a database at all.
    Damaged,
    /// The file or its folder cannot be written.
    ReadOnly,
    /// The disk is full.
    Full,
    /// The file cannot be opened or read (missing folder, I/O failure).
    Unreachable,
    /// The file was made by another build of Paydesk: its schema has steps
    /// this build does not know, or knows differently. Nothing was changed.
    OtherVersion,
}

impl DbProblem {
    /// Reads SQLite's result code (primary code in the low byte) or the
    /// kind of I/O error; `None` for everything trying again may cure.
    pub fn of(e: &sqlx::Error) -> Option<DbProblem> {
        match e {
            sqlx::Error::Io(io) => Some(match io.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    DbProblem::ReadOnly
                }
                std::io::ErrorKind::StorageFull => DbProblem::Full,
                _ => DbProblem::Unreachable,
            }),
            _ => {
                let code = e.as_database_error()?.code()?.parse::<u32>().ok()?;
                match code & 0xff {
                    11 | 26 => Some(DbProblem::Damaged),
                    8 | 23 => Some(DbProblem::ReadOnly),
                    13 => Some(DbProblem::Full),
                    10 | 14 => Some(DbProblem::Unreachable),
                    _ => None,
                }
            }
        }
    }
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        match DbProblem::of(&e) {
            Some(problem) => CoreError::Database {
                problem,
                detail: e.to_string(),
            },
            None => CoreError::Storage(format!("the local database failed: {e}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for CoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(inner) => inner.into(),
            e @ (sqlx::migrate::MigrateError::VersionMissing(_)
            | sqlx::migrate::MigrateError::VersionMismatch(_)) => CoreError::Database {
                problem: DbProblem::OtherVersion,
                detail: e.to_string(),
            },
            other => CoreError::Storage(format!("cannot update the database schema: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::ConnectOptions;

    /// SQLite's own answers, from real files, land on the right problem.
    #[tokio::test]
    async fn real_sqlite_failures_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let pool = crate::db::open(&path).await.unwrap();
        pool.close().await;

        let mut ro = crate::db::connect_options(&path)
            .unwrap()
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO settings (key, value) VALUES ('a', 'b')")
            .execute(&mut ro)
            .await
            .unwrap_err();
        assert_eq!(DbProblem::of(&e), Some(DbProblem::ReadOnly), "{e}");
        assert!(matches!(
            CoreError::from(e),
            CoreError::Database {
                problem: DbProblem::ReadOnly,
                ..
            }
        ));

        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all".repeat(300)).unwrap();
        let e = crate::db::open(&junk).await.unwrap_err();
        assert!(
            matches!(
                e,
                CoreError::Database {
                    problem: DbProblem::Damaged,
                    ..
                }
            ),
            "{e:?}"
        );

        // A file whose schema has a step this build does not know (made by
        // another build) is refused as such, and left as it was.
        let other = dir.path().join("other.db");
        let pool = crate::db::open(&other).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99990101000001, 'from a later build', 1, x'00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let e = crate::db::open(&other).await.unwrap_err();
        assert!(
            matches!(
                e,
                CoreError::Database {
                    problem: DbProblem::OtherVersion,
                    ..
                }
            ),
            "{e:?}"
        );

        // A query SQLite refuses for its own reasons is not a broken file.
        let pool = crate::db::open(&path).await.unwrap();
        let e = sqlx::query("SELECT * FROM no_such_table")
            .execute(&pool)
            .await
            .unwrap_err();
        assert_eq!(DbProblem::of(&e), None);
    }
}
