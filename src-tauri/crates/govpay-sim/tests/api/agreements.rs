use serde_json::{Value, json};

use crate::common::*;

/// An agreement made active by a set-up payment paid with `card`.
async fn active_agreement(api: &Api, sim: &govpay_sim::Simulator, card: &str) -> String {
    let (s, a) = api.post("/v1/agreements", json!({"reference": "AGR-1", "description": "Garden waste", "user_identifier": "user-1"})).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "created");
    assert!(a["payment_instrument"].is_null());
    let aid = a["agreement_id"].as_str().unwrap().to_owned();
    assert_eq!(aid.len(), 26);
    let (s, p) = api
        .post("/v1/payments", json!({"amount": 500, "reference": "SETUP", "description": "First month", "return_url": "https://x.example/r", "set_up_agreement": aid}))
        .await;
    assert_eq!(s, 201, "{p}");
    sim.control().complete_payment(&id(&p), card).unwrap();
    aid
}

fn agreement_payment(aid: &str, reference: &str) -> Value {
    json!({"amount": 500, "reference": reference, "description": "Monthly", "authorisation_mode": "agreement", "agreement_id": aid, "agreement_payment_type": "recurring"})
}

#[tokio::test]
async fn a_set_up_payment_activates_the_agreement_with_its_card() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let aid = active_agreement(&api, &sim, "4242424242424242").await;
    let (s, a) = api.get(&format!("/v1/agreements/{aid}")).await;
    assert_eq!(s, 200);
    assert_eq!(a["status"], "active");
    assert_eq!(a["payment_instrument"]["type"], "card");
    assert_eq!(
        a["payment_instrument"]["card_details"]["last_digits_card_number"],
        "4242"
    );
    assert_eq!(a["user_identifier"], "user-1");
}

#[tokio::test]
async fn agreement_payments_charge_the_stored_card_and_honour_idempotency_keys() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let aid = active_agreement(&api, &sim, "4242424242424242").await;
    let (s, first) = api
        .post_with_key("/v1/payments", agreement_payment(&aid, "M1"), "month-1")
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["state"]["status"], "success");
    assert_eq!(first["authorisation_mode"], "agreement");
    assert!(
        first["_links"]["cancel"].is_null(),
        "agreement payments cannot be cancelled"
    );
    let (s, replay) = api
        .post_with_key("/v1/payments", agreement_payment(&aid, "M1"), "month-1")
        .await;
    assert_eq!(s, 200);
    assert_eq!(replay["payment_id"], first["payment_id"]);
    let (s, err) = api
        .post_with_key("/v1/payments", agreement_payment(&aid, "M2"), "month-1")
        .await;
    assert_eq!((s, code(&err)), (409, "P0191"));
    let (s, err) = api
        .post_with_key("/v1/payments", agreement_payment(&aid, "M3"), "bad key!")
        .await;
    assert_eq!((s, code(&err)), (422, "P0102"));
    assert_eq!(err["header"], "Idempotency-Key");
    // The key is ignored for other payments: two creates, two payments.
    let web = json!({"amount": 100, "reference": "W", "description": "D", "return_url": "https://x.example/r"});
    let (_, a) = api.post_with_key("/v1/payments", web.clone(), "same").await;
    let (_, b) = api.post_with_key("/v1/payments", web, "same").await;
    assert_ne!(a["payment_id"], b["payment_id"]);

    let (_, found) = api.get(&format!("/v1/payments?agreement_id={aid}")).await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn a_card_that_declines_recurring_payments_does() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let aid = active_agreement(&api, &sim, "5105105105105100").await;
    let (s, p) = api
        .post("/v1/payments", agreement_payment(&aid, "M1"))
        .await;
    assert_eq!(s, 201);
    assert_eq!(p["state"]["status"], "failed");
    assert_eq!(p["state"]["code"], "P0010");
}

#[tokio::test]
async fn agreement_rules_and_errors() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let (s, err) = api
        .post("/v1/agreements", json!({"description": "D"}))
        .await;
    assert_eq!((s, code(&err)), (400, "P2101"));
    let (s, err) = api
        .post(
            "/v1/agreements",
            json!({"reference": "a".repeat(256), "description": "D"}),
        )
        .await;
    assert_eq!((s, code(&err)), (422, "P0102"));
    let (s, err) = api
        .post(
            "/v1/agreements",
            json!({"reference": "a<b", "description": "D"}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P2102"));
    let off = Api::new(&sim, NO_MOTO_KEY);
    let (s, err) = off
        .post(
            "/v1/agreements",
            json!({"reference": "R", "description": "D"}),
        )
        .await;
    assert_eq!((s, code(&err)), (422, "P0942"));

    let (_, created) = api
        .post(
            "/v1/agreements",
            json!({"reference": "R", "description": "D"}),
        )
        .await;
    let created_id = created["agreement_id"].as_str().unwrap();
    let (s, err) = api
        .post("/v1/payments", agreement_payment(created_id, "X"))
        .await;
    assert_eq!((s, code(&err)), (400, "P0102"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("Agreement must be active")
    );
    let (s, err) = api
        .post("/v1/payments", agreement_payment(&"c".repeat(26), "X"))
        .await;
    assert_eq!((s, code(&err)), (400, "P0102"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("Agreement does not exist")
    );
    let (s, err) = api
        .post("/v1/payments", agreement_payment("short", "X"))
        .await;
    assert_eq!((s, code(&err)), (422, "P0102"));
    let mut with_email = agreement_payment(created_id, "X");
    with_email["email"] = json!("a@b.c");
    let (s, err) = api.post("/v1/payments", with_email).await;
    assert_eq!((s, code(&err)), (400, "P0104"));

    // Only an active agreement can be cancelled.
    let (s, err) = api
        .post_empty(&format!("/v1/agreements/{created_id}/cancel"))
        .await;
    assert_eq!((s, code(&err)), (400, "P2501"));
    let aid = active_agreement(&api, &sim, "4242424242424242").await;
    let (s, _) = api
        .post_empty(&format!("/v1/agreements/{aid}/cancel"))
        .await;
    assert_eq!(s, 204);
    let (_, a) = api.get(&format!("/v1/agreements/{aid}")).await;
    assert_eq!(a["status"], "cancelled");
    assert!(a["cancelled_date"].is_string());
    let (s, err) = api
        .post_empty(&format!("/v1/agreements/{aid}/cancel"))
        .await;
    assert_eq!((s, code(&err)), (400, "P2501"));
    let (s, err) = api
        .post_empty("/v1/agreements/dddddddddddddddddddddddddd/cancel")
        .await;
    assert_eq!((s, code(&err)), (404, "P2500"));
    let (s, err) = api.get("/v1/agreements/dddddddddddddddddddddddddd").await;
    assert_eq!((s, code(&err)), (404, "P2200"));
}

#[tokio::test]
async fn agreements_search_by_reference_and_status() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    for r in ["A", "B", "B"] {
        api.post(
            "/v1/agreements",
            json!({"reference": r, "description": "D"}),
        )
        .await;
    }
    let aid = active_agreement(&api, &sim, "4242424242424242").await;
    let (_, page) = api.get("/v1/agreements?reference=B").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["_links"]["self"]["method"], "GET");
    let (_, page) = api.get("/v1/agreements?status=active").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["results"][0]["agreement_id"], aid.as_str());
    let (s, err) = api.get("/v1/agreements?status=paused").await;
    assert_eq!((s, code(&err)), (422, "P2401"));
    let (s, err) = api.get("/v1/agreements?colour=blue").await;
    assert_eq!((s, code(&err)), (400, "P2401"));
}
