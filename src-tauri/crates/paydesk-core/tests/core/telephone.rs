//! Telephone payments: amount, card and outcome, with no card data kept.

use crate::common::*;

#[tokio::test]
async fn telephone_payments_report_each_outcome_and_keep_no_card_data() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let cases = [
        ("4444333322221111", TelephoneResult::Taken, "success"),
        ("4000000000000002", TelephoneResult::Declined, "failed"),
        ("4000000000000069", TelephoneResult::Declined, "failed"),
        ("4000000000000119", TelephoneResult::ProviderError, "error"),
    ];
    for (i, (number, result, status)) in cases.into_iter().enumerate() {
        let card = MotoCard::new(number, "12/39", "737", "Sam Citizen");
        let out = take(&s, &phone(1500, &format!("TEL-{i}")), card)
            .await
            .unwrap();
        assert_eq!(
            (out.result, out.status.as_deref()),
            (result, Some(status)),
            "{number}: {}",
            out.message
        );
        if result == TelephoneResult::Taken {
            assert_eq!(out.last4.as_deref(), Some("1111"));
            assert!(
                out.message.contains("£15.00") && out.message.contains("1111"),
                "{}",
                out.message
            );
        }
    }
    // The card is checked before it is sent: the payment waits, unpaid.
    let started = s
        .core
        .telephone_start(&s.service, &phone(1500, "TEL-X"))
        .await
        .unwrap();
    let err = s
        .core
        .telephone_authorise(
            &s.service,
            &started.payment_id,
            MotoCard::new("4444333322221112", "12/39", "737", "Sam"),
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "cardNumber"),
        "{err:?}"
    );
    let err = s
        .core
        .telephone_authorise(
            &s.service,
            &started.payment_id,
            MotoCard::new("4444333322221111", "01/21", "737", "Sam"),
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "expiryDate"),
        "{err:?}"
    );
    assert_eq!(
        s.sim.control().payment(&started.payment_id).unwrap().status,
        "created",
        "no card was sent"
    );
    // Abandoned at the card step: cancelled at GOV.UK Pay, and recorded.
    s.core
        .telephone_abandon(&s.service, &started.payment_id)
        .await
        .unwrap();
    assert_eq!(
        s.sim.control().payment(&started.payment_id).unwrap().status,
        "cancelled"
    );
    let trail = trail_of(&s.core, &started.payment_id).await;
    assert_eq!(trail[0].phase, Phase::NotSent, "{trail:?}");
    assert!(trail[0].detail.contains("abandoned at the card step"));

    let list = s.core.telephone_payments(&s.service, false).await.unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|p| p.finished));
    // No card number or security code anywhere in the files Paydesk wrote.
    s.core.close().await;
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in ["4444333322221111", "4000000000000002", "737\""] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} was written down"
            );
        }
    }
}

#[tokio::test]
async fn a_lost_answer_to_auth_is_read_back_never_resent_and_mopped_up() {
    let s = setup(Role::CallCentre, |_| {}).await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/auth".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let out = take(
        &s,
        &phone(2000, "TEL-DROP"),
        MotoCard::new("4444333322221111", "12/39", "123", "Sam"),
    )
    .await
    .unwrap();
    assert_eq!(
        out.result,
        TelephoneResult::Taken,
        "read back from the payment: {}",
        out.message
    );
    assert_eq!(s.sim.payment_count(), 1, "never a second payment");

    // An unfinished one (the agent's window closed before the card was sent)...
    let client = sim_client(&s);
    let open = client
        .payments()
        .create(&CreatePayment::moto(500, "TEL-OPEN", "D"), None)
        .await
        .unwrap();
    tamper(
        &s,
        Tamper::OpenTelephonePayment {
            service_id: s.service.clone(),
            payment_id: open.payment_id.as_str().to_owned(),
            reference: "TEL-OPEN".into(),
            amount: 500,
        },
    )
    .await
    .unwrap();
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.telephone_payments_still_open, 1);
    // ...is picked up once it expires.
    s.sim.control().advance_clock(Duration::from_secs(91 * 60));
    let report = s.core.mop_up(&s.service).await.unwrap();
    assert_eq!(report.telephone_payments_finished, 1);
    let row = s
        .core
        .telephone_payments(&s.service, false)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.reference == "TEL-OPEN")
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.code.as_deref()),
        ("failed", Some("P0020"))
    );
}

