//! GOV.UK Pay error codes ("P-codes"): every code in `error_codes.csv`, with a
//! short explanation written for the staff who will read it on screen and quote
//! it to support.
//!
//! A [`PayCode`] holds any code GOV.UK Pay sends, known or not: a code it
//! adds next year still decodes and is still quoted, it just has no
//! explanation yet.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GOV.UK Pay error code, e.g. `P0604`: held as the API wrote it (every
/// code it documents is `P` and four digits; up to eight letters and digits
/// are kept, so an odd one is quoted rather than lost).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayCode {
    len: u8,
    text: [u8; PayCode::MAX_LEN],
}

/// Text that cannot be a GOV.UK Pay code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a GOV.UK Pay code")]
pub struct NotAPayCode(pub String);

impl PayCode {
    /// The longest code kept.
    pub const MAX_LEN: usize = 8;

    /// For the codes below, which are all `P` and four digits.
    const fn of(code: &str) -> PayCode {
        let b = code.as_bytes();
        PayCode {
            len: 5,
            text: [b[0], b[1], b[2], b[3], b[4], 0, 0, 0],
        }
    }

    /// The code as GOV.UK Pay writes it, e.g. `"P0604"`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever stored.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or("")
    }

    /// Whether this version of Paydesk knows the code.
    pub fn is_known(self) -> bool {
        self.explain().is_some()
    }
}

impl FromStr for PayCode {
    type Err = NotAPayCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > Self::MAX_LEN || !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(NotAPayCode(s.to_owned()));
        }
        let mut text = [0; Self::MAX_LEN];
        text[..b.len()].copy_from_slice(b);
        Ok(PayCode {
            len: b.len() as u8,
            text,
        })
    }
}

macro_rules! pay_codes {
    ($($name:ident, $explain:literal;)*) => {
        #[allow(clippy::allow_attributes)]
        impl PayCode {
            $(
                #[doc = $explain]
                pub const $name: PayCode = PayCode::of(stringify!($name));
            )*

            /// Every code Paydesk knows, in the order of the API's own list.
            pub const ALL: &'static [PayCode] = &[$(PayCode::$name,)*];

            /// What the code means, in words for staff; `None` for a code this
            /// version does not know.
            pub fn explain(self) -> Option<&'static str> {
                $(if self == PayCode::$name { return Some($explain); })*
                None
            }
        }
    };
}

pay_codes! {
    P0010, "The card was declined: no money was taken. The caller can try another card.";
    P0020, "The payment expired before it was finished: no money was taken.";
    P0030, "The paying user cancelled the payment: no money was taken.";
    P0040, "The service cancelled the payment: no money was taken.";
    P0050, "The payment provider had an error: no money was taken. Try again later.";
    P0101, "A required detail was missing from the request.";
    P0102, "A detail in the request was not valid.";
    P0103, "The agreement to set up does not exist.";
    P0104, "The request included a detail that is not allowed for this kind of payment.";
    P0105, "The reference looks like it contains a card number, which is not allowed.";
    P0191, "That idempotency key was already used for a different payment.";
    P0195, "Telephone payments through Paydesk are not turned on for this service, so no card details were asked for. Your service's GOV.UK Pay administrator can ask GOV.UK Pay support to turn them on.";
    P0196, "Telephone (MOTO) payments are not turned on for this service. Your service's GOV.UK Pay administrator can ask GOV.UK Pay support to turn them on.";
    P0197, "GOV.UK Pay could not read the request.";
    P0198, "GOV.UK Pay had a problem creating the payment. Check the payment list before trying again.";
    P0199, "There is a problem with this service's GOV.UK Pay account. Contact GOV.UK Pay support.";
    P0200, "No payment with that ID was found for this service.";
    P0298, "GOV.UK Pay had a problem finding the payment. Try again later.";
    P0300, "No payment with that ID was found for this service.";
    P0398, "GOV.UK Pay had a problem reading the payment's history. Try again later.";
    P0401, "A search filter was not valid.";
    P0402, "That page of search results does not exist.";
    P0498, "GOV.UK Pay had a problem with the search. Try again later.";
    P0500, "No payment with that ID was found, so it could not be cancelled.";
    P0501, "The payment could not be cancelled: it is already finished.";
    P0502, "The payment could not be cancelled because it is changing at this moment.";
    P0598, "GOV.UK Pay had a problem cancelling the payment. Check its status before trying again.";
    P0600, "No payment with that ID was found, so it could not be refunded.";
    P0601, "The refund amount was missing.";
    P0602, "The refund amount was not valid.";
    P0603, "The payment cannot be refunded now (not yet taken, disputed, already fully refunded, or the amount is more than is left).";
    P0604, "A refund has already been made or the amount changed since the payment was read.";
    P0697, "GOV.UK Pay could not read the refund request.";
    P0698, "GOV.UK Pay had a problem with the refund. Check the payment's refunds before trying again.";
    P0700, "No refund with that ID was found for this payment.";
    P0798, "GOV.UK Pay had a problem reading the refund. Try again later.";
    P0800, "No payment with that ID was found, so its refunds could not be read.";
    P0898, "GOV.UK Pay had a problem reading the refunds. Try again later.";
    P0900, "GOV.UK Pay is busy with this account's requests: Paydesk waits and tries again.";
    P0920, "GOV.UK Pay's firewall blocked the request (for example a character it does not allow).";
    P0930, "This API key may not do that.";
    P0940, "This service's account is not yet linked to a payment provider.";
    P0941, "GOV.UK Pay has switched off payments and refunds for this service. Contact GOV.UK Pay support.";
    P0942, "Recurring payments are not turned on for this service.";
    P0999, "GOV.UK Pay is not available at the moment. Try again later.";
    P1000, "No payment with that ID was found, so it could not be captured.";
    P1001, "The payment could not be captured.";
    P1003, "The payment cannot be captured: it is not waiting for capture.";
    P1098, "GOV.UK Pay had a problem capturing the payment. Check its status before trying again.";
    P1100, "That page of refund results does not exist.";
    P1101, "A refund search filter was not valid.";
    P1211, "The payment's one-time token is not valid. Read the payment again for a new one.";
    P1212, "The payment's one-time token was already used. Read the payment to see what happened.";
    P1898, "GOV.UK Pay had a problem with the refund search. Try again later.";
    P2101, "A required detail of the agreement was missing.";
    P2102, "A detail of the agreement was not valid.";
    P2197, "GOV.UK Pay could not read the agreement request.";
    P2198, "GOV.UK Pay had a problem creating the agreement. Try again later.";
    P2200, "No agreement with that ID was found for this service.";
    P2298, "GOV.UK Pay had a problem reading the agreement. Try again later.";
    P2401, "An agreement search filter was not valid.";
    P2402, "That page of agreement results does not exist.";
    P2498, "GOV.UK Pay had a problem with the agreement search. Try again later.";
    P2500, "No agreement with that ID was found, so it could not be cancelled.";
    P2501, "The agreement could not be cancelled: only an active agreement can be.";
    P2598, "GOV.UK Pay had a problem cancelling the agreement. Check its status before trying again.";
}

