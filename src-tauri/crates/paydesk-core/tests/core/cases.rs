//! Cases: payments grouped with notes.

use crate::common::*;

#[tokio::test]
async fn cases_group_payments_and_keep_notes() {
    let s = setup(Role::Caseworker, |_| {}).await;
    s.core.set_operator("Alex Caseworker").await.unwrap();
    let a = paid(&s, 100).await;
    let b = paid(&s, 200).await;
    let case = s
        .core
        .case_open(&s.service, "CASE-77", "Mrs Example's permits")
        .await
        .unwrap();
    s.core.case_add_payment(&case.id, &a).await.unwrap();
    s.core.case_add_payment(&case.id, &b).await.unwrap();
    let case = s
        .core
        .case_add_note(&case.id, "Called about a double charge; refunded one.")
        .await
        .unwrap();
    assert_eq!(case.payment_ids, [a.clone(), b.clone()]);
    assert_eq!(case.notes[0].author, "Alex Caseworker");
    let found = s
        .core
        .case_for_payment(&s.service, &b)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.reference, "CASE-77");
    let other = s.core.case_open(&s.service, "CASE-78", "").await.unwrap();
    let err = s.core.case_add_payment(&other.id, &a).await.unwrap_err();
    assert!(matches!(err, CoreError::Conflict { .. }), "{err:?}");
    assert!(s.core.case_add_note(&case.id, "   ").await.is_err());
    assert_eq!(
        s.core
            .case_open(&s.service, "CASE-77", "again")
            .await
            .unwrap()
            .id,
        case.id,
        "same reference, same case"
    );
}
