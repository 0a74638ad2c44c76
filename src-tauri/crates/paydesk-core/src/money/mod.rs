//! Money actions, each safe under faults: refund, cancel, capture, agreement cancel.
//!
//! Every action: checks this desktop's role; reads the payment afresh (GOV.UK Pay
//! is the authority, not the cache); then, through `Core::audited` (which
//! the telephone payment and agreements use too), writes an audit `attempt`
//! row, calls GOV.UK Pay once and records the result. One action at a time per payment, so a
//! double click or a second window cannot refund twice, and the refund carries
//! `refund_amount_available` so even another desktop cannot. When the answer is
//! lost (timeout, dropped connection), the outcome is found out by reading the
//! payment, never by sending the action again.

pub mod held;
pub mod mopup;
pub mod reason;
pub mod reconcile;

use govpay::models::{Payment, RefundSummary};
use govpay::requests::CreateRefund;
use govpay::{AgreementId, AgreementStatus, PaymentId, PaymentStatus, RefundAvailability};
use serde::Serialize;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{self, AuditAttempt, Phase};
use crate::amount::{self, pounds};
use crate::clock;
use crate::error::{CoreError, FieldError};
use crate::roles::Permission;
use crate::services::ServiceInfo;
use crate::store::ChainLock;
use held::HeldOutcome;
use reason::RefundWhy;
use reconcile::{REFUND_UNKNOWN, RefundAttempt};

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RefundDone {
    pub refund_id: Option<String>,
    #[ts(type = "number")]
    pub amount: i64,
    /// `success`, `submitted` or `error`, as GOV.UK Pay reports it.
    pub status: String,
    /// What is left to refund afterwards.
    #[ts(type = "number")]
    pub available_after: i64,
    /// True when the answer was lost and the refund was found on reading the payment.
    pub reconciled: bool,
    /// On a team whose approval rules caught it: the request made instead
    /// (`status` is then `awaiting_approval` and nothing was sent).
    pub request: Option<crate::approvals::RefundRequestView>,
}

/// What a cancel, capture or agreement cancel did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActionDone {
    /// The payment's (or agreement's) status afterwards.
    pub status: String,
    pub reconciled: bool,
}

pub(crate) fn parse_payment_id(id: &str) -> Result<PaymentId, CoreError> {
    PaymentId::parse(id).map_err(|e| {
        CoreError::Validation(vec![FieldError::new(
            "paymentId",
            format!("The payment ID {e}"),
        )])
    })
}

/// Why a refund cannot be sent now: the error for staff, and what the
/// record says of it (`None`: nothing is recorded, nothing was decided).
pub(crate) struct NotReady {
    pub why: Option<String>,
    pub error: CoreError,
}

impl From<CoreError> for NotReady {
    fn from(error: CoreError) -> Self {
        Self { why: None, error }
    }
}

/// A refund's audit record before it is tried.
pub(crate) fn refund_attempt(
    service: &ServiceInfo,
    id: &PaymentId,
    amount: i64,
    why: &RefundWhy,
) -> AuditAttempt {
    AuditAttempt {
        service_id: service.id.clone(),
        service_name: service.name.clone(),
        action: "refund",
        payment_id: Some(id.to_string()),
        target_id: None,
        amount: Some(amount),
        detail: String::new(),
        reason: Some(why.clone()),
    }
}

/// The `succeeded` row of a refund GOV.UK Pay made: its ID and status.
pub(crate) fn refund_done(refund: &govpay::models::Refund) -> Option<(Option<String>, String)> {
    Some((
        Some(refund.refund_id.to_string()),
        format!("status: {}", refund.status),
    ))
}

