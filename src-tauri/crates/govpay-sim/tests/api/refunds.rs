use serde_json::{Value, json};

use crate::common::*;

async fn paid(api: &Api, sim: &govpay_sim::Simulator, amount: i64) -> String {
    let p = api.create_web(amount, "TO-REFUND").await;
    sim.control()
        .complete_payment(&id(&p), "4444333322221111")
        .unwrap();
    id(&p)
}

#[tokio::test]
async fn refund_checks_run_in_the_connectors_order() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);

    // Not yet paid: status pending.
    let unpaid = api.create_web(1000, "UNPAID").await;
    let (s, err) = api
        .post(
            &format!("/v1/payments/{}/refunds", id(&unpaid)),
            json!({"amount": 100, "refund_amount_available": 1000}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert_eq!(
        err["description"],
        "The payment is not available for refund. Payment refund status: pending"
    );

    let pid = paid(&api, &sim, 1000).await;
    let path = format!("/v1/payments/{pid}/refunds");
    // A stale refund_amount_available is checked before the amount.
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 5000, "refund_amount_available": 999}),
        )
        .await;
    assert_eq!((s, code(&err)), (412, "P0604"));
    assert_eq!(err["description"], "Refund amount available mismatch.");
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 1001, "refund_amount_available": 1000}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .ends_with("amount_not_available")
    );

    let (s, refund) = api
        .post(
            &path,
            json!({"amount": 400, "refund_amount_available": 1000}),
        )
        .await;
    assert_eq!(s, 202, "{refund}");
    assert_eq!(
        refund["status"], "success",
        "sandbox refunds complete at once"
    );
    assert_eq!(refund["amount"], 400);
    let rid = refund["refund_id"].as_str().unwrap().to_owned();
    assert!(
        refund["_links"]["payment"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&pid)
    );

    let (_, p) = api.get(&format!("/v1/payments/{pid}")).await;
    assert_eq!(
        p["refund_summary"],
        json!({"status": "available", "amount_available": 600, "amount_submitted": 400})
    );
    // The old figure is now stale: the guard that stops a double refund.
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 400, "refund_amount_available": 1000}),
        )
        .await;
    assert_eq!((s, code(&err)), (412, "P0604"));

    // Without refund_amount_available the API reads the payment afresh.
    let (s, _) = api.post(&path, json!({"amount": 600})).await;
    assert_eq!(s, 202);
    let (_, p) = api.get(&format!("/v1/payments/{pid}")).await;
    assert_eq!(
        p["refund_summary"],
        json!({"status": "full", "amount_available": 0, "amount_submitted": 1000})
    );
    let (s, err) = api
        .post(&path, json!({"amount": 1, "refund_amount_available": 0}))
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert!(err["description"].as_str().unwrap().ends_with("full"));

    let (s, one) = api.get(&format!("{path}/{rid}")).await;
    assert_eq!((s, one["refund_id"].as_str()), (200, Some(rid.as_str())));
    let (s, err) = api.get(&format!("{path}/00000000000000000000000000")).await;
    assert_eq!((s, code(&err)), (404, "P0700"));
    let (s, list) = api.get(&path).await;
    assert_eq!(s, 200);
    assert_eq!(list["payment_id"], pid.as_str());
    assert_eq!(list["_embedded"]["refunds"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn refund_request_validation() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim, 1000).await;
    let path = format!("/v1/payments/{pid}/refunds");
    let cases = [
        (json!({}), 400, "P0601"),
        (json!({"amount": "5"}), 400, "P0602"),
        (json!({"amount": 0}), 422, "P0602"),
        (json!({"amount": 10_000_001}), 422, "P0602"),
    ];
    for (body, status, expected) in cases {
        let (s, err) = api.post(&path, body.clone()).await;
        assert_eq!((s, code(&err)), (status, expected), "{body}");
    }
    let res = api
        .http
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    let (s, err) = read(res).await;
    assert_eq!((s, code(&err)), (400, "P0697"));
    let (s, err) = api
        .post(
            "/v1/payments/00000000000000000000000000/refunds",
            json!({"amount": 1}),
        )
        .await;
    assert_eq!((s, code(&err)), (404, "P0600"));
    let (s, err) = api
        .get("/v1/payments/00000000000000000000000000/refunds")
        .await;
    assert_eq!((s, code(&err)), (404, "P0800"));
}

