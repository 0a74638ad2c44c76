//! Bulk loading for the first fill of a long history.
//!
//! Kept up row by row, the search indexes and the two full-text indexes cost
//! most of a sync's time (each page is its own transaction, so FTS5 writes and
//! merges a small segment per page). Built once over the finished table they
//! take seconds. So a sync that expects many payments sets them aside, loads,
//! and builds them again as soon as the payments are in. Some stay (see
//! `KEPT`): those the sync itself and the newest-first list need, and two that
//! cost less kept up than built.
//!
//! The payment-ID index goes aside too: payment IDs are random, so each commit
//! of a load rewrote most of its pages. Meanwhile payments are found by their
//! rowid, which is made from their creation time and ID (see
//! `cache::upsert_payments`).
//!
//! While they are aside, searches still work: free text and part-of-a-word
//! filters are checked on each row instead (see `cache::search_payments`).
//! What was set aside is written to `deferred_schema` in the same transaction
//! that drops it, so a crash leaves the way back on disk; opening the core or
//! starting a sync puts it back.

use std::path::{Path, PathBuf};

use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use crate::store::StoreError;

/// Indexes kept up while loading: the sync and the default list need the first
/// three. Card brand and state take a handful of values, so each page's rows
/// land on a handful of index pages; built at the end, each costs a pass over
/// the table instead.
const KEPT: [&str; 5] = [
    "payments_created",
    "payments_unfinished",
    "payments_agreement",
    "payments_brand",
    "payments_status",
];

/// Whether the search indexes are aside now (by this process or a crashed one).
pub async fn aside(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deferred_schema)")
            .fetch_one(conn)
            .await?,
    )
}