impl Core {
    pub(crate) async fn audit_append(
        &self,
        attempt: &AuditAttempt,
        phase: Phase,
        attempt_seq: Option<i64>,
        pay_code: Option<&str>,
        detail: &str,
    ) -> Result<i64, CoreError> {
        let operator = match self.operator().await {
            Ok(name) => {
                *self
                    .shared
                    .operator
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(name.clone());
                name
            }
            Err(e) => match self
                .shared
                .operator
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
            {
                Some(name) if phase.after_sending() => name,
                _ => return Err(e),
            },
        };
        let one_writer = self.store().audit_lock().await;
        self.write_held(&one_writer).await;
        let row = audit::new_row(&operator, attempt, phase, attempt_seq, pay_code, detail);
        let appended = if self.shared.held.is_empty() {
            match self.row_hasher().await {
                Ok(hasher) => self
                    .store()
                    .audit_append(&one_writer, row.clone(), &|prev, r| hasher.hash(prev, r))
                    .await
                    .map(|(seq, hash)| (seq, Some(hash)))
                    .map_err(CoreError::from),
                Err(e) => Err(e),
            }
        } else {
            // Older outcomes are still held: this one waits behind them.
            Err(CoreError::Storage(
                "older audit outcomes are still held".into(),
            ))
        };
        match appended {
            Err(e) if phase.after_sending() => {
                // The money may have moved: its outcome is kept, never lost.
                tracing::error!(
                    action = attempt.action,
                    "the audit outcome is held to be written later: {e}"
                );
                self.shared.held.hold(HeldOutcome::of(row));
                Ok(0)
            }
            Ok((seq, hash)) => {
                if let Some(hash) = hash {
                    self.record_head_moved(seq, hash).await;
                }
                Ok(seq)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the held outcomes, oldest first, as far as the database takes
    /// them.
    pub(crate) async fn write_held(&self, one_writer: &ChainLock) {
        if self.shared.held.is_empty() {
            return;
        }
        let hasher = match self.row_hasher().await {
            Ok(hasher) => hasher,
            Err(e) => {
                tracing::warn!("held audit outcomes wait for the keyring: {e}");
                return;
            }
        };
        while let Some(held) = self.shared.held.first() {
            let new = held.late_row();
            match self
                .store()
                .audit_append(one_writer, new, &|prev, r| hasher.hash(prev, r))
                .await
            {
                Ok((seq, hash)) => {
                    self.shared.held.written_first();
                    self.record_head_moved(seq, hash).await;
                }
                Err(e) => {
                    tracing::warn!("held audit outcomes still cannot be written: {e}");
                    return;
                }
            }
        }
    }

    /// Keeps a refund GOV.UK Pay made in the cache. After the money moved a
    /// busy or failing cache is only logged: the next sync brings it in.
    pub(crate) async fn cache_refund(
        &self,
        service_id: &str,
        payment_id: &str,
        refund: &govpay::models::Refund,
    ) {
        let written = self
            .store()
            .keep_refunds(service_id, std::slice::from_ref(refund), Some(payment_id))
            .await;
        if let Err(e) = written {
            tracing::warn!(payment_id, "a refund made could not be cached yet: {e}");
        }
    }

    /// Records an action Paydesk refused itself, before sending anything, and why.
    async fn refuse_before_sending(
        &self,
        attempt: &AuditAttempt,
        why: &str,
    ) -> Result<(), CoreError> {
        self.audit_append(
            attempt,
            Phase::NotSent,
            None,
            None,
            &format!("not sent: {why}"),
        )
        .await?;
        Ok(())
    }

    /// Reads a payment from GOV.UK Pay (strongly consistent) and refreshes the cache.
    pub async fn payment_fresh(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
    ) -> Result<Payment, CoreError> {
        let client = self.client(service).await?;
        let payment = client.payments().get(id).await?;
        self.store().keep_payment(&service.id, &payment).await?;
        Ok(payment)
    }

    /// Refunds `amount` pence. `expected_available` is the amount available the
    /// member of staff saw when they decided: if GOV.UK Pay now says otherwise,
    /// nothing is refunded and they are told the new figures. On a team whose
    /// approval rules catch the refund, nothing is sent: it becomes a request
    /// for a supervisor's approval (`status` is `awaiting_approval`).
    pub async fn refund(
        &self,
        service_id: &str,
        payment_id: &str,
        amount: i64,
        expected_available: i64,
        why: &RefundWhy,
    ) -> Result<RefundDone, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::Refund)?;
        let id = parse_payment_id(payment_id)?;
        if amount <= 0 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "amount",
                "Enter a refund amount greater than £0.00",
            )]));
        }
        let _one_at_a_time = self.store().hold_payment(&service.id, id.as_str()).await?;

        let payment = self.payment_fresh(&service, &id).await?;
        let mut attempt = refund_attempt(&service, &id, amount, why);
        let summary = match self
            .refund_ready(&service, &id, &payment, amount, expected_available)
            .await
        {
            Ok(summary) => summary,
            Err(NotReady {
                why: Some(why),
                error,
            }) => {
                self.refuse_before_sending(&attempt, &why).await?;
                return Err(error);
            }
            Err(NotReady { why: None, error }) => return Err(error),
        };
        if let Some(waiting) = self.waiting_request(&service.id, id.as_str()).await? {
            return Err(CoreError::Conflict {
                message: format!(
                    "A refund of {} asked for by {} is waiting for approval. Nothing more can be refunded until it is decided.",
                    pounds(waiting.amount),
                    waiting.requester
                ),
                pay_code: None,
            });
        }
        if let Some(needs) = self.approval_needed(&service, &payment, amount).await? {
            let request = self
                .ask_approval(
                    &service,
                    &payment,
                    amount,
                    summary.amount_available,
                    why,
                    &needs,
                )
                .await?;
            return Ok(RefundDone {
                refund_id: None,
                amount,
                status: "awaiting_approval".into(),
                available_after: summary.amount_available,
                reconciled: false,
                request: Some(request),
            });
        }

        let (known_before, request) = self
            .refund_request_body(&service, &id, amount, &summary)
            .await?;
        attempt.detail = reconcile::attempt_detail(summary.amount_available, &known_before);
        let client = self.client(&service).await?;
        let (seq, sent) = self
            .audited(
                &attempt,
                client.payments().refund(&id, &request),
                "",
                refund_done,
            )
            .await?;
        self.refund_sent(
            &service,
            &id,
            amount,
            &summary,
            known_before,
            why,
            seq,
            sent,
        )
        .await
    }

    /// Whether a refund of `amount` can be sent now, by GOV.UK Pay's fresh
    /// figures (`payment` was just read) and the record's unknown outcomes.
    pub(crate) async fn refund_ready(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        payment: &Payment,
        amount: i64,
        expected_available: i64,
    ) -> Result<RefundSummary, NotReady> {
        let summary = payment.refund_summary.clone().ok_or_else(|| NotReady {
            why: None,
            error: CoreError::Conflict {
                message: "GOV.UK Pay did not say whether this payment can be refunded. Try again in a moment.".into(),
                pay_code: None,
            },
        })?;
        // An earlier refund of this payment whose outcome is not known blocks
        // this one until GOV.UK Pay shows what it did: it may have been made.
        let unresolved = self
            .unresolved_refunds(&service.id, Some(id.as_str()))
            .await
            .map_err(NotReady::from)?;
        let mut still_unknown = None;
        for open in &unresolved {
            if self
                .reconcile_refund_attempt(service, open)
                .await
                .map_err(NotReady::from)?
                .is_none()
            {
                still_unknown.get_or_insert(open.amount);
            }
        }
        if let Some(earlier) = still_unknown {
            return Err(NotReady {
                why: Some(
                    "an earlier refund of this payment has an unknown outcome, still being checked"
                        .into(),
                ),
                error: CoreError::OutcomeUnknown(format!(
                    "An earlier refund of {} on this payment may or may not have been made. {REFUND_UNKNOWN}",
                    pounds(earlier)
                )),
            });
        }
        if let Some(found) = unresolved.first() {
            // Found after all: the figures the refund was decided on are old.
            return Err(NotReady {
                why: None,
                error: CoreError::Conflict {
                    message: format!(
                        "An earlier refund of {} on this payment, whose answer was lost, was made after all. Nothing more was refunded: check the new figures.",
                        pounds(found.amount)
                    ),
                    pay_code: None,
                },
            });
        }
        if summary.amount_available != expected_available {
            return Err(NotReady {
                why: Some(format!(
                    "the amount that can be refunded changed from {} to {} since the refund was decided ({} refunded in all now)",
                    pounds(expected_available),
                    pounds(summary.amount_available),
                    pounds(summary.amount_submitted)
                )),
                error: CoreError::Conflict {
                    message: format!(
                        "Paydesk stopped this refund before sending it: a refund has already been made or the amount changed. {} can now be refunded ({} already refunded). Nothing was refunded: check the new figures.",
                        pounds(summary.amount_available),
                        pounds(summary.amount_submitted)
                    ),
                    pay_code: None,
                },
            });
        }
        let disputed = self
            .payment_disputed(&service.id, id.as_str())
            .await
            .map_err(NotReady::from)?;
        if summary.status != RefundAvailability::Available {
            let why = match summary.status {
                RefundAvailability::Full => "it has already been refunded in full".to_owned(),
                RefundAvailability::Pending => "the payment has not been taken yet".to_owned(),
                _ if disputed => "it is being disputed by the cardholder; it cannot be refunded while the dispute is open or after it is lost".to_owned(),
                // A telephone payment just taken: GOV.UK Pay queues its
                // capture for a moment, and refunds wait for it.
                _ if capture_queued(payment) => "it was taken moments ago and GOV.UK Pay is still completing it; try again in a minute".to_owned(),
                _ => "GOV.UK Pay does not offer a refund of it".to_owned(),
            };
            return Err(NotReady {
                error: CoreError::Conflict {
                    message: format!(
                        "This payment cannot be refunded: {why}. Nothing was sent to GOV.UK Pay."
                    ),
                    pay_code: None,
                },
                why: Some(why),
            });
        }
        if amount > summary.amount_available {
            return Err(NotReady {
                why: None,
                error: CoreError::Validation(vec![FieldError::new(
                    "amount",
                    format!(
                        "Enter a refund amount greater than £0.00 and no more than {}",
                        pounds(summary.amount_available)
                    ),
                )]),
            });
        }
        Ok(summary)
    }

    /// The refunds the payment has before this one is sent (after a lost
    /// answer, this attempt's own refund is one that is not among them), and
    /// the request, carrying the amount available GOV.UK Pay just gave.
    pub(crate) async fn refund_request_body(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        amount: i64,
        summary: &RefundSummary,
    ) -> Result<(Vec<String>, CreateRefund), CoreError> {
        let client = self.client(service).await?;
        let known_before: Vec<String> = client
            .payments()
            .refunds(id)
            .await?
            .embedded
            .refunds
            .into_iter()
            .map(|r| r.refund_id.to_string())
            .collect();
        let request = CreateRefund {
            amount,
            refund_amount_available: Some(summary.amount_available),
        };
        Ok((known_before, request))
    }

    /// What a refund request that may have left the machine came to.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn refund_sent(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        amount: i64,
        summary: &RefundSummary,
        known_before: Vec<String>,
        why: &RefundWhy,
        seq: i64,
        sent: Sent<govpay::models::Refund>,
    ) -> Result<RefundDone, CoreError> {
        match sent {
            Sent::Done(refund) => {
                // The money moved: from here nothing may turn into an error.
                self.cache_refund(&service.id, id.as_str(), &refund).await;
                let after = self.payment_fresh(service, id).await.ok();
                let available_after = after
                    .and_then(|p| p.refund_summary)
                    .map(|s| s.amount_available)
                    .unwrap_or(summary.amount_available - amount);
                Ok(RefundDone {
                    refund_id: Some(refund.refund_id.to_string()),
                    amount,
                    status: refund.status.to_string(),
                    available_after,
                    reconciled: false,
                    request: None,
                })
            }
            Sent::Unknown => {
                let record = RefundAttempt {
                    seq,
                    service_id: service.id.clone(),
                    service_name: service.name.clone(),
                    payment_id: id.to_string(),
                    amount,
                    at_ms: clock::now_ms(),
                    known_before: Some(known_before),
                    reason: Some(why.clone()),
                };
                match self.reconcile_refund_attempt(service, &record).await? {
                    Some(refund) => {
                        let available_after = self
                            .payment_fresh(service, id)
                            .await
                            .ok()
                            .and_then(|p| p.refund_summary)
                            .map_or(summary.amount_available - amount, |s| s.amount_available);
                        Ok(RefundDone {
                            refund_id: Some(refund.refund_id.to_string()),
                            amount,
                            status: refund.status.to_string(),
                            available_after,
                            reconciled: true,
                            request: None,
                        })
                    }
                    None => Err(CoreError::OutcomeUnknown(REFUND_UNKNOWN.into())),
                }
            }
            Sent::Refused(e) => {
                let _ = self.payment_fresh(service, id).await;
                if e.pay_code() == Some(govpay::PayCode::P0604) {
                    return Err(CoreError::Conflict {
                        message: "A refund has already been made or the amount changed. Nothing was refunded: check the new figures and try again.".into(),
                        pay_code: Some(govpay::PayCode::P0604),
                    });
                }
                Err(e.into())
            }
        }
    }

    async fn payment_disputed(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<bool, CoreError> {
        Ok(self
            .store()
            .payment_disputed(service_id, payment_id)
            .await?)
    }

    /// Cancels a payment that is not finished, when GOV.UK Pay offers `cancel`.
    pub async fn cancel(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<ActionDone, CoreError> {
        self.payment_action(service_id, payment_id, PaymentAction::Cancel)
            .await
    }

    /// Captures a delayed-capture payment that is `capturable`.
    pub async fn capture(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<ActionDone, CoreError> {
        self.payment_action(service_id, payment_id, PaymentAction::Capture)
            .await
    }

    async fn payment_action(
        &self,
        service_id: &str,
        payment_id: &str,
        action: PaymentAction,
    ) -> Result<ActionDone, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::CancelOrCapturePayment)?;
        let id = parse_payment_id(payment_id)?;
        let _one_at_a_time = self.store().hold_payment(&service.id, id.as_str()).await?;
        let payment = self.payment_fresh(&service, &id).await?;
        let offered = match action {
            PaymentAction::Cancel => payment.links.cancel.is_some(),
            PaymentAction::Capture => payment.links.capture.is_some(),
        };
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: action.name(),
            payment_id: Some(id.to_string()),
            amount: Some(payment.amount),
            detail: format!("status before: {}", payment.state.status),
            ..AuditAttempt::default()
        };
        if !offered {
            let why = format!(
                "GOV.UK Pay does not offer to {} this payment: it is {}",
                action.verb(),
                payment.state.status
            );
            self.refuse_before_sending(&attempt, &why).await?;
            return Err(CoreError::Conflict {
                message: format!("{why}. Nothing was sent to GOV.UK Pay."),
                pay_code: None,
            });
        }
        let client = self.client(&service).await?;
        let request = async {
            match action {
                PaymentAction::Cancel => client.payments().cancel(&id).await,
                PaymentAction::Capture => client.payments().capture(&id).await,
            }
        };
        let (seq, sent) = self
            .audited(&attempt, request, "", |_| {
                Some((None, format!("GOV.UK Pay accepted the {}", action.name())))
            })
            .await?;
        match sent {
            Sent::Done(()) => {
                let after = self
                    .payment_fresh(&service, &id)
                    .await
                    .map(|p| p.state.status.to_string())
                    .unwrap_or_else(|_| action.result().to_string());
                Ok(ActionDone {
                    status: after,
                    reconciled: false,
                })
            }
            Sent::Unknown => {
                let unknown = || {
                    CoreError::OutcomeUnknown(format!(
                        "We do not know yet whether the {} was made — Paydesk is checking; do not try it again.",
                        action.name()
                    ))
                };
                let Ok(after) = self.payment_fresh(&service, &id).await else {
                    return Err(unknown());
                };
                let made = after.state.status == action.result();
                if !made && !after.state.finished {
                    // It may still happen: stays unknown, for the mop-up.
                    return Err(unknown());
                }
                let detail = format!(
                    "{}: status after: {}",
                    if made {
                        "it was made"
                    } else {
                        "it was not made"
                    },
                    after.state.status
                );
                self.audit_append(&attempt, Phase::Reconciled, Some(seq), None, &detail)
                    .await?;
                if made {
                    Ok(ActionDone {
                        status: after.state.status.to_string(),
                        reconciled: true,
                    })
                } else {
                    Err(CoreError::Conflict {
                        message: format!(
                            "GOV.UK Pay did not answer, and the payment has since finished as {}: the {} was not made.",
                            after.state.status,
                            action.name()
                        ),
                        pay_code: None,
                    })
                }
            }
            Sent::Refused(e) => {
                let _ = self.payment_fresh(&service, &id).await;
                Err(e.into())
            }
        }
    }

    /// Cancels an active recurring-payment agreement (supervisors only).
    pub async fn agreement_cancel(
        &self,
        service_id: &str,
        agreement_id: &str,
    ) -> Result<ActionDone, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ManageAgreements)?;
        let id = AgreementId::parse(agreement_id).map_err(|e| {
            CoreError::Validation(vec![FieldError::new(
                "agreementId",
                format!("The agreement ID {e}"),
            )])
        })?;
        let client = self.client(&service).await?;
        let before = client.agreements().get(&id).await?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "agreement_cancel",
            target_id: Some(id.to_string()),
            detail: format!("reference: {}", before.reference),
            ..AuditAttempt::default()
        };
        if before.status != AgreementStatus::Active {
            let why = format!(
                "only an active agreement can be cancelled, and this one is {}",
                before.status
            );
            self.refuse_before_sending(&attempt, &why).await?;
            return Err(CoreError::Conflict {
                message: format!("Nothing was sent to GOV.UK Pay: {why}."),
                pay_code: None,
            });
        }
        let (seq, sent) = self
            .audited(&attempt, client.agreements().cancel(&id), "", |_| {
                Some((None, String::new()))
            })
            .await?;
        let after = client.agreements().get(&id).await;
        if let Ok(a) = &after {
            self.store().keep_agreement(&service.id, a).await?;
        }
        match (sent, after) {
            (Sent::Done(()), Ok(a)) => Ok(ActionDone {
                status: a.status.to_string(),
                reconciled: false,
            }),
            (Sent::Done(()), Err(_)) => Ok(ActionDone {
                status: "cancelled".into(),
                reconciled: false,
            }),
            (Sent::Unknown, Ok(a)) if a.status == AgreementStatus::Active => {
                // Still active: the cancel may yet be made. Stays unknown.
                Err(CoreError::OutcomeUnknown(
                    "We do not know yet whether the agreement was cancelled — Paydesk is checking; do not try again.".into(),
                ))
            }
            (Sent::Unknown, Err(_)) => Err(CoreError::OutcomeUnknown(
                "We do not know yet whether the agreement was cancelled — Paydesk is checking; do not try again.".into(),
            )),
            (Sent::Unknown, Ok(a)) => {
                self.audit_append(
                    &attempt,
                    Phase::Reconciled,
                    Some(seq),
                    None,
                    &format!("status after: {}", a.status),
                )
                .await?;
                if a.status == AgreementStatus::Cancelled {
                    Ok(ActionDone {
                        status: a.status.to_string(),
                        reconciled: true,
                    })
                } else {
                    Err(CoreError::Conflict {
                        message: format!(
                            "GOV.UK Pay did not answer and the agreement is still {}.",
                            a.status
                        ),
                        pay_code: None,
                    })
                }
            }
            // Its status changed between reading and cancelling it.
            (Sent::Refused(e), after) if e.pay_code() == Some(govpay::PayCode::P2501) => Err(CoreError::Conflict {
                message: format!(
                    "GOV.UK Pay refused: only an active agreement can be cancelled, and this one is now {}.",
                    after
                        .map(|a| a.status.to_string())
                        .unwrap_or_else(|_| "no longer active".into())
                ),
                pay_code: Some(govpay::PayCode::P2501),
            }),
            (Sent::Refused(e), _) => Err(e.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaymentAction {
    Cancel,
    Capture,
}

impl PaymentAction {
    fn name(self) -> &'static str {
        match self {
            PaymentAction::Cancel => "cancel",
            PaymentAction::Capture => "capture",
        }
    }

    fn verb(self) -> &'static str {
        self.name()
    }

    /// The status the payment has once the action happened.
    fn result(self) -> PaymentStatus {
        match self {
            PaymentAction::Cancel => PaymentStatus::Cancelled,
            PaymentAction::Capture => PaymentStatus::Success,
        }
    }
}

