use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a_moto_payment_carries_a_one_time_token_and_no_next_url() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_moto(15000, "PHONE-1").await;
    assert_eq!(p["moto"], true);
    assert_eq!(p["authorisation_mode"], "moto_api");
    assert!(p["return_url"].is_null());
    assert!(p["_links"]["next_url"].is_null());
    let auth = &p["_links"]["auth_url_post"];
    assert_eq!(auth["method"], "POST");
    assert_eq!(auth["type"], "application/json");
    assert!(auth["href"].as_str().unwrap().ends_with("/v1/auth"));
    assert_eq!(token(&p).len(), 36);
}

#[tokio::test]
async fn an_account_without_the_moto_api_gets_p0195() {
    let sim = sim().await;
    let api = Api::new(&sim, NO_MOTO_KEY);
    let (s, err) = api.post("/v1/payments", json!({"amount": 100, "reference": "R", "description": "D", "authorisation_mode": "moto_api"})).await;
    assert_eq!((s, code(&err)), (422, "P0195"));
    let (s, err) = api.post("/v1/payments", json!({"amount": 100, "reference": "R", "description": "D", "return_url": "https://x.example", "moto": true})).await;
    assert_eq!((s, code(&err)), (422, "P0196"));
}

#[tokio::test]
async fn auth_takes_the_card_and_the_token_is_single_use() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_moto(15000, "PHONE-2").await;
    let (s, body) = api.auth(card(&token(&p), "4444333322221111")).await;
    assert_eq!((s, body), (204, serde_json::Value::Null));
    let (_, paid) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(paid["state"]["status"], "success");
    assert_eq!(paid["card_details"]["last_digits_card_number"], "1111");
    assert_eq!(paid["card_details"]["cardholder_name"], "Sam Citizen");
    assert!(paid["_links"]["auth_url_post"].is_null());
    let (s, err) = api.auth(card(&token(&p), "4444333322221111")).await;
    assert_eq!((s, code(&err)), (400, "P1212"));
    assert_eq!(
        err["description"],
        "The one_time_token has already been used"
    );
    let (s, err) = api.auth(card("no-such-token", "4444333322221111")).await;
    assert_eq!((s, code(&err)), (400, "P1211"));
}

#[tokio::test]
async fn declined_error_and_bad_numbers_end_the_payment_and_burn_the_token() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let cases = [
        ("4000000000000002", 402, "P0010", "failed"),
        ("4000000000000069", 402, "P0010", "failed"),
        ("4000000000000119", 500, "P0050", "error"),
        ("4242424242424241", 402, "P0010", "failed"),
    ];
    for (number, status, expected, state) in cases {
        let p = api.create_moto(1000, number).await;
        let t = token(&p);
        let (s, err) = api.auth(card(&t, number)).await;
        assert_eq!((s, code(&err)), (status, expected), "{number}: {err}");
        let (_, after) = api.get(&format!("/v1/payments/{}", id(&p))).await;
        assert_eq!(after["state"]["status"], state, "{number}");
        let (s, err) = api.auth(card(&t, "4444333322221111")).await;
        assert_eq!(
            (s, code(&err)),
            (400, "P1212"),
            "the token was spent before the card was checked"
        );
    }
}

