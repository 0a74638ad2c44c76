//! The payment page: everything a caseworker needs to tell a payment's story.
//!
//! The payment, its events and its refunds are read from GOV.UK Pay (the payment
//! and events are strongly consistent); disputes come from the cache (GOV.UK Pay
//! cannot search disputes by payment); the case and the actions this desktop took
//! come from the local database.

use govpay::models::{Payment, PaymentEvent, Refund};
use govpay::{PaymentId, PaymentStatus, RefundAvailability};
use serde::Serialize;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{AuditQuery, AuditRow, Phase};
use crate::approvals::{RefundRequestView, RequestStatus};
use crate::cases::CaseView;
use crate::clock;
use crate::disputes::{DisputeView, dispute_status_title};
use crate::error::{CoreError, FieldError};
use crate::money::reason;
use crate::roles::Permission;
pub use crate::store::RefundView;

/// The card used, as GOV.UK Pay shows it (never the full number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CardView {
    pub brand: Option<String>,
    pub card_type: Option<String>,
    pub first_digits: Option<String>,
    pub last_digits: Option<String>,
    pub expiry_date: Option<String>,
    pub cardholder_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MetadataEntry {
    pub key: String,
    pub value: String,
}

/// What kind of thing happened, for the timeline's badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimelineKind {
    Payment,
    Refund,
    Dispute,
}

/// One line of the payment's story, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TimelineEntry {
    pub kind: TimelineKind,
    /// What happened, as the admin tool labels it ("Successful", "Refund created").
    pub title: String,
    #[ts(type = "number | null")]
    pub amount: Option<i64>,
    /// RFC 3339, as GOV.UK Pay gives it.
    pub at: String,
    pub detail: Option<String>,
}

/// The whole story of one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PaymentDetail {
    pub service_id: String,
    pub service_name: String,
    pub payment_id: String,
    #[ts(type = "number")]
    pub amount: i64,
    #[ts(type = "number | null")]
    pub total_amount: Option<i64>,
    #[ts(type = "number | null")]
    pub fee: Option<i64>,
    #[ts(type = "number | null")]
    pub net_amount: Option<i64>,
    pub reference: String,
    pub description: String,
    pub email: Option<String>,
    pub status: String,
    pub finished: bool,
    /// GOV.UK Pay's message for a failed payment, with its P-code.
    pub status_message: Option<String>,
    pub status_code: Option<String>,
    pub created_date: Option<String>,
    pub captured_date: Option<String>,
    pub settled_date: Option<String>,
    pub capture_submit_time: Option<String>,
    pub payment_provider: Option<String>,
    pub provider_id: Option<String>,
    pub moto: bool,
    pub delayed_capture: bool,
    pub agreement_id: Option<String>,
    pub card: Option<CardView>,
    pub metadata: Vec<MetadataEntry>,
    /// `available`, `full`, `pending`, `unavailable`.
    pub refund_status: Option<String>,
    #[ts(type = "number")]
    pub refund_available: i64,
    #[ts(type = "number")]
    pub refund_submitted: i64,
    /// Why no refund can be made, in plain words (`None` when one can).
    pub refund_blocked: Option<String>,
    /// GOV.UK Pay offers `cancel` for it.
    pub can_cancel: bool,
    /// It waits for a delayed capture.
    pub can_capture: bool,
    pub refunds: Vec<RefundView>,
    /// Refunds asked for and waiting for approval, or decided (a team's only).
    pub requests: Vec<RefundRequestView>,
    pub disputes: Vec<DisputeView>,
    pub timeline: Vec<TimelineEntry>,
    pub case: Option<CaseView>,
    /// What this desktop did to it, newest first.
    pub actions: Vec<AuditRow>,
    /// True when the refunds list could not be read (it is shown from the cache).
    pub refunds_from_cache: bool,
}

/// The admin tool's words for a payment state in the events timeline.
fn event_title(status: &PaymentStatus) -> String {
    match status {
        PaymentStatus::Created => "Created",
        PaymentStatus::Started => "Started",
        PaymentStatus::Submitted => "Submitted",
        PaymentStatus::Capturable => "Waiting for capture",
        PaymentStatus::Success => "Successful",
        PaymentStatus::Failed => "Declined",
        PaymentStatus::Cancelled => "Cancelled",
        PaymentStatus::Error => "Error",
        PaymentStatus::Unknown(other) => return format!("Status: {other}"),
    }
    .to_owned()
}

