//! The store's areas behave alike on both engines: each scenario runs on a
//! SQLite file and on a database of a real PostgreSQL server (started by
//! the tests), and what each store answers is checked, then compared.

use std::hash::{DefaultHasher, Hash, Hasher};

use paydesk_core::store::audit::{AuditRow, ChainedRow, GENESIS, Phase};
use paydesk_core::store::postgres::PgStore;
use paydesk_core::store::probe::{Probe, Tamper};
use paydesk_core::store::services::ServiceRecord;
use paydesk_core::store::sqlite::SqliteStore;
use paydesk_core::store::sync::{FillPage, Position};
use paydesk_core::store::telephone::{NewTelephonePayment, TelephoneUpdate};
use paydesk_core::store::{
    AuditQuery, AuditStore, CaseStore, HoldStore, Lifecycle, SearchStore, ServiceStore,
    SettingsStore, StoreErrorKind, SyncStore, TelephoneStarted, TelephoneStore,
};

use crate::common::*;

async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = paydesk_core::store::sqlite::open(&dir.path().join("engines.db"))
        .await
        .unwrap();
    (dir, store)
}

/// A fresh team database, and its address for a second desktop.
async fn postgres() -> (String, PgStore) {
    let url = paydesk_testdb::server().database().admin_url();
    let store = paydesk_core::store::postgres::set_up(&url).await.unwrap();
    (url, store)
}

/// Runs `scenario` on each engine, and checks both told the same story.
macro_rules! on_both {
    ($scenario:ident) => {{
        let (_dir, lite) = sqlite().await;
        let (_url, pg) = postgres().await;
        let on_sqlite = $scenario(&lite).await;
        let on_postgres = $scenario(&pg).await;
        lite.close().await;
        pg.close().await;
        assert_eq!(on_sqlite, on_postgres, "the engines differ");
    }};
}

fn service(id: &str, name: &str) -> ServiceRecord {
    ServiceRecord {
        id: id.into(),
        name: name.into(),
        base_url: "http://127.0.0.1:9/".into(),
        environment: "test".into(),
        role: "caseworker".into(),
        sandbox: false,
        seal: Some(format!("seal-{id}")),
    }
}

async fn services_and_settings<S: ServiceStore + SettingsStore>(s: &S) -> Vec<String> {
    let mut seen = Vec::new();
    // A service whose key never reached the keyring is not kept.
    let dropped = s.service_add(&service("gone", "Gone")).await.unwrap();
    drop(dropped);
    assert_eq!(s.service_count().await.unwrap(), 0);
    for (id, name) in [("b", "bins"), ("p", "Parking"), ("a", "Allotments")] {
        s.service_add(&service(id, name))
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
    }
    // Names are taken whatever their case; a second one is refused by kind.
    assert!(s.service_name_taken("PARKING").await.unwrap());
    assert!(!s.service_name_taken("Parks").await.unwrap());
    let twice = s.service_add(&service("p2", "parking")).await;
    assert_eq!(
        twice.err().map(|e| e.kind),
        Some(StoreErrorKind::Constraint)
    );
    let mut sandbox = service("sb", "Sandbox");
    s.sandbox_put(&sandbox).await.unwrap();
    sandbox.base_url = "http://127.0.0.1:10/".into();
    sandbox.role = "caseworker".into();
    s.sandbox_put(&sandbox).await.unwrap();
    assert_eq!(s.sandbox_id().await.unwrap().as_deref(), Some("sb"));
    let all = s.services().await.unwrap();
    let order: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(order, ["Sandbox", "Allotments", "bins", "Parking"]);
    let sb = &all[0];
    assert!(sb.sandbox && sb.role == "supervisor" && sb.base_url.ends_with(":10/"));
    seen.push(format!("{all:?}"));
    assert!(s.service_remove("b").await.unwrap());
    assert!(!s.service_remove("b").await.unwrap());
    assert_eq!(s.service("b").await.unwrap(), None);
    seen.push(format!("{:?}", s.service("p").await.unwrap()));

    assert_eq!(s.setting("staff_name").await.unwrap(), None);
    s.set_setting("staff_name", "Sam Supervisor").await.unwrap();
    s.set_setting("staff_name", "Sam Smith").await.unwrap();
    seen.push(format!("{:?}", s.setting("staff_name").await.unwrap()));
    seen
}

