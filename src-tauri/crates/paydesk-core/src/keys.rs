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

/// A keyring that failed or was out of reach is asked again, a few times
/// over about a second: the Secret Service can be restarted under a desktop
/// session (by the session itself, or by D-Bus when it is asked for it), and
/// a request in that moment would fail although the keyring is fine.
fn patiently<T>(mut call: impl FnMut() -> keyring::Result<T>) -> keyring::Result<T> {
    const TRIES: u32 = 4;
    let mut tried = 1;
    loop {
        match call() {
            Err(keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_))
                if tried < TRIES =>
            {
                std::thread::sleep(std::time::Duration::from_millis(300));
                tried += 1;
            }
            other => return other,
        }
    }
}

impl KeyStore for OsKeyStore {
    fn set(&self, service_id: &str, key: &ApiKey) -> Result<(), CoreError> {
        let entry = self.entry(service_id)?;
        patiently(|| entry.set_password(key.expose())).map_err(keyring_error)
    }

    fn get(&self, service_id: &str) -> Result<Option<ApiKey>, CoreError> {
        let entry = self.entry(service_id)?;
        match patiently(|| entry.get_password()) {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                Ok(ApiKey::new(secret.as_str()))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn delete(&self, service_id: &str) -> Result<(), CoreError> {
        let entry = self.entry(service_id)?;
        match patiently(|| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn secret(&self, name: &str) -> Result<Option<Zeroizing<String>>, CoreError> {
        let entry = self.entry(name)?;
        match patiently(|| entry.get_password()) {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set_secret(&self, name: &str, value: &str) -> Result<(), CoreError> {
        let entry = self.entry(name)?;
        patiently(|| entry.set_password(value)).map_err(keyring_error)
    }
}

#[cfg(test)]
mod patience {
    use super::*;

    fn failure() -> keyring::Error {
        keyring::Error::PlatformFailure("the daemon went away".into())
    }

    #[test]
    fn a_keyring_that_comes_back_is_asked_again_and_one_that_does_not_is_reported() {
        let mut calls = 0;
        let got = patiently(|| {
            calls += 1;
            if calls < 3 {
                Err(failure())
            } else {
                Ok("secret")
            }
        });
        assert_eq!((got.ok(), calls), (Some("secret"), 3));
        let mut calls = 0;
        let gone: keyring::Result<()> = patiently(|| {
            calls += 1;
            Err(failure())
        });
        assert!(matches!(gone, Err(keyring::Error::PlatformFailure(_))));
        assert_eq!(calls, 4);
        // What is not a failure of the keyring is not asked again.
        let mut calls = 0;
        let none: keyring::Result<()> = patiently(|| {
            calls += 1;
            Err(keyring::Error::NoEntry)
        });
        assert!(matches!(none, Err(keyring::Error::NoEntry)));
        assert_eq!(calls, 1);
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
