//! The payment page: a payment's story from GOV.UK Pay and this desktop.

use crate::common::*;

#[tokio::test]
async fn the_payment_page_tells_the_whole_story() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 2500).await;
    s.core
        .refund(&s.service, &pid, 1000, 2500, why())
        .await
        .unwrap();
    let case = s.core.case_open(&s.service, "CASE-7", "").await.unwrap();
    s.core.case_add_payment(&case.id, &pid).await.unwrap();
    s.core.case_add_note(&case.id, "Called back").await.unwrap();

    let d = s.core.payment_detail(&s.service, &pid).await.unwrap();
    assert_eq!((d.amount, d.status.as_str()), (2500, "success"));
    assert_eq!((d.refund_available, d.refund_submitted), (1500, 1000));
    assert_eq!(d.refund_blocked, None);
    assert!(!d.can_cancel && !d.can_capture);
    assert_eq!(d.refunds.len(), 1);
    assert_eq!(
        d.card.as_ref().unwrap().last_digits.as_deref(),
        Some("1111")
    );
    let titles: Vec<&str> = d.timeline.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles[0], "Refund successful", "newest first: {titles:?}");
    assert!(
        titles.contains(&"Successful") && titles.contains(&"Created"),
        "{titles:?}"
    );
    assert_eq!(d.case.as_ref().unwrap().notes[0].body, "Called back");
    assert!(
        d.actions.iter().any(|a| a.action == "refund"),
        "{:?}",
        d.actions
    );

    // A dispute (seen by a sync) blocks refunds, and the page says why.
    s.sim
        .control()
        .raise_dispute(&pid, "fraudulent", 5)
        .unwrap();
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let d = s.core.payment_detail(&s.service, &pid).await.unwrap();
    assert_eq!(d.disputes.len(), 1);
    assert_eq!(
        d.disputes[0].reason_text,
        "The cardholder says they did not make this payment"
    );
    assert!(
        d.refund_blocked
            .as_deref()
            .unwrap_or("")
            .contains("being disputed"),
        "{:?}",
        d.refund_blocked
    );
    assert_eq!(d.timeline[0].title, "Dispute awaiting evidence");

    let err = s
        .core
        .payment_detail(&s.service, "not an id!")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "paymentId"),
        "{err:?}"
    );
}