/// Drops the search indexes and full-text triggers, remembering how to make them.
pub(crate) async fn set_aside(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let mut tx = conn.begin().await?;
    let items: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT name, type, sql FROM sqlite_master
         WHERE sql IS NOT NULL AND tbl_name IN ('payments', 'payment_metadata')
           AND (type = 'trigger' OR (type = 'index' AND name NOT IN (SELECT value FROM json_each(?1))))",
    )
    .bind(serde_json::to_string(&KEPT).map_err(|e| StoreError::other(e.to_string()))?)
    .fetch_all(&mut *tx)
    .await?;
    for (name, kind, sql) in items {
        sqlx::query(
            "INSERT INTO deferred_schema (name, kind, sql) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&name)
        .bind(&kind)
        .bind(&sql)
        .execute(&mut *tx)
        .await?;
        let drop = if kind == "index" {
            "DROP INDEX"
        } else {
            "DROP TRIGGER"
        };
        sqlx::raw_sql(AssertSqlSafe(format!(
            "{drop} \"{}\"",
            name.replace('"', "\"\"")
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

// The SQL run here is the schema's own (read from sqlite_master) and names
// fixed in this file: no text from outside reaches it.

/// Builds back what was set aside, in one transaction: the indexes, the
/// full-text indexes from the table as it now is, then the triggers that keep
/// them current. Returns whether there was anything to do.
///
/// The build is SQLite computing on one thread, so the two full-text indexes
/// (the word index, the biggest part, then the part-of-a-word index) are
/// built at the same time on a second connection, each into a file of its
/// own beside the cache, and each copied in once it is ready and this
/// connection has done the rest. A copy is only taken when it is certain to be of the
/// rows this transaction sees; otherwise that index is built here as before.
///
/// What already exists is skipped (a migration may have made it again). The
/// payment-ID index is unique: while it was aside, payments were written by
/// rowid, and a payment cached before under a rowid of another scheme (an
/// older cache's numbering) may now be there twice. Then the older copy goes.
pub(crate) async fn restore(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    Ok(restore_report(conn).await? != Restored::Nothing)
}

/// What `restore` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restored {
    Nothing,
    /// Built; `on_side` when both full-text indexes were built on the side
    /// and copied in; `analysed` when the payments' statistics were gathered too.
    Built {
        on_side: bool,
        analysed: bool,
    },
}

pub(crate) async fn restore_report(conn: &mut SqliteConnection) -> Result<Restored, StoreError> {
    if !aside(conn).await? {
        return Ok(Restored::Nothing);
    }
    // No payments (a new cache, whose migrations left a trigger to make):
    // nothing worth building on the side, and no statistics to gather.
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM payments)")
        .fetch_one(&mut *conn)
        .await?;
    let side = if empty {
        None
    } else {
        side_tables(conn).await?
    };
    let Some((path, tables)) = side else {
        return restore_on(conn, None).await;
    };
    let scratch = scratch_path(&path);
    // Connections of its own, so that none has cached a full-text index's
    // structure from before the copy (FTS5 keeps it per connection and only
    // re-reads it when another connection has written).
    let mut own =
        SqliteConnection::connect_with(&crate::store::sqlite::db::connect_options(&path)?).await?;
    let done = async {
        // The build writes about 1 GB to the WAL at 1,000,000 payments: its
        // commit leaves copying that into the file to the caller (the sync
        // has another connection do it), as on the caller's own connection.
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut own)
            .await?;
        for table in &tables {
            attach_side_file(&mut own, &scratch, table.name).await?;
        }
        let apart = Apart {
            path: path.clone(),
            scratch: scratch.clone(),
            tables,
        };
        restore_on(&mut own, Some(apart)).await
    }
    .await;
    let _ = own.close().await;
    for (_, name) in SIDE_TABLES {
        remove_scratch(&side_file(&scratch, name));
    }
    done
}

/// The full-text indexes built on the side: the cache file, where their
/// files go (see `side_file`), and their definitions there.
struct Apart {
    path: PathBuf,
    scratch: PathBuf,
    tables: Vec<SideTable>,
}

/// A full-text index built on the side: its table in the cache, its name in
/// the build file, and its definition there.
struct SideTable {
    table: &'static str,
    name: &'static str,
    definition: String,
}

/// The full-text indexes a build makes on the side, in the order it makes
/// them, each with its name in its build file.
const SIDE_TABLES: [(&str, &str); 2] = [("payments_fts", "words"), ("payments_trigram", "parts")];

/// Where this build's files go (see `side_file`): beside the cache, named
/// for this build alone, so two copies of the app (or a build left running by
/// one that failed) never write the same file. (Named for the word index, the
/// first built this way.)
fn scratch_path(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let mut name = scratch_prefix(path);
    name.push(format!("{}-{nanos}", std::process::id()));
    PathBuf::from(name)
}

fn scratch_prefix(path: &Path) -> std::ffi::OsString {
    let mut name = path.as_os_str().to_owned();
    name.push("-words-");
    name
}

/// The file an index `name` is built in on the side: one each, since the
/// side goes on writing the next while this connection copies one in (and
/// so holds a read lock on its file).
fn side_file(scratch: &Path, name: &str) -> PathBuf {
    let mut file = scratch.as_os_str().to_owned();
    file.push(format!("-{name}"));
    PathBuf::from(file)
}

/// Attaches the file the index `name` is built in as `build_<name>`.
async fn attach_side_file(
    conn: &mut SqliteConnection,
    scratch: &Path,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(format!("ATTACH DATABASE ?1 AS build_{name}")))
        .bind(side_file(scratch, name).to_string_lossy().into_owned())
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes build files a crash left, once this build holds the write lock
/// (no other build is then under way; one waiting for the lock that loses
/// its files builds in place instead, see `copy_index`).
fn remove_left_over(path: &Path, ours: &Path) {
    let (Some(dir), Some(prefix)) = (path.parent(), scratch_prefix(path).into_string().ok()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let found = entry.path();
        let this_build = SIDE_TABLES
            .iter()
            .any(|&(_, name)| found == side_file(ours, name));
        if !this_build && found.to_str().is_some_and(|f| f.starts_with(&prefix)) {
            remove_scratch(&found);
        }
    }
}

/// An index built on the side, as announced: its table in the cache, its
/// name in its build file, and how many payments it holds.
type Ready = (&'static str, &'static str, i64);

/// The side build, stopped if `restore` gives up before taking its results.
/// Each index is announced on `ready` as soon as it is built.
struct SideBuild {
    task: tokio::task::JoinHandle<Result<(), StoreError>>,
    ready: tokio::sync::mpsc::UnboundedReceiver<Ready>,
}

impl Drop for SideBuild {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn remove_scratch(scratch: &Path) {
    if let Err(e) = std::fs::remove_file(scratch)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("the word index's build file could not be removed: {e}");
    }
}

/// The cache's file and the definitions, for tables that hold their own
/// copy of nothing (`content = ''`), of the full-text indexes that can be
/// built on the side: none for a cache in memory; an index defined otherwise
/// than this code knows is built in one place.
async fn side_tables(
    conn: &mut SqliteConnection,
) -> Result<Option<(PathBuf, Vec<SideTable>)>, StoreError> {
    let file: Option<String> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_optional(&mut *conn)
            .await?;
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let mut tables = Vec::new();
    for (table, name) in SIDE_TABLES {
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?1")
                .bind(table)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(definition) = sql.and_then(|sql| scratch_definition(&sql, table, name)) {
            tables.push(SideTable {
                table,
                name,
                definition,
            });
        }
    }
    Ok((!tables.is_empty()).then(|| (PathBuf::from(file), tables)))
}

const PAYMENTS_CONTENT: &str = "content = 'payments', content_rowid = 'rowid'";

/// `table`'s definition, made over into `build_<name>.<name>`: the same columns,
/// options and tokenizer (so the same index), with no content table (the
/// rows are given to it).
fn scratch_definition(sql: &str, table: &str, name: &str) -> Option<String> {
    let head = format!("CREATE VIRTUAL TABLE {table} USING fts5(");
    if sql.matches(&head).count() != 1 || sql.matches(PAYMENTS_CONTENT).count() != 1 {
        return None;
    }
    Some(
        sql.replacen(
            &head,
            &format!("CREATE VIRTUAL TABLE build_{name}.{name} USING fts5("),
            1,
        )
        .replacen(PAYMENTS_CONTENT, "content = ''", 1),
    )
}

/// A full-text index's columns, named as in `payments` (external content).
async fn index_columns(conn: &mut SqliteConnection, table: &str) -> Result<String, StoreError> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
        .bind(table)
        .fetch_all(conn)
        .await?;
    Ok(names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(", "))
}

/// Fills each of `tables` in its build file from the payments as last
/// committed, on a connection of its own, and announces it on `ready`. It is only started once `restore` holds the
/// write lock, and `restore` changes no indexed column of a payment unless it
/// must drop older copies (then the results go unused), so these are the
/// rows `restore` sees.
async fn build_side(
    path: PathBuf,
    scratch: PathBuf,
    tables: Vec<SideTable>,
    ready: tokio::sync::mpsc::UnboundedSender<Ready>,
) -> Result<(), StoreError> {
    let mut conn =
        SqliteConnection::connect_with(&crate::store::sqlite::db::connect_options(&path)?).await?;
    let built = async {
        for SideTable {
            table,
            name,
            definition,
        } in tables
        {
            attach_side_file(&mut conn, &scratch, name).await?;
            // A scratch file: if the app stops, it is made again from the start.
            sqlx::raw_sql(AssertSqlSafe(format!(
                "PRAGMA build_{name}.journal_mode = OFF; PRAGMA build_{name}.synchronous = OFF;
                 DROP TABLE IF EXISTS build_{name}.{name};"
            )))
            .execute(&mut conn)
            .await?;
            sqlx::raw_sql(AssertSqlSafe(definition))
                .execute(&mut conn)
                .await?;
            let hashsize: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT v FROM {table}_config WHERE k = 'hashsize'"
            )))
            .fetch_optional(&mut conn)
            .await?;
            if let Some(size) = hashsize {
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO build_{name}.{name} ({name}, rank) VALUES ('hashsize', ?1)"
                )))
                .bind(size)
                .execute(&mut conn)
                .await?;
            }
            let columns = index_columns(&mut conn, table).await?;
            sqlx::raw_sql(AssertSqlSafe(format!(
                "INSERT INTO build_{name}.{name} (rowid, {columns}) SELECT rowid, {columns} FROM main.payments"
            )))
            .execute(&mut conn)
            .await?;
            let held: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT count(*) FROM build_{name}.{name}_docsize"
            )))
            .fetch_one(&mut conn)
            .await?;
            // `restore` gone: nothing is waiting for the rest.
            if ready.send((table, name, held)).is_err() {
                break;
            }
        }
        Ok::<(), StoreError>(())
    }
    .await;
    let _ = conn.close().await;
    built
}

