//! Recurring-payment agreements: listed, read fresh, set up and cancelled.

use crate::common::*;

#[tokio::test]
async fn agreements_are_listed_read_fresh_cancelled_once_and_set_up() {
    use paydesk_core::agreements::{AgreementQuery, NewAgreement};
    let s = seeded(2_000, 11, 60).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let all = s
        .core
        .agreements_list(&s.service, &AgreementQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        10,
        "the seed makes one agreement per 200 payments"
    );
    let active = s
        .core
        .agreements_list(
            &s.service,
            &AgreementQuery {
                status: Some("active".into()),
                ..AgreementQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(!active.is_empty() && active.len() < all.len());
    assert!(active.iter().all(|a| a.status == "active"));
    let by_ref = s
        .core
        .agreements_list(
            &s.service,
            &AgreementQuery {
                reference: Some("agr-000003".into()),
                ..AgreementQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0].reference, "AGR-000003");
    let err = s
        .core
        .agreements_list(
            &s.service,
            &AgreementQuery {
                status: Some("paused".into()),
                ..AgreementQuery::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "status"),
        "{err:?}"
    );

    // The active agreement with the most payments: its page lists what GOV.UK Pay has.
    let client = sim_client(&s);
    let mut best = None;
    for a in &active {
        let search = govpay::search::PaymentSearch {
            agreement_id: Some(govpay::AgreementId::parse(&a.agreement_id).unwrap()),
            ..Default::default()
        };
        let total = client.payments().search(&search).await.unwrap().total;
        if best.as_ref().is_none_or(|(_, t)| total > *t) {
            best = Some((a.agreement_id.clone(), total));
        }
    }
    let (id, total) = best.unwrap();
    assert!(total > 0, "the seed takes payments under active agreements");
    let detail = s.core.agreement_detail(&s.service, &id).await.unwrap();
    assert_eq!(u64::from(detail.payment_total), total);
    assert_eq!(detail.payments.len() as u64, total.min(100));
    assert!(detail.can_cancel && detail.payments_note.is_none());
    assert!(
        detail
            .agreement
            .instrument
            .as_ref()
            .is_some_and(|c| c.last_digits.is_some()),
        "an active agreement charges a card: {:?}",
        detail.agreement
    );

    // Cancelled once; a second try is refused before anything is sent.
    let done = s.core.agreement_cancel(&s.service, &id).await.unwrap();
    assert_eq!(done.status, "cancelled");
    let fresh = client
        .agreements()
        .get(&govpay::AgreementId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(fresh.status.as_str(), "cancelled");
    let rows_before = s
        .core
        .store()
        .audit_list(&AuditQuery::default())
        .await
        .unwrap()
        .len();
    let err = s.core.agreement_cancel(&s.service, &id).await.unwrap_err();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: None, .. }),
        "{err:?}"
    );
    let rows = s
        .core
        .store()
        .audit_list(&AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        rows_before + 1,
        "a refusal sends nothing, and is recorded"
    );
    assert_eq!(rows[0].phase, Phase::NotSent);
    assert!(
        rows.iter().any(|r| r.action == "agreement_cancel"
            && r.phase == Phase::Succeeded
            && r.target_id.as_deref() == Some(id.as_str())),
        "{rows:?}"
    );
    let after = s.core.agreement_detail(&s.service, &id).await.unwrap();
    assert!(!after.can_cancel);

    // Setting one up: every field checked first, then created and audited.
    let err = s
        .core
        .agreement_create(&s.service, &NewAgreement::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f.len() == 2 && f[0].field == "reference"),
        "{err:?}"
    );
    let made = s
        .core
        .agreement_create(
            &s.service,
            &NewAgreement {
                reference: "GW-2026-0042".into(),
                description: "Garden waste, 12 months".into(),
                user_identifier: Some("resident-42".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(made.status, "created");
    assert!(
        client
            .agreements()
            .get(&govpay::AgreementId::parse(&made.agreement_id).unwrap())
            .await
            .is_ok()
    );
    let listed = s
        .core
        .agreements_list(
            &s.service,
            &AgreementQuery {
                reference: Some("GW-2026".into()),
                ..AgreementQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let rows = s
        .core
        .store()
        .audit_list(&AuditQuery::default())
        .await
        .unwrap();
    assert!(
        rows.iter().any(|r| r.action == "agreement_create"
            && r.phase == Phase::Succeeded
            && r.target_id.as_deref() == Some(made.agreement_id.as_str())),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_service_without_recurring_payments_is_told_so_when_setting_one_up() {
    use paydesk_core::agreements::NewAgreement;
    let s = setup(Role::Supervisor, |c| {
        c.accounts[0].recurring_enabled = false
    })
    .await;
    let err = s
        .core
        .agreement_create(
            &s.service,
            &NewAgreement {
                reference: "GW-1".into(),
                description: "Garden waste".into(),
                user_identifier: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: Some(govpay::PayCode::P0942), ref message } if message.contains("Recurring payments are turned off")),
        "{err:?}"
    );
    let rows = s
        .core
        .store()
        .audit_list(&AuditQuery::default())
        .await
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.phase == Phase::Failed && r.pay_code.as_deref() == Some("P0942")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn caseworkers_see_agreements_but_cannot_change_them_or_see_the_dashboard() {
    use paydesk_core::agreements::NewAgreement;
    use paydesk_core::dashboard::DashboardQuery;
    let s = setup(Role::Caseworker, |_| {}).await;
    let client = sim_client(&s);
    let a = client
        .agreements()
        .create(&govpay::requests::CreateAgreement {
            reference: "GW-7".into(),
            description: "Garden waste".into(),
            user_identifier: None,
        })
        .await
        .unwrap();
    s.sim
        .control()
        .set_agreement_status(a.agreement_id.as_str(), "active")
        .unwrap();
    let d = s
        .core
        .agreement_detail(&s.service, a.agreement_id.as_str())
        .await
        .unwrap();
    assert_eq!(d.agreement.status, "active");
    assert!(!d.can_cancel, "a caseworker is not offered cancel");
    let err = s
        .core
        .agreement_cancel(&s.service, a.agreement_id.as_str())
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    let err = s
        .core
        .agreement_create(
            &s.service,
            &NewAgreement {
                reference: "GW-8".into(),
                description: "Garden waste".into(),
                user_identifier: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    let err = s
        .core
        .dashboard(&s.service, &DashboardQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    assert_eq!(
        client
            .agreements()
            .get(&a.agreement_id)
            .await
            .unwrap()
            .status,
        govpay::AgreementStatus::Active
    );
}

#[tokio::test]
async fn an_agreement_cancel_that_races_or_loses_its_answer_is_explained_and_reconciled() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let client = sim_client(&s);
    let active = |reference: &'static str| {
        let client = client.clone();
        let control = s.sim.control();
        async move {
            let a = client
                .agreements()
                .create(&govpay::requests::CreateAgreement {
                    reference: reference.into(),
                    description: "Garden waste".into(),
                    user_identifier: None,
                })
                .await
                .unwrap();
            control
                .set_agreement_status(a.agreement_id.as_str(), "active")
                .unwrap();
            a.agreement_id
        }
    };

    // It stops being active while the cancel is on its way: GOV.UK Pay's P2501, explained.
    let raced = active("GW-RACE").await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/agreements/{agreement_id}/cancel".into(),
        latency_ms: 1_500,
        ..Fault::default()
    }]);
    let control = s.sim.control();
    let id = raced.clone();
    // Late enough that the core's fresh read still sees it active (a loaded
    // machine took over 100 ms), well before the slowed cancel is answered.
    let meanwhile = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        control
            .set_agreement_status(id.as_str(), "inactive")
            .unwrap();
    });
    let err = s
        .core
        .agreement_cancel(&s.service, raced.as_str())
        .await
        .unwrap_err();
    meanwhile.await.unwrap();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: Some(govpay::PayCode::P2501), ref message } if message.contains("now inactive")),
        "{err:?}"
    );

    // The answer is lost after GOV.UK Pay cancelled it: read back, not sent again.
    let lost = active("GW-LOST").await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/agreements/{agreement_id}/cancel".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let done = s
        .core
        .agreement_cancel(&s.service, lost.as_str())
        .await
        .unwrap();
    assert!(done.reconciled && done.status == "cancelled", "{done:?}");
    let rows = s
        .core
        .store()
        .audit_list(&AuditQuery::default())
        .await
        .unwrap();
    let phases: Vec<Phase> = rows
        .iter()
        .filter(|r| r.target_id.as_deref() == Some(lost.as_str()))
        .map(|r| r.phase)
        .collect();
    assert!(
        phases.contains(&Phase::Unknown) && phases.contains(&Phase::Reconciled),
        "{phases:?}"
    );
}
