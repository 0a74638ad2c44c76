//! Finding out what a refund whose answer was lost did. The outcome of a money
//! request that may have left the machine is "done", "refused by GOV.UK Pay"
//! or "unknown"; an unknown one stays unknown until GOV.UK Pay shows this
//! attempt's own refund. Never "the amount available went down": another desk
//! or the admin tool may have refunded meanwhile, and that is not this refund.
//!
//! This attempt's refund is one GOV.UK Pay lists for the payment that
//! - is for the attempt's amount,
//! - was not on the payment before the attempt was sent (its refund IDs are
//!   written on the attempt row),
//! - is not already put down to another of Paydesk's own attempts, and
//! - was made after the attempt (allowing for the two clocks to differ).
//!
//! Until one is found the attempt blocks any new refund of that payment.

use std::collections::HashSet;

use govpay::models::Refund;
use govpay::{PaymentId, RefundStatus};

use crate::Core;
use crate::activity::audit::{AuditAttempt, Phase};
use crate::clock;
use crate::error::CoreError;
use crate::money::reason::{RefundReason, RefundWhy};
use crate::services::ServiceInfo;

/// How far GOV.UK Pay's clock may be behind this desktop's.
const CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// What staff are told while a refund's outcome is not known.
pub const REFUND_UNKNOWN: &str = "We do not know yet whether this refund was made — Paydesk is checking; do not refund again. It will show as made, or not, once GOV.UK Pay confirms.";

/// A refund attempt, as its attempt row recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAttempt {
    pub seq: i64,
    pub service_id: String,
    pub service_name: String,
    pub payment_id: String,
    pub amount: i64,
    /// When the attempt row was written, before the request was sent.
    pub at_ms: i64,
    /// The payment's refund IDs before the request was sent; `None` for rows
    /// written before Paydesk recorded them.
    pub known_before: Option<Vec<String>>,
    /// Why the refund was asked for (`None` on rows written before reasons).
    pub reason: Option<RefundWhy>,
}

/// The attempt row's detail: what the payment looked like before sending.
pub(crate) fn attempt_detail(available_before: i64, known_before: &[String]) -> String {
    format!(
        "available before: {available_before}; refunds before: {}",
        if known_before.is_empty() {
            "none".to_owned()
        } else {
            known_before.join(" ")
        }
    )
}

fn known_from_detail(detail: &str) -> Option<Vec<String>> {
    let list = detail.split("; refunds before: ").nth(1)?;
    Some(if list.trim() == "none" {
        Vec::new()
    } else {
        list.split_whitespace().map(str::to_owned).collect()
    })
}

/// This attempt's own refund among the payment's, if GOV.UK Pay lists it.
pub fn own_refund<'a>(
    attempt: &RefundAttempt,
    refunds: &'a [Refund],
    claimed: &HashSet<String>,
) -> Option<&'a Refund> {
    refunds
        .iter()
        .filter(|r| r.amount == attempt.amount && r.status != RefundStatus::Error)
        .filter(|r| !claimed.contains(r.refund_id.as_str()))
        .filter(|r| {
            attempt
                .known_before
                .as_ref()
                .is_none_or(|known| !known.iter().any(|k| k == r.refund_id.as_str()))
        })
        .filter(|r| {
            r.created_date
                .as_deref()
                .and_then(clock::api_time_ms)
                .is_some_and(|made| made >= attempt.at_ms - CLOCK_SKEW_MS)
        })
        .min_by(|a, b| a.created_date.cmp(&b.created_date))
}

