//! What Paydesk sends, checked before it is sent with the API's own rules, so bad
//! input never reaches the network. Each rejection names its field and carries the
//! P-code GOV.UK Pay would have answered with.

use std::fmt;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::codes::PayCode;
use crate::error::Error;
use crate::ids::{AgreementId, EXTERNAL_ID_LEN};
use crate::models::{Address, Metadata, Pence};

pub const MAX_AMOUNT: Pence = 10_000_000;

fn reject(field: &'static str, pay_code: PayCode, message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        field,
        message: message.into(),
        pay_code,
    }
}

/// A required text field: 1..=max characters with no `<`, `>` or `|`.
fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    missing: PayCode,
    invalid: PayCode,
) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(reject(field, missing, "must not be empty"));
    }
    check_optional_text(field, value, max, invalid)
}

fn check_optional_text(
    field: &'static str,
    value: &str,
    max: usize,
    invalid: PayCode,
) -> Result<(), Error> {
    if value.chars().count() > max {
        return Err(reject(
            field,
            invalid,
            format!("must be {max} characters or fewer"),
        ));
    }
    if value.contains(['<', '>', '|']) {
        return Err(reject(field, invalid, "must not contain <, > or |"));
    }
    Ok(())
}

fn check_amount(field: &'static str, amount: Pence, code: PayCode) -> Result<(), Error> {
    if !(1..=MAX_AMOUNT).contains(&amount) {
        return Err(reject(field, code, "must be between 1p and £100,000.00"));
    }
    Ok(())
}

fn check_agreement_id(field: &'static str, id: &AgreementId) -> Result<(), Error> {
    if id.as_str().chars().count() != EXTERNAL_ID_LEN {
        return Err(reject(
            field,
            PayCode::P0102,
            format!("must be {EXTERNAL_ID_LEN} characters long"),
        ));
    }
    Ok(())
}

/// `metadata`: at most 15 keys of 1–30 characters, unique ignoring case; values
/// strings, numbers or booleans of at most 100 characters.
pub fn check_metadata(metadata: &Metadata) -> Result<(), Error> {
    let bad = |m: &str| Err(reject("metadata", PayCode::P0102, m));
    if metadata.len() > 15 {
        return bad("must have 15 keys or fewer");
    }
    let mut seen = std::collections::HashSet::new();
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > 30 {
            return bad("keys must be between 1 and 30 characters long");
        }
        if !seen.insert(key.to_lowercase()) {
            return bad("keys must be unique, ignoring case");
        }
        let len = match value {
            Value::String(s) => s.chars().count(),
            Value::Number(n) => n.to_string().len(),
            Value::Bool(_) => 0,
            _ => return bad("values must be text, numbers or true/false"),
        };
        if len > 100 {
            return bad("values must be 100 characters or fewer");
        }
    }
    Ok(())
}

/// How a payment is authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorisationMode {
    /// The paying user enters their card on GOV.UK Pay's page.
    Web,
    /// Card details are sent by the service (telephone payments).
    MotoApi,
    /// The card stored with a recurring-payment agreement is charged.
    Agreement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Cy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgreementPaymentType {
    Instalment,
    Recurring,
    Unscheduled,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefilledCardholderDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cardholder_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
}

/// `POST /v1/payments`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatePayment {
    pub amount: Pence,
    pub reference: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delayed_capture: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moto: Option<bool>,
    pub authorisation_mode: AuthorisationMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<AgreementId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_up_agreement: Option<AgreementId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_payment_type: Option<AgreementPaymentType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefilled_cardholder_details: Option<PrefilledCardholderDetails>,
}

impl CreatePayment {
    fn base(amount: Pence, reference: &str, description: &str, mode: AuthorisationMode) -> Self {
        Self {
            amount,
            reference: reference.to_owned(),
            description: description.to_owned(),
            return_url: None,
            email: None,
            language: None,
            metadata: None,
            delayed_capture: None,
            moto: None,
            authorisation_mode: mode,
            agreement_id: None,
            set_up_agreement: None,
            agreement_payment_type: None,
            prefilled_cardholder_details: None,
        }
    }

    /// A payment the paying user completes on GOV.UK Pay's page, then returns to `return_url`.
    pub fn web(amount: Pence, reference: &str, description: &str, return_url: &str) -> Self {
        Self {
            return_url: Some(return_url.to_owned()),
            ..Self::base(amount, reference, description, AuthorisationMode::Web)
        }
    }

