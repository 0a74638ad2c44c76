use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn an_unknown_or_missing_key_gets_401_without_json() {
    let sim = sim().await;
    let api = Api::new(&sim, "api_test_nope");
    let (status, body) = api.get("/v1/payments").await;
    assert_eq!(status, 401);
    assert!(body.is_string(), "401 body must not be JSON: {body}");
    let res = api
        .http
        .get(format!("{}/v1/payments", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_new_web_payment_has_its_links_and_a_fresh_token_on_every_get() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let res = api
        .http
        .post(format!("{}/v1/payments", sim.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"amount": 1450, "reference": "INV-1", "description": "Parking permit", "return_url": "https://council.example/done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let p: Value = res.json().await.unwrap();
    let pid = id(&p);
    assert_eq!(pid.len(), 26);
    assert!(
        pid.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
    );
    assert!(location.ends_with(&pid));
    assert_eq!(p["state"], json!({"status": "created", "finished": false}));
    assert_eq!(
        p["refund_summary"],
        json!({"status": "pending", "amount_available": 1450, "amount_submitted": 0})
    );
    assert_eq!(p["settlement_summary"], json!({}));
    assert!(p["created_date"].as_str().unwrap().ends_with('Z'));
    let links = &p["_links"];
    for present in [
        "self",
        "events",
        "refunds",
        "cancel",
        "next_url",
        "next_url_post",
    ] {
        assert!(links[present].is_object(), "{present} missing: {links}");
    }
    for absent in ["capture", "auth_url_post"] {
        assert!(
            links[absent].is_null(),
            "{absent} should not be there: {links}"
        );
    }
    // Cancel has no body: its link says POST and leaves `type` out.
    assert_eq!(links["cancel"]["method"], "POST");
    assert!(links["cancel"].get("type").is_none(), "{links}");
    assert_eq!(
        links["next_url_post"]["type"],
        "application/x-www-form-urlencoded"
    );
    let (_, first) = api.get(&location).await;
    let (_, second) = api.get(&location).await;
    let next = |v: &Value| v["_links"]["next_url"]["href"].as_str().unwrap().to_owned();
    assert_ne!(next(&first), next(&second), "each GET mints a new token");
    assert_ne!(next(&p), next(&first));
}

#[tokio::test]
async fn a_web_payment_completed_on_the_hosted_page_returns_to_the_service() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(2000, "HOSTED-1").await;
    let next = p["_links"]["next_url"]["href"].as_str().unwrap().to_owned();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = no_redirects.get(&next).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Enter card details") && html.contains("£20.00"),
        "{html}"
    );
    let (_, started) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(started["state"]["status"], "started");
    // The link was spent when it was opened.
    assert_eq!(no_redirects.get(&next).send().await.unwrap().status(), 400);

    let form = [
        ("card_number", "4444 3333 2222 1111"),
        ("expiry_date", "12/39"),
        ("cardholder_name", "Sam Citizen"),
        ("cvc", "123"),
        ("action", "pay"),
    ];
    let done = no_redirects
        .post(format!("{}/card_details/{}", sim.base_url(), id(&p)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "https://council.example/done");

    let (_, paid) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(
        paid["state"],
        json!({"status": "success", "finished": true})
    );
    assert_eq!(paid["card_details"]["last_digits_card_number"], "1111");
    assert_eq!(paid["card_details"]["card_brand"], "Visa");
    assert_eq!(paid["refund_summary"]["status"], "available");
    assert!(paid["settlement_summary"]["captured_date"].is_string());
    for gone in ["cancel", "next_url", "next_url_post", "capture"] {
        assert!(
            paid["_links"][gone].is_null(),
            "{gone} on a finished payment"
        );
    }
    let (_, events) = api.get(&format!("/v1/payments/{}/events", id(&p))).await;
    let states: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["created", "started", "submitted", "success"]);
    assert!(
        events["events"][0]["_links"]["payment_url"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&id(&p))
    );
}

#[tokio::test]
async fn the_paying_user_can_cancel_on_the_hosted_page() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(500, "USER-CANCEL").await;
    let next = p["_links"]["next_url"]["href"].as_str().unwrap();
    api.http.get(next).send().await.unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .post(format!("{}/card_details/{}", sim.base_url(), id(&p)))
        .form(&[("action", "cancel")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, after) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(after["state"]["code"], "P0030");
    assert_eq!(
        after["state"]["message"],
        "Payment was cancelled by the user"
    );
}

#[tokio::test]
async fn test_cards_decide_the_outcome_of_a_journey() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let cases = [
        ("4444333322221111", "success", None),
        ("4000000000000002", "failed", Some("P0010")),
        ("4000000000000069", "failed", Some("P0010")),
        ("4000000000000127", "failed", Some("P0010")),
        ("4000000000000119", "error", Some("P0050")),
        // Any other Luhn-valid number is "Unsupported card details.": an error.
        ("4000000000000101", "error", Some("P0050")),
    ];
    for (card, status, code) in cases {
        let p = api.create_web(1000, card).await;
        sim.control().complete_payment(&id(&p), card).unwrap();
        let (_, after) = api.get(&format!("/v1/payments/{}", id(&p))).await;
        assert_eq!(after["state"]["status"], status, "{card}");
        assert_eq!(after["state"]["code"].as_str(), code, "{card}");
        assert_eq!(after["state"]["finished"], true);
    }
}

#[tokio::test]
async fn the_service_cancels_only_what_is_not_finished() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(700, "CANCEL-ME").await;
    let (status, body) = api
        .post_empty(&format!("/v1/payments/{}/cancel", id(&p)))
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, after) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(
        after["state"],
        json!({"status": "cancelled", "finished": true, "code": "P0040", "message": "Payment was cancelled by the service"})
    );
    assert_eq!(after["refund_summary"]["status"], "unavailable");
    // Cancelling again, or cancelling a paid payment, fails with 400 P0501.
    let (status, err) = api
        .post_empty(&format!("/v1/payments/{}/cancel", id(&p)))
        .await;
    assert_eq!((status, code(&err)), (400, "P0501"));
    assert_eq!(err["description"], "Cancellation of payment failed");
    let paid = api.create_web(700, "PAID").await;
    sim.control()
        .complete_payment(&id(&paid), "4444333322221111")
        .unwrap();
    let (status, err) = api
        .post_empty(&format!("/v1/payments/{}/cancel", id(&paid)))
        .await;
    assert_eq!((status, code(&err)), (400, "P0501"));
    let (status, err) = api
        .post_empty("/v1/payments/00000000000000000000000000/cancel")
        .await;
    assert_eq!((status, code(&err)), (404, "P0500"));
}

