//! Paydesk's domain. No `tauri` import here: everything is testable without a window.
//!
//! [`Core`] is the handle the app holds: the SQLite cache and the key store.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod activity;
pub mod agreements;
pub mod amount;
pub mod approvals;
pub mod cases;
pub mod clock;
pub mod dashboard;
pub mod disputes;
pub mod error;
pub mod export;
pub mod keys;
pub mod money;
pub mod policy;
pub mod roles;
mod seal;
pub mod search;
pub mod services;
pub mod staff;
pub mod store;
pub mod story;
pub mod support;
pub mod sync;
pub mod team;
pub mod telephone;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use error::{CoreError, FieldError};
pub use keys::{KeyStore, OsKeyStore};
pub use roles::{Permission, Role};
pub use store::{DbProblem, StoreError, StoreErrorKind};

/// The app's handle on its data and secrets.
#[derive(Clone)]
pub struct Core {
    store: Arc<dyn store::Store>,
    keys: Arc<dyn KeyStore>,
    shared: Arc<Shared>,
}

/// In-memory state shared by every clone of the core.
struct Shared {
    /// Outcome rows the database could not take yet (see `money::held`).
    held: money::held::Held,
    /// The keyring entries that seal the audit record and the services.
    seal: seal::Seal,
    /// The staff name last read, for an outcome written while the database fails.
    operator: Mutex<Option<String>>,
    /// One-time tokens of telephone payments waiting for their card details,
    /// by payment ID. Only in memory: a token never reaches the database, a log
    /// or the UI (after a restart the payment is read again for a fresh one).
    telephone_tokens: Mutex<HashMap<String, String>>,
    /// A GOV.UK Pay client per service, built once from the keyring.
    clients: Mutex<HashMap<String, (String, govpay::Client)>>,
    client_options: Mutex<ClientOptions>,
    /// The organisation's policy in force (see `policy`).
    policy: Mutex<Arc<policy::Policy>>,
    /// The syncs running in this process, one per service.
    syncs: sync::RunningSyncs,
    /// This desktop, as its claims on a team's syncs name it: the same data
    /// folder is the same desktop, so one restarted after a crash takes its
    /// own claim back at once.
    desktop: String,
}

/// How clients are set up (tests shorten the timeouts).
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// How long card details wait for GOV.UK Pay's answer (at least 15 s).
    pub auth_timeout: Duration,
    pub rate_limits: govpay::RateLimits,
    pub retry: govpay::RetryPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            auth_timeout: Duration::from_secs(30),
            rate_limits: govpay::RateLimits::default(),
            retry: govpay::RetryPolicy::default(),
        }
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}

impl Core {
    /// Opens (creating if needed) the cache in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path, keys: Arc<dyn KeyStore>) -> Result<Self, CoreError> {
        make_folder(data_dir)?;
        let store = store::sqlite::open(&data_dir.join(store::sqlite::FILE_NAME)).await?;
        Self::with_store(data_dir, Arc::new(store), keys).await
    }

    /// Opens the team database at `database_url` (PostgreSQL), bringing its
    /// schema up to date. `data_dir` keeps what stays on this desktop: the
    /// outcomes the database could not take yet.
    pub async fn open_team(
        data_dir: &Path,
        database_url: &str,
        keys: Arc<dyn KeyStore>,
    ) -> Result<Self, CoreError> {
        make_folder(data_dir)?;
        let store = store::postgres::open(database_url).await?;
        Self::with_store(data_dir, Arc::new(store), keys).await
    }

    async fn with_store(
        data_dir: &Path,
        store: Arc<dyn store::Store>,
        keys: Arc<dyn KeyStore>,
    ) -> Result<Self, CoreError> {
        let core = Self {
            store,
            keys,
            shared: Arc::new(Shared {
                held: money::held::Held::open(data_dir),
                seal: seal::Seal::for_folder(data_dir),
                operator: Default::default(),
                telephone_tokens: Default::default(),
                clients: Default::default(),
                client_options: Default::default(),
                policy: Default::default(),
                syncs: Default::default(),
                desktop: desktop_tag(data_dir),
            }),
        };
        // Outcomes a previous run could not write go in first.
        let one_writer = core.store().audit_lock().await;
        core.write_held(&one_writer).await;
        drop(one_writer);
        Ok(core)
    }

    /// Changes how GOV.UK Pay clients are built from now on.
    pub fn set_client_options(&self, options: ClientOptions) {
        *self
            .shared
            .client_options
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = options;
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Puts an organisation's policy in force: services it does not allow
    /// are refused, its proxy and CA certificate serve every client, its
    /// approval rules win over the app's.
    pub fn set_policy(&self, policy: policy::Policy) {
        *self.shared.policy.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(policy);
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<policy::Policy> {
        self.shared
            .policy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Closes the database: for a clean stop, or before another process
    /// takes over the data folder.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Where the core keeps everything.
    pub fn store(&self) -> &dyn store::Store {
        &*self.store
    }

    pub fn keys(&self) -> &Arc<dyn KeyStore> {
        &self.keys
    }
}

/// Makes the data folder, or says why it cannot be made.
fn make_folder(data_dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::PermissionDenied {
            DbProblem::ReadOnly
        } else {
            DbProblem::Unreachable
        };
        StoreError::new(
            StoreErrorKind::Broken(problem),
            format!("cannot create the data folder {}: {e}", data_dir.display()),
        )
    })
}

/// A name for the desktop with this data folder (a hash of its full path).
fn desktop_tag(data_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let full = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    hex::encode(&Sha256::digest(full.to_string_lossy().as_bytes())[..12])
}
