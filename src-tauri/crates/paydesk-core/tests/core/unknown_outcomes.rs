//! Money actions whose answer is lost: found by reading GOV.UK Pay, never
//! repeated. A refund whose outcome is not known stays unknown until GOV.UK Pay
//! shows this attempt's own refund, and nothing is ever refunded twice.

use crate::common::*;

const REFUNDS: &str = "POST /v1/payments/{payment_id}/refunds";

async fn refunds_of(s: &Setup, pid: &str) -> usize {
    s.sim.control().payment(pid).unwrap().refunds
}

#[tokio::test]
async fn a_refund_made_after_the_timeout_is_unknown_never_not_made_and_blocks_a_second() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // GOV.UK Pay makes the refund 3 s after it arrives; Paydesk waits 2 s.
    s.sim.control().set_faults(vec![Fault {
        route: REFUNDS.into(),
        latency_ms: 3_000,
        ..Fault::default()
    }]);
    let sent = Instant::now();
    let err = s
        .core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap_err();
    s.sim.control().clear_faults();
    assert!(
        matches!(&err, CoreError::OutcomeUnknown(m) if m.contains("do not refund again")),
        "never \"nothing was refunded\": {err:?}"
    );
    // Following the old advice ("you can try again") is refused now.
    let again = s
        .core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap_err();
    assert!(
        matches!(&again, CoreError::OutcomeUnknown(m) if m.contains("may or may not have been made")),
        "{again:?}"
    );
    let detail = s.core.payment_detail(&s.service, &pid).await.unwrap();
    assert!(
        detail
            .refund_blocked
            .as_deref()
            .is_some_and(|b| b.contains("do not refund again")),
        "the page offers no refund: {:?}",
        detail.refund_blocked
    );
    // GOV.UK Pay makes it; the mop-up finds this attempt's own refund.
    tokio::time::sleep(Duration::from_millis(3_500).saturating_sub(sent.elapsed())).await;
    assert_eq!(refunds_of(&s, &pid).await, 1);
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.outcomes_reconciled, 1, "{report:?}");
    let trail = trail_of(&s.core, &pid).await;
    assert_eq!(trail[0].phase, Phase::Reconciled, "{trail:?}");
    assert!(trail[0].target_id.is_some());
    // Then, with the new figures, a further refund goes through: the only
    // second refund is the one asked for now.
    let detail = s.core.payment_detail(&s.service, &pid).await.unwrap();
    assert_eq!(detail.refund_blocked, None);
    assert_eq!(detail.refund_available, 750);
    s.core
        .refund(&s.service, &pid, 100, 750, why())
        .await
        .unwrap();
    assert_eq!(refunds_of(&s, &pid).await, 2);
}

#[tokio::test]
async fn a_proxy_504_after_the_refund_or_cancel_was_made_is_found_not_repeated() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.sim.control().set_faults(vec![Fault {
        route: REFUNDS.into(),
        proxy_error_after_commit: 1,
        proxy_status: 504,
        ..Fault::default()
    }]);
    let done = s
        .core
        .refund(&s.service, &pid, 400, 1000, why())
        .await
        .unwrap();
    assert!(done.reconciled);
    assert_eq!(done.available_after, 600);
    assert_eq!(refunds_of(&s, &pid).await, 1);
    assert!(
        s.core.unresolved_refund_count(&s.service).await.unwrap() == 0,
        "resolved"
    );

    let open = s.sim.web_payment(500, "C", false, None).await.unwrap();
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/cancel".into(),
        proxy_error_after_commit: 1,
        proxy_status: 504,
        ..Fault::default()
    }]);
    let done = s.core.cancel(&s.service, &open).await.unwrap();
    assert!(done.reconciled);
    assert_eq!(done.status, "cancelled");
}

#[tokio::test]
async fn another_desks_refund_is_never_credited_to_this_one() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // Desk A's £2.50 is answered 500 without being made, and the refunds
    // cannot be read to check...
    lose_refund_answer(
        &s,
        Fault {
            fail_next: 1,
            ..Fault::default()
        },
    );
    let err = s
        .core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::OutcomeUnknown(_)), "{err:?}");
    // ...while desk B refunds £5.00.
    s.sim.control().refund_elsewhere(&pid, 500).unwrap();
    s.sim.control().clear_faults();
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.outcomes_reconciled, 0, "{report:?}");
    assert_eq!(report.outcomes_still_unknown, 1);
    let trail = trail_of(&s.core, &pid).await;
    assert!(
        trail.iter().all(|r| r.phase != Phase::Reconciled),
        "A's refund is not reported made: {trail:?}"
    );
    assert_eq!(s.core.unresolved_refund_count(&s.service).await.unwrap(), 1);
}