/// What a request sent under the audit record came to; its outcome row is written.
pub(crate) enum Sent<T> {
    /// GOV.UK Pay did it.
    Done(T),
    /// No answer GOV.UK Pay could be said to have given (a timeout, a dropped
    /// connection, a server or proxy error): it may or may not have happened.
    /// Found out by reading GOV.UK Pay, never by sending it again.
    Unknown,
    /// GOV.UK Pay refused it.
    Refused(govpay::Error),
}

/// The `unknown` row's words.
const UNANSWERED: &str = "no answer GOV.UK Pay could be said to have given (a timeout, a dropped connection, a server or proxy error)";

impl Core {
    /// The pattern of every action that changes money or state at GOV.UK Pay:
    /// an `attempt` row before the request leaves; after it, a `succeeded` row
    /// (with the ID and words `done` takes from the answer; none if `done`
    /// says the action goes on, to finish later), an `unknown` row
    /// when no answer came, or a `failed` row with GOV.UK Pay's code. `note`
    /// is added to the last two (what is sure whatever happened). Returns the
    /// attempt's row, to which a later `reconciled` row is chained.
    pub(crate) async fn audited<T>(
        &self,
        attempt: &AuditAttempt,
        request: impl std::future::Future<Output = Result<T, govpay::Error>>,
        note: &str,
        done: impl FnOnce(&T) -> Option<(Option<String>, String)>,
    ) -> Result<(i64, Sent<T>), CoreError> {
        let seq = self
            .audit_append(attempt, Phase::Attempt, None, None, "")
            .await?;
        let sent = self
            .after_attempt(attempt, seq, request, note, done)
            .await?;
        Ok((seq, sent))
    }