#[tokio::test]
async fn services_and_settings_alike() {
    on_both!(services_and_settings);
}

async fn cases<S: ServiceStore + CaseStore>(s: &S) -> Vec<String> {
    s.service_add(&service("p", "Parking"))
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    let case = s.case_open("p", "CASE-1", "Jo's permits").await.unwrap();
    assert_eq!(s.case_open("p", "CASE-1", "again").await.unwrap(), case);
    let other = s.case_open("p", "CASE-2", "").await.unwrap();
    for pid in ["pay3", "pay1", "pay2", "pay1"] {
        s.case_add_payment(&case, "p", pid).await.unwrap();
    }
    // A payment is in one case at most.
    s.case_add_payment(&other, "p", "pay1").await.unwrap();
    assert_eq!(
        s.case_of_payment("p", "pay1").await.unwrap(),
        Some(case.clone())
    );
    s.case_add_note(&case, "Sam", "Called back").await.unwrap();
    s.case_add_note(&case, "Ali", "Refund agreed")
        .await
        .unwrap();
    let empty = s.case_add_note(&case, "Ali", "").await;
    assert_eq!(
        empty.err().map(|e| e.kind),
        Some(StoreErrorKind::Constraint)
    );
    let view = s.case(&case).await.unwrap().unwrap();
    assert_eq!(view.payment_ids, ["pay3", "pay1", "pay2"]);
    let notes: Vec<_> = view
        .notes
        .iter()
        .map(|n| (n.author.as_str(), n.body.as_str()))
        .collect();
    assert_eq!(notes, [("Sam", "Called back"), ("Ali", "Refund agreed")]);
    assert_eq!(
        s.case_by_reference("p", "CASE-2").await.unwrap(),
        Some(other)
    );
    assert_eq!(s.case("nope").await.unwrap(), None);
    // Listed newest activity first: CASE-2 was opened before CASE-1's
    // payments and notes. A search is any case of letters.
    let listed = |found: Vec<paydesk_core::store::CaseSummary>| {
        found
            .iter()
            .map(|c| (c.reference.clone(), c.payment_count, c.note_count))
            .collect::<Vec<_>>()
    };
    let both = vec![("CASE-1".to_owned(), 3, 2), ("CASE-2".to_owned(), 0, 0)];
    assert_eq!(listed(s.case_list("p", None, 10).await.unwrap()), both);
    s.case_open("p", "case-3", "").await.unwrap();
    let all3 = s.case_list("p", None, 10).await.unwrap();
    assert_eq!(all3[0].reference, "case-3");
    assert!(all3[0].last_activity_at >= all3[1].last_activity_at);
    assert_eq!(listed(s.case_list("p", None, 1).await.unwrap()).len(), 1);
    let found = listed(s.case_list("p", Some("Se-1"), 10).await.unwrap());
    assert_eq!(found, both[..1]);
    assert_eq!(s.case_list("p", Some("%"), 10).await.unwrap(), []);
    assert_eq!(s.case_list("elsewhere", None, 10).await.unwrap(), []);
    // A removed service takes its cases with it.
    s.service_remove("p").await.unwrap();
    assert_eq!(s.case(&case).await.unwrap(), None);
    vec![format!(
        "{:?} {:?} {:?}",
        view.reference, view.title, view.payment_ids
    )]
}

#[tokio::test]
async fn cases_and_notes_alike() {
    on_both!(cases);
}

