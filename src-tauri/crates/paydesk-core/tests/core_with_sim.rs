//! paydesk-core against a real simulator, real SQLite files and the real keyring.
//! `make test` runs these in a D-Bus session with an unlocked gnome-keyring.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use govpay::requests::CreatePayment;
use govpay_sim::{Account, Fault, PaymentProvider, SeedSpec, SimConfig, Simulator};
use paydesk_core::audit::{AuditQuery, Phase};
use paydesk_core::lookup::{PaymentQuery, SortBy};
use paydesk_core::services::{Environment, NewService, SecretText};
use paydesk_core::sync::SyncCancel;
use paydesk_core::{ClientOptions, Core, CoreError, OsKeyStore, Role};

const KEY: &str = "api_test_core_key";

struct Setup {
    sim: Simulator,
    core: Core,
    service: String,
    dir: tempfile::TempDir,
    app_id: String,
}

async fn setup(role: Role, tweak: impl FnOnce(&mut SimConfig)) -> Setup {
    let mut account = Account::sandbox(KEY);
    account.provider = PaymentProvider::Stripe;
    let mut config = SimConfig {
        accounts: vec![account],
        ..SimConfig::default()
    };
    tweak(&mut config);
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_id = format!("paydesk-test-{}", uuid::Uuid::new_v4());
    let core = Core::open(dir.path(), Arc::new(OsKeyStore::new(&app_id)))
        .await
        .unwrap();
    core.set_operator("Sam Tester").await.unwrap();
    core.set_client_options(ClientOptions {
        timeout: Duration::from_secs(2),
        retry: govpay::RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..Default::default()
        },
        ..ClientOptions::default()
    });
    let key = sim.accounts()[0].api_key.clone();
    let live = sim.accounts()[0].live;
    let service = core
        .services_add(NewService {
            name: "Parking".into(),
            base_url: Some(sim.base_url().into()),
            environment: if live {
                Environment::Live
            } else {
                Environment::Test
            },
            role,
            api_key: SecretText::new(key),
        })
        .await
        .unwrap()
        .id;
    Setup {
        sim,
        core,
        service,
        dir,
        app_id,
    }
}

/// A GOV.UK Pay client on the simulator's account, for a test's own calls.
fn sim_client(s: &Setup) -> govpay::Client {
    govpay::Client::builder(govpay::ApiKey::new(s.sim.accounts()[0].api_key.clone()).unwrap())
        .base_url(s.sim.base_url())
        .build()
        .unwrap()
}

