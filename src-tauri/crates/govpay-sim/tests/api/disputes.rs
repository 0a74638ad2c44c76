use std::time::Duration;

use serde_json::json;

use crate::common::*;

async fn stripe_paid(api: &Api, sim: &govpay_sim::Simulator, card: &str) -> String {
    let p = api.create_web(5000, card).await;
    sim.control().complete_payment(&id(&p), card).unwrap();
    id(&p)
}

#[tokio::test]
async fn stripe_test_cards_raise_disputes_that_block_refunds_and_resolve_in_time() {
    let sim = sim().await;
    let api = Api::new(&sim, STRIPE_KEY);
    let lost = stripe_paid(&api, &sim, "4000000000000259").await;
    let won = stripe_paid(&api, &sim, "4000000000002685").await;

    let (s, page) = api.get("/v1/disputes").await;
    assert_eq!(s, 200);
    assert_eq!(page["total"], 2);
    assert!(
        page["links"]["self"]["href"].is_string(),
        "disputes page with `links`: {page}"
    );
    assert!(page.get("_links").is_none());
    let d = &page["results"][1];
    assert_eq!(d["status"], "needs_response");
    assert_eq!(d["reason"], "fraudulent");
    assert_eq!(d["amount"], 5000);
    assert_eq!(d["fee"], 2000);
    assert!(d["evidence_due_date"].is_string());
    assert!(d["net_amount"].is_null());
    assert!(
        d["_links"]["payment"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&lost)
    );

    let (_, p) = api.get(&format!("/v1/payments/{lost}")).await;
    assert_eq!(p["refund_summary"]["status"], "unavailable");
    assert!(
        p["fee"].is_number() && p["net_amount"].is_number(),
        "Stripe payments carry fees"
    );
    let (s, err) = api
        .post(
            &format!("/v1/payments/{lost}/refunds"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!((s, code(&err)), (400, "P0603"));
    assert_eq!(
        err["description"],
        "The payment is disputed and cannot be refunded"
    );

    sim.control().advance_clock(Duration::from_secs(3600));
    let (_, page) = api.get("/v1/disputes?status=under_review").await;
    assert_eq!(page["total"], 2);
    sim.control().advance_clock(Duration::from_secs(3600));
    let (_, lost_page) = api.get("/v1/disputes?status=lost").await;
    assert_eq!(lost_page["total"], 1);
    assert_eq!(lost_page["results"][0]["net_amount"], -7000);
    assert!(lost_page["results"][0]["settlement_summary"]["settled_date"].is_string());
    let (s, err) = api
        .post(
            &format!("/v1/payments/{lost}/refunds"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(
        (s, code(&err)),
        (400, "P0603"),
        "lost disputes still block refunds"
    );

    // A dispute won in the service's favour frees the payment again.
    let (s, _) = api
        .post(
            &format!("/v1/payments/{won}/refunds"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(s, 202);
}

#[tokio::test]
async fn disputes_can_be_raised_and_resolved_by_hand_and_filtered() {
    let sim = sim().await;
    let api = Api::new(&sim, STRIPE_KEY);
    let pid = stripe_paid(&api, &sim, "4000008260000000").await;
    let dispute_id = sim
        .control()
        .raise_dispute(&pid, "product_not_received", 1)
        .unwrap();
    let (_, page) = api.get("/v1/disputes?status=needs_response").await;
    assert_eq!(page["results"][0]["dispute_id"], dispute_id.as_str());
    assert_eq!(page["results"][0]["reason"], "product_not_received");
    sim.control().resolve_dispute(&dispute_id, "won").unwrap();
    let (_, page) = api.get("/v1/disputes?status=won").await;
    assert_eq!(page["total"], 1);
    let (s, err) = api.get("/v1/disputes?status=pending").await;
    assert_eq!((s, code(&err)), (422, "P0401"));
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .starts_with("Invalid parameters: state"),
        "the API names it `state`: {err}"
    );
}

#[tokio::test]
async fn the_sandbox_provider_never_raises_disputes() {
    let sim = sim().await;
    let api = Api::new(&sim, KEY);
    let p = api.create_web(5000, "S").await;
    sim.control()
        .complete_payment(&id(&p), "4242424242424242")
        .unwrap();
    assert!(
        sim.control()
            .raise_dispute(&id(&p), "fraudulent", 7)
            .is_err()
    );
    let (_, page) = api.get("/v1/disputes").await;
    assert_eq!(page["total"], 0);
}
