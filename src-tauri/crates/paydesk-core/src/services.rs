//! Services: the GOV.UK Pay accounts this desktop works with, side by side.
//!
//! A service row holds its name, base URL, environment and this desktop's role;
//! its API key goes to the OS keyring and nowhere else.

use std::fmt;
use std::time::Duration;

use govpay::{ApiKey, Client, DEFAULT_BASE_URL};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;
use zeroize::Zeroizing;

use crate::Core;
use crate::error::{CoreError, FieldError};
use crate::policy::Policy;
use crate::roles::{Permission, Role};
use crate::seal;
use crate::store::ServiceRecord;

/// Test or live: live services move real money and the UI says so loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Environment {
    Test,
    Live,
}

impl Environment {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
        }
    }

    fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "test" => Ok(Environment::Test),
            "live" => Ok(Environment::Live),
            other => Err(CoreError::Storage(format!(
                "unknown environment {other:?} in the database"
            ))),
        }
    }
}

/// A service as the UI sees it. Never carries the key, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub environment: Environment,
    pub role: Role,
    pub role_label: String,
    /// What the role allows: the UI shows only these (the core refuses the rest).
    pub permissions: Vec<Permission>,
    pub has_key: bool,
    /// The built-in sandbox: simulated on this computer, fresh at every start.
    pub sandbox: bool,
    /// Why the organisation's policy does not allow this service here; it
    /// offers nothing while this is set.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Text that is secret while it travels: redacted `Debug`, wiped on drop.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How many services one desktop can hold.
pub const MAX_SERVICES: i64 = 512;

/// What a person fills in to add a service.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewService {
    pub name: String,
    /// Blank means GOV.UK Pay's own address.
    #[ts(optional)]
    pub base_url: Option<String>,
    pub environment: Environment,
    pub role: Role,
    #[ts(type = "string")]
    pub api_key: SecretText,
}

impl NewService {
    /// A service on a TEST account at `base_url`: the simulator, in tests,
    /// benchmarks and demos.
    pub fn test_account(name: &str, base_url: &str, role: Role, api_key: &str) -> Self {
        Self {
            name: name.into(),
            base_url: Some(base_url.into()),
            environment: Environment::Test,
            role,
            api_key: SecretText::new(api_key),
        }
    }
}

struct CheckedService {
    name: String,
    base_url: String,
    environment: Environment,
    role: Role,
    key: ApiKey,
}

const NAME_MAX: usize = 100;

/// The built-in sandbox service's name.
pub const SANDBOX_NAME: &str = "GOV.UK Pay sandbox (simulated)";

/// Checks every field and reports all problems at once, each naming its field.
fn validate(input: &NewService) -> Result<CheckedService, CoreError> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new("name", "Enter a name for the service"));
    } else if name.chars().count() > NAME_MAX {
        errors.push(FieldError::new(
            "name",
            format!("Service name must be {NAME_MAX} characters or fewer"),
        ));
    }
    let base_url = match input.base_url.as_deref().map(str::trim) {
        None | Some("") => Some(DEFAULT_BASE_URL.to_owned()),
        Some(raw) => match check_base_url(raw) {
            Ok(url) => Some(url),
            Err(message) => {
                errors.push(FieldError::new("baseUrl", message));
                None
            }
        },
    };
    let key = ApiKey::new(input.api_key.0.as_str());
    match &key {
        None => errors.push(FieldError::new("apiKey", "Enter the API key")),
        Some(k) if k.looks_live() && input.environment == Environment::Test => {
            errors.push(FieldError::new(
                "apiKey",
                "This is a live API key: choose Live, or enter a test key",
            ))
        }
        Some(k)
            if k.expose().starts_with("api_test_") && input.environment == Environment::Live =>
        {
            errors.push(FieldError::new(
                "apiKey",
                "This is a test API key: choose Test, or enter a live key",
            ))
        }
        Some(_) => {}
    }
    match (errors.is_empty(), base_url, key) {
        (true, Some(base_url), Some(key)) => Ok(CheckedService {
            name,
            base_url,
            environment: input.environment,
            role: input.role,
            key,
        }),
        _ => Err(CoreError::Validation(errors)),
    }
}

