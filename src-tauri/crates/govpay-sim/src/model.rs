//! What the simulator keeps: payments with their lifecycle, refunds, agreements and
//! disputes, and how each is written on the wire.

use govpay::models::{
    Address, Agreement, AuthorisationSummary, CardDetails, Dispute, DisputeLinks,
    DisputeSettlementSummary, Link, Metadata, Payment, PaymentEvent, PaymentEventLinks,
    PaymentInstrument, PaymentLinks, PaymentSettlementSummary, PaymentState, PostLink, Refund,
    RefundLinks, RefundSettlementSummary, RefundSummary, ThreeDSecure,
};
use govpay::{
    AgreementId, AgreementStatus, CardType, DisputeId, DisputeStatus, PayCode, PaymentId,
    PaymentMode, PaymentProvider, PaymentStatus, RefundAvailability, RefundId, RefundStatus,
};
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use crate::clock::{iso_date, iso_millis};

/// A payment's internal state. The sandbox captures at once, so the connector's
/// capture-queued/approved/submitted steps collapse into `Success`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Status {
    Created,
    /// The paying user is on the payment page (ENTERING_CARD_DETAILS).
    Started,
    /// Authorised, not yet captured (AUTHORISATION_SUCCESS).
    Submitted,
    /// Authorised with delayed capture: waiting for the service (AWAITING_CAPTURE_REQUEST).
    Capturable,
    /// Authorised by card details the service sent (telephone and
    /// agreement payments): `success` to the API, but the capture is still
    /// queued, so refunds wait (the connector's CAPTURE_QUEUED).
    CaptureQueued,
    /// Captured.
    Success,
    /// Declined by the card issuer: `failed` P0010.
    Declined,
    /// Not finished in time: `failed` P0020.
    Expired,
    /// The paying user cancelled: `failed` P0030.
    UserCancelled,
    /// The service cancelled: `cancelled` P0040.
    SystemCancelled,
    /// The provider failed: `error` P0050.
    Error,
}

impl Status {
    pub fn external(self) -> (&'static str, bool, Option<(&'static str, &'static str)>) {
        match self {
            Status::Created => ("created", false, None),
            Status::Started => ("started", false, None),
            Status::Submitted => ("submitted", false, None),
            Status::Capturable => ("capturable", false, None),
            Status::CaptureQueued | Status::Success => ("success", true, None),
            Status::Declined => ("failed", true, Some(("P0010", "Payment method rejected"))),
            Status::Expired => ("failed", true, Some(("P0020", "Payment expired"))),
            Status::UserCancelled => (
                "failed",
                true,
                Some(("P0030", "Payment was cancelled by the user")),
            ),
            Status::SystemCancelled => (
                "cancelled",
                true,
                Some(("P0040", "Payment was cancelled by the service")),
            ),
            Status::Error => (
                "error",
                true,
                Some(("P0050", "Payment provider returned an error")),
            ),
        }
    }

    pub fn finished(self) -> bool {
        self.external().1
    }

    pub fn state(self) -> PaymentState {
        let (status, finished, code) = self.external();
        PaymentState {
            status: PaymentStatus::from_wire(status),
            finished,
            message: code.map(|c| c.1.to_owned()),
            code: code.and_then(|c| c.0.parse::<PayCode>().ok()),
            can_retry: None,
        }
    }

    /// The service may cancel it (connector's SYSTEM_CANCELLATION_FLOW).
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            Status::Created | Status::Started | Status::Submitted | Status::Capturable
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Web,
    MotoApi,
    Agreement,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Web => "web",
            Mode::MotoApi => "moto_api",
            Mode::Agreement => "agreement",
        }
    }
}

/// What GOV.UK Pay keeps of a card: never the full number or the security code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Card {
    pub brand: &'static str,
    pub card_type: &'static str,
    pub first6: String,
    pub last4: String,
    pub expiry: String,
    pub holder: String,
    pub address: Option<Address>,
}

impl Card {
    pub fn wire(&self) -> CardDetails {
        CardDetails {
            card_brand: Some(self.brand.to_owned()),
            card_type: Some(CardType::from_wire(self.card_type)),
            first_digits_card_number: Some(self.first6.clone()),
            last_digits_card_number: Some(self.last4.clone()),
            expiry_date: Some(self.expiry.clone()),
            cardholder_name: Some(self.holder.clone()),
            billing_address: self.address.clone(),
            wallet_type: None,
        }
    }

