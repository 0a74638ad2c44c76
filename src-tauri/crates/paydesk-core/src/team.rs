//! Team mode's administration: what the team's administrator does to a
//! team's PostgreSQL database (the `paydesk-team` command). The staff list
//! is the only source of each person's name and role on a team's database;
//! staff logins can read it, never change it (the database refuses).
//! Every change is written to the team's audit record with the change.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::activity::audit::{AuditAttempt, legacy_hash, new_row};
use crate::approvals::{ApprovalRulesInput, rules_detail, rules_summary};
use crate::error::{CoreError, FieldError};
use crate::roles::Role;
use crate::seal::blocking;
use crate::services::{Environment, check_base_url};
use crate::store::audit::Phase;
use crate::store::postgres::admin::{AdminChange, StaffRecord};
use crate::store::postgres::{self, PgStore};
use crate::store::{ApprovalStore, AuditStore, Lifecycle, StoreErrorKind};

pub use crate::store::postgres::admin::StaffRecord as StaffMember;

/// The shortest password a staff login is given.
const MIN_PASSWORD: usize = 12;

/// The team's administrator, signed in to the team database.
pub struct TeamAdmin {
    store: PgStore,
}

fn field(name: &str, message: &str) -> CoreError {
    CoreError::Validation(vec![FieldError::new(name, message)])
}

/// A login as PostgreSQL will keep it: lower-case letters, digits and `_`,
/// starting with a letter, at most 63 characters, and not one of the
/// server's own (`pg_...`).
fn check_login(login: &str) -> Result<&str, CoreError> {
    let ok = (1..=63).contains(&login.len())
        && login.starts_with(|c: char| c.is_ascii_lowercase())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !login.starts_with("pg_")
        && login != "paydesk_staff";
    if ok {
        Ok(login)
    } else {
        Err(field(
            "login",
            "Enter a login of lower-case letters, digits and _, starting with a letter (at most 63)",
        ))
    }
}

fn check_name(name: &str) -> Result<&str, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(field(
            "name",
            "Enter the person's name in 100 characters or fewer, on one line",
        ));
    }
    Ok(name)
}

