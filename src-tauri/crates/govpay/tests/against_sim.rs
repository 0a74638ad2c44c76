//! The client against the simulator over real HTTP: every operation, every
//! error path, retries, the rate limiter, and outcomes that are unknown.

use std::time::Duration;

use govpay::requests::{CreateAgreement, CreatePayment, CreateRefund, MotoCard};
use govpay::search::{
    AgreementSearch, DisputeSearch, DisputeStatus, Paging, PaymentSearch, RefundSearch, SearchState,
};
use govpay::{
    AgreementId, AgreementStatus, ApiKey, Client, Error, IdempotencyKey, PayCode, PaymentId,
    PaymentStatus, RateLimits, RefundId, RetryPolicy,
};
use govpay_sim::{Account, Fault, PaymentProvider, SeedSpec, SimConfig, Simulator};

const KEY: &str = "api_test_sandbox_key";
const STRIPE_KEY: &str = "api_test_stripe";

async fn sim_with(tweak: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut stripe = Account::sandbox(STRIPE_KEY);
    stripe.id = 2;
    stripe.provider = PaymentProvider::Stripe;
    let mut config = SimConfig {
        accounts: vec![Account::sandbox(KEY), stripe],
        rate_limits: None,
        ..SimConfig::default()
    };
    tweak(&mut config);
    Simulator::start(config).await.unwrap()
}

async fn sim() -> Simulator {
    sim_with(|_| {}).await
}

