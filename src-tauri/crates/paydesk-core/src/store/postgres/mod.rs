//! The PostgreSQL store: the team database, shared by a team's desktops.
//!
//! Each desktop keeps a small pool (see [`MAX_CONNECTIONS`]). What SQLite
//! guards inside one process, this store guards in the database, so that it
//! holds across desktops:
//! - the audit chain has one writer at a time through a transaction-scoped
//!   advisory lock (`audit.rs`);
//! - a payment has one money action at a time through a transaction-scoped
//!   advisory lock held while the action runs (`holds.rs`).
//!
//! Both are transaction-scoped (`pg_advisory_xact_lock`), so they also hold
//! behind a PgBouncer in transaction-pooling mode. The schema is in
//! `migrations/postgres`.

mod audit;
mod cache;
mod cached;
mod cases;
mod dashboard;
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
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::store::StoreError;

/// Connections one desktop keeps at most: a search, a sync's writes, a money
/// action's held payment and the audit append can all run at once. 200
/// desktops need `max_connections` of 200 × 4 plus the administrator's few.
pub const MAX_CONNECTIONS: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store on a team database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// This desktop's appends queue here before asking the database's lock,
    /// so they do not each hold a connection while they wait.
    chain: Arc<tokio::sync::Mutex<()>>,
    /// This desktop's own queue per payment, before the database's lock.
    local_holds: Arc<crate::store::holds::LocalHolds>,
    /// Payments this desktop may hold in the database at once (see `holds`).
    hold_slots: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// Connects to the team database at `url` and brings its schema up to date.
/// Two desktops migrating at once take turns (the migrator locks the database).
pub async fn open(url: &str) -> Result<PgStore, StoreError> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|e| StoreError::other(format!("bad team database address: {e}")))?;
    let options = options.application_name("paydesk");
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(15))
        // An idle connection is let go, so a quiet desktop holds none.
        .min_connections(0)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(PgStore {
        pool,
        chain: Default::default(),
        local_holds: Default::default(),
        hold_slots: Arc::new(tokio::sync::Semaphore::new(holds::HOLD_SLOTS)),
    })
}

#[async_trait::async_trait]
impl crate::store::Lifecycle for PgStore {
    async fn close(&self) {
        self.pool.close().await;
    }
}
