//! States, statuses and other values GOV.UK Pay chooses from a list, as types.
//!
//! Each has a variant per documented value and `Unknown` for anything else,
//! so a value GOV.UK Pay adds (a new provider as services move from Stripe to
//! Adyen, a new status) never fails a decode: it is kept as sent, shown as
//! sent, and written back unchanged.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this version of Paydesk does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value GOV.UK Pay documents, in its own order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)*];

            /// The value as GOV.UK Pay writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }

            /// Reads a value exactly as GOV.UK Pay writes it; anything else
            /// is kept as `Unknown`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Whether this is a value GOV.UK Pay documents.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Read in place: a known value costs no allocation.
                struct Wire;
                impl Visitor<'_> for Wire {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        Ok($name::from_wire(s))
                    }
                }
                d.deserialize_str(Wire)
            }
        }
    };
}

open_enum! {
    /// A payment's `state.status`.
    PaymentStatus {
        Created = "created",
        Started = "started",
        Submitted = "submitted",
        /// Authorised and waiting for the service to capture it.
        Capturable = "capturable",
        Success = "success",
        Failed = "failed",
        Cancelled = "cancelled",
        Error = "error",
    }
}

open_enum! {
    /// A payment's `refund_summary.status`.
    RefundAvailability {
        /// Not refundable yet (the payment is still going through).
        Pending = "pending",
        /// Not refundable (failed, cancelled, disputed, capture queued …).
        Unavailable = "unavailable",
        Available = "available",
        /// Already refunded in full.
        Full = "full",
    }
}

open_enum! {
    /// A refund's `status`.
    RefundStatus {
        Submitted = "submitted",
        Success = "success",
        Error = "error",
    }
}

open_enum! {
    /// A dispute's `status`.
    DisputeStatus {
        NeedsResponse = "needs_response",
        UnderReview = "under_review",
        Won = "won",
        Lost = "lost",
    }
}

open_enum! {
    /// A recurring-payment agreement's `status`.
    AgreementStatus {
        Created = "created",
        Active = "active",
        Cancelled = "cancelled",
        Inactive = "inactive",
    }
}

open_enum! {
    /// Who processes a payment's card: open-ended, as services change provider.
    PaymentProvider {
        Sandbox = "sandbox",
        Stripe = "stripe",
        Worldpay = "worldpay",
    }
}

open_enum! {
    /// How a payment was authorised, as a payment reports it.
    PaymentMode {
        Web = "web",
        MotoApi = "moto_api",
        Agreement = "agreement",
        External = "external",
    }
}

open_enum! {
    /// `card_details.card_type`; absent (null) when the provider did not say.
    CardType {
        Debit = "debit",
        Credit = "credit",
    }
}

impl PaymentStatus {
    /// Whether GOV.UK Pay will move the payment on no further.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentStatus::Success
                | PaymentStatus::Failed
                | PaymentStatus::Cancelled
                | PaymentStatus::Error
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_value_round_trips() {
        fn check<T>(known: &[T])
        where
            T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug + fmt::Display,
        {
            for v in known {
                let json = serde_json::to_string(v).unwrap();
                assert_eq!(json, format!("\"{v}\""));
                let back: T = serde_json::from_str(&json).unwrap();
                assert_eq!(&back, v);
            }
        }
        check(PaymentStatus::KNOWN);
        check(RefundAvailability::KNOWN);
        check(RefundStatus::KNOWN);
        check(DisputeStatus::KNOWN);
        check(AgreementStatus::KNOWN);
        check(PaymentProvider::KNOWN);
        check(PaymentMode::KNOWN);
        check(CardType::KNOWN);
        assert_eq!(PaymentStatus::KNOWN.len(), 8);
    }

    #[test]
    fn a_new_value_decodes_and_is_written_back_as_sent() {
        let p: PaymentProvider = serde_json::from_str("\"adyen\"").unwrap();
        assert_eq!(p, PaymentProvider::Unknown("adyen".into()));
        assert!(!p.is_known());
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"adyen\"");
        // Case matters: GOV.UK Pay writes lower case.
        let s: PaymentStatus = serde_json::from_str("\"SUCCESS\"").unwrap();
        assert_eq!(s, PaymentStatus::Unknown("SUCCESS".into()));
        assert!(!s.is_final());
    }
}
