use super::PgStore;
use crate::store::rows::{Columns, all, case_note, case_summary};
use crate::store::{CaseStore, CaseSummary, CaseView, StoreError, now_text};
use async_trait::async_trait;

#[async_trait]
impl CaseStore for PgStore {
    async fn case_list(
        &self,
        service_id: &str,
        reference: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = sqlx::query(
            r#"SELECT c.id, c.reference, c.title, c.created_at,
                    (SELECT count(*) FROM case_payments p WHERE p.case_id = c.id) AS payment_count,
                    (SELECT count(*) FROM case_notes n WHERE n.case_id = c.id) AS note_count,
                    greatest(c.created_at COLLATE "C",
                        coalesce((SELECT max(p.added_at COLLATE "C") FROM case_payments p WHERE p.case_id = c.id), ''),
                        coalesce((SELECT max(n.created_at COLLATE "C") FROM case_notes n WHERE n.case_id = c.id), ''))
                        AS last_activity_at
             FROM cases c
             WHERE c.service_id = $1 AND ($2::text IS NULL OR strpos(lower(c.reference), lower($2::text)) > 0)
             ORDER BY last_activity_at DESC, c.reference COLLATE "C"
             LIMIT $3"#,
        )
        .bind(service_id)
        .bind(reference)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, case_summary)?)
    }
    async fn case_open(
        &self,
        service_id: &str,
        reference: &str,
        title: &str,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO cases (id, service_id, reference, title, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service_id, reference) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(service_id)
        .bind(reference)
        .bind(title)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT id FROM cases WHERE service_id = $1 AND reference = $2")
                .bind(service_id)
                .bind(reference)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn case(&self, case_id: &str) -> Result<Option<CaseView>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT id, service_id, reference, title, created_at FROM cases WHERE id = $1",
        )
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let payment_ids = sqlx::query_scalar(
            "SELECT payment_id FROM case_payments WHERE case_id = $1 ORDER BY added_at, added_seq",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        let notes = sqlx::query(
            "SELECT id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        let notes = all(&notes, case_note)?;
        Ok(Some(CaseView {
            id: row.text("id")?,
            service_id: row.text("service_id")?,
            reference: row.text("reference")?,
            title: row.text("title")?,
            created_at: row.text("created_at")?,
            payment_ids,
            notes,
        }))
    }

    async fn case_by_reference(
        &self,
        service_id: &str,
        reference: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM cases WHERE service_id = $1 AND reference = $2")
                .bind(service_id)
                .bind(reference)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn case_of_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT case_id FROM case_payments WHERE service_id = $1 AND payment_id = $2",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn case_add_payment(
        &self,
        case_id: &str,
        service_id: &str,
        payment_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO case_payments (case_id, service_id, payment_id, added_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(case_id)
        .bind(service_id)
        .bind(payment_id)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn case_add_note(
        &self,
        case_id: &str,
        author: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO case_notes (case_id, author, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(case_id)
        .bind(author)
        .bind(body)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
