//! How fast a page of 500 payments (the API's largest) is decoded.
//!
//! Run with `make bench`. Prints payments per second and megabytes per second on
//! one core; the figures are recorded in BENCHMARKS.md. Target: decoding is never
//! the bottleneck of a sync (well over 100,000 payments/s).
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use govpay::models::{Payment, SearchPage};

/// One realistic search result: a successful card payment with metadata.
fn payment_json(i: usize) -> String {
    format!(
        r#"{{"amount":{amount},"description":"Parking permit renewal for zone {zone}","reference":"PRK-{i:08}",
"language":"en","email":"citizen{i}@example.org","metadata":{{"ledger_code":"AB{zone}","fund":"parking","internal_id":{i}}},
"state":{{"status":"success","finished":true}},"payment_id":"{id}","payment_provider":"sandbox",
"provider_id":"prov-{i}","created_date":"2026-03-{day:02}T10:{min:02}:00.000Z",
"refund_summary":{{"status":"available","amount_available":{amount},"amount_submitted":0}},
"settlement_summary":{{"capture_submit_time":"2026-03-{day:02}T10:{min:02}:05.000Z","captured_date":"2026-03-{day:02}"}},
"card_details":{{"last_digits_card_number":"4242","first_digits_card_number":"424242","cardholder_name":"Sam Citizen",
"expiry_date":"04/29","billing_address":{{"line1":"1 High Street","city":"Leeds","postcode":"LS1 1AA","country":"GB"}},
"card_brand":"Visa","card_type":"debit"}},"delayed_capture":false,"moto":false,"return_url":"https://service.example.gov.uk/done",
"authorisation_mode":"web","card_brand":"Visa",
"_links":{{"self":{{"href":"https://publicapi.payments.service.gov.uk/v1/payments/{id}","method":"GET"}},
"events":{{"href":"https://publicapi.payments.service.gov.uk/v1/payments/{id}/events","method":"GET"}},
"refunds":{{"href":"https://publicapi.payments.service.gov.uk/v1/payments/{id}/refunds","method":"GET"}}}}}}"#,
        amount = 1000 + i * 7 % 90_000,
        zone = i % 40,
        id = format!("{:026}", i).replace('0', "a"),
        day = 1 + i % 28,
        min = i % 60,
    )
}

fn page_json(n: usize) -> String {
    let results: Vec<String> = (0..n).map(payment_json).collect();
    format!(
        r#"{{"total":100000,"count":{n},"page":1,"results":[{}],"_links":{{"self":{{"href":"https://x/v1/payments?page=1"}},"next_page":{{"href":"https://x/v1/payments?page=2"}}}}}}"#,
        results.join(",")
    )
}

fn main() {
    let body = page_json(500);
    // Check the page really decodes before timing it.
    let page: SearchPage<Payment> = serde_json::from_str(&body).expect("the bench page decodes");
    assert_eq!(page.results.len(), 500);

    let budget = Duration::from_secs(3);
    let mut pages = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        let page: SearchPage<Payment> = serde_json::from_str(black_box(&body)).expect("decodes");
        black_box(page);
        pages += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let per_page_us = secs * 1e6 / pages as f64;
    let payments_per_s = pages as f64 * 500.0 / secs;
    let mb_per_s = pages as f64 * body.len() as f64 / secs / 1e6;
    println!("decode a 500-payment search page ({} bytes)", body.len());
    println!(
        "  {pages} pages in {secs:.2} s: {per_page_us:.0} us/page, {payments_per_s:.0} payments/s, {mb_per_s:.1} MB/s (one core)"
    );
}