#[tokio::test]
async fn a_delayed_capture_waits_for_the_service_then_captures_once() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let (_, p) = api
        .post("/v1/payments", json!({"amount": 3000, "reference": "FIU-1", "description": "Held", "return_url": "https://x.example/r", "delayed_capture": true}))
        .await;
    // Capturing before authorisation is a conflict.
    let (status, err) = api
        .post_empty(&format!("/v1/payments/{}/capture", id(&p)))
        .await;
    assert_eq!((status, code(&err)), (409, "P1003"));
    sim.control()
        .complete_payment(&id(&p), "4242424242424242")
        .unwrap();
    let (_, held) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(
        held["state"],
        json!({"status": "capturable", "finished": false})
    );
    assert!(
        held["_links"]["capture"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/capture")
    );
    assert!(held["_links"]["cancel"].is_object());
    assert!(held["_links"]["capture"].get("type").is_none(), "{held}");
    assert!(held["_links"]["next_url"].is_null());
    assert_eq!(held["refund_summary"]["status"], "unavailable");
    let (status, _) = api
        .post_empty(&format!("/v1/payments/{}/capture", id(&p)))
        .await;
    assert_eq!(status, 204);
    // Capture is idempotent.
    let (status, _) = api
        .post_empty(&format!("/v1/payments/{}/capture", id(&p)))
        .await;
    assert_eq!(status, 204);
    let (_, captured) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(captured["state"]["status"], "success");
    assert_eq!(captured["refund_summary"]["status"], "available");
    let (status, err) = api
        .post_empty("/v1/payments/00000000000000000000000000/capture")
        .await;
    assert_eq!((status, code(&err)), (404, "P1000"));
}

#[tokio::test]
async fn unfinished_payments_expire_after_90_minutes_and_capturable_ones_after_120_hours() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(100, "EXPIRES").await;
    let (_, held) = api
        .post("/v1/payments", json!({"amount": 3000, "reference": "HELD", "description": "Held", "return_url": "https://x.example/r", "delayed_capture": true}))
        .await;
    sim.control()
        .complete_payment(&id(&held), "4242424242424242")
        .unwrap();

    sim.control().advance_clock(Duration::from_secs(89 * 60));
    let (_, still) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(still["state"]["status"], "created");
    sim.control().advance_clock(Duration::from_secs(2 * 60));
    let (_, expired) = api.get(&format!("/v1/payments/{}", id(&p))).await;
    assert_eq!(
        expired["state"],
        json!({"status": "failed", "finished": true, "code": "P0020", "message": "Payment expired"})
    );
    let (_, held_now) = api.get(&format!("/v1/payments/{}", id(&held))).await;
    assert_eq!(held_now["state"]["status"], "capturable");

    sim.control().advance_clock(Duration::from_secs(120 * 3600));
    let (_, held_expired) = api.get(&format!("/v1/payments/{}", id(&held))).await;
    assert_eq!(held_expired["state"]["code"], "P0020");
}

