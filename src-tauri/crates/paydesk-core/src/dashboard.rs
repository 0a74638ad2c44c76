//! The supervisor's morning: takings and refunds, who refunded what, disputes
//! about to fall due and telephone payments still unfinished. Read from the cache.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Core;
use crate::clock;
use crate::disputes::{DisputeQuery, DisputeRow, Urgency};
use crate::error::{CoreError, FieldError};
use crate::money::reason::{self, RefundReason};
use crate::roles::Permission;
pub use crate::store::dashboard::{OperatorRefunds, Tally};
use crate::telephone::TelephonePaymentRow;

/// Successful payments and refunds (submitted or paid) created in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PeriodTotals {
    /// Where the period starts, milliseconds since 1970.
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    pub payments: Tally,
    pub refunds: Tally,
}

/// This week's refunds for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReasonRefunds {
    /// The reason's code; `None` for refunds with no reason recorded (made
    /// elsewhere, or before Paydesk asked for reasons).
    pub reason: Option<RefundReason>,
    pub label: String,
    pub refunds: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Dashboard {
    pub today: PeriodTotals,
    pub week: PeriodTotals,
    /// This week's refunds by who made them, largest value first.
    pub refunds_by_operator: Vec<OperatorRefunds>,
    /// This week's refunds by why they were made, largest value first.
    pub refunds_by_reason: Vec<ReasonRefunds>,
    /// Disputes needing a response that are overdue or due within 7 days.
    pub disputes_due: Vec<DisputeRow>,
    /// This desktop's telephone payments whose outcome is not final yet.
    pub unfinished_telephone: Vec<TelephonePaymentRow>,
    /// Money actions whose outcome is not known yet, oldest first.
    pub outcomes_unknown: Vec<OutcomeUnknown>,
}

/// A money action sent (or maybe sent) whose outcome GOV.UK Pay has not shown
/// yet. Past a day it is escalated: a supervisor checks it in the admin tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OutcomeUnknown {
    /// The attempt row, written before the request was sent.
    pub attempt: crate::activity::audit::AuditRow,
    /// Whole hours since.
    #[ts(type = "number")]
    pub hours: i64,
    /// Unknown for 24 hours or more.
    pub escalated: bool,
}

/// How long an unknown outcome waits before a supervisor is asked to look.
const ESCALATE_AFTER_MS: i64 = 24 * 3_600_000;
/// Whole hours an unknown outcome has waited, and whether a supervisor must look.
fn waited(age_ms: i64) -> (i64, bool) {
    (age_ms.max(0) / 3_600_000, age_ms >= ESCALATE_AFTER_MS)
}

/// An attempt younger than this with no outcome may still be on its way.
const IN_FLIGHT_MS: i64 = 2 * 60_000;

/// Where "today" and "this week" start: the UI works them out in UK time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DashboardQuery {
    #[ts(type = "number")]
    pub today_from_ms: i64,
    #[ts(type = "number")]
    pub week_from_ms: i64,
    /// The end of both periods (now, or the end of the day).
    #[ts(type = "number")]
    pub to_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DayTotals {
    #[ts(type = "number")]
    pub day_start_ms: i64,
    pub payments: Tally,
    pub refunds: Tally,
}

/// A chart covers at most this many days.
pub const MAX_DAYS: usize = 400;

impl Core {
    async fn period(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<PeriodTotals, CoreError> {
        let (payments, refunds) = self.store().takings(service_id, from_ms, to_ms).await?;
        Ok(PeriodTotals {
            from_ms,
            to_ms,
            payments,
            refunds,
        })
    }

    /// The supervisor's dashboard for one service.
    pub async fn dashboard(
        &self,
        service_id: &str,
        q: &DashboardQuery,
    ) -> Result<Dashboard, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewActivity)?;
        if q.week_from_ms > q.today_from_ms || q.today_from_ms > q.to_ms {
            return Err(CoreError::Validation(vec![FieldError::new(
                "todayFromMs",
                "The week must start before today, and today before now",
            )]));
        }
        let today = self.period(&service.id, q.today_from_ms, q.to_ms).await?;
        let week = self.period(&service.id, q.week_from_ms, q.to_ms).await?;

        // Refunds as GOV.UK Pay reports them, matched to this desktop's audit rows
        // by refund ID; the ones with no row were made somewhere else.
        let refunds_by_operator = self
            .store()
            .refunds_by_operator(&service.id, q.week_from_ms, q.to_ms)
            .await?;
        let refunds_by_reason = self
            .store()
            .refunds_by_reason(&service.id, q.week_from_ms, q.to_ms)
            .await?
            .into_iter()
            .map(|t| ReasonRefunds {
                reason: t.reason.as_deref().and_then(RefundReason::parse),
                label: t
                    .reason
                    .as_deref()
                    .map_or_else(|| "No reason recorded".to_owned(), reason::label_of),
                refunds: t.refunds,
            })
            .collect();

        let disputes_due = self
            .disputes_list(
                &service.id,
                &DisputeQuery {
                    status: Some("needs_response".into()),
                    ..DisputeQuery::default()
                },
            )
            .await?
            .into_iter()
            .filter(|d| matches!(d.urgency, Urgency::Overdue | Urgency::DueSoon))
            .collect();
        let unfinished_telephone = self.telephone_payments(&service.id, true).await?;
        let now = clock::now_ms();
        let in_flight_since = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(now - IN_FLIGHT_MS) * 1_000_000,
        )
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
        let outcomes_unknown = self
            .store()
            .outcomes_unknown(&service.id, &in_flight_since)
            .await?
            .into_iter()
            .map(|attempt| {
                let age = clock::api_time_ms(&attempt.at).map_or(0, |at| now - at);
                let (hours, escalated) = waited(age);
                OutcomeUnknown {
                    hours,
                    escalated,
                    attempt,
                }
            })
            .collect();
        Ok(Dashboard {
            today,
            week,
            refunds_by_operator,
            refunds_by_reason,
            disputes_due,
            unfinished_telephone,
            outcomes_unknown,
        })
    }

    /// Successful payments and refunds per day, for a chart. `day_starts` holds
    /// each day's start and, last, the end of the final day (the UI works them
    /// out in UK time, so a day can be 23 or 25 hours long).
    pub async fn daily_totals(
        &self,
        service_id: &str,
        day_starts: &[i64],
    ) -> Result<Vec<DayTotals>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        if day_starts.len() < 2 || day_starts.len() > MAX_DAYS + 1 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "dayStarts",
                format!("Choose a date range of 1 to {MAX_DAYS} days"),
            )]));
        }
        if day_starts.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CoreError::Validation(vec![FieldError::new(
                "dayStarts",
                "The days must be in order",
            )]));
        }
        let mut out = Vec::with_capacity(day_starts.len() - 1);
        for w in day_starts.windows(2) {
            let p = self.period(&service.id, w[0], w[1]).await?;
            out.push(DayTotals {
                day_start_ms: w[0],
                payments: p.payments,
                refunds: p.refunds,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_outcome_is_escalated_after_a_day() {
        assert_eq!(waited(59 * 60_000), (0, false));
        assert_eq!(waited(23 * 3_600_000 + 59 * 60_000), (23, false));
        assert_eq!(waited(24 * 3_600_000), (24, true));
        assert_eq!(waited(-5_000), (0, false));
    }
}
