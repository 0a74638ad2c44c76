use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::store::rows::{all, service_record};
use crate::store::services::{ServiceRecord, ServiceStore};
use crate::store::{Pending, StoreError, now_text};

/// A service's columns; the role is the signed-in person's own on a team's
/// database (from the staff list), the desktop's otherwise.
const COLUMNS: &str = "id, name, base_url, environment, sandbox, seal,
    coalesce((SELECT r.role FROM staff_roles r WHERE r.login = current_user AND r.service_id = id), role) AS role";

struct PendingTx(Transaction<'static, Postgres>);

#[async_trait]
impl Pending for PendingTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

#[async_trait]
impl ServiceStore for PgStore {
    async fn services(&self) -> Result<Vec<ServiceRecord>, StoreError> {
        // lower(): SQLite's NOCASE, which folds ASCII letters only; the names'
        // order is the same for the names staff give services.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM services ORDER BY sandbox DESC, lower(name) COLLATE \"C\", name COLLATE \"C\""
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, service_record)?)
    }

    async fn service(&self, id: &str) -> Result<Option<ServiceRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM services WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(service_record).transpose()?)
    }

    async fn service_name_taken(&self, name: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM services WHERE lower(name) = lower($1))",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn service_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM services")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn service_add(&self, s: &ServiceRecord) -> Result<Box<dyn Pending>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO services (id, name, base_url, environment, role, created_at, sandbox, seal)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.name)
        .bind(&s.base_url)
        .bind(&s.environment)
        .bind(&s.role)
        .bind(now_text())
        .bind(s.sandbox)
        .bind(&s.seal)
        .execute(&mut *tx)
        .await?;
        Ok(Box::new(PendingTx(tx)))
    }

    async fn sandbox_id(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM services WHERE sandbox")
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn sandbox_put(&self, s: &ServiceRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO services (id, name, base_url, environment, role, created_at, sandbox, seal)
             VALUES ($1, $2, $3, 'test', 'supervisor', $4, true, $5)
             ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, environment = 'test',
                role = 'supervisor', seal = excluded.seal",
        )
        .bind(&s.id)
        .bind(&s.name)
        .bind(&s.base_url)
        .bind(now_text())
        .bind(&s.seal)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn service_remove(&self, id: &str) -> Result<bool, StoreError> {
        let gone = sqlx::query("DELETE FROM services WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(gone > 0)
    }
}