async fn telephone<S: ServiceStore + TelephoneStore>(s: &S) -> Vec<String> {
    s.service_add(&service("p", "Parking"))
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    for (i, pid) in ["t1", "t2", "t3"].into_iter().enumerate() {
        let started = TelephoneStarted {
            payment_id: pid.into(),
            amount: 1000 + i as i64,
            reference: format!("TEL-{i}"),
            description: "Permit".into(),
        };
        let new = NewTelephonePayment {
            service_id: "p",
            started: &started,
            operator: "Ali Agent",
            created_at: &format!("2026-12-05T10:0{i}:00Z"),
            status: "created",
            attempt_seq: 10 + i as i64,
        };
        s.telephone_add(new.clone()).await.unwrap();
        // Recorded once: a second record leaves the first as it was.
        s.telephone_add(NewTelephonePayment {
            status: "other",
            ..new
        })
        .await
        .unwrap();
    }
    s.telephone_update(
        "p",
        "t2",
        TelephoneUpdate {
            status: "success",
            finished: true,
            code: None,
            last4: Some("1111"),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        s.telephone_state("p", "t1").await.unwrap(),
        Some(("created".into(), Some(10)))
    );
    assert_eq!(
        s.telephone_started("p", "t3")
            .await
            .unwrap()
            .map(|t| t.amount),
        Some(1002)
    );
    let mut open = s.telephone_unfinished("p").await.unwrap();
    open.sort();
    assert_eq!(open, ["t1", "t3"]);
    let all = s.telephone_list("p", false).await.unwrap();
    let ids: Vec<_> = all.iter().map(|r| r.payment_id.as_str()).collect();
    assert_eq!(ids, ["t3", "t2", "t1"], "newest first");
    assert!(all[1].finished && all[1].last4.as_deref() == Some("1111"));
    let unfinished = s.telephone_list("p", true).await.unwrap();
    assert_eq!(unfinished.len(), 2);
    vec![format!("{all:?}"), format!("{unfinished:?}")]
}

#[tokio::test]
async fn telephone_payments_alike() {
    on_both!(telephone);
}

/// A stand-in for the record key's seal: any function of the previous hash
/// and the row, so a link out of place shows.
fn seal(prev: &str, row: &AuditRow) -> String {
    let mut h = DefaultHasher::new();
    (
        prev,
        row.seq,
        &row.at,
        &row.action,
        row.phase.as_str(),
        &row.detail,
        row.amount,
    )
        .hash(&mut h);
    format!("{:016x}", h.finish())
}

fn row(action: &str, phase: Phase, payment: &str, attempt: Option<i64>, detail: &str) -> AuditRow {
    AuditRow {
        seq: 0,
        at: format!("2026-12-0{}T10:00:00Z", 1 + detail.len() % 5),
        operator: if detail.len().is_multiple_of(2) {
            "Sam"
        } else {
            "Ali"
        }
        .into(),
        service_id: "p".into(),
        service_name: "Parking".into(),
        action: action.into(),
        phase,
        attempt_seq: attempt,
        payment_id: Some(payment.into()),
        target_id: (phase == Phase::Succeeded).then(|| format!("r-{payment}")),
        amount: Some(500),
        pay_code: None,
        detail: detail.into(),
        reason: (action == "refund").then(|| "goodwill".into()),
        reason_note: (action == "refund" && detail.len().is_multiple_of(3))
            .then(|| format!("{detail}, noted")),
    }
}

/// The chain is whole: numbered from 1, each row sealed over the one before.
fn assert_whole(chain: &[ChainedRow]) {
    let mut prev = GENESIS.to_owned();
    for (i, c) in chain.iter().enumerate() {
        assert_eq!(c.row.seq, i as i64 + 1);
        assert_eq!(c.prev_hash, prev, "row {}", c.row.seq);
        assert_eq!(c.hash, seal(&prev, &c.row), "row {}", c.row.seq);
        prev = c.hash.clone();
    }
}

async fn audit<S: AuditStore>(s: &S) -> Vec<String> {
    let lock = s.audit_lock().await;
    let append = |r| s.audit_append(&lock, r, &seal);
    let (a1, _) = append(row("refund", Phase::Attempt, "pay1", None, "first"))
        .await
        .unwrap();
    append(row("refund", Phase::Succeeded, "pay1", Some(a1), "done"))
        .await
        .unwrap();
    let (a2, _) = append(row("refund", Phase::Attempt, "pay2", None, "second try"))
        .await
        .unwrap();
    append(row("refund", Phase::Unknown, "pay2", Some(a2), "lost"))
        .await
        .unwrap();
    let (c, _) = append(row("cancel", Phase::Attempt, "pay3", None, "cancel it"))
        .await
        .unwrap();
    let (last, head) = append(row("cancel", Phase::Unknown, "pay3", Some(c), "timeout"))
        .await
        .unwrap();
    drop(lock);
    assert_eq!(last, 6);
    assert_eq!(s.audit_hash(last).await.unwrap(), Some(head));
    assert_eq!(s.audit_hash(99).await.unwrap(), None);
    let chain = s.audit_chain().await.unwrap();
    assert_whole(&chain);

    let open: Vec<i64> = s
        .open_refund_attempts("p", None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(open, [a2], "an unknown outcome leaves the attempt open");
    assert!(
        s.open_refund_attempts("p", Some("pay1"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.claimed_refunds("p", "pay1").await.unwrap(), ["r-pay1"]);
    let unknown: Vec<i64> = s
        .unknown_outcomes("p")
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(unknown, [last]);

    let mut seen = vec![format!(
        "{:?}",
        chain.iter().map(|c| &c.row).collect::<Vec<_>>()
    )];
    for q in [
        AuditQuery::default(),
        AuditQuery {
            operator: Some("Ali".into()),
            ..Default::default()
        },
        AuditQuery {
            action: Some("cancel".into()),
            limit: 1,
            ..Default::default()
        },
        AuditQuery {
            phase: Some("unknown".into()),
            ..Default::default()
        },
        AuditQuery {
            payment_id: Some("pay2".into()),
            ..Default::default()
        },
        AuditQuery {
            service_id: Some("other".into()),
            ..Default::default()
        },
        AuditQuery {
            from_date: Some("2026-12-02".into()),
            to_date: Some("2026-12-04".into()),
            ..Default::default()
        },
    ] {
        let rows = s.audit_list(&q).await.unwrap();
        seen.push(format!(
            "{q:?} -> {:?}",
            rows.iter().map(|r| r.seq).collect::<Vec<_>>()
        ));
    }
    seen
}

#[tokio::test]
async fn the_audit_chain_alike() {
    on_both!(audit);
}

/// Two desktops on one team database append at once: one chain, unforked.
#[tokio::test]
async fn two_desktops_append_to_one_chain() {
    let (url, a) = postgres().await;
    let b = paydesk_core::store::postgres::open(&url).await.unwrap();
    let desks = [Arc::new(a), Arc::new(b)];
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = desks[i % 2].clone();
            tokio::spawn(async move {
                let lock = store.audit_lock().await;
                let r = row(
                    "refund",
                    Phase::Attempt,
                    &format!("pay{i}"),
                    None,
                    &format!("desk {i}"),
                );
                store.audit_append(&lock, r, &seal).await.unwrap().0
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=24).collect::<Vec<i64>>());
    assert_whole(&desks[1].audit_chain().await.unwrap());
    for d in desks {
        d.close().await;
    }
}

/// One money action per payment, on one desktop and across two.
#[tokio::test]
async fn a_payment_is_held_once_across_desktops() {
    let (url, a) = postgres().await;
    let b = Arc::new(paydesk_core::store::postgres::open(&url).await.unwrap());
    let held = a.try_hold_payment("s", "p").await.unwrap();
    assert!(held.is_some());
    assert!(
        a.try_hold_payment("s", "p").await.unwrap().is_none(),
        "same desktop"
    );
    assert!(
        b.try_hold_payment("s", "p").await.unwrap().is_none(),
        "another desktop"
    );
    // Another payment, or the same ID in another service, is free.
    assert!(b.try_hold_payment("s", "q").await.unwrap().is_some());
    assert!(b.try_hold_payment("t", "p").await.unwrap().is_some());
    // The other desktop's waiter gets it when the holder lets go.
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move { b.hold_payment("s", "p").await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished(), "waits while the payment is held");
    drop(held);
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter is let in")
        .unwrap()
        .unwrap();
    // Many actions of one desktop on many payments do not starve it of
    // connections: each gets its turn.
    let many: Vec<_> = (0..12)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move {
                let _hold = b.hold_payment("s", &format!("m{}", i % 3)).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
                let lock = b.audit_lock().await;
                let r = row("refund", Phase::Attempt, "m", None, "while held");
                b.audit_append(&lock, r, &seal).await.unwrap();
            })
        })
        .collect();
    for t in many {
        tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .unwrap()
            .unwrap();
    }
    a.close().await;
    b.close().await;
}

/// Writes `payments` into a store's service "p" through a sync's unit of work.
async fn filled<S: ServiceStore + SyncStore>(s: &S, payments: &[govpay::models::Payment]) {
    s.service_add(&service("p", "Parking"))
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    let mut fill = s.begin_fill("p").await.unwrap();
    for (i, page) in payments.chunks(500).enumerate() {
        fill.begin().await.unwrap();
        let at = Position {
            resource: "payments",
            from: 0,
            to: 1,
            page: i as u32 + 1,
            more: true,
        };
        fill.write(FillPage::Payments(page), &at).await.unwrap();
        fill.commit().await.unwrap();
    }
}

/// Every kind of question staff ask, built from real values of the data set.
fn every_question(payments: &[govpay::models::Payment]) -> Vec<PaymentQuery> {
    let q = PaymentQuery::default;
    let carded: Vec<_> = payments
        .iter()
        .filter(|p| {
            p.card_details
                .as_ref()
                .is_some_and(|c| c.cardholder_name.is_some())
        })
        .collect();
    let a = carded[carded.len() / 3];
    let b = carded[carded.len() * 2 / 3];
    let card = a.card_details.clone().unwrap();
    let name = card.cardholder_name.clone().unwrap();
    let first_name = name.split_whitespace().next().unwrap().to_owned();
    let last_name = name.split_whitespace().last().unwrap().to_owned();
    let with_email = payments.iter().find(|p| p.email.is_some()).unwrap();
    let email = with_email.email.clone().unwrap();
    let domain = email.split('@').nth(1).unwrap().to_owned();
    let with_metadata = payments
        .iter()
        .find(|p| p.metadata.as_ref().is_some_and(|m| !m.is_empty()))
        .unwrap();
    let metadata = with_metadata.metadata.as_ref().unwrap();
    let meta_value = match metadata.values().next().unwrap() {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let agreement = payments.iter().find_map(|p| p.agreement_id.clone());
    let reference_start: String = a.reference.chars().take(5).collect();
    let mid = a
        .created_date
        .as_deref()
        .and_then(paydesk_core::clock::api_time_ms)
        .unwrap();

    let mut asked = vec![
        // The search box, every kind of text.
        PaymentQuery {
            text: Some(a.payment_id.as_str().to_uppercase()),
            ..q()
        },
        PaymentQuery {
            text: card.last_digits_card_number.clone(),
            ..q()
        },
        PaymentQuery {
            text: Some(email.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(email.to_uppercase()),
            ..q()
        },
        PaymentQuery {
            text: Some(a.reference.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(reference_start.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(reference_start.to_lowercase()),
            ..q()
        },
        PaymentQuery {
            text: Some("P".into()),
            ..q()
        },
        PaymentQuery {
            text: Some(name.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(first_name.to_lowercase()),
            ..q()
        },
        PaymentQuery {
            text: Some(format!("{last_name} {}", &first_name[..2])),
            ..q()
        },
        PaymentQuery {
            text: Some(meta_value.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(a.description.clone()),
            ..q()
        },
        PaymentQuery {
            text: Some(format!("{} {}", b.reference, first_name)),
            ..q()
        },
        PaymentQuery {
            text: Some("£45.00".into()),
            ..q()
        },
        // Parts of a reference and an email, amounts, and terms of every kind at once.
        PaymentQuery {
            text: a.reference.split('-').nth(1).map(str::to_owned),
            ..q()
        },
        PaymentQuery {
            text: Some(domain.clone()),
            ..q()
        },
        PaymentQuery {
            text: email.split(['.', '@']).nth(1).map(str::to_owned),
            ..q()
        },
        PaymentQuery {
            text: Some(format!("{}", a.amount / 100)),
            ..q()
        },
        PaymentQuery {
            text: Some(format!("£{}.{:02}", a.amount / 100, a.amount % 100)),
            ..q()
        },
        PaymentQuery {
            text: Some(format!(
                "{} {last_name} {}",
                first_name.to_lowercase(),
                card.last_digits_card_number.clone().unwrap_or_default()
            )),
            ..q()
        },
        PaymentQuery {
            text: Some("!!! ???".into()),
            ..q()
        },
        PaymentQuery {
            text: Some("nothing-like-this".into()),
            ..q()
        },
        // The admin tool's filters.
        PaymentQuery {
            reference: Some(a.reference.to_lowercase()),
            ..q()
        },
        PaymentQuery {
            email: Some(domain.to_uppercase()),
            ..q()
        },
        PaymentQuery {
            email: Some(email[..2].to_owned()),
            ..q()
        },
        PaymentQuery {
            cardholder_name: Some(last_name.to_lowercase()),
            ..q()
        },
        PaymentQuery {
            cardholder_name: Some(first_name[1..3].to_owned()),
            ..q()
        },
        PaymentQuery {
            first6: card.first_digits_card_number.clone(),
            ..q()
        },
        PaymentQuery {
            last4: card.last_digits_card_number.clone(),
            ..q()
        },
        PaymentQuery {
            first6: card.first_digits_card_number.clone(),
            last4: card.last_digits_card_number.clone(),
            ..q()
        },
        PaymentQuery {
            card_brand: card.card_brand.clone(),
            ..q()
        },
        PaymentQuery {
            from_ms: Some(mid),
            ..q()
        },
        PaymentQuery {
            to_ms: Some(mid),
            ..q()
        },
        PaymentQuery {
            from_ms: Some(mid - 86_400_000 * 3),
            to_ms: Some(mid),
            ..q()
        },
        PaymentQuery {
            metadata_value: Some(meta_value.to_uppercase()),
            ..q()
        },
        PaymentQuery {
            agreement_id: agreement.map(|a| a.to_string()),
            ..q()
        },
        // Filters together.
        PaymentQuery {
            text: Some(reference_start.clone()),
            state: Some("success".into()),
            card_brand: card.card_brand.clone(),
            ..q()
        },
        PaymentQuery {
            cardholder_name: Some(first_name[..3].to_owned()),
            from_ms: Some(mid - 86_400_000 * 20),
            ..q()
        },
    ];
    for state in paydesk_core::store::search::StatusGroup::ALL
        .iter()
        .map(|g| g.as_str())
        .chain(paydesk_core::store::search::RAW_STATES)
    {
        asked.push(PaymentQuery {
            state: Some(state.into()),
            ..q()
        });
    }
    // The filters that narrow row by row: several statuses and brands, an
    // amount range, refunds, alone and with the search box (disputes are
    // asked of both engines in the core's own tests).
    use paydesk_core::search::RefundFilter;
    asked.extend([
        PaymentQuery {
            states: vec!["declined".into(), "cancelled".into(), "success".into()],
            ..q()
        },
        PaymentQuery {
            card_brands: vec!["Visa".into(), "Mastercard".into()],
            amount_from: Some(1_000),
            amount_to: Some(9_999),
            ..q()
        },
        PaymentQuery {
            text: Some(first_name.clone()),
            refunds: Some(RefundFilter::NotRefunded),
            ..q()
        },
        PaymentQuery {
            refunds: Some(RefundFilter::Refunded),
            ..q()
        },
        PaymentQuery {
            refunds: Some(RefundFilter::FullyRefunded),
            states: vec!["success".into()],
            ..q()
        },
    ]);
    // Every order, both ways, and pages past the first, over a filter and none.
    let mut ordered = Vec::new();
    for base in [
        q(),
        PaymentQuery {
            text: Some(reference_start),
            ..q()
        },
    ] {
        for sort in [SortBy::Date, SortBy::Amount, SortBy::Reference] {
            for ascending in [false, true] {
                for (page, page_size) in [(1, 20), (3, 50), (40, 20)] {
                    ordered.push(PaymentQuery {
                        sort,
                        ascending,
                        page,
                        page_size,
                        ..base.clone()
                    });
                }
            }
        }
    }
    asked.extend(ordered);
    asked
}

/// One seeded data set, searched through both stores with every filter, every
/// kind of search-box text and every order: the same payments come back, in
/// the same order, with the same counts.
#[tokio::test]
async fn both_stores_find_the_same_payments_in_the_same_order() {
    let s = seeded(6_000, 31, 120).await;
    let payments = every_payment(&s).await;
    assert_eq!(payments.len(), 6_000);
    let (_dir, lite) = sqlite().await;
    let (_url, pg) = postgres().await;
    filled(&lite, &payments).await;
    filled(&pg, &payments).await;

    let questions = every_question(&payments);
    let mut matched_some = 0;
    for query in &questions {
        let on_sqlite = lite.search_payments("p", query).await.unwrap();
        let on_postgres = pg.search_payments("p", query).await.unwrap();
        let ids = |r: &paydesk_core::search::PaymentResults| {
            r.rows
                .iter()
                .map(|p| p.payment_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (on_sqlite.total, on_sqlite.total_is_capped, ids(&on_sqlite)),
            (
                on_postgres.total,
                on_postgres.total_is_capped,
                ids(&on_postgres)
            ),
            "{query:?}"
        );
        // The whole rows, not only their IDs.
        assert_eq!(on_sqlite.rows, on_postgres.rows, "{query:?}");
        if on_sqlite.total > 0 {
            matched_some += 1;
        }
    }
    // The questions are real ones: nearly all find something.
    assert!(
        matched_some + 4 >= questions.len(),
        "{matched_some} of {} questions found payments",
        questions.len()
    );
    // A case's payments are read by ID, in the order asked, without those
    // the cache does not hold.
    let asked: Vec<String> = [5_999, 3, 4_000]
        .iter()
        .map(|&i| payments[i].payment_id.as_str().to_owned())
        .chain(["notcached".to_owned()])
        .collect();
    let on_sqlite = lite.payment_rows("p", &asked).await.unwrap();
    let ids: Vec<_> = on_sqlite.iter().map(|r| r.payment_id.as_str()).collect();
    assert_eq!(ids, asked[..3]);
    assert_eq!(on_sqlite, pg.payment_rows("p", &asked).await.unwrap());
    assert_eq!(lite.payment_rows("p", &[]).await.unwrap(), []);
    lite.close().await;
    pg.close().await;
}

/// Payments a team database held before the search box's terms (their words
/// only) are written again when the administrator brings the schema up to
/// date, and are then found as the SQLite store finds them.
#[tokio::test]
async fn words_written_before_are_completed_at_set_up() {
    let s = seeded(300, 37, 30).await;
    let payments = every_payment(&s).await;
    let (_dir, lite) = sqlite().await;
    let (url, pg) = postgres().await;
    filled(&lite, &payments).await;
    filled(&pg, &payments).await;
    let questions: Vec<PaymentQuery> = every_question(&payments)
        .into_iter()
        .filter(|q| q.text.is_some())
        .collect();
    // As a desktop of the version before wrote them.
    pg.tamper(Tamper::OldSearchWords).await.unwrap();
    let mut stale = 0;
    for query in &questions {
        stale += usize::from(pg.search_payments("p", query).await.unwrap().total > 0);
    }
    pg.close().await;

    let pg = paydesk_core::store::postgres::set_up(&url).await.unwrap();
    let mut found = 0;
    for query in &questions {
        let on_sqlite = lite.search_payments("p", query).await.unwrap();
        let on_postgres = pg.search_payments("p", query).await.unwrap();
        assert_eq!(on_sqlite.rows, on_postgres.rows, "{query:?}");
        assert_eq!(on_sqlite.total, on_postgres.total, "{query:?}");
        found += usize::from(on_sqlite.total > 0);
    }
    assert!(
        found + 4 >= questions.len(),
        "{found} of {}",
        questions.len()
    );
    assert!(
        stale < found,
        "the old words found {stale}, the new {found}"
    );
    lite.close().await;
    pg.close().await;
}
