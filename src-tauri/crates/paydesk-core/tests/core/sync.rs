//! Filling the cache from GOV.UK Pay: windows, paging, rate limits, a kill -9, a bulk first fill.

use crate::common::*;

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
        .envs(team_url(s.dir.path()).map(|url| ("PAYDESK_TEST_DATABASE", url)))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let next = s
            .core
            .store()
            .probe_next_page(&s.service, "payments")
            .await
            .unwrap();
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
    assert_eq!(
        indexes_aside(&s).await,
        bulk_loads(),
        "the child was loading with the indexes aside (on SQLite)"
    );
    // Searching still works while they are aside: words are matched on each row.
    let newest = s
        .core
        .store()
        .probe_sample(usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|p| p.created_ms)
        .unwrap();
    let (payment_id, reference) = (newest.payment_id, newest.reference);
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
    assert!(!indexes_aside(&s).await);
    assert_eq!(
        progress
            .lock()
            .unwrap()
            .iter()
            .any(|m| m == "Building the search indexes"),
        bulk_loads()
    );
    s.core.store().probe_check_indexes().await.unwrap();
    let indexed = find(&s, by_reference).await;
    assert!(
        indexed.rows.iter().any(|r| r.payment_id == payment_id),
        "{indexed:?}"
    );
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
    let cached = s.core.store().probe_agreement_ids().await.unwrap();
    assert_eq!(cached.len() as u64, agreements);
    assert_eq!(bulk.store().probe_agreement_ids().await.unwrap(), cached);
    assert!(!row_by_row.iter().any(|(m, _)| m.contains("search indexes")));
    let building = loaded
        .iter()
        .find(|(m, _)| m == "Building the search indexes")
        .map(|(_, items)| *items);
    // The refunds and disputes were read alongside the payments: by the
    // build, more than the payments were in.
    if bulk_loads() {
        assert!(building.is_some_and(|n| n > 3_000), "{loaded:?}");
    } else {
        assert_eq!(building, None, "{loaded:?}");
    }
    assert!(!bulk.store().probe_indexes_aside().await.unwrap());
    bulk.store().probe_check_indexes().await.unwrap();
    // Their payments' refund totals, worked out at the build, are those the
    // row-by-row sync worked out page by page.
    let (one, other) = (
        s.core.store().probe_refund_totals().await.unwrap(),
        bulk.store().probe_refund_totals().await.unwrap(),
    );
    assert!(
        one.iter().any(|t| t.submitted.unwrap_or(0) > 0),
        "some payments have refunds"
    );
    assert_eq!(one, other);

    let oldest = bulk
        .store()
        .probe_sample(usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.email.is_some() && p.cardholder_name.is_some())
        .min_by_key(|p| p.created_ms)
        .unwrap();
    let (reference, email, holder, last4) = (
        oldest.reference,
        oldest.email.unwrap(),
        oldest.cardholder_name.unwrap(),
        oldest.last4.unwrap(),
    );
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
        let ids = |r: &paydesk_core::search::PaymentResults| {
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
        tamper(&s, Tamper::ServiceRename(s.service.clone()))
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
    // Pages come 400 ms apart, as over a slow network: the writer takes
    // whatever pages come within 200 ms of the first in one go, so each wave
    // of pages is a batch of its own (at 100 ms the second wave could land
    // in the first batch on a busy machine, leaving nothing to cancel).
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 400,
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

/// The core runs one sync per service in the background, tells its progress
/// and its end, and can be asked to stop it; the mop-up follows a good run.
#[tokio::test]
async fn one_background_sync_per_service_reports_its_progress_and_end() {
    let s = seeded(3_000, 7, 30).await;
    // Slow pages, so the run is still going when asked about.
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 500,
        ..Fault::default()
    }]);
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let on_event = {
        let sender = sender.clone();
        Arc::new(move |e: paydesk_core::sync::SyncEvent| {
            let _ = sender.send(e);
        })
    };
    assert!(
        s.core
            .sync_begin(&s.service, on_event.clone())
            .await
            .unwrap()
    );
    assert!(
        !s.core
            .sync_begin(&s.service, on_event.clone())
            .await
            .unwrap(),
        "a second sync of the same service is not started"
    );
    let mut progress = 0;
    let mut seen_running = false;
    let finished = loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("the sync says how it ends")
            .unwrap();
        match event {
            paydesk_core::sync::SyncEvent::Progress(p) => {
                assert_eq!(p.service_id, s.service);
                let view = s.core.sync_view(&s.service).await.unwrap();
                seen_running |= view.running && view.progress.is_some();
                progress += 1;
            }
            paydesk_core::sync::SyncEvent::Finished { service_id, result } => {
                assert_eq!(service_id, s.service);
                break result.unwrap();
            }
        }
    };
    assert!(seen_running, "while it ran, it was said to be running");
    assert!(progress > 1 && !finished.cancelled && finished.payments == 3_000);
    let view = s.core.sync_view(&s.service).await.unwrap();
    assert!(
        !view.running && view.status.last_synced_ms.is_some(),
        "{view:?}"
    );

    // Stopped between pages: the end says so, and the next run resumes.
    s.sim.control().set_faults(vec![Fault {
        route: "GET /v1/refunds".into(),
        latency_ms: 1_000,
        ..Fault::default()
    }]);
    assert!(s.core.sync_begin(&s.service, on_event).await.unwrap());
    s.core.sync_stop(&s.service);
    let stopped = loop {
        match tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("a stopped sync says so")
            .unwrap()
        {
            paydesk_core::sync::SyncEvent::Finished { result, .. } => break result.unwrap(),
            paydesk_core::sync::SyncEvent::Progress(_) => {}
        }
    };
    assert!(stopped.cancelled, "{stopped:?}");
    assert!(!s.core.sync_view(&s.service).await.unwrap().running);
}
