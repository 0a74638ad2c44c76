//! What only the team's administrator does: set the team up, add services,
//! add and remove staff logins and set their roles. Each change and its
//! audit row are one transaction, appended under the chain's lock.

use sqlx::{PgConnection, Postgres, Transaction};

use super::PgStore;
use super::audit::{append_in, lock_chain};
use crate::store::audit::{AuditRow, Sealer};
use crate::store::{StoreError, StoreErrorKind, now_text};

/// A person on the staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub login: String,
    pub name: String,
    /// (service name, role) for each service they have a role on.
    pub roles: Vec<(String, String)>,
}

/// One change by the administrator, kept with its audit row or not at all.
pub struct AdminChange {
    tx: Transaction<'static, Postgres>,
}

impl AdminChange {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Appends the change's audit row and keeps both.
    pub async fn commit(mut self, row: AuditRow, seal: Sealer<'_>) -> Result<i64, StoreError> {
        lock_chain(self.conn()).await?;
        let (seq, _) = append_in(self.conn(), row, seal).await?;
        self.tx.commit().await?;
        Ok(seq)
    }

    pub async fn set_up_team(&mut self, name: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO team (name, created_at) VALUES ($1, $2)
             ON CONFLICT (one) DO UPDATE SET name = excluded.name",
        )
        .bind(name)
        .bind(now_text())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn add_service(
        &mut self,
        id: &str,
        name: &str,
        base_url: &str,
        environment: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO services (id, name, base_url, environment, role, created_at)
             VALUES ($1, $2, $3, $4, 'caseworker', $5)",
        )
        .bind(id)
        .bind(name)
        .bind(base_url)
        .bind(environment)
        .bind(now_text())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Makes the login (with a password verifier, never the password itself:
    /// nothing the server logs holds it), lets it work as staff, and puts it
    /// on the staff list. A login that exists already is given the rights
    /// and its password is left alone.
    pub async fn add_staff(
        &mut self,
        login: &str,
        name: &str,
        verifier: &str,
    ) -> Result<(), StoreError> {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(login)
                .fetch_one(self.conn())
                .await?;
        let statements = if exists {
            vec![("SELECT format('ALTER ROLE %I LOGIN', $1::text)", None)]
        } else {
            vec![(
                "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
                Some(verifier),
            )]
        };
        for (build, verifier) in statements
            .into_iter()
            .chain([("SELECT format('GRANT paydesk_staff TO %I', $1::text)", None)])
        {
            self.run_built(build, login, verifier).await?;
        }
        sqlx::query("INSERT INTO staff (login, name, added_at) VALUES ($1, $2, $3)")
            .bind(login)
            .bind(name)
            .bind(now_text())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Sets a person's role on a service (replacing the one they had).
    pub async fn set_role(
        &mut self,
        login: &str,
        service_id: &str,
        role: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO staff_roles (login, service_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (login, service_id) DO UPDATE SET role = excluded.role",
        )
        .bind(login)
        .bind(service_id)
        .bind(role)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Takes a person off the staff list: their roles go, and their login
    /// may no longer sign in. The login itself stays (the record names it).
    pub async fn remove_staff(&mut self, login: &str) -> Result<bool, StoreError> {
        let gone = sqlx::query("DELETE FROM staff WHERE login = $1")
            .bind(login)
            .execute(self.conn())
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        for build in [
            "SELECT format('REVOKE paydesk_staff FROM %I', $1::text)",
            "SELECT format('ALTER ROLE %I NOLOGIN', $1::text)",
        ] {
            self.run_built(build, login, None).await?;
        }
        Ok(true)
    }

    /// Runs a statement PostgreSQL itself built with the login quoted as an
    /// identifier (and the verifier as a literal): such statements take no
    /// parameters of their own.
    async fn run_built(
        &mut self,
        build: &'static str,
        login: &str,
        verifier: Option<&str>,
    ) -> Result<(), StoreError> {
        let statement: String = sqlx::query_scalar(sqlx::AssertSqlSafe(build))
            .bind(login)
            .bind(verifier)
            .fetch_one(self.conn())
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl PgStore {
    /// Whether the signed-in login may administer the team: it owns the
    /// staff list (and so every table).
    pub async fn is_team_administrator(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables
             WHERE schemaname = current_schema() AND tablename = 'staff'",
        )
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(false))
    }

    pub async fn begin_admin_change(&self) -> Result<AdminChange, StoreError> {
        Ok(AdminChange {
            tx: self.pool.begin().await?,
        })
    }

    pub async fn team_name(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT name FROM team")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The staff list, by name.
    pub async fn staff_list(&self) -> Result<Vec<StaffRecord>, StoreError> {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT st.login, st.name, s.name, r.role FROM staff st
             LEFT JOIN staff_roles r ON r.login = st.login
             LEFT JOIN services s ON s.id = r.service_id
             ORDER BY st.name COLLATE \"C\", st.login COLLATE \"C\", s.name COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<StaffRecord> = Vec::new();
        for (login, name, service, role) in rows {
            if out.last().is_none_or(|l| l.login != login) {
                out.push(StaffRecord {
                    login: login.clone(),
                    name,
                    roles: Vec::new(),
                });
            }
            if let (Some(service), Some(role), Some(last)) = (service, role, out.last_mut()) {
                last.roles.push((service, role));
            }
        }
        Ok(out)
    }

    /// A service's ID by its name (in any case).
    pub async fn service_id_named(&self, name: &str) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT id FROM services WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound, "That service"))
    }
}