#[tokio::test]
async fn a_fresh_token_from_a_get_works_once_an_old_one_is_spent_on_validation_only() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_moto(1000, "PHONE-3").await;
    // A validation failure does not touch the token.
    let mut bad = card(&token(&p), "4444333322221111");
    bad["cvc"] = json!("12");
    let (s, err) = api.auth(bad).await;
    assert_eq!((s, code(&err)), (422, "P0102"));
    assert_eq!(err["field"], "cvc");
    let (_, again) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_ne!(token(&again), token(&p));
    let (s, _) = api.auth(card(&token(&again), "4444333322221111")).await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn auth_validation_answers_422_with_the_field() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_moto(1000, "PHONE-4").await;
    let t = token(&p);
    let mut cases = Vec::new();
    let mut missing = card(&t, "4444333322221111");
    missing.as_object_mut().unwrap().remove("cardholder_name");
    cases.push((
        missing,
        "P0101",
        "cardholder_name",
        "Missing mandatory attribute: cardholder_name",
    ));
    let mut short = card(&t, "44443333");
    short["card_number"] = json!("44443333");
    cases.push((
        short,
        "P0102",
        "card_number",
        "Invalid attribute value: card_number. Must be between 12 and 19 characters long",
    ));
    let mut letters = card(&t, "4444333322221111");
    letters["cvc"] = json!("12a");
    cases.push((
        letters,
        "P0102",
        "cvc",
        "Invalid attribute value: cvc. Must contain numbers only",
    ));
    let mut past = card(&t, "4444333322221111");
    past["expiry_date"] = json!("01/20");
    cases.push((
        past,
        "P0102",
        "expiry_date",
        "Invalid attribute value: expiry_date. Must be a valid date in the future",
    ));
    let mut format = card(&t, "4444333322221111");
    format["expiry_date"] = json!("2039-12");
    cases.push((
        format,
        "P0102",
        "expiry_date",
        "Invalid attribute value: expiry_date. Must be a valid date with the format MM/YY",
    ));
    for (body, expected, field, description) in cases {
        let (s, err) = api.auth(body).await;
        assert_eq!((s, code(&err)), (422, expected), "{err}");
        assert_eq!(err["field"], field);
        assert_eq!(err["description"], description);
    }
    // None of those spent the token.
    let (s, _) = api.auth(card(&t, "4444333322221111")).await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn a_web_token_is_not_a_moto_token() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(1000, "WEB").await;
    let href = p["_links"]["next_url"]["href"].as_str().unwrap();
    let web_token = href.rsplit('/').next().unwrap();
    let (s, err) = api.auth(card(web_token, "4444333322221111")).await;
    assert_eq!((s, code(&err)), (400, "P1211"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("moto api token")
    );
}

#[tokio::test]
async fn a_telephone_payment_cannot_be_refunded_while_its_capture_is_queued() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_moto(5000, "PHONE-Q").await;
    let (s, _) = api.auth(card(&token(&p), "4444333322221111")).await;
    assert_eq!(s, 204);
    let path = format!("/v1/payments/{}", id(&p));
    let (_, queued) = api.get(&path).await;
    assert_eq!(queued["state"]["status"], "success");
    assert_eq!(queued["refund_summary"]["status"], "unavailable");
    assert!(queued["settlement_summary"]["captured_date"].is_null());
    let (s, err) = api
        .post(
            &format!("{path}/refunds"),
            json!({"amount": 100, "refund_amount_available": 5000}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert_eq!(
        err["description"],
        "The payment is not available for refund. Payment refund status: unavailable"
    );

    // A moment later the capture has gone through.
    sim.control()
        .advance_clock(std::time::Duration::from_secs(3));
    let (_, captured) = api.get(&path).await;
    assert_eq!(captured["refund_summary"]["status"], "available");
    assert!(captured["settlement_summary"]["captured_date"].is_string());
    // Still one `success` in its story: the queue is not a state of its own.
    let (_, events) = api.get(&format!("{path}/events")).await;
    let successes = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"]["status"] == "success")
        .count();
    assert_eq!(successes, 1, "{events}");

    // A web payment is refundable as soon as it is paid; zero turns the queue off.
    let web = api.create_web(5000, "WEB-NOW").await;
    sim.control()
        .complete_payment(&id(&web), "4444333322221111")
        .unwrap();
    let (_, web) = api.get(&format!("/v1/payments/{}", id(&web))).await;
    assert_eq!(web["refund_summary"]["status"], "available");
    let now = sim_with(|cfg| cfg.capture_queued_for = std::time::Duration::ZERO).await;
    let api = Api::new(&now, KEY);
    let p = api.create_moto(5000, "PHONE-NOW").await;
    api.auth(card(&token(&p), "4444333322221111")).await;
    let (_, at_once) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(at_once["refund_summary"]["status"], "available");
}
