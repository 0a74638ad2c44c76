//! What a test card does, from GOV.UK Pay's published test card list
//! (`test_cards.csv`): the card number alone decides the outcome.

use crate::accounts::PaymentProvider;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Authorised,
    /// Declined, expired or CVC failure: `failed` P0010.
    Declined,
    /// The provider errored: `error` P0050.
    ProviderError,
}

/// What happens after a successful payment with this card (Stripe test cards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterCapture {
    Nothing,
    DisputeLost,
    DisputeWon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TestCard {
    pub outcome: Outcome,
    pub brand: &'static str,
    pub card_type: &'static str,
    pub after: AfterCapture,
    /// Agreement (recurring) payments with this card are declined.
    pub declines_recurring: bool,
    /// The issuer asks for 3-D Secure.
    pub three_ds: bool,
}

const fn card(outcome: Outcome, brand: &'static str, card_type: &'static str) -> TestCard {
    TestCard {
        outcome,
        brand,
        card_type,
        after: AfterCapture::Nothing,
        declines_recurring: false,
        three_ds: false,
    }
}

use Outcome::*;

/// Cards that behave the same on the sandbox and Stripe test providers.
fn common(number: &str) -> Option<TestCard> {
    Some(match number {
        "4242424242424242" | "4444333322221111" | "4000056655665556" | "4000000000000010"
        | "4000160000000004" | "4000020000000000" | "4988080000000000" | "4111111111111111"
        | "4293189100000008" | "4131840000000003" | "4000180000000002" => {
            card(Authorised, "Visa", "debit")
        }
        "4917610000000000003" => card(Authorised, "Visa", "debit"),
        "4000008260000000" | "4000002500000003" => card(Authorised, "Visa", "credit"),
        "4000058260000005" => card(Authorised, "Visa", "debit"),
        "371449635398431" => card(Authorised, "American Express", "credit"),
        "3566002020360505" => card(Authorised, "JCB", "credit"),
        "6011000990139424" => card(Authorised, "Discover", "credit"),
        "36148900647913" => card(Authorised, "Diners Club", "credit"),
        "222100000000000" | "5101180000000007" => card(Authorised, "Mastercard", "credit"),
        "5200828282828210" => card(Authorised, "Mastercard", "debit"),
        "5105105105105100" => TestCard {
            declines_recurring: true,
            ..card(Authorised, "Mastercard", "debit")
        },
        "4000000000000002" | "4000000000000069" | "4000000000000127" => {
            card(Declined, "Visa", "credit")
        }
        "4000000000000119" => card(ProviderError, "Visa", "credit"),
        _ => return None,
    })
}

/// Cards only the Stripe test provider knows.
fn stripe_only(number: &str) -> Option<TestCard> {
    Some(match number {
        "4000000000000259" => TestCard {
            after: AfterCapture::DisputeLost,
            ..card(Authorised, "Visa", "credit")
        },
        "4000000000002685" => TestCard {
            after: AfterCapture::DisputeWon,
            ..card(Authorised, "Visa", "credit")
        },
        "4000002500003155" => TestCard {
            three_ds: true,
            ..card(Authorised, "Visa", "credit")
        },
        "4000002760003184" => TestCard {
            three_ds: true,
            declines_recurring: true,
            ..card(Authorised, "Visa", "credit")
        },
        "4000000000009995" => card(Declined, "Visa", "credit"),
        _ => return None,
    })
}

/// The outcome for a Luhn-valid number. Numbers no list knows end as a provider
/// error ("Unsupported card details."), as on GOV.UK Pay's sandbox.
pub(crate) fn lookup(provider: PaymentProvider, number: &str) -> TestCard {
    let known = match provider {
        PaymentProvider::Stripe => stripe_only(number).or_else(|| common(number)),
        PaymentProvider::Sandbox => common(number),
    };
    known.unwrap_or(card(ProviderError, "Visa", "credit"))
}

/// The Luhn checksum every real card number passes (the client's own check).
pub(crate) use govpay::requests::luhn_valid;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_every_published_test_card() {
        for n in [
            "4242424242424242",
            "4444333322221111",
            "4917610000000000003",
            "371449635398431",
            "36148900647913",
            "4000000000000002",
            "4000000000000119",
            "4000000000000259",
        ] {
            assert!(luhn_valid(n), "{n}");
        }
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid("4242 4242"));
    }

    #[test]
    fn the_number_decides_the_outcome() {
        let p = PaymentProvider::Sandbox;
        assert_eq!(lookup(p, "4444333322221111").outcome, Outcome::Authorised);
        assert_eq!(lookup(p, "4000000000000002").outcome, Outcome::Declined);
        assert_eq!(lookup(p, "4000000000000069").outcome, Outcome::Declined);
        assert_eq!(
            lookup(p, "4000000000000119").outcome,
            Outcome::ProviderError
        );
        assert_eq!(
            lookup(p, "4000000000000259").outcome,
            Outcome::ProviderError,
            "sandbox does not know Stripe's dispute cards"
        );
        let s = PaymentProvider::Stripe;
        assert_eq!(
            lookup(s, "4000000000000259").after,
            AfterCapture::DisputeLost
        );
        assert_eq!(
            lookup(s, "4000000000002685").after,
            AfterCapture::DisputeWon
        );
        assert!(lookup(p, "5105105105105100").declines_recurring);
    }

    /// Every numbered card of GOV.UK Pay's published list for the sandbox and
    /// Stripe test providers does here what the list says: authorised,
    /// declined or a provider error, with the list's brand.
    #[test]
    fn every_published_test_card_does_what_the_list_says() {
        let list = include_str!("../../govpay/reference/test_cards.csv");
        let mut checked = 0;
        for line in list.lines().skip(1) {
            let cols: Vec<&str> = line.splitn(6, ',').collect();
            let (context, number, brand, outcome) = (cols[0], cols[1], cols[2], cols[4]);
            let provider = match context {
                "sandbox" => PaymentProvider::Sandbox,
                "stripe-test" => PaymentProvider::Stripe,
                _ => continue,
            };
            if !number.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            // What the first payment does: "success first auth; recurring
            // payments declined" is a success.
            let said = outcome.split(';').next().unwrap_or("").to_lowercase();
            let expected = if ["declined", "expired", "cvc", "unsuccessful"]
                .iter()
                .any(|w| said.contains(w))
            {
                Outcome::Declined
            } else if said.contains("error") {
                Outcome::ProviderError
            } else {
                Outcome::Authorised
            };
            let card = lookup(provider, number);
            assert_eq!(card.outcome, expected, "{context} {number}: {outcome}");
            assert_eq!(card.brand, brand, "{context} {number}");
            checked += 1;
        }
        assert!(checked > 40, "only {checked} cards read from the list");
    }
}
