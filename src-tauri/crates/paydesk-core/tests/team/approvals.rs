//! Refund controls on a team's database: the approval rules, requests, and
//! a second person's approval that the database holds to, whatever a
//! desktop sends.

use paydesk_core::approvals::{ApprovalRulesInput, RequestStatus};
use paydesk_core::money::reason::RefundWhy;

use crate::common::*;
use crate::team::{PASSWORD, Team, team, team_with};

fn rules(above: &str, days: &str, own_telephone: bool) -> ApprovalRulesInput {
    ApprovalRulesInput {
        above: above.into(),
        older_than_days: days.into(),
        own_telephone,
    }
}

fn duplicate() -> RefundWhy {
    RefundWhy::parse("duplicate_payment", "paid online and by phone").unwrap()
}

async fn paid_on(t: &Team, amount: i64) -> String {
    t.sim
        .web_payment(amount, "PK-APPROVE", false, Some("4444333322221111"))
        .await
        .unwrap()
}

/// The audit rows of one payment, oldest first, as (who, action, phase).
async fn steps(core: &Core, pid: &str) -> Vec<(String, String, Phase)> {
    let mut rows = trail_of(core, pid).await;
    rows.reverse();
    rows.into_iter()
        .map(|r| (r.operator, r.action, r.phase))
        .collect()
}

