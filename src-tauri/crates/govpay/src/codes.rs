//! Every GOV.UK Pay error code (`error_codes.csv`), with a short explanation
//! written for the staff who will read it on screen and quote it to support.

use std::fmt;
use std::str::FromStr;

macro_rules! pay_codes {
    ($($variant:ident = $code:literal, $explain:literal;)*) => {
        /// A GOV.UK Pay error code (a "P-code").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PayCode {
            $($variant,)*
        }

        impl PayCode {
            /// Every code, in the order of the API's own list.
            pub const ALL: &'static [PayCode] = &[$(PayCode::$variant,)*];

            /// The code as GOV.UK Pay writes it, e.g. `"P0604"`.
            pub fn as_str(self) -> &'static str {
                match self { $(PayCode::$variant => $code,)* }
            }

            /// What the code means, in words for staff.
            pub fn explain(self) -> &'static str {
                match self { $(PayCode::$variant => $explain,)* }
            }
        }

        impl FromStr for PayCode {
            type Err = UnknownPayCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok(PayCode::$variant),)*
                    _ => Err(UnknownPayCode(s.to_owned())),
                }
            }
        }
    };
}

/// A code GOV.UK Pay sent that this version of Paydesk does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown GOV.UK Pay code {0}")]
pub struct UnknownPayCode(pub String);

pay_codes! {
    P0010 = "P0010", "The card was declined: no money was taken. The caller can try another card.";
    P0020 = "P0020", "The payment expired before it was finished: no money was taken.";
    P0030 = "P0030", "The paying user cancelled the payment: no money was taken.";
    P0040 = "P0040", "The service cancelled the payment: no money was taken.";
    P0050 = "P0050", "The payment provider had an error: no money was taken. Try again later.";
    P0101 = "P0101", "A required detail was missing from the request.";
    P0102 = "P0102", "A detail in the request was not valid.";
    P0103 = "P0103", "The agreement to set up does not exist.";
    P0104 = "P0104", "The request included a detail that is not allowed for this kind of payment.";
    P0105 = "P0105", "The reference looks like it contains a card number, which is not allowed.";
    P0191 = "P0191", "That idempotency key was already used for a different payment.";
    P0195 = "P0195", "Telephone payments through Paydesk are not turned on for this service, so no card details were asked for. Your service's GOV.UK Pay administrator can ask GOV.UK Pay support to turn them on.";
    P0196 = "P0196", "Telephone (MOTO) payments are not turned on for this service. Your service's GOV.UK Pay administrator can ask GOV.UK Pay support to turn them on.";
    P0197 = "P0197", "GOV.UK Pay could not read the request.";
    P0198 = "P0198", "GOV.UK Pay had a problem creating the payment. Check the payment list before trying again.";
    P0199 = "P0199", "There is a problem with this service's GOV.UK Pay account. Contact GOV.UK Pay support.";
    P0200 = "P0200", "No payment with that ID was found for this service.";
    P0298 = "P0298", "GOV.UK Pay had a problem finding the payment. Try again later.";
    P0300 = "P0300", "No payment with that ID was found for this service.";
    P0398 = "P0398", "GOV.UK Pay had a problem reading the payment's history. Try again later.";
    P0401 = "P0401", "A search filter was not valid.";
    P0402 = "P0402", "That page of search results does not exist.";
    P0498 = "P0498", "GOV.UK Pay had a problem with the search. Try again later.";
    P0500 = "P0500", "No payment with that ID was found, so it could not be cancelled.";
    P0501 = "P0501", "The payment could not be cancelled: it is already finished.";
    P0502 = "P0502", "The payment could not be cancelled because it is changing at this moment.";
    P0598 = "P0598", "GOV.UK Pay had a problem cancelling the payment. Check its status before trying again.";
    P0600 = "P0600", "No payment with that ID was found, so it could not be refunded.";
    P0601 = "P0601", "The refund amount was missing.";
    P0602 = "P0602", "The refund amount was not valid.";
    P0603 = "P0603", "The payment cannot be refunded now (not yet taken, disputed, already fully refunded, or the amount is more than is left).";
    P0604 = "P0604", "A refund has already been made or the amount changed since the payment was read.";
    P0697 = "P0697", "GOV.UK Pay could not read the refund request.";
    P0698 = "P0698", "GOV.UK Pay had a problem with the refund. Check the payment's refunds before trying again.";
    P0700 = "P0700", "No refund with that ID was found for this payment.";
    P0798 = "P0798", "GOV.UK Pay had a problem reading the refund. Try again later.";
    P0800 = "P0800", "No payment with that ID was found, so its refunds could not be read.";
    P0898 = "P0898", "GOV.UK Pay had a problem reading the refunds. Try again later.";
    P0900 = "P0900", "GOV.UK Pay is busy with this account's requests: Paydesk waits and tries again.";
    P0920 = "P0920", "GOV.UK Pay's firewall blocked the request (for example a character it does not allow).";
    P0930 = "P0930", "This API key may not do that.";
    P0940 = "P0940", "This service's account is not yet linked to a payment provider.";
    P0941 = "P0941", "GOV.UK Pay has switched off payments and refunds for this service. Contact GOV.UK Pay support.";
    P0942 = "P0942", "Recurring payments are not turned on for this service.";
    P0999 = "P0999", "GOV.UK Pay is not available at the moment. Try again later.";
    P1000 = "P1000", "No payment with that ID was found, so it could not be captured.";
    P1001 = "P1001", "The payment could not be captured.";
    P1003 = "P1003", "The payment cannot be captured: it is not waiting for capture.";
    P1098 = "P1098", "GOV.UK Pay had a problem capturing the payment. Check its status before trying again.";
    P1100 = "P1100", "That page of refund results does not exist.";
    P1101 = "P1101", "A refund search filter was not valid.";
    P1211 = "P1211", "The payment's one-time token is not valid. Read the payment again for a new one.";
    P1212 = "P1212", "The payment's one-time token was already used. Read the payment to see what happened.";
    P1898 = "P1898", "GOV.UK Pay had a problem with the refund search. Try again later.";
    P2101 = "P2101", "A required detail of the agreement was missing.";
    P2102 = "P2102", "A detail of the agreement was not valid.";
    P2197 = "P2197", "GOV.UK Pay could not read the agreement request.";
    P2198 = "P2198", "GOV.UK Pay had a problem creating the agreement. Try again later.";
    P2200 = "P2200", "No agreement with that ID was found for this service.";
    P2298 = "P2298", "GOV.UK Pay had a problem reading the agreement. Try again later.";
    P2401 = "P2401", "An agreement search filter was not valid.";
    P2402 = "P2402", "That page of agreement results does not exist.";
    P2498 = "P2498", "GOV.UK Pay had a problem with the agreement search. Try again later.";
    P2500 = "P2500", "No agreement with that ID was found, so it could not be cancelled.";
    P2501 = "P2501", "The agreement could not be cancelled: only an active agreement can be.";
    P2598 = "P2598", "GOV.UK Pay had a problem cancelling the agreement. Check its status before trying again.";
}

impl fmt::Display for PayCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_explained() {
        assert_eq!(PayCode::ALL.len(), 66);
        for &code in PayCode::ALL {
            assert_eq!(code.as_str().parse::<PayCode>(), Ok(code));
            assert!(code.explain().ends_with('.'), "{code}");
            assert!(code.explain().len() > 20, "{code}");
        }
        assert!("P9999".parse::<PayCode>().is_err());
    }
}