/// HTTPS only, except plain HTTP to this machine (the simulator).
pub(crate) fn check_base_url(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw).map_err(|_| {
        "Enter a base URL in the format https://publicapi.payments.service.gov.uk".to_owned()
    })?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("The base URL must start with https://".into()),
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("The base URL must not contain a query, a fragment or a user name".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl Core {
    /// All services: the sandbox first, then by name.
    pub async fn services_list(&self) -> Result<Vec<ServiceView>, CoreError> {
        let rows = self.store().services().await?;
        // On a team's database the role is the staff list's, which the
        // database guards: there is no desktop seal to check.
        let team = self.store().team_mode();
        let key = if rows.is_empty() || team {
            None
        } else {
            Some(self.record_key().await?)
        };
        let policy = self.policy();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let has_key = self.key_present(&row.id).await?;
            let role: Role = row.role.parse().map_err(CoreError::Storage)?;
            let environment = Environment::parse(&row.environment)?;
            let sealed = team
                || key.as_ref().is_some_and(|key| {
                    row.seal
                        == Some(seal::service_seal(
                            key,
                            &row.id,
                            &row.base_url,
                            environment.as_str(),
                            role.as_str(),
                            row.sandbox,
                        ))
                });
            let refused =
                policy.service_refused(&row.name, environment == Environment::Live, row.sandbox);
            // A service the policy refuses offers nothing, but keeps its role.
            let offers = sealed && refused.is_none();
            out.push(ServiceView {
                refused,
                id: row.id,
                name: row.name,
                base_url: row.base_url,
                environment,
                role,
                // A service changed outside Paydesk offers nothing (see `seal`).
                role_label: if sealed {
                    role.label().to_owned()
                } else {
                    "Changed outside Paydesk: remove and add again".to_owned()
                },
                permissions: if offers {
                    role.permissions()
                } else {
                    Vec::new()
                },
                has_key,
                sandbox: row.sandbox,
            });
        }
        Ok(out)
    }

    /// Adds a service after checking its key with one cheap API call.
    ///
    /// Nothing is saved unless every field is valid, GOV.UK Pay accepts the key and
    /// the keyring stores it.
    pub async fn services_add(&self, input: NewService) -> Result<ServiceView, CoreError> {
        let checked = validate(&input)?;
        drop(input);
        let live = checked.environment == Environment::Live;
        if let Some(why) = self.policy().service_refused(&checked.name, live, false) {
            let field = if live && !self.policy().live {
                "environment"
            } else {
                "name"
            };
            return Err(CoreError::Validation(vec![FieldError::new(field, why)]));
        }
        let taken = self.store().service_name_taken(&checked.name).await?;
        if taken {
            return Err(CoreError::Validation(vec![FieldError::new(
                "name",
                format!(
                    "A service called {} already exists: choose another name",
                    checked.name
                ),
            )]));
        }
        // Each service's cached payments are numbered in one of 512 ranges
        // (see `payments` in the schema, migrations/).
        let held = self.store().service_count().await?;
        if held >= MAX_SERVICES {
            return Err(CoreError::Validation(vec![FieldError::new(
                "name",
                format!("Paydesk holds at most {MAX_SERVICES} services: remove one first"),
            )]));
        }
        check_key(&checked.base_url, &checked.key, &self.policy()).await?;

        let id = uuid::Uuid::new_v4().to_string();
        let record_key = self.record_key().await?;
        let sealed = seal::service_seal(
            &record_key,
            &id,
            &checked.base_url,
            checked.environment.as_str(),
            checked.role.as_str(),
            false,
        );
        let pending = self
            .store()
            .service_add(&ServiceRecord {
                id: id.clone(),
                name: checked.name.clone(),
                base_url: checked.base_url.clone(),
                environment: checked.environment.as_str().to_owned(),
                role: checked.role.as_str().to_owned(),
                sandbox: false,
                seal: Some(sealed),
            })
            .await?;
        // The key goes to the keyring before the row is committed: if the keyring
        // fails, the change is dropped and no half-made service remains.
        self.key_set(&id, checked.key).await?;
        pending.commit().await?;
        tracing::info!(service = %id, "service added");
        Ok(ServiceView {
            id,
            name: checked.name,
            base_url: checked.base_url,
            environment: checked.environment,
            role: checked.role,
            role_label: checked.role.label().to_owned(),
            permissions: checked.role.permissions(),
            has_key: true,
            sandbox: false,
            refused: None,
        })
    }

    /// Points the built-in sandbox service at the simulator's address for this run,
    /// creating the service the first time. Its key goes to the keyring like any other.
    pub async fn services_set_sandbox(
        &self,
        base_url: &str,
        key: ApiKey,
    ) -> Result<ServiceView, CoreError> {
        if !self.policy().sandbox {
            return Err(CoreError::Forbidden(
                "Your organisation does not offer the sandbox on this computer".into(),
            ));
        }
        let id = match self.store().sandbox_id().await? {
            Some(id) => id,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let record_key = self.record_key().await?;
        // The sandbox is always a supervisor's test service.
        let sealed = seal::service_seal(&record_key, &id, base_url, "test", "supervisor", true);
        self.store()
            .sandbox_put(&ServiceRecord {
                id: id.clone(),
                name: SANDBOX_NAME.to_owned(),
                base_url: base_url.to_owned(),
                environment: "test".to_owned(),
                role: "supervisor".to_owned(),
                sandbox: true,
                seal: Some(sealed),
            })
            .await?;
        self.key_set(&id, key).await?;
        self.services_list()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| CoreError::NotFound("The sandbox service".into()))
    }

    /// Whether the built-in sandbox has been set up on this desktop.
    pub async fn services_has_sandbox(&self) -> Result<bool, CoreError> {
        Ok(self.store().sandbox_id().await?.is_some())
    }

    /// Keeps this desktop's API key for a service it can see: on a team's
    /// database, a service the administrator added (its key never reaches the
    /// database, so each desktop adds its own). GOV.UK Pay checks the key first.
    pub async fn services_set_key(&self, id: &str, key: &str) -> Result<ServiceView, CoreError> {
        let key = ApiKey::new(key).ok_or_else(|| {
            CoreError::Validation(vec![FieldError::new(
                "apiKey",
                "Enter the service's API key from the GOV.UK Pay admin tool",
            )])
        })?;
        let service = self.service(id).await?;
        check_key(&service.base_url, &key, &self.policy()).await?;
        self.key_set(id, key).await?;
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.services_list()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| CoreError::NotFound("That service".into()))
    }

    /// Removes a service and its key.
    pub async fn services_remove(&self, id: &str) -> Result<(), CoreError> {
        let gone = self.store().service_remove(id).await?;
        if !gone {
            return Err(CoreError::NotFound("That service".into()));
        }
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let keys = self.keys().clone();
        let id = id.to_owned();
        run_blocking(move || keys.delete(&id)).await
    }

    async fn key_present(&self, id: &str) -> Result<bool, CoreError> {
        let keys = self.keys().clone();
        let id = id.to_owned();
        run_blocking(move || keys.get(&id).map(|k| k.is_some())).await
    }

    async fn key_set(&self, id: &str, key: ApiKey) -> Result<(), CoreError> {
        let keys = self.keys().clone();
        let id = id.to_owned();
        run_blocking(move || keys.set(&id, &key)).await
    }
}