/// PostgreSQL's SCRAM-SHA-256 verifier for a password (RFC 5802, RFC 7677):
/// what the server keeps instead of the password, made here so the password
/// itself never reaches the server or its logs.
fn scram_verifier(password: &str) -> Result<String, CoreError> {
    const ITERATIONS: u32 = 4096;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| {
        CoreError::Keyring("the system could not give random bytes for a password".into())
    })?;
    let hmac = |key: &[u8], data: &[&[u8]]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
        for d in data {
            m.update(d);
        }
        m.finalize().into_bytes()
    };
    // PBKDF2-HMAC-SHA-256, one block of 32 bytes.
    let mut u = hmac(password.as_bytes(), &[&salt, &1u32.to_be_bytes()]);
    let mut salted = Zeroizing::new(u.to_vec());
    for _ in 1..ITERATIONS {
        u = hmac(password.as_bytes(), &[&u]);
        for (s, x) in salted.iter_mut().zip(u.iter()) {
            *s ^= x;
        }
    }
    let client_key = hmac(&salted, &[b"Client Key"]);
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, &[b"Server Key"]);
    Ok(format!(
        "SCRAM-SHA-256${ITERATIONS}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    ))
}

impl TeamAdmin {
    /// Signs in to the team database at `url` (as its administrator: the
    /// owner of its tables) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, CoreError> {
        let store = postgres::set_up(url).await?;
        if !store.is_team_administrator().await? {
            store.close().await;
            return Err(CoreError::Forbidden(
                "Only the team's administrator (the owner of the team database) can do this".into(),
            ));
        }
        Ok(Self { store })
    }

    pub async fn close(self) {
        self.store.close().await;
    }

    /// The team's name, once it is set up.
    pub async fn team_name(&self) -> Result<Option<String>, CoreError> {
        Ok(self.store.team_name().await?)
    }

    pub async fn staff(&self) -> Result<Vec<StaffRecord>, CoreError> {
        Ok(self.store.staff_list().await?)
    }

    /// Keeps a change with its audit row, in the administrator's name.
    async fn audited(
        &self,
        change: AdminChange,
        action: &'static str,
        service: Option<(&str, &str)>,
        detail: String,
    ) -> Result<(), CoreError> {
        let operator = format!("Team administrator ({})", self.store.login());
        let (service_id, service_name) = service.unwrap_or_default();
        let attempt = AuditAttempt {
            service_id: service_id.to_owned(),
            service_name: service_name.to_owned(),
            action,
            detail,
            ..AuditAttempt::default()
        };
        let row = new_row(&operator, &attempt, Phase::Succeeded, None, None, "");
        change.commit(row, &|prev, r| legacy_hash(prev, r)).await?;
        Ok(())
    }

    /// A service's ID by its name, or the field to correct.
    async fn service_named(&self, service: &str) -> Result<String, CoreError> {
        self.store
            .service_id_named(service)
            .await
            .map_err(|e| match e.kind {
                StoreErrorKind::NotFound => field("service", "There is no service of that name"),
                _ => e.into(),
            })
    }

    /// Turns team mode on: from now on names and roles come from the staff list.
    pub async fn set_up_team(&self, name: &str) -> Result<(), CoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(field(
                "team",
                "Enter the team's name in 100 characters or fewer",
            ));
        }
        let mut change = self.store.begin_admin_change().await?;
        change.set_up_team(name).await?;
        self.audited(change, "team_set_up", None, format!("team {name} set up"))
            .await
    }

    /// Adds a GOV.UK Pay service the team works with. Each person adds its
    /// API key on their own desktop (it never reaches the database).
    pub async fn add_service(
        &self,
        name: &str,
        base_url: &str,
        environment: Environment,
    ) -> Result<String, CoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(field(
                "name",
                "Enter the service's name in 100 characters or fewer",
            ));
        }
        let base_url = check_base_url(base_url).map_err(|m| field("baseUrl", &m))?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut change = self.store.begin_admin_change().await?;
        change
            .add_service(&id, name, &base_url, environment.as_str())
            .await
            .map_err(|e| match e.kind {
                StoreErrorKind::Constraint => {
                    field("name", "A service with that name exists already")
                }
                _ => e.into(),
            })?;
        self.audited(
            change,
            "service_added",
            Some((&id, name)),
            format!(
                "service {name} added ({}, {base_url})",
                environment.as_str()
            ),
        )
        .await?;
        Ok(id)
    }

    /// Puts a person on the staff list with their own login and password.
    pub async fn add_staff(
        &self,
        login: &str,
        name: &str,
        password: &str,
    ) -> Result<(), CoreError> {
        let login = check_login(login)?;
        let name = check_name(name)?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(field(
                "password",
                "Enter a password of 12 characters or more",
            ));
        }
        let verifier = scram_verifier(password)?;
        let mut change = self.store.begin_admin_change().await?;
        change
            .add_staff(login, name, &verifier)
            .await
            .map_err(|e| match e.kind {
                StoreErrorKind::Constraint => {
                    field("login", "That login is on the staff list already")
                }
                _ => e.into(),
            })?;
        self.audited(
            change,
            "staff_added",
            None,
            format!("{name} ({login}) added to the staff list"),
        )
        .await
    }

    /// Gives a person a role on a service (by the service's name).
    pub async fn set_role(&self, login: &str, service: &str, role: Role) -> Result<(), CoreError> {
        let login = check_login(login)?;
        let service_id = self.service_named(service).await?;
        let mut change = self.store.begin_admin_change().await?;
        change
            .set_role(login, &service_id, role.as_str())
            .await
            .map_err(|e| match e.kind {
                StoreErrorKind::Constraint => field("login", "That login is not on the staff list"),
                _ => e.into(),
            })?;
        self.audited(
            change,
            "staff_role",
            Some((&service_id, service)),
            format!("{login} is now {} on {service}", role.label()),
        )
        .await
    }

    /// Sets a service's refund approval rules (by the service's name), as
    /// its supervisors can on the Services page. Returns them in words.
    pub async fn set_approval_rules(
        &self,
        service: &str,
        input: &ApprovalRulesInput,
    ) -> Result<Vec<String>, CoreError> {
        let rules = input.parse()?;
        let service_id = self.service_named(service).await?;
        let attempt = AuditAttempt {
            service_id: service_id.clone(),
            service_name: service.to_owned(),
            action: "approval_rules",
            detail: rules_detail(&rules),
            ..AuditAttempt::default()
        };
        let operator = format!("Team administrator ({})", self.store.login());
        let row = new_row(&operator, &attempt, Phase::Succeeded, None, None, "");
        let lock = self.store.audit_lock().await;
        self.store
            .set_approval_rules(&lock, &service_id, &rules, row, &|prev, r| {
                legacy_hash(prev, r)
            })
            .await?;
        Ok(rules_summary(&rules))
    }

    /// Takes a person off the staff list; their login can no longer sign in.
    pub async fn remove_staff(&self, login: &str) -> Result<(), CoreError> {
        let login = check_login(login)?;
        let mut change = self.store.begin_admin_change().await?;
        if !change.remove_staff(login).await? {
            return Err(field("login", "That login is not on the staff list"));
        }
        self.audited(
            change,
            "staff_removed",
            None,
            format!("{login} removed from the staff list"),
        )
        .await
    }
}