    /// `audited`, for an attempt whose row (`seq`) is already written: sends
    /// the request and records its outcome.
    pub(crate) async fn after_attempt<T>(
        &self,
        attempt: &AuditAttempt,
        seq: i64,
        request: impl std::future::Future<Output = Result<T, govpay::Error>>,
        note: &str,
        done: impl FnOnce(&T) -> Option<(Option<String>, String)>,
    ) -> Result<Sent<T>, CoreError> {
        let noted = |detail: &str| {
            if note.is_empty() {
                detail.to_owned()
            } else {
                format!("{detail}; {note}")
            }
        };
        let sent = match request.await {
            Ok(answer) => {
                if let Some((target_id, detail)) = done(&answer) {
                    let row = AuditAttempt {
                        target_id: target_id.or_else(|| attempt.target_id.clone()),
                        ..attempt.clone()
                    };
                    self.audit_append(&row, Phase::Succeeded, Some(seq), None, &detail)
                        .await?;
                }
                Sent::Done(answer)
            }
            Err(govpay::Error::OutcomeUnknown { .. }) => {
                self.audit_append(attempt, Phase::Unknown, Some(seq), None, &noted(UNANSWERED))
                    .await?;
                Sent::Unknown
            }
            Err(e) => {
                let detail = noted(&refused_detail(&e));
                self.audit_append(
                    attempt,
                    Phase::Failed,
                    Some(seq),
                    e.pay_code().map(|c| c.to_string()).as_deref(),
                    &detail,
                )
                .await?;
                Sent::Refused(e)
            }
        };
        Ok(sent)
    }
}

