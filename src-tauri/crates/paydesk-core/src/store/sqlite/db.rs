//! The local cache: one SQLite file, WAL, a busy timeout and foreign keys on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use crate::store::StoreError;

pub const FILE_NAME: &str = "paydesk.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How every connection to the cache file is opened: the pool's, and the two
/// a first fill's index build opens of its own (see `bulk::restore`).
pub(crate) fn connect_options(path: &Path) -> Result<SqliteConnectOptions, StoreError> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)
        .map_err(|e| StoreError::other(format!("bad database path: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // 64 MB of page cache: index writes of a big sync stay in memory.
        .pragma("cache_size", "-65536")
        // Read pages straight from the OS's cache instead of copying them in,
        // up to SQLite's own limit (2 GB): 1,000,000 payments take 1.6 GB, and
        // a first fill's index build reads the payments once per index. With
        // a smaller map most of it was copied page by page in the kernel,
        // and the build took half as long again. The mapped pages are the
        // OS's file cache, not memory of the app's own.
        .pragma("mmap_size", "2147418112")
        .pragma("temp_store", "memory")
        // The WAL file shrinks back to 64 MB once it has been copied into the
        // database: the index build at the end of a first fill writes about
        // 1 GB to it, which otherwise stays on disk until the app closes.
        .pragma("journal_size_limit", "67108864"))
}

/// Opens the database file, creating it if needed, and brings its schema up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, StoreError> {
    let options = connect_options(path)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    // A sync killed while loading left the search indexes aside (see `bulk`):
    // they go back first, so that migrations meet the schema they expect.
    let mut conn = pool.acquire().await?;
    let deferred: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'deferred_schema')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if deferred {
        crate::store::sqlite::bulk::restore(&mut conn).await?;
    }
    drop(conn);
    MIGRATOR.run(&pool).await?;
    // A migration may leave the word index aside for rows to be completed
    // first (see `complete_search_more`); it is then built once.
    let mut conn = pool.acquire().await?;
    complete_search_more(&mut conn).await?;
    crate::store::sqlite::bulk::restore(&mut conn).await?;
    drop(conn);
    // Statistics only steer the planner: failing to refresh them is no reason
    // not to open.
    let _ = complete_statistics(&pool).await;
    Ok(pool)
}

/// Payments at a time whose `search_more` is written in one statement.
const SEARCH_MORE_BATCH: i64 = 5000;

/// Writes `search_more` (search.rs `more_tokens`) for the payments cached
/// before it existed, in rowid order and batches, each its own transaction: a
/// crash part way leaves the rest for the next opening. Returns how many.
pub(crate) async fn complete_search_more(
    conn: &mut sqlx::SqliteConnection,
) -> Result<u64, StoreError> {
    use sqlx::Connection;
    let mut after = i64::MIN;
    let mut done = 0;
    loop {
        type Row = (
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT rowid, reference, email, cardholder_name, amount, last4 FROM payments
             WHERE rowid > ?1 AND search_more IS NULL ORDER BY rowid LIMIT ?2",
        )
        .bind(after)
        .bind(SEARCH_MORE_BATCH)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.0;
        let pairs: Vec<serde_json::Value> = rows
            .iter()
            .map(|(rowid, reference, email, name, amount, last4)| {
                let more = crate::store::search::more_tokens(
                    reference,
                    email.as_deref(),
                    name.as_deref(),
                    *amount,
                    last4.as_deref(),
                );
                serde_json::json!([rowid, more.join(" ")])
            })
            .collect();
        let mut tx = conn.begin().await?;
        let written = sqlx::query(
            "UPDATE payments SET search_more = json_extract(j.value, '$[1]')
             FROM json_each(?1) j WHERE payments.rowid = json_extract(j.value, '$[0]')",
        )
        .bind(serde_json::Value::from(pairs).to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        done += written;
    }
}

/// Gathers whole-table statistics (of one table, or all) and has every other
/// connection load them. A connection reads the statistics when it loads the
/// schema, and once `sqlite_stat1` exists ANALYZE only rewrites its rows,
/// which is no schema change: the pool's other connections would go on
/// planning with the old figures (or none) until the app restarted. A view
/// made and dropped is a schema change, so each reloads before its next query.
pub async fn analyze(conn: &mut SqliteConnection, table: Option<&str>) -> Result<(), StoreError> {
    gather_statistics(&mut *conn, &[table]).await
}

/// `analyze` for every table with an index of its own, but `skip`: the
/// statistics of those were gathered otherwise (see `bulk::restore`).
pub async fn analyze_all_but(conn: &mut SqliteConnection, skip: &[&str]) -> Result<(), StoreError> {
    let skip = serde_json::to_string(skip).map_err(|e| StoreError::other(e.to_string()))?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tbl_name FROM sqlite_master
         WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT IN (SELECT value FROM json_each(?1))
         ORDER BY tbl_name",
    )
    .bind(skip)
    .fetch_all(&mut *conn)
    .await?;
    let targets: Vec<Option<&str>> = tables.iter().map(|t| Some(t.as_str())).collect();
    gather_statistics(conn, &targets).await
}

