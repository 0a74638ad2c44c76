//! Disputes for the supervisor: from the cache, most urgent first.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Core;
use crate::clock;
use crate::error::{CoreError, FieldError};
use crate::roles::Permission;
use crate::store::cache::{DisputeFilter, DisputeRecord};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DisputeView {
    pub dispute_id: String,
    pub payment_id: String,
    #[ts(type = "number")]
    pub amount: i64,
    #[ts(type = "number | null")]
    pub fee: Option<i64>,
    #[ts(type = "number | null")]
    pub net_amount: Option<i64>,
    pub status: String,
    /// GOV.UK Pay's reason code, e.g. `fraudulent`.
    pub reason: Option<String>,
    /// The reason in plain words.
    pub reason_text: String,
    pub created_date: String,
    pub evidence_due_date: Option<String>,
    pub settled_date: Option<String>,
}

impl From<DisputeRecord> for DisputeView {
    fn from(d: DisputeRecord) -> Self {
        DisputeView {
            reason_text: dispute_reason_text(d.reason.as_deref()),
            dispute_id: d.dispute_id,
            payment_id: d.payment_id,
            amount: d.amount,
            fee: d.fee,
            net_amount: d.net_amount,
            status: d.status,
            reason: d.reason,
            created_date: d.created_date,
            evidence_due_date: d.evidence_due_date,
            settled_date: d.settled_date,
        }
    }
}

/// A dispute reason code in plain words, for staff who are not card-scheme experts.
pub fn dispute_reason_text(reason: Option<&str>) -> String {
    match reason.unwrap_or("") {
        "credit_not_processed" => "The cardholder says a refund was promised but not made",
        "duplicate" => "The cardholder says they were charged twice",
        "fraudulent" => "The cardholder says they did not make this payment",
        "general" => "The cardholder disputes the payment (no specific reason given)",
        "product_not_received" => "The cardholder says they did not receive what they paid for",
        "product_unacceptable" => {
            "The cardholder says what they paid for was faulty or not as described"
        }
        "subscription_canceled" | "subscription_cancelled" => {
            "The cardholder says they cancelled a recurring payment"
        }
        "unrecognized" | "unrecognised" => "The cardholder does not recognise the payment",
        "" => "No reason was given",
        _ => "Another reason (see the payment provider's dashboard)",
    }
    .to_owned()
}

/// The admin tool's words for a dispute state.
pub fn dispute_status_title(status: &str) -> String {
    match status {
        "needs_response" => "Dispute awaiting evidence",
        "under_review" => "Dispute under review",
        "lost" => "Dispute lost to user",
        "won" => "Dispute won in your favour",
        other => return format!("Dispute: {other}"),
    }
    .to_owned()
}

/// How soon a dispute needs the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Urgency {
    /// The evidence due date has passed and it still needs a response.
    Overdue,
    /// Evidence is due within 7 days.
    DueSoon,
    Later,
    /// Under review, won or lost: nothing more to send.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DisputeRow {
    pub dispute: DisputeView,
    /// The disputed payment's reference, when it is in the cache.
    pub payment_reference: Option<String>,
    /// Whole days until evidence is due (negative when overdue).
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    pub urgency: Urgency,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct DisputeQuery {
    /// `needs_response`, `under_review`, `won` or `lost`.
    #[ts(optional)]
    pub status: Option<String>,
    /// Raised on or after, milliseconds since 1970.
    #[ts(optional, type = "number")]
    pub from_ms: Option<i64>,
    /// Raised before.
    #[ts(optional, type = "number")]
    pub to_ms: Option<i64>,
}

const STATUSES: [&str; 4] = ["needs_response", "under_review", "won", "lost"];
const DAY_MS: i64 = 86_400_000;

/// Urgency and whole days left (rounded up: due in 20 hours is "1 day").
pub fn urgency(status: &str, due: Option<&str>, now_ms: i64) -> (Urgency, Option<i64>) {
    let due_ms = due.and_then(clock::api_time_ms);
    let days = due_ms
        .map(|d| (d - now_ms).div_euclid(DAY_MS) + i64::from((d - now_ms).rem_euclid(DAY_MS) > 0));
    if status != "needs_response" {
        return (Urgency::Closed, days);
    }
    let u = match due_ms {
        Some(d) if d < now_ms => Urgency::Overdue,
        Some(d) if d - now_ms <= 7 * DAY_MS => Urgency::DueSoon,
        _ => Urgency::Later,
    };
    (u, days)
}

