//! A second person's approval for refunds a service's rules catch. Only on a
//! team's database: a single desktop has nobody to approve, and says so.
//!
//! A caught refund becomes a request: nothing is sent. A supervisor of the
//! service, never the one who asked (the database refuses that, whatever a
//! desktop sends), approves it, and the refund is then sent exactly once:
//! the request is claimed in the same transaction as the refund's audit
//! attempt, so two approvers at once make one refund, and it carries
//! `refund_amount_available` from a fresh read. If the amount available has
//! changed since the request, nothing is sent and the request goes back to
//! the person who asked. A request nobody decides within 5 working days
//! expires. Each step is an audit row naming who took it.

use govpay::PaymentId;
use govpay::models::Payment;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{self, AuditAttempt, Phase, RowHasher};
use crate::amount::{self, pounds};
use crate::clock;
use crate::error::{CoreError, FieldError};
use crate::money::reason::{self, RefundReason, RefundWhy};
use crate::money::{NotReady, RefundDone, parse_payment_id, refund_attempt, refund_done};
use crate::roles::Permission;
use crate::services::ServiceInfo;
use crate::store::approvals::{
    ApprovalRules, CitizenRefund, Decision, NewRequest, RequestFilter, RequestRecord, RequestState,
};
use crate::store::{AuditRow, ChainLock, TeamMember};

/// Why approvals are not offered on a single desktop, for its settings.
pub const SINGLE_DESKTOP: &str = "Approvals need a second person, so Paydesk offers them only when a team shares a team database. On this desktop every refund is sent once the person making it confirms it. Reasons are still recorded with every refund.";

/// What the settings screen shows of a service's approval rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ApprovalSettings {
    /// Approvals are offered (a team's database).
    pub offered: bool,
    /// Why not, when they are not.
    pub why_not: Option<String>,
    /// The person signed in may change the rules.
    pub can_set: bool,
    pub rules: ApprovalRules,
    /// The rules in words, one line each; empty when none is set.
    pub summary: Vec<String>,
    pub set_by: Option<String>,
    pub set_at: Option<String>,
    /// The rules come from the organisation's policy and cannot be changed here.
    pub by_organisation: bool,
}

/// The rules as typed on the settings screen: empty text for a rule not set.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ApprovalRulesInput {
    /// Pounds and pence.
    pub above: String,
    pub older_than_days: String,
    pub own_telephone: bool,
}

impl ApprovalRulesInput {
    /// Reads the rules, naming each field that needs correcting.
    pub fn parse(&self) -> Result<ApprovalRules, CoreError> {
        let mut problems = Vec::new();
        let above = if self.above.trim().is_empty() {
            None
        } else {
            match amount::parse_field("above", &self.above, "") {
                Ok(pence) => Some(pence),
                Err(e) => {
                    problems.push(e);
                    None
                }
            }
        };
        let days = self.older_than_days.trim();
        let older_than_days = if days.is_empty() {
            None
        } else {
            match days.parse::<i32>() {
                Ok(d) if (1..=3650).contains(&d) => Some(d),
                _ => {
                    problems.push(FieldError::new(
                        "olderThanDays",
                        "Enter a whole number of days from 1 to 3650, or leave it empty",
                    ));
                    None
                }
            }
        };
        if !problems.is_empty() {
            return Err(CoreError::Validation(problems));
        }
        Ok(ApprovalRules {
            above,
            older_than_days,
            own_telephone: self.own_telephone,
        })
    }
}

/// The rules in words, one line each.
pub fn rules_summary(rules: &ApprovalRules) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(above) = rules.above {
        lines.push(format!("Refunds of more than {}", pounds(above)));
    }
    if let Some(days) = rules.older_than_days {
        lines.push(format!(
            "Any refund of a payment made more than {days} {} ago",
            if days == 1 { "day" } else { "days" }
        ));
    }
    if rules.own_telephone {
        lines.push("Any refund of a telephone payment the same person took".into());
    }
    lines
}