#[tokio::test]
async fn a_refund_over_the_limit_waits_for_another_persons_approval_and_is_sent_once() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    // A caseworker cannot set the rules; a supervisor can, and it is recorded.
    let refused = sam
        .approval_rules_set(&t.service, &rules("10.00", "", false))
        .await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    let bad = ali
        .approval_rules_set(&t.service, &rules("1,00", "0", false))
        .await;
    assert!(
        matches!(&bad, Err(CoreError::Validation(f)) if f.len() == 2 && f[0].field == "above" && f[1].field == "olderThanDays"),
        "{bad:?}"
    );
    let settings = ali
        .approval_rules_set(&t.service, &rules("10.00", "", false))
        .await
        .unwrap();
    assert!(settings.offered && settings.can_set, "{settings:?}");
    assert_eq!(settings.summary, ["Refunds of more than £10.00"]);
    assert_eq!(settings.set_by.as_deref(), Some("Ali Khan"));
    let seen_by_sam = sam.approval_settings(&t.service).await.unwrap();
    assert_eq!(seen_by_sam.rules, settings.rules);
    assert!(!seen_by_sam.can_set);

    // Within the limit: sent at once.
    let small = paid_on(&t, 3_000).await;
    let done = sam
        .refund(&t.service, &small, 1_000, 3_000, &duplicate())
        .await
        .unwrap();
    assert_eq!(done.status, "success");
    assert!(done.request.is_none());
    // Split in parts, the refunds are counted together: £10 + £5 is over £10.
    let split = sam
        .refund(&t.service, &small, 500, 2_000, &duplicate())
        .await
        .unwrap();
    assert_eq!(
        split.request.as_ref().map(|r| r.needs.as_str()),
        Some("refunds of more than £10.00 in all need approval (£10.00 refunded already)")
    );
    assert_eq!(t.sim.control().payment(&small).unwrap().refunds, 1);

    // Over it: a request, and nothing sent.
    let big = paid_on(&t, 5_000).await;
    let asked = sam
        .refund(&t.service, &big, 2_500, 5_000, &duplicate())
        .await
        .unwrap();
    assert_eq!(asked.status, "awaiting_approval");
    assert_eq!(asked.refund_id, None);
    let request = asked.request.expect("the request made");
    assert_eq!(request.needs, "refunds of more than £10.00 need approval");
    assert_eq!(request.status, RequestStatus::Waiting);
    assert_eq!(request.requester, "Sam Patel");
    assert_eq!(t.sim.control().payment(&big).unwrap().refunds, 0);
    // Five working days to decide, by the server's clock.
    let expected: String =
        t.db.psql(&format!(
            "SELECT add_working_days(asked_at, 5) = expires_at FROM refund_requests WHERE id = {}",
            request.id
        ))
        .unwrap();
    assert_eq!(expected, "t");
    // A second refund of the same payment waits behind the first.
    let again = sam
        .refund(&t.service, &big, 100, 5_000, &duplicate())
        .await
        .unwrap_err();
    assert!(
        matches!(&again, CoreError::Conflict { message, .. } if message.contains("waiting for approval")),
        "{again:?}"
    );
    let page = sam.payment_detail(&t.service, &big).await.unwrap();
    assert!(
        page.refund_blocked
            .as_deref()
            .is_some_and(|b| b.contains("asked for by Sam Patel is waiting")),
        "{:?}",
        page.refund_blocked
    );
    assert_eq!(page.requests.len(), 1);

    // The one who asked sees it in their list, and cannot decide it.
    let mine = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].id, request.id, "newest first");
    assert!(mine[0].mine && !mine[0].can_decide);
    let not_theirs = sam.refund_request_approve(request.id).await.unwrap_err();
    assert!(
        matches!(not_theirs, CoreError::Forbidden(_)),
        "{not_theirs:?}"
    );

    // The supervisor's queue: the request, its age, the citizen's refunds.
    let queue = ali.approvals_waiting(&t.service).await.unwrap();
    assert_eq!(queue.len(), 2);
    assert_eq!(queue[1].request.id, request.id, "oldest first");
    assert!(queue[1].request.can_decide);
    assert_eq!(queue[1].age_hours, 0);
    // The citizen's refunds of the split payment: the £10 made.
    assert_eq!(queue[0].citizen_refunds.len(), 1);
    assert_eq!(queue[0].citizen_refunds[0].amount, 1_000);
    let done = ali.refund_request_approve(request.id).await.unwrap();
    assert_eq!(done.status, "success");
    assert_eq!(done.amount, 2_500);
    assert_eq!(done.available_after, 2_500);
    assert_eq!(t.sim.control().payment(&big).unwrap().refunds, 1);
    // Decided once: a second approval sends nothing.
    let twice = ali.refund_request_approve(request.id).await.unwrap_err();
    assert!(matches!(twice, CoreError::Conflict { .. }), "{twice:?}");
    assert_eq!(t.sim.control().payment(&big).unwrap().refunds, 1);
    assert_eq!(ali.approvals_waiting(&t.service).await.unwrap().len(), 1);

    // Sam sees it approved and made, and both names are on the payment.
    let mine = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine[0].status, RequestStatus::Sent);
    assert_eq!(mine[0].status_text, "Approved by Ali Khan and refunded");
    assert!(mine[0].refund_id.is_some());
    assert_eq!(mine[1].status, RequestStatus::Waiting);
    let page = sam.payment_detail(&t.service, &big).await.unwrap();
    assert_eq!(page.refund_blocked, None);
    let made = page
        .timeline
        .iter()
        .find(|e| e.title == "Refund successful")
        .unwrap();
    assert!(
        made.detail.as_deref().unwrap().contains(
            "Duplicate payment: paid online and by phone. Asked for by Sam Patel, approved and refunded by Ali Khan."
        ),
        "{made:?}"
    );
    assert_eq!(
        steps(&sam, &big).await,
        [
            (
                "Sam Patel".into(),
                "refund_request".into(),
                Phase::Succeeded
            ),
            ("Ali Khan".into(), "refund".into(), Phase::Attempt),
            ("Ali Khan".into(), "refund".into(), Phase::Succeeded),
        ]
    );
    assert!(ali.audit_verify().await.unwrap().intact);
}

