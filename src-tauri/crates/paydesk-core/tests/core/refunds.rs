//! Refunds, cancels and captures: checked before sending, sent once.

use crate::common::*;

#[tokio::test]
async fn two_refunds_of_the_same_payment_at_once_make_exactly_one() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    let (a, b) = tokio::join!(
        s.core.refund(&s.service, &pid, 400, 1000, why()),
        s.core.refund(&s.service, &pid, 400, 1000, why())
    );
    let (ok, err) = match (a, b) {
        (Ok(ok), Err(err)) | (Err(err), Ok(ok)) => (ok, err),
        other => panic!("expected one refund and one refusal, got {other:?}"),
    };
    assert_eq!(ok.available_after, 600);
    // The second waited its turn, saw the new figures and sent nothing.
    assert!(
        matches!(&err, CoreError::Conflict { pay_code: None, message } if message.contains("before sending")),
        "{err:?}"
    );
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1);
}

/// The guard GOV.UK Pay keeps for Paydesk: the amount available it read is
/// sent with the refund, so a refund made elsewhere after that read (and
/// before the request arrives) makes GOV.UK Pay refuse this one. Without
/// `refund_amount_available` in the request, this test makes two refunds.
#[tokio::test]
async fn a_refund_made_elsewhere_while_this_one_travels_is_refused_by_gov_uk_pay() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        latency_ms: 800,
        ..Fault::default()
    }]);
    let control = s.sim.control();
    let id = pid.clone();
    // After Paydesk's read of the figures, before its request is handled.
    let elsewhere = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        control.refund_elsewhere(&id, 300).unwrap();
    });
    let err = s
        .core
        .refund(&s.service, &pid, 400, 1000, why())
        .await
        .unwrap_err();
    elsewhere.await.unwrap();
    assert!(
        matches!(
            err,
            CoreError::Conflict {
                pay_code: Some(govpay::PayCode::P0604),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        s.sim.control().payment(&pid).unwrap().refunds,
        1,
        "only the refund made elsewhere"
    );
}

#[tokio::test]
async fn a_refund_whose_connection_drops_is_reconciled_not_repeated() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let done = s
        .core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap();
    assert!(done.reconciled);
    assert_eq!(done.available_after, 750);
    assert_eq!(
        s.sim.control().payment(&pid).unwrap().refunds,
        1,
        "not sent twice"
    );
    let trail = trail_of(&s.core, &pid).await;
    let phases: Vec<Phase> = trail.iter().rev().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Attempt, Phase::Unknown, Phase::Reconciled]);
    assert!(
        trail[0].detail.starts_with("the refund was made"),
        "{}",
        trail[0].detail
    );
    assert_eq!(
        trail[0].target_id, done.refund_id,
        "this attempt's own refund"
    );
}

#[tokio::test]
async fn a_refund_made_elsewhere_is_caught_before_anything_is_sent() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.sim.control().refund_elsewhere(&pid, 300).unwrap();
    let err = s
        .core
        .refund(&s.service, &pid, 500, 1000, why())
        .await
        .unwrap_err();
    match err {
        CoreError::Conflict { message, pay_code } => {
            // Paydesk refused first: no GOV.UK Pay code, as GOV.UK Pay said nothing.
            assert_eq!(pay_code, None);
            assert!(message.contains("£7.00 can now be refunded"), "{message}");
            assert!(message.contains("before sending"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1);
    // The refusal is on the record, with why, and nothing after it.
    let trail = trail_of(&s.core, &pid).await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0].phase, Phase::NotSent);
    assert_eq!(trail[0].operator, "Sam Tester");
    assert!(
        trail[0].detail.contains("changed from £10.00 to £7.00"),
        "{}",
        trail[0].detail
    );
    // A payment GOV.UK Pay will not refund at all is refused and recorded too.
    let other = paid(&s, 400).await;
    s.core
        .refund(&s.service, &other, 400, 400, why())
        .await
        .unwrap();
    let err = s
        .core
        .refund(&s.service, &other, 100, 0, why())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: None, .. }),
        "{err:?}"
    );
    let trail = s
        .core
        .store()
        .audit_list(&paydesk_core::activity::audit::AuditQuery {
            payment_id: Some(other.clone()),
            phase: Some("not_sent".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert!(
        trail[0].detail.contains("refunded in full"),
        "{}",
        trail[0].detail
    );
    // With the new figure it goes through.
    s.core
        .refund(&s.service, &pid, 500, 700, why())
        .await
        .unwrap();
}

#[tokio::test]
async fn cancel_and_capture_only_when_gov_uk_pay_offers_them() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let created = s.sim.web_payment(500, "C", false, None).await.unwrap();
    assert_eq!(
        s.core.cancel(&s.service, &created).await.unwrap().status,
        "cancelled"
    );
    let again = s.core.cancel(&s.service, &created).await.unwrap_err();
    // Refused by Paydesk before sending: no GOV.UK Pay code, as it said nothing.
    assert!(
        matches!(again, CoreError::Conflict { pay_code: None, .. }),
        "{again:?}"
    );
    let held = s.sim.web_payment(700, "H", true, None).await.unwrap();
    let early = s.core.capture(&s.service, &held).await.unwrap_err();
    assert!(
        matches!(early, CoreError::Conflict { pay_code: None, .. }),
        "{early:?}"
    );
    s.sim
        .control()
        .complete_payment(&held, "4242424242424242")
        .unwrap();
    assert_eq!(
        s.core.capture(&s.service, &held).await.unwrap().status,
        "success"
    );
}

#[tokio::test]
async fn roles_are_enforced_in_the_core_before_anything_is_sent() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 1000).await;
    let err = s
        .core
        .refund(&s.service, &pid, 100, 1000, why())
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 0);
    let err = s
        .core
        .agreement_cancel(&s.service, &"a".repeat(26))
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
}
