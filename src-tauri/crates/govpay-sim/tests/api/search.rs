use std::time::{Duration, Instant};

use govpay_sim::SeedSpec;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn payment_search_filters_like_the_api() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let mut ids = Vec::new();
    for (i, (reference, email, card)) in [
        ("INV-1", "ann@example.org", Some("4444333322221111")),
        ("inv-2", "bob@example.org", Some("371449635398431")),
        ("INV-3", "ann.other@example.org", Some("4000000000000002")),
        ("INV-4", "cy@example.org", None),
    ]
    .into_iter()
    .enumerate()
    {
        let (_, p) = api
            .post("/v1/payments", json!({"amount": 100 + i, "reference": reference, "description": "D", "email": email, "return_url": "https://x.example/r"}))
            .await;
        if let Some(card) = card {
            sim.control().complete_payment(&id(&p), card).unwrap();
        }
        ids.push(id(&p));
    }
    let total = |v: &Value| v["total"].as_u64().unwrap();
    let (_, all) = api.get("/v1/payments").await;
    assert_eq!(total(&all), 4);
    assert_eq!(
        all["results"][0]["payment_id"],
        ids[3].as_str(),
        "newest first"
    );
    assert!(
        all["results"][0]["_links"]["next_url"].is_null(),
        "search results carry no journey links"
    );
    assert!(all["results"][0]["_links"]["cancel"].is_object());
    assert!(
        all["_links"]["self"]["method"].is_null(),
        "payment search links are HAL href only"
    );

    let cases = [
        ("reference=INV-2", vec![1]),
        ("email=ann", vec![2, 0]),
        ("state=success", vec![1, 0]),
        ("state=failed", vec![2]),
        ("state=created", vec![3]),
        ("card_brand=american-express", vec![1]),
        ("last_digits_card_number=1111", vec![0]),
        ("first_digits_card_number=400000", vec![2]),
        ("cardholder_name=sam", vec![2, 1, 0]),
    ];
    for (query, expected) in cases {
        let (s, page) = api.get(&format!("/v1/payments?{query}")).await;
        assert_eq!(s, 200, "{query}: {page}");
        let got: Vec<&str> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["payment_id"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = expected.iter().map(|&i| ids[i].as_str()).collect();
        assert_eq!(got, want, "{query}");
        assert!(
            page["_links"]["self"]["href"]
                .as_str()
                .unwrap()
                .contains(query.split('=').next().unwrap()),
            "links repeat the filter"
        );
    }
    let (_, none) = api.get("/v1/payments?from_date=2099-01-01T00:00:00Z").await;
    assert_eq!(total(&none), 0);
    let (_, some) = api
        .get("/v1/payments?from_date=2020-01-01T00:00:00Z&to_date=2099-01-01T00:00:00Z")
        .await;
    assert_eq!(total(&some), 4);
}

#[tokio::test]
async fn bad_search_parameters_are_all_named_in_one_422() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let (s, err) = api
        .get("/v1/payments?state=capturable&to_date=yesterday&display_size=501")
        .await;
    assert_eq!((s, code(&err)), (422, "P0401"));
    let d = err["description"].as_str().unwrap();
    for name in ["state", "to_date", "display_size"] {
        assert!(d.contains(name), "{d}");
    }
    assert!(d.ends_with("See Public API documentation for the correct data formats"));
    let (s, err) = api
        .get("/v1/payments?last_digits_card_number=12&first_digits_card_number=abcdef")
        .await;
    assert_eq!((s, code(&err)), (422, "P0401"));
    let (s, err) = api.get("/v1/refunds?from_date=01-01-2026").await;
    assert_eq!((s, code(&err)), (422, "P1101"));
    let (s, err) = api.get("/v1/payments?page=0").await;
    assert_eq!((s, code(&err)), (422, "P0401"));
}

#[tokio::test]
async fn paging_over_a_seeded_history() {
    let sim = sim_with(|c| {
        c.seeds = vec![SeedSpec {
            account: 1,
            payments: 1234,
            seed: 9,
            days: 400,
        }]
    })
    .await;
    let api = Api::new(&sim, KEY);
    let (_, first) = api.get("/v1/payments?display_size=500").await;
    assert_eq!(first["total"], 1234);
    assert_eq!(first["count"], 500);
    assert!(first["_links"]["prev_page"].is_null());
    assert!(
        first["_links"]["last_page"]["href"]
            .as_str()
            .unwrap()
            .contains("page=3")
    );
    let mut seen = 0;
    let mut next = Some(format!("{}/v1/payments?display_size=500", sim.base_url()));
    let mut last_date = String::from("9999");
    let mut pages = 0;
    while let Some(url) = next.take() {
        let (s, page) = api.get(&url).await;
        assert_eq!(s, 200);
        for p in page["results"].as_array().unwrap() {
            let created = p["created_date"].as_str().unwrap().to_owned();
            assert!(created <= last_date, "newest first across pages");
            last_date = created;
            seen += 1;
        }
        next = page["_links"]["next_page"]["href"]
            .as_str()
            .map(str::to_owned);
        pages += 1;
        assert!(pages <= 3);
    }
    assert_eq!(seen, 1234);
    let (s, err) = api.get("/v1/payments?display_size=500&page=4").await;
    assert_eq!((s, code(&err)), (404, "P0402"));
    let (_, refunds) = api.get("/v1/refunds?display_size=5").await;
    assert!(refunds["total"].as_u64().unwrap() > 0);
    assert_eq!(refunds["_links"]["next_page"]["method"], "GET");
}

