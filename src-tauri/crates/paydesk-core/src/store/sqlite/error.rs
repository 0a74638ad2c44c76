//! SQLite's answers sorted into the store's kinds. The only place that reads
//! SQLite's result codes, and (where SQLite gives no code of its own) its text.
//! sqlx gives both engines one error type: what PostgreSQL reports is handed
//! to `postgres::error`.

use crate::store::{DbProblem, StoreError, StoreErrorKind};

/// FTS5's answer when a word index without positions is asked for a phrase.
const PHRASE_REFUSED: &str = "phrase queries are not supported";

/// The kind of one of SQLite's (or sqlx's) failures.
pub(crate) fn kind_of(e: &sqlx::Error) -> StoreErrorKind {
    match e {
        sqlx::Error::RowNotFound => StoreErrorKind::NotFound,
        // Every connection of the pool is in use for longer than it waits.
        sqlx::Error::PoolTimedOut => StoreErrorKind::Busy,
        sqlx::Error::Io(io) => StoreErrorKind::Broken(match io.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                DbProblem::ReadOnly
            }
            std::io::ErrorKind::StorageFull => DbProblem::Full,
            _ => DbProblem::Unreachable,
        }),
        _ => {
            let Some(db) = e.as_database_error() else {
                return StoreErrorKind::Other;
            };
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return crate::store::postgres::error::kind_of_code(pg.code());
            }
            let code = db.code().and_then(|c| c.parse::<u32>().ok());
            // The primary result code is the low byte of the extended one.
            match code.map(|c| c & 0xff) {
                Some(5 | 6) => StoreErrorKind::Busy,
                Some(19) => StoreErrorKind::Constraint,
                Some(11 | 26) => StoreErrorKind::Broken(DbProblem::Damaged),
                Some(8 | 23) => StoreErrorKind::Broken(DbProblem::ReadOnly),
                Some(13) => StoreErrorKind::Broken(DbProblem::Full),
                Some(10 | 14) => StoreErrorKind::Broken(DbProblem::Unreachable),
                // FTS5 reports a query it cannot answer as a plain error.
                _ if db.message().contains(PHRASE_REFUSED) => StoreErrorKind::Unanswerable,
                _ => StoreErrorKind::Other,
            }
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::new(kind_of(&e), e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        match e {
            M::Execute(inner) | M::ExecuteMigration(inner, _) => inner.into(),
            e @ (M::VersionMissing(_) | M::VersionMismatch(_)) => StoreError::new(
                StoreErrorKind::Broken(DbProblem::OtherVersion),
                e.to_string(),
            ),
            other => StoreError::new(
                StoreErrorKind::Other,
                format!("cannot update the database schema: {other}"),
            ),
        }
    }
}

/// Whether a payment upsert met the payment-ID index set aside or built
/// back between looking for it and writing (see `cache::upsert_payments`).
/// SQLite gives both cases the generic codes, so its text tells them apart.
pub(crate) fn is_index_race(e: &StoreError) -> bool {
    e.detail.contains("ON CONFLICT clause does not match")
        || e.detail
            .contains("UNIQUE constraint failed: payments.service_id, payments.payment_id")
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
        let pool = crate::store::sqlite::db::open(&path).await.unwrap();
        pool.close().await;

        let mut ro = crate::store::sqlite::db::connect_options(&path)
            .unwrap()
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO settings (key, value) VALUES ('a', 'b')")
            .execute(&mut ro)
            .await
            .unwrap_err();
        assert_eq!(StoreError::from(e).problem(), Some(DbProblem::ReadOnly));

        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all".repeat(300)).unwrap();
        let e = crate::store::sqlite::db::open(&junk).await.unwrap_err();
        assert_eq!(e.problem(), Some(DbProblem::Damaged), "{e:?}");

        // A file whose schema has a step this build does not know (made by
        // another build) is refused as such, and left as it was.
        let other = dir.path().join("other.db");
        let pool = crate::store::sqlite::db::open(&other).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99990101000001, 'from a later build', 1, x'00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let e = crate::store::sqlite::db::open(&other).await.unwrap_err();
        assert_eq!(e.problem(), Some(DbProblem::OtherVersion), "{e:?}");

        // A query SQLite refuses for its own reasons is not a broken file.
        let pool = crate::store::sqlite::db::open(&path).await.unwrap();
        let e = sqlx::query("SELECT * FROM no_such_table")
            .execute(&pool)
            .await
            .unwrap_err();
        let e = StoreError::from(e);
        assert_eq!(e.problem(), None);
        assert_eq!(e.kind, StoreErrorKind::Other);

        // A rule of the schema, and a writer holding the lock, each by kind.
        let twice = "INSERT INTO settings (key, value) VALUES ('k', 'v')";
        sqlx::query(twice).execute(&pool).await.unwrap();
        let e = StoreError::from(sqlx::query(twice).execute(&pool).await.unwrap_err());
        assert_eq!(e.kind, StoreErrorKind::Constraint, "{e}");
        sqlx::query(
            "INSERT INTO audit_log (at, operator, service_id, service_name, action, phase, prev_hash, hash)
             VALUES ('t', 'Sam', 's', 'S', 'refund', 'attempt', '', 'h')",
        )
        .execute(&pool)
        .await
        .unwrap();
        let e = StoreError::from(
            sqlx::query("DELETE FROM audit_log")
                .execute(&pool)
                .await
                .unwrap_err(),
        );
        assert_eq!(
            e.kind,
            StoreErrorKind::Constraint,
            "the append-only guard: {e}"
        );

        let mut holder = pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .unwrap();
        let mut impatient = crate::store::sqlite::db::connect_options(&path)
            .unwrap()
            .busy_timeout(std::time::Duration::ZERO)
            .connect()
            .await
            .unwrap();
        let e = StoreError::from(
            sqlx::query("INSERT INTO settings (key, value) VALUES ('x', 'y')")
                .execute(&mut impatient)
                .await
                .unwrap_err(),
        );
        assert!(e.is_busy(), "{e}");
        sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    }
}
