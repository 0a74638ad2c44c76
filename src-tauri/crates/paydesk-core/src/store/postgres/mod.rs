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

pub mod admin;
mod approvals;
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

use crate::store::{DbProblem, StoreError, StoreErrorKind, TeamMember};

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
    /// Whether the administrator has set the team up (see `team_mode`).
    team: bool,
    /// The login signed in.
    login: String,
    /// Who signed in, when the staff list names them.
    member: Option<TeamMember>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// Connects to the team database at `url`, as the person the address names.
/// The schema must be this version's: only the team's administrator brings
/// it up to date (`set_up`), since staff logins may not change it.
pub async fn open(url: &str) -> Result<PgStore, StoreError> {
    let pool = connect(url).await?;
    let applied: Result<Vec<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await;
    let applied = match applied {
        Ok(v) => v,
        // No schema at all (undefined_table): the team database has not been set up.
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P01") => {
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    if applied != known {
        pool.close().await;
        return Err(StoreError::new(
            StoreErrorKind::Broken(DbProblem::OtherVersion),
            format!(
                "the team database's schema is at {:?}, this version needs {:?}: its administrator must set it up or update it",
                applied.last(),
                known.last()
            ),
        ));
    }
    signed_in(pool).await
}

/// Connects as the team's administrator and brings the schema up to date.
/// Two administrators doing so at once take turns (the migrator locks the
/// database).
pub async fn set_up(url: &str) -> Result<PgStore, StoreError> {
    let pool = connect(url).await?;
    MIGRATOR.run(&pool).await?;
    complete_words(&pool).await?;
    signed_in(pool).await
}

/// Payments at a time whose words are written again in one statement.
const WORDS_BATCH: i64 = 2000;

/// Writes the words of payments cached before the current `words_of` again
/// (see the migration that added `words_version`), in batches, each its own
/// statement: stopped part way, the rest is done at the next set-up. Returns
/// how many.
pub(crate) async fn complete_words(pool: &PgPool) -> Result<u64, StoreError> {
    use cache::{Searched, WORDS_VERSION, words_of};
    let mut done = 0;
    loop {
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT service_id, payment_id, reference, description, email, cardholder_name, metadata,
                    amount, last4
             FROM payments WHERE words_version < $1 ORDER BY service_id, payment_id LIMIT $2",
        )
        .bind(WORDS_VERSION)
        .bind(WORDS_BATCH)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let batch: Vec<serde_json::Value> = rows
            .iter()
            .map(
                |(
                    service,
                    payment,
                    reference,
                    description,
                    email,
                    name,
                    metadata,
                    amount,
                    last4,
                )| {
                    let words = words_of(&Searched {
                        reference,
                        description,
                        email: email.as_deref(),
                        cardholder_name: name.as_deref(),
                        metadata_text: &crate::store::cache::metadata_text_of_json(
                            metadata.as_deref(),
                        ),
                        amount: *amount,
                        last4: last4.as_deref(),
                    });
                    serde_json::json!({ "s": service, "p": payment, "w": words })
                },
            )
            .collect();
        done += sqlx::query(
            "UPDATE payments p
             SET words = array_to_tsvector(ARRAY(SELECT jsonb_array_elements_text(j.value -> 'w'))),
                 words_version = $2
             FROM jsonb_array_elements($1::jsonb) j
             WHERE p.service_id = j.value ->> 's' AND p.payment_id = j.value ->> 'p'",
        )
        .bind(serde_json::Value::from(batch).to_string())
        .bind(WORDS_VERSION)
        .execute(pool)
        .await?
        .rows_affected();
    }
}

async fn connect(url: &str) -> Result<PgPool, StoreError> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|e| StoreError::other(format!("bad team database address: {e}")))?;
    let options = options.application_name("paydesk");
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(15))
        // An idle connection is let go, so a quiet desktop holds none.
        .min_connections(0)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await
        .map_err(|e| match e {
            // Nothing answered: the server, not a file, is out of reach.
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
                StoreError::new(
                    StoreErrorKind::Broken(DbProblem::ServerUnreachable),
                    e.to_string(),
                )
            }
            other => other.into(),
        })
}

/// The store, with who signed in as the staff list names them.
async fn signed_in(pool: PgPool) -> Result<PgStore, StoreError> {
    let (login, name, team): (String, Option<String>, bool) =
        sqlx::query_as("SELECT current_user::text, staff_name(), EXISTS (SELECT 1 FROM team)")
            .fetch_one(&pool)
            .await?;
    Ok(PgStore {
        pool,
        chain: Default::default(),
        local_holds: Default::default(),
        hold_slots: Arc::new(tokio::sync::Semaphore::new(holds::HOLD_SLOTS)),
        team,
        member: name.map(|name| TeamMember {
            login: login.clone(),
            name,
        }),
        login,
    })
}

impl PgStore {
    /// The login signed in.
    pub fn login(&self) -> &str {
        &self.login
    }
}

#[async_trait::async_trait]
impl crate::store::Lifecycle for PgStore {
    async fn close(&self) {
        self.pool.close().await;
    }

    fn team_mode(&self) -> bool {
        self.team
    }

    fn team_member(&self) -> Option<&TeamMember> {
        self.member.as_ref()
    }
}