/// The audit row's words for a change of rules.
pub(crate) fn rules_detail(rules: &ApprovalRules) -> String {
    let summary = rules_summary(rules);
    if summary.is_empty() {
        "no refund needs approval".into()
    } else {
        format!(
            "refunds needing approval: {}",
            summary.join("; ").to_lowercase()
        )
    }
}

/// Where a request is, as its requester and approvers read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RequestStatus {
    Waiting,
    /// Approved, and GOV.UK Pay made the refund.
    Sent,
    /// Approved and sent; GOV.UK Pay's answer was lost and is being checked.
    Checking,
    /// Approved and sent; GOV.UK Pay refused it.
    Refused,
    Rejected,
    /// Sent back to the person who asked: the figures changed.
    Returned,
    Expired,
}

/// A refund request, for the payment page, the Approvals queue and "My requests".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RefundRequestView {
    #[ts(type = "number")]
    pub id: i64,
    pub service_id: String,
    pub payment_id: String,
    pub reference: String,
    #[ts(type = "number")]
    pub amount: i64,
    /// What could be refunded when it was asked.
    #[ts(type = "number")]
    pub available: i64,
    pub reason: String,
    /// The reason and note in words.
    pub reason_text: String,
    /// Why it needs approval.
    pub needs: String,
    pub requester: String,
    pub asked_at: String,
    pub expires_at: String,
    pub status: RequestStatus,
    /// The status in words, naming who decided.
    pub status_text: String,
    pub decider: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub refund_id: Option<String>,
    /// Asked by the person signed in.
    pub mine: bool,
    /// The person signed in may approve or reject it now.
    pub can_decide: bool,
}

/// A request in the Approvals queue, with what the approver weighs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ApprovalItem {
    pub request: RefundRequestView,
    /// Whole hours since it was asked.
    #[ts(type = "number")]
    pub age_hours: i64,
    /// The citizen's refunds: of this payment, and of their other payments
    /// by the same email, newest first.
    pub citizen_refunds: Vec<CitizenRefund>,
}

fn status_of(r: &RequestRecord, now_ms: i64) -> RequestStatus {
    match r.state {
        RequestState::Waiting
            if clock::api_time_ms(&r.expires_at).is_some_and(|at| at <= now_ms) =>
        {
            RequestStatus::Expired
        }
        RequestState::Waiting => RequestStatus::Waiting,
        RequestState::Rejected => RequestStatus::Rejected,
        RequestState::Returned => RequestStatus::Returned,
        RequestState::Expired => RequestStatus::Expired,
        RequestState::Approved => match r.outcome.as_deref() {
            Some("succeeded" | "reconciled") => RequestStatus::Sent,
            Some("failed") => RequestStatus::Refused,
            _ => RequestStatus::Checking,
        },
    }
}

fn status_text(r: &RequestRecord, status: RequestStatus) -> String {
    let by = r.decider.as_deref().unwrap_or("a supervisor");
    let note = r.decision_note.as_deref().unwrap_or_default();
    match status {
        RequestStatus::Waiting => "Waiting for approval".into(),
        RequestStatus::Sent => format!("Approved by {by} and refunded"),
        RequestStatus::Checking => format!(
            "Approved by {by} and sent; GOV.UK Pay's answer was lost and Paydesk is checking whether the refund was made"
        ),
        RequestStatus::Refused => format!(
            "Approved by {by}, but the refund was not made: GOV.UK Pay refused it or could not be reached. It can be asked for again"
        ),
        RequestStatus::Rejected => format!("Rejected by {by}: {note}"),
        RequestStatus::Returned => format!("Returned by {by}: {note}"),
        RequestStatus::Expired => {
            "Expired: nobody approved or rejected it within 5 working days".into()
        }
    }
}

