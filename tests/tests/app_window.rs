//! The real Paydesk window: it opens, every section can be reached, and the
//! Services screen adds a service through the core, the simulator and the keyring.

use govpay_sim::{SimConfig, Simulator};
use paydesk_e2e::{App, files_containing};

const SECTIONS: [(&str, &str); 9] = [
    ("payments", "Payments"),
    ("telephone", "Telephone payment"),
    ("disputes", "Disputes"),
    ("agreements", "Agreements"),
    ("activity", "Activity"),
    ("dashboard", "Dashboard"),
    ("export", "Finance export"),
    ("services", "Services"),
    ("about", "About Paydesk"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_navigates_and_adds_a_service() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let key = sim.accounts()[0].api_key.clone();
    let app = App::launch().await;

    // A fresh desktop first asks who is using it, offering the computer
    // account's name; nothing else is shown until it is answered.
    app.wait_for_text("main h1", "What is your name?").await;
    let offered = app.find("#staff-name").await.prop("value").await.unwrap();
    assert!(
        offered.as_deref().is_some_and(|n| !n.trim().is_empty()),
        "the account's name is offered: {offered:?}"
    );
    app.screenshot("00-staff-name").await;
    app.fill("#staff-name", "  ").await;
    app.click("[data-testid=staff-name-save]").await;
    app.wait_for_text("#staff-name-error", "Enter your name")
        .await;
    app.fill("#staff-name", "Priya Shah").await;
    app.click("[data-testid=staff-name-save]").await;
    app.wait_for_text("[data-testid=staff-name-shown]", "Priya Shah")
        .await;

    // Then it opens on Services, with nothing configured.
    app.wait_for_text("main h1", "Services").await;
    app.wait_for_text("[data-testid=no-services]", "No services yet")
        .await;
    app.screenshot("01-services-empty").await;

    // Every section is reachable from the navigation and shows its own heading.
    for (id, label) in SECTIONS {
        app.click(&format!("a[data-nav={id}]")).await;
        app.wait_for_text("main h1", label).await;
        let section = app.find("main").await.attr("data-section").await.unwrap();
        assert_eq!(section.as_deref(), Some(id));
        let current = app
            .find(&format!("a[data-nav={id}]"))
            .await
            .attr("aria-current")
            .await
            .unwrap();
        assert_eq!(
            current.as_deref(),
            Some("page"),
            "{id} is marked as the current page"
        );
        app.screenshot(&format!("02-section-{id}")).await;
    }

    // The built-in sandbox starts on request, becomes the service in use,
    // and Paydesk goes to its payments, which never read "No payments match"
    // while its first sync is reading them.
    app.go("#/services").await;
    app.click("[data-testid=try-sandbox]").await;
    app.wait_for_text("main h1", "Payments").await;
    app.wait_for_text(
        "[data-testid=current-service]",
        "GOV.UK Pay sandbox (simulated)",
    )
    .await;
    app.wait_for_text("[data-testid=header]", "Supervisor")
        .await;
    app.wait_for_text("[data-testid=result-count]", "payments match")
        .await;
    app.screenshot("03-payments-sandbox").await;
    app.go("#/services").await;
    app.wait_for_text(
        "[data-testid=services-table]",
        "GOV.UK Pay sandbox (simulated)",
    )
    .await;
    app.screenshot("03-services-sandbox").await;

    // Adding a service with a key GOV.UK Pay refuses names the key field.
    app.fill("#service-name", "Parking permits").await;
    app.click("summary.govuk-details__summary").await;
    app.fill("#service-base-url", sim.base_url()).await;
    app.fill("#service-api-key", "api_test_not_a_real_key")
        .await;
    app.click("form[data-testid=add-service-form] button[type=submit]")
        .await;
    app.wait_for_text(".govuk-error-summary", "did not accept this API key")
        .await;
    app.wait_for_text("#service-api-key-error", "did not accept")
        .await;
    // What was typed is still there.
    let name = app.find("#service-name").await.prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("Parking permits"));
    app.screenshot("04-services-key-rejected").await;

    // The right key: checked with the simulator, stored, listed, in use.
    app.fill("#service-api-key", &key).await;
    app.click("form[data-testid=add-service-form] button[type=submit]")
        .await;
    app.wait_for_text("[data-testid=notice]", "Parking permits was added")
        .await;
    app.wait_for_text("[data-testid=services-table]", "Parking permits")
        .await;
    app.wait_for_text("[data-testid=services-table]", "Stored in keyring")
        .await;
    // The sandbox stays in use until another service is chosen.
    app.wait_for_text("[data-testid=current-service]", "sandbox")
        .await;
    app.click("[data-service-row='Parking permits'] button.govuk-button--secondary")
        .await;
    app.wait_for_text("[data-testid=current-service]", "Parking permits")
        .await;
    app.wait_for_text("[data-testid=header]", "Caseworker")
        .await;
    let typed_key = app
        .find("#service-api-key")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        typed_key.as_deref(),
        Some(""),
        "the key field is emptied once the key is stored"
    );
    app.screenshot("05-services-added").await;
    // A single desktop has nobody to approve a refund: it says so, and why.
    app.wait_for_text(
        "[data-testid=approvals-not-offered]",
        "Approvals need a second person",
    )
    .await;
    app.scroll_to("[data-testid=approval-rules]").await;
    app.screenshot("05b-services-approvals-not-offered").await;

    // The name given on first start is on the audit trail (Activity), as the
    // person who set it; no row says "Paydesk user".
    app.click("[data-service-row='GOV.UK Pay sandbox (simulated)'] button.govuk-button--secondary")
        .await;
    app.click("a[data-nav=activity]").await;
    let activity = app
        .wait_for_text("[data-testid=activity]", "staff name set to Priya Shah")
        .await;
    assert!(activity.contains("Priya Shah"), "{activity}");
    assert!(!activity.contains("Paydesk user"), "{activity}");
    app.screenshot("06-activity-staff-name").await;

    // The key is in the keyring, not in any file Paydesk wrote.
    let hits = files_containing(app.data_dir.path(), key.as_bytes());
    assert!(hits.is_empty(), "the API key reached {hits:?}");

    app.close().await;
}