async fn paid(s: &Setup, amount: i64) -> String {
    let client = sim_client(s);
    let p = client
        .payments()
        .create(
            &CreatePayment::web(amount, "REF-1", "Parking permit", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    s.sim
        .control()
        .complete_payment(p.payment_id.as_str(), "4444333322221111")
        .unwrap();
    p.payment_id.to_string()
}

/// A supervisor's service over one simulated account holding `payments`
/// generated payments (from `seed`) spread over the last `days`.
/// The refund's answer is lost by `refund_fault`, and the payment's refunds
/// cannot be read for a while after (the one read before sending passes): the
/// outcome stays unknown until the faults are cleared.
fn lose_refund_answer(s: &Setup, refund_fault: Fault) {
    s.sim.control().set_faults(vec![
        Fault {
            route: "POST /v1/payments/{payment_id}/refunds".into(),
            ..refund_fault
        },
        Fault {
            route: "GET /v1/payments/{payment_id}/refunds".into(),
            after: 1,
            fail_next: 10,
            ..Fault::default()
        },
    ]);
}

async fn seeded(payments: usize, seed: u64, days: i64) -> Setup {
    setup(Role::Supervisor, |c| {
        c.seeds = vec![SeedSpec {
            account: 1,
            payments,
            seed,
            days,
        }]
    })
    .await
}

/// How many different payments the cache holds, and how many rows.
async fn payment_rows(s: &Setup) -> (i64, i64) {
    sqlx::query_as("SELECT count(DISTINCT payment_id), count(*) FROM payments")
        .fetch_one(s.core.pool())
        .await
        .unwrap()
}

/// Whether any search index is still set aside by a bulk load.
async fn indexes_aside(s: &Setup) -> bool {
    let mut conn = s.core.pool().acquire().await.unwrap();
    paydesk_core::store::sqlite::bulk::aside(&mut conn)
        .await
        .unwrap()
}

fn no_progress() -> impl Fn(paydesk_core::sync::SyncProgress) + Send + Sync {
    |_| {}
}

#[tokio::test]
async fn a_full_sync_fills_the_cache_and_the_next_one_costs_a_handful_of_requests() {
    let s = seeded(2_500, 4, 120).await;
    let first = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert_eq!(first.payments, 2_500);
    assert!(
        first.refunds > 0 && first.disputes > 0 && first.agreements > 0,
        "{first:?}"
    );
    let status = s.core.sync_status(&s.service).await.unwrap();
    assert_eq!(status.cached_payments, 2_500);
    assert!(status.last_synced_ms.is_some() && !status.interrupted);

    let again = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert!(
        again.requests <= 8,
        "an incremental sync with nothing new: {again:?}"
    );
    assert_eq!(
        s.core
            .sync_status(&s.service)
            .await
            .unwrap()
            .cached_payments,
        2_500,
        "nothing duplicated"
    );

    // A new payment appears in the next incremental sync.
    paid(&s, 999).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert_eq!(
        s.core
            .sync_status(&s.service)
            .await
            .unwrap()
            .cached_payments,
        2_501
    );
}

#[tokio::test]
async fn the_cache_answers_every_filter() {
    let s = seeded(1_000, 8, 60).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let pool = s.core.pool();
    let all = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                page_size: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 1_000);
    let newest = &all.rows[0];

    let r = find(
        &s,
        PaymentQuery {
            text: Some(newest.payment_id.to_uppercase()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.rows.len(), 1, "a payment ID in the search box");
    let r = find(
        &s,
        PaymentQuery {
            text: Some(newest.reference.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.rows.iter().any(|p| p.payment_id == newest.payment_id),
        "a reference in the search box"
    );
    let r = find(
        &s,
        PaymentQuery {
            reference: Some(newest.reference.to_lowercase()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        r.rows[0].payment_id, newest.payment_id,
        "reference filter ignores case"
    );
    let r = find(
        &s,
        PaymentQuery {
            last4: Some("1111".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0 && r.rows.iter().all(|p| p.last4.as_deref() == Some("1111")));
    let r = find(
        &s,
        PaymentQuery {
            text: Some("1111".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0, "last four digits in the search box");
    let r = find(
        &s,
        PaymentQuery {
            state: Some("failed".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0 && r.rows.iter().all(|p| p.status == "failed"));
    let r = find(
        &s,
        PaymentQuery {
            card_brand: Some("Mastercard".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.total > 0
            && r.rows
                .iter()
                .all(|p| p.card_brand.as_deref() == Some("Mastercard"))
    );
    let holder = all_with_holder(&s).await;
    let first_name = holder.split(' ').next().unwrap().to_owned();
    let r = find(
        &s,
        PaymentQuery {
            text: Some(first_name.to_lowercase()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.total > 0
            && r.rows.iter().all(|p| p
                .cardholder_name
                .as_deref()
                .unwrap_or("")
                .contains(&first_name)
                || p.email
                    .as_deref()
                    .unwrap_or("")
                    .contains(&first_name.to_lowercase()))
    );
    // A word in the search box: the count agrees with the word index itself.
    let r = find(
        &s,
        PaymentQuery {
            text: Some("parking".into()),
            ..Default::default()
        },
    )
    .await;
    let words: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH '\"parking\"*'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(words > 0);
    assert_eq!(i64::from(r.total), words.min(5000));
    // The word index, and without words the b-tree indexes, give the same pages
    // in the same order as sorting every match in SQL (all of them: there are
    // fewer than the 5,000 the count stops at).
    assert!(words < 5000);
    let by_word = || PaymentQuery {
        text: Some("parking".into()),
        ..Default::default()
    };
    let by_state = || PaymentQuery {
        state: Some("success".into()),
        ..Default::default()
    };
    let word_sql =
        "rowid IN (SELECT rowid FROM payments_fts WHERE payments_fts MATCH '\"parking\"*')";
    let state_sql = "status = 'success'";
    for (base, filter, sort, page, ascending) in [
        (by_word(), word_sql, SortBy::Date, 1, false),
        (by_word(), word_sql, SortBy::Date, 2, false),
        (by_word(), word_sql, SortBy::Date, 1, true),
        (by_word(), word_sql, SortBy::Amount, 1, false),
        (by_word(), word_sql, SortBy::Amount, 3, true),
        (by_word(), word_sql, SortBy::Reference, 2, false),
        (by_word(), word_sql, SortBy::Reference, 1, true),
        (by_state(), state_sql, SortBy::Amount, 1, false),
        (by_state(), state_sql, SortBy::Amount, 2, true),
        (by_state(), state_sql, SortBy::Reference, 1, false),
    ] {
        let r = find(
            &s,
            PaymentQuery {
                page,
                sort,
                ascending,
                ..base
            },
        )
        .await;
        let direction = if ascending { "ASC" } else { "DESC" };
        let order = match sort {
            SortBy::Date => format!("created_ms {direction}, payment_id"),
            // Ties in amount or reference: newest first (rowids run newest first).
            SortBy::Amount => format!("amount {direction}, rowid"),
            SortBy::Reference => format!("reference COLLATE NOCASE {direction}, rowid"),
        };
        let sorted: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT payment_id FROM payments WHERE {filter} ORDER BY {order} LIMIT 20 OFFSET {}",
            (page - 1) * 20
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert!(!got.is_empty());
        // Payments in one millisecond may come in either order; none here share one.
        assert_eq!(
            got, sorted,
            "{filter}: {sort:?} page {page}, ascending {ascending}"
        );
    }
    // The first six with the last four: the count and the newest.
    let (first6, last4): (String, String) = sqlx::query_as(
        "SELECT first6, last4 FROM payments WHERE first6 IS NOT NULL ORDER BY rowid LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let r = find(
        &s,
        PaymentQuery {
            first6: Some(first6.clone()),
            last4: Some(last4.clone()),
            ..Default::default()
        },
    )
    .await;
    let (card_count, newest_of_card): (i64, String) = sqlx::query_as(
        "SELECT count(*), (SELECT payment_id FROM payments WHERE first6 = ?1 AND last4 = ?2
            ORDER BY created_ms DESC LIMIT 1) FROM payments WHERE first6 = ?1 AND last4 = ?2",
    )
    .bind(&first6)
    .bind(&last4)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(i64::from(r.total), card_count);
    assert_eq!(r.rows[0].payment_id, newest_of_card);
    // Part of a name or an email: the count agrees with a plain scan, the rows match.
    for (part, column) in [
        (first_name[1..4].to_lowercase(), "cardholder_name"),
        ("xample.or".to_owned(), "email"),
    ] {
        let q = if column == "email" {
            PaymentQuery {
                email: Some(part.clone()),
                ..Default::default()
            }
        } else {
            PaymentQuery {
                cardholder_name: Some(part.clone()),
                ..Default::default()
            }
        };
        let r = find(&s, q).await;
        let sql = if column == "email" {
            "SELECT count(*) FROM payments WHERE email LIKE ?1"
        } else {
            "SELECT count(*) FROM payments WHERE cardholder_name LIKE ?1"
        };
        let scanned: i64 = sqlx::query_scalar(sql)
            .bind(format!("%{part}%"))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(i64::from(r.total), scanned.min(5000), "{column} ~ {part}");
        assert!(r.total > 0);
        // The page is the newest matches, in date order.
        let newest: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT payment_id FROM payments WHERE {column} LIKE ?1 ORDER BY created_ms DESC, rowid LIMIT 20"
        )))
        .bind(format!("%{part}%"))
        .fetch_all(pool)
        .await
        .unwrap();
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert_eq!(got, newest, "{column} ~ {part}");
        assert!(r.rows.iter().all(|p| {
            let v = if column == "email" {
                p.email.clone()
            } else {
                p.cardholder_name.clone()
            };
            v.unwrap_or_default().to_lowercase().contains(&part)
        }));
    }
    let case_ref: String =
        sqlx::query_scalar("SELECT value FROM payment_metadata WHERE key = 'case_ref' LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let r = find(
        &s,
        PaymentQuery {
            metadata_value: Some(case_ref.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total >= 1, "metadata value {case_ref}");
    let r = find(
        &s,
        PaymentQuery {
            text: Some(case_ref.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total >= 1, "metadata values are in the full-text index");
    let cutoff = paydesk_core::clock::api_time_ms(&newest.created_date).unwrap();
    let r = find(
        &s,
        PaymentQuery {
            from_ms: Some(cutoff),
            ..Default::default()
        },
    )
    .await;
    assert!(r.rows.iter().all(|p| p.created_date >= newest.created_date));
    let err = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                last4: Some("12".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "last4"),
        "{err:?}"
    );

    // A second service on this desktop holding the same payments (another
    // team's view of the account): each service's searches find its own only.
    let holder = all_with_holder(&s).await;
    let email: String =
        sqlx::query_scalar("SELECT email FROM payments WHERE email IS NOT NULL LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let text = |t: &str| PaymentQuery {
        text: Some(t.to_owned()),
        ..Default::default()
    };
    let queries = [
        text("parking"),
        text(&holder),
        text(&holder[..3]),
        PaymentQuery {
            state: Some("success".into()),
            ..text("parking")
        },
        PaymentQuery {
            cardholder_name: Some(holder[1..5].to_owned()),
            ..Default::default()
        },
        PaymentQuery {
            email: Some(email[1..6].to_owned()),
            ..Default::default()
        },
    ];
    let mut alone = Vec::new();
    for q in &queries {
        alone.push(find(&s, q.clone()).await);
    }
    let second = add_same_account(&s.core, &s, "Parking, second team").await;
    s.core
        .sync_service(&second, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let ids = |r: &paydesk_core::lookup::PaymentResults| {
        r.rows
            .iter()
            .map(|p| p.payment_id.clone())
            .collect::<Vec<_>>()
    };
    for (q, before) in queries.iter().zip(&alone) {
        assert!(before.total > 0, "{q:?}");
        let first = find(&s, q.clone()).await;
        let other = s.core.payments_search(&second, q).await.unwrap();
        assert_eq!(first.total, before.total, "{q:?}");
        assert_eq!(ids(&first), ids(before), "{q:?}");
        assert_eq!(other.total, before.total, "{q:?}");
        assert_eq!(ids(&other), ids(before), "{q:?}");
    }
}

async fn find(s: &Setup, q: PaymentQuery) -> paydesk_core::lookup::PaymentResults {
    s.core.payments_search(&s.service, &q).await.unwrap()
}

async fn all_with_holder(s: &Setup) -> String {
    sqlx::query_scalar(
        // A first name of four letters or more, so part of it can reach the trigram index.
        "SELECT cardholder_name FROM payments WHERE cardholder_name LIKE '____% %' LIMIT 1",
    )
    .fetch_one(s.core.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn two_refunds_of_the_same_payment_at_once_make_exactly_one() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 1000).await;
    let (a, b) = tokio::join!(
        s.core.refund(&s.service, &pid, 400, 1000),
        s.core.refund(&s.service, &pid, 400, 1000)
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
        .refund(&s.service, &pid, 400, 1000)
        .await
        .unwrap_err();
    elsewhere.await.unwrap();
    assert!(
        matches!(
            err,
            CoreError::Conflict {
                pay_code: Some("P0604"),
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
    let done = s.core.refund(&s.service, &pid, 250, 1000).await.unwrap();
    assert!(done.reconciled);
    assert_eq!(done.available_after, 750);
    assert_eq!(
        s.sim.control().payment(&pid).unwrap().refunds,
        1,
        "not sent twice"
    );
    let trail = s
        .core
        .store()
        .audit_list(&AuditQuery {
            payment_id: Some(pid.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
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
        .refund(&s.service, &pid, 500, 1000)
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
    let trail = s
        .core
        .store()
        .audit_list(&paydesk_core::audit::AuditQuery {
            payment_id: Some(pid.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
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
    s.core.refund(&s.service, &other, 400, 400).await.unwrap();
    let err = s.core.refund(&s.service, &other, 100, 0).await.unwrap_err();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: None, .. }),
        "{err:?}"
    );
    let trail = s
        .core
        .store()
        .audit_list(&paydesk_core::audit::AuditQuery {
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
    s.core.refund(&s.service, &pid, 500, 700).await.unwrap();
}

#[tokio::test]
async fn cancel_and_capture_only_when_gov_uk_pay_offers_them() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let client = sim_client(&s);
    let created = client
        .payments()
        .create(
            &CreatePayment::web(500, "C", "D", "https://x.example/r"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        s.core
            .cancel(&s.service, created.payment_id.as_str())
            .await
            .unwrap()
            .status,
        "cancelled"
    );
    let again = s
        .core
        .cancel(&s.service, created.payment_id.as_str())
        .await
        .unwrap_err();
    // Refused by Paydesk before sending: no GOV.UK Pay code, as it said nothing.
    assert!(
        matches!(again, CoreError::Conflict { pay_code: None, .. }),
        "{again:?}"
    );
    let mut held = CreatePayment::web(700, "H", "D", "https://x.example/r");
    held.delayed_capture = Some(true);
    let held = client.payments().create(&held, None).await.unwrap();
    let early = s
        .core
        .capture(&s.service, held.payment_id.as_str())
        .await
        .unwrap_err();
    assert!(
        matches!(early, CoreError::Conflict { pay_code: None, .. }),
        "{early:?}"
    );
    s.sim
        .control()
        .complete_payment(held.payment_id.as_str(), "4242424242424242")
        .unwrap();
    assert_eq!(
        s.core
            .capture(&s.service, held.payment_id.as_str())
            .await
            .unwrap()
            .status,
        "success"
    );
}

#[tokio::test]
async fn roles_are_enforced_in_the_core_before_anything_is_sent() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 1000).await;
    let err = s
        .core
        .refund(&s.service, &pid, 100, 1000)
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

#[tokio::test]
async fn the_audit_chain_shows_an_altered_or_removed_row() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core.refund(&s.service, &pid, 100, 1000).await.unwrap();
    s.core.refund(&s.service, &pid, 100, 900).await.unwrap();
    let ok = s.core.audit_verify().await.unwrap();
    // The staff name being set, then two refunds of two rows each.
    assert!(ok.intact && ok.rows == 5, "{ok:?}");
    // The trail refuses changes through SQL...
    let refused = sqlx::query("UPDATE audit_log SET amount = 1 WHERE seq = 2")
        .execute(s.core.pool())
        .await;
    assert!(refused.is_err());
    // ...so a tamperer removes the guard first and edits the file's rows.
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(s.core.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET amount = 10000 WHERE seq = 2")
        .execute(s.core.pool())
        .await
        .unwrap();
    let bad = s.core.audit_verify().await.unwrap();
    assert!(!bad.intact);
    assert_eq!(bad.broken_at, Some(2));
    assert!(
        bad.summary.contains("Row 2 has been changed"),
        "{}",
        bad.summary
    );

    let s2 = setup(Role::Supervisor, |_| {}).await;
    let pid2 = paid(&s2, 1000).await;
    s2.core.refund(&s2.service, &pid2, 100, 1000).await.unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(s2.core.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        .execute(s2.core.pool())
        .await
        .unwrap();
    let cut = s2.core.audit_verify().await.unwrap();
    assert!(!cut.intact && cut.summary.contains("removed"), "{cut:?}");
}

/// The unkeyed hash a tamperer without the keyring could compute: SHA-256
/// over the same length-prefixed fields the record uses.
fn rehash_without_the_key(prev: &str, fields: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields.iter().map(String::as_str).chain([prev]) {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

#[tokio::test]
async fn the_audit_record_resists_a_rewrite_by_someone_with_only_the_file() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core.refund(&s.service, &pid, 100, 1000).await.unwrap();
    assert!(s.core.audit_verify().await.unwrap().intact);
    let pool = s.core.pool();
    for sql in [
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    // Edit the refund's amount, then re-chain every row from there on so
    // each row's prev_hash and hash agree, as a careful tamperer would.
    sqlx::query("UPDATE audit_log SET amount = 10000 WHERE action = 'refund'")
        .execute(pool)
        .await
        .unwrap();
    // Every field as text, in the order the record hashes them.
    let rows = sqlx::query(
        "SELECT CAST(seq AS TEXT), at, operator, service_id, service_name, action, phase, \
         coalesce(CAST(attempt_seq AS TEXT), ''), coalesce(payment_id, ''), coalesce(target_id, ''), \
         coalesce(CAST(amount AS TEXT), ''), coalesce(pay_code, ''), detail \
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut prev = "0".repeat(64);
    for r in &rows {
        use sqlx::Row;
        let fields: Vec<String> = (0..13).map(|i| r.get::<String, _>(i)).collect();
        let hash = rehash_without_the_key(&prev, &fields);
        sqlx::query("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")
            .bind(&prev)
            .bind(&hash)
            .bind(fields[0].parse::<i64>().unwrap())
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
    let rewritten = s.core.audit_verify().await.unwrap();
    assert!(!rewritten.intact, "{rewritten:?}");
    assert_eq!(rewritten.broken_at, Some(1), "{rewritten:?}");

    // Wiping the table is no escape: the keyring remembers where it ended.
    sqlx::query("DELETE FROM audit_log")
        .execute(pool)
        .await
        .unwrap();
    let wiped = s.core.audit_verify().await.unwrap();
    assert!(!wiped.intact, "{wiped:?}");
    assert!(wiped.summary.contains("removed"), "{}", wiped.summary);

    // Nor is a new database file in the same folder.
    s.core.close().await;
    drop(s.core);
    for name in ["paydesk.db", "paydesk.db-wal", "paydesk.db-shm"] {
        let _ = std::fs::remove_file(s.dir.path().join(name));
    }
    let fresh = Core::open(s.dir.path(), Arc::new(OsKeyStore::new(&s.app_id)))
        .await
        .unwrap();
    fresh.set_operator("Sam Tester").await.unwrap();
    let started_again = fresh.audit_verify().await.unwrap();
    assert!(!started_again.intact, "{started_again:?}");
    assert!(
        started_again.summary.contains("removed"),
        "{}",
        started_again.summary
    );
}

#[tokio::test]
async fn a_role_changed_in_the_file_grants_nothing() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // What a call-centre agent might try with a database tool.
    sqlx::query("UPDATE services SET role = 'supervisor'")
        .execute(s.core.pool())
        .await
        .unwrap();
    let err = s
        .core
        .refund(&s.service, &pid, 100, 1000)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Forbidden(m) if m.contains("changed outside Paydesk")),
        "{err:?}"
    );
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 0);
    let listed = s.core.services_list().await.unwrap();
    let parking = listed.iter().find(|v| v.id == s.service).unwrap();
    assert!(parking.permissions.is_empty(), "{parking:?}");
    assert!(
        parking.role_label.contains("outside Paydesk"),
        "{parking:?}"
    );

    // Pointing the service (and its key) at another address is caught too.
    sqlx::query("UPDATE services SET role = 'call_centre', base_url = 'http://127.0.0.1:9'")
        .execute(s.core.pool())
        .await
        .unwrap();
    assert!(matches!(
        s.core.service(&s.service).await.unwrap_err(),
        CoreError::Forbidden(_)
    ));
    // Put back exactly as it was, the service works again.
    sqlx::query("UPDATE services SET base_url = ?1")
        .bind(s.sim.base_url())
        .execute(s.core.pool())
        .await
        .unwrap();
    assert_eq!(
        s.core.service(&s.service).await.unwrap().role,
        Role::CallCentre
    );
}

#[tokio::test]
async fn a_storm_of_429s_slows_a_sync_but_loses_nothing() {
    let s = seeded(1_200, 6, 30).await;
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        rate_limit_next: 3,
        ..Fault::default()
    }]);
    let report = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert_eq!(report.payments, 1_200);
    assert_eq!(
        s.core
            .sync_status(&s.service)
            .await
            .unwrap()
            .cached_payments,
        1_200
    );
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_resumes_with_nothing_lost_or_doubled() {
    let s = seeded(6_000, 2, 20).await;
    // Slow pages, so the child is surely part-way when it is killed (a
    // window's pages are asked for 4 at once, and each half-read window
    // stays so for a page's wait: long enough to be seen on a busy machine).
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 2_000,
        ..Fault::default()
    }]);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target"));
    let child_bin = target.join("debug/examples/sync_child");
    assert!(
        child_bin.exists(),
        "{} is built by cargo test",
        child_bin.display()
    );
    // The child expects 6,000 payments: over this, it loads with the search
    // indexes aside, so the kill also lands in the middle of a bulk load.
    let mut child = Command::new(&child_bin)
        .env("PAYDESK_TEST_DATA", s.dir.path())
        .env("PAYDESK_TEST_APP_ID", &s.app_id)
        .env("PAYDESK_TEST_SERVICE", &s.service)
        .env("PAYDESK_TEST_BULK_FROM", "1000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT next_page FROM sync_state WHERE resource = 'payments'")
                .fetch_optional(s.core.pool())
                .await
                .unwrap()
                .flatten();
        // A window half-read: the kill lands in the middle of the load.
        if next.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the child never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child finished before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let part = s.core.sync_status(&s.service).await.unwrap();
    assert!(
        part.interrupted && part.cached_payments > 0 && part.cached_payments < 6_000,
        "{part:?}"
    );
    let mut conn = s.core.pool().acquire().await.unwrap();
    assert!(
        paydesk_core::store::sqlite::bulk::aside(&mut conn)
            .await
            .unwrap(),
        "the child was loading with the indexes aside"
    );
    // Searching still works while they are aside: words are matched on each row.
    let (payment_id, reference): (String, String) = sqlx::query_as(
        "SELECT payment_id, reference FROM payments ORDER BY created_ms DESC LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let by_reference = PaymentQuery {
        text: Some(reference),
        ..Default::default()
    };
    let aside = find(&s, by_reference.clone()).await;
    assert!(
        aside.rows.iter().any(|r| r.payment_id == payment_id),
        "{aside:?}"
    );

    s.sim.control().clear_faults();
    let progress = std::sync::Mutex::new(Vec::new());
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &|p| {
            progress.lock().unwrap().extend(p.message)
        })
        .await
        .unwrap();
    let after = s.core.sync_status(&s.service).await.unwrap();
    assert_eq!(after.cached_payments, 6_000);
    assert!(!after.interrupted);
    // The resumed run built the indexes back, and said so.
    assert!(
        !paydesk_core::store::sqlite::bulk::aside(&mut conn)
            .await
            .unwrap()
    );
    assert!(
        progress
            .lock()
            .unwrap()
            .iter()
            .any(|m| m == "Building the search indexes")
    );
    for table in ["payments_fts", "payments_trigram"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({table}) VALUES ('integrity-check')"
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let indexed = find(&s, by_reference).await;
    assert!(
        indexed.rows.iter().any(|r| r.payment_id == payment_id),
        "{indexed:?}"
    );
}

/// Another desktop's cache of the same simulator account.
async fn second_core(s: &Setup, dir: &Path) -> (Core, String) {
    let core = Core::open(dir, Arc::new(OsKeyStore::new(&s.app_id)))
        .await
        .unwrap();
    let service = add_same_account(&core, s, "Parking again").await;
    (core, service)
}

/// Another supervisor's service on the simulator account `s` uses, in `core`.
async fn add_same_account(core: &Core, s: &Setup, name: &str) -> String {
    core.services_add(NewService {
        name: name.into(),
        base_url: Some(s.sim.base_url().into()),
        environment: Environment::Test,
        role: Role::Supervisor,
        api_key: SecretText::new(s.sim.accounts()[0].api_key.clone()),
    })
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn a_bulk_loaded_cache_answers_every_search_as_a_row_by_row_one_does() {
    let s = seeded(3_000, 21, 90).await;
    // s.core loads row by row; the other one sets the indexes aside from 1,000.
    s.core.set_bulk_load_from(u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    let (bulk, bulk_service) = second_core(&s, dir.path()).await;
    bulk.set_bulk_load_from(1_000);
    // The messages seen, with how many items were in when each came.
    let messages = |core: Core, service: String| async move {
        let seen = std::sync::Mutex::new(Vec::new());
        let report = core
            .sync_service(&service, &SyncCancel::default(), &|p| {
                seen.lock().unwrap().extend(p.message.map(|m| (m, p.items)))
            })
            .await
            .unwrap();
        assert_eq!(report.payments, 3_000);
        assert!(report.refunds > 0 && report.disputes > 0, "{report:?}");
        (seen.into_inner().unwrap(), report.agreements)
    };
    let (row_by_row, agreements) = messages(s.core.clone(), s.service.clone()).await;
    // A bulk load brings the same agreements as a row-by-row one.
    let (loaded, loaded_agreements) = messages(bulk.clone(), bulk_service.clone()).await;
    assert!(agreements > 0);
    assert_eq!(loaded_agreements, agreements);
    let agreement_ids = |pool: sqlx::SqlitePool| async move {
        sqlx::query_scalar::<_, String>("SELECT agreement_id FROM agreements ORDER BY agreement_id")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    let cached = agreement_ids(s.core.pool().clone()).await;
    assert_eq!(cached.len() as u64, agreements);
    assert_eq!(agreement_ids(bulk.pool().clone()).await, cached);
    assert!(!row_by_row.iter().any(|(m, _)| m.contains("search indexes")));
    let building = loaded
        .iter()
        .find(|(m, _)| m == "Building the search indexes")
        .map(|(_, items)| *items);
    // The refunds and disputes were read alongside the payments: by the
    // build, more than the payments were in.
    assert!(building.is_some_and(|n| n > 3_000), "{loaded:?}");
    let mut conn = bulk.pool().acquire().await.unwrap();
    assert!(
        !paydesk_core::store::sqlite::bulk::aside(&mut conn)
            .await
            .unwrap()
    );
    // Their payments' refund totals, worked out at the build, are those the
    // row-by-row sync worked out page by page.
    let totals = |pool: sqlx::SqlitePool| async move {
        sqlx::query_as::<_, (String, Option<i64>, Option<i64>, Option<String>)>(
            "SELECT payment_id, refund_submitted, refund_available, refund_status FROM payments
             ORDER BY payment_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let (one, other) = (
        totals(s.core.pool().clone()).await,
        totals(bulk.pool().clone()).await,
    );
    assert!(
        one.iter()
            .any(|(_, submitted, ..)| submitted.unwrap_or(0) > 0),
        "some payments have refunds"
    );
    assert_eq!(one, other);

    let (reference, email, holder, last4): (String, String, String, String) = sqlx::query_as(
        "SELECT reference, email, cardholder_name, last4 FROM payments
         WHERE email IS NOT NULL AND cardholder_name IS NOT NULL ORDER BY created_ms LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let queries = vec![
        PaymentQuery::default(),
        PaymentQuery {
            page: 3,
            ..Default::default()
        },
        PaymentQuery {
            text: Some(reference.clone()),
            ..Default::default()
        },
        PaymentQuery {
            text: Some(holder.clone()),
            ..Default::default()
        },
        PaymentQuery {
            text: Some(holder[..3].to_owned()),
            ..Default::default()
        },
        PaymentQuery {
            text: Some(email.clone()),
            ..Default::default()
        },
        PaymentQuery {
            text: Some(last4.clone()),
            ..Default::default()
        },
        PaymentQuery {
            reference: Some(reference.to_lowercase()),
            ..Default::default()
        },
        PaymentQuery {
            email: Some(email[1..6].to_owned()),
            ..Default::default()
        },
        PaymentQuery {
            cardholder_name: Some(holder[1..5].to_owned()),
            ..Default::default()
        },
        PaymentQuery {
            state: Some("failed".into()),
            ..Default::default()
        },
    ];
    for q in queries {
        let one = s.core.payments_search(&s.service, &q).await.unwrap();
        let other = bulk.payments_search(&bulk_service, &q).await.unwrap();
        let ids = |r: &paydesk_core::lookup::PaymentResults| {
            r.rows
                .iter()
                .map(|p| p.payment_id.clone())
                .collect::<Vec<_>>()
        };
        assert!(one.total > 0, "{q:?} finds something");
        assert_eq!((one.total, ids(&one)), (other.total, ids(&other)), "{q:?}");
    }
}

#[tokio::test]
async fn a_window_s_pages_are_asked_for_several_at_once_and_written_once_each() {
    let s = seeded(3_000, 29, 2).await;
    // Row by row (no bulk load, so no other resource is read alongside): any
    // overlap comes from one window's pages being asked for together.
    s.core.set_bulk_load_from(u64::MAX);
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 100,
        ..Fault::default()
    }]);
    let report = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert_eq!(report.payments, 3_000);
    let most = s.sim.control().most_in_flight();
    assert!(most > 1, "at most {most} request at once");
    assert_eq!(payment_rows(&s).await, (3_000, 3_000));
}

#[tokio::test]
async fn a_bulk_load_cut_by_a_failing_api_keeps_its_pages_and_its_indexes() {
    let s = seeded(6_000, 17, 3).await;
    // The load sets the search indexes aside; the API then fails for good.
    s.core.set_bulk_load_from(1_000);
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        after: 5,
        fail_next: 1_000,
        ..Fault::default()
    }]);
    let failed = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await;
    assert!(failed.is_err(), "{failed:?}");
    let kept = s
        .core
        .sync_status(&s.service)
        .await
        .unwrap()
        .cached_payments;
    assert!(
        (500..6_000).contains(&kept) && kept % 500 == 0,
        "whole pages written before the failure are kept: {kept}"
    );
    // The indexes came back although the load failed, and answer.
    assert!(!indexes_aside(&s).await, "no index is left aside");
    let found = find(
        &s,
        PaymentQuery {
            text: Some("permit".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(found.total > 0, "{found:?}");

    s.sim.control().set_faults(vec![]);
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert_eq!(payment_rows(&s).await, (6_000, 6_000));
}

#[tokio::test]
async fn a_first_fill_lets_other_writes_through_while_it_loads() {
    let s = seeded(10_000, 23, 3).await;
    // A bulk load holds its transaction across pages. With each page slowed
    // to 1.5 s (a window's pages are asked for 4 at once, so the 20 pages take
    // about 8 s), loading takes longer than the cache's 5 s busy timeout: a
    // load that kept the write lock from start to end would make the write
    // below fail with "database is locked".
    s.core.set_bulk_load_from(1_000);
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 1_500,
        ..Fault::default()
    }]);
    let written = std::sync::atomic::AtomicU64::new(0);
    let on_progress = |p: paydesk_core::sync::SyncProgress| {
        written.fetch_max(p.items, std::sync::atomic::Ordering::SeqCst);
    };
    let cancel = SyncCancel::default();
    let started = Instant::now();
    let sync = s.core.sync_service(&s.service, &cancel, &on_progress);
    let other = async {
        while written.load(std::sync::atomic::Ordering::SeqCst) < 1_000 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the load never began"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let asked = Instant::now();
        sqlx::query("UPDATE services SET name = name || ' (renamed)' WHERE id = ?1")
            .bind(&s.service)
            .execute(s.core.pool())
            .await
            .map(|_| asked.elapsed())
    };
    let (report, waited) = tokio::join!(sync, other);
    let report = report.unwrap();
    let waited = waited.expect("a write during the load gets the lock");
    assert_eq!(report.payments, 10_000);
    assert!(
        started.elapsed() > Duration::from_secs(5),
        "the load must outlast the busy timeout for this test to mean anything: {:?}",
        started.elapsed()
    );
    println!("a write during the load waited {waited:?}");
    assert_eq!(payment_rows(&s).await, (10_000, 10_000));
    assert!(
        !indexes_aside(&s).await,
        "the indexes are built again at the end"
    );
}

#[tokio::test]
async fn a_cancelled_sync_stops_between_pages_and_resumes() {
    let s = seeded(3_000, 12, 10).await;
    // Pages come 100 ms apart, as over a network: the writer takes whatever
    // pages are waiting in one go, and against an instant simulator the first
    // go could hold all six pages, leaving nothing to cancel.
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 100,
        ..Fault::default()
    }]);
    let cancel = SyncCancel::default();
    let stopper = cancel.clone();
    let report = s
        .core
        .sync_service(&s.service, &cancel, &move |p| {
            if p.pages >= 2 {
                stopper.cancel();
            }
        })
        .await
        .unwrap();
    assert!(report.cancelled && report.payments < 3_000, "{report:?}");
    s.sim.control().clear_faults();
    let report = s
        .core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    assert!(!report.cancelled);
    assert_eq!(
        s.core
            .sync_status(&s.service)
            .await
            .unwrap()
            .cached_payments,
        3_000
    );
}

#[tokio::test]
async fn a_live_key_is_never_written_down_or_returned() {
    const LIVE_KEY: &str = "api_live_k3y_that_must_never_leak_0123456789";
    let s = setup(Role::Supervisor, |c| {
        c.accounts[0].api_key = LIVE_KEY.into();
        c.accounts[0].live = true;
        c.seeds = vec![SeedSpec {
            account: 1,
            payments: 300,
            seed: 1,
            days: 10,
        }];
    })
    .await;
    let mut returned = Vec::new();
    returned.push(serde_json::to_string(&s.core.services_list().await.unwrap()).unwrap());
    returned.push(
        serde_json::to_string(
            &s.core
                .sync_service(&s.service, &SyncCancel::default(), &no_progress())
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    let pid: String = sqlx::query_scalar(
        "SELECT payment_id FROM payments WHERE refund_status = 'available' LIMIT 1",
    )
    .fetch_one(s.core.pool())
    .await
    .unwrap();
    let available: i64 =
        sqlx::query_scalar("SELECT refund_available FROM payments WHERE payment_id = ?1")
            .bind(&pid)
            .fetch_one(s.core.pool())
            .await
            .unwrap();
    returned.push(
        serde_json::to_string(&s.core.refund(&s.service, &pid, 1, available).await.unwrap())
            .unwrap(),
    );
    returned.push(format!(
        "{:?}",
        s.core
            .refund(&s.service, &pid, 1, available)
            .await
            .unwrap_err()
    ));
    returned.push(
        serde_json::to_string(
            &s.core
                .store()
                .audit_list(&AuditQuery::default())
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    for r in &returned {
        assert!(!r.contains(LIVE_KEY), "the key was returned: {r}");
    }
    s.core.close().await;
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes
                .windows(LIVE_KEY.len())
                .any(|w| w == LIVE_KEY.as_bytes()),
            "the key is in {}",
            path.display()
        );
    }
}

mod more {
    use super::*;
    use govpay::requests::MotoCard;
    use paydesk_core::telephone::{TelephoneOutcome, TelephonePaymentInput, TelephoneResult};

    fn phone(amount: i64, reference: &str) -> TelephonePaymentInput {
        TelephonePaymentInput {
            amount: format!("{}.{:02}", amount / 100, amount % 100),
            reference: reference.into(),
            description: "Council tax by phone".into(),
            email: None,
        }
    }

    /// The agent's steps: amount and reference, then the card, confirmed.
    async fn take(
        s: &Setup,
        input: &TelephonePaymentInput,
        card: MotoCard,
    ) -> Result<TelephoneOutcome, CoreError> {
        let started = s.core.telephone_start(&s.service, input).await?;
        s.core
            .telephone_authorise(&s.service, &started.payment_id, card, false)
            .await
    }

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
        let trail = s
            .core
            .store()
            .audit_list(&AuditQuery {
                payment_id: Some(started.payment_id.clone()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
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
        sqlx::query("INSERT INTO telephone_payments (service_id, payment_id, reference, description, amount, operator, created_at, status) VALUES (?1, ?2, 'TEL-OPEN', 'D', 500, 'agent', '2026-01-01', 'created')")
            .bind(&s.service)
            .bind(open.payment_id.as_str())
            .execute(s.core.pool())
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
            let refund = s.core.refund(&s.service, &pid, 300, 1000).await.unwrap();
            assert!(refund.reconciled, "refund, {what}");
            assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1, "{what}");

            let open = client
                .payments()
                .create(
                    &CreatePayment::web(500, "C", "D", "https://x.example/r"),
                    None,
                )
                .await
                .unwrap();
            on("POST /v1/payments/{payment_id}/cancel");
            let cancel = s
                .core
                .cancel(&s.service, open.payment_id.as_str())
                .await
                .unwrap();
            assert!(
                cancel.reconciled && cancel.status == "cancelled",
                "cancel, {what}: {cancel:?}"
            );

            let mut held = CreatePayment::web(700, "H", "D", "https://x.example/r");
            held.delayed_capture = Some(true);
            let held = client.payments().create(&held, None).await.unwrap();
            s.sim
                .control()
                .complete_payment(held.payment_id.as_str(), "4242424242424242")
                .unwrap();
            on("POST /v1/payments/{payment_id}/capture");
            let capture = s
                .core
                .capture(&s.service, held.payment_id.as_str())
                .await
                .unwrap();
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
                .set_agreement_status(&agreement.agreement_id, "active")
                .unwrap();
            on("POST /v1/agreements/{agreement_id}/cancel");
            let ended = s
                .core
                .agreement_cancel(&s.service, &agreement.agreement_id)
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
    async fn telephone_payments_not_enabled_are_known_before_the_card() {
        let s = setup(Role::CallCentre, |c| c.accounts[0].moto_api_enabled = false).await;
        // The first step, amount and reference only, already meets the refusal.
        let err = s
            .core
            .telephone_start(&s.service, &phone(100, "T"))
            .await
            .unwrap_err();
        match err {
            CoreError::Api(govpay::Error::Api(body)) => assert_eq!(body.code(), Some("P0195")),
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
            .refund(&s.service, &pid, 300, 1000)
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
        let trail = s
            .core
            .store()
            .audit_list(&AuditQuery {
                payment_id: Some(pid.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(trail[0].phase, Phase::Reconciled);
        assert!(trail[0].detail.starts_with("the refund was made"));
        assert_eq!(
            s.core.mop_up(&s.service).await.unwrap().outcomes_reconciled,
            0,
            "reconciled once"
        );
        assert!(s.core.audit_verify().await.unwrap().intact);
    }

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

    #[tokio::test]
    async fn the_finance_export_matches_the_simulators_figures() {
        let s = seeded(800, 21, 30).await;
        s.core
            .sync_service(&s.service, &SyncCancel::default(), &no_progress())
            .await
            .unwrap();
        let mut out = Vec::new();
        let report = s
            .core
            .export_csv(&s.service, 0, i64::MAX, &mut out, &|_| {})
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(
            header.starts_with("Reference,Description,Email,Amount,Card Brand"),
            "{header}"
        );
        assert!(
            header.contains("Fee,Net") && header.contains("ledger_code (metadata)"),
            "{header}"
        );
        let body: Vec<&str> = lines.collect();
        assert_eq!(body.len() as u64, report.payments + report.refunds);
        assert_eq!(report.payments, 800);
        // The totals agree with what GOV.UK Pay (the simulator) says.
        let client = sim_client(&s);
        let all = client
            .payments()
            .search_all(&govpay::search::PaymentSearch::default())
            .collect_all()
            .await
            .unwrap();
        let taken: i64 = all
            .iter()
            .filter(|p| p.state.status == "success")
            .map(|p| p.amount)
            .sum();
        assert_eq!(report.payments_total, taken);
        let refunded: i64 = client
            .refunds()
            .search_all(&govpay::search::RefundSearch::default())
            .collect_all()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.status != "error")
            .map(|r| r.amount)
            .sum();
        assert_eq!(report.refunds_total, refunded);
        assert!(body.iter().any(|l| l.contains("Refund success")));

        // Payments and refunds come merged, newest first, as the cache dates them.
        let fields = |line: &str| {
            let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        cell.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => out.push(std::mem::take(&mut cell)),
                    _ => cell.push(c),
                }
            }
            out.push(cell);
            out
        };
        let id_column = fields(header)
            .iter()
            .position(|h| h == "GOV.UK Payment ID")
            .unwrap();
        let exported: Vec<String> = body.iter().map(|l| fields(l)[id_column].clone()).collect();
        let expected: Vec<String> = sqlx::query_scalar(
            "SELECT payment_id FROM (SELECT payment_id, created_ms, 0 AS k FROM payments
               UNION ALL SELECT payment_id, created_ms, 1 FROM refunds)
             ORDER BY created_ms DESC, k",
        )
        .fetch_all(s.core.pool())
        .await
        .unwrap();
        assert_eq!(exported, expected);
    }
}

#[tokio::test]
async fn the_payment_page_tells_the_whole_story() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let pid = paid(&s, 2500).await;
    s.core.refund(&s.service, &pid, 1000, 2500).await.unwrap();
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

#[tokio::test]
async fn a_live_search_finds_what_the_cache_has_not_seen_yet() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 700).await;
    let by_ref = PaymentQuery {
        text: Some("REF-1".into()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search(&s.service, &by_ref)
            .await
            .unwrap()
            .total,
        0
    );
    let live = s
        .core
        .payments_search_live(&s.service, &by_ref)
        .await
        .unwrap();
    assert_eq!(live.rows.len(), 1);
    assert_eq!(live.rows[0].payment_id, pid);
    // Now the cache has it too.
    assert_eq!(
        s.core
            .payments_search(&s.service, &by_ref)
            .await
            .unwrap()
            .total,
        1
    );
    let by_id = PaymentQuery {
        text: Some(pid.clone()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search_live(&s.service, &by_id)
            .await
            .unwrap()
            .rows[0]
            .payment_id,
        pid
    );
    let last4 = PaymentQuery {
        text: Some("1111".into()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search_live(&s.service, &last4)
            .await
            .unwrap()
            .total,
        1
    );
}

// ---- agreements and the supervisor's dashboard --------------------------------

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
    assert_eq!(fresh.status, "cancelled");
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
        matches!(err, CoreError::Conflict { pay_code: Some("P0942"), ref message } if message.contains("Recurring payments are turned off")),
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
        .set_agreement_status(&a.agreement_id, "active")
        .unwrap();
    let d = s
        .core
        .agreement_detail(&s.service, &a.agreement_id)
        .await
        .unwrap();
    assert_eq!(d.agreement.status, "active");
    assert!(!d.can_cancel, "a caseworker is not offered cancel");
    let err = s
        .core
        .agreement_cancel(&s.service, &a.agreement_id)
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
            .get(&govpay::AgreementId::parse(&a.agreement_id).unwrap())
            .await
            .unwrap()
            .status,
        "active"
    );
}

#[tokio::test]
async fn the_dashboard_counts_the_day_and_week_and_names_who_refunded() {
    use paydesk_core::dashboard::DashboardQuery;
    let s = setup(Role::Supervisor, |_| {}).await;
    s.core.set_operator("Asha Supervisor").await.unwrap();
    let a = paid(&s, 1_000).await;
    let b = paid(&s, 2_550).await;
    let _c = paid(&s, 4_000).await;
    s.core.refund(&s.service, &a, 300, 1_000).await.unwrap();
    s.sim.control().refund_elsewhere(&b, 550).unwrap();
    s.sim.control().raise_dispute(&b, "fraudulent", 2).unwrap();
    let c2 = paid(&s, 700).await;
    s.sim.control().raise_dispute(&c2, "duplicate", 20).unwrap();
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let now = paydesk_core::clock::now_ms();
    let q = DashboardQuery {
        today_from_ms: now - 3_600_000,
        week_from_ms: now - 3 * 86_400_000,
        to_ms: now + 60_000,
    };
    let d = s.core.dashboard(&s.service, &q).await.unwrap();
    assert_eq!(d.today.payments.count, 4);
    assert_eq!(d.today.payments.value, 1_000 + 2_550 + 4_000 + 700);
    assert_eq!(d.week.payments, d.today.payments);
    assert_eq!(d.today.refunds.count, 2);
    assert_eq!(d.today.refunds.value, 850);
    let by: Vec<_> = d
        .refunds_by_operator
        .iter()
        .map(|o| (o.operator.as_deref(), o.refunds.count, o.refunds.value))
        .collect();
    assert_eq!(by, [(None, 1, 550), (Some("Asha Supervisor"), 1, 300)]);
    assert_eq!(d.disputes_due.len(), 1, "only the one due within 7 days");
    assert_eq!(d.disputes_due[0].dispute.payment_id, b);

    // Nothing yet in a window that ends before the payments were made.
    let earlier = s
        .core
        .dashboard(
            &s.service,
            &DashboardQuery {
                today_from_ms: now - 2 * 86_400_000,
                week_from_ms: now - 3 * 86_400_000,
                to_ms: now - 86_400_000,
            },
        )
        .await
        .unwrap();
    assert_eq!(earlier.week.payments.count, 0);
    assert!(earlier.refunds_by_operator.is_empty());

    // Daily totals for a chart: the payments land on the last day.
    let days = s
        .core
        .daily_totals(
            &s.service,
            &[now - 2 * 86_400_000, now - 86_400_000, now + 60_000],
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].payments.count, 0);
    assert_eq!(days[1].payments.value, 8_250);
    assert_eq!(days[1].refunds.value, 850);
    let err = s
        .core
        .daily_totals(&s.service, &[now, now - 1])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "dayStarts"),
        "{err:?}"
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
                .set_agreement_status(&a.agreement_id, "active")
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
        control.set_agreement_status(&id, "inactive").unwrap();
    });
    let err = s
        .core
        .agreement_cancel(&s.service, &raced)
        .await
        .unwrap_err();
    meanwhile.await.unwrap();
    assert!(
        matches!(err, CoreError::Conflict { pay_code: Some("P2501"), ref message } if message.contains("now inactive")),
        "{err:?}"
    );

    // The answer is lost after GOV.UK Pay cancelled it: read back, not sent again.
    let lost = active("GW-LOST").await;
    s.sim.control().set_faults(vec![Fault {
        route: "POST /v1/agreements/{agreement_id}/cancel".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let done = s.core.agreement_cancel(&s.service, &lost).await.unwrap();
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

/// Refunds whose outcome is not known: they stay unknown until GOV.UK Pay
/// shows this attempt's own refund, and nothing is ever refunded twice.
mod unknown_outcomes {
    use super::*;

    const REFUNDS: &str = "POST /v1/payments/{payment_id}/refunds";

    async fn refunds_of(s: &Setup, pid: &str) -> usize {
        s.sim.control().payment(pid).unwrap().refunds
    }

    async fn trail_of(s: &Setup, pid: &str) -> Vec<paydesk_core::audit::AuditRow> {
        s.core
            .store()
            .audit_list(&AuditQuery {
                payment_id: Some(pid.to_owned()),
                ..AuditQuery::default()
            })
            .await
            .unwrap()
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
            .refund(&s.service, &pid, 250, 1000)
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
            .refund(&s.service, &pid, 250, 1000)
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
        let trail = trail_of(&s, &pid).await;
        assert_eq!(trail[0].phase, Phase::Reconciled, "{trail:?}");
        assert!(trail[0].target_id.is_some());
        // Then, with the new figures, a further refund goes through: the only
        // second refund is the one asked for now.
        let detail = s.core.payment_detail(&s.service, &pid).await.unwrap();
        assert_eq!(detail.refund_blocked, None);
        assert_eq!(detail.refund_available, 750);
        s.core.refund(&s.service, &pid, 100, 750).await.unwrap();
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
        let done = s.core.refund(&s.service, &pid, 400, 1000).await.unwrap();
        assert!(done.reconciled);
        assert_eq!(done.available_after, 600);
        assert_eq!(refunds_of(&s, &pid).await, 1);
        assert!(
            s.core.unresolved_refund_count(&s.service).await.unwrap() == 0,
            "resolved"
        );

        let client = sim_client(&s);
        let open = client
            .payments()
            .create(
                &CreatePayment::web(500, "C", "D", "https://x.example/r"),
                None,
            )
            .await
            .unwrap();
        s.sim.control().set_faults(vec![Fault {
            route: "POST /v1/payments/{payment_id}/cancel".into(),
            proxy_error_after_commit: 1,
            proxy_status: 504,
            ..Fault::default()
        }]);
        let done = s
            .core
            .cancel(&s.service, open.payment_id.as_str())
            .await
            .unwrap();
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
            .refund(&s.service, &pid, 250, 1000)
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::OutcomeUnknown(_)), "{err:?}");
        // ...while desk B refunds £5.00.
        s.sim.control().refund_elsewhere(&pid, 500).unwrap();
        s.sim.control().clear_faults();
        let report = s.core.mop_up(&s.service).await.unwrap();
        assert_eq!(report.outcomes_reconciled, 0, "{report:?}");
        assert_eq!(report.outcomes_still_unknown, 1);
        let trail = trail_of(&s, &pid).await;
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
            s.core.refund(&s.service, &pid, 300, 1000),
        )
        .await;
        assert!(cut.is_err(), "stopped mid-request");
        s.sim.control().clear_faults();
        assert_eq!(refunds_of(&s, &pid).await, 1);
        let trail = trail_of(&s, &pid).await;
        assert_eq!(trail.len(), 1, "only the attempt was written: {trail:?}");

        // The next start: a new core on the same data folder.
        let again = Core::open(s.dir.path(), Arc::new(OsKeyStore::new(&s.app_id)))
            .await
            .unwrap();
        again.set_client_options(ClientOptions {
            timeout: Duration::from_secs(2),
            ..ClientOptions::default()
        });
        let err = again.refund(&s.service, &pid, 300, 1000).await.unwrap_err();
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
        let other = Core::open(s.dir.path(), Arc::new(OsKeyStore::new(&s.app_id)))
            .await
            .unwrap();
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
                tasks.spawn(async move { core.refund(&service, &pid, 100, 1000).await });
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
        sqlx::query(
            "CREATE TRIGGER outcome_fails BEFORE INSERT ON audit_log WHEN NEW.phase <> 'attempt'
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        )
        .execute(s.core.pool())
        .await
        .unwrap();
        // Staff are told what GOV.UK Pay did, not that the database failed.
        let done = s.core.refund(&s.service, &pid, 250, 1000).await.unwrap();
        assert_eq!(done.amount, 250);
        assert_eq!(refunds_of(&s, &pid).await, 1);
        let held = s.dir.path().join(paydesk_core::held::FILE_NAME);
        let text = std::fs::read_to_string(&held).expect("the outcome is held on disk");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("\"succeeded\""), "{text}");
        assert_eq!(trail_of(&s, &pid).await.len(), 1, "only the attempt so far");

        // The database recovers; the next start writes the held outcome first.
        sqlx::query("DROP TRIGGER outcome_fails")
            .execute(s.core.pool())
            .await
            .unwrap();
        let again = Core::open(s.dir.path(), Arc::new(OsKeyStore::new(&s.app_id)))
            .await
            .unwrap();
        assert!(!held.exists(), "written, then the file is removed");
        let trail = again
            .store()
            .audit_list(&AuditQuery {
                payment_id: Some(pid.clone()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
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
        let client = sim_client(&s);
        let open = client
            .payments()
            .create(
                &CreatePayment::web(500, "C", "D", "https://x.example/r"),
                None,
            )
            .await
            .unwrap();
        let pid = open.payment_id.to_string();
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
        let trail = trail_of(&s, &pid).await;
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
            .refund(&s.service, &pid, 250, 1000)
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
}