#[tokio::test]
async fn telephone_payments_not_enabled_are_known_before_the_card() {
    let s = setup(Role::CallCentre, |c| c.accounts[0].moto_api_enabled = false).await;
    // The first step, amount and reference only, already meets the refusal.
    let err = s
        .core
        .telephone_start(&s.service, &phone(100, "T"))
        .await
        .unwrap_err();
    match err {
        CoreError::Api(govpay::Error::Api(body)) => {
            assert_eq!(body.code(), Some(govpay::PayCode::P0195))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        s.core
            .telephone_payments(&s.service, false)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_amount_that_reads_two_ways_is_refused_before_anything_is_created() {
    let s = setup(Role::CallCentre, |_| {}).await;
    for (text, message) in [
        ("1,50", "Enter an amount in pounds and pence, like 12.50"),
        ("", "Enter the amount to take"),
        ("0.00", "Enter an amount of at least £0.01"),
        ("100,000.01", "Enter an amount of no more than £100,000.00"),
    ] {
        let input = TelephonePaymentInput {
            amount: text.into(),
            ..phone(0, "TEL-AMOUNT")
        };
        match s.core.telephone_start(&s.service, &input).await {
            Err(CoreError::Validation(f)) => {
                assert_eq!(
                    (f[0].field.as_str(), f[0].message.as_str()),
                    ("amount", message)
                )
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert_eq!(s.sim.payment_count(), 0);
    let started = s
        .core
        .telephone_start(
            &s.service,
            &TelephonePaymentInput {
                amount: "£1,234.5".into(),
                ..phone(0, "TEL-AMOUNT")
            },
        )
        .await
        .unwrap();
    assert_eq!(started.amount, 123_450);
}

#[tokio::test]
async fn a_payment_like_one_just_taken_needs_the_agent_to_confirm() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let card = || MotoCard::new("4444333322221111", "12/39", "737", "Sam Citizen");
    let first = take(&s, &phone(2500, "TEL-DUP"), card()).await.unwrap();
    assert_eq!(first.result, TelephoneResult::Taken);

    // The same reference again: warned, and refused until confirmed.
    let again = s
        .core
        .telephone_start(&s.service, &phone(2500, "TEL-DUP"))
        .await
        .unwrap();
    let dups = s
        .core
        .telephone_duplicates(&s.service, &again.payment_id, "1111")
        .await
        .unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].payment_id, first.payment_id.clone().unwrap());
    let err = s
        .core
        .telephone_authorise(&s.service, &again.payment_id, card(), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Conflict { message, .. } if message.contains("already taken")),
        "{err:?}"
    );
    assert_eq!(
        s.sim.control().payment(&again.payment_id).unwrap().status,
        "created",
        "nothing was sent"
    );
    let out = s
        .core
        .telephone_authorise(&s.service, &again.payment_id, card(), true)
        .await
        .unwrap();
    assert_eq!(out.result, TelephoneResult::Taken);

    // Same amount and card ending, another reference: a duplicate too.
    let third = s
        .core
        .telephone_start(&s.service, &phone(2500, "TEL-OTHER"))
        .await
        .unwrap();
    let dups = s
        .core
        .telephone_duplicates(&s.service, &third.payment_id, "1111")
        .await
        .unwrap();
    assert_eq!(dups.len(), 2);
    // Another card and another reference: not one.
    assert!(
        s.core
            .telephone_duplicates(&s.service, &third.payment_id, "4242")
            .await
            .unwrap()
            .is_empty()
    );
    // A declined payment does not count as taken.
    let declined = take(
        &s,
        &phone(900, "TEL-DECLINED"),
        MotoCard::new("4000000000000002", "12/39", "737", "Sam"),
    )
    .await
    .unwrap();
    assert_eq!(declined.result, TelephoneResult::Declined);
    let retry = s
        .core
        .telephone_start(&s.service, &phone(900, "TEL-DECLINED"))
        .await
        .unwrap();
    assert!(
        s.core
            .telephone_duplicates(&s.service, &retry.payment_id, "0002")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_payment_just_taken_says_when_it_can_be_refunded() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let card = MotoCard::new("4444333322221111", "12/39", "737", "Sam Citizen");
    let out = take(&s, &phone(2500, "TEL-QUEUE"), card).await.unwrap();
    assert_eq!(out.result, TelephoneResult::Taken, "{}", out.message);
    let pid = out.payment_id.unwrap();
    // GOV.UK Pay is still capturing it: the page and the refund both say so,
    // and nothing is sent.
    let detail = s.core.payment_detail(&s.service, &pid).await.unwrap();
    let blocked = detail.refund_blocked.unwrap_or_default();
    assert!(blocked.contains("taken moments ago"), "{blocked}");
    let err = s
        .core
        .refund(&s.service, &pid, 500, 2500, why())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Conflict { message, .. } if message.contains("taken moments ago")),
        "{err:?}"
    );
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 0);
    // A moment later it can be.
    s.sim
        .control()
        .advance_clock(std::time::Duration::from_secs(3));
    let done = s
        .core
        .refund(&s.service, &pid, 500, 2500, why())
        .await
        .unwrap();
    assert_eq!(done.status, "success");
}
