//! Seeding 1,000,000 payments, and paging through them over HTTP on 127.0.0.1.
//!
//! `make bench` runs it. It prints how long the seed takes, pages of 500 per
//! second and bytes per second for an unfiltered walk (a sync's case), and the
//! time of a filtered search that has to scan the whole history. Figures go in
//! BENCHMARKS.md. Target: the simulator is never the bottleneck when the client
//! or the app is measured against it.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use govpay_sim::{SimConfig, Simulator};

const PAYMENTS: usize = 1_000_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let config = SimConfig {
        rate_limits: None,
        check_conformance: false,
        ..SimConfig::stripe_account("api_test_bench").with_history(PAYMENTS, 42, 3 * 365)
    };
    let started = Instant::now();
    let sim = Simulator::start(config)
        .await
        .expect("the simulator starts");
    let seeded = started.elapsed();
    assert_eq!(sim.payment_count(), PAYMENTS);
    println!(
        "seed {PAYMENTS} payments (with refunds, agreements, disputes): {:.2} s",
        seeded.as_secs_f64()
    );

    govpay::install_crypto_provider();
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let res = http
                .get(url)
                .bearer_auth("api_test_bench")
                .send()
                .await
                .expect("an answer");
            assert_eq!(res.status(), 200);
            res.bytes().await.expect("a body").len()
        }
    };

    // Walk pages of 500 for a fixed time, one request at a time (a sync's pattern).
    let budget = Duration::from_secs(5);
    let (mut pages, mut bytes, mut page) = (0u64, 0u64, 1u64);
    let start = Instant::now();
    while start.elapsed() < budget {
        bytes += get(format!(
            "{}/v1/payments?display_size=500&page={page}",
            sim.base_url()
        ))
        .await as u64;
        pages += 1;
        page = page % (PAYMENTS as u64 / 500) + 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "unfiltered pages of 500: {:.0} pages/s, {:.0} payments/s, {:.1} MB/s ({pages} pages, {:.0} KB each)",
        pages as f64 / secs,
        pages as f64 * 500.0 / secs,
        bytes as f64 / secs / 1e6,
        bytes as f64 / pages as f64 / 1e3
    );

    // A filter the history has to be scanned for.
    let mut worst = Duration::ZERO;
    let runs = 5;
    let start = Instant::now();
    for n in 0..runs {
        let t = Instant::now();
        get(format!(
            "{}/v1/payments?reference=PRK-{:07}&display_size=500",
            sim.base_url(),
            1 + n * 99_991
        ))
        .await;
        worst = worst.max(t.elapsed());
    }
    println!(
        "filtered search over {PAYMENTS} (reference): {:.1} ms mean, {:.1} ms worst",
        start.elapsed().as_secs_f64() * 1000.0 / runs as f64,
        worst.as_secs_f64() * 1000.0
    );
}
