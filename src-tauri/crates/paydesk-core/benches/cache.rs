//! paydesk-core at scale: a full sync of 1,000,000 payments from the simulator,
//! an incremental sync with nothing new, and cache search latency (p50/p95) for
//! each filter and for free text. Figures go in BENCHMARKS.md.
//! Targets: sync over 20,000 payments/s; search p95 under 10 ms.
//! PAYDESK_BENCH_SYNC_ONLY=1 stops after the two syncs (to study the sync alone).
//! PAYDESK_BENCH_LATENCY_MS=<ms> makes the simulator wait that long before
//! each answer, as a real network and GOV.UK Pay's own work would.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use govpay_sim::{Fault, SimConfig, Simulator};
use paydesk_core::keys::MemoryKeyStore;
use paydesk_core::search::PaymentQuery;
use paydesk_core::services::NewService;
use paydesk_core::sync::SyncCancel;
use paydesk_core::{Core, Role};

fn payments() -> usize {
    std::env::var("PAYDESK_BENCH_PAYMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = payments();
    // PAYDESK_BENCH_REUSE=<folder> times the searches on a cache kept by
    // PAYDESK_BENCH_KEEP, without the syncs or the export.
    if let Some(dir) = std::env::var_os("PAYDESK_BENCH_REUSE") {
        let core = Core::open(
            std::path::Path::new(&dir),
            Arc::new(MemoryKeyStore::default()),
        )
        .await
        .expect("the kept cache opens");
        // The service holding the payments (not the built-in sandbox, say).
        let (service, n) = busiest_service(&core).await;
        searches(&core, &service, n).await;
        return;
    }
    let sim = Simulator::start(SimConfig {
        check_conformance: false,
        ..SimConfig::stripe_account("api_test_bench").with_history(n, 7, 3 * 365)
    })
    .await
    .expect("the simulator starts");
    let latency: u64 = std::env::var("PAYDESK_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if latency > 0 {
        sim.control().set_faults(vec![Fault {
            route: "*".into(),
            latency_ms: latency,
            ..Fault::default()
        }]);
        println!("every answer {latency} ms late");
    }
    // PAYDESK_BENCH_KEEP=<folder> keeps the synced cache there, to study queries.
    let kept = std::env::var_os("PAYDESK_BENCH_KEEP").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().expect("a folder");
    let dir_path = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir_path).expect("the folder for the cache");
    let core = Core::open(&dir_path, Arc::new(MemoryKeyStore::default()))
        .await
        .expect("the core opens");
    let service = core
        .services_add(NewService::test_account(
            "Bench",
            sim.base_url(),
            Role::Supervisor,
            "api_test_bench",
        ))
        .await
        .expect("the service is added")
        .id;

    let started = Instant::now();
    let phases = std::sync::Mutex::new(Vec::<(String, f64, u64)>::new());
    let report = core
        .sync_service(&service, &SyncCancel::default(), &|p| {
            let mut phases = phases.lock().unwrap_or_else(|e| e.into_inner());
            let name = format!("{:?}", p.resource);
            match phases.last_mut() {
                Some(last) if last.0 == name => {
                    last.1 = started.elapsed().as_secs_f64();
                    last.2 = p.items;
                }
                _ => phases.push((name, started.elapsed().as_secs_f64(), p.items)),
            }
        })
        .await
        .expect("the sync runs");
    for (name, until, items) in phases.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        println!("  {name} done by {until:.1} s ({items} items so far)");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "full sync of {} payments (+{} refunds, {} disputes, {} agreements) with GOV.UK Pay's rate limits on: {secs:.1} s, {:.0} payments/s, {} requests, at most {} at once",
        report.payments,
        report.refunds,
        report.disputes,
        report.agreements,
        report.payments as f64 / secs,
        report.requests,
        sim.control().most_in_flight()
    );
    let started = Instant::now();
    let again = core
        .sync_service(&service, &SyncCancel::default(), &|_| {})
        .await
        .expect("the sync runs");
    println!(
        "incremental sync, nothing new: {} requests, {:.0} ms, {} items re-read",
        again.requests,
        started.elapsed().as_secs_f64() * 1000.0,
        again.payments + again.refunds + again.disputes + again.agreements
    );
    if std::env::var_os("PAYDESK_BENCH_SYNC_ONLY").is_some() {
        return;
    }
    let db_size: u64 = std::fs::read_dir(&dir_path)
        .expect("the folder")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("database on disk: {:.0} MB", db_size as f64 / 1e6);

    let newest = searches(&core, &service, n).await;

    // Export for finance: every payment and refund of the whole history, to a file.
    // Resident memory in kB: all of it, and the part that is not file pages.
    // SQLite maps up to 256 MB of the database file (`mmap_size`), and pages it
    // reads that way count as resident too, though they are the OS's file cache
    // and not memory the export holds.
    let status_kb = |field: &str| -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    };
    let before = [status_kb("VmRSS:"), status_kb("RssAnon:")];
    let peaks = Arc::new([
        std::sync::atomic::AtomicU64::new(before[0]),
        std::sync::atomic::AtomicU64::new(before[1]),
    ]);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peaks, done) = (peaks.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peaks[0].fetch_max(status_kb("VmRSS:"), std::sync::atomic::Ordering::Relaxed);
                peaks[1].fetch_max(status_kb("RssAnon:"), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let path = dir_path.join("export.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("the export file"));
    let started = Instant::now();
    let exported = core
        .export_csv(&service, 0, newest + 1, &mut file, &|_| {})
        .await
        .expect("the export runs");
    drop(file);
    let secs = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.join().expect("the sampler stops");
    let rows = exported.payments + exported.refunds;
    let mb = |kb: u64| kb as f64 / 1024.0;
    let rise = |i: usize| {
        mb(peaks[i]
            .load(std::sync::atomic::Ordering::Relaxed)
            .saturating_sub(before[i]))
    };
    println!(
        "export of {} payments and {} refunds: {secs:.1} s, {:.0} rows/s, {:.0} MB written, resident memory {:.0} MB before, +{:.0} MB at peak, of which not file pages +{:.0} MB",
        exported.payments,
        exported.refunds,
        rows as f64 / secs,
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        mb(before[0]),
        rise(0),
        rise(1),
    );
}

/// Times 60–180 searches per filter, with values taken from the cache; returns
/// the newest payment's creation time.
async fn searches(core: &Core, service: &str, n: usize) -> i64 {
    // Real values to look for, spread through the history.
    let spread = core.store().probe_sample(60).await.expect("a sample");
    let sample: Vec<_> = spread.iter().filter(|p| p.service_id == service).collect();
    let metadata: Vec<String> = sample.iter().filter_map(|p| p.case_ref.clone()).collect();
    let q = |f: &dyn Fn(usize) -> PaymentQuery| (0..sample.len()).map(f).collect::<Vec<_>>();
    let newest_first = PaymentQuery {
        page_size: 1,
        ..Default::default()
    };
    let newest = core
        .payments_search(service, &newest_first)
        .await
        .expect("a search")
        .rows
        .first()
        .and_then(|p| paydesk_core::clock::api_time_ms(&p.created_date))
        .expect("a newest payment");
    let day = 86_400_000;
    // Each sampled payment's amount, as a person types it.
    let mut amounts = Vec::new();
    for p in &sample {
        let found = core
            .payments_search(
                service,
                &PaymentQuery {
                    text: Some(p.payment_id.clone()),
                    ..Default::default()
                },
            )
            .await
            .expect("a search");
        amounts.push(found.rows.first().map_or(0, |r| r.amount));
    }
    let typed_amount = |pence: i64| {
        if pence % 100 == 0 {
            format!("{}", pence / 100)
        } else {
            format!("{}.{:02}", pence / 100, pence % 100)
        }
    };
    let cases: Vec<(&str, Vec<PaymentQuery>)> = vec![
        ("newest first, no filter", q(&|_| PaymentQuery::default())),
        (
            "payment ID (search box)",
            q(&|i| PaymentQuery {
                text: Some(sample[i].payment_id.clone()),
                ..Default::default()
            }),
        ),
        (
            "reference (filter)",
            q(&|i| PaymentQuery {
                reference: Some(sample[i].reference.clone()),
                ..Default::default()
            }),
        ),
        (
            "reference (search box)",
            q(&|i| PaymentQuery {
                text: Some(sample[i].reference.clone()),
                ..Default::default()
            }),
        ),
        (
            "email, part of it",
            q(&|i| PaymentQuery {
                email: sample[i]
                    .email
                    .clone()
                    .map(|e| e[2..8.min(e.len())].to_owned()),
                ..Default::default()
            }),
        ),
        (
            "email (search box)",
            q(&|i| PaymentQuery {
                text: sample[i].email.clone(),
                ..Default::default()
            }),
        ),
        (
            "reference part (box, \"0019992\")",
            q(&|i| PaymentQuery {
                text: sample[i].reference.split('-').nth(1).map(str::to_owned),
                ..Default::default()
            }),
        ),
        (
            "email part (box, \"lewis17\")",
            q(&|i| PaymentQuery {
                text: sample[i]
                    .email
                    .as_deref()
                    .and_then(|e| e.split(['.', '@']).nth(1))
                    .map(str::to_owned),
                ..Default::default()
            }),
        ),
        (
            "email domain (box)",
            q(&|i| PaymentQuery {
                text: sample[i]
                    .email
                    .as_deref()
                    .and_then(|e| e.split('@').nth(1))
                    .map(str::to_owned),
                ..Default::default()
            }),
        ),
        (
            "amount (box, \"45\")",
            q(&|i| PaymentQuery {
                text: Some(typed_amount(amounts[i])),
                ..Default::default()
            }),
        ),
        (
            "amount (box, \"£45.00\")",
            q(&|i| PaymentQuery {
                text: Some(format!("£{}.{:02}", amounts[i] / 100, amounts[i] % 100)),
                ..Default::default()
            }),
        ),
        (
            "name and last 4 (box)",
            q(&|i| PaymentQuery {
                text: sample[i]
                    .cardholder_name
                    .as_ref()
                    .map(|n| format!("{n} {}", sample[i].last4.clone().unwrap_or_default())),
                ..Default::default()
            }),
        ),
        (
            "cardholder name, part of it",
            q(&|i| PaymentQuery {
                cardholder_name: sample[i]
                    .cardholder_name
                    .clone()
                    .map(|n| n[..4.min(n.len())].to_owned()),
                ..Default::default()
            }),
        ),
        (
            "name (search box, two words)",
            q(&|i| PaymentQuery {
                text: sample[i].cardholder_name.clone(),
                ..Default::default()
            }),
        ),
        (
            "last 4 digits (search box)",
            q(&|i| PaymentQuery {
                text: sample[i].last4.clone(),
                ..Default::default()
            }),
        ),
        (
            "4 digits matching nothing (box)",
            q(&|i| PaymentQuery {
                text: Some(format!("{:04}", 1234 + i)),
                ..Default::default()
            }),
        ),
        (
            "first 6 + last 4",
            q(&|i| PaymentQuery {
                first6: sample[i].first6.clone(),
                last4: sample[i].last4.clone(),
                ..Default::default()
            }),
        ),
        (
            "card brand",
            q(&|_| PaymentQuery {
                card_brand: Some("American Express".into()),
                ..Default::default()
            }),
        ),
        (
            "state failed",
            q(&|_| PaymentQuery {
                state: Some("failed".into()),
                ..Default::default()
            }),
        ),
        (
            "last 7 days",
            q(&|_| PaymentQuery {
                from_ms: Some(newest - 7 * day),
                ..Default::default()
            }),
        ),
        (
            "a month, a year ago",
            q(&|i| PaymentQuery {
                from_ms: Some(newest - (365 + i as i64) * day),
                to_ms: Some(newest - (335 + i as i64) * day),
                ..Default::default()
            }),
        ),
        (
            "metadata value",
            metadata
                .iter()
                .map(|m| PaymentQuery {
                    metadata_value: Some(m.clone()),
                    ..Default::default()
                })
                .collect(),
        ),
        (
            "free text, one common word",
            q(&|_| PaymentQuery {
                text: Some("parking".into()),
                ..Default::default()
            }),
        ),
        (
            "free text, a prefix as typed",
            q(&|i| PaymentQuery {
                text: sample[i]
                    .cardholder_name
                    .clone()
                    .map(|n| n[..3.min(n.len())].to_owned()),
                ..Default::default()
            }),
        ),
        (
            "sorted by amount",
            q(&|_| PaymentQuery {
                sort: paydesk_core::search::SortBy::Amount,
                ..Default::default()
            }),
        ),
    ];
    println!(
        "search over {} cached payments, 20 a page (p50 / p95 / max of each query set):",
        n
    );
    for (label, queries) in cases {
        if queries.is_empty() {
            println!("  {label:<32} (no sample values)");
            continue;
        }
        let mut times = Vec::new();
        for query in queries.iter().cycle().take(queries.len().max(1) * 3) {
            let t = Instant::now();
            core.store()
                .search_payments(service, query)
                .await
                .expect("the search runs");
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "  {label:<32} p50 {:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.95).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
        );
    }

    newest
}

/// The service holding most payments in a kept cache (not the built-in
/// sandbox, say), and how many it holds.
async fn busiest_service(core: &Core) -> (String, usize) {
    let sample = core.store().probe_sample(1_000).await.expect("a sample");
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for p in &sample {
        *counts.entry(p.service_id.clone()).or_default() += 1;
    }
    let (service, _) = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("a cache with payments");
    let status = core.sync_status(&service).await.expect("its sync status");
    (service, status.cached_payments as usize)
}
