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

    // The Cases screen: newest activity first, found by part of a reference.
    let references = |list: &paydesk_core::cases::CaseList| {
        list.cases
            .iter()
            .map(|c| c.reference.clone())
            .collect::<Vec<_>>()
    };
    let list = s.core.case_list(&s.service, "").await.unwrap();
    assert_eq!(references(&list), ["CASE-78", "CASE-77"]);
    assert!(!list.more);
    assert_eq!(
        (list.cases[1].payment_count, list.cases[1].note_count),
        (2, 1)
    );
    s.core
        .case_add_note(&case.id, "Second refund asked for.")
        .await
        .unwrap();
    let list = s.core.case_list(&s.service, " se-7 ").await.unwrap();
    assert_eq!(references(&list), ["CASE-77", "CASE-78"]);
    let list = s.core.case_list(&s.service, "78").await.unwrap();
    assert_eq!(references(&list), ["CASE-78"]);
    let err = s
        .core
        .case_list(&s.service, &"x".repeat(101))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Validation(f) if f[0].field == "caseSearch"),
        "{err:?}"
    );

    // A case's page: the payments the cache holds as rows, the others by ID,
    // and what staff did with them, newest first.
    s.core.payment_detail(&s.service, &a).await.unwrap();
    s.core.refund(&s.service, &a, 40, 100, why()).await.unwrap();
    let page = s.core.case_page(&case.id).await.unwrap();
    assert_eq!(page.case.notes.len(), 2);
    let rows: Vec<_> = page
        .payments
        .iter()
        .map(|p| (p.payment_id.as_str(), p.amount))
        .collect();
    assert_eq!(rows, [(a.as_str(), 100)]);
    assert_eq!(page.not_cached, [b]);
    assert!(!page.actions.is_empty());
    assert!(
        page.actions
            .iter()
            .all(|r| r.payment_id.as_deref() == Some(a.as_str())),
        "{:?}",
        page.actions
    );
    assert!(page.actions.windows(2).all(|w| w[0].seq > w[1].seq));
    assert!(matches!(
        s.core.case_page("no-such-case").await,
        Err(CoreError::NotFound(_))
    ));
}
