//! The `Idempotency-Key` header of `POST /v1/payments`.
//!
//! GOV.UK Pay keeps a key for 24 hours per account and answers a repeat with
//! the payment it already made, so a lost answer can be sent again safely. It
//! only does this for agreement payments: for web and telephone payments the
//! header is checked and then ignored, so the client refuses it there rather
//! than letting a caller believe it protects them.

use std::fmt;

use crate::codes::PayCode;
use crate::error::Error;

/// A key that meets GOV.UK Pay's rules: 1 to 255 letters, digits or hyphens.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    /// Checks a key against the API's rules (`^[a-zA-Z0-9-]+$`, 1–255).
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        let refuse = |message: &str| Error::InvalidRequest {
            field: "Idempotency-Key",
            message: message.into(),
            pay_code: PayCode::P0102,
        };
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(refuse("must be between 1 and 255 characters"));
        }
        if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(refuse("may only contain letters, digits and hyphens"));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_apis_rules() {
        assert!(IdempotencyKey::new("month-1").is_ok());
        assert!(IdempotencyKey::new("A".repeat(255)).is_ok());
        for bad in [
            String::new(),
            "A".repeat(256),
            "has space".into(),
            "under_score".into(),
            "ümlaut".into(),
        ] {
            let err = IdempotencyKey::new(bad.clone()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidRequest {
                        field: "Idempotency-Key",
                        pay_code: PayCode::P0102,
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
        }
    }
}
