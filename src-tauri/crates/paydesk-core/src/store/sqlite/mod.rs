//! The SQLite store: Paydesk's embedded database, one file in the data folder.

pub use db::FILE_NAME;

mod approvals;
mod audit;
pub mod bulk;
pub mod cache;
mod cached;
mod cases;
mod dashboard;
pub mod db;
pub(crate) mod error;
mod export;
mod fill;
mod holds;
mod probe;
mod search;
mod services;
mod settings;
mod telephone;

use std::sync::Arc;

use sqlx::SqlitePool;

/// The store on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer of the audit chain in this process (SQLite's write lock
    /// keeps other processes out; see `audit_append`).
    chain: Arc<tokio::sync::Mutex<()>>,
    /// Payments held by a money action in this process (see `holds`).
    holds: Arc<crate::store::holds::LocalHolds>,
    /// Runs loading with the search indexes aside (see `bulk`); the last one
    /// to end its load builds them again.
    bulk_loads: Arc<tokio::sync::Mutex<usize>>,
    /// How many payments a run must expect before it loads in bulk.
    bulk_from: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// Opens the store on a database file, creating and migrating it if needed.
pub async fn open(path: &std::path::Path) -> Result<SqliteStore, crate::store::StoreError> {
    Ok(SqliteStore::new(db::open(path).await?))
}

impl SqliteStore {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            chain: Default::default(),
            holds: Default::default(),
            bulk_loads: Default::default(),
            bulk_from: Arc::new(std::sync::atomic::AtomicU64::new(20_000)),
        }
    }
}

#[async_trait::async_trait]
impl crate::store::Lifecycle for SqliteStore {
    async fn close(&self) {
        self.pool.close().await;
    }
}