#[tokio::test]
async fn old_payments_and_ones_own_telephone_payments_need_approval() {
    let mut t = team_with(|c| *c = std::mem::take(c).with_history(60, 7, 10)).await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    let jo = t.desktop(&t.jo.clone()).await;
    ali.approval_rules_set(&t.service, &rules("", "3", true))
        .await
        .unwrap();
    // A payment of the seeded history made more than 3 days ago.
    let now = paydesk_core::clock::now_ms();
    let old = every_payment_of(&t)
        .await
        .into_iter()
        .find(|p| {
            p.refund_summary.as_ref().is_some_and(|s| {
                s.status == govpay::RefundAvailability::Available && s.amount_available > 100
            }) && p
                .created_date
                .as_deref()
                .and_then(paydesk_core::clock::api_time_ms)
                .is_some_and(|at| now - at > 4 * 86_400_000)
        })
        .expect("an old payment that can be refunded");
    let available = old.refund_summary.unwrap().amount_available;
    let refunds_before = t
        .sim
        .control()
        .payment(old.payment_id.as_str())
        .unwrap()
        .refunds;
    let asked = sam
        .refund(
            &t.service,
            old.payment_id.as_str(),
            100,
            available,
            &duplicate(),
        )
        .await
        .unwrap();
    let request = asked.request.expect("caught by the age rule");
    assert_eq!(request.needs, "the payment was made more than 3 days ago");
    // A new payment is not caught.
    let new = paid_on(&t, 2_000).await;
    let done = sam
        .refund(&t.service, &new, 100, 2_000, &duplicate())
        .await
        .unwrap();
    assert_eq!(done.status, "success");

    // Ali takes a telephone payment, then refunds it: caught. Sam refunding
    // one Ali took is not.
    let taken = |reference: &'static str, amount: i64| {
        let ali = ali.clone();
        let service = t.service.clone();
        async move {
            let started = ali
                .telephone_start(&service, &phone(amount, reference))
                .await
                .unwrap();
            ali.telephone_authorise(
                &service,
                &started.payment_id,
                MotoCard::new("4444333322221111", "12/39", "737", "Sam Citizen"),
                false,
            )
            .await
            .unwrap()
            .payment_id
            .unwrap()
        }
    };
    // GOV.UK Pay queues a telephone payment's capture for a moment, and a
    // refund waits for it (the story says so): let the queue move.
    let captured = || t.sim.control().advance_clock(Duration::from_secs(3));
    let own = taken("TEL-OWN", 4_000).await;
    captured();
    let asked = ali
        .refund(&t.service, &own, 4_000, 4_000, &duplicate())
        .await
        .unwrap();
    let own_request = asked.request.expect("caught by the telephone rule");
    assert_eq!(
        own_request.needs,
        "you took this telephone payment yourself"
    );
    // (Another amount: the same one again soon after would be questioned as
    // a duplicate telephone payment.)
    let other = taken("TEL-OTHER", 4_100).await;
    captured();
    let done = sam
        .refund(&t.service, &other, 4_100, 4_100, &duplicate())
        .await
        .unwrap();
    assert_eq!(done.status, "success");

    // Ali cannot approve Ali's own request; Jo can.
    let refused = ali
        .refund_request_approve(own_request.id)
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::Forbidden(_)), "{refused:?}");
    assert_eq!(t.sim.control().payment(&own).unwrap().refunds, 0);
    // Jo rejects the old one, saying why; nothing is sent.
    let blank = jo.refund_request_reject(request.id, " ").await.unwrap_err();
    assert!(
        matches!(&blank, CoreError::Validation(f) if f[0].field == "decisionNote"),
        "{blank:?}"
    );
    let rejected = jo
        .refund_request_reject(request.id, "Refunded by cheque in 2025")
        .await
        .unwrap();
    assert_eq!(rejected.status, RequestStatus::Rejected);
    assert_eq!(
        rejected.status_text,
        "Rejected by Jo Evans: Refunded by cheque in 2025"
    );
    assert_eq!(
        t.sim
            .control()
            .payment(old.payment_id.as_str())
            .unwrap()
            .refunds,
        refunds_before,
        "nothing was sent"
    );
    jo.refund_request_approve(own_request.id).await.unwrap();
    assert_eq!(t.sim.control().payment(&own).unwrap().refunds, 1);
    let mine = ali.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine[0].status, RequestStatus::Sent);
    // Sam's list shows the rejection with its reason.
    let sams = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(
        sams[0].decision_note.as_deref(),
        Some("Refunded by cheque in 2025")
    );
}