impl fmt::Display for PayCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PayCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PayCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads a code in place, without allocating.
struct CodeText;

impl Visitor<'_> for CodeText {
    type Value = Result<PayCode, NotAPayCode>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GOV.UK Pay code")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.parse())
    }
}

impl<'de> Deserialize<'de> for PayCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CodeText)?.map_err(de::Error::custom)
    }
}

/// Reads an optional code leniently: text that cannot be a code (empty, or
/// long prose) is dropped, with the rest of the answer kept, rather than
/// failing the whole decode.
pub(crate) fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PayCode>, D::Error> {
    struct Maybe;
    impl<'de> Visitor<'de> for Maybe {
        type Value = Option<PayCode>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a GOV.UK Pay code or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            Ok(d.deserialize_str(CodeText)?.ok())
        }
    }
    d.deserialize_option(Maybe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_explained() {
        assert_eq!(PayCode::ALL.len(), 66);
        for &code in PayCode::ALL {
            assert_eq!(code.as_str().parse::<PayCode>(), Ok(code));
            let words = code.explain().unwrap_or_default();
            assert!(words.ends_with('.'), "{code}");
            assert!(words.len() > 20, "{code}");
        }
    }

    #[test]
    fn a_code_added_later_is_kept_and_quoted_but_not_explained() {
        let code: PayCode = "P9999".parse().unwrap();
        assert_eq!(code.to_string(), "P9999");
        assert!(!code.is_known());
        assert_eq!(code.explain(), None);
        let json: PayCode = serde_json::from_str("\"P4242\"").unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), "\"P4242\"");
    }

    #[test]
    fn text_that_is_not_a_code_is_refused_and_odd_codes_are_kept() {
        for bad in ["", "P0604 ", "P 604", "P０604", "P06041234", "P0604\n"] {
            assert!(bad.parse::<PayCode>().is_err(), "{bad:?}");
        }
        // The spec's own example for a failed payment's code is "P010".
        for odd in ["P010", "p0604", "E1", "P06041234"[..8].as_ref()] {
            let code: PayCode = odd.parse().unwrap();
            assert_eq!(code.as_str(), odd);
            assert!(!code.is_known());
        }
        assert_ne!(
            "P0604".parse::<PayCode>().unwrap(),
            "p0604".parse().unwrap()
        );
        assert_eq!("P0604".parse::<PayCode>().unwrap(), PayCode::P0604);
    }
}