#[tokio::test]
async fn a_refund_made_elsewhere_makes_the_old_figure_stale() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim, 2500).await;
    sim.control().refund_elsewhere(&pid, 500).unwrap();
    let (s, err) = api
        .post(
            &format!("/v1/payments/{pid}/refunds"),
            json!({"amount": 100, "refund_amount_available": 2500}),
        )
        .await;
    assert_eq!((s, code(&err)), (412, "P0604"));
    let snapshot = sim.control().payment(&pid).unwrap();
    assert_eq!((snapshot.refunded, snapshot.refunds), (500, 1));
}

#[tokio::test]
async fn failed_payments_cannot_be_refunded() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(1000, "DECLINED").await;
    sim.control()
        .complete_payment(&id(&p), "4000000000000002")
        .unwrap();
    let (s, err): (u16, Value) = api
        .post(
            &format!("/v1/payments/{}/refunds", id(&p)),
            json!({"amount": 1}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .ends_with("unavailable")
    );
}

#[tokio::test]
async fn a_disabled_account_takes_no_payments_or_refunds() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim, 1000).await;
    sim.control().set_account_disabled(1, true);
    let (s, err) = api.post("/v1/payments", json!({"amount": 100, "reference": "R", "description": "D", "return_url": "https://x.example/r"})).await;
    assert_eq!((s, code(&err)), (403, "P0941"));
    let (s, err) = api
        .post(
            &format!("/v1/payments/{pid}/refunds"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!((s, code(&err)), (403, "P0941"));
    sim.control().set_account_disabled(1, false);
    let (s, _) = api
        .post(
            &format!("/v1/payments/{pid}/refunds"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(s, 202);
}

/// `refund_amount_available` is read as the API reads a whole number: a
/// numeric string is read, a decimal cut to its whole part, null is 0 (a
/// mismatch, 412); only what is not a number at all is a 400.
#[tokio::test]
async fn refund_amount_available_is_read_as_the_api_reads_it() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let pid = paid(&api, &sim, 5000).await;
    let path = format!("/v1/payments/{pid}/refunds");
    let (s, body) = api
        .post(
            &path,
            json!({"amount": 100, "refund_amount_available": "5000"}),
        )
        .await;
    assert_eq!(s, 202, "a numeric string: {body}");
    let (s, body) = api
        .post(
            &path,
            json!({"amount": 100, "refund_amount_available": 4900.9}),
        )
        .await;
    assert_eq!(s, 202, "a decimal, cut to 4900: {body}");
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 100, "refund_amount_available": null}),
        )
        .await;
    assert_eq!((s, code(&err)), (412, "P0604"), "null is 0: {err}");
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 100, "refund_amount_available": "lots"}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0602"), "{err}");
    let (s, err) = api
        .post(
            &path,
            json!({"amount": 100, "refund_amount_available": [4800]}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0602"), "{err}");
    // Nothing was refunded by the refused ones.
    let (_, payment) = api.get(&format!("/v1/payments/{pid}")).await;
    assert_eq!(payment["refund_summary"]["amount_submitted"], 200);
}

#[tokio::test]
async fn settled_dates_appear_only_once_the_payout_has_happened() {
    let sim = sim().await;
    let api = Api::new(&sim, STRIPE_KEY);
    let pid = paid(&api, &sim, 4000).await;
    let path = format!("/v1/payments/{pid}");
    let (_, refund) = api
        .post(
            &format!("{path}/refunds"),
            json!({"amount": 500, "refund_amount_available": 4000}),
        )
        .await;
    let refund_path = format!("{path}/refunds/{}", refund["refund_id"].as_str().unwrap());
    let (_, p) = api.get(&path).await;
    let captured = p["settlement_summary"]["captured_date"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        p["settlement_summary"]["settled_date"].is_null(),
        "captured today, paid out in two days: {p}"
    );
    let (_, r) = api.get(&refund_path).await;
    assert!(r["settlement_summary"]["settled_date"].is_null(), "{r}");
    let by_settled =
        |date: &str| format!("/v1/payments?from_settled_date={date}&to_settled_date={date}");
    let future = time::Date::parse(
        &captured,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
    .next_day()
    .unwrap()
    .next_day()
    .unwrap()
    .to_string();
    let (_, page) = api.get(&by_settled(&future)).await;
    assert_eq!(
        page["total"], 0,
        "not settled yet, so not found by a settled date"
    );

    sim.control()
        .advance_clock(std::time::Duration::from_secs(2 * 24 * 3600 + 60));
    let (_, p) = api.get(&path).await;
    assert_eq!(p["settlement_summary"]["settled_date"], future.as_str());
    let (_, r) = api.get(&refund_path).await;
    assert!(r["settlement_summary"]["settled_date"].is_string(), "{r}");
    let (_, page) = api.get(&by_settled(&future)).await;
    assert_eq!(page["total"], 1);
}