/// Keyring calls block (D-Bus round trips): keep them off the async workers.
async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| CoreError::Keyring("the keyring task stopped unexpectedly".into()))?
}

/// The organisation's web proxy and extra CA certificate, when its policy
/// sets them (otherwise `HTTPS_PROXY` and the system's certificates apply).
fn with_network(builder: govpay::ClientBuilder, policy: &Policy) -> govpay::ClientBuilder {
    let builder = match &policy.proxy {
        Some(proxy) => builder.proxy(proxy),
        None => builder,
    };
    match &policy.ca_pem {
        Some(pem) => builder.extra_roots_pem(pem.clone()),
        None => builder,
    }
}

/// One cheap authenticated call; a 401 becomes a field error on the key.
async fn check_key(base_url: &str, key: &ApiKey, policy: &Policy) -> Result<(), CoreError> {
    let client = with_network(Client::builder(key.clone()), policy)
        .base_url(base_url)
        .timeout(Duration::from_secs(15))
        .build()?;
    match client.check_key().await {
        Ok(()) => Ok(()),
        Err(govpay::Error::Unauthorized) => Err(CoreError::Validation(vec![FieldError::new(
            "apiKey",
            "GOV.UK Pay did not accept this API key. Check you copied the whole key and that it has not been revoked",
        )])),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, base: Option<&str>, key: &str) -> NewService {
        NewService {
            name: name.into(),
            base_url: base.map(Into::into),
            environment: Environment::Test,
            role: Role::Caseworker,
            api_key: SecretText::new(key),
        }
    }

    fn fields(err: CoreError) -> Vec<String> {
        match err {
            CoreError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let err = validate(&input("  ", Some("ftp://x"), " ")).err().unwrap();
        assert_eq!(fields(err), ["name", "baseUrl", "apiKey"]);
    }

    #[test]
    fn blank_base_url_means_gov_uk_pay() {
        let ok = validate(&input("Parking", None, "api_test_x"))
            .ok()
            .unwrap();
        assert_eq!(ok.base_url, DEFAULT_BASE_URL);
    }

    #[test]
    fn http_is_only_for_this_machine() {
        assert!(check_base_url("http://127.0.0.1:9000").is_ok());
        assert!(check_base_url("http://localhost:9000/").is_ok());
        assert!(check_base_url("http://pay.example.org").is_err());
        assert!(check_base_url("https://user:pw@pay.example.org").is_err());
        assert_eq!(
            check_base_url("https://pay.example.org/").unwrap(),
            "https://pay.example.org"
        );
    }

    #[test]
    fn a_live_key_on_a_test_service_is_caught() {
        let err = validate(&input("Parking", None, "api_live_abc"))
            .err()
            .unwrap();
        assert_eq!(fields(err), ["apiKey"]);
    }

    #[test]
    fn debug_of_the_input_hides_the_key() {
        let shown = format!("{:?}", input("Parking", None, "api_test_supersecret"));
        assert!(!shown.contains("supersecret"), "{shown}");
    }
}

/// Seals the services an earlier version added (before keyed checks), while
/// the new key is made. Called holding the database's write lock.
pub(crate) async fn seal_unsealed(
    unit: &mut dyn crate::store::audit::KeyingUnit,
    key: &seal::RecordKey,
) -> Result<(), CoreError> {
    for s in unit.unsealed_services().await? {
        let sealed =
            seal::service_seal(key, &s.id, &s.base_url, &s.environment, &s.role, s.sandbox);
        unit.set_service_seal(&s.id, &sealed).await?;
    }
    Ok(())
}

/// What the core needs to act for a service.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub environment: Environment,
    pub role: Role,
}

