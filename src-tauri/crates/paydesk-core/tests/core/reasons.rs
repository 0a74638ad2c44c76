//! Every refund from Paydesk says why: the reason goes with it to the
//! payment's timeline, Activity, the dashboard and the finance export, and
//! is sealed in the record with the refund's rows.

use paydesk_core::dashboard::DashboardQuery;
use paydesk_core::money::reason::{RefundReason, RefundWhy};

use crate::common::*;

fn reason(code: &str, note: &str) -> RefundWhy {
    RefundWhy::parse(code, note).unwrap()
}

#[tokio::test]
async fn a_refunds_reason_is_shown_wherever_the_refund_is() {
    let s = setup(Role::Supervisor, |_| {}).await;
    s.core.set_operator("Asha Supervisor").await.unwrap();
    let a = paid(&s, 1_000).await;
    let b = paid(&s, 2_000).await;
    let c = paid(&s, 3_000).await;
    let duplicate = reason("duplicate_payment", "also paid by cheque ref 881");
    s.core
        .refund(&s.service, &a, 1_000, 1_000, &duplicate)
        .await
        .unwrap();
    // The answer to this one is lost: it is found by reading GOV.UK Pay, and
    // the row that says so carries the reason too.
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let found = s
        .core
        .refund(&s.service, &b, 500, 2_000, &reason("goodwill", ""))
        .await
        .unwrap();
    assert!(found.reconciled, "{found:?}");
    s.sim.control().clear_faults();
    // Made in the admin tool: no reason is known, and none is made up.
    s.sim.control().refund_elsewhere(&c, 300).unwrap();

    // The payment page: the refunds list and the timeline.
    let page = s.core.payment_detail(&s.service, &a).await.unwrap();
    assert_eq!(page.refunds.len(), 1);
    assert_eq!(
        page.refunds[0].reason.as_deref(),
        Some("Duplicate payment: also paid by cheque ref 881")
    );
    assert_eq!(
        page.refunds[0].refunded_by.as_deref(),
        Some("Asha Supervisor")
    );
    let line = page
        .timeline
        .iter()
        .find(|t| t.title.starts_with("Refund"))
        .unwrap();
    let detail = line.detail.as_deref().unwrap();
    assert!(
        detail.starts_with(
            "Duplicate payment: also paid by cheque ref 881. Refunded by Asha Supervisor."
        ),
        "{detail}"
    );
    let page = s.core.payment_detail(&s.service, &b).await.unwrap();
    assert_eq!(page.refunds[0].reason.as_deref(), Some("Goodwill"));
    let page = s.core.payment_detail(&s.service, &c).await.unwrap();
    assert_eq!(page.refunds[0].reason, None);
    assert_eq!(page.refunds[0].refunded_by, None);
    let line = page
        .timeline
        .iter()
        .find(|t| t.title.starts_with("Refund"))
        .unwrap();
    assert!(
        line.detail
            .as_deref()
            .unwrap()
            .contains("no reason is recorded"),
        "{line:?}"
    );

    // Activity: every row of the refund names the reason; the one found
    // after a lost answer too.
    for (pid, code, note) in [
        (&a, "duplicate_payment", Some("also paid by cheque ref 881")),
        (&b, "goodwill", None),
    ] {
        let trail = trail_of(&s.core, pid).await;
        assert!(trail.len() >= 2, "{trail:?}");
        for row in &trail {
            assert_eq!(row.reason.as_deref(), Some(code), "{row:?}");
            assert_eq!(row.reason_note.as_deref(), note, "{row:?}");
        }
    }

    // The dashboard's week, by reason, largest first.
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let now = paydesk_core::clock::now_ms();
    let d = s
        .core
        .dashboard(
            &s.service,
            &DashboardQuery {
                today_from_ms: now - 3_600_000,
                week_from_ms: now - 86_400_000,
                to_ms: now + 60_000,
            },
        )
        .await
        .unwrap();
    let by: Vec<_> = d
        .refunds_by_reason
        .iter()
        .map(|r| (r.reason, r.label.as_str(), r.refunds.count, r.refunds.value))
        .collect();
    assert_eq!(
        by,
        [
            (
                Some(RefundReason::DuplicatePayment),
                "Duplicate payment",
                1,
                1_000
            ),
            (Some(RefundReason::Goodwill), "Goodwill", 1, 500),
            (None, "No reason recorded", 1, 300),
        ]
    );

    // The finance export: two columns, filled for refunds made here.
    let mut out = Vec::new();
    s.core
        .export_csv(&s.service, 0, i64::MAX, &mut out, &|_| {})
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let reason_at = header.iter().position(|h| *h == "Refund Reason").unwrap();
    assert_eq!(header[reason_at + 1], "Refund Note");
    let id_at = header
        .iter()
        .position(|h| *h == "GOV.UK Payment ID")
        .unwrap();
    let state_at = header.iter().position(|h| *h == "State").unwrap();
    let mut seen = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let refund = cells[state_at].starts_with("Refund");
        let why = (cells[reason_at], cells[reason_at + 1]);
        if !refund {
            assert_eq!(why, ("", ""), "payments have no reason: {line}");
            continue;
        }
        let pid = cells[id_at];
        seen.push(pid.to_owned());
        let expected = if pid == a {
            ("Duplicate payment", "also paid by cheque ref 881")
        } else if pid == b {
            ("Goodwill", "")
        } else {
            ("", "")
        };
        assert_eq!(why, expected, "{line}");
    }
    seen.sort();
    let mut all = vec![a.clone(), b.clone(), c.clone()];
    all.sort();
    assert_eq!(seen, all);
}

