use std::time::{Duration, Instant};

use govpay_sim::Fault;
use serde_json::json;

use crate::common::*;

const REFUND_ROUTE: &str = "POST /v1/payments/{payment_id}/refunds";

async fn paid(api: &Api, sim: &govpay_sim::Simulator) -> String {
    let p = api.create_web(1000, "F").await;
    sim.control()
        .complete_payment(&id(&p), "4444333322221111")
        .unwrap();
    id(&p)
}

#[tokio::test]
async fn a_dropped_connection_after_the_refund_was_made_leaves_the_refund_made() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim).await;
    sim.control().set_faults(vec![Fault {
        route: REFUND_ROUTE.into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let sent = api
        .http
        .post(format!("{}/v1/payments/{pid}/refunds", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"amount": 300, "refund_amount_available": 1000}))
        .send()
        .await;
    assert!(sent.is_err(), "the client got no answer: {sent:?}");
    let snapshot = sim.control().payment(&pid).unwrap();
    assert_eq!(
        (snapshot.refunded, snapshot.refunds),
        (300, 1),
        "but the refund was made"
    );
    // The fault was used up: the payment reads normally and shows it.
    let (_, p) = api.get(&format!("/v1/payments/{pid}")).await;
    assert_eq!(p["refund_summary"]["amount_available"], 700);
}

#[tokio::test]
async fn injected_errors_and_429s_change_nothing() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim).await;
    sim.control().set_faults(vec![Fault {
        route: REFUND_ROUTE.into(),
        fail_next: 1,
        rate_limit_next: 1,
        ..Fault::default()
    }]);
    let path = format!("/v1/payments/{pid}/refunds");
    let (s, err) = api.post(&path, json!({"amount": 100})).await;
    assert_eq!(
        (s, err),
        (
            429,
            json!({"code": "P0900", "description": "Too many requests"})
        )
    );
    let (s, err) = api.post(&path, json!({"amount": 100})).await;
    assert_eq!((s, code(&err)), (500, "P0698"));
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 0);
    let (s, _) = api.post(&path, json!({"amount": 100})).await;
    assert_eq!(s, 202);
}

#[tokio::test]
async fn latency_and_a_hang_are_injected_per_route() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim).await;
    sim.control().set_faults(vec![
        Fault {
            route: "GET /v1/payments/{payment_id}".into(),
            latency_ms: 200,
            ..Fault::default()
        },
        Fault {
            route: REFUND_ROUTE.into(),
            hang_after_commit: 1,
            ..Fault::default()
        },
    ]);
    let started = Instant::now();
    let (s, _) = api.get(&format!("/v1/payments/{pid}")).await;
    assert_eq!(s, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "the latency was added"
    );
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let sent = quick
        .post(format!("{}/v1/payments/{pid}/refunds", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"amount": 100}))
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    assert_eq!(
        sim.control().payment(&pid).unwrap().refunds,
        1,
        "the change was made before the hang"
    );
    sim.control().clear_faults();
    let started = Instant::now();
    api.get(&format!("/v1/payments/{pid}")).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_control_api_works_over_http_too() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(1000, "CTRL").await;
    let http = &api.http;
    let base = sim.base_url();
    let res = http
        .post(format!("{base}/_sim/payments/{}/complete", id(&p)))
        .json(&json!({"card_number": "4444333322221111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .post(format!("{base}/_sim/payments/{}/refund", id(&p)))
        .json(&json!({"amount": 250}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .put(format!("{base}/_sim/faults"))
        .json(&json!([{"route": "*", "fail_next": 1}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (s, _) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(s, 500);
    let res = http
        .post(format!("{base}/_sim/clock/advance"))
        .json(&json!({"seconds": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, after) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(after["refund_summary"]["amount_submitted"], 250);
    let accounts: serde_json::Value = http
        .get(format!("{base}/_sim/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts[0]["api_key"], KEY);
}

#[tokio::test]
async fn a_proxy_error_after_the_refund_was_made_leaves_the_refund_made() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    for status in [502u16, 503, 504] {
        let pid = paid(&api, &sim).await;
        sim.control().set_faults(vec![Fault {
            route: REFUND_ROUTE.into(),
            proxy_error_after_commit: 1,
            proxy_status: status,
            ..Fault::default()
        }]);
        let answer = api
            .http
            .post(format!("{}/v1/payments/{pid}/refunds", sim.base_url()))
            .bearer_auth(KEY)
            .json(&json!({"amount": 300, "refund_amount_available": 1000}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status);
        let content_type = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(answer.text().await.unwrap().contains("<html>"));
        let snapshot = sim.control().payment(&pid).unwrap();
        assert_eq!(
            (snapshot.refunded, snapshot.refunds),
            (300, 1),
            "{status}: the refund was made all the same"
        );
    }
}

#[tokio::test]
async fn a_late_answer_comes_after_the_refund_was_made() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim).await;
    sim.control().set_faults(vec![Fault {
        route: REFUND_ROUTE.into(),
        late_after_commit: 1,
        late_ms: 1_500,
        ..Fault::default()
    }]);
    let started = Instant::now();
    let sent = api
        .http
        .post(format!("{}/v1/payments/{pid}/refunds", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"amount": 300, "refund_amount_available": 1000}))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(sent.is_err(), "the client gave up first: {sent:?}");
    assert!(started.elapsed() < Duration::from_millis(1_400));
    // Made before the answer was due.
    let snapshot = sim.control().payment(&pid).unwrap();
    assert_eq!((snapshot.refunded, snapshot.refunds), (300, 1));
}
