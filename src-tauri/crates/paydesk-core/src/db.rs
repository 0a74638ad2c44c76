//! The local cache: one SQLite file, WAL, a busy timeout and foreign keys on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::CoreError;

pub const FILE_NAME: &str = "paydesk.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens the database file, creating it if needed, and brings its schema up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, CoreError> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)
        .map_err(|e| CoreError::Storage(format!("bad database path: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // 64 MB of page cache: index writes of a big sync stay in memory.
        .pragma("cache_size", "-65536")
        // Read pages straight from the OS's cache instead of copying them in.
        .pragma("mmap_size", "268435456")
        .pragma("temp_store", "memory");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| CoreError::Storage(format!("cannot open the database: {e}")))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| CoreError::Storage(format!("cannot update the database schema: {e}")))?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_a_real_file_in_wal_mode_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'services'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(tables, 1);
        pool.close().await;
        // Opening again runs no migration twice.
        let again = open(&dir.path().join(FILE_NAME)).await.unwrap();
        again.close().await;
    }
}