#[tokio::test]
async fn a_refund_cut_off_between_sending_and_its_outcome_is_resolved_on_the_next_start() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // The refund is made; Paydesk stops (its task dropped mid-request, as a
    // process killed then would) before it writes the outcome.
    s.sim.control().set_faults(vec![Fault {
        route: REFUNDS.into(),
        hang_after_commit: 1,
        ..Fault::default()
    }]);
    let cut = tokio::time::timeout(
        Duration::from_millis(1_000),
        s.core.refund(&s.service, &pid, 300, 1000, why()),
    )
    .await;
    assert!(cut.is_err(), "stopped mid-request");
    s.sim.control().clear_faults();
    assert_eq!(refunds_of(&s, &pid).await, 1);
    let trail = trail_of(&s.core, &pid).await;
    assert_eq!(trail.len(), 1, "only the attempt was written: {trail:?}");

    // The next start: a new core on the same data folder.
    let again = open_core(s.dir.path(), &s.app_id).await.unwrap();
    again.set_client_options(ClientOptions {
        timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    });
    let err = again
        .refund(&s.service, &pid, 300, 1000, why())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Conflict { message, .. } if message.contains("was made after all")),
        "found, and nothing more sent: {err:?}"
    );
    assert_eq!(refunds_of(&s, &pid).await, 1);
    assert_eq!(again.unresolved_refund_count(&s.service).await.unwrap(), 0);
    assert!(again.audit_verify().await.unwrap().intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_refunds_at_once_from_two_desktops_on_one_folder_make_one_and_no_false_error() {
    let s = setup(Role::Caseworker, |_| {}).await;
    // A second Paydesk on the same data folder: its own connections and
    // its own in-process locks, as a second process would have.
    let other = open_core(s.dir.path(), &s.app_id).await.unwrap();
    other.set_client_options(ClientOptions {
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    });
    s.core.set_client_options(ClientOptions {
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    });
    for round in 0..5 {
        let pid = paid(&s, 1000).await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let core = if i % 2 == 0 {
                s.core.clone()
            } else {
                other.clone()
            };
            let (service, pid) = (s.service.clone(), pid.clone());
            tasks.spawn(async move { core.refund(&service, &pid, 100, 1000, why()).await });
        }
        let mut made = 0;
        while let Some(result) = tasks.join_next().await {
            match result.unwrap() {
                Ok(done) => {
                    assert!(!done.reconciled, "round {round}: {done:?}");
                    made += 1;
                }
                // Refused: before sending (the figures changed), or by
                // GOV.UK Pay's own check of the amount available.
                Err(CoreError::Conflict { .. }) => {}
                // The other desktop's refund was on its way: "do not
                // refund again" is true, and nothing was sent.
                Err(CoreError::OutcomeUnknown(m)) if m.starts_with("An earlier refund") => {}
                Err(other) => panic!("round {round}: a false error: {other:?}"),
            }
        }
        assert_eq!(made, 1, "round {round}");
        assert_eq!(
            refunds_of(&s, &pid).await,
            1,
            "round {round}: exactly one refund"
        );
    }
    assert!(s.core.audit_verify().await.unwrap().intact);
    assert!(other.audit_verify().await.unwrap().intact);
}

#[tokio::test]
async fn an_outcome_the_database_cannot_take_is_held_and_written_on_the_next_start() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // The database takes the attempt, then fails every outcome row (a disk
    // that fills up between the two, say).
    tamper(&s, Tamper::OutcomesFailing(true)).await.unwrap();
    // Staff are told what GOV.UK Pay did, not that the database failed.
    let done = s
        .core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap();
    assert_eq!(done.amount, 250);
    assert_eq!(refunds_of(&s, &pid).await, 1);
    let held = s.dir.path().join(paydesk_core::money::held::FILE_NAME);
    let text = std::fs::read_to_string(&held).expect("the outcome is held on disk");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"succeeded\""), "{text}");
    assert_eq!(
        trail_of(&s.core, &pid).await.len(),
        1,
        "only the attempt so far"
    );

    // The database recovers; the next start writes the held outcome first.
    tamper(&s, Tamper::OutcomesFailing(false)).await.unwrap();
    let again = open_core(s.dir.path(), &s.app_id).await.unwrap();
    assert!(!held.exists(), "written, then the file is removed");
    let trail = trail_of(&again, &pid).await;
    let phases: Vec<Phase> = trail.iter().rev().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Attempt, Phase::Succeeded]);
    assert_eq!(trail[0].operator, "Sam Tester");
    assert!(
        trail[0].detail.contains("written late"),
        "{}",
        trail[0].detail
    );
    assert_eq!(trail[0].target_id, done.refund_id);
    assert!(again.audit_verify().await.unwrap().intact);
    assert_eq!(again.unresolved_refund_count(&s.service).await.unwrap(), 0);
}