fn client(sim: &Simulator, key: &str) -> Client {
    Client::builder(ApiKey::new(key).unwrap())
        .base_url(sim.base_url())
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn pay_code(e: &Error) -> Option<PayCode> {
    match e {
        Error::Api(body) => body.code(),
        _ => None,
    }
}

async fn paid(c: &Client, sim: &Simulator, amount: i64) -> PaymentId {
    let p = c
        .payments()
        .create(
            &CreatePayment::web(amount, "REF", "Parking", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    sim.control()
        .complete_payment(p.payment_id.as_str(), "4444333322221111")
        .unwrap();
    p.payment_id
}

#[tokio::test]
async fn a_good_key_passes_the_check_and_a_bad_one_is_unauthorized() {
    let sim = sim().await;
    client(&sim, KEY).check_key().await.unwrap();
    let err = client(&sim, "api_test_nope").check_key().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized), "{err:?}");
}

#[tokio::test]
async fn payments_create_get_events_cancel() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let p = c
        .payments()
        .create(
            &CreatePayment::web(1450, "INV-1", "Permit", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(p.state.status, PaymentStatus::Created);
    assert!(p.links.next_url.is_some() && p.links.cancel.is_some());
    let got = c.payments().get(&p.payment_id).await.unwrap();
    assert_eq!(got.amount, 1450);
    c.payments().cancel(&p.payment_id).await.unwrap();
    let events = c.payments().events(&p.payment_id).await.unwrap();
    let states: Vec<_> = events
        .events
        .iter()
        .map(|e| e.state.status.as_str())
        .collect();
    assert_eq!(states, ["created", "cancelled"]);
    let err = c.payments().cancel(&p.payment_id).await.unwrap_err();
    assert_eq!(pay_code(&err), Some(PayCode::P0501));
    let unknown = PaymentId::parse("00000000000000000000000000").unwrap();
    assert_eq!(
        pay_code(&c.payments().get(&unknown).await.unwrap_err()),
        Some(PayCode::P0200)
    );
    assert_eq!(
        pay_code(&c.payments().events(&unknown).await.unwrap_err()),
        Some(PayCode::P0300)
    );
    assert_eq!(
        pay_code(&c.payments().cancel(&unknown).await.unwrap_err()),
        Some(PayCode::P0500)
    );
}

#[tokio::test]
async fn capture_of_a_delayed_payment() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let mut request = CreatePayment::web(3000, "FIU", "Held", "https://x.example/r");
    request.delayed_capture = Some(true);
    let p = c.payments().create(&request, None).await.unwrap();
    assert_eq!(
        pay_code(&c.payments().capture(&p.payment_id).await.unwrap_err()),
        Some(PayCode::P1003)
    );
    sim.control()
        .complete_payment(p.payment_id.as_str(), "4242424242424242")
        .unwrap();
    let held = c.payments().get(&p.payment_id).await.unwrap();
    assert_eq!(held.state.status, PaymentStatus::Capturable);
    assert!(held.links.capture.is_some());
    c.payments().capture(&p.payment_id).await.unwrap();
    c.payments().capture(&p.payment_id).await.unwrap();
    assert_eq!(
        c.payments().get(&p.payment_id).await.unwrap().state.status,
        PaymentStatus::Success
    );
    let unknown = PaymentId::parse("00000000000000000000000000").unwrap();
    assert_eq!(
        pay_code(&c.payments().capture(&unknown).await.unwrap_err()),
        Some(PayCode::P1000)
    );
}

#[tokio::test]
async fn refunds_with_the_available_amount_guard() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = paid(&c, &sim, 1000).await;
    let p = c.payments().get(&id).await.unwrap();
    let available = p.refund_summary.unwrap().amount_available;
    let refund = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 400,
                refund_amount_available: Some(available),
            },
        )
        .await
        .unwrap();
    assert_eq!((refund.amount, refund.status.as_str()), (400, "success"));
    // The same request again: the figure is stale, so no second refund.
    let err = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 400,
                refund_amount_available: Some(available),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(pay_code(&err), Some(PayCode::P0604));
    assert_eq!(sim.control().payment(id.as_str()).unwrap().refunds, 1);
    let err = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 700,
                refund_amount_available: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(pay_code(&err), Some(PayCode::P0603));
    let rid = refund.refund_id.clone();
    assert_eq!(
        c.payments()
            .refund_status(&id, &rid)
            .await
            .unwrap()
            .refund_id,
        refund.refund_id
    );
    let list = c.payments().refunds(&id).await.unwrap();
    assert_eq!(list.embedded.refunds.len(), 1);
    let bad = RefundId::parse("00000000000000000000000000").unwrap();
    assert_eq!(
        pay_code(&c.payments().refund_status(&id, &bad).await.unwrap_err()),
        Some(PayCode::P0700)
    );
    let unknown = PaymentId::parse("00000000000000000000000000").unwrap();
    assert_eq!(
        pay_code(&c.payments().refunds(&unknown).await.unwrap_err()),
        Some(PayCode::P0800)
    );
    assert_eq!(
        pay_code(
            &c.payments()
                .refund(
                    &unknown,
                    &CreateRefund {
                        amount: 1,
                        refund_amount_available: None
                    }
                )
                .await
                .unwrap_err()
        ),
        Some(PayCode::P0600)
    );
    let page = c.refunds().search(&RefundSearch::default()).await.unwrap();
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn bad_input_never_reaches_the_network() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = PaymentId::parse("00000000000000000000000000").unwrap();
    let errors = vec![
        c.payments()
            .create(&CreatePayment::web(0, "R", "D", "https://x.example"), None)
            .await
            .unwrap_err(),
        c.payments()
            .refund(
                &id,
                &CreateRefund {
                    amount: 0,
                    refund_amount_available: None,
                },
            )
            .await
            .unwrap_err(),
        c.payments()
            .search(&PaymentSearch {
                last_digits_card_number: Some("12".into()),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        c.refunds()
            .search(&RefundSearch {
                paging: Paging {
                    page: None,
                    display_size: Some(501),
                },
                ..Default::default()
            })
            .await
            .unwrap_err(),
        c.agreements()
            .create(&CreateAgreement {
                reference: "".into(),
                description: "D".into(),
                user_identifier: None,
            })
            .await
            .unwrap_err(),
        c.moto()
            .authorise(
                "token",
                &MotoCard::new("4444333322221112", "12/39", "123", "Sam"),
            )
            .await
            .unwrap_err(),
        c.moto()
            .authorise(
                "token",
                &MotoCard::new("4444333322221111", "01/20", "123", "Sam"),
            )
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
    }
    assert_eq!(c.stats().requests, 0, "nothing was sent");
}

#[tokio::test]
async fn telephone_payments_through_the_one_time_token() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let p = c
        .payments()
        .create(&CreatePayment::moto(15000, "PHONE", "By phone"), None)
        .await
        .unwrap();
    let token = p.links.auth_url_post.as_ref().unwrap().params["one_time_token"]
        .as_str()
        .unwrap()
        .to_owned();
    c.moto()
        .authorise(
            &token,
            &MotoCard::new("4444 3333 2222 1111", "12/39", "123", "Sam Citizen"),
        )
        .await
        .unwrap();
    let done = c.payments().get(&p.payment_id).await.unwrap();
    assert_eq!(done.state.status, PaymentStatus::Success);
    assert_eq!(
        done.card_details
            .unwrap()
            .last_digits_card_number
            .as_deref(),
        Some("1111")
    );
    let again = c
        .moto()
        .authorise(
            &token,
            &MotoCard::new("4444333322221111", "12/39", "123", "Sam"),
        )
        .await
        .unwrap_err();
    assert_eq!(pay_code(&again), Some(PayCode::P1212));
    let invalid = c
        .moto()
        .authorise(
            "not-a-token",
            &MotoCard::new("4444333322221111", "12/39", "123", "Sam"),
        )
        .await
        .unwrap_err();
    assert_eq!(pay_code(&invalid), Some(PayCode::P1211));

    for (number, code) in [
        ("4000000000000002", Some(PayCode::P0010)),
        // GOV.UK Pay answers 500 P0050: a server error after a card was sent
        // is an unknown outcome to the client, read back from the payment.
        ("4000000000000119", None),
    ] {
        let p = c
            .payments()
            .create(&CreatePayment::moto(100, "PHONE", "By phone"), None)
            .await
            .unwrap();
        let token = p.links.auth_url_post.unwrap().params["one_time_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let err = c
            .moto()
            .authorise(&token, &MotoCard::new(number, "12/39", "123", "Sam"))
            .await
            .unwrap_err();
        assert_eq!(pay_code(&err), code, "{number}");
        if code.is_none() {
            assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
            let read = c.payments().get(&p.payment_id).await.unwrap();
            assert_eq!(
                (read.state.status, read.state.code),
                (PaymentStatus::Error, Some(PayCode::P0050))
            );
        }
    }
    let plain = sim_with(|cfg| cfg.accounts[0].moto_api_enabled = false).await;
    let err = client(&plain, KEY)
        .payments()
        .create(&CreatePayment::moto(100, "R", "D"), None)
        .await
        .unwrap_err();
    assert_eq!(pay_code(&err), Some(PayCode::P0195));
}

#[tokio::test]
async fn agreements_and_their_payments() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let a = c
        .agreements()
        .create(&CreateAgreement {
            reference: "AGR".into(),
            description: "Garden waste".into(),
            user_identifier: Some("u1".into()),
        })
        .await
        .unwrap();
    let aid = a.agreement_id.clone();
    let mut setup = CreatePayment::web(500, "SETUP", "First", "https://x.example/r");
    setup.set_up_agreement = Some(aid.clone());
    let s = c.payments().create(&setup, None).await.unwrap();
    sim.control()
        .complete_payment(s.payment_id.as_str(), "4242424242424242")
        .unwrap();
    let active = c.agreements().get(&aid).await.unwrap();
    assert_eq!(active.status, AgreementStatus::Active);
    assert_eq!(
        active
            .payment_instrument
            .unwrap()
            .card_details
            .unwrap()
            .last_digits_card_number
            .as_deref(),
        Some("4242")
    );

    let monthly = CreatePayment::agreement(500, "M1", "Monthly", aid.clone());
    let month_1 = IdempotencyKey::new("month-1").unwrap();
    let first = c.payments().create(&monthly, Some(&month_1)).await.unwrap();
    let replay = c.payments().create(&monthly, Some(&month_1)).await.unwrap();
    assert_eq!(
        first.payment_id, replay.payment_id,
        "the same key gives the same payment"
    );
    let changed = CreatePayment::agreement(600, "M1", "Monthly", aid.clone());
    assert_eq!(
        pay_code(
            &c.payments()
                .create(&changed, Some(&month_1))
                .await
                .unwrap_err()
        ),
        Some(PayCode::P0191)
    );
    let found = c
        .payments()
        .search(&PaymentSearch {
            agreement_id: Some(aid.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 1);

    let page = c
        .agreements()
        .search(&AgreementSearch {
            status: Some(AgreementStatus::Active),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    c.agreements().cancel(&aid).await.unwrap();
    assert_eq!(
        pay_code(&c.agreements().cancel(&aid).await.unwrap_err()),
        Some(PayCode::P2501)
    );
    let unknown = AgreementId::from_trusted("d".repeat(26));
    assert_eq!(
        pay_code(&c.agreements().get(&unknown).await.unwrap_err()),
        Some(PayCode::P2200)
    );
    assert_eq!(
        pay_code(&c.agreements().cancel(&unknown).await.unwrap_err()),
        Some(PayCode::P2500)
    );
}

#[tokio::test]
async fn disputes_search_reads_the_links_key() {
    let sim = sim().await;
    let c = client(&sim, STRIPE_KEY);
    let p = c
        .payments()
        .create(
            &CreatePayment::web(5000, "D", "D", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    sim.control()
        .complete_payment(p.payment_id.as_str(), "4000000000000259")
        .unwrap();
    let page = c
        .disputes()
        .search(&DisputeSearch {
            status: Some(DisputeStatus::NeedsResponse),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert!(
        page.links.self_.is_some(),
        "paging links are read from `links`"
    );
    assert_eq!(page.results[0].payment_id, p.payment_id);
    let err = c
        .payments()
        .refund(
            &p.payment_id,
            &CreateRefund {
                amount: 100,
                refund_amount_available: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(pay_code(&err), Some(PayCode::P0603));
    let all = c
        .disputes()
        .search_all(&DisputeSearch::default())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn search_all_pages_through_a_seeded_history_in_order() {
    let sim = sim_with(|cfg| {
        cfg.seeds = vec![SeedSpec {
            account: 1,
            payments: 1234,
            seed: 3,
            days: 200,
        }]
    })
    .await;
    let c = client(&sim, KEY);
    let mut pages = c.payments().search_all(&PaymentSearch::default());
    let mut seen = 0;
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert_eq!(page.total, 1234);
        seen += page.items.len();
        count += 1;
    }
    assert_eq!((seen, count), (1234, 3), "500 a page by default");
    let failed = c
        .payments()
        .search(&PaymentSearch {
            state: Some(SearchState::Failed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        failed.total > 0
            && failed
                .results
                .iter()
                .all(|p| p.state.status == PaymentStatus::Failed)
    );
}

#[tokio::test]
async fn gets_are_retried_through_5xx_and_429() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = paid(&c, &sim, 1000).await;
    sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments/{payment_id}".into(),
        fail_next: 2,
        rate_limit_next: 1,
        ..Fault::default()
    }]);
    let p = c.payments().get(&id).await.unwrap();
    assert_eq!(p.state.status, PaymentStatus::Success);
    let stats = c.stats();
    assert_eq!(stats.retries, 3);
    assert_eq!(stats.rate_limited, 1);
}

#[tokio::test]
async fn a_refund_answered_429_is_sent_again_but_a_500_is_not() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = paid(&c, &sim, 1000).await;
    let route = "POST /v1/payments/{payment_id}/refunds";
    sim.control().set_faults(vec![Fault {
        route: route.into(),
        rate_limit_next: 1,
        ..Fault::default()
    }]);
    c.payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 100,
                refund_amount_available: Some(1000),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        sim.control().payment(id.as_str()).unwrap().refunds,
        1,
        "exactly one refund"
    );
    sim.control().set_faults(vec![Fault {
        route: route.into(),
        fail_next: 1,
        ..Fault::default()
    }]);
    let before = c.stats().requests;
    let err = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 100,
                refund_amount_available: Some(900),
            },
        )
        .await
        .unwrap_err();
    // GOV.UK Pay's own guidance for P0698 is to check before trying again:
    // the outcome is unknown, and the client does not send it again.
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(
        c.stats().requests - before,
        1,
        "a refund answered 500 is not repeated"
    );
}

#[tokio::test]
async fn a_proxy_error_or_an_unreadable_answer_to_a_change_is_an_unknown_outcome() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = paid(&c, &sim, 1000).await;
    // A proxy's 504 after GOV.UK Pay made the refund.
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        proxy_error_after_commit: 1,
        proxy_status: 504,
        ..Fault::default()
    }]);
    let before = c.stats().requests;
    let err = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 100,
                refund_amount_available: Some(1000),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(c.stats().requests - before, 1, "sent once");
    assert_eq!(sim.control().payment(id.as_str()).unwrap().refunds, 1);
    // A 502 on cancel, likewise: the cancel was made.
    let open = c
        .payments()
        .create(&CreatePayment::moto(500, "C", "D"), None)
        .await
        .unwrap();
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/cancel".into(),
        proxy_error_after_commit: 1,
        proxy_status: 502,
        ..Fault::default()
    }]);
    let err = c.payments().cancel(&open.payment_id).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(
        sim.control()
            .payment(open.payment_id.as_str())
            .unwrap()
            .status,
        "cancelled"
    );
    // A GET answered by a proxy's 503 is only a failed read: retried, and
    // never an unknown outcome.
    sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments/{payment_id}".into(),
        proxy_error_after_commit: 1,
        proxy_status: 503,
        ..Fault::default()
    }]);
    let read = c.payments().get(&id).await.unwrap();
    assert_eq!(read.refund_summary.unwrap().amount_available, 900);
}