async fn restore_on(
    conn: &mut SqliteConnection,
    apart: Option<Apart>,
) -> Result<Restored, StoreError> {
    let mut tx = conn.begin().await?;
    // The write lock first, on the cache only (not on the attached build
    // file, which the other connection writes): a no-op write takes it, and
    // with it the snapshot this transaction reads.
    sqlx::query("DELETE FROM deferred_schema WHERE 0")
        .execute(&mut *tx)
        .await?;
    let items: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT kind, sql, name IN (SELECT name FROM sqlite_master) FROM deferred_schema
         ORDER BY kind = 'trigger', name",
    )
    .fetch_all(&mut *tx)
    .await?;
    if items.is_empty() {
        return Ok(Restored::Nothing);
    }
    let mut side = apart.map(|a| {
        let Apart {
            path,
            scratch,
            tables,
        } = a;
        remove_left_over(&path, &scratch);
        let (announce, ready) = tokio::sync::mpsc::unbounded_channel();
        SideBuild {
            task: tokio::spawn(build_side(path, scratch, tables, announce)),
            ready,
        }
    });
    let mut rows_changed = false;
    let missing = items.iter().filter(|(_, _, exists)| !exists);
    let (indexes, triggers): (Vec<_>, Vec<_>) = missing.partition(|(k, _, _)| k == "index");
    for (_, sql, _) in indexes {
        let mut attempt = tx.begin().await?;
        match sqlx::raw_sql(AssertSqlSafe(sql.clone()))
            .execute(&mut *attempt)
            .await
        {
            Ok(_) => attempt.commit().await?,
            Err(e) if is_duplicate_payment(&e) => {
                attempt.rollback().await?;
                drop_older_copies(&mut tx).await?;
                rows_changed = true;
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The emails the payments now hold, each once: those no payment holds
    // any longer go (a payment removed while the triggers were aside), then
    // those the load brought in are added (see `email_values` in the schema;
    // a cache opened before it has no such table yet).
    let email_values: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'email_values')",
    )
    .fetch_one(&mut *tx)
    .await?;
    if email_values {
        sqlx::raw_sql(
            "DELETE FROM email_values WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.email = email_values.value);
             INSERT OR IGNORE INTO email_values (value)
             SELECT DISTINCT email FROM payments WHERE email IS NOT NULL ORDER BY email;",
        )
        .execute(&mut *tx)
        .await?;
    }
    // Refunds written while the payment-ID index was aside left their
    // payments' totals to now (no indexed text changes: the full-text indexes
    // built on the side stay good).
    super::fill::refresh_every_refund_total(&mut tx).await?;
    // While the side builds, this connection gathers the payments'
    // statistics (their indexes are all built now), which the sync would
    // otherwise gather at its end. The refunds that follow change no indexed
    // column of a payment.
    let analysed = side.is_some();
    if analysed {
        sqlx::raw_sql("PRAGMA analysis_limit = 0; ANALYZE payments; ANALYZE payment_metadata;")
            .execute(&mut *tx)
            .await?;
    }
    // Each index built on the side is copied in as soon as it is ready, while
    // the side goes on to the next.
    let mut copied = Vec::new();
    if let Some(build) = side.as_mut() {
        while let Some((table, name, held)) = build.ready.recv().await {
            if !rows_changed && copy_index(&mut tx, table, name, held).await? {
                copied.push(table);
            }
        }
        match (&mut build.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("a full-text index could not be built on the side: {e}"),
            Err(e) => tracing::warn!("the full-text indexes' build stopped: {e}"),
        }
    }
    for (table, _) in SIDE_TABLES {
        if !copied.contains(&table) {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "INSERT INTO {table} ({table}) VALUES ('rebuild')"
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    for (_, sql, _) in triggers {
        sqlx::raw_sql(AssertSqlSafe(sql.clone()))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM deferred_schema")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Restored::Built {
        on_side: copied.len() == SIDE_TABLES.len(),
        analysed,
    })
}

/// Puts the full-text index built on the side as `name` in place of
/// `table`'s, shadow table by shadow table (the same definition makes the
/// same tables). Only when it holds one entry for each payment this
/// transaction sees (`built`, counted by the side's own connection). A build
/// file that cannot be read here (another copy of the app removed it
/// meanwhile, see `remove_left_over`) means building in place instead; any
/// other failure fails the build, whose transaction then leaves everything
/// aside as it was (a failing statement can end the transaction, and what ran
/// after it would not be undone).
async fn copy_index(
    conn: &mut SqliteConnection,
    table: &str,
    name: &str,
    built: i64,
) -> Result<bool, StoreError> {
    let payments: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&mut *conn)
        .await?;
    if built != payments {
        tracing::warn!(
            table,
            built,
            payments,
            "the full-text index built on the side is not of these payments"
        );
        return Ok(false);
    }
    // Nothing is changed before the build file is known to be readable.
    let readable = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
        "SELECT count(*) FROM build_{name}.{name}_docsize"
    )))
    .fetch_one(&mut *conn)
    .await;
    match readable {
        Ok(n) if n == built => {}
        Ok(n) => {
            tracing::warn!(
                table,
                n,
                built,
                "the full-text index's build file is not the one built"
            );
            return Ok(false);
        }
        Err(e) if e.to_string().contains("no such table") => {
            tracing::warn!(
                table,
                "the full-text index built on the side cannot be read: {e}"
            );
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    }
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DELETE FROM {table}_data; DELETE FROM {table}_idx; DELETE FROM {table}_docsize;
         INSERT INTO {table}_data (id, block) SELECT id, block FROM build_{name}.{name}_data;
         INSERT INTO {table}_idx (segid, term, pgno) SELECT segid, term, pgno FROM build_{name}.{name}_idx;
         INSERT INTO {table}_docsize (id, sz) SELECT id, sz FROM build_{name}.{name}_docsize;"
    )))
    .execute(conn)
    .await?;
    Ok(true)
}

