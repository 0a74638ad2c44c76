//! The SQLite store: Paydesk's embedded database, one file in the data folder.

mod cases;
pub(crate) mod error;
mod settings;
mod telephone;

use sqlx::SqlitePool;

/// The store on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}