impl Core {
    /// The person signed in to a team's database, or why approvals are not offered.
    fn approver_desk(&self) -> Result<TeamMember, CoreError> {
        match self.store().team_member() {
            Some(me) if self.store().team_mode() => Ok(me.clone()),
            _ => Err(CoreError::Conflict {
                message: SINGLE_DESKTOP.into(),
                pay_code: None,
            }),
        }
    }

    fn request_view(&self, r: &RequestRecord, role_approves: bool) -> RefundRequestView {
        let status = status_of(r, clock::now_ms());
        let mine = self
            .store()
            .team_member()
            .is_some_and(|me| me.login == r.requester_login);
        RefundRequestView {
            id: r.id,
            service_id: r.service_id.clone(),
            payment_id: r.payment_id.clone(),
            reference: r.reference.clone(),
            amount: r.amount,
            available: r.available,
            reason: r.reason.clone(),
            reason_text: reason::words(&r.reason, r.reason_note.as_deref()),
            needs: r.needs.clone(),
            requester: r.requester.clone(),
            asked_at: r.asked_at.clone(),
            expires_at: r.expires_at.clone(),
            status,
            status_text: status_text(r, status),
            decider: r.decider.clone(),
            decided_at: r.decided_at.clone(),
            decision_note: r.decision_note.clone(),
            refund_id: r.refund_id.clone(),
            mine,
            can_decide: role_approves && !mine && status == RequestStatus::Waiting,
        }
    }

    /// A unit of work's audit row: being the chain's writer, the row (written
    /// by the person signed in), and how to seal it. The caller hands all
    /// three to the store with its change, then `record_head_moved`.
    async fn audit_unit(
        &self,
        attempt: &AuditAttempt,
        phase: Phase,
    ) -> Result<(ChainLock, AuditRow, RowHasher), CoreError> {
        let operator = self.operator().await?;
        let lock = self.store().audit_lock().await;
        self.write_held(&lock).await;
        if !self.shared.held.is_empty() {
            return Err(CoreError::Storage(
                "older audit outcomes are still held".into(),
            ));
        }
        let hasher = self.row_hasher().await?;
        let row = audit::new_row(&operator, attempt, phase, None, None, "");
        Ok((lock, row, hasher))
    }

    /// A service's rules with the organisation's policy over them: each rule
    /// the policy sets wins.
    fn rules_in_force(&self, kept: ApprovalRules) -> ApprovalRules {
        let policy = self.policy();
        let set = &policy.approval;
        ApprovalRules {
            above: set.above.or(kept.above),
            older_than_days: set
                .older_than_days
                .and_then(|d| i32::try_from(d).ok())
                .or(kept.older_than_days),
            own_telephone: set.own_telephone.unwrap_or(kept.own_telephone),
        }
    }