#[tokio::test]
async fn a_dropped_connection_after_sending_is_an_unknown_outcome_never_repeated() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let id = paid(&c, &sim, 1000).await;
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let before = c.stats().requests;
    let err = c
        .payments()
        .refund(
            &id,
            &CreateRefund {
                amount: 300,
                refund_amount_available: Some(1000),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "refund",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(c.stats().requests - before, 1, "not sent again");
    // It was in fact done: reading the payment tells.
    assert_eq!(
        c.payments()
            .get(&id)
            .await
            .unwrap()
            .refund_summary
            .unwrap()
            .amount_submitted,
        300
    );
}

#[tokio::test]
async fn a_timeout_after_sending_is_an_unknown_outcome() {
    let sim = sim().await;
    let c = Client::builder(ApiKey::new(KEY).unwrap())
        .base_url(sim.base_url())
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let p = c
        .payments()
        .create(
            &CreatePayment::web(100, "R", "D", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/cancel".into(),
        hang_after_commit: 1,
        ..Fault::default()
    }]);
    let err = c.payments().cancel(&p.payment_id).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "cancellation",
                ..
            }
        ),
        "{err:?}"
    );
    sim.control().clear_faults();
    assert_eq!(
        c.payments().get(&p.payment_id).await.unwrap().state.status,
        PaymentStatus::Cancelled
    );
}

