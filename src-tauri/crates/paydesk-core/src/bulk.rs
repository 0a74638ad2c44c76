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

use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use crate::error::CoreError;

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

/// The full-text tables built from `payments` (external content).
const FULL_TEXT: [&str; 2] = ["payments_fts", "payments_trigram"];

/// Whether the search indexes are aside now (by this process or a crashed one).
pub async fn aside(conn: &mut SqliteConnection) -> Result<bool, CoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deferred_schema)")
            .fetch_one(conn)
            .await?,
    )
}

/// Drops the search indexes and full-text triggers, remembering how to make them.
pub(crate) async fn set_aside(conn: &mut SqliteConnection) -> Result<(), CoreError> {
    let mut tx = conn.begin().await?;
    let items: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT name, type, sql FROM sqlite_master
         WHERE sql IS NOT NULL AND tbl_name IN ('payments', 'payment_metadata')
           AND (type = 'trigger' OR (type = 'index' AND name NOT IN (SELECT value FROM json_each(?1))))",
    )
    .bind(serde_json::to_string(&KEPT).map_err(|e| CoreError::Storage(e.to_string()))?)
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
/// What already exists is skipped (a migration may have made it again). The
/// payment-ID index is unique: while it was aside, payments were written by
/// rowid, and a payment cached before under a rowid of another scheme (an
/// older cache's numbering) may now be there twice. Then the older copy goes.
pub(crate) async fn restore(conn: &mut SqliteConnection) -> Result<bool, CoreError> {
    let mut tx = conn.begin().await?;
    let items: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT kind, sql, name IN (SELECT name FROM sqlite_master) FROM deferred_schema
         ORDER BY kind = 'trigger', name",
    )
    .fetch_all(&mut *tx)
    .await?;
    if items.is_empty() {
        return Ok(false);
    }
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
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for table in FULL_TEXT {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "INSERT INTO {table} ({table}) VALUES ('rebuild')"
        )))
        .execute(&mut *tx)
        .await?;
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
async fn drop_older_copies(conn: &mut SqliteConnection) -> Result<(), CoreError> {
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
    use crate::db;

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

        // Rows written while aside reach the full-text index when it is rebuilt.
        sqlx::query(
            "INSERT INTO payments (service_id, payment_id, amount, reference, description, status, finished,
                created_ms, created_date, cardholder_name, email, fetched_ms)
             VALUES ('s', 'p1', 100, 'PRK-1', 'Parking permit', 'success', 1, 1, 'x', 'Ada Lovelace', 'ada@example.org', 0)",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        assert!(restore(&mut conn).await.unwrap());
        assert!(!aside(&mut conn).await.unwrap());
        assert_eq!(schema(&mut conn).await, before);
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
        for table in FULL_TEXT {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "INSERT INTO {table} ({table}) VALUES ('integrity-check')"
            )))
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        // The triggers are back: a later change reaches the index.
        sqlx::query("UPDATE payments SET cardholder_name = 'Grace Hopper' WHERE payment_id = 'p1'")
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
        // Nothing left to do the second time.
        assert!(!restore(&mut conn).await.unwrap());
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
                 INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
                 VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
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