#[tokio::test]
async fn search_lags_writes_like_the_ledger() {
    let sim = sim_with(|c| c.consistency_lag = Duration::from_millis(300)).await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(100, "LAGGED").await;
    // Strongly consistent: the payment can be read at once...
    let (s, _) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(s, 200);
    // ...but search does not see it yet.
    let (_, page) = api.get("/v1/payments?reference=LAGGED").await;
    assert_eq!(page["total"], 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut found = false;
    while Instant::now() < deadline && !found {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (_, page) = api.get("/v1/payments?reference=LAGGED").await;
        found = page["total"] == 1;
    }
    assert!(found, "search caught up");

    sim.control()
        .complete_payment(&id(&p), "4444333322221111")
        .unwrap();
    let (_, page) = api.get("/v1/payments?reference=LAGGED").await;
    assert_eq!(
        page["results"][0]["state"]["status"], "created",
        "search still shows the old state"
    );
    let (_, refunds) = api
        .post(
            &format!("/v1/payments/{}/refunds", id(&p)),
            json!({"amount": 10}),
        )
        .await;
    assert_eq!(refunds["status"], "success");
    let (_, list) = api.get(&format!("/v1/payments/{}/refunds", id(&p))).await;
    assert_eq!(
        list["_embedded"]["refunds"].as_array().unwrap().len(),
        0,
        "the refund list lags too"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, page) = api.get("/v1/payments?reference=LAGGED").await;
    assert_eq!(page["results"][0]["state"]["status"], "success");
    let (_, list) = api.get(&format!("/v1/payments/{}/refunds", id(&p))).await;
    assert_eq!(list["_embedded"]["refunds"].as_array().unwrap().len(), 1);
}

/// As the API reads a search: a blank parameter is not given at all, a page
/// past a Java `int` is refused by name (it once overflowed here), and
/// states and statuses are lower case only.
#[tokio::test]
async fn blank_parameters_are_absent_pages_stop_at_an_int_states_are_lower_case() {
    let sim = sim_with(|c| {
        c.seeds = vec![SeedSpec {
            account: 1,
            payments: 30,
            seed: 4,
            days: 20,
        }]
    })
    .await;
    let api = Api::new(&sim, KEY);
    let (_, all) = api.get("/v1/payments").await;
    let (s, blank) = api
        .get("/v1/payments?page=&display_size=&state=&reference=&email=&card_brand=&from_date=")
        .await;
    assert_eq!(s, 200, "{blank}");
    assert_eq!(blank["total"], all["total"]);
    assert_eq!(blank["count"], all["count"]);
    for path in [
        "/v1/refunds?page=&display_size=",
        "/v1/disputes?status=&page=",
        "/v1/agreements?reference=&status=&page=",
    ] {
        let (s, body) = api.get(path).await;
        assert_eq!(s, 200, "{path}: {body}");
    }

    for (path, want) in [
        ("/v1/payments?page=100000000000000000", "P0401"),
        ("/v1/payments?page=2147483648", "P0401"),
        ("/v1/refunds?page=100000000000000000", "P1101"),
        ("/v1/disputes?page=100000000000000000", "P0401"),
        ("/v1/agreements?page=100000000000000000", "P2401"),
    ] {
        let (s, err) = api.get(path).await;
        assert_eq!((s, code(&err)), (422, want), "{path}: {err}");
        assert!(
            err["description"].as_str().unwrap().contains("page"),
            "{err}"
        );
    }
    // The largest page is a page: past the last one, so not found.
    let (s, err) = api.get("/v1/payments?page=2147483647").await;
    assert_eq!((s, code(&err)), (404, "P0402"), "{err}");

    let (s, err) = api.get("/v1/payments?state=SUCCESS").await;
    assert_eq!((s, code(&err)), (422, "P0401"), "{err}");
    let (s, ok) = api.get("/v1/payments?state=success").await;
    assert_eq!(s, 200, "{ok}");
    let (s, err) = api.get("/v1/agreements?status=ACTIVE").await;
    assert_eq!((s, code(&err)), (422, "P2401"), "{err}");
}
