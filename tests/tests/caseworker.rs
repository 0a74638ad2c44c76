//! The caseworker's day in the real window: find a payment, read its story,
//! refund it (once), and cancel or capture, against a simulator this test runs.

use govpay_sim::{SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_e2e::{App, prepared, sim_payment};

const ENTER: &str = "\u{e007}";

/// A data folder with the caseworker's service on `sim`.
async fn caseworker_desk(sim: &Simulator) -> tempfile::TempDir {
    let (dir, core, _) = prepared(sim, "Parking permits", Role::Caseworker, "Sam Caseworker").await;
    core.close().await;
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_finds_a_payment_and_refunds_it_once() {
    let sim = Simulator::start(
        SimConfig::stripe_account("api_test_caseworker_e2e").with_history(3_000, 66, 90),
    )
    .await
    .unwrap();
    // The citizen's payment: £42.50, paid with a card ending 4242... the newest one.
    let pid = sim_payment(&sim, 4250, "PK-E2E-0042", false, Some("4242424242424242")).await;

    let app = App::launch_in(caseworker_desk(&sim).await).await;
    app.click("a[data-nav=payments]").await;
    app.wait_for_text("main h1", "Payments").await;
    // The first visit copies the service's payments to this computer.
    app.wait_for_text("[data-testid=sync-freshness]", "updated")
        .await;
    app.wait_for_text("[data-testid=sync-freshness]", "3,001 payments")
        .await;

    // By reference, as typed.
    app.fill("[data-testid=search-text]", "PK-E2E-0042").await;
    app.wait_for_text("[data-testid=result-count]", "1 payment matches")
        .await;
    app.wait_for_text("[data-testid=results]", "£42.50").await;
    app.screenshot("10-payments-by-reference").await;

    // By the card's last four: the newest payment is first; Enter opens it.
    app.fill("[data-testid=search-text]", "4242").await;
    app.wait_for_text("[data-testid=results] tbody tr:first-child", "PK-E2E-0042")
        .await;
    app.screenshot("11-payments-by-last-four").await;
    app.press("[data-testid=search-text]", ENTER).await;
    app.wait_for_text("[data-testid=payment-heading]", "£42.50")
        .await;
    app.wait_for_text("[data-testid=payment-status]", "Success")
        .await;
    app.wait_for_text("[data-testid=payment-id]", &pid).await;
    app.wait_for_text("[data-testid=timeline]", "Successful")
        .await;
    app.wait_for_text("[data-testid=available]", "£42.50").await;
    app.screenshot("12-payment-page").await;

    // A partial refund: confirmed, then shown in the timeline and the figures.
    app.click("[data-testid=refund-start]").await;
    app.click("[data-testid=refund-partial]").await;
    // "1,50" could be £1.50 or £150.00: refused, with how to write it.
    app.fill("[data-testid=refund-amount]", "1,50").await;
    app.click("[data-testid=refund-continue]").await;
    app.wait_for_text(
        "#refund-amount-error",
        "Enter an amount in pounds and pence, like 12.50",
    )
    .await;
    // Every refund says why: with no reason chosen, the form says so too.
    app.wait_for_text(
        "#refund-reason-error",
        "Select why the payment is being refunded",
    )
    .await;
    app.screenshot("12b-refund-ambiguous-amount").await;
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 0);
    app.fill("[data-testid=refund-amount]", "12.50").await;
    app.select("[data-testid=refund-reason]", "overpayment")
        .await;
    app.fill(
        "[data-testid=refund-note]",
        "Paid for two permits, needed one",
    )
    .await;
    app.screenshot_of("12c-refund-form", "[data-testid=refund-form]")
        .await;
    app.click("[data-testid=refund-continue]").await;
    app.wait_for_text(
        "[data-testid=refund-confirm]",
        "Refund £12.50 to the cardholder?",
    )
    .await;
    app.wait_for_text(
        "[data-testid=refund-confirm]",
        "£30.00 can still be refunded",
    )
    .await;
    app.wait_for_text(
        "[data-testid=refund-confirm-reason]",
        "Overpayment: Paid for two permits, needed one",
    )
    .await;
    app.screenshot("13-refund-confirm").await;
    app.screenshot_of("13b-refund-confirm-panel", "[data-testid=refund-confirm]")
        .await;
    app.click("[data-testid=refund-confirm-button]").await;
    app.wait_for_text("[data-testid=notice]", "The refund of £12.50 was made")
        .await;
    app.wait_for_text("[data-testid=available]", "£30.00").await;
    app.wait_for_text("[data-testid=refunded]", "£12.50").await;
    app.wait_for_text("[data-testid=timeline]", "Refund successful – £12.50")
        .await;
    app.wait_for_text("[data-testid=desk-actions]", "Sam Caseworker")
        .await;
    // Who made it and why, on the refunds list and the timeline.
    app.wait_for_text(
        "[data-testid=refunds]",
        "Overpayment: Paid for two permits, needed one",
    )
    .await;
    app.wait_for_text(
        "[data-testid=timeline]",
        "Overpayment: Paid for two permits, needed one. Refunded by Sam Caseworker.",
    )
    .await;
    app.screenshot("14-refund-done").await;
    app.scroll_to("[data-testid=timeline]").await;
    app.screenshot("14b-refund-timeline").await;
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 1);

    // More than remains: the amount field says so, and nothing is sent.
    app.click("[data-testid=refund-start]").await;
    app.click("[data-testid=refund-partial]").await;
    app.fill("[data-testid=refund-amount]", "30.01").await;
    app.click("[data-testid=refund-continue]").await;
    app.wait_for_text(
        "#refund-amount-error",
        "Enter a refund amount greater than £0.00 and no more than £30.00",
    )
    .await;
    app.wait_for_text(".govuk-error-summary", "no more than £30.00")
        .await;
    let typed = app
        .find("#refund-amount")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some("30.01"), "what was typed is kept");
    app.screenshot("15-refund-too-much").await;

    // Someone refunds £10 elsewhere (the admin tool); this screen still says £30.
    sim.control().refund_elsewhere(&pid, 1000).unwrap();
    app.fill("[data-testid=refund-amount]", "20.00").await;
    app.select("[data-testid=refund-reason]", "goodwill").await;
    app.click("[data-testid=refund-continue]").await;
    app.wait_for_text("[data-testid=refund-confirm]", "Refund £20.00")
        .await;
    app.click("[data-testid=refund-confirm-button]").await;
    app.wait_for_text(
        ".govuk-error-summary",
        "a refund has already been made or the amount changed",
    )
    .await;
    app.wait_for_text(".govuk-error-summary", "£20.00 can now be refunded")
        .await;
    app.wait_for_text(
        ".govuk-error-summary",
        "stopped this refund before sending it",
    )
    .await;
    let summary = app.text(".govuk-error-summary").await.unwrap_or_default();
    assert!(
        !summary.contains("P0604"),
        "GOV.UK Pay was never asked, so no GOV.UK Pay code is quoted: {summary}"
    );
    // The figures on screen are the new ones.
    app.wait_for_text("[data-testid=available]", "£20.00").await;
    app.wait_for_text("[data-testid=refunded]", "£22.50").await;
    // The refusal is on the payment's record of staff actions, with who and why.
    app.wait_for_text("[data-testid=desk-actions]", "Stopped by Paydesk")
        .await;
    app.wait_for_text(
        "[data-testid=desk-actions]",
        "changed from £30.00 to £20.00",
    )
    .await;
    app.screenshot("16-refund-stale").await;
    assert_eq!(
        sim.control().payment(&pid).unwrap().refunds,
        2,
        "the stale refund was not sent"
    );

    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_cancels_a_created_payment_and_captures_a_delayed_one() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let to_cancel = sim_payment(&sim, 1800, "PK-CANCEL-1", false, None).await;
    let to_capture = sim_payment(&sim, 9900, "PK-CAPTURE-1", true, Some("4444333322221111")).await;
    assert_eq!(
        sim.control().payment(&to_capture).unwrap().status,
        "capturable"
    );

    let app = App::launch_in(caseworker_desk(&sim).await).await;
    app.click("a[data-nav=payments]").await;
    app.wait_for_text("[data-testid=sync-freshness]", "updated")
        .await;

    // Found on GOV.UK Pay itself by its ID, then cancelled.
    app.fill("[data-testid=search-text]", &to_cancel).await;
    app.click("[data-testid=search-live]").await;
    app.wait_for_text("[data-testid=result-count]", "found on GOV.UK Pay just now")
        .await;
    app.click(&format!("tr[data-payment-id='{to_cancel}'] a"))
        .await;
    app.wait_for_text("[data-testid=payment-status]", "In progress")
        .await;
    app.click("[data-testid=cancel-start]").await;
    app.wait_for_text(
        "[data-testid=action-confirm]",
        "Cancel this £18.00 payment?",
    )
    .await;
    app.screenshot("17-cancel-confirm").await;
    app.click("[data-testid=action-confirm-button]").await;
    app.wait_for_text("[data-testid=notice]", "The payment was cancelled")
        .await;
    app.wait_for_text("[data-testid=payment-status]", "Cancelled")
        .await;
    app.screenshot("18-cancelled").await;
    assert_eq!(
        sim.control().payment(&to_cancel).unwrap().status,
        "cancelled"
    );

    // A delayed-capture payment waits for the caseworker.
    app.go(&format!("#/payments/{to_capture}")).await;
    app.wait_for_text("[data-testid=payment-status]", "Waiting for capture")
        .await;
    app.click("[data-testid=capture-start]").await;
    app.wait_for_text("[data-testid=action-confirm]", "Capture £99.00 now?")
        .await;
    app.click("[data-testid=action-confirm-button]").await;
    app.wait_for_text("[data-testid=notice]", "The payment was captured")
        .await;
    app.wait_for_text("[data-testid=payment-status]", "Success")
        .await;
    app.screenshot("19-captured").await;
    assert_eq!(
        sim.control().payment(&to_capture).unwrap().status,
        "success"
    );

    app.close().await;
}