async fn every_payment_of(t: &Team) -> Vec<govpay::models::Payment> {
    t.sim
        .client()
        .unwrap()
        .payments()
        .search_all(&govpay::search::PaymentSearch::default())
        .collect_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_database_refuses_an_approval_by_the_one_who_asked_even_around_paydesk() {
    let mut t = team().await;
    let ali = t.desktop(&t.ali.clone()).await;
    ali.approval_rules_set(&t.service, &rules("0.00", "", false))
        .await
        .unwrap();
    let pid = paid_on(&t, 1_000).await;
    let request = ali
        .refund(&t.service, &pid, 500, 1_000, &duplicate())
        .await
        .unwrap()
        .request
        .unwrap();
    let as_ali = |sql: &str| t.db.psql_as(&t.ali, PASSWORD, sql);
    let as_sam = |sql: &str| t.db.psql_as(&t.sam, PASSWORD, sql);
    // Ali, a supervisor, approves Ali's own request with a database tool,
    // even writing a refund attempt of Ali's own first, as Paydesk would.
    let service = &t.service;
    let own = as_ali(&format!(
        "BEGIN;
         INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase,
             payment_id, amount, detail, prev_hash, hash)
           SELECT seq + 1, '2026-12-06T10:00:00Z', 'Ali Khan', '{service}', 'Parking', 'refund',
             'attempt', '{pid}', 500, '', hash, 'forged' FROM audit_log ORDER BY seq DESC LIMIT 1;
         UPDATE refund_requests SET state = 'approved', decider_login = current_user,
             decider = 'Ali Khan', attempt_seq = (SELECT max(seq) FROM audit_log) WHERE id = {};
         COMMIT;",
        request.id
    ));
    assert!(
        own.as_ref()
            .is_err_and(|e| e.contains("approver_is_not_requester")),
        "{own:?}"
    );
    // Another supervisor marks it approved with no refund attempt of their
    // own (naming an older row of the record): refused, so nothing shows as
    // made that was not.
    let as_jo = |sql: &str| t.db.psql_as(&t.jo, PASSWORD, sql);
    let forged = as_jo(&format!(
        "UPDATE refund_requests SET state = 'approved', decider_login = current_user,
            decider = 'Jo Evans', attempt_seq = 1 WHERE id = {}",
        request.id
    ));
    assert!(
        forged.as_ref().is_err_and(|e| e.contains("its own refund")),
        "{forged:?}"
    );
    // A request (of another payment) inserted already approved by its own requester.
    let other = paid_on(&t, 1_000).await;
    let inserted = as_sam(&format!(
        "INSERT INTO refund_requests (service_id, payment_id, reference, amount, available, reason,
            needs, requester, state, decider_login, decider, decided_at, attempt_seq)
         VALUES ('{service}', '{other}', 'PK', 100, 1000, 'goodwill', 'none', 'Sam Patel',
            'approved', current_user, 'Sam Patel', now(), 1)"
    ));
    assert!(
        inserted.as_ref().is_err_and(
            |e| e.contains("row-level security") || e.contains("approver_is_not_requester")
        ),
        "{inserted:?}"
    );
    // Even inserted waiting, then decided by its own requester.
    let waiting = as_sam(&format!(
        "INSERT INTO refund_requests (service_id, payment_id, reference, amount, available, reason,
            needs, requester) VALUES ('{service}', '{other}', 'PK', 100, 1000, 'goodwill', 'none', 'Sam Patel')
         RETURNING id"
    ))
    .unwrap();
    let waiting = waiting.lines().next().unwrap().to_owned();
    let _ = as_sam(&format!(
        "UPDATE refund_requests SET state = 'rejected', decider_login = current_user,
            decider = 'Sam Patel', decision_note = 'mine' WHERE id = {waiting}"
    ));
    assert_eq!(
        t.db.psql(&format!(
            "SELECT state FROM refund_requests WHERE id = {waiting}"
        ))
        .unwrap(),
        "waiting",
        "a caseworker decided a request"
    );
    // Someone else's name on a request, a request no longer as asked, a
    // request removed: all refused.
    let someone_else = as_sam(&format!(
        "INSERT INTO refund_requests (service_id, payment_id, reference, amount, available, reason,
            needs, requester) VALUES ('{service}', '{pid}', 'PK', 100, 1000, 'goodwill', 'none', 'Ali Khan')"
    ));
    assert!(
        someone_else
            .as_ref()
            .is_err_and(|e| e.contains("row-level security")),
        "{someone_else:?}"
    );
    for sql in [
        format!(
            "UPDATE refund_requests SET amount = 1 WHERE id = {}",
            request.id
        ),
        format!("DELETE FROM refund_requests WHERE id = {}", request.id),
    ] {
        let out = as_ali(&sql);
        assert!(out.is_err(), "{sql}: {out:?}");
    }
    assert_eq!(
        t.db.psql(&format!(
            "SELECT state || ' ' || amount FROM refund_requests WHERE id = {}",
            request.id
        ))
        .unwrap(),
        "waiting 500"
    );
    assert_eq!(t.sim.control().payment(&pid).unwrap().refunds, 0);
    // A caseworker cannot set the rules around Paydesk either.
    let _ = as_sam(&format!(
        "UPDATE approval_rules SET above_pence = NULL WHERE service_id = '{service}'"
    ));
    assert_eq!(
        t.db.psql(&format!(
            "SELECT above_pence FROM approval_rules WHERE service_id = '{service}'"
        ))
        .unwrap(),
        "0"
    );
}

