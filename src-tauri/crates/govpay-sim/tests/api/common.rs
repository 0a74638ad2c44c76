//! A small HTTP helper for talking to the simulator like a client would.
#![allow(dead_code)]

use govpay_sim::{Account, PaymentProvider, SimConfig, Simulator};
use serde_json::{Value, json};

pub const KEY: &str = "api_test_sandbox_key";
pub const STRIPE_KEY: &str = "api_test_stripe_key";
pub const NO_MOTO_KEY: &str = "api_test_plain_key";

/// Three accounts: the sandbox one, a Stripe one, and one with MOTO and recurring off.
pub async fn sim() -> Simulator {
    sim_with(|_| {}).await
}

pub async fn sim_with(tweak: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut stripe = Account::sandbox(STRIPE_KEY);
    stripe.id = 2;
    stripe.provider = PaymentProvider::Stripe;
    let mut plain = Account::sandbox(NO_MOTO_KEY);
    plain.id = 3;
    plain.moto_api_enabled = false;
    plain.recurring_enabled = false;
    // Tests fire requests faster than GOV.UK Pay allows; the limiter has its own test.
    let mut config = SimConfig {
        accounts: vec![Account::sandbox(KEY), stripe, plain],
        rate_limits: None,
        ..SimConfig::default()
    };
    tweak(&mut config);
    Simulator::start(config).await.unwrap()
}

pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    pub fn new(sim: &Simulator, key: &str) -> Self {
        govpay::install_crypto_provider();
        Self {
            http: reqwest::Client::new(),
            base: sim.base_url().to_owned(),
            key: key.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    pub async fn post_empty(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    pub async fn post_with_key(
        &self,
        path: &str,
        body: Value,
        idempotency_key: &str,
    ) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", idempotency_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    /// `POST /v1/auth`: no Bearer key.
    pub async fn auth(&self, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url("/v1/auth"))
            .json(&body)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    pub async fn create_web(&self, amount: i64, reference: &str) -> Value {
        let (s, p) = self
            .post("/v1/payments", json!({"amount": amount, "reference": reference, "description": "Parking permit", "return_url": "https://council.example/done"}))
            .await;
        assert_eq!(s, 201, "{p}");
        p
    }

    pub async fn create_moto(&self, amount: i64, reference: &str) -> Value {
        let (s, p) = self
            .post("/v1/payments", json!({"amount": amount, "reference": reference, "description": "By phone", "authorisation_mode": "moto_api"}))
            .await;
        assert_eq!(s, 201, "{p}");
        p
    }
}

pub async fn read(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

pub fn id(p: &Value) -> String {
    p["payment_id"].as_str().unwrap().to_owned()
}

pub fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

/// Card fields for `POST /v1/auth`, with an expiry safely in the future.
pub fn card(token: &str, number: &str) -> Value {
    json!({"one_time_token": token, "card_number": number, "cvc": "123", "expiry_date": "12/39", "cardholder_name": "Sam Citizen"})
}

pub fn token(p: &Value) -> String {
    p["_links"]["auth_url_post"]["params"]["one_time_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