#[tokio::test]
async fn a_cancel_made_after_the_timeout_stays_unknown_until_the_payment_shows_it() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let open = s.sim.web_payment(500, "C", false, None).await.unwrap();
    let pid = open.clone();
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/cancel".into(),
        latency_ms: 3_000,
        ..Fault::default()
    }]);
    let sent = Instant::now();
    let err = s.core.cancel(&s.service, &pid).await.unwrap_err();
    s.sim.control().clear_faults();
    assert!(
        matches!(&err, CoreError::OutcomeUnknown(m) if m.contains("We do not know yet")),
        "never \"the cancel did not happen\": {err:?}"
    );
    tokio::time::sleep(Duration::from_millis(3_500).saturating_sub(sent.elapsed())).await;
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.outcomes_reconciled, 1, "{report:?}");
    let trail = trail_of(&s.core, &pid).await;
    assert_eq!(trail[0].phase, Phase::Reconciled);
    assert!(
        trail[0].detail.starts_with("it was made"),
        "{}",
        trail[0].detail
    );
}

#[tokio::test]
async fn the_supervisors_dashboard_lists_outcomes_not_known_until_they_are() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    lose_refund_answer(
        &s,
        Fault {
            drop_after_commit: 1,
            ..Fault::default()
        },
    );
    s.core
        .refund(&s.service, &pid, 250, 1000, why())
        .await
        .unwrap_err();
    s.sim.control().clear_faults();
    let now = paydesk_core::clock::now_ms();
    let q = paydesk_core::dashboard::DashboardQuery {
        today_from_ms: now - 3_600_000,
        week_from_ms: now - 86_400_000,
        to_ms: now + 60_000,
    };
    let d = s.core.dashboard(&s.service, &q).await.unwrap();
    assert_eq!(d.outcomes_unknown.len(), 1, "{:?}", d.outcomes_unknown);
    let u = &d.outcomes_unknown[0];
    assert_eq!(
        (
            u.attempt.action.as_str(),
            u.attempt.amount,
            u.attempt.payment_id.as_deref()
        ),
        ("refund", Some(250), Some(pid.as_str()))
    );
    assert!(!u.escalated && u.hours == 0);
    // Found by the mop-up: no longer listed.
    assert_eq!(
        s.core.mop_up(&s.service).await.unwrap().outcomes_reconciled,
        1
    );
    let d = s.core.dashboard(&s.service, &q).await.unwrap();
    assert!(d.outcomes_unknown.is_empty(), "{:?}", d.outcomes_unknown);
}

