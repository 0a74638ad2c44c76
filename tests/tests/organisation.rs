//! What a department's IT sets and supports: the policy file's settings shown
//! as set by the organisation, the log in the policy's folder, the About
//! screen and "Copy diagnostics"; and a policy file with a mistake on every
//! screen, naming its line and setting, with LIVE services off.

use govpay_sim::{SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_e2e::{App, prepared};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisations_policy_is_shown_and_a_bad_one_is_never_ignored() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let outside = tempfile::tempdir().unwrap();
    let logs = outside.path().join("org-logs");
    let policy = outside.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[services]\nsandbox = false\nallowed = [{{ name = \"Council tax\", account = \"test\" }}]\n\n[refunds]\napproval_above = \"250.00\"\n\n[logs]\nfolder = \"{}\"\n",
            logs.display()
        ),
    )
    .unwrap();
    let (dir, core, _) =
        prepared(&sim, "Parking permits", Role::Supervisor, "Pat Supervisor").await;
    core.close().await;
    let app = App::launch_with(dir, &[("PAYDESK_POLICY", policy.display().to_string())]).await;

    app.go("#/about").await;
    app.wait_for_text("main h1", "About Paydesk").await;
    let settings = app
        .wait_for_text("[data-testid=policy-settings]", "Over £250.00")
        .await;
    assert!(settings.contains("Not offered"), "{settings}");
    // One file per person in a shared folder, named after the computer's user.
    let log = match std::env::var("USER").or_else(|_| std::env::var("USERNAME")) {
        Ok(user) if !user.is_empty() => logs.join(format!("paydesk-{user}.log")),
        _ => logs.join("paydesk.log"),
    };
    app.wait_for_text("[data-testid=about-log]", &log.display().to_string())
        .await;
    let version = app.text("[data-testid=about-version]").await.unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("opening Paydesk data"),
        "the log is written in the policy's folder"
    );
    app.click("[data-testid=copy-diagnostics]").await;
    let said = app
        .wait_for_text("[data-testid=diagnostics-said]", "iagnostics")
        .await;
    if said.contains("Select the diagnostics") {
        // No clipboard on this display: the text is there to copy by hand.
        let text = app
            .js("return document.querySelector('[data-testid=diagnostics-text]').value;")
            .await;
        let text = text.as_str().unwrap_or_default();
        assert!(
            text.contains("Parking permits") && text.contains("Last 200 log lines"),
            "{text}"
        );
    }
    app.screenshot("95-about-policy").await;
    // A service the policy does not allow keeps its row, offers nothing,
    // and says why.
    app.go("#/services").await;
    app.wait_for_text("main h1", "Services").await;
    let refused = app
        .wait_for_text("[data-testid=service-refused]", "Not allowed")
        .await;
    assert!(refused.contains("Council tax (test)"), "{refused}");
    // Nothing else on the screen is offered for it, nor fails for it.
    assert_eq!(app.text(".govuk-error-summary").await, None);
    let seen = app.axe_violations().await;
    assert!(seen.is_empty(), "{seen:?}");
    app.screenshot("97-services-refused").await;
    app.close().await;

    // A mistake in the file: on every screen, naming the line and setting.
    std::fs::write(
        &policy,
        "[services]\nlive = true\n\n[network]\nproxy = \"proxy.example.gov.uk\"\n",
    )
    .unwrap();
    let (dir, core, _) = prepared(&sim, "Council tax", Role::Caseworker, "Sam Caseworker").await;
    core.close().await;
    let app = App::launch_with(dir, &[("PAYDESK_POLICY", policy.display().to_string())]).await;
    let banner = app
        .wait_for_text("[data-testid=policy-problem]", "line 5")
        .await;
    assert!(banner.contains("network.proxy"), "{banner}");
    assert!(
        banner.contains("LIVE services are switched off"),
        "{banner}"
    );
    app.screenshot("96-policy-problem").await;
    // TEST services still work.
    app.go("#/payments").await;
    app.wait_for_text("main h1", "Payments").await;
    app.close().await;
}