#[tokio::test]
async fn an_approval_after_the_amount_changed_sends_nothing_and_returns_the_request() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    ali.approval_rules_set(&t.service, &rules("10.00", "", false))
        .await
        .unwrap();
    let pid = paid_on(&t, 3_000).await;
    let request = sam
        .refund(&t.service, &pid, 2_000, 3_000, &duplicate())
        .await
        .unwrap()
        .request
        .unwrap();
    // Meanwhile someone refunds £5 in the admin tool.
    t.sim.control().refund_elsewhere(&pid, 500).unwrap();
    let err = ali.refund_request_approve(request.id).await.unwrap_err();
    match &err {
        CoreError::Conflict { message, .. } => {
            assert!(message.starts_with("Nothing was refunded"), "{message}");
            assert!(
                message.contains("changed from £30.00 to £25.00"),
                "{message}"
            );
            assert!(message.contains("gone back to Sam Patel"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.sim.control().payment(&pid).unwrap().refunds,
        1,
        "only the admin tool's"
    );
    let mine = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine[0].status, RequestStatus::Returned);
    assert!(
        mine[0]
            .status_text
            .starts_with("Returned by Ali Khan: the amount that can be refunded changed"),
        "{}",
        mine[0].status_text
    );
    // The payment is free to be refunded (or asked for) again.
    let again = sam
        .refund(&t.service, &pid, 2_000, 2_500, &duplicate())
        .await
        .unwrap();
    assert_eq!(again.status, "awaiting_approval");
}

#[tokio::test]
async fn two_supervisors_approving_at_once_make_one_refund() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    let jo = t.desktop(&t.jo.clone()).await;
    ali.approval_rules_set(&t.service, &rules("10.00", "", false))
        .await
        .unwrap();
    let pid = paid_on(&t, 6_000).await;
    let request = sam
        .refund(&t.service, &pid, 6_000, 6_000, &duplicate())
        .await
        .unwrap()
        .request
        .unwrap();
    let (a, b) = tokio::join!(
        ali.refund_request_approve(request.id),
        jo.refund_request_approve(request.id)
    );
    let (made, refused) = match (a, b) {
        (Ok(made), Err(refused)) | (Err(refused), Ok(made)) => (made, refused),
        other => panic!("expected one refund and one refusal, got {other:?}"),
    };
    assert_eq!(made.status, "success");
    assert!(
        matches!(&refused, CoreError::Conflict { message, .. } if message.contains("no longer waiting")),
        "{refused:?}"
    );
    assert_eq!(t.sim.control().payment(&pid).unwrap().refunds, 1);
    let attempts = trail_of(&sam, &pid)
        .await
        .into_iter()
        .filter(|r| r.action == "refund" && r.phase == Phase::Attempt)
        .count();
    assert_eq!(attempts, 1, "one attempt in the record");
}

#[tokio::test]
async fn a_request_nobody_decides_expires_after_five_working_days() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    // Working days, in UK time: Monday to Monday, Friday to Friday, a
    // Saturday to the Friday after.
    let days = t
        .db
        .psql(
            "SELECT string_agg(to_char(add_working_days(d::timestamptz, 5) AT TIME ZONE 'Europe/London', 'Dy DD'), ' ' ORDER BY d)
             FROM unnest(ARRAY['2026-12-07 10:00+00', '2026-12-11 10:00+00', '2026-12-12 10:00+00']) d",
        )
        .unwrap();
    assert_eq!(days, "Mon 14 Fri 18 Fri 18");
    ali.approval_rules_set(&t.service, &rules("1.00", "", false))
        .await
        .unwrap();
    let pid = paid_on(&t, 1_000).await;
    let request = sam
        .refund(&t.service, &pid, 500, 1_000, &duplicate())
        .await
        .unwrap()
        .request
        .unwrap();
    // Five working days pass (the administrator moves the expiry back).
    t.db.psql(&format!(
        "BEGIN;
         ALTER TABLE refund_requests DISABLE TRIGGER refund_requests_guard;
         UPDATE refund_requests SET expires_at = now() - interval '1 minute' WHERE id = {};
         ALTER TABLE refund_requests ENABLE TRIGGER refund_requests_guard;
         COMMIT;",
        request.id
    ))
    .unwrap();
    let refused = ali.refund_request_approve(request.id).await.unwrap_err();
    assert!(
        matches!(&refused, CoreError::Conflict { message, .. } if message.contains("expired")),
        "{refused:?}"
    );
    let mine = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine[0].status, RequestStatus::Expired);
    assert!(ali.approvals_waiting(&t.service).await.unwrap().is_empty());
    // Recorded once, by whoever noticed first.
    let expiries = trail_of(&sam, &pid)
        .await
        .into_iter()
        .filter(|r| r.action == "refund_expire")
        .count();
    assert_eq!(expiries, 1);
    assert_eq!(
        t.db.psql(&format!(
            "SELECT state FROM refund_requests WHERE id = {}",
            request.id
        ))
        .unwrap(),
        "expired"
    );
    assert_eq!(t.sim.control().payment(&pid).unwrap().refunds, 0);
}