/// Every money action meets every way an answer can be lost after GOV.UK
/// Pay acted (answered after the client gave up, a proxy's 502/503/504 in
/// its place, the connection closed): each is found by reading GOV.UK Pay,
/// none is reported failed, none is sent twice.
#[tokio::test]
async fn every_money_action_whose_answer_is_lost_is_found_never_repeated() {
    let s = setup(Role::Supervisor, |_| {}).await;
    // Card details wait longest (15 s at the least), so their late answer
    // comes later still.
    s.core.set_client_options(ClientOptions {
        timeout: Duration::from_secs(2),
        auth_timeout: Duration::from_secs(15),
        ..ClientOptions::default()
    });
    let client = sim_client(&s);
    let faults = [
        Fault {
            late_after_commit: 1,
            // Longer than the 2 s the test's client waits.
            late_ms: 2_600,
            ..Fault::default()
        },
        Fault {
            proxy_error_after_commit: 1,
            proxy_status: 502,
            ..Fault::default()
        },
        Fault {
            proxy_error_after_commit: 1,
            proxy_status: 503,
            ..Fault::default()
        },
        Fault {
            drop_after_commit: 1,
            ..Fault::default()
        },
    ];
    for (i, fault) in faults.iter().enumerate() {
        let on = |route: &str| {
            s.sim.control().set_faults(vec![Fault {
                route: route.into(),
                ..fault.clone()
            }])
        };
        let what = format!("{fault:?}");

        let pid = paid(&s, 1000).await;
        on("POST /v1/payments/{payment_id}/refunds");
        let refund = s
            .core
            .refund(&s.service, &pid, 300, 1000, why())
            .await
            .unwrap();
        assert!(refund.reconciled, "refund, {what}");
        assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1, "{what}");

        let open = s.sim.web_payment(500, "C", false, None).await.unwrap();
        on("POST /v1/payments/{payment_id}/cancel");
        let cancel = s.core.cancel(&s.service, &open).await.unwrap();
        assert!(
            cancel.reconciled && cancel.status == "cancelled",
            "cancel, {what}: {cancel:?}"
        );

        let held = s.sim.web_payment(700, "H", true, None).await.unwrap();
        s.sim
            .control()
            .complete_payment(&held, "4242424242424242")
            .unwrap();
        on("POST /v1/payments/{payment_id}/capture");
        let capture = s.core.capture(&s.service, &held).await.unwrap();
        assert!(
            capture.reconciled && capture.status == "success",
            "capture, {what}: {capture:?}"
        );

        let before = s.sim.payment_count();
        s.sim.control().set_faults(vec![Fault {
            route: "POST /v1/auth".into(),
            late_ms: if fault.late_after_commit > 0 {
                15_600
            } else {
                0
            },
            ..fault.clone()
        }]);
        let taken = take(
            &s,
            &phone(2000 + 100 * i as i64, &format!("TEL-LOST-{i}")),
            MotoCard::new("4444333322221111", "12/39", "123", "Sam Citizen"),
        )
        .await
        .unwrap();
        assert_eq!(
            taken.result,
            TelephoneResult::Taken,
            "auth, {what}: {}",
            taken.message
        );
        assert_eq!(s.sim.payment_count(), before + 1, "one payment, {what}");

        let agreement = client
            .agreements()
            .create(&govpay::requests::CreateAgreement {
                reference: format!("GW-{i}"),
                description: "Garden waste".into(),
                user_identifier: None,
            })
            .await
            .unwrap();
        s.sim
            .control()
            .set_agreement_status(agreement.agreement_id.as_str(), "active")
            .unwrap();
        on("POST /v1/agreements/{agreement_id}/cancel");
        let ended = s
            .core
            .agreement_cancel(&s.service, agreement.agreement_id.as_str())
            .await
            .unwrap();
        assert!(
            ended.reconciled && ended.status == "cancelled",
            "agreement cancel, {what}: {ended:?}"
        );
        s.sim.control().clear_faults();
    }
    let rows = s
        .core
        .store()
        .audit_list(&AuditQuery {
            limit: 5000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    for action in [
        "refund",
        "cancel",
        "capture",
        "telephone_payment",
        "agreement_cancel",
    ] {
        let phases: Vec<Phase> = rows
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.phase)
            .collect();
        assert!(!phases.contains(&Phase::Failed), "{action}: {phases:?}");
        assert_eq!(
            phases.iter().filter(|p| **p == Phase::Unknown).count(),
            faults.len(),
            "{action}: {phases:?}"
        );
        assert_eq!(
            phases.iter().filter(|p| **p == Phase::Reconciled).count(),
            faults.len(),
            "{action}: {phases:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_refund_outcome_is_reconciled_by_the_mop_up() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // The refund is made but its answer is lost, and GOV.UK Pay cannot be read
    // straight afterwards either: the outcome stays unknown for now.
    lose_refund_answer(
        &s,
        Fault {
            drop_after_commit: 1,
            ..Fault::default()
        },
    );
    let err = s
        .core
        .refund(&s.service, &pid, 300, 1000, why())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::OutcomeUnknown(ref m) if m.contains("do not refund again")),
        "{err:?}"
    );
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1);

    s.sim.control().clear_faults();
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.outcomes_reconciled, 1);
    let trail = trail_of(&s.core, &pid).await;
    assert_eq!(trail[0].phase, Phase::Reconciled);
    assert!(trail[0].detail.starts_with("the refund was made"));
    assert_eq!(
        s.core.mop_up(&s.service).await.unwrap().outcomes_reconciled,
        0,
        "reconciled once"
    );
    assert!(s.core.audit_verify().await.unwrap().intact);
}