fn is_duplicate_payment(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        d.message()
            .contains("UNIQUE constraint failed: payments.service_id, payments.payment_id")
    })
}

/// Keeps one row for each payment: the one fetched last (its metadata goes
/// with the others, by the foreign key's cascade).
async fn drop_older_copies(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM payments WHERE rowid IN (
            SELECT rowid FROM (
                SELECT rowid, row_number() OVER (
                    PARTITION BY service_id, payment_id ORDER BY fetched_ms DESC, rowid DESC) AS n
                FROM payments)
            WHERE n > 1)",
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::db;

    async fn schema(conn: &mut SqliteConnection) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('payments', 'payment_metadata')
             AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(conn)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn what_is_set_aside_comes_back_exactly_and_the_full_text_matches_the_rows() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        let before = schema(&mut conn).await;
        let insert = |id: &str, email: &str| {
            sqlx::query(
                "INSERT INTO payments (service_id, payment_id, amount, reference, description, status, finished,
                    created_ms, created_date, cardholder_name, email, fetched_ms)
                 VALUES ('s', ?1, 100, 'PRK-1', 'Parking permit', 'success', 1, 1, 'x', 'Ada Lovelace', ?2, 0)",
            )
            .bind(id.to_owned())
            .bind(email.to_owned())
        };
        insert("p0", "gone@example.org")
            .execute(&mut *conn)
            .await
            .unwrap();
        assert_eq!(email_values(&mut conn, "gone").await, ["gone@example.org"]);

        set_aside(&mut conn).await.unwrap();
        assert!(aside(&mut conn).await.unwrap());
        let during = schema(&mut conn).await;
        let names: Vec<&str> = during.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"payments_created"), "{names:?}");
        assert!(!names.contains(&"payments_reference"), "{names:?}");
        assert!(
            !names.iter().any(|n| n.starts_with("payments_fts_")),
            "{names:?}"
        );
        // Setting aside twice (a second sync joining) changes nothing.
        set_aside(&mut conn).await.unwrap();

        // Rows written while aside reach the full-text index when it is
        // rebuilt; one removed takes its address with it then.
        sqlx::query("DELETE FROM payments WHERE payment_id = 'p0'")
            .execute(&mut *conn)
            .await
            .unwrap();
        insert("p1", "ada@example.org")
            .execute(&mut *conn)
            .await
            .unwrap();
        // Built with the word index made on the side and copied in.
        assert_eq!(restore_report(&mut conn).await.unwrap(), ON_THE_SIDE);
        assert!(!aside(&mut conn).await.unwrap());
        assert_eq!(schema(&mut conn).await, before);
        // The payments' statistics were gathered with the build.
        let analysed: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT idx FROM sqlite_stat1 WHERE tbl = 'payments' ORDER BY idx",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert!(
            analysed.contains(&"payments_payment_id".to_owned())
                && analysed.contains(&"payments_reference".to_owned()),
            "{analysed:?}"
        );
        let words: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH 'lovelace'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let parts: i64 =
            sqlx::query_scalar("SELECT count(*) FROM payments_trigram WHERE email LIKE '%a@exam%'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!((words, parts), (1, 1));
        // Its address is among the distinct emails, found by a part; the
        // removed payment's is gone.
        assert_eq!(email_values(&mut conn, "A@EXAM").await, ["ada@example.org"]);
        assert_eq!(
            email_values(&mut conn, "example").await,
            ["ada@example.org"]
        );
        db::testing::assert_full_text_sound(&mut conn).await;
        // The triggers are back: a later change reaches the indexes.
        sqlx::query(
            "UPDATE payments SET cardholder_name = 'Grace Hopper', email = 'grace@example.org'
             WHERE payment_id = 'p1'",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        let words: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH 'hopper'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(words, 1);
        assert_eq!(
            email_values(&mut conn, "example").await,
            ["grace@example.org"]
        );
        // Nothing left to do the second time.
        assert!(!restore(&mut conn).await.unwrap());
    }

    /// A build whose full-text indexes were made on the side and copied in,
    /// with the payments' statistics gathered meanwhile.
    const ON_THE_SIDE: Restored = Restored::Built {
        on_side: true,
        analysed: true,
    };

    /// The distinct emails holding `part`, from their own trigram index.
    async fn email_values(conn: &mut SqliteConnection, part: &str) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT value FROM email_values_trigram WHERE email_values_trigram MATCH ?1 ORDER BY value",
        )
        .bind(format!("\"{part}\""))
        .fetch_all(conn)
        .await
        .unwrap()
    }

    async fn add_payment(
        conn: &mut SqliteConnection,
        rowid: i64,
        id: &str,
        holder: &str,
        fetched: i64,
    ) {
        sqlx::query(
            "INSERT INTO payments (rowid, service_id, payment_id, amount, reference, description, status, finished,
                created_ms, created_date, cardholder_name, email, fetched_ms)
             VALUES (?1, 's', ?2, 100, 'PRK-' || ?1, 'Parking permit', 'success', 1, 1, 'x', ?3, 'a@example.org', ?4)",
        )
        .bind(rowid)
        .bind(id)
        .bind(holder)
        .bind(fetched)
        .execute(&mut *conn)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_build_file_left_by_a_crash_is_removed_and_the_build_done_afresh() {
        let (dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        set_aside(&mut conn).await.unwrap();
        for n in 1..=300 {
            add_payment(
                &mut conn,
                n,
                &format!("p{n}"),
                &format!("Holder{n} Smith"),
                0,
            )
            .await;
        }
        let mut left = scratch_prefix(&dir.path().join(db::FILE_NAME));
        left.push("4242-1");
        let scratch = PathBuf::from(left);
        std::fs::write(
            &scratch,
            b"not a database, as a crash mid-write might leave",
        )
        .unwrap();
        assert_eq!(restore_report(&mut conn).await.unwrap(), ON_THE_SIDE);
        // Neither it nor this build's file is left.
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("-words"))
            .collect();
        assert!(files.is_empty(), "{files:?}");
        db::testing::assert_full_text_sound(&mut conn).await;
        assert_eq!(
            (
                db::testing::word_matches(&mut *conn, "smith").await.len(),
                db::testing::word_matches(&mut *conn, "holder17")
                    .await
                    .len()
            ),
            (300, 1)
        );
    }

    #[tokio::test]
    async fn with_older_copies_to_drop_the_word_index_is_built_in_place_of_the_copy() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        set_aside(&mut conn).await.unwrap();
        // The same payment under two rowids, as an older numbering can leave it.
        add_payment(&mut conn, 10, "p1", "Old Name", 1).await;
        add_payment(&mut conn, 20, "p1", "New Name", 2).await;
        add_payment(&mut conn, 30, "p2", "Other Name", 1).await;
        // The copy built on the side holds both rows of p1: it must not be used.
        assert_eq!(
            restore_report(&mut conn).await.unwrap(),
            Restored::Built {
                on_side: false,
                analysed: true
            }
        );
        db::testing::assert_full_text_sound(&mut conn).await;
        assert_eq!(
            (
                db::testing::word_matches(&mut *conn, "old").await.len(),
                db::testing::word_matches(&mut *conn, "new").await.len()
            ),
            (0, 1)
        );
    }

    /// The build file gone (another copy of the app removed it, and ATTACH
    /// made an empty one): the copy is refused before anything is changed,
    /// and the transaction goes on to build in place.
    #[tokio::test]
    async fn a_build_file_without_its_tables_is_refused_with_nothing_changed() {
        let (dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        add_payment(&mut conn, 1, "p1", "Ada Lovelace", 0).await;
        drop(conn);
        let path = dir.path().join(db::FILE_NAME);
        let mut own = SqliteConnection::connect_with(&db::connect_options(&path).unwrap())
            .await
            .unwrap();
        sqlx::query("ATTACH DATABASE ?1 AS build_words")
            .bind(dir.path().join("empty").to_string_lossy().into_owned())
            .execute(&mut own)
            .await
            .unwrap();
        const BLOCKS: &str = "SELECT count(*) FROM payments_fts_data";
        let before: i64 = sqlx::query_scalar(BLOCKS)
            .fetch_one(&mut own)
            .await
            .unwrap();
        let mut tx = own.begin().await.unwrap();
        // A count that is not of these payments is refused too.
        assert!(
            !copy_index(&mut tx, "payments_fts", "words", 2)
                .await
                .unwrap()
        );
        assert!(
            !copy_index(&mut tx, "payments_fts", "words", 1)
                .await
                .unwrap()
        );
        sqlx::raw_sql("INSERT INTO payments_fts (payments_fts) VALUES ('rebuild')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(before > 0);
        let after: i64 = sqlx::query_scalar(BLOCKS)
            .fetch_one(&mut own)
            .await
            .unwrap();
        assert_eq!(after, before);
        assert_eq!(
            db::testing::word_matches(&mut own, "lovelace").await.len(),
            1
        );
    }

    /// What the build on the side relies on: a write that changes nothing
    /// still takes the cache's write lock, so no other connection can change
    /// the payments between the two connections' reads.
    #[tokio::test]
    async fn a_write_that_changes_nothing_takes_the_write_lock() {
        let (dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("DELETE FROM deferred_schema WHERE 0")
            .execute(&mut *tx)
            .await
            .unwrap();
        let options = db::connect_options(&dir.path().join(db::FILE_NAME))
            .unwrap()
            .busy_timeout(std::time::Duration::ZERO);
        let mut other = SqliteConnection::connect_with(&options).await.unwrap();
        let err = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
        tx.rollback().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    }

    #[tokio::test]
    async fn what_was_made_again_meanwhile_is_skipped_and_the_rest_is_built() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        let before = schema(&mut conn).await;
        set_aside(&mut conn).await.unwrap();
        // As a migration run between a crash and the restore might.
        sqlx::raw_sql(
            "CREATE INDEX payments_reference ON payments (service_id, reference COLLATE NOCASE);
             CREATE TRIGGER payments_fts_insert AFTER INSERT ON payments BEGIN
                 INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text, search_more)
                 VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text, new.search_more);
             END;",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        assert!(restore(&mut conn).await.unwrap());
        let after: Vec<String> = schema(&mut conn)
            .await
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let names: Vec<String> = before.into_iter().map(|(n, _)| n).collect();
        assert_eq!(after, names);
        assert!(!aside(&mut conn).await.unwrap());
    }
}