    /// What a service's approval rules are, and whether they are offered here.
    pub async fn approval_settings(&self, service_id: &str) -> Result<ApprovalSettings, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        if self.approver_desk().is_err() {
            return Ok(ApprovalSettings {
                offered: false,
                why_not: Some(SINGLE_DESKTOP.into()),
                can_set: false,
                rules: ApprovalRules::default(),
                summary: Vec::new(),
                set_by: None,
                set_at: None,
                by_organisation: false,
            });
        }
        let kept = self.store().approval_rules(&service.id).await?;
        let by_organisation = !self.policy().approval.is_empty();
        let rules = self.rules_in_force(kept.rules);
        Ok(ApprovalSettings {
            offered: true,
            why_not: None,
            can_set: service.role.allows(Permission::ApproveRefunds) && !by_organisation,
            summary: rules_summary(&rules),
            rules,
            set_by: if by_organisation {
                Some("your organisation".into())
            } else {
                kept.set_by
            },
            set_at: if by_organisation { None } else { kept.set_at },
            by_organisation,
        })
    }

    /// Sets a service's approval rules (its supervisors), recorded with who set them.
    pub async fn approval_rules_set(
        &self,
        service_id: &str,
        input: &ApprovalRulesInput,
    ) -> Result<ApprovalSettings, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ApproveRefunds)?;
        self.approver_desk()?;
        if !self.policy().approval.is_empty() {
            return Err(CoreError::Forbidden(
                "These approval rules are set by your organisation: IT changes them in Paydesk's policy file".into(),
            ));
        }
        let rules = input.parse()?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "approval_rules",
            detail: rules_detail(&rules),
            ..AuditAttempt::default()
        };
        let (lock, row, hasher) = self.audit_unit(&attempt, Phase::Succeeded).await?;
        let (seq, hash) = self
            .store()
            .set_approval_rules(&lock, &service.id, &rules, row, &|p, r| hasher.hash(p, r))
            .await?;
        self.record_head_moved(seq, hash).await;
        self.approval_settings(&service.id).await
    }

    /// Why a refund of `amount` needs approval, if the service's rules say it does.
    pub(crate) async fn approval_needed(
        &self,
        service: &ServiceInfo,
        payment: &Payment,
        amount: i64,
    ) -> Result<Option<String>, CoreError> {
        let Ok(me) = self.approver_desk() else {
            return Ok(None);
        };
        let rules = self.rules_in_force(self.store().approval_rules(&service.id).await?.rules);
        let mut needs = Vec::new();
        // Counted with what was refunded before: a refund split in parts
        // under the limit is caught as soon as the parts pass it.
        let before = payment
            .refund_summary
            .as_ref()
            .map_or(0, |s| s.amount_submitted);
        if let Some(above) = rules.above
            && before + amount > above
        {
            needs.push(if before > 0 {
                format!(
                    "refunds of more than {} in all need approval ({} refunded already)",
                    pounds(above),
                    pounds(before)
                )
            } else {
                format!("refunds of more than {} need approval", pounds(above))
            });
        }
        if let Some(days) = rules.older_than_days {
            let made = payment.created_date.as_deref().and_then(clock::api_time_ms);
            match made {
                Some(made) if clock::now_ms() - made <= i64::from(days) * 86_400_000 => {}
                Some(_) => needs.push(format!(
                    "the payment was made more than {days} {} ago",
                    if days == 1 { "day" } else { "days" }
                )),
                None => needs.push("GOV.UK Pay did not say when the payment was made".into()),
            }
        }
        if rules.own_telephone && payment.moto == Some(true) {
            let taken_by = self
                .store()
                .telephone_taker(&service.id, payment.payment_id.as_str())
                .await?;
            if taken_by.as_deref() == Some(me.login.as_str()) {
                needs.push("you took this telephone payment yourself".into());
            }
        }
        Ok((!needs.is_empty()).then(|| needs.join("; ")))
    }

    /// A refund of this payment waiting for approval, if there is one.
    pub(crate) async fn waiting_request(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<RequestRecord>, CoreError> {
        if self.approver_desk().is_err() {
            return Ok(None);
        }
        self.expire_overdue(service_id).await;
        Ok(self
            .store()
            .refund_requests(&RequestFilter {
                service_id: Some(service_id.to_owned()),
                payment_id: Some(payment_id.to_owned()),
                states: vec![RequestState::Waiting],
                ..RequestFilter::default()
            })
            .await?
            .into_iter()
            .next())
    }

    /// Makes the request a caught refund becomes. Nothing is sent.
    pub(crate) async fn ask_approval(
        &self,
        service: &ServiceInfo,
        payment: &Payment,
        amount: i64,
        available: i64,
        why: &RefundWhy,
        needs: &str,
    ) -> Result<RefundRequestView, CoreError> {
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "refund_request",
            payment_id: Some(payment.payment_id.to_string()),
            amount: Some(amount),
            detail: format!(
                "asked for approval: {needs}; {} could be refunded when asked",
                pounds(available)
            ),
            reason: Some(why.clone()),
            ..AuditAttempt::default()
        };
        let (lock, row, hasher) = self.audit_unit(&attempt, Phase::Succeeded).await?;
        let new = NewRequest {
            service_id: service.id.clone(),
            payment_id: payment.payment_id.to_string(),
            reference: payment.reference.clone(),
            email: payment.email.clone(),
            amount,
            available,
            reason: why.reason.code().to_owned(),
            reason_note: why.note.clone(),
            needs: needs.to_owned(),
            requester: row.operator.clone(),
        };
        let (record, (seq, hash)) = self
            .store()
            .ask_refund(&lock, &new, row, &|p, r| hasher.hash(p, r))
            .await?;
        self.record_head_moved(seq, hash).await;
        Ok(self.request_view(&record, false))
    }

    /// Records, once each, the waiting requests past their expiry. Whoever
    /// notices first records it; a failure here is logged (the request shows
    /// as expired anyway) and tried again next time.
    pub(crate) async fn expire_overdue(&self, service_id: &str) {
        let overdue = match self
            .store()
            .refund_requests(&RequestFilter {
                service_id: Some(service_id.to_owned()),
                overdue: true,
                ..RequestFilter::default()
            })
            .await
        {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!("overdue refund requests could not be read: {e}");
                return;
            }
        };
        for r in overdue {
            if let Err(e) = self
                .decide(
                    &r,
                    Decision::Expire,
                    format!(
                        "request {} expired: nobody approved or rejected it within 5 working days",
                        r.id
                    ),
                )
                .await
            {
                tracing::warn!(
                    request = r.id,
                    "an expired refund request could not be recorded: {e}"
                );
            }
        }
    }

    /// Records a decision other than an approval, with its audit row.
    async fn decide(
        &self,
        r: &RequestRecord,
        decision: Decision,
        detail: String,
    ) -> Result<Option<RequestRecord>, CoreError> {
        let (action, phase) = match decision {
            Decision::Reject { .. } => ("refund_reject", Phase::Succeeded),
            Decision::Return { .. } => ("refund_return", Phase::NotSent),
            Decision::Expire => ("refund_expire", Phase::Succeeded),
            Decision::Approve => ("refund", Phase::Attempt),
        };
        let service = self.service(&r.service_id).await?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action,
            payment_id: Some(r.payment_id.clone()),
            target_id: Some(r.id.to_string()),
            amount: Some(r.amount),
            detail,
            reason: RefundReason::parse(&r.reason).map(|reason| RefundWhy {
                reason,
                note: r.reason_note.clone(),
            }),
        };
        let (lock, row, hasher) = self.audit_unit(&attempt, phase).await?;
        let decider = row.operator.clone();
        let decided = self
            .store()
            .decide_request(&lock, r.id, &decision, &decider, row, &|p, rr| {
                hasher.hash(p, rr)
            })
            .await?;
        Ok(match decided {
            Some((record, (seq, hash))) => {
                self.record_head_moved(seq, hash).await;
                Some(record)
            }
            None => None,
        })
    }

    /// A request that can be decided now, for a supervisor of its service
    /// who did not ask for it.
    async fn decidable(&self, request_id: i64) -> Result<(RequestRecord, ServiceInfo), CoreError> {
        let me = self.approver_desk()?;
        let record = self
            .store()
            .refund_request(request_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("That refund request".into()))?;
        let service = self.service(&record.service_id).await?;
        service.role.require(Permission::ApproveRefunds)?;
        if record.requester_login == me.login {
            return Err(CoreError::Forbidden(
                "you asked for this refund yourself, so another supervisor must approve or reject it"
                    .into(),
            ));
        }
        let status = status_of(&record, clock::now_ms());
        if status != RequestStatus::Waiting {
            return Err(self.no_longer_waiting(&record, status));
        }
        Ok((record, service))
    }

    fn no_longer_waiting(&self, r: &RequestRecord, status: RequestStatus) -> CoreError {
        CoreError::Conflict {
            message: format!(
                "This request is no longer waiting: {}. Nothing was sent.",
                status_text(r, status).to_lowercase()
            ),
            pay_code: None,
        }
    }

    async fn decided_meanwhile(&self, request_id: i64) -> CoreError {
        match self.store().refund_request(request_id).await {
            Ok(Some(r)) => {
                let status = status_of(&r, clock::now_ms());
                self.no_longer_waiting(&r, status)
            }
            _ => CoreError::Conflict {
                message: "This request was decided by someone else meanwhile. Nothing was sent."
                    .into(),
                pay_code: None,
            },
        }
    }

    /// Approves a request and sends its refund, once, with the amount
    /// available from a fresh read. If that amount changed since the request
    /// was made, nothing is sent and the request goes back to who asked.
    pub async fn refund_request_approve(&self, request_id: i64) -> Result<RefundDone, CoreError> {
        let (record, service) = self.decidable(request_id).await?;
        let why = RefundWhy {
            reason: RefundReason::parse(&record.reason).unwrap_or(RefundReason::Other),
            note: record.reason_note.clone(),
        };
        let id: PaymentId = parse_payment_id(&record.payment_id)?;
        let _one_at_a_time = self.store().hold_payment(&service.id, id.as_str()).await?;
        let payment = self.payment_fresh(&service, &id).await?;
        let summary = match self
            .refund_ready(&service, &id, &payment, record.amount, record.available)
            .await
        {
            Ok(summary) => summary,
            // Nothing decided (GOV.UK Pay or the database could not say):
            // the request waits, and the approver can try again.
            Err(NotReady { why: None, error }) => return Err(error),
            Err(NotReady {
                why: Some(note),
                error: _,
            }) => {
                let returned = self
                    .decide(
                        &record,
                        Decision::Return { note: note.clone() },
                        format!(
                            "request {} returned to {}: {note}",
                            record.id, record.requester
                        ),
                    )
                    .await?;
                if returned.is_none() {
                    return Err(self.decided_meanwhile(record.id).await);
                }
                return Err(CoreError::Conflict {
                    message: format!(
                        "Nothing was refunded: {note}. The request has gone back to {} to check the new figures.",
                        record.requester
                    ),
                    pay_code: None,
                });
            }
        };
        let (known_before, request) = self
            .refund_request_body(&service, &id, record.amount, &summary)
            .await?;
        // Everything the sending needs is at hand before the claim: once
        // claimed, the refund is sent.
        let client = self.client(&service).await?;
        let mut attempt = refund_attempt(&service, &id, record.amount, &why);
        attempt.detail = format!(
            "approving request {} asked by {}; {}",
            record.id,
            record.requester,
            crate::money::reconcile::attempt_detail(summary.amount_available, &known_before)
        );
        // The claim and the refund's attempt row are one: two approvers at
        // once, one of them sends.
        let (lock, row, hasher) = self.audit_unit(&attempt, Phase::Attempt).await?;
        let decider = row.operator.clone();
        let claimed = self
            .store()
            .decide_request(
                &lock,
                record.id,
                &Decision::Approve,
                &decider,
                row,
                &|p, r| hasher.hash(p, r),
            )
            .await?;
        drop(lock);
        let Some((_, (seq, hash))) = claimed else {
            return Err(self.decided_meanwhile(record.id).await);
        };
        self.record_head_moved(seq, hash).await;
        let sent = self
            .after_attempt(
                &attempt,
                seq,
                client.payments().refund(&id, &request),
                "",
                refund_done,
            )
            .await?;
        let made = self
            .refund_sent(
                &service,
                &id,
                record.amount,
                &summary,
                known_before,
                &why,
                seq,
                sent,
            )
            .await;
        match made {
            // Refused, or never reached GOV.UK Pay: the approval is spent on
            // a refund that was not made, and whoever asked can ask again.
            Err(CoreError::Api(e)) => Err(CoreError::Conflict {
                message: format!(
                    "The refund was not made: {}. The request is closed; {} can ask again if it is still needed.",
                    crate::money::refused_detail(&e).trim_end_matches('.'),
                    record.requester
                ),
                pay_code: None,
            }),
            // GOV.UK Pay's own guard (P0604): refunded meanwhile elsewhere.
            Err(CoreError::Conflict {
                pay_code: Some(govpay::PayCode::P0604),
                ..
            }) => Err(CoreError::Conflict {
                message: format!(
                    "The refund was not made: a refund was made elsewhere meanwhile or the amount changed. The request is closed; {} can check the new figures and ask again.",
                    record.requester
                ),
                pay_code: Some(govpay::PayCode::P0604),
            }),
            other => other,
        }
    }

    /// Rejects a request, saying why; nothing is sent.
    pub async fn refund_request_reject(
        &self,
        request_id: i64,
        note: &str,
    ) -> Result<RefundRequestView, CoreError> {
        let note = note.trim();
        if note.is_empty()
            || note.chars().count() > reason::NOTE_MAX
            || note.chars().any(char::is_control)
        {
            return Err(CoreError::Validation(vec![FieldError::new(
                "decisionNote",
                format!(
                    "Enter why the refund is rejected, in one line of {} characters or fewer",
                    reason::NOTE_MAX
                ),
            )]));
        }
        let (record, service) = self.decidable(request_id).await?;
        let decided = self
            .decide(
                &record,
                Decision::Reject {
                    note: note.to_owned(),
                },
                format!("request {} rejected: {note}", record.id),
            )
            .await?;
        match decided {
            Some(r) => Ok(self.request_view(&r, service.role.allows(Permission::ApproveRefunds))),
            None => Err(self.decided_meanwhile(record.id).await),
        }
    }

    /// The service's requests waiting for approval, oldest first, with what
    /// an approver weighs (supervisors).
    pub async fn approvals_waiting(
        &self,
        service_id: &str,
    ) -> Result<Vec<ApprovalItem>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ApproveRefunds)?;
        self.approver_desk()?;
        self.expire_overdue(&service.id).await;
        let waiting = self
            .store()
            .refund_requests(&RequestFilter {
                service_id: Some(service.id.clone()),
                states: vec![RequestState::Waiting],
                ..RequestFilter::default()
            })
            .await?;
        let now = clock::now_ms();
        let mut items = Vec::with_capacity(waiting.len());
        for r in &waiting {
            let citizen_refunds = self
                .store()
                .citizen_refunds(&service.id, &r.payment_id, r.email.as_deref())
                .await?;
            items.push(ApprovalItem {
                request: self.request_view(r, true),
                age_hours: clock::api_time_ms(&r.asked_at).map_or(0, |at| (now - at) / 3_600_000),
                citizen_refunds,
            });
        }
        Ok(items)
    }

    /// The requests the person signed in made on the service, newest first.
    pub async fn refund_requests_mine(
        &self,
        service_id: &str,
    ) -> Result<Vec<RefundRequestView>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::Refund)?;
        let me = self.approver_desk()?;
        self.expire_overdue(&service.id).await;
        let approves = service.role.allows(Permission::ApproveRefunds);
        let mut list: Vec<RefundRequestView> = self
            .store()
            .refund_requests(&RequestFilter {
                service_id: Some(service.id.clone()),
                requester_login: Some(me.login),
                ..RequestFilter::default()
            })
            .await?
            .iter()
            .map(|r| self.request_view(r, approves))
            .collect();
        list.reverse();
        Ok(list)
    }

    /// A payment's requests, oldest first (none on a single desktop).
    pub(crate) async fn payment_requests(
        &self,
        service: &ServiceInfo,
        payment_id: &str,
    ) -> Result<Vec<RefundRequestView>, CoreError> {
        if self.approver_desk().is_err() {
            return Ok(Vec::new());
        }
        self.expire_overdue(&service.id).await;
        let approves = service.role.allows(Permission::ApproveRefunds);
        Ok(self
            .store()
            .refund_requests(&RequestFilter {
                service_id: Some(service.id.clone()),
                payment_id: Some(payment_id.to_owned()),
                ..RequestFilter::default()
            })
            .await?
            .iter()
            .map(|r| self.request_view(r, approves))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(above: &str, days: &str, own: bool) -> ApprovalRulesInput {
        ApprovalRulesInput {
            above: above.into(),
            older_than_days: days.into(),
            own_telephone: own,
        }
    }

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rules_are_read_as_a_person_wrote_them() {
        let rules = input("£1,000", "30", true).parse().unwrap();
        assert_eq!(rules.above, Some(100_000));
        assert_eq!(rules.older_than_days, Some(30));
        assert!(rules.own_telephone);
        assert_eq!(
            rules_summary(&rules),
            [
                "Refunds of more than £1,000.00",
                "Any refund of a payment made more than 30 days ago",
                "Any refund of a telephone payment the same person took"
            ]
        );
        let none = input(" ", "", false).parse().unwrap();
        assert!(none.is_empty());
        assert!(rules_summary(&none).is_empty());
        assert_eq!(
            fields(input("1,00", "0", false).parse().unwrap_err()),
            ["above", "olderThanDays"]
        );
        assert_eq!(
            fields(input("", "3651", false).parse().unwrap_err()),
            ["olderThanDays"]
        );
        assert_eq!(
            fields(input("", "2.5", false).parse().unwrap_err()),
            ["olderThanDays"]
        );
    }

    fn record(state: RequestState, outcome: Option<&str>, expires_at: &str) -> RequestRecord {
        RequestRecord {
            id: 7,
            service_id: "s".into(),
            payment_id: "p".into(),
            reference: "R".into(),
            email: None,
            amount: 100,
            available: 100,
            reason: "goodwill".into(),
            reason_note: None,
            needs: "n".into(),
            requester_login: "sam".into(),
            requester: "Sam".into(),
            asked_at: "2026-12-01T10:00:00Z".into(),
            expires_at: expires_at.into(),
            state,
            decider: Some("Asha".into()),
            decided_at: None,
            decision_note: Some("paid by cheque".into()),
            attempt_seq: None,
            outcome: outcome.map(str::to_owned),
            refund_id: None,
        }
    }

    #[test]
    fn a_requests_status_follows_its_refunds_record() {
        let now = clock::api_time_ms("2026-12-04T10:00:00Z").unwrap();
        let later = "2026-12-08T10:00:00Z";
        let cases = [
            (RequestState::Waiting, None, later, RequestStatus::Waiting),
            (
                RequestState::Waiting,
                None,
                "2026-12-04T09:59:59Z",
                RequestStatus::Expired,
            ),
            (RequestState::Approved, None, later, RequestStatus::Checking),
            (
                RequestState::Approved,
                Some("attempt"),
                later,
                RequestStatus::Checking,
            ),
            (
                RequestState::Approved,
                Some("unknown"),
                later,
                RequestStatus::Checking,
            ),
            (
                RequestState::Approved,
                Some("succeeded"),
                later,
                RequestStatus::Sent,
            ),
            (
                RequestState::Approved,
                Some("reconciled"),
                later,
                RequestStatus::Sent,
            ),
            (
                RequestState::Approved,
                Some("failed"),
                later,
                RequestStatus::Refused,
            ),
            (RequestState::Rejected, None, later, RequestStatus::Rejected),
            (RequestState::Returned, None, later, RequestStatus::Returned),
            (RequestState::Expired, None, later, RequestStatus::Expired),
        ];
        for (state, outcome, expires, want) in cases {
            let r = record(state, outcome, expires);
            assert_eq!(status_of(&r, now), want, "{state:?} {outcome:?}");
        }
        let r = record(RequestState::Rejected, None, later);
        assert_eq!(
            status_text(&r, RequestStatus::Rejected),
            "Rejected by Asha: paid by cheque"
        );
    }
}
