//! Who is using this desktop. Paydesk asks for the staff member's name on first
//! start and records it on every audit row, case note, telephone payment and
//! refund. There is no anonymous fallback: an action without a name is refused.
//! Changing the name is itself written to the audit trail.

use serde::Serialize;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{AuditAttempt, Phase};
use crate::error::{CoreError, FieldError};

const NAME_KEY: &str = "operator_name";
const MAX_NAME: usize = 100;

/// The name this desktop records, and what to offer when there is none yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StaffView {
    /// `None` until the staff member has said who they are.
    pub name: Option<String>,
    /// The operating system account's full name, to prefill the question.
    pub suggested: String,
    /// The name is the team's staff list's (on a team's database): only the
    /// team's administrator changes it.
    pub from_team: bool,
}

fn missing_name() -> CoreError {
    CoreError::Validation(vec![FieldError::new(
        "staffName",
        "Enter your name before doing anything with payments: Paydesk records who did what",
    )])
}

impl Core {
    pub async fn staff(&self) -> Result<StaffView, CoreError> {
        Ok(StaffView {
            name: self.staff_name().await?,
            suggested: os_full_name().unwrap_or_default(),
            from_team: self.store().team_mode(),
        })
    }

    async fn staff_name(&self) -> Result<Option<String>, CoreError> {
        // On a team's database the staff list names whoever signed in.
        if self.store().team_mode() {
            return Ok(self.store().team_member().map(|m| m.name.clone()));
        }
        let name = self.store().setting(NAME_KEY).await?;
        Ok(name.filter(|n| !n.trim().is_empty()))
    }

    /// The name recorded as "who" on everything this desktop does. Refused
    /// until a name has been given.
    pub async fn operator(&self) -> Result<String, CoreError> {
        self.staff_name().await?.ok_or_else(missing_name)
    }

    /// Sets (or changes) the staff name, and records the change.
    pub async fn set_operator(&self, name: &str) -> Result<StaffView, CoreError> {
        if self.store().team_mode() {
            return Err(CoreError::Forbidden(
                "Your name comes from the team's staff list: ask the team's administrator to change it"
                    .into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(CoreError::Validation(vec![FieldError::new(
                "staffName",
                "Enter your name",
            )]));
        }
        if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(CoreError::Validation(vec![FieldError::new(
                "staffName",
                "Enter your name in 100 characters or fewer, on one line",
            )]));
        }
        let before = self.staff_name().await?;
        if before.as_deref() != Some(name) {
            self.store().set_setting(NAME_KEY, name).await?;
            let detail = match &before {
                None => format!("staff name set to {name}"),
                Some(old) => format!("staff name changed from {old} to {name}"),
            };
            let row = AuditAttempt {
                action: "staff_name",
                detail,
                ..AuditAttempt::default()
            };
            self.audit_append(&row, Phase::Succeeded, None, None, "")
                .await?;
        }
        self.staff().await
    }
}

/// The full name of the operating system account running Paydesk, if it has one.
fn os_full_name() -> Option<String> {
    #[cfg(unix)]
    {
        // The account is found by its uid (environment variables may be cleared
        // by whatever started Paydesk), then by the login name.
        let uid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
            });
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let entry = passwd.lines().find_map(|l| {
            let fields: Vec<&str> = l.split(':').collect();
            let (login, id, gecos) = (fields.first()?, fields.get(2)?, fields.get(4)?);
            let mine =
                uid.as_deref() == Some(*id) || (uid.is_none() && user.as_deref() == Some(*login));
            mine.then(|| (login.to_string(), gecos.to_string()))
        });
        let full = entry.map(|(login, gecos)| {
            let name = gecos.split(',').next().unwrap_or("").trim();
            if name.is_empty() {
                login
            } else {
                name.to_owned()
            }
        });
        full.or(user).filter(|n| !n.trim().is_empty())
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").ok().filter(|n| !n.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::Core;
    use crate::activity::audit::AuditQuery;
    use crate::error::CoreError;
    use crate::keys::MemoryKeyStore;

    async fn fresh() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), Arc::new(MemoryKeyStore::default()))
            .await
            .unwrap();
        (dir, core)
    }

    #[tokio::test]
    async fn nothing_is_recorded_without_a_name() {
        let (_dir, core) = fresh().await;
        assert_eq!(core.staff().await.unwrap().name, None);
        match core.operator().await {
            Err(CoreError::Validation(f)) => assert_eq!(f[0].field, "staffName"),
            other => panic!("{other:?}"),
        }
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            match core.set_operator(bad).await {
                Err(CoreError::Validation(f)) => assert_eq!(f[0].field, "staffName", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(core.staff().await.unwrap().name, None);
    }

    #[tokio::test]
    async fn the_name_and_each_change_of_it_are_audited() {
        let (_dir, core) = fresh().await;
        let view = core.set_operator("  Priya Shah ").await.unwrap();
        assert_eq!(view.name.as_deref(), Some("Priya Shah"));
        assert_eq!(core.operator().await.unwrap(), "Priya Shah");
        // The same name again changes nothing and records nothing.
        core.set_operator("Priya Shah").await.unwrap();
        core.set_operator("Priya Shah-Jones").await.unwrap();
        assert!(
            !core.staff().await.unwrap().suggested.is_empty(),
            "the account running the tests has a name to offer"
        );
        let rows = core
            .store()
            .audit_list(&AuditQuery::default())
            .await
            .unwrap();
        let seen: Vec<_> = rows
            .iter()
            .map(|r| (r.operator.as_str(), r.action.as_str(), r.detail.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "Priya Shah-Jones",
                    "staff_name",
                    "staff name changed from Priya Shah to Priya Shah-Jones"
                ),
                ("Priya Shah", "staff_name", "staff name set to Priya Shah"),
            ]
        );
        assert!(core.audit_verify().await.unwrap().intact);
        // Desktop-wide rows show in every service's activity.
        let q = AuditQuery {
            service_id: Some("any-service".into()),
            ..AuditQuery::default()
        };
        assert_eq!(core.store().audit_list(&q).await.unwrap().len(), 2);
    }
}
