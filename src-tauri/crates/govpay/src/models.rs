//! Wire types of the GOV.UK Pay public API, shared by the client and the simulator.
//!
//! Responses are read leniently: every field the API may leave out is optional, and
//! fields we do not know are ignored, because GOV.UK Pay adds fields without a new
//! API version. Serialising leaves out absent fields, as the API does (`NON_EMPTY`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codes::PayCode;
use crate::ids::{AgreementId, DisputeId, PaymentId, RefundId};
use crate::states::{
    AgreementStatus, CardType, DisputeStatus, PaymentMode, PaymentProvider, PaymentStatus,
    RefundAvailability, RefundStatus,
};

/// Money in pence. GOV.UK Pay amounts are whole pence, up to £100,000.
pub type Pence = i64;

/// A HAL-style link: `{href, method?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// A link that must be POSTed, with its content type and parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostLink {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
}

/// Where a payment is in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub status: PaymentStatus,
    #[serde(default)]
    pub finished: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why a payment failed (P0010 …), when it did.
    #[serde(
        default,
        deserialize_with = "crate::codes::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<PayCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_retry: Option<bool>,
}

/// Whether, and how much of, a payment can be refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSummary {
    pub status: RefundAvailability,
    #[serde(default)]
    pub amount_available: Pence,
    #[serde(default)]
    pub amount_submitted: Pence,
}

/// When a payment was captured and settled. `{}` on a new payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSettlementSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_submit_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_date: Option<String>,
}

/// A billing address, as the paying user entered it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The card a payment was made with: only what GOV.UK Pay chooses to return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<CardType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_digits_card_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_digits_card_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_type: Option<String>,
}

/// The links a payment carries; which ones appear depends on its state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentLinks {
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_url: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_url_post: Option<PostLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url_post: Option<PostLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<PostLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<PostLink>,
}

/// Metadata values are strings, numbers or booleans.
pub type Metadata = BTreeMap<String, serde_json::Value>;

/// A payment, as returned by create, get and search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub payment_id: PaymentId,
    pub amount: Pence,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub description: String,
    pub state: PaymentState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_provider: Option<PaymentProvider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_summary: Option<RefundSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_summary: Option<PaymentSettlementSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_details: Option<CardDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delayed_capture: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moto: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation_mode: Option<PaymentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<AgreementId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation_summary: Option<AuthorisationSummary>,
    /// A 3-D Secure exemption asked for, and what the issuer did with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Exemption>,
    /// Deprecated by the API in favour of `card_details.card_brand`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporate_card_surcharge: Option<Pence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Pence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Pence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Pence>,
    #[serde(default, rename = "_links")]
    pub links: PaymentLinks,
}

/// Paging links of a search result page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchNavigationLinks {
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_page: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_page: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_page: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<Link>,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage<T> {
    pub total: u64,
    pub count: u64,
    pub page: u64,
    pub results: Vec<T>,
    #[serde(default, rename = "_links")]
    pub links: SearchNavigationLinks,
}

/// The body the API sends with 4xx and 5xx answers (null members are omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::codes::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<PayCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// 3-D Secure, when the card issuer asked for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeDSecure {
    #[serde(default)]
    pub required: bool,
}

/// A 3-D Secure exemption: whether one was asked for, its kind (only
/// `corporate` is documented) and the outcome once known (`honoured` …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    #[serde(default)]
    pub requested: bool,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ExemptionOutcome>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExemptionOutcome {
    /// `honoured`, `rejected`, `out of scope` …: kept as GOV.UK Pay writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<ThreeDSecure>,
}

/// Links of a refund: itself and its payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLinks {
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Link>,
}

/// When a refund was settled (where the provider reports it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSettlementSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_date: Option<String>,
}

/// A refund: `submitted`, `success` or `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: RefundId,
    pub amount: Pence,
    pub status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<PaymentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_summary: Option<RefundSettlementSummary>,
    #[serde(default, rename = "_links")]
    pub links: RefundLinks,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedRefunds {
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

/// `GET /v1/payments/{id}/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefunds {
    pub payment_id: PaymentId,
    #[serde(default, rename = "_links")]
    pub links: RefundLinks,
    #[serde(default, rename = "_embedded")]
    pub embedded: EmbeddedRefunds,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEventLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<Link>,
}

/// One step of a payment's story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<PaymentId>,
    pub state: PaymentState,
    #[serde(default)]
    pub updated: String,
    #[serde(default, rename = "_links")]
    pub links: PaymentEventLinks,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfLink {
    #[serde(default, rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_: Option<Link>,
}

/// `GET /v1/payments/{id}/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvents {
    pub payment_id: PaymentId,
    #[serde(default)]
    pub events: Vec<PaymentEvent>,
    #[serde(default, rename = "_links")]
    pub links: SelfLink,
}

/// When a lost dispute was taken from a payout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeSettlementSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Link>,
}

/// A dispute (chargeback) raised by a cardholder, where the provider reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub dispute_id: DisputeId,
    pub payment_id: PaymentId,
    pub amount: Pence,
    pub status: DisputeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Pence>,
    /// Negative: what the service lost (amount plus fee). Lost disputes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Pence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_summary: Option<DisputeSettlementSummary>,
    #[serde(default, rename = "_links")]
    pub links: DisputeLinks,
}

/// A page of disputes. Unlike every other search, the paging key is `links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeSearchPage {
    pub total: u64,
    pub count: u64,
    pub page: u64,
    pub results: Vec<Dispute>,
    #[serde(default)]
    pub links: SearchNavigationLinks,
}

/// The card behind an agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInstrument {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_details: Option<CardDetails>,
}

/// A recurring-payment agreement: `created`, `active`, `cancelled` or `inactive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub agreement_id: AgreementId,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub description: String,
    pub status: AgreementStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instrument: Option<PaymentInstrument>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_payment_with_fields_it_does_not_know() {
        let json = r#"{
            "amount": 1200, "description": "Pay your council tax", "reference": "12345",
            "language": "en", "payment_id": "hu20sqlact5uv2fgu9v2r0rh0p",
            "state": {"status": "success", "finished": true},
            "created_date": "2016-01-21T17:15:00.000Z",
            "refund_summary": {"status": "available", "amount_available": 1200, "amount_submitted": 0},
            "settlement_summary": {},
            "a_field_added_next_year": {"nested": [1, 2, 3]},
            "_links": {"self": {"href": "https://x/v1/payments/hu20", "method": "GET"}}
        }"#;
        let p: Payment = serde_json::from_str(json).unwrap();
        assert_eq!(p.amount, 1200);
        assert_eq!(p.state.status, PaymentStatus::Success);
        assert!(p.state.finished);
        assert_eq!(p.refund_summary.unwrap().amount_available, 1200);
        assert_eq!(p.links.self_.unwrap().href, "https://x/v1/payments/hu20");
    }

    #[test]
    fn leaves_absent_fields_out_when_written() {
        let err = ErrorResponse {
            code: Some(PayCode::P0900),
            description: Some("Too many requests".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"code":"P0900","description":"Too many requests"}"#
        );
    }
}