/// Whether a sync that wrote `items` changed the cache enough for its
/// statistics to be gathered again: none yet, or at least a tenth as many as
/// the payments they describe. An incremental sync of a big cache re-reads
/// its trailing windows (thousands of items after a large fill), which
/// changes nothing the statistics say, and gathering them would make it
/// several times slower.
pub(crate) async fn statistics_outdated_by(conn: &mut SqliteConnection, items: u64) -> bool {
    let described: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'payments' AND idx = 'payments_created'",
    )
    .fetch_optional(conn)
    .await
    .ok()
    .flatten();
    described.is_none_or(|rows| items.saturating_mul(10) >= rows.max(0) as u64)
}

/// ANALYZE for each target (a table, or None for all), then one reload for
/// every other connection.
async fn gather_statistics(
    conn: &mut SqliteConnection,
    targets: &[Option<&str>],
) -> Result<(), StoreError> {
    sqlx::query("PRAGMA analysis_limit = 0")
        .execute(&mut *conn)
        .await?;
    for table in targets {
        let target = table
            .map(|t| format!(" \"{}\"", t.replace('"', "\"\"")))
            .unwrap_or_default();
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE{target}")))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::raw_sql(
        "CREATE VIEW IF NOT EXISTS statistics_reload AS SELECT 1; DROP VIEW statistics_reload;",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An index a migration made has no statistics while the table's other
/// indexes have theirs (from the last big sync): the planner would take the
/// new one on trust, as if each value matched a handful of rows, and a
/// search could take a hundred times as long. Such a table is analysed again, once. So is
/// a table with rows and no statistics at all in an analysed database: a
/// migration that makes a table again drops its statistics with it.
async fn complete_statistics(pool: &SqlitePool) -> Result<(), StoreError> {
    let analysed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')",
    )
    .fetch_one(pool)
    .await?;
    if !analysed {
        return Ok(());
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m.tbl_name FROM sqlite_master m
         WHERE m.type = 'index' AND m.sql IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)",
    )
    .fetch_all(pool)
    .await?;
    for table in tables {
        let mut conn = pool.acquire().await?;
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let rows: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {quoted})"
        )))
        .fetch_one(&mut *conn)
        .await?;
        if rows {
            analyze(&mut conn, Some(&table)).await?;
        }
    }
    Ok(())
}

