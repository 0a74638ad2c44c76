//! The simulator over real HTTP on 127.0.0.1.

use govpay_sim::{SimConfig, Simulator};
use serde_json::{Value, json};

const KEY: &str = "api_test_sandbox_key";

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

fn http() -> reqwest::Client {
    govpay::install_crypto_provider();
    reqwest::Client::new()
}

#[tokio::test]
async fn an_unknown_key_gets_401_without_json() {
    let sim = sim().await;
    for auth in [Some("Bearer nope"), None] {
        let mut req = http().get(format!("{}/v1/payments", sim.base_url()));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        let body = res.text().await.unwrap();
        assert!(
            serde_json::from_str::<Value>(&body).is_err(),
            "401 body must not be JSON: {body}"
        );
    }
}

#[tokio::test]
async fn creates_then_gets_a_payment_with_a_fresh_token_each_time() {
    let sim = sim().await;
    let res = http()
        .post(format!("{}/v1/payments", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"amount": 1450, "reference": "INV-1", "description": "Parking permit", "return_url": "https://example.org/done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["state"]["status"], "created");
    assert_eq!(created["refund_summary"]["status"], "pending");
    let id = created["payment_id"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    assert!(location.ends_with(id));

    let first: Value = http()
        .get(&location)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: Value = http()
        .get(&location)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = |v: &Value| v["_links"]["next_url"]["href"].as_str().unwrap().to_owned();
    assert_ne!(url(&first), url(&second), "each GET mints a new token");
    assert_eq!(first["amount"], 1450);
}

#[tokio::test]
async fn validation_errors_carry_status_code_and_field() {
    let sim = sim().await;
    let cases = [
        (
            json!({"reference": "r", "description": "d", "return_url": "https://x"}),
            400,
            "P0101",
            "amount",
        ),
        (
            json!({"amount": 0, "reference": "r", "description": "d", "return_url": "https://x"}),
            422,
            "P0102",
            "amount",
        ),
        (
            json!({"amount": 5, "reference": "r", "description": "d"}),
            400,
            "P0101",
            "return_url",
        ),
        (
            json!({"amount": 5, "reference": "r", "description": "d", "authorisation_mode": "moto_api", "return_url": "https://x"}),
            400,
            "P0104",
            "return_url",
        ),
    ];
    for (body, status, code, field) in cases {
        let res = http()
            .post(format!("{}/v1/payments", sim.base_url()))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["code"], code, "{body}");
        assert_eq!(err["field"], field, "{body}");
    }
    assert_eq!(
        sim.payment_count(),
        0,
        "nothing is created by a rejected request"
    );
}

#[tokio::test]
async fn search_pages_newest_first_with_links() {
    let sim = sim().await;
    for n in 0..5 {
        http()
            .post(format!("{}/v1/payments", sim.base_url()))
            .bearer_auth(KEY)
            .json(&json!({"amount": 100 + n, "reference": format!("R{n}"), "description": "d", "return_url": "https://x"}))
            .send()
            .await
            .unwrap();
    }
    let page: Value = http()
        .get(format!(
            "{}/v1/payments?display_size=2&page=2",
            sim.base_url()
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["count"], 2);
    assert_eq!(page["results"][0]["reference"], "R2");
    assert!(
        page["_links"]["next_page"]["href"]
            .as_str()
            .unwrap()
            .contains("page=3")
    );
    assert!(
        page["_links"]["prev_page"]["href"]
            .as_str()
            .unwrap()
            .contains("page=1")
    );

    let bad = http()
        .get(format!("{}/v1/payments?display_size=501", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let err: Value = bad.json().await.unwrap();
    assert_eq!(err["code"], "P0401");
}
