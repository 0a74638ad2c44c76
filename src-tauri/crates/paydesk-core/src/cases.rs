//! Cases: staff group a citizen's payments under a case reference and keep notes.

use serde::Serialize;
use sqlx::Row;
use ts_rs::TS;

use crate::Core;
use crate::error::{CoreError, FieldError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseNote {
    #[ts(type = "number")]
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseView {
    pub id: String,
    pub service_id: String,
    pub reference: String,
    pub title: String,
    pub created_at: String,
    pub payment_ids: Vec<String>,
    pub notes: Vec<CaseNote>,
}

fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Core {
    /// Opens a case (or returns the existing one with that reference).
    pub async fn case_open(
        &self,
        service_id: &str,
        reference: &str,
        title: &str,
    ) -> Result<CaseView, CoreError> {
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().count() > 100 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "caseReference",
                "Enter a case reference of 100 characters or fewer",
            )]));
        }
        self.service(service_id).await?;
        sqlx::query("INSERT INTO cases (id, service_id, reference, title, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (service_id, reference) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(service_id)
            .bind(reference)
            .bind(title.trim())
            .bind(now_text())
            .execute(self.pool())
            .await?;
        let id: String =
            sqlx::query_scalar("SELECT id FROM cases WHERE service_id = ?1 AND reference = ?2")
                .bind(service_id)
                .bind(reference)
                .fetch_one(self.pool())
                .await?;
        self.case_get(&id).await
    }

    pub async fn case_get(&self, case_id: &str) -> Result<CaseView, CoreError> {
        let row = sqlx::query(
            "SELECT id, service_id, reference, title, created_at FROM cases WHERE id = ?1",
        )
        .bind(case_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound("That case".into()))?;
        let payment_ids = sqlx::query_scalar(
            "SELECT payment_id FROM case_payments WHERE case_id = ?1 ORDER BY added_at",
        )
        .bind(case_id)
        .fetch_all(self.pool())
        .await?;
        let notes = sqlx::query(
            "SELECT id, author, body, created_at FROM case_notes WHERE case_id = ?1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(CaseNote {
                id: r.try_get("id")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(CaseView {
            id: row.try_get("id")?,
            service_id: row.try_get("service_id")?,
            reference: row.try_get("reference")?,
            title: row.try_get("title")?,
            created_at: row.try_get("created_at")?,
            payment_ids,
            notes,
        })
    }

    /// Puts a payment in a case. A payment belongs to one case at most.
    pub async fn case_add_payment(
        &self,
        case_id: &str,
        payment_id: &str,
    ) -> Result<CaseView, CoreError> {
        let case = self.case_get(case_id).await?;
        if let Some(other) = self.case_for_payment(&case.service_id, payment_id).await?
            && other.id != case.id
        {
            return Err(CoreError::Conflict {
                message: format!("This payment is already in case {}.", other.reference),
                pay_code: None,
            });
        }
        sqlx::query("INSERT INTO case_payments (case_id, service_id, payment_id, added_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
            .bind(case_id)
            .bind(&case.service_id)
            .bind(payment_id)
            .bind(now_text())
            .execute(self.pool())
            .await?;
        self.case_get(case_id).await
    }

    pub async fn case_add_note(&self, case_id: &str, body: &str) -> Result<CaseView, CoreError> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 5000 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "note",
                "Enter a note of 5,000 characters or fewer",
            )]));
        }
        self.case_get(case_id).await?;
        sqlx::query(
            "INSERT INTO case_notes (case_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(case_id)
        .bind(self.operator().await?)
        .bind(body)
        .bind(now_text())
        .execute(self.pool())
        .await?;
        self.case_get(case_id).await
    }

    /// The case a payment belongs to, if any.
    pub async fn case_for_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<CaseView>, CoreError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT case_id FROM case_payments WHERE service_id = ?1 AND payment_id = ?2",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_optional(self.pool())
        .await?;
        match id {
            Some(id) => self.case_get(&id).await.map(Some),
            None => Ok(None),
        }
    }

    /// A case by its reference.
    pub async fn case_find(
        &self,
        service_id: &str,
        reference: &str,
    ) -> Result<Option<CaseView>, CoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM cases WHERE service_id = ?1 AND reference = ?2")
                .bind(service_id)
                .bind(reference.trim())
                .fetch_optional(self.pool())
                .await?;
        match id {
            Some(id) => self.case_get(&id).await.map(Some),
            None => Ok(None),
        }
    }
}
