//! API keys in the operating system's keyring (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows). Never in SQLite.

use std::collections::HashMap;
use std::sync::Mutex;

use govpay::ApiKey;
use zeroize::Zeroizing;

use crate::error::CoreError;

/// Where API keys are kept, one per service id.
pub trait KeyStore: Send + Sync {
    fn set(&self, service_id: &str, key: &ApiKey) -> Result<(), CoreError>;
    fn get(&self, service_id: &str) -> Result<Option<ApiKey>, CoreError>;
    fn delete(&self, service_id: &str) -> Result<(), CoreError>;
    /// Another secret of this desktop's, by name (the audit record's key and
    /// end marker; see `seal`). Names never look like a service id.
    fn secret(&self, name: &str) -> Result<Option<Zeroizing<String>>, CoreError>;
    fn set_secret(&self, name: &str, value: &str) -> Result<(), CoreError>;
}

/// The real keyring, under the app's identifier.
#[derive(Debug, Clone)]
pub struct OsKeyStore {
    app_id: String,
}

impl OsKeyStore {
    /// `app_id` is the app's identifier (`tauri.conf.json` `identifier`).
    pub fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
        }
    }

    fn entry(&self, service_id: &str) -> Result<keyring::Entry, CoreError> {
        keyring::Entry::new(&self.app_id, service_id).map_err(keyring_error)
    }
}

/// Keyring errors never carry the secret; say what failed without details that could.
fn keyring_error(e: keyring::Error) -> CoreError {
    let what = match e {
        keyring::Error::NoStorageAccess(_) => {
            "no keyring is available or it is locked (on Linux, is a Secret Service such as gnome-keyring running and unlocked?)"
        }
        keyring::Error::PlatformFailure(_) => "the keyring service failed",
        keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => {
            "the keyring refused the entry"
        }
        _ => "the keyring could not be read",
    };
    CoreError::Keyring(what.to_owned())
}

impl KeyStore for OsKeyStore {
    fn set(&self, service_id: &str, key: &ApiKey) -> Result<(), CoreError> {
        self.entry(service_id)?
            .set_password(key.expose())
            .map_err(keyring_error)
    }

    fn get(&self, service_id: &str) -> Result<Option<ApiKey>, CoreError> {
        match self.entry(service_id)?.get_password() {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                Ok(ApiKey::new(secret.as_str()))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn delete(&self, service_id: &str) -> Result<(), CoreError> {
        match self.entry(service_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn secret(&self, name: &str) -> Result<Option<Zeroizing<String>>, CoreError> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set_secret(&self, name: &str, value: &str) -> Result<(), CoreError> {
        self.entry(name)?.set_password(value).map_err(keyring_error)
    }
}

/// An in-memory store for unit tests. Never used by the app.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    keys: Mutex<HashMap<String, ApiKey>>,
    secrets: Mutex<HashMap<String, String>>,
}

impl KeyStore for MemoryKeyStore {
    fn set(&self, service_id: &str, key: &ApiKey) -> Result<(), CoreError> {
        self.lock().insert(service_id.to_owned(), key.clone());
        Ok(())
    }

    fn get(&self, service_id: &str) -> Result<Option<ApiKey>, CoreError> {
        Ok(self.lock().get(service_id).cloned())
    }

    fn delete(&self, service_id: &str) -> Result<(), CoreError> {
        self.lock().remove(service_id);
        Ok(())
    }

    fn secret(&self, name: &str) -> Result<Option<Zeroizing<String>>, CoreError> {
        let secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        Ok(secrets.get(name).map(|s| Zeroizing::new(s.clone())))
    }

    fn set_secret(&self, name: &str, value: &str) -> Result<(), CoreError> {
        self.secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}

impl MemoryKeyStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ApiKey>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}