/// "Most urgent first": disputes that still need a response and can still get
/// one (not past the evidence due date), soonest due first; then the overdue
/// ones in their own group, the most recently missed first; then the rest
/// (under review, won, lost), in the order they came (newest raised first).
pub fn most_urgent_first(rows: &mut [DisputeRow]) {
    let group = |r: &DisputeRow| match r.urgency {
        Urgency::DueSoon | Urgency::Later => 0,
        Urgency::Overdue => 1,
        Urgency::Closed => 2,
    };
    // Rows with no due date (none known yet) sort after dated ones.
    let due = |r: &DisputeRow| r.days_left.unwrap_or(i64::MAX);
    rows.sort_by(|a, b| {
        group(a).cmp(&group(b)).then_with(|| match group(a) {
            0 => due(a).cmp(&due(b)).then_with(|| {
                a.dispute
                    .evidence_due_date
                    .cmp(&b.dispute.evidence_due_date)
            }),
            1 => b
                .dispute
                .evidence_due_date
                .cmp(&a.dispute.evidence_due_date),
            _ => std::cmp::Ordering::Equal,
        })
    });
}

impl Core {
    /// The service's disputes (as last synced), most urgent first (see
    /// [`most_urgent_first`]).
    pub async fn disputes_list(
        &self,
        service_id: &str,
        q: &DisputeQuery,
    ) -> Result<Vec<DisputeRow>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ReviewDisputes)?;
        if let Some(s) = &q.status
            && !STATUSES.contains(&s.as_str())
        {
            return Err(CoreError::Validation(vec![FieldError::new(
                "status",
                "Choose a dispute status from the list",
            )]));
        }
        let filter = DisputeFilter {
            status: q.status.clone(),
            from_ms: q.from_ms,
            to_ms: q.to_ms,
        };
        let now = clock::now_ms();
        let mut rows: Vec<DisputeRow> = self
            .store()
            .disputes(&service.id, &filter)
            .await?
            .into_iter()
            .map(|(record, payment_reference)| {
                let dispute = DisputeView::from(record);
                let (urgency, days_left) =
                    urgency(&dispute.status, dispute.evidence_due_date.as_deref(), now);
                DisputeRow {
                    payment_reference,
                    dispute,
                    days_left,
                    urgency,
                }
            })
            .collect();
        most_urgent_first(&mut rows);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, status: &str, due_days: Option<i64>, now: i64) -> DisputeRow {
        let due = due_days.map(|d| {
            time::OffsetDateTime::from_unix_timestamp((now + d * DAY_MS - 3_600_000) / 1000)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        });
        let (urgency, days_left) = urgency(status, due.as_deref(), now);
        DisputeRow {
            dispute: DisputeView {
                dispute_id: id.into(),
                status: status.into(),
                evidence_due_date: due,
                ..DisputeView::default()
            },
            payment_reference: None,
            days_left,
            urgency,
        }
    }

    #[test]
    fn open_disputes_come_soonest_first_and_overdue_ones_below_them() {
        let now = 2_000 * DAY_MS;
        let mut rows = vec![
            row("won", "won", Some(3), now),
            row("overdue-long", "needs_response", Some(-9), now),
            row("later", "needs_response", Some(20), now),
            row("overdue-just", "needs_response", Some(-1), now),
            row("undated", "needs_response", None, now),
            row("soon", "needs_response", Some(2), now),
            row("review", "under_review", Some(-3), now),
        ];
        most_urgent_first(&mut rows);
        let order: Vec<&str> = rows.iter().map(|r| r.dispute.dispute_id.as_str()).collect();
        assert_eq!(
            order,
            [
                "soon",
                "later",
                "undated",
                "overdue-just",
                "overdue-long",
                "won",
                "review"
            ]
        );
        assert_eq!(rows[3].urgency, Urgency::Overdue);
    }

    #[test]
    fn urgency_counts_whole_days_and_flags_the_week() {
        let now = 1_000 * DAY_MS;
        let at = |ms: i64| {
            time::OffsetDateTime::from_unix_timestamp(ms / 1000)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        assert_eq!(
            urgency("needs_response", Some(&at(now + DAY_MS)), now),
            (Urgency::DueSoon, Some(1))
        );
        assert_eq!(
            urgency("needs_response", Some(&at(now + 20 * 3_600_000)), now),
            (Urgency::DueSoon, Some(1))
        );
        assert_eq!(
            urgency("needs_response", Some(&at(now - DAY_MS)), now),
            (Urgency::Overdue, Some(-1))
        );
        assert_eq!(
            urgency("needs_response", Some(&at(now + 30 * DAY_MS)), now).0,
            Urgency::Later
        );
        assert_eq!(
            urgency("won", Some(&at(now + DAY_MS)), now).0,
            Urgency::Closed
        );
    }

    #[test]
    fn dispute_reasons_read_as_plain_words() {
        assert_eq!(
            dispute_reason_text(Some("fraudulent")),
            "The cardholder says they did not make this payment"
        );
        assert_eq!(dispute_reason_text(None), "No reason was given");
        assert!(dispute_reason_text(Some("new_code")).starts_with("Another reason"));
    }

    #[test]
    fn dispute_titles_follow_the_admin_tool() {
        assert_eq!(dispute_status_title("lost"), "Dispute lost to user");
        assert_eq!(dispute_status_title("odd"), "Dispute: odd");
    }
}