    /// A telephone payment: card details are sent to `POST /v1/auth` with its token.
    pub fn moto(amount: Pence, reference: &str, description: &str) -> Self {
        Self::base(amount, reference, description, AuthorisationMode::MotoApi)
    }

    /// A payment taken with an active agreement's stored card.
    pub fn agreement(
        amount: Pence,
        reference: &str,
        description: &str,
        agreement_id: AgreementId,
    ) -> Self {
        Self {
            agreement_id: Some(agreement_id),
            agreement_payment_type: Some(AgreementPaymentType::Recurring),
            ..Self::base(amount, reference, description, AuthorisationMode::Agreement)
        }
    }

    /// The API's rules, checked without sending anything.
    pub fn validate(&self) -> Result<(), Error> {
        check_amount("amount", self.amount, PayCode::P0102)?;
        check_text(
            "reference",
            &self.reference,
            255,
            PayCode::P0101,
            PayCode::P0102,
        )?;
        check_text(
            "description",
            &self.description,
            255,
            PayCode::P0101,
            PayCode::P0102,
        )?;
        if let Some(email) = &self.email
            && email.chars().count() > 254
        {
            return Err(reject(
                "email",
                PayCode::P0102,
                "must be 254 characters or fewer",
            ));
        }
        if let Some(m) = &self.metadata {
            check_metadata(m)?;
        }
        let unexpected = |field: &'static str| {
            reject(
                field,
                PayCode::P0104,
                "is not allowed for this kind of payment",
            )
        };
        match (self.authorisation_mode, &self.return_url) {
            (AuthorisationMode::Web, None) => {
                return Err(reject(
                    "return_url",
                    PayCode::P0101,
                    "is needed for a web payment",
                ));
            }
            (AuthorisationMode::Web, Some(u)) => {
                let ok = url::Url::parse(u)
                    .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
                if !ok || u.chars().count() > 2000 {
                    return Err(reject(
                        "return_url",
                        PayCode::P0102,
                        "must be a valid URL of 2,000 characters or fewer",
                    ));
                }
            }
            (_, Some(_)) => return Err(unexpected("return_url")),
            (_, None) => {}
        }
        match self.authorisation_mode {
            AuthorisationMode::Agreement => {
                let id = self.agreement_id.as_ref().ok_or_else(|| {
                    reject(
                        "agreement_id",
                        PayCode::P0101,
                        "is needed for an agreement payment",
                    )
                })?;
                check_agreement_id("agreement_id", id)?;
                if self.email.is_some() {
                    return Err(unexpected("email"));
                }
                if self.moto.is_some() {
                    return Err(unexpected("moto"));
                }
                if self.prefilled_cardholder_details.is_some() {
                    return Err(unexpected("prefilled_cardholder_details"));
                }
            }
            _ if self.agreement_id.is_some() => return Err(unexpected("agreement_id")),
            _ => {}
        }
        if let Some(id) = &self.set_up_agreement {
            check_agreement_id("set_up_agreement", id)?;
            if self.authorisation_mode != AuthorisationMode::Web {
                return Err(unexpected("set_up_agreement"));
            }
        }
        if self.agreement_payment_type.is_some()
            && self.set_up_agreement.is_none()
            && self.authorisation_mode != AuthorisationMode::Agreement
        {
            return Err(unexpected("agreement_payment_type"));
        }
        if let Some(p) = &self.prefilled_cardholder_details
            && let Some(name) = &p.cardholder_name
            && name.chars().count() > 255
        {
            return Err(reject(
                "prefilled_cardholder_details",
                PayCode::P0102,
                "the cardholder name must be 255 characters or fewer",
            ));
        }
        Ok(())
    }
}

/// `POST /v1/payments/{id}/refunds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CreateRefund {
    pub amount: Pence,
    /// What the payment's `refund_summary.amount_available` was when the refund
    /// was decided. GOV.UK Pay answers 412 P0604 if it has changed since: the
    /// guard against refunding twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_amount_available: Option<Pence>,
}