fn event_detail(e: &PaymentEvent) -> Option<String> {
    match (&e.state.message, &e.state.code) {
        (Some(m), Some(c)) => Some(format!("{m} ({c})")),
        (Some(m), None) => Some(m.clone()),
        (None, Some(c)) => Some(c.to_string()),
        (None, None) => None,
    }
}

fn refund_view(r: &Refund) -> RefundView {
    RefundView {
        refund_id: r.refund_id.to_string(),
        amount: r.amount,
        status: r.status.to_string(),
        created_date: r.created_date.clone(),
        settled_date: r
            .settlement_summary
            .as_ref()
            .and_then(|s| s.settled_date.clone()),
        refunded_by: None,
        reason: None,
    }
}

/// Puts who made each refund from Paydesk, and why, on the refunds the
/// payment's record names (by refund ID, on the refund's outcome row; the
/// reason is on every row of the refund, the attempt's first of all).
fn attribute(refunds: &mut [RefundView], actions: &[AuditRow]) {
    for r in refunds {
        let Some(outcome) = actions.iter().find(|a| {
            a.action == "refund"
                && matches!(a.phase, Phase::Succeeded | Phase::Reconciled)
                && a.target_id.as_deref() == Some(r.refund_id.as_str())
        }) else {
            continue;
        };
        let attempt = outcome
            .attempt_seq
            .and_then(|seq| actions.iter().find(|a| a.seq == seq));
        let with_reason = attempt.filter(|a| a.reason.is_some()).unwrap_or(outcome);
        r.refunded_by = Some(attempt.unwrap_or(outcome).operator.clone());
        r.reason = with_reason
            .reason
            .as_deref()
            .map(|code| reason::words(code, with_reason.reason_note.as_deref()));
    }
}

fn metadata_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn refund_blocked(p: &Payment, disputes: &[DisputeView]) -> Option<String> {
    let summary = p.refund_summary.as_ref()?;
    if summary.status == RefundAvailability::Available {
        return None;
    }
    let open = disputes
        .iter()
        .any(|d| d.status == "needs_response" || d.status == "under_review");
    let lost = disputes.iter().any(|d| d.status == "lost");
    Some(
        match summary.status {
            _ if open => "You cannot refund this payment because it is being disputed. The cardholder's bank is deciding; money can only go back through the dispute.",
            _ if lost => "You cannot refund this payment because the paying user won the dispute: the money has already gone back to them.",
            RefundAvailability::Full => "This payment has been refunded in full.",
            _ if p.state.status == PaymentStatus::Capturable => "This payment cannot be refunded until it is captured. To give the money back without taking it, cancel the payment instead.",
            RefundAvailability::Pending => "This payment cannot be refunded yet: it has not been taken (captured) by the payment provider.",
            _ if p.state.status != PaymentStatus::Success => "This payment cannot be refunded: no money was taken.",
            // Just taken by telephone: GOV.UK Pay queues the capture for a
            // moment, and refunds wait for it.
            RefundAvailability::Unavailable if crate::money::capture_queued(p) => "This payment was taken moments ago and GOV.UK Pay is still completing it. It can be refunded in a minute: read it again then.",
            _ => "GOV.UK Pay does not allow refunds of this payment.",
        }
        .to_owned(),
    )
}