#[tokio::test]
async fn create_payment_validation_answers_like_the_api() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let base = json!({"amount": 100, "reference": "R", "description": "D", "return_url": "https://x.example/r"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (without("amount"), 400, "P0101", Some("amount")),
        (with("amount", json!(null)), 400, "P0101", Some("amount")),
        (with("amount", json!("100")), 400, "P0102", Some("amount")),
        (with("amount", json!(1.5)), 400, "P0102", Some("amount")),
        (with("amount", json!(-1)), 422, "P0102", Some("amount")),
        (with("amount", json!(0)), 422, "P0102", Some("amount")),
        (
            with("amount", json!(10_000_001)),
            422,
            "P0102",
            Some("amount"),
        ),
        // Past a Java int the number does not read; at it, it is too large.
        (
            with("amount", json!(2_147_483_648_i64)),
            400,
            "P0102",
            Some("amount"),
        ),
        (
            with("amount", json!(2_147_483_647_i64)),
            422,
            "P0102",
            Some("amount"),
        ),
        // 128 emoji are 256 UTF-16 units: over 255, as the API counts.
        (
            with("reference", json!("🙂".repeat(128))),
            422,
            "P0102",
            Some("reference"),
        ),
        (without("reference"), 400, "P0101", Some("reference")),
        (
            with("reference", json!("  ")),
            400,
            "P0101",
            Some("reference"),
        ),
        (
            with("reference", json!("a".repeat(256))),
            422,
            "P0102",
            Some("reference"),
        ),
        (
            with("reference", json!("a|b")),
            400,
            "P0102",
            Some("reference"),
        ),
        (
            with("description", json!(12)),
            400,
            "P0102",
            Some("description"),
        ),
        (without("return_url"), 400, "P0101", Some("return_url")),
        (
            with("return_url", json!("not a url")),
            422,
            "P0102",
            Some("return_url"),
        ),
        (
            with("email", json!("a".repeat(255))),
            422,
            "P0102",
            Some("email"),
        ),
        (
            with("language", json!("fr")),
            422,
            "P0102",
            Some("language"),
        ),
        (with("language", json!(1)), 400, "P0102", Some("language")),
        (
            with("delayed_capture", json!("yes")),
            400,
            "P0102",
            Some("delayed_capture"),
        ),
        (
            with("metadata", json!(null)),
            422,
            "P0102",
            Some("metadata"),
        ),
        (
            with("metadata", json!({"k": {"nested": 1}})),
            422,
            "P0102",
            Some("metadata"),
        ),
        (
            with("authorisation_mode", json!("phone")),
            422,
            "P0102",
            Some("authorisation_mode"),
        ),
        (
            with("authorisation_mode", json!("moto_api")),
            400,
            "P0104",
            Some("return_url"),
        ),
        (
            with("agreement_id", json!("a".repeat(26))),
            400,
            "P0104",
            Some("agreement_id"),
        ),
        (
            with("set_up_agreement", json!("short")),
            422,
            "P0102",
            Some("set_up_agreement"),
        ),
        (
            with("set_up_agreement", json!("b".repeat(26))),
            400,
            "P0103",
            Some("set_up_agreement"),
        ),
        (
            with("agreement_payment_type", json!("recurring")),
            400,
            "P0104",
            Some("agreement_payment_type"),
        ),
    ];
    for (body, status, expected, field) in cases {
        let (s, err) = api.post("/v1/payments", body.clone()).await;
        assert_eq!(s, status, "{body} -> {err}");
        assert_eq!(code(&err), expected, "{body} -> {err}");
        assert_eq!(err["field"].as_str(), field, "{body} -> {err}");
        assert!(err["description"].is_string());
        assert!(
            err.get("header").is_none(),
            "null members are omitted: {err}"
        );
    }
    let res = api
        .http
        .post(format!("{}/v1/payments", sim.base_url()))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{\"amount\": 0x10}")
        .send()
        .await
        .unwrap();
    let (s, err) = read(res).await;
    assert_eq!((s, code(&err)), (400, "P0197"));
    assert_eq!(
        sim.payment_count(),
        0,
        "nothing is created by a rejected request"
    );
}