/// The reason is part of what the record seals: changed afterwards, by
/// someone with the database, it shows.
#[tokio::test]
async fn a_reason_changed_behind_paydesks_back_breaks_the_record() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1_000).await;
    s.core
        .refund(
            &s.service,
            &pid,
            100,
            1_000,
            &reason("staff_error", "keyed £10 not £1"),
        )
        .await
        .unwrap();
    assert!(s.core.audit_verify().await.unwrap().intact);
    let first = trail_of(&s.core, &pid).await.last().unwrap().seq;
    tamper(&s, Tamper::AuditGuardsOff).await.unwrap();
    tamper(&s, Tamper::AuditReason("goodwill".into()))
        .await
        .unwrap();
    let checked = s.core.audit_verify().await.unwrap();
    assert!(!checked.intact, "{checked:?}");
    assert_eq!(checked.broken_at, Some(first), "{checked:?}");
}

/// A single desktop has nobody to approve a refund: approvals are not
/// offered, and it says why; refunds are sent when confirmed, with reasons.
#[tokio::test]
async fn approvals_are_not_offered_without_a_team() {
    use paydesk_core::approvals::ApprovalRulesInput;
    let s = setup(Role::Supervisor, |_| {}).await;
    let settings = s.core.approval_settings(&s.service).await.unwrap();
    assert!(!settings.offered && !settings.can_set, "{settings:?}");
    assert!(
        settings
            .why_not
            .as_deref()
            .is_some_and(|w| w.contains("need a second person") && w.contains("team database")),
        "{settings:?}"
    );
    let refused = s
        .core
        .approval_rules_set(
            &s.service,
            &ApprovalRulesInput {
                above: "1.00".into(),
                ..ApprovalRulesInput::default()
            },
        )
        .await;
    assert!(
        matches!(&refused, Err(CoreError::Conflict { message, .. }) if message.contains("team database")),
        "{refused:?}"
    );
    for listed in [
        s.core.approvals_waiting(&s.service).await.err(),
        s.core.refund_requests_mine(&s.service).await.err(),
    ] {
        assert!(
            matches!(&listed, Some(CoreError::Conflict { .. })),
            "{listed:?}"
        );
    }
    let pid = paid(&s, 5_000).await;
    let done = s
        .core
        .refund(&s.service, &pid, 5_000, 5_000, &reason("goodwill", ""))
        .await
        .unwrap();
    assert_eq!(done.status, "success");
    assert!(done.request.is_none());
    assert!(
        s.core
            .payment_detail(&s.service, &pid)
            .await
            .unwrap()
            .requests
            .is_empty()
    );
}