impl CreateRefund {
    pub fn validate(&self) -> Result<(), Error> {
        check_amount("amount", self.amount, PayCode::P0602)?;
        if let Some(available) = self.refund_amount_available {
            if !(0..=MAX_AMOUNT).contains(&available) {
                return Err(reject(
                    "refund_amount_available",
                    PayCode::P0602,
                    "must be between £0.00 and £100,000.00",
                ));
            }
            if self.amount > available {
                return Err(reject(
                    "amount",
                    PayCode::P0603,
                    "must not be more than the amount available to refund",
                ));
            }
        }
        Ok(())
    }
}

/// `POST /v1/agreements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateAgreement {
    pub reference: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identifier: Option<String>,
}

impl CreateAgreement {
    pub fn validate(&self) -> Result<(), Error> {
        if self.reference.trim().is_empty() {
            return Err(reject("reference", PayCode::P2101, "must not be empty"));
        }
        if self.description.trim().is_empty() {
            return Err(reject("description", PayCode::P2101, "must not be empty"));
        }
        for (field, value) in [
            ("reference", &self.reference),
            ("description", &self.description),
        ] {
            if value.chars().count() > 255 {
                return Err(reject(
                    field,
                    PayCode::P0102,
                    "must be 255 characters or fewer",
                ));
            }
            if value.contains(['<', '>', '|']) {
                return Err(reject(field, PayCode::P2102, "must not contain <, > or |"));
            }
        }
        if let Some(u) = &self.user_identifier
            && (u.is_empty() || u.chars().count() > 255)
        {
            return Err(reject(
                "user_identifier",
                PayCode::P2102,
                "must be between 1 and 255 characters",
            ));
        }
        Ok(())
    }
}

/// Card details read out by a caller, for `POST /v1/auth`.
///
/// Held only until they are sent: `Debug` shows nothing, there is no
/// `Serialize` (the request body is built by hand into wiped memory), and every
/// field is wiped when this is dropped.
pub struct MotoCard {
    card_number: Zeroizing<String>,
    cvc: Zeroizing<String>,
    expiry_date: Zeroizing<String>,
    cardholder_name: Zeroizing<String>,
}

impl fmt::Debug for MotoCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MotoCard(<redacted>)")
    }
}

impl MotoCard {
    /// Takes the fields as typed: spaces and dashes in the number are dropped.
    pub fn new(card_number: &str, expiry_date: &str, cvc: &str, cardholder_name: &str) -> Self {
        Self {
            card_number: Zeroizing::new(
                card_number
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect(),
            ),
            cvc: Zeroizing::new(cvc.trim().to_owned()),
            expiry_date: Zeroizing::new(expiry_date.trim().to_owned()),
            cardholder_name: Zeroizing::new(cardholder_name.trim().to_owned()),
        }
    }

    /// The last four digits: all of the number Paydesk may keep.
    pub fn last4(&self) -> String {
        let n = self.card_number.as_str();
        n.get(n.len().saturating_sub(4)..)
            .unwrap_or_default()
            .to_owned()
    }

    /// The API's checks, plus Luhn, with `now` deciding what "in the past" means.
    pub fn validate_at(&self, now: OffsetDateTime) -> Result<(), Error> {
        let number = self.card_number.as_str();
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reject(
                "card_number",
                PayCode::P0102,
                "must be 12 to 19 digits",
            ));
        }
        if !luhn_valid(number) {
            return Err(reject(
                "card_number",
                PayCode::P0010,
                "is not a valid card number",
            ));
        }
        let cvc = self.cvc.as_str();
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reject("cvc", PayCode::P0102, "must be 3 or 4 digits"));
        }
        match expiry_not_past(&self.expiry_date, now) {
            None => {
                return Err(reject(
                    "expiry_date",
                    PayCode::P0102,
                    "must be a date in the format MM/YY",
                ));
            }
            Some(false) => {
                return Err(reject(
                    "expiry_date",
                    PayCode::P0102,
                    "must not be in the past",
                ));
            }
            Some(true) => {}
        }
        let name = self.cardholder_name.as_str();
        if name.is_empty() {
            return Err(reject(
                "cardholder_name",
                PayCode::P0101,
                "must not be empty",
            ));
        }
        if name.chars().count() > 255 {
            return Err(reject(
                "cardholder_name",
                PayCode::P0102,
                "must be 255 characters or fewer",
            ));
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at(OffsetDateTime::now_utc())
    }

    /// The JSON body, written straight into memory that is wiped when dropped
    /// (serde writes from the fields; no other copy is made on the way).
    pub(crate) fn body(&self, one_time_token: &str) -> Zeroizing<Vec<u8>> {
        #[derive(Serialize)]
        struct AuthBody<'a> {
            one_time_token: &'a str,
            card_number: &'a str,
            cvc: &'a str,
            expiry_date: &'a str,
            cardholder_name: &'a str,
        }
        // Room for the whole body up front, so the buffer never moves (a move
        // would leave an unwiped copy behind).
        let mut out = Zeroizing::new(Vec::with_capacity(
            256 + one_time_token.len() + 2 * self.cardholder_name.len(),
        ));
        let body = AuthBody {
            one_time_token,
            card_number: &self.card_number,
            cvc: &self.cvc,
            expiry_date: &self.expiry_date,
            cardholder_name: &self.cardholder_name,
        };
        if serde_json::to_writer(&mut *out, &body).is_err() {
            out.clear();
        }
        out
    }
}