    /// The slug the search filter `card_brand` takes (`master-card`, `visa`...).
    pub fn brand_slug(&self) -> &'static str {
        match self.brand {
            "Visa" => "visa",
            "Mastercard" => "master-card",
            "American Express" => "american-express",
            "Diners Club" => "diners-club",
            "Discover" => "discover",
            "JCB" => "jcb",
            "Maestro" => "maestro",
            "Union Pay" | "UnionPay" => "unionpay",
            _ => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SimPayment {
    pub id: String,
    pub account: u32,
    pub amount: i64,
    pub reference: String,
    pub description: String,
    pub email: Option<String>,
    pub language: &'static str,
    pub metadata: Option<Metadata>,
    pub return_url: Option<String>,
    pub mode: Mode,
    pub moto: bool,
    pub delayed_capture: bool,
    pub provider: &'static str,
    pub provider_id: Option<String>,
    pub status: Status,
    pub created: OffsetDateTime,
    /// When the current status began (expiry counts from here).
    pub status_since: OffsetDateTime,
    pub captured: Option<OffsetDateTime>,
    pub card: Option<Card>,
    pub three_ds: bool,
    pub agreement_id: Option<String>,
    pub set_up_agreement: Option<String>,
    pub agreement_payment_type: Option<String>,
    /// External state changes, in order: (status, when).
    pub events: Vec<(Status, OffsetDateTime)>,
    /// Indices into the state's refunds.
    pub refunds: Vec<usize>,
    /// Index into the state's disputes.
    pub dispute: Option<usize>,
}

/// A refund as the simulator keeps it.
#[derive(Debug, Clone)]
pub(crate) struct SimRefund {
    pub id: String,
    pub payment: usize,
    pub amount: i64,
    /// `submitted`, `success` or `error`.
    pub status: &'static str,
    pub created: OffsetDateTime,
    /// When the eventually consistent endpoints (search, a payment's refund list) see it.
    pub visible_at: std::time::Instant,
}

#[derive(Debug, Clone)]
pub(crate) struct SimDispute {
    pub id: String,
    pub payment: usize,
    pub amount: i64,
    pub fee: i64,
    /// `needs_response`, `under_review`, `won` or `lost`.
    pub status: &'static str,
    pub reason: &'static str,
    pub created: OffsetDateTime,
    pub evidence_due: OffsetDateTime,
    pub settled: Option<OffsetDateTime>,
    /// How a Stripe test card's dispute ends by itself, if it does.
    pub auto_outcome: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimAgreement {
    pub id: String,
    pub account: u32,
    pub reference: String,
    pub description: String,
    pub user_identifier: Option<String>,
    /// `created`, `active`, `cancelled` or `inactive`.
    pub status: &'static str,
    pub created: OffsetDateTime,
    pub cancelled: Option<OffsetDateTime>,
    pub instrument: Option<(Card, OffsetDateTime)>,
}

impl SimAgreement {
    pub fn wire(&self) -> Agreement {
        Agreement {
            agreement_id: AgreementId::from_trusted(self.id.clone()),
            reference: self.reference.clone(),
            description: self.description.clone(),
            status: AgreementStatus::from_wire(self.status),
            user_identifier: self.user_identifier.clone(),
            created_date: Some(iso_millis(self.created)),
            cancelled_date: self.cancelled.map(iso_millis),
            payment_instrument: self
                .instrument
                .as_ref()
                .map(|(card, at)| PaymentInstrument {
                    kind: Some("card".into()),
                    created_date: Some(iso_millis(*at)),
                    card_details: Some(card.wire()),
                }),
        }
    }
}

pub(crate) fn get_link(href: String) -> Link {
    Link {
        href,
        method: Some("GET".into()),
    }
}

/// A link to POST; one without a body (cancel, capture) has no `type`, as
/// the API leaves it out rather than sending `"type": ""`.
fn post_link(href: String, content_type: &str, params: BTreeMap<String, Value>) -> PostLink {
    PostLink {
        href,
        method: Some("POST".into()),
        content_type: (!content_type.is_empty()).then(|| content_type.to_owned()),
        params,
    }
}

/// Which links a payment answer carries: a search result never has the journey links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// Create and get: all links, and a one-time token for an unfinished journey.
    Full,
    /// Search results: self, events, refunds, cancel, capture.
    Search,
}

impl SimPayment {
    pub fn refund_summary(&self, refunds: &[SimRefund], disputes: &[SimDispute]) -> RefundSummary {
        let submitted: i64 = self
            .refunds
            .iter()
            .map(|&i| &refunds[i])
            .filter(|r| r.status != "error")
            .map(|r| r.amount)
            .sum();
        let available = self.amount - submitted;
        let disputed = self
            .dispute
            .map(|d| {
                matches!(
                    disputes[d].status,
                    "needs_response" | "under_review" | "lost"
                )
            })
            .unwrap_or(false);
        let status = match self.status {
            Status::Created | Status::Started | Status::Submitted => "pending",
            Status::Success if disputed => "unavailable",
            Status::Success if available > 0 => "available",
            Status::Success => "full",
            _ => "unavailable",
        };
        RefundSummary {
            status: RefundAvailability::from_wire(status),
            amount_available: available,
            amount_submitted: submitted,
        }
    }

    pub fn is_disputed(&self, disputes: &[SimDispute]) -> bool {
        self.dispute
            .map(|d| {
                matches!(
                    disputes[d].status,
                    "needs_response" | "under_review" | "lost"
                )
            })
            .unwrap_or(false)
    }

    /// Moves to a new state and records the event, when the API can see one
    /// (a queued capture completing is still `success`: no new event).
    pub fn set_status(&mut self, status: Status, at: OffsetDateTime) {
        if self.status != status {
            if self.status.external() != status.external() {
                self.events.push((status, at));
            }
            self.status = status;
            self.status_since = at;
        }
    }

    /// When the payment was paid out to the service, once that has happened
    /// by `now`: Stripe pays out two days after capture; the sandbox never does.
    pub fn settled(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match (self.provider, self.captured) {
            ("stripe", Some(at)) => Some(at + PAYOUT_AFTER).filter(|s| *s <= now),
            _ => None,
        }
    }

    pub fn wire(
        &self,
        base: &str,
        view: View,
        token: Option<&str>,
        refunds: &[SimRefund],
        disputes: &[SimDispute],
        now: OffsetDateTime,
    ) -> Payment {
        let self_href = format!("{base}/v1/payments/{}", self.id);
        let mut links = PaymentLinks {
            self_: Some(get_link(self_href.clone())),
            events: Some(get_link(format!("{self_href}/events"))),
            refunds: Some(get_link(format!("{self_href}/refunds"))),
            ..Default::default()
        };
        let finished = self.status.finished();
        if !finished && self.mode != Mode::Agreement {
            links.cancel = Some(post_link(
                format!("{self_href}/cancel"),
                "",
                BTreeMap::new(),
            ));
        }
        if self.status == Status::Capturable {
            links.capture = Some(post_link(
                format!("{self_href}/capture"),
                "",
                BTreeMap::new(),
            ));
        }
        if view == View::Full
            && let Some(token) = token
        {
            match self.mode {
                Mode::Web if !finished && self.status != Status::Capturable => {
                    links.next_url = Some(get_link(format!("{base}/secure/{token}")));
                    let mut params = BTreeMap::new();
                    params.insert("chargeTokenId".to_owned(), Value::String(token.to_owned()));
                    links.next_url_post = Some(post_link(
                        format!("{base}/secure"),
                        "application/x-www-form-urlencoded",
                        params,
                    ));
                }
                Mode::MotoApi if !finished => {
                    let mut params = BTreeMap::new();
                    params.insert("one_time_token".to_owned(), Value::String(token.to_owned()));
                    links.auth_url_post = Some(post_link(
                        format!("{base}/v1/auth"),
                        "application/json",
                        params,
                    ));
                }
                _ => {}
            }
        }
        let settlement = PaymentSettlementSummary {
            capture_submit_time: self.captured.map(iso_millis),
            captured_date: self.captured.map(iso_date),
            settled_date: self.settled(now).map(iso_date),
        };
        let stripe = self.provider == "stripe";
        let fee = (stripe && self.status == Status::Success).then(|| stripe_fee(self.amount));
        Payment {
            payment_id: PaymentId::from_trusted(self.id.clone()),
            amount: self.amount,
            reference: self.reference.clone(),
            description: self.description.clone(),
            state: self.status.state(),
            language: Some(self.language.to_owned()),
            email: self.email.clone(),
            metadata: self.metadata.clone(),
            payment_provider: Some(PaymentProvider::from_wire(self.provider)),
            provider_id: self.provider_id.clone(),
            created_date: Some(iso_millis(self.created)),
            refund_summary: Some(self.refund_summary(refunds, disputes)),
            settlement_summary: Some(settlement),
            card_details: self.card.as_ref().map(Card::wire),
            delayed_capture: Some(self.delayed_capture),
            moto: Some(self.moto),
            return_url: self.return_url.clone(),
            authorisation_mode: Some(PaymentMode::from_wire(self.mode.as_str())),
            agreement_id: self.agreement_id.clone().map(AgreementId::from_trusted),
            agreement_payment_type: self.agreement_payment_type.clone(),
            authorisation_summary: self.card.as_ref().map(|_| AuthorisationSummary {
                three_d_secure: Some(ThreeDSecure {
                    required: self.three_ds,
                }),
            }),
            exemption: None,
            card_brand: self.card.as_ref().map(|c| c.brand.to_owned()),
            corporate_card_surcharge: None,
            total_amount: None,
            fee,
            net_amount: fee.map(|f| self.amount - f),
            links,
        }
    }

    pub fn wire_events(&self, base: &str) -> Vec<PaymentEvent> {
        let payment_url = format!("{base}/v1/payments/{}", self.id);
        self.events
            .iter()
            .map(|(status, at)| PaymentEvent {
                payment_id: Some(PaymentId::from_trusted(self.id.clone())),
                state: status.state(),
                updated: iso_millis(*at),
                links: PaymentEventLinks {
                    payment_url: Some(get_link(payment_url.clone())),
                },
            })
            .collect()
    }
}

/// How long after capture Stripe pays a payment out.
const PAYOUT_AFTER: time::Duration = time::Duration::days(2);

/// Stripe's UK card fee: 1.5% + 20p, rounded to the penny.
pub(crate) fn stripe_fee(amount: i64) -> i64 {
    (amount * 15 + 500) / 1000 + 20
}

impl SimRefund {
    /// When the refund was taken from a payout, once that has happened by
    /// `now` (Stripe only, two days after it was made).
    pub fn settled(&self, stripe: bool, now: OffsetDateTime) -> Option<OffsetDateTime> {
        stripe
            .then(|| self.created + PAYOUT_AFTER)
            .filter(|s| *s <= now)
    }

    pub fn wire(&self, base: &str, payment_id: &str, settled: Option<OffsetDateTime>) -> Refund {
        let payment_href = format!("{base}/v1/payments/{payment_id}");
        Refund {
            refund_id: RefundId::from_trusted(self.id.clone()),
            amount: self.amount,
            status: RefundStatus::from_wire(self.status),
            created_date: Some(iso_millis(self.created)),
            payment_id: Some(PaymentId::from_trusted(payment_id)),
            settlement_summary: Some(RefundSettlementSummary {
                settled_date: settled.map(iso_date),
            }),
            links: RefundLinks {
                self_: Some(get_link(format!("{payment_href}/refunds/{}", self.id))),
                payment: Some(get_link(payment_href)),
            },
        }
    }
}

impl SimDispute {
    pub fn wire(&self, base: &str, payment_id: &str) -> Dispute {
        let lost = self.status == "lost";
        Dispute {
            dispute_id: DisputeId::from_trusted(self.id.clone()),
            payment_id: PaymentId::from_trusted(payment_id),
            amount: self.amount,
            status: DisputeStatus::from_wire(self.status),
            reason: Some(self.reason.to_owned()),
            created_date: Some(iso_millis(self.created)),
            evidence_due_date: Some(iso_millis(self.evidence_due)),
            fee: Some(self.fee),
            net_amount: lost.then_some(-(self.amount + self.fee)),
            settlement_summary: Some(DisputeSettlementSummary {
                settled_date: self.settled.map(iso_date),
            }),
            links: DisputeLinks {
                payment: Some(get_link(format!("{base}/v1/payments/{payment_id}"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_maps_to_the_api_status_and_code() {
        assert_eq!(Status::Declined.state().code, Some(PayCode::P0010));
        assert_eq!(Status::Expired.state().code, Some(PayCode::P0020));
        assert_eq!(Status::UserCancelled.state().code, Some(PayCode::P0030));
        assert_eq!(
            Status::SystemCancelled.state().status,
            PaymentStatus::Cancelled
        );
        assert_eq!(Status::Error.state().code, Some(PayCode::P0050));
        assert!(!Status::Capturable.finished());
        assert!(Status::Capturable.cancellable());
        assert!(!Status::Success.cancellable());
    }

    #[test]
    fn stripe_fee_is_one_and_a_half_percent_plus_twenty_pence() {
        assert_eq!(stripe_fee(10_000), 170);
        assert_eq!(stripe_fee(100), 22);
    }
}
