//! Newtype identifiers. A payment id is 26 characters of base-32 (`0-9a-v`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Length of every GOV.UK Pay external id (payments, refunds, agreements).
pub const EXTERNAL_ID_LEN: usize = 26;

/// Why a string typed by a person is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be {EXTERNAL_ID_LEN} characters long (it has {0})")]
    Length(usize),
    #[error("may only contain the digits 0-9 and the letters a-v")]
    Alphabet,
}

fn check_external_id(s: &str) -> Result<(), IdError> {
    let len = s.chars().count();
    if len != EXTERNAL_ID_LEN {
        return Err(IdError::Length(len));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
    {
        return Err(IdError::Alphabet);
    }
    Ok(())
}

macro_rules! external_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Values read from the API are taken as they come (the API is the authority);
        /// values typed by staff go through `parse`.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks an id typed by a person: trims spaces and lowercases it.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                let s = input.trim().to_ascii_lowercase();
                check_external_id(&s)?;
                Ok(Self(s))
            }

            /// Wraps an id that came from the API or from our own store.
            pub fn from_trusted(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

external_id!(
    /// The GOV.UK Pay id of a payment (`payment_id`).
    PaymentId
);
external_id!(
    /// The id of a refund (`refund_id`).
    RefundId
);
external_id!(
    /// The id of a recurring-payment agreement (`agreement_id`).
    AgreementId
);
external_id!(
    /// The id of a dispute (`dispute_id`).
    DisputeId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_looking_id_and_normalises_case_and_spaces() {
        let id = PaymentId::parse("  HU20SQLACT5UV2FGU9V2R0RH0P \n").unwrap();
        assert_eq!(id.as_str(), "hu20sqlact5uv2fgu9v2r0rh0p");
    }

    #[test]
    fn rejects_wrong_length_and_alphabet() {
        assert_eq!(PaymentId::parse("abc"), Err(IdError::Length(3)));
        // 'w' is outside base-32 hex.
        assert_eq!(
            PaymentId::parse("wu20sqlact5uv2fgu9v2r0rh0p"),
            Err(IdError::Alphabet)
        );
    }

    #[test]
    fn serialises_as_a_bare_string() {
        let id = PaymentId::from_trusted("hu20sqlact5uv2fgu9v2r0rh0p");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"hu20sqlact5uv2fgu9v2r0rh0p\""
        );
    }
}