#[tokio::test]
async fn an_unreadable_created_answer_is_an_unknown_outcome_naming_the_payment() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments".into(),
        garble_after_commit: 1,
        ..Fault::default()
    }]);
    let before = c.stats().requests;
    let err = c
        .payments()
        .create(&CreatePayment::moto(2500, "LOST-BODY", "By phone"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "payment creation",
                location: Some(_)
            }
        ),
        "made, but its answer could not be read: {err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(c.stats().requests - before, 1, "not sent again");
    // The Location names the payment GOV.UK Pay made: read it back by that.
    let id = err
        .unknown_payment_id()
        .expect("the Location names the payment");
    let made = c.payments().get(&id).await.unwrap();
    assert_eq!((made.amount, made.reference.as_str()), (2500, "LOST-BODY"));
}

#[tokio::test]
async fn a_read_gives_up_by_its_deadline_not_after_every_retry() {
    let sim = sim().await;
    let quick = |deadline: Option<Duration>| {
        let b = Client::builder(ApiKey::new(KEY).unwrap())
            .base_url(sim.base_url())
            .timeout(Duration::from_millis(500));
        match deadline {
            Some(d) => b.deadline(d),
            None => b,
        }
        .build()
        .unwrap()
    };
    let c = quick(None);
    let id = paid(&c, &sim, 1000).await;
    sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments/{payment_id}".into(),
        hang_after_commit: 10,
        ..Fault::default()
    }]);
    let started = std::time::Instant::now();
    let err = c.payments().get(&id).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    // Two tries' timeout by default: four tries took 5.7 s before.
    assert!(took < Duration::from_millis(1500), "{took:?}");
    // A deadline that allows the retries still gets through a passing fault.
    sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments/{payment_id}".into(),
        fail_next: 2,
        ..Fault::default()
    }]);
    let c = quick(Some(Duration::from_secs(10)));
    assert_eq!(c.payments().get(&id).await.unwrap().amount, 1000);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn an_idempotency_key_is_refused_where_gov_uk_pay_would_ignore_it() {
    let sim = sim().await;
    let c = client(&sim, KEY);
    let key = IdempotencyKey::new("call-123").unwrap();
    for request in [
        CreatePayment::web(100, "R", "D", "https://x.example/r"),
        CreatePayment::moto(100, "R", "D"),
    ] {
        let err = c.payments().create(&request, Some(&key)).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    field: "Idempotency-Key",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(c.stats().requests, 0, "nothing was sent");
}

#[tokio::test]
async fn nothing_listening_is_a_network_error_even_for_a_post() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::builder(ApiKey::new(KEY).unwrap())
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy {
            get_attempts: 2,
            base_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = c
        .payments()
        .create(
            &CreatePayment::web(100, "R", "D", "https://x.example/r"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Network(_)),
        "not connected, so certainly not done: {err:?}"
    );
}

#[tokio::test]
async fn a_sync_sized_paging_run_never_meets_a_429() {
    // The real limits on the simulator, the real limits in the client, and pages
    // small enough that an unlimited client would send well over 75 a second.
    let sim = sim_with(|cfg| {
        cfg.rate_limits = Some(govpay_sim::RateLimits::default());
        cfg.seeds = vec![SeedSpec {
            account: 1,
            payments: 12_000,
            seed: 5,
            days: 100,
        }];
    })
    .await;
    let c = Client::builder(ApiKey::new(KEY).unwrap())
        .base_url(sim.base_url())
        .rate_limits(RateLimits::default())
        .build()
        .unwrap();
    let search = PaymentSearch {
        paging: Paging {
            page: None,
            display_size: Some(100),
        },
        ..Default::default()
    };
    let all = c
        .payments()
        .search_all(&search)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 12_000);
    let stats = c.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    assert_eq!(stats.requests, 120);
}