/// The Luhn checksum every real card number passes.
pub fn luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `MM/YY` and not before this month. `None` when it is not a date in that form.
pub fn expiry_not_past(expiry: &str, now: OffsetDateTime) -> Option<bool> {
    let (mm, yy) = expiry.split_once('/')?;
    if mm.len() != 2 || yy.len() != 2 || !mm.bytes().chain(yy.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u8 = mm.parse().ok()?;
    let year: i32 = yy.parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    Some((2000 + year, month) >= (now.year(), u8::from(now.month())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_and_code(e: Error) -> (&'static str, PayCode) {
        match e {
            Error::InvalidRequest {
                field, pay_code, ..
            } => (field, pay_code),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn create_payment_rules_name_the_field_and_the_code() {
        let ok = CreatePayment::web(100, "R", "D", "https://x.example/r");
        ok.validate().unwrap();
        let agreement_id = AgreementId::from_trusted("a".repeat(26));
        let cases: Vec<(CreatePayment, (&str, PayCode))> = vec![
            (
                CreatePayment {
                    amount: 0,
                    ..ok.clone()
                },
                ("amount", PayCode::P0102),
            ),
            (
                CreatePayment {
                    amount: MAX_AMOUNT + 1,
                    ..ok.clone()
                },
                ("amount", PayCode::P0102),
            ),
            (
                CreatePayment {
                    reference: " ".into(),
                    ..ok.clone()
                },
                ("reference", PayCode::P0101),
            ),
            (
                CreatePayment {
                    reference: "x".repeat(256),
                    ..ok.clone()
                },
                ("reference", PayCode::P0102),
            ),
            (
                CreatePayment {
                    description: "a>b".into(),
                    ..ok.clone()
                },
                ("description", PayCode::P0102),
            ),
            (
                CreatePayment {
                    email: Some("e".repeat(255)),
                    ..ok.clone()
                },
                ("email", PayCode::P0102),
            ),
            (
                CreatePayment {
                    return_url: None,
                    ..ok.clone()
                },
                ("return_url", PayCode::P0101),
            ),
            (
                CreatePayment {
                    return_url: Some("nope".into()),
                    ..ok.clone()
                },
                ("return_url", PayCode::P0102),
            ),
            (
                CreatePayment {
                    return_url: Some("https://x".into()),
                    ..CreatePayment::moto(100, "R", "D")
                },
                ("return_url", PayCode::P0104),
            ),
            (
                CreatePayment {
                    agreement_id: Some(agreement_id.clone()),
                    ..ok.clone()
                },
                ("agreement_id", PayCode::P0104),
            ),
            (
                CreatePayment {
                    agreement_id: Some(AgreementId::from_trusted("short")),
                    ..CreatePayment::agreement(100, "R", "D", agreement_id.clone())
                },
                ("agreement_id", PayCode::P0102),
            ),
            (
                CreatePayment {
                    email: Some("a@b.c".into()),
                    ..CreatePayment::agreement(100, "R", "D", agreement_id.clone())
                },
                ("email", PayCode::P0104),
            ),
            (
                CreatePayment {
                    set_up_agreement: Some(agreement_id.clone()),
                    ..CreatePayment::moto(100, "R", "D")
                },
                ("set_up_agreement", PayCode::P0104),
            ),
            (
                CreatePayment {
                    agreement_payment_type: Some(AgreementPaymentType::Recurring),
                    ..ok.clone()
                },
                ("agreement_payment_type", PayCode::P0104),
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(
                field_and_code(request.validate().unwrap_err()),
                expected,
                "{request:?}"
            );
        }
    }

    #[test]
    fn metadata_rules() {
        let meta = |v: Value| {
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Metadata>()
        };
        check_metadata(&meta(json!({"a": "x", "b": 1, "c": true, "d": ""}))).unwrap();
        let too_many: Metadata = (0..16).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(check_metadata(&too_many).is_err());
        assert!(check_metadata(&meta(json!({"Key": 1, "key": 2}))).is_err());
        assert!(check_metadata(&meta(json!({"k": null}))).is_err());
        assert!(check_metadata(&meta(json!({"k": "x".repeat(101)}))).is_err());
        assert!(check_metadata(&meta(json!({"a_key_much_longer_than_thirty_chars": 1}))).is_err());
    }

    #[test]
    fn refund_rules() {
        CreateRefund {
            amount: 500,
            refund_amount_available: Some(500),
        }
        .validate()
        .unwrap();
        assert_eq!(
            field_and_code(
                CreateRefund {
                    amount: 0,
                    refund_amount_available: None
                }
                .validate()
                .unwrap_err()
            ),
            ("amount", PayCode::P0602)
        );
        assert_eq!(
            field_and_code(
                CreateRefund {
                    amount: 501,
                    refund_amount_available: Some(500)
                }
                .validate()
                .unwrap_err()
            ),
            ("amount", PayCode::P0603)
        );
    }

    #[test]
    fn agreement_rules() {
        let ok = CreateAgreement {
            reference: "R".into(),
            description: "D".into(),
            user_identifier: None,
        };
        ok.validate().unwrap();
        assert_eq!(
            field_and_code(
                CreateAgreement {
                    reference: "".into(),
                    ..ok.clone()
                }
                .validate()
                .unwrap_err()
            ),
            ("reference", PayCode::P2101)
        );
        assert_eq!(
            field_and_code(
                CreateAgreement {
                    description: "x".repeat(256),
                    ..ok.clone()
                }
                .validate()
                .unwrap_err()
            ),
            ("description", PayCode::P0102)
        );
        assert_eq!(
            field_and_code(
                CreateAgreement {
                    reference: "a|b".into(),
                    ..ok.clone()
                }
                .validate()
                .unwrap_err()
            ),
            ("reference", PayCode::P2102)
        );
        assert_eq!(
            field_and_code(
                CreateAgreement {
                    user_identifier: Some("".into()),
                    ..ok
                }
                .validate()
                .unwrap_err()
            ),
            ("user_identifier", PayCode::P2102)
        );
    }

    #[test]
    fn moto_card_rules() {
        let now = time::macros::datetime!(2026-11-21 12:00 UTC);
        MotoCard::new("4444 3333 2222 1111", "11/26", "123", "Sam")
            .validate_at(now)
            .unwrap();
        let check = |n: &str, e: &str, c: &str, h: &str| {
            field_and_code(MotoCard::new(n, e, c, h).validate_at(now).unwrap_err())
        };
        assert_eq!(
            check("4444 3333", "12/30", "123", "Sam"),
            ("card_number", PayCode::P0102)
        );
        assert_eq!(
            check("4444333322221112", "12/30", "123", "Sam"),
            ("card_number", PayCode::P0010)
        );
        assert_eq!(
            check("4444333322221111", "12/30", "12", "Sam"),
            ("cvc", PayCode::P0102)
        );
        assert_eq!(
            check("4444333322221111", "12/30", "12a", "Sam"),
            ("cvc", PayCode::P0102)
        );
        assert_eq!(
            check("4444333322221111", "10/26", "123", "Sam"),
            ("expiry_date", PayCode::P0102)
        );
        assert_eq!(
            check("4444333322221111", "13/30", "123", "Sam"),
            ("expiry_date", PayCode::P0102)
        );
        assert_eq!(
            check("4444333322221111", "12/30", "123", " "),
            ("cardholder_name", PayCode::P0101)
        );
    }

    #[test]
    fn moto_card_hides_itself() {
        let card = MotoCard::new("4444333322221111", "12/30", "987", "Sam");
        let shown = format!("{card:?}");
        assert!(!shown.contains("4444") && !shown.contains("987"), "{shown}");
        assert_eq!(card.last4(), "1111");
        let body = card.body("tok");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["card_number"], "4444333322221111");
        assert_eq!(v["one_time_token"], "tok");
    }
}