/// Set-ups shared by the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use sqlx::{SqliteConnection, SqlitePool};

    /// FTS5's own check of the full-text indexes against the rows they index.
    pub(crate) async fn assert_full_text_sound(conn: &mut SqliteConnection) {
        for table in ["payments_fts", "payments_trigram", "email_values_trigram"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} ({table}) VALUES ('integrity-check')"
            )))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        }
    }

    /// The payment IDs the word index finds for `query`.
    pub(crate) async fn word_matches(
        conn: impl sqlx::SqliteExecutor<'_>,
        query: &str,
    ) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT p.payment_id FROM payments_fts f JOIN payments p ON p.rowid = f.rowid
             WHERE payments_fts MATCH ?1",
        )
        .bind(query)
        .fetch_all(conn)
        .await
        .unwrap()
    }

    /// A service as `services_add` leaves it (no key: none is needed here).
    pub(crate) async fn add_service(conn: impl sqlx::SqliteExecutor<'_>, id: &str) {
        sqlx::query("INSERT INTO services (id, name, base_url, environment, role, created_at) VALUES (?1, ?1, 'http://127.0.0.1:1', 'test', 'caseworker', 'now')")
            .bind(id)
            .execute(conn)
            .await
            .unwrap();
    }

    /// A new cache file with one service, `s`. Keep the folder while the pool is used.
    pub(crate) async fn cache_with_service() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::open(&dir.path().join(super::FILE_NAME))
            .await
            .unwrap();
        add_service(&pool, "s").await;
        (dir, pool)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::add_service;
    use super::*;

    #[tokio::test]
    async fn a_cache_from_before_search_terms_is_completed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // The cache as the version before kept it, with two payments.
        let older = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                MIGRATOR
                    .migrations
                    .iter()
                    .filter(|m| m.version < 20261208100000)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let pool = SqlitePoolOptions::new()
            .connect_with(connect_options(&path).unwrap())
            .await
            .unwrap();
        older.run(&pool).await.unwrap();
        add_service(&pool, "s").await;
        let slot: i64 = sqlx::query_scalar("SELECT slot FROM services WHERE id = 's'")
            .fetch_one(&pool)
            .await
            .unwrap();
        for (i, (id, reference, email, amount, last4)) in [
            (
                "p1",
                "PRK-0019992",
                "niamh.lewis17@example.org",
                4500,
                "1111",
            ),
            ("p2", "PRK-0020001", "jo.bloggs@example.net", 1250, "4242"),
        ]
        .into_iter()
        .enumerate()
        {
            let created = 1_700_000_000_000 + i as i64;
            sqlx::query(
                "INSERT INTO payments (rowid, service_id, payment_id, amount, reference, description, email,
                    status, finished, created_ms, created_date, last4, fetched_ms)
                 VALUES (?1, 's', ?2, ?3, ?4, 'Permit', ?5, 'success', 1, ?6, 'x', ?7, 0)",
            )
            .bind((slot << 54) | crate::store::search::date_key(created, id))
            .bind(id)
            .bind(amount)
            .bind(reference)
            .bind(email)
            .bind(created)
            .bind(last4)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;

        // Opened by this version: the rows completed, the index built once.
        let pool = open(&path).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert!(!crate::store::sqlite::bulk::aside(&mut conn).await.unwrap());
        super::testing::assert_full_text_sound(&mut conn).await;
        drop(conn);
        for (text, found) in [
            ("0019992", vec!["p1"]),
            ("example.org", vec!["p1"]),
            ("£12.50", vec!["p2"]),
            ("lewis17 1111", vec!["p1"]),
            ("permit", vec!["p2", "p1"]),
        ] {
            let r = crate::store::sqlite::cache::search_payments(
                &pool,
                "s",
                &crate::store::search::PaymentQuery {
                    text: Some(text.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let ids: Vec<&str> = r.rows.iter().map(|p| p.payment_id.as_str()).collect();
            assert_eq!(ids, found, "{text:?}");
        }
        // Nothing is left to complete at the next opening.
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(complete_search_more(&mut conn).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn statistics_can_be_gathered_for_all_tables_but_some() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        add_service(&pool, "s").await;
        sqlx::raw_sql(
            "INSERT INTO payments (service_id, payment_id, amount, reference, description, status, finished,
                created_ms, created_date, fetched_ms)
             VALUES ('s', 'p1', 100, 'R', 'D', 'success', 1, 1, 'x', 0);
             INSERT INTO refunds (service_id, refund_id, payment_id, amount, status, created_ms, created_date)
             VALUES ('s', 'r1', 'p1', 100, 'success', 1, 'x');",
        )
        .execute(&pool)
        .await
        .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        analyze_all_but(&mut conn, &["payments", "payment_metadata"])
            .await
            .unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert!(tables.contains(&"refunds".to_owned()), "{tables:?}");
        assert!(tables.contains(&"services".to_owned()), "{tables:?}");
        assert!(!tables.contains(&"payments".to_owned()), "{tables:?}");
    }

    /// The SQLite the cache runs on is compiled as `.cargo/config.toml`
    /// says: each connection with its own page cache, and allocations not
    /// counted under a lock every connection shares. With either lock, the
    /// two connections of a first fill's build took turns instead of
    /// running side by side.
    #[tokio::test]
    async fn sqlite_is_built_without_process_wide_locks() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        // Still the SQLite the cache needs.
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    }

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
        let wal_limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(wal_limit, 64 << 20);
        // The whole file is read through a mapping (SQLite's limit, not clamped lower).
        let mapped: i64 = sqlx::query_scalar("PRAGMA mmap_size")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mapped, 2_147_418_112);
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

    #[tokio::test]
    async fn statistics_are_gathered_again_only_after_a_tenth_as_many_items_as_they_describe() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        // None yet: any sync big enough to count gathers them.
        sqlx::query("DROP TABLE IF EXISTS sqlite_stat1")
            .execute(&mut *conn)
            .await
            .unwrap();
        assert!(statistics_outdated_by(&mut conn, 5_001).await);
        // Statistics of 1,000,000 payments, as after a first fill.
        sqlx::raw_sql(
            "ANALYZE sqlite_schema;
             DELETE FROM sqlite_stat1;
             INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('payments', 'payments_created', '1000000 1000000 1 1');",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        // An incremental sync re-reading its trailing windows changes nothing they say.
        assert!(!statistics_outdated_by(&mut conn, 5_731).await);
        assert!(!statistics_outdated_by(&mut conn, 99_999).await);
        // A tenth as many as they describe, or more, does.
        assert!(statistics_outdated_by(&mut conn, 100_000).await);
        assert!(statistics_outdated_by(&mut conn, 2_000_000).await);
    }

    #[tokio::test]
    async fn both_full_text_indexes_gather_64_mb_before_writing_a_segment() {
        // With FTS5's 1 MB default, the rebuild after a first fill of 1,000,000
        // payments wrote hundreds of segments and spent most of its time merging.
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let sizes: Vec<(String, i64)> = sqlx::query_as(
            "SELECT 'words', v FROM payments_fts_config WHERE k = 'hashsize'
             UNION ALL SELECT 'parts', v FROM payments_trigram_config WHERE k = 'hashsize'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            sizes,
            vec![("words".into(), 64 << 20), ("parts".into(), 64 << 20)]
        );
    }

    #[tokio::test]
    async fn an_index_without_statistics_beside_analysed_ones_is_analysed_on_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let pool = open(&path).await.unwrap();
        add_service(&pool, "s").await;
        for i in 0..50_i64 {
            sqlx::query(
                "INSERT INTO payments (service_id, payment_id, amount, reference, description, status,
                    finished, created_ms, created_date, fetched_ms)
                 VALUES ('s', ?1, ?2, 'R', 'D', 'success', 1, ?2, 'x', 0)",
            )
            .bind(format!("p{i}"))
            .bind(i)
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
        // As a migration would leave it: a new index, no statistics for it.
        sqlx::query("CREATE INDEX payments_test_new ON payments (service_id, amount)")
            .execute(&pool)
            .await
            .unwrap();
        let stats = |pool: SqlitePool| async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM sqlite_stat1 WHERE idx = 'payments_test_new'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        };
        assert_eq!(stats(pool.clone()).await, 0);
        pool.close().await;
        let pool = open(&path).await.unwrap();
        assert_eq!(stats(pool.clone()).await, 1);
        pool.close().await;
    }

    async fn plan(conn: &mut SqliteConnection) -> String {
        // A search first (it notices a schema change), then a plan prepared afresh.
        sqlx::query("SELECT count(*) FROM t")
            .execute(&mut *conn)
            .await
            .unwrap();
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as("EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = 1 AND b > 5")
                .persistent(false)
                .fetch_all(conn)
                .await
                .unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
    }

    #[tokio::test]
    async fn fresh_statistics_reach_the_pools_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let mut other = pool.acquire().await.unwrap();
        let mut mine = pool.acquire().await.unwrap();
        // Statistics gathered before (sqlite_stat1 exists: making it would
        // itself be a schema change, which every connection notices).
        sqlx::raw_sql(
            "ANALYZE; CREATE TABLE t (a, b); CREATE INDEX t_a ON t (a);
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
             INSERT INTO t SELECT i % 2, i FROM n;",
        )
        .execute(&mut *mine)
        .await
        .unwrap();
        // Without statistics the index on a two-valued column looks selective.
        assert!(plan(&mut other).await.contains("t_a"));
        analyze(&mut mine, Some("t")).await.unwrap();
        assert!(plan(&mut mine).await.starts_with("SCAN t"));
        let seen = plan(&mut other).await;
        assert!(seen.starts_with("SCAN t"), "{seen}");
    }

    #[tokio::test]
    async fn a_new_service_takes_the_lowest_free_slot() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join(FILE_NAME)).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let slot = |id: &'static str| {
            sqlx::query_scalar::<_, i64>("SELECT slot FROM services WHERE id = ?1").bind(id)
        };
        for (id, expected) in [("a", 0), ("b", 1), ("c", 2)] {
            add_service(&mut *conn, id).await;
            assert_eq!(slot(id).fetch_one(&mut *conn).await.unwrap(), expected);
        }
        // One freed by a removed service (its payments gone with it) is taken again.
        sqlx::query("DELETE FROM services WHERE id = 'a'")
            .execute(&mut *conn)
            .await
            .unwrap();
        add_service(&mut *conn, "d").await;
        assert_eq!(slot("d").fetch_one(&mut *conn).await.unwrap(), 0);
    }
}