/// GOV.UK Pay's own guard after an approval: a refund made elsewhere while
/// the approved one travels is refused (P0604). The approval is spent, the
/// request shows as not made, and the one who asked can ask again.
#[tokio::test]
async fn an_approved_refund_gov_uk_pay_refuses_closes_the_request_as_not_made() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    ali.approval_rules_set(&t.service, &rules("10.00", "", false))
        .await
        .unwrap();
    let pid = paid_on(&t, 3_000).await;
    let request = sam
        .refund(&t.service, &pid, 2_000, 3_000, &duplicate())
        .await
        .unwrap()
        .request
        .unwrap();
    t.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        latency_ms: 800,
        ..Fault::default()
    }]);
    let control = t.sim.control();
    let id = pid.clone();
    // After the approver's fresh read, before the refund is handled.
    let elsewhere = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        control.refund_elsewhere(&id, 500).unwrap();
    });
    let err = ali.refund_request_approve(request.id).await.unwrap_err();
    elsewhere.await.unwrap();
    t.sim.control().clear_faults();
    match &err {
        CoreError::Conflict {
            message,
            pay_code: Some(govpay::PayCode::P0604),
        } => assert!(
            message.contains("The request is closed; Sam Patel can check the new figures"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.sim.control().payment(&pid).unwrap().refunds,
        1,
        "only the one made elsewhere"
    );
    let mine = sam.refund_requests_mine(&t.service).await.unwrap();
    assert_eq!(mine[0].status, RequestStatus::Refused);
    // Nothing waits now: the payment can be asked for again.
    let again = sam
        .refund(&t.service, &pid, 2_000, 2_500, &duplicate())
        .await
        .unwrap();
    assert_eq!(again.status, "awaiting_approval");
}

#[tokio::test]
async fn approval_rules_the_organisation_sets_win_and_cannot_be_changed_here() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    // The service's own rule says £100; the organisation's policy says £10.
    ali.approval_rules_set(&t.service, &rules("100.00", "", false))
        .await
        .unwrap();
    let policy = paydesk_core::policy::Policy::parse(
        std::path::Path::new("/etc/paydesk/policy.toml"),
        "[refunds]\napproval_above = \"10.00\"\n",
    );
    sam.set_policy(policy.clone());
    ali.set_policy(policy);
    let settings = ali.approval_settings(&t.service).await.unwrap();
    assert!(
        settings.by_organisation && !settings.can_set,
        "{settings:?}"
    );
    assert_eq!(settings.summary, ["Refunds of more than £10.00"]);
    let refused = ali
        .approval_rules_set(&t.service, &rules("50.00", "", false))
        .await;
    assert!(
        matches!(&refused, Err(CoreError::Forbidden(m)) if m.contains("organisation")),
        "{refused:?}"
    );
    let payment = paid_on(&t, 5_000).await;
    let asked = sam
        .refund(&t.service, &payment, 2_000, 5_000, &duplicate())
        .await
        .unwrap();
    assert_eq!(
        asked.request.map(|r| r.needs),
        Some("refunds of more than £10.00 need approval".to_owned())
    );
    assert_eq!(t.sim.control().payment(&payment).unwrap().refunds, 0);
}
