//! Mop-up, as GOV.UK Pay's integration guide recommends: a periodic job that
//! re-checks this desktop's unfinished telephone payments, refunds still
//! `submitted`, and actions whose outcome was unknown, and records how each
//! ended. It only ever reads from GOV.UK Pay.

use govpay::{PaymentId, PaymentStatus, RefundId, RefundStatus};
use serde::Serialize;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{AuditAttempt, Phase};
use crate::error::CoreError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MopUpReport {
    /// Telephone payments now known to be finished.
    pub telephone_payments_finished: u32,
    pub telephone_payments_still_open: u32,
    pub refunds_updated: u32,
    /// Actions whose unknown outcome is now recorded.
    pub outcomes_reconciled: u32,
    /// Refunds whose outcome is still not known: checked again next time.
    pub outcomes_still_unknown: u32,
}

impl Core {
    pub async fn mop_up(&self, service_id: &str) -> Result<MopUpReport, CoreError> {
        let service = self.service(service_id).await?;
        let client = self.client(&service).await?;
        let mut report = MopUpReport::default();

        let open = self.store().telephone_unfinished(service_id).await?;
        for id in open {
            let Ok(p) = self
                .payment_fresh(&service, &PaymentId::from_trusted(id.clone()))
                .await
            else {
                continue;
            };
            let last4 = p
                .card_details
                .as_ref()
                .and_then(|c| c.last_digits_card_number.clone());
            self.update_telephone_payment(
                service_id,
                &id,
                Some(&p.state.status),
                p.state.code,
                last4.as_deref(),
            )
            .await?;
            if p.state.finished {
                report.telephone_payments_finished += 1;
            } else {
                report.telephone_payments_still_open += 1;
            }
        }

        let submitted = self.store().submitted_refunds(service_id).await?;
        for (pid, rid) in submitted {
            if let Ok(r) = client
                .payments()
                .refund_status(
                    &PaymentId::from_trusted(pid.clone()),
                    &RefundId::from_trusted(rid),
                )
                .await
                && r.status != RefundStatus::Submitted
            {
                self.store()
                    .keep_refunds(service_id, std::slice::from_ref(&r), Some(&pid))
                    .await?;
                report.refunds_updated += 1;
            }
        }

        // Refunds whose outcome is not known (a lost answer, or Paydesk stopped
        // between sending and writing the outcome): resolved only by finding
        // the attempt's own refund at GOV.UK Pay. Not one another action on
        // this desktop is still waiting for.
        for open in self.unresolved_refunds(service_id, None).await? {
            let Some(_not_in_flight) = self
                .store()
                .try_hold_payment(service_id, &open.payment_id)
                .await?
            else {
                continue;
            };
            if self
                .reconcile_refund_attempt(&service, &open)
                .await?
                .is_some()
            {
                report.outcomes_reconciled += 1;
            } else {
                report.outcomes_still_unknown += 1;
            }
        }

        // Other unknown outcomes with no later reconciled row.
        let unknown = self.store().unknown_outcomes(service_id).await?;
        for row in unknown {
            let Some(seq) = row.attempt_seq else { continue };
            let action = row.action.clone();
            let payment_id = row.payment_id.clone();
            let amount = row.amount;
            let Some(pid) = payment_id else { continue };
            let Ok(p) = self
                .payment_fresh(&service, &PaymentId::from_trusted(pid.clone()))
                .await
            else {
                continue;
            };
            // Done when the payment shows it; not made when the payment has
            // finished some other way; otherwise it may still happen.
            let done = match action.as_str() {
                "cancel" => p.state.status == PaymentStatus::Cancelled,
                "capture" => p.state.status == PaymentStatus::Success,
                _ => p.state.finished,
            };
            if !done && !p.state.finished {
                continue;
            }
            let detail = format!(
                "{}: status after: {}",
                if done {
                    "it was made"
                } else {
                    "it was not made"
                },
                p.state.status
            );
            let attempt = AuditAttempt {
                service_id: service.id.clone(),
                service_name: service.name.clone(),
                action: match action.as_str() {
                    "cancel" => "cancel",
                    "capture" => "capture",
                    "telephone_payment" => "telephone_payment",
                    _ => "agreement_cancel",
                },
                payment_id: Some(pid),
                target_id: row.target_id.clone(),
                amount,
                detail: String::new(),
                reason: None,
            };
            self.audit_append(&attempt, Phase::Reconciled, Some(seq), None, &detail)
                .await?;
            report.outcomes_reconciled += 1;
        }
        Ok(report)
    }
}