/// The keyring entry holding the password of a team database's address.
fn password_entry(address: &url::Url) -> String {
    format!("paydesk-team-password:{address}")
}

/// A team database's address as the person gives it: `postgres://LOGIN@HOST:PORT/DATABASE`,
/// never with the password in it.
fn team_address(address: &str) -> Result<url::Url, CoreError> {
    let url = url::Url::parse(address.trim()).map_err(|_| {
        field(
            "teamDatabase",
            "Enter the team database's address as postgres://login@host:port/database",
        )
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql")
        || url.username().is_empty()
        || url.host_str().is_none()
    {
        return Err(field(
            "teamDatabase",
            "Enter the team database's address as postgres://login@host:port/database",
        ));
    }
    if url.password().is_some() {
        return Err(field(
            "teamDatabase",
            "Leave the password out of the address: Paydesk keeps it in the system keyring",
        ));
    }
    Ok(url)
}

impl crate::Core {
    /// Keeps the person's password for a team database in the OS keyring
    /// (never in a file): `open_team_signed_in` reads it from there.
    pub async fn team_password_keep(
        keys: &std::sync::Arc<dyn crate::KeyStore>,
        address: &str,
        password: &str,
    ) -> Result<(), CoreError> {
        let url = team_address(address)?;
        if password.is_empty() {
            return Err(field(
                "password",
                "Enter your password for the team database",
            ));
        }
        let (keys, name, password) = (
            keys.clone(),
            password_entry(&url),
            Zeroizing::new(password.to_owned()),
        );
        blocking(move || keys.set_secret(&name, &password)).await
    }

    /// Signs in with a password the person just typed, and keeps it in the
    /// keyring once the team database has accepted it (a mistyped one is
    /// never kept).
    pub async fn open_team_with_password(
        data_dir: &std::path::Path,
        address: &str,
        password: &str,
        keys: std::sync::Arc<dyn crate::KeyStore>,
    ) -> Result<Self, CoreError> {
        let mut url = team_address(address)?;
        if password.is_empty() {
            return Err(field(
                "password",
                "Enter your password for the team database",
            ));
        }
        url.set_password(Some(password))
            .map_err(|()| field("teamDatabase", "That address cannot take a password"))?;
        let full = Zeroizing::new(url.to_string());
        let core = Self::open_team(data_dir, &full, keys.clone()).await?;
        Self::team_password_keep(&keys, address, password).await?;
        Ok(core)
    }

    /// Signs in to the team database at `address` as the login it names,
    /// with the password the keyring keeps for it.
    pub async fn open_team_signed_in(
        data_dir: &std::path::Path,
        address: &str,
        keys: std::sync::Arc<dyn crate::KeyStore>,
    ) -> Result<Self, CoreError> {
        let mut url = team_address(address)?;
        let name = password_entry(&url);
        let reader = keys.clone();
        let password = blocking(move || reader.secret(&name))
            .await?
            .ok_or_else(|| field("password", "Enter your password for the team database"))?;
        url.set_password(Some(password.as_str()))
            .map_err(|()| field("teamDatabase", "That address cannot take a password"))?;
        let full = Zeroizing::new(url.to_string());
        Self::open_team(data_dir, &full, keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_plain_names_the_server_keeps_as_given() {
        for ok in ["sam", "ali_k2", "a"] {
            assert!(check_login(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Sam",
            "2sam",
            "sam smith",
            "sam;drop",
            "pg_read",
            "paydesk_staff",
        ] {
            assert!(check_login(bad).is_err(), "{bad:?}");
        }
        assert!(check_login(&"a".repeat(64)).is_err());
    }

    /// The verifier has PostgreSQL's shape; that the server accepts the
    /// password against it is shown by the team tests signing in with it.
    #[test]
    fn a_password_becomes_a_scram_verifier_and_never_itself() {
        let v = scram_verifier("a long enough password").unwrap();
        assert!(v.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        assert!(!v.contains("long enough"));
        let again = scram_verifier("a long enough password").unwrap();
        assert_ne!(v, again, "each verifier has its own salt");
        let parts: Vec<&str> = v.split(['$', ':']).collect();
        assert_eq!(parts.len(), 5, "{v}");
        assert_eq!(B64.decode(parts[2]).unwrap().len(), 16);
        assert_eq!(B64.decode(parts[3]).unwrap().len(), 32);
        assert_eq!(B64.decode(parts[4]).unwrap().len(), 32);
    }
}
