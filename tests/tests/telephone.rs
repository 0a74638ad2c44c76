//! Telephone payments in the real window, with GOV.UK Pay's test cards, and a
//! search of everything Paydesk writes for the card number and security code.

use govpay_sim::{Fault, SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_core::store::{AuditStore, Lifecycle};
use paydesk_e2e::{App, contains_number, files_containing, files_containing_number};

/// A security code unlikely to turn up by chance in a small database.
const CVC: &str = "9517";

/// A data folder with the call-centre agent's service on `sim`.
async fn agent_desk(sim: &Simulator) -> tempfile::TempDir {
    let (dir, core, _) =
        paydesk_e2e::prepared(sim, "Parking permits", Role::CallCentre, "Ali Agent").await;
    core.close().await;
    dir
}

async fn fill_payment(app: &App, pounds: &str, reference: &str) {
    app.fill("[data-testid=tp-amount]", pounds).await;
    app.fill("[data-testid=tp-reference]", reference).await;
    app.fill("[data-testid=tp-description]", "Resident parking permit")
        .await;
}

/// What is paid for, then on to the card: the payment is created now.
async fn to_card(app: &App, pounds: &str, reference: &str) {
    fill_payment(app, pounds, reference).await;
    app.click("[data-testid=tp-continue]").await;
    app.find("[data-testid=card-form]").await;
}

async fn fill_card(app: &App, number: &str, expiry: &str) {
    app.fill("[data-testid=tp-card-number]", number).await;
    app.fill("[data-testid=tp-expiry]", expiry).await;
    app.fill("[data-testid=tp-cvc]", CVC).await;
    app.fill("[data-testid=tp-name]", "Jo Caller").await;
}

/// Every input's value and all the page's text, to check no card data is left.
async fn page_text(app: &App) -> String {
    app.js("return document.body.innerText + '\\n' + Array.from(document.querySelectorAll('input, textarea')).map(e => e.value).join('\\n');")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The card step and the confirmation, then the result (with the duplicate
/// warning confirmed when one shows).
async fn confirm_and_take(app: &App, number: &str) -> String {
    app.click("[data-testid=tp-card-continue]").await;
    app.find("[data-testid=tp-confirm]").await;
    if app.text("[data-testid=tp-duplicates]").await.is_some() {
        app.click("[data-testid=tp-duplicate-confirm]").await;
    }
    app.click("[data-testid=tp-submit]").await;
    let result = app
        .find("[data-testid=outcome]")
        .await
        .attr("data-result")
        .await
        .unwrap()
        .unwrap_or_default();
    let text = page_text(app).await;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    assert!(
        !text.contains(&digits),
        "the card number is still on screen"
    );
    assert!(
        !contains_number(text.as_bytes(), CVC.as_bytes()),
        "the security code is still on screen"
    );
    result
}

async fn take(app: &App, reference: &str, number: &str) -> String {
    to_card(app, "25.00", reference).await;
    fill_card(app, number, "12/30").await;
    confirm_and_take(app, number).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_takes_payments_with_the_test_cards_and_no_card_data_is_kept() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let app = App::launch_in(agent_desk(&sim).await).await;
    app.click("a[data-nav=telephone]").await;
    app.wait_for_text("main h1", "Telephone payment").await;

    // An amount that reads two ways is refused before anything is created.
    let before = sim.payment_count();
    fill_payment(&app, "1,50", "TEL-AMBIGUOUS").await;
    app.click("[data-testid=tp-continue]").await;
    app.wait_for_text(
        "#tp-amount-error",
        "Enter an amount in pounds and pence, like 12.50",
    )
    .await;
    app.screenshot("20a-telephone-ambiguous-amount").await;
    assert_eq!(sim.payment_count(), before, "nothing was created");

    // On to the card: the payment is created, the card checked before it is
    // sent (Luhn, then an expiry in the past).
    to_card(&app, "25.00", "TEL-LUHN").await;
    assert_eq!(sim.payment_count(), before + 1, "created for the card step");
    fill_card(&app, "4444333322221112", "12/30").await;
    let grouped = app
        .find("[data-testid=tp-card-number]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        grouped.as_deref(),
        Some("4444 3333 2222 1112"),
        "grouped in fours as typed"
    );
    app.wait_for_text("#tp-card-number-hint", "Visa").await;
    app.click("[data-testid=tp-card-continue]").await;
    app.wait_for_text("#tp-card-number-error", "Enter a valid card number")
        .await;
    app.wait_for_text(".govuk-error-summary", "Enter a valid card number")
        .await;
    app.screenshot("20-telephone-luhn").await;
    fill_card(&app, "4444333322221111", "01/20").await;
    app.click("[data-testid=tp-card-continue]").await;
    app.wait_for_text("#tp-expiry-error", "The card has expired")
        .await;
    app.screenshot("21-telephone-expired-date").await;

    // The confirmation: the amount large, reference, card, service, TEST.
    app.fill("[data-testid=tp-expiry]", "12/30").await;
    app.click("[data-testid=tp-card-continue]").await;
    app.wait_for_text("[data-testid=tp-confirm-amount]", "£25.00")
        .await;
    let confirm = app
        .wait_for_text("[data-testid=tp-confirm]", "Visa ending 1111")
        .await;
    for shown in ["TEL-LUHN", "Parking permits", "TEST", "Take £25.00 now"] {
        assert!(confirm.contains(shown), "{shown}: {confirm}");
    }
    assert!(
        app.text("[data-testid=tp-duplicates]").await.is_none(),
        "nothing like it was taken before"
    );
    app.screenshot("21b-telephone-confirm").await;
    let waiting = sim.control().payments_with_reference("TEL-LUHN");
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0].status, "created",
        "no card was sent before the agent confirmed"
    );

    // Taken: the receipt reads out the amount, reference and last four.
    app.click("[data-testid=tp-submit]").await;
    app.wait_for_text("[data-testid=outcome]", "Payment taken")
        .await;
    app.wait_for_text("[data-testid=receipt]", "£25.00").await;
    app.wait_for_text("[data-testid=receipt]", "TEL-LUHN").await;
    app.wait_for_text("[data-testid=receipt]", "1111").await;
    app.screenshot("22-telephone-taken").await;
    let text = page_text(&app).await;
    assert!(!text.contains("4444333322221111") && !text.contains("4444 3333 2222 1111"));
    assert!(!contains_number(text.as_bytes(), CVC.as_bytes()));
    app.click("[data-testid=another]").await;

    // The same reference again a minute later: a duplicate warning, and
    // nothing is sent until the agent confirms.
    to_card(&app, "25.00", "TEL-LUHN").await;
    fill_card(&app, "4444333322221111", "12/30").await;
    app.click("[data-testid=tp-card-continue]").await;
    app.wait_for_text("[data-testid=tp-duplicates]", "may be a duplicate")
        .await;
    app.wait_for_text("[data-testid=tp-confirm]", "taken by Ali Agent")
        .await;
    app.click("[data-testid=tp-submit]").await;
    app.wait_for_text(
        "#tp-duplicate-error",
        "Confirm the caller wants to pay again",
    )
    .await;
    app.screenshot("22b-telephone-duplicate").await;
    let taken = |sim: &Simulator| {
        sim.control()
            .payments_with_reference("TEL-LUHN")
            .into_iter()
            .filter(|p| p.status == "success")
            .count()
    };
    assert_eq!(taken(&sim), 1, "the second is not sent unconfirmed");
    app.click("[data-testid=tp-duplicate-confirm]").await;
    app.click("[data-testid=tp-submit]").await;
    app.wait_for_text("[data-testid=outcome]", "Payment taken")
        .await;
    assert_eq!(taken(&sim), 2, "taken once confirmed");
    app.click("[data-testid=another]").await;

    // Abandoned at the card step: the payment is cancelled at GOV.UK Pay.
    to_card(&app, "12.00", "TEL-ABANDON").await;
    app.click("[data-testid=tp-abandon]").await;
    app.find("[data-testid=telephone-form]").await;
    let abandoned = sim.control().payments_with_reference("TEL-ABANDON");
    assert_eq!(abandoned.len(), 1);
    assert_eq!(abandoned[0].status, "cancelled");

    // Declined, provider error, expired card: each said plainly, form cleared.
    assert_eq!(
        take(&app, "TEL-DECLINED", "4000000000000002").await,
        "declined"
    );
    app.wait_for_text("[data-testid=outcome]", "The card was declined")
        .await;
    app.screenshot("23-telephone-declined").await;
    app.click("[data-testid=another]").await;
    assert_eq!(
        take(&app, "TEL-PSP", "4000000000000119").await,
        "provider_error"
    );
    app.wait_for_text("[data-testid=outcome]", "No money was taken")
        .await;
    app.screenshot("24-telephone-provider-error").await;
    app.click("[data-testid=another]").await;
    // GOV.UK Pay answers an expired card as any decline (P0010): the words
    // name the expiry, so the agent can ask the caller about it.
    assert_eq!(
        take(&app, "TEL-EXPIRED", "4000000000000069").await,
        "declined"
    );
    app.wait_for_text("[data-testid=outcome]", "may have expired")
        .await;
    app.screenshot("25-telephone-expired-card").await;
    app.click("[data-testid=another]").await;

    // A double click on "Take" sends the card once.
    to_card(&app, "30.00", "TEL-TWICE").await;
    fill_card(&app, "4444333322221111", "12/30").await;
    app.click("[data-testid=tp-card-continue]").await;
    app.find("[data-testid=tp-confirm]").await;
    app.js("const b = document.querySelector('[data-testid=tp-submit]'); b.click(); b.click(); return true;")
        .await;
    app.wait_for_text("[data-testid=outcome]", "Payment taken")
        .await;
    let twice = sim.control().payments_with_reference("TEL-TWICE");
    assert_eq!(twice.len(), 1, "one payment for a double click");
    assert_eq!(twice[0].status, "success");
    app.click("[data-testid=another]").await;

    // The answer to POST /v1/auth is lost after GOV.UK Pay took the money: the
    // outcome is read from the payment, and the card is not sent again.
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/auth".into(),
        drop_after_commit: 1,
        ..Fault::default()
    }]);
    let before = sim.payment_count();
    assert_eq!(take(&app, "TEL-LOST", "4444333322221111").await, "taken");
    assert_eq!(sim.payment_count(), before + 1);
    sim.control().clear_faults();
    app.wait_for_text("[data-testid=telephone-list]", "TEL-LOST")
        .await;
    app.screenshot("26-telephone-list").await;

    // Nothing Paydesk wrote holds the card number or the security code.
    let data_dir = app.data_dir.path().to_path_buf();
    let log =
        std::fs::read_to_string(data_dir.join("paydesk.log")).expect("the app writes a log file");
    assert!(
        log.contains("telephone payment finished"),
        "the log file is in use"
    );
    assert!(!log.contains("Paydesk user"), "every action has a name");
    for card in [
        "4444333322221111",
        "4000000000000002",
        "4000000000000119",
        "4000000000000069",
    ] {
        assert_eq!(
            files_containing(&data_dir, card.as_bytes()),
            Vec::<std::path::PathBuf>::new(),
            "{card}"
        );
    }
    assert_eq!(
        files_containing_number(&data_dir, CVC.as_bytes()),
        Vec::<String>::new(),
        "the security code"
    );
    let store =
        paydesk_core::store::sqlite::open(&data_dir.join(paydesk_core::store::sqlite::FILE_NAME))
            .await
            .expect("the database opens");
    let record = store.audit_chain().await.unwrap();
    assert!(
        record
            .iter()
            .filter(|r| r.row.action == "telephone_payment")
            .count()
            >= 6,
        "{record:?}"
    );
    let mut names: Vec<&str> = record.iter().map(|r| r.row.operator.as_str()).collect();
    names.dedup();
    assert_eq!(names, ["Ali Agent"], "who did it, on every row");
    for r in &record {
        let text = format!("{:?}", r.row);
        assert!(
            !text.contains("4444333322221111") && !contains_number(text.as_bytes(), CVC.as_bytes()),
            "{text}"
        );
    }
    store.close().await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_telephone_payments_says_so_before_the_card() {
    let mut config = SimConfig::default();
    config.accounts[0].moto_api_enabled = false;
    let sim = Simulator::start(config).await.unwrap();
    let app = App::launch_in(agent_desk(&sim).await).await;
    app.click("a[data-nav=telephone]").await;
    fill_payment(&app, "25.00", "TEL-OFF").await;
    app.click("[data-testid=tp-continue]").await;
    let summary = app
        .wait_for_text(".govuk-error-summary", "not turned on for this service")
        .await;
    assert!(summary.contains("P0195"), "the code to quote: {summary}");
    assert!(
        !summary.contains("moto_api") && !summary.contains("authorisation_mode"),
        "GOV.UK Pay's own words stay in the log: {summary}"
    );
    // The card was never asked for.
    assert!(app.text("[data-testid=card-form]").await.is_none());
    app.find("[data-testid=telephone-form]").await;
    app.screenshot("27-telephone-not-enabled").await;
    app.close().await;
}
