//! End-to-end paging: the client walks 100,000 payments from the simulator on
//! 127.0.0.1, 500 a page, decoding every page, with its rate limiter off (the
//! figure is the client's own cost) and then on (what a real sync is held to).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use govpay::search::PaymentSearch;
use govpay::{ApiKey, Client, RateLimits};
use govpay_sim::{Account, SeedSpec, SimConfig, Simulator};

const PAYMENTS: usize = 100_000;

async fn walk(client: &Client) -> (usize, f64) {
    let start = Instant::now();
    let mut pages = client.payments().search_all(&PaymentSearch::default());
    let mut seen = 0;
    while let Some(page) = pages.next().await {
        seen += page.expect("a page").items.len();
    }
    (seen, start.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sim = Simulator::start(SimConfig {
        accounts: vec![Account::sandbox("api_test_bench")],
        rate_limits: None,
        check_conformance: false,
        seeds: vec![SeedSpec {
            account: 1,
            payments: PAYMENTS,
            seed: 11,
            days: 365,
        }],
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");

    let unlimited = RateLimits {
        get_per_second: 1_000_000,
        ..RateLimits::default()
    };
    for (label, limits) in [
        ("no client limit", unlimited),
        ("GOV.UK Pay's 75 GET/s", RateLimits::default()),
    ] {
        let client = Client::builder(ApiKey::new("api_test_bench").expect("a key"))
            .base_url(sim.base_url())
            .rate_limits(limits)
            .build()
            .expect("a client");
        let (seen, secs) = walk(&client).await;
        assert_eq!(seen, PAYMENTS);
        let stats = client.stats();
        println!(
            "page through {PAYMENTS} payments, 500 a page ({label}): {secs:.2} s, {:.0} payments/s, {} requests, {} answered 429",
            seen as f64 / secs,
            stats.requests,
            stats.rate_limited
        );
    }
}