impl Core {
    /// Reads a payment's whole story: fresh from GOV.UK Pay where it can be, and
    /// the local record of what this desktop did.
    pub async fn payment_detail(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<PaymentDetail, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        let id = PaymentId::parse(payment_id.trim()).map_err(|e| {
            CoreError::Validation(vec![FieldError::new(
                "paymentId",
                format!("The payment ID {e}"),
            )])
        })?;
        let payment = self.payment_fresh(&service, &id).await?;
        // A refund whose outcome is not known is looked for first: if GOV.UK
        // Pay shows it now, the page shows it made; if not, no refund is offered.
        let mut unresolved = Vec::new();
        for open in self
            .unresolved_refunds(&service.id, Some(id.as_str()))
            .await?
        {
            let Some(_not_in_flight) = self
                .store()
                .try_hold_payment(&service.id, id.as_str())
                .await?
            else {
                unresolved.push(open);
                continue;
            };
            if self
                .reconcile_refund_attempt(&service, &open)
                .await?
                .is_none()
            {
                unresolved.push(open);
            }
        }
        let client = self.client(&service).await?;
        let payments = client.payments();
        let (events, refunds) = tokio::join!(payments.events(&id), payments.refunds(&id));
        let events = events.map(|e| e.events).unwrap_or_default();
        let (refunds, refunds_from_cache) = match refunds {
            Ok(list) => {
                self.store()
                    .keep_refunds(&service.id, &list.embedded.refunds, Some(id.as_str()))
                    .await?;
                (
                    list.embedded.refunds.iter().map(refund_view).collect(),
                    false,
                )
            }
            Err(e) => {
                tracing::warn!("refunds of a payment could not be read: {e}");
                (self.cached_refunds(&service.id, id.as_str()).await?, true)
            }
        };
        let disputes = self.cached_disputes(&service.id, id.as_str()).await?;
        let case = self.case_for_payment(&service.id, id.as_str()).await?;
        let mut refunds = refunds;
        let actions = self
            .store()
            .audit_list(&AuditQuery {
                service_id: Some(service.id.clone()),
                payment_id: Some(id.to_string()),
                limit: 200,
                ..AuditQuery::default()
            })
            .await?;
        attribute(&mut refunds, &actions);
        let requests = self.payment_requests(&service, id.as_str()).await?;

        // GOV.UK Pay lists events oldest first; reversed, a stable sort keeps
        // events of the same instant newest first too.
        let mut timeline: Vec<TimelineEntry> = events
            .iter()
            .rev()
            .map(|e| TimelineEntry {
                kind: TimelineKind::Payment,
                title: event_title(&e.state.status),
                amount: (e.state.status == PaymentStatus::Success).then_some(payment.amount),
                at: e.updated.clone(),
                detail: event_detail(e),
            })
            .collect();
        for r in &refunds {
            if let Some(at) = &r.created_date {
                timeline.push(TimelineEntry {
                    kind: TimelineKind::Refund,
                    title: match r.status.as_str() {
                        "success" => "Refund successful",
                        "error" => "Refund failed",
                        _ => "Refund submitted",
                    }
                    .into(),
                    amount: Some(r.amount),
                    at: at.clone(),
                    detail: Some(match (&r.reason, &r.refunded_by) {
                        (Some(reason), Some(by)) => match requests
                            .iter()
                            .find(|q| q.refund_id.as_deref() == Some(r.refund_id.as_str()))
                        {
                            Some(q) => format!(
                                "{reason}. Asked for by {}, approved and refunded by {by}. Refund ID {}",
                                q.requester, r.refund_id
                            ),
                            None => format!("{reason}. Refunded by {by}. Refund ID {}", r.refund_id),
                        },
                        (None, Some(by)) => format!("Refunded by {by}. Refund ID {}", r.refund_id),
                        _ => format!(
                            "Made elsewhere (not in this Paydesk's record), so no reason is recorded. Refund ID {}",
                            r.refund_id
                        ),
                    }),
                });
            }
        }
        for q in &requests {
            timeline.push(TimelineEntry {
                kind: TimelineKind::Refund,
                title: "Refund asked for".into(),
                amount: Some(q.amount),
                at: q.asked_at.clone(),
                detail: Some(format!(
                    "{}. Asked for by {}; it needs approval: {}.",
                    q.reason_text, q.requester, q.needs
                )),
            });
            let decided = match q.status {
                RequestStatus::Waiting => None,
                RequestStatus::Expired => Some(("Refund request expired", q.expires_at.clone())),
                RequestStatus::Rejected => Some((
                    "Refund request rejected",
                    q.decided_at.clone().unwrap_or_default(),
                )),
                RequestStatus::Returned => Some((
                    "Refund request returned",
                    q.decided_at.clone().unwrap_or_default(),
                )),
                RequestStatus::Sent | RequestStatus::Checking | RequestStatus::Refused => Some((
                    "Refund request approved",
                    q.decided_at.clone().unwrap_or_default(),
                )),
            };
            if let Some((title, at)) = decided {
                timeline.push(TimelineEntry {
                    kind: TimelineKind::Refund,
                    title: title.into(),
                    amount: Some(q.amount),
                    at,
                    detail: Some(format!("{}.", q.status_text)),
                });
            }
        }
        for d in &disputes {
            timeline.push(TimelineEntry {
                kind: TimelineKind::Dispute,
                title: dispute_status_title(&d.status),
                amount: Some(d.amount),
                at: d
                    .settled_date
                    .clone()
                    .unwrap_or_else(|| d.created_date.clone()),
                detail: Some(d.reason_text.clone()),
            });
        }
        // Newest first; times compared as instants (offsets may differ).
        timeline.sort_by_key(|t| std::cmp::Reverse(clock::api_time_ms(&t.at).unwrap_or(0)));

        let summary = payment.refund_summary.clone();
        let card = payment.card_details.as_ref().map(|c| CardView {
            brand: c.card_brand.clone().or_else(|| payment.card_brand.clone()),
            card_type: c.card_type.as_ref().map(ToString::to_string),
            first_digits: c.first_digits_card_number.clone(),
            last_digits: c.last_digits_card_number.clone(),
            expiry_date: c.expiry_date.clone(),
            cardholder_name: c.cardholder_name.clone(),
        });
        let settlement = payment.settlement_summary.clone().unwrap_or_default();
        Ok(PaymentDetail {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            payment_id: payment.payment_id.to_string(),
            amount: payment.amount,
            total_amount: payment.total_amount,
            fee: payment.fee,
            net_amount: payment.net_amount,
            reference: payment.reference.clone(),
            description: payment.description.clone(),
            email: payment.email.clone(),
            status: payment.state.status.to_string(),
            finished: payment.state.finished,
            status_message: payment.state.message.clone(),
            status_code: payment.state.code.map(|c| c.to_string()),
            created_date: payment.created_date.clone(),
            captured_date: settlement.captured_date,
            settled_date: settlement.settled_date,
            capture_submit_time: settlement.capture_submit_time,
            payment_provider: payment.payment_provider.as_ref().map(ToString::to_string),
            provider_id: payment.provider_id.clone(),
            moto: payment.moto.unwrap_or(false),
            delayed_capture: payment.delayed_capture.unwrap_or(false),
            agreement_id: payment.agreement_id.as_ref().map(ToString::to_string),
            card,
            metadata: payment
                .metadata
                .iter()
                .flatten()
                .map(|(k, v)| MetadataEntry {
                    key: k.clone(),
                    value: metadata_text(v),
                })
                .collect(),
            refund_status: summary.as_ref().map(|s| s.status.to_string()),
            refund_available: summary.as_ref().map_or(0, |s| s.amount_available),
            refund_submitted: summary.as_ref().map_or(0, |s| s.amount_submitted),
            refund_blocked: if let Some(q) =
                requests.iter().find(|q| q.status == RequestStatus::Waiting)
            {
                Some(format!(
                    "A refund of {} asked for by {} is waiting for a supervisor's approval. Nothing more can be refunded until it is approved, rejected or expires.",
                    crate::amount::pounds(q.amount),
                    q.requester
                ))
            } else if unresolved.is_empty() {
                refund_blocked(&payment, &disputes)
            } else {
                Some(format!(
                    "A refund of {} from Paydesk may or may not have been made. {}",
                    crate::amount::pounds(unresolved[0].amount),
                    crate::money::reconcile::REFUND_UNKNOWN
                ))
            },
            can_cancel: payment.links.cancel.is_some() && !payment.state.finished,
            can_capture: payment.state.status == PaymentStatus::Capturable
                || payment.links.capture.is_some(),
            refunds,
            requests,
            disputes,
            timeline,
            case,
            actions,
            refunds_from_cache,
        })
    }

    async fn cached_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<RefundView>, CoreError> {
        Ok(self.store().cached_refunds(service_id, payment_id).await?)
    }

    /// The disputes of one payment, as last synced.
    pub async fn cached_disputes(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<DisputeView>, CoreError> {
        Ok(self
            .store()
            .payment_disputes(service_id, payment_id)
            .await?
            .into_iter()
            .map(DisputeView::from)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_titles_follow_the_admin_tool() {
        assert_eq!(event_title(&PaymentStatus::Success), "Successful");
        assert_eq!(event_title(&PaymentStatus::Failed), "Declined");
        assert_eq!(
            event_title(&PaymentStatus::from_wire("weird")),
            "Status: weird"
        );
    }
}