impl Core {
    pub async fn service(&self, id: &str) -> Result<ServiceInfo, CoreError> {
        let row = self
            .store()
            .service(id)
            .await?
            .ok_or_else(|| CoreError::NotFound("That service".into()))?;
        let info = ServiceInfo {
            id: row.id,
            name: row.name,
            base_url: row.base_url,
            environment: Environment::parse(&row.environment)?,
            role: row.role.parse().map_err(CoreError::Storage)?,
        };
        if let Some(why) = self.policy().service_refused(
            &info.name,
            info.environment == Environment::Live,
            row.sandbox,
        ) {
            return Err(CoreError::Forbidden(why));
        }
        if self.store().team_mode() {
            return Ok(info);
        }
        let key = self.record_key().await?;
        let expected = seal::service_seal(
            &key,
            &info.id,
            &info.base_url,
            info.environment.as_str(),
            info.role.as_str(),
            row.sandbox,
        );
        if row.seal.as_deref() != Some(expected.as_str()) {
            tracing::error!(service = %info.id, "a service's seal does not match: it is not used");
            return Err(CoreError::Forbidden(seal::SERVICE_CHANGED.into()));
        }
        Ok(info)
    }

    /// A GOV.UK Pay client for the service, its key read from the keyring once.
    pub async fn client(&self, service: &ServiceInfo) -> Result<govpay::Client, CoreError> {
        if let Some((url, client)) = self
            .shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&service.id)
            && *url == service.base_url
        {
            return Ok(client.clone());
        }
        let keys = self.keys().clone();
        let id = service.id.clone();
        let key = run_blocking(move || keys.get(&id)).await?.ok_or_else(|| {
            CoreError::Keyring(format!(
                "no API key is stored for {}: add the service again",
                service.name
            ))
        })?;
        let options = *self
            .shared
            .client_options
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let client = with_network(Client::builder(key), &self.policy())
            .base_url(&service.base_url)
            .timeout(options.timeout)
            .auth_timeout(options.auth_timeout)
            .rate_limits(options.rate_limits)
            .retry_policy(options.retry)
            .build()?;
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                service.id.clone(),
                (service.base_url.clone(), client.clone()),
            );
        Ok(client)
    }
}
