//! Amounts of money as staff type them, and as Paydesk writes them.
//!
//! One rule, stated here once: pounds and pence, with an optional `£` and
//! optional thousands separators that must fall every three digits. What a
//! person reading the text would take it to mean is what it means, or it is
//! refused: "1,50" could be read as £1.50 or £150.00, so it is refused, not
//! guessed. The UI checks what is typed with the same pattern, written out by
//! `tests::export_the_rule_to_the_ui` into `ui/src/bindings/amountRule.ts`
//! (committed, and checked fresh in CI like the ts-rs bindings).

use std::sync::LazyLock;

use regex::Regex;

use crate::error::FieldError;

/// The whole rule. Group 1 is the pounds (digits, maybe grouped by commas),
/// group 2 the pence (one or two digits; "12.5" is £12.50). Only ASCII digits:
/// `[0-9]`, never `\d`, which is Unicode in Rust. At most 9 digits of pounds.
/// The pattern is written in the part of regex syntax that Rust's `regex` and
/// JavaScript's `RegExp` read the same way.
pub const AMOUNT_PATTERN: &str =
    r"^[ \t]*£?[ \t]*([1-9][0-9]{0,2}(?:,[0-9]{3}){1,2}|[0-9]{1,9})(?:\.([0-9]{1,2}))?[ \t]*$";

/// What staff are told when the text is not an amount.
pub const AMOUNT_MESSAGE: &str = "Enter an amount in pounds and pence, like 12.50";

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant, checked by the tests
    Regex::new(AMOUNT_PATTERN).unwrap()
});

/// Why a typed amount was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountProblem {
    /// Nothing (or only spaces) was typed.
    Empty,
    /// Something was typed that is not pounds and pence as the rule says.
    NotAnAmount,
}

/// Pence from pounds and pence as typed.
pub fn parse_pence(text: &str) -> Result<i64, AmountProblem> {
    if text.trim().is_empty() {
        return Err(AmountProblem::Empty);
    }
    let caps = PATTERN.captures(text).ok_or(AmountProblem::NotAnAmount)?;
    let pounds: i64 = caps
        .get(1)
        .map(|m| m.as_str().replace(',', ""))
        .and_then(|p| p.parse().ok())
        .ok_or(AmountProblem::NotAnAmount)?;
    let pence: i64 = match caps.get(2).map(|m| m.as_str()) {
        None => 0,
        Some(f) if f.len() == 1 => f.parse::<i64>().map_err(|_| AmountProblem::NotAnAmount)? * 10,
        Some(f) => f.parse().map_err(|_| AmountProblem::NotAnAmount)?,
    };
    Ok(pounds * 100 + pence)
}

/// Pence from pounds and pence as typed into `field`, or that field's error.
/// `empty` is what to say when nothing was typed ("Enter the amount to refund").
pub fn parse_field(field: &str, text: &str, empty: &str) -> Result<i64, FieldError> {
    parse_pence(text).map_err(|p| match p {
        AmountProblem::Empty => FieldError::new(field, empty),
        AmountProblem::NotAnAmount => FieldError::new(field, AMOUNT_MESSAGE),
    })
}

