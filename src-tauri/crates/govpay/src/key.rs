//! The API key: held in memory only as long as a client needs it.

use std::fmt;

use zeroize::Zeroizing;

/// A GOV.UK Pay API key.
///
/// It cannot be printed (`Debug` is redacted, there is no `Display`), cannot be
/// serialised (there is no `Serialize`), and its bytes are wiped when it is dropped.
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Wraps a key, trimming the spaces a paste often brings with it.
    /// Returns `None` for an empty key.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let raw = Zeroizing::new(key.into());
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        Some(Self(Zeroizing::new(trimmed.to_owned())))
    }

    /// The key itself, for the `Authorization` header and the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is a live key, judged by GOV.UK Pay's documented prefix.
    /// The API itself decides; this is only a hint for the UI.
    pub fn looks_live(&self) -> bool {
        self.0.starts_with("api_live_")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Keys arrive from the UI once, to be stored; reading one is allowed,
/// writing one out is not (there is deliberately no `Serialize`).
impl<'de> serde::Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Zeroizing::new(<String as serde::Deserialize>::deserialize(d)?);
        ApiKey::new(raw.as_str()).ok_or_else(|| serde::de::Error::custom("the API key is empty"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::new("api_test_secret123").unwrap();
        let shown = format!("{key:?} {:?}", Some(&key));
        assert!(!shown.contains("secret123"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn trims_and_refuses_empty_keys() {
        assert_eq!(
            ApiKey::new("  api_test_x \n").unwrap().expose(),
            "api_test_x"
        );
        assert!(ApiKey::new("   ").is_none());
        assert!(ApiKey::new("api_live_abc").unwrap().looks_live());
    }
}