#[tokio::test]
async fn live_accounts_want_https_and_stripe_wants_30p() {
    let sim = sim_with(|c| {
        c.accounts[0].live = true;
    })
    .await;
    let api = Api::new(&sim, KEY);
    let (s, err) = api.post("/v1/payments", json!({"amount": 100, "reference": "R", "description": "D", "return_url": "http://x.example/r"})).await;
    assert_eq!((s, code(&err)), (422, "P0920"));
    let stripe = Api::new(&sim, STRIPE_KEY);
    let (s, err) = stripe.post("/v1/payments", json!({"amount": 29, "reference": "R", "description": "D", "return_url": "https://x.example/r"})).await;
    assert_eq!((s, code(&err)), (422, "P0102"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("greater than or equal to 30")
    );
}

#[tokio::test]
async fn the_firewall_blocks_what_govuk_pays_does() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let blocked = |r: (u16, Value)| {
        assert_eq!(r.0, 400, "{}", r.1);
        assert_eq!(code(&r.1), "P0920");
    };
    blocked(api.get("/v1/payments?reference=%3Cscript%3E").await);
    blocked(api.post_empty("/v1/payments").await);
    let res = api
        .http
        .post(format!("{}/v1/payments", sim.base_url()))
        .bearer_auth(KEY)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    blocked(read(res).await);
}

#[tokio::test]
async fn more_than_15_creates_in_a_second_get_429() {
    let sim = sim_with(|c| c.rate_limits = Some(govpay_sim::RateLimits::default())).await;
    let api = Api::new(&sim, KEY);
    let mut limited = 0;
    for n in 0..40 {
        let (s, body) = api.post("/v1/payments", json!({"amount": 100, "reference": format!("R{n}"), "description": "D", "return_url": "https://x.example/r"})).await;
        if s == 429 {
            assert_eq!(
                body,
                json!({"code": "P0900", "description": "Too many requests"})
            );
            limited += 1;
        }
    }
    assert!(limited > 0, "the limiter never answered 429");
    assert!(sim.payment_count() >= 15);
}

/// `<`, `>` and `|` are refused in a reference and a description only: an
/// email holding one is taken, as the API takes it.
#[tokio::test]
async fn angle_brackets_and_bars_are_checked_where_the_api_checks_them() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let base = json!({"amount": 100, "reference": "R", "description": "D", "return_url": "https://x.example/r"});
    let mut email = base.clone();
    email["email"] = json!("a|b@example.org");
    let (s, body) = api.post("/v1/payments", email).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["email"], "a|b@example.org");
    let mut description = base.clone();
    description["description"] = json!("Permit <renewal>");
    let (s, body) = api.post("/v1/payments", description).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("P0102")), "{body}");
    // 127 emoji and a letter: 255 units, the most a reference may be.
    let mut longest = base.clone();
    longest["reference"] = json!(format!("{}a", "🙂".repeat(127)));
    let (s, body) = api.post("/v1/payments", longest).await;
    assert_eq!(s, 201, "{body}");
}

#[tokio::test]
async fn prefilled_cardholder_details_are_checked_like_the_api() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let with = |details: Value| {
        json!({"amount": 100, "reference": "R", "description": "D",
               "return_url": "https://x.example/r", "prefilled_cardholder_details": details})
    };
    let cases = [
        (
            json!({"billing_address": {"line1": 12}}),
            400,
            "Invalid attribute value: line1. Field must be a string",
        ),
        (
            json!({"cardholder_name": "N".repeat(256)}),
            422,
            "Invalid attribute value: cardholder_name. Must be less than or equal to 255 characters length",
        ),
        (
            json!({"billing_address": {"postcode": "P".repeat(26)}}),
            422,
            "Invalid attribute value: postcode. Must be less than or equal to 25 characters length",
        ),
        (
            json!({"cardholder_name": true}),
            400,
            "Invalid attribute value: cardholder_name. Field must be a string",
        ),
        (
            json!({"billing_address": "1 High Street"}),
            400,
            "Invalid attribute value: billing_address. Field must be an object",
        ),
    ];
    for (details, status, description) in cases {
        let (s, err) = api.post("/v1/payments", with(details.clone())).await;
        assert_eq!((s, code(&err)), (status, "P0102"), "{details}");
        assert_eq!(err["description"], description, "{details}");
    }
    let ok = json!({"cardholder_name": "Sam Citizen",
                    "billing_address": {"line1": "1 High St", "line2": null, "city": "Leeds",
                                        "postcode": "LS1 1AA", "country": "GB"}});
    let (s, _) = api.post("/v1/payments", with(ok)).await;
    assert_eq!(s, 201);
}