/// A payment that is `success` but not yet captured: GOV.UK Pay's capture
/// queue after a telephone or agreement payment, when refunds wait.
pub(crate) fn capture_queued(payment: &Payment) -> bool {
    payment.state.status == PaymentStatus::Success
        && payment
            .settlement_summary
            .as_ref()
            .is_none_or(|s| s.captured_date.is_none())
}

/// What GOV.UK Pay's refusal means, in staff words, for the audit trail (its
/// own description, written for developers, goes to the log only).
pub(crate) fn refused_detail(e: &govpay::Error) -> String {
    match e {
        govpay::Error::Api(body) => match body.code().and_then(|c| c.explain()) {
            Some(words) => words.to_owned(),
            None => format!("GOV.UK Pay refused it (HTTP {})", body.status),
        },
        other => other.to_string(),
    }
}

/// Reads a refund amount typed in pounds and pence, by the one rule in [`crate::amount`].
pub fn parse_refund_amount(text: &str) -> Result<i64, CoreError> {
    amount::parse_field("amount", text, "Enter the amount to refund")
        .map_err(|e| CoreError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_amounts_follow_the_one_rule() {
        assert_eq!(parse_refund_amount("10.50").unwrap(), 1050);
        assert_eq!(parse_refund_amount(" £1,200 ").unwrap(), 120_000);
        for bad in ["", "1,50", "12,5", "1,0.00", "1.5.0", "9999999999"] {
            match parse_refund_amount(bad) {
                Err(CoreError::Validation(f)) => assert_eq!(f[0].field, "amount", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