/// `£1,234.56`.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_are_read_as_a_person_reads_them() {
        for (text, pence) in [
            ("10.50", 1050),
            ("12.5", 1250),
            ("7", 700),
            ("0.01", 1),
            ("£12.50", 1250),
            (" £ 1,000.50 ", 100_050),
            ("1,000", 100_000),
            ("1,000,000.00", 100_000_000),
            ("999,999,999.99", 99_999_999_999),
            ("012.50", 1250),
        ] {
            assert_eq!(parse_pence(text), Ok(pence), "{text:?}");
        }
    }

    #[test]
    fn text_that_could_mean_two_amounts_is_refused() {
        for text in [
            "1,50",
            "12,5",
            "1,0.00",
            "1.5.0",
            "1,00",
            "10,00.00",
            ",100",
            "1,",
            "1,000,00",
            "0,500",
            "1 000",
            "5.",
            ".5",
            "1.234",
            "-5",
            "+5",
            "1e3",
            "ten",
            "££5",
            "5£",
            "£-5",
            "1,234,567,890",
            "1234567890",
            "١٢",
            "１２",
            "12.5\n",
            "0x10",
        ] {
            assert_eq!(
                parse_pence(text),
                Err(AmountProblem::NotAnAmount),
                "{text:?}"
            );
        }
        assert_eq!(parse_pence(""), Err(AmountProblem::Empty));
        assert_eq!(parse_pence("  "), Err(AmountProblem::Empty));
    }

    #[test]
    fn a_refused_amount_names_its_field() {
        let e = parse_field("amount", "1,50", "Enter the amount to refund").unwrap_err();
        assert_eq!(e.field, "amount");
        assert_eq!(e.message, "Enter an amount in pounds and pence, like 12.50");
        let e = parse_field("amount", "", "Enter the amount to refund").unwrap_err();
        assert_eq!(e.message, "Enter the amount to refund");
    }

    #[test]
    fn pounds_are_written_for_people() {
        assert_eq!(pounds(0), "£0.00");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(123_456), "£1,234.56");
        assert_eq!(pounds(10_000_000), "£100,000.00");
        assert_eq!(pounds(-2500), "-£25.00");
    }

    /// What a person reading `text` takes it to mean, worked out without the
    /// pattern: the canonical writing of some pence, give or take a `£`, spaces
    /// around, leading zeros, the commas left out, and "x.5" for "x.50".
    fn a_reader_would_agree(text: &str, pence: i64) -> bool {
        let t = text.trim_matches([' ', '\t']);
        let t = t
            .strip_prefix('£')
            .unwrap_or(t)
            .trim_start_matches([' ', '\t']);
        let canonical = pounds(pence);
        let canonical = canonical.trim_start_matches('£');
        let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
        let fraction = match fraction.len() {
            0 => "00".to_owned(),
            1 => format!("{fraction}0"),
            _ => fraction.to_owned(),
        };
        let (c_whole, c_fraction) = canonical.split_once('.').unwrap_or((canonical, ""));
        if fraction != c_fraction {
            return false;
        }
        if whole.contains(',') {
            // Commas, when used, are exactly where the canonical writing has them.
            whole == c_whole
        } else {
            let stripped = whole.trim_start_matches('0');
            let stripped = if stripped.is_empty() { "0" } else { stripped };
            stripped == c_whole.replace(',', "")
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn no_text_panics_and_none_means_other_pence(text in "\\PC{0,16}") {
            if let Ok(pence) = parse_pence(&text) {
                prop_assert!(pence >= 0);
                prop_assert!(a_reader_would_agree(&text, pence), "{text:?} -> {pence}");
            }
        }

        #[test]
        fn amount_like_text_means_what_it_says(text in "[ £]{0,2}[0-9,.]{1,14}[ ]?") {
            if let Ok(pence) = parse_pence(&text) {
                prop_assert!(a_reader_would_agree(&text, pence), "{text:?} -> {pence}");
            }
        }

        #[test]
        fn every_amount_written_out_is_read_back(pence in 0i64..100_000_000_000) {
            let written = pounds(pence);
            prop_assert_eq!(parse_pence(&written), Ok(pence));
            prop_assert_eq!(parse_pence(&written.replace(',', "")), Ok(pence));
            prop_assert_eq!(parse_pence(written.trim_start_matches('£')), Ok(pence));
        }
    }

    /// Writes the rule for the UI beside the ts-rs bindings. CI fails when the
    /// committed file differs from what this writes (`make bindings-check`).
    #[test]
    fn export_the_rule_to_the_ui() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../../ui/src/bindings").to_owned()
        });
        let text = format!(
            "// Generated by paydesk-core (src/amount.rs). Do not edit: change the rule there.\n\
             \n\
             /** Pounds and pence as staff may type them: group 1 the pounds, group 2 the pence. */\n\
             export const AMOUNT_PATTERN = new RegExp({});\n\
             \n\
             /** What staff are told when the text is not an amount. */\n\
             export const AMOUNT_MESSAGE = {};\n",
            serde_json::to_string(AMOUNT_PATTERN).unwrap(),
            serde_json::to_string(AMOUNT_MESSAGE).unwrap(),
        );
        let path = std::path::Path::new(&dir).join("amountRule.ts");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).unwrap();
        }
    }
}