impl Core {
    /// Refund attempts on this payment with no outcome yet: sent (or maybe
    /// sent) and neither done, refused nor found since. Oldest first.
    pub(crate) async fn unresolved_refunds(
        &self,
        service_id: &str,
        payment_id: Option<&str>,
    ) -> Result<Vec<RefundAttempt>, CoreError> {
        let rows = self
            .store()
            .open_refund_attempts(service_id, payment_id)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| RefundAttempt {
                seq: r.seq,
                known_before: known_from_detail(&r.detail),
                at_ms: clock::api_time_ms(&r.at).unwrap_or(0),
                service_id: r.service_id,
                service_name: r.service_name,
                payment_id: r.payment_id.unwrap_or_default(),
                amount: r.amount.unwrap_or_default(),
                reason: r
                    .reason
                    .as_deref()
                    .and_then(RefundReason::parse)
                    .map(|reason| RefundWhy {
                        reason,
                        note: r.reason_note,
                    }),
            })
            .collect())
    }

    /// How many of the service's refunds have an outcome not known yet.
    pub async fn unresolved_refund_count(&self, service_id: &str) -> Result<usize, CoreError> {
        Ok(self.unresolved_refunds(service_id, None).await?.len())
    }

    /// Refund IDs already put down to Paydesk's own attempts on this payment.
    async fn claimed_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<HashSet<String>, CoreError> {
        let ids = self.store().claimed_refunds(service_id, payment_id).await?;
        Ok(ids.into_iter().collect())
    }

    /// Reads the payment's refunds and looks for this attempt's own. When it
    /// is there, the outcome is recorded (made) and the refund returned; when
    /// it is not (yet), nothing is recorded: the attempt stays unknown.
    pub(crate) async fn reconcile_refund_attempt(
        &self,
        service: &ServiceInfo,
        attempt: &RefundAttempt,
    ) -> Result<Option<Refund>, CoreError> {
        let id = PaymentId::from_trusted(attempt.payment_id.clone());
        let client = self.client(service).await?;
        let Ok(list) = client.payments().refunds(&id).await else {
            return Ok(None);
        };
        let refunds = list.embedded.refunds;
        let claimed = self
            .claimed_refunds(&attempt.service_id, &attempt.payment_id)
            .await?;
        let Some(found) = own_refund(attempt, &refunds, &claimed).cloned() else {
            return Ok(None);
        };
        self.cache_refund(&service.id, &attempt.payment_id, &found)
            .await;
        let record = AuditAttempt {
            service_id: attempt.service_id.clone(),
            service_name: attempt.service_name.clone(),
            action: "refund",
            payment_id: Some(attempt.payment_id.clone()),
            target_id: Some(found.refund_id.to_string()),
            amount: Some(attempt.amount),
            detail: String::new(),
            reason: attempt.reason.clone(),
        };
        self.audit_append(
            &record,
            Phase::Reconciled,
            Some(attempt.seq),
            None,
            &format!(
                "the refund was made: GOV.UK Pay lists it as {}",
                found.refund_id
            ),
        )
        .await?;
        Ok(Some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(id: &str, amount: i64, at: &str) -> Refund {
        Refund {
            refund_id: govpay::RefundId::from_trusted(id),
            amount,
            status: RefundStatus::Success,
            created_date: Some(at.into()),
            payment_id: None,
            settlement_summary: None,
            links: Default::default(),
        }
    }

    fn attempt(known: Option<&[&str]>) -> RefundAttempt {
        RefundAttempt {
            seq: 7,
            service_id: "s".into(),
            service_name: "S".into(),
            payment_id: "p".into(),
            amount: 250,
            at_ms: clock::api_time_ms("2026-12-04T10:00:00Z").unwrap(),
            known_before: known.map(|k| k.iter().map(|s| s.to_string()).collect()),
            reason: None,
        }
    }

    #[test]
    fn another_desks_refund_is_never_this_attempts() {
        // Desk B refunded £5.00 meanwhile; this attempt was £2.50 and was not made.
        let list = [refund("b-500", 500, "2026-12-04T10:00:05Z")];
        assert_eq!(
            own_refund(&attempt(Some(&[])), &list, &HashSet::new()),
            None
        );
        // Nor is an earlier refund of the same amount, known before sending...
        let list = [refund("old-250", 250, "2026-12-04T09:00:00Z")];
        assert_eq!(
            own_refund(&attempt(Some(&["old-250"])), &list, &HashSet::new()),
            None
        );
        // ...nor one already put down to another of Paydesk's attempts.
        let list = [refund("mine-250", 250, "2026-12-04T10:00:01Z")];
        let claimed: HashSet<String> = ["mine-250".to_owned()].into();
        assert_eq!(own_refund(&attempt(Some(&[])), &list, &claimed), None);
        // A failed refund is not one that was made.
        let mut failed = refund("err-250", 250, "2026-12-04T10:00:01Z");
        failed.status = RefundStatus::Error;
        assert_eq!(
            own_refund(&attempt(Some(&[])), &[failed], &HashSet::new()),
            None
        );
    }

    #[test]
    fn the_attempts_own_refund_is_found_even_when_made_late() {
        let list = [
            refund("old-250", 250, "2026-12-04T09:00:00Z"),
            refund("b-500", 500, "2026-12-04T10:00:05Z"),
            refund("late-250", 250, "2026-12-04T10:00:40Z"),
        ];
        let found = own_refund(&attempt(Some(&["old-250"])), &list, &HashSet::new());
        assert_eq!(found.map(|r| r.refund_id.as_str()), Some("late-250"));
        // Rows from before the IDs were recorded still rule out older refunds by time.
        let found = own_refund(&attempt(None), &list, &HashSet::new());
        assert_eq!(found.map(|r| r.refund_id.as_str()), Some("late-250"));
    }

    #[test]
    fn the_refunds_known_before_are_read_back_from_the_attempt_row() {
        assert_eq!(
            known_from_detail(&attempt_detail(1000, &["a".into(), "b".into()])),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(known_from_detail(&attempt_detail(1000, &[])), Some(vec![]));
        assert_eq!(known_from_detail("available before: 1000"), None);
    }
}
