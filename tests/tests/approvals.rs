//! A second person's approval, in two real windows at once: a caseworker
//! and a supervisor, each signed in to the team's PostgreSQL database as
//! themselves. The supervisor sets the rule, the caseworker's refund becomes
//! a request, the supervisor approves it, and the refund is made once.

use std::sync::Arc;

use govpay_sim::{SimConfig, Simulator};
use paydesk_core::services::Environment;
use paydesk_core::team::TeamAdmin;
use paydesk_core::{Core, OsKeyStore, Role};
use paydesk_e2e::{APP_ID, App, sim_payment};

const PASSWORD: &str = "a long enough password";

/// A desktop's data folder signed in as `login`: the password and the
/// service's key in the session's keyring, as the person would have given them.
async fn desk(address: &str, service: &str, key: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let keys: Arc<dyn paydesk_core::KeyStore> = Arc::new(OsKeyStore::new(APP_ID));
    Core::team_password_keep(&keys, address, PASSWORD)
        .await
        .unwrap();
    let core = Core::open_team_signed_in(dir.path(), address, keys)
        .await
        .unwrap();
    core.services_set_key(service, key).await.unwrap();
    core.close().await;
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_asks_a_supervisor_approves_and_the_refund_is_made_once() {
    let sim = Simulator::start(SimConfig::stripe_account("api_test_approvals_e2e"))
        .await
        .unwrap();
    let db = paydesk_testdb::server().database();
    let tag = std::process::id();
    let (sam, ali) = (format!("sam_appr_{tag}"), format!("ali_appr_{tag}"));
    let admin = TeamAdmin::connect(&db.admin_url()).await.unwrap();
    admin.set_up_team("Parking team").await.unwrap();
    let service = admin
        .add_service("Parking", sim.base_url(), Environment::Test)
        .await
        .unwrap();
    admin.add_staff(&sam, "Sam Patel", PASSWORD).await.unwrap();
    admin.add_staff(&ali, "Ali Khan", PASSWORD).await.unwrap();
    admin
        .set_role(&sam, "Parking", Role::Caseworker)
        .await
        .unwrap();
    admin
        .set_role(&ali, "Parking", Role::Supervisor)
        .await
        .unwrap();
    admin.close().await;
    let key = sim.accounts()[0].api_key.clone();
    let address = |login: &str| format!("postgres://{login}@127.0.0.1:{}/{}", db.port, db.name);
    let sam_dir = desk(&address(&sam), &service, &key).await;
    let ali_dir = desk(&address(&ali), &service, &key).await;
    let pid = sim_payment(&sim, 4_000, "PK-APPROVE-1", false, Some("4444333322221111")).await;

    // The supervisor sets the rule on the Services page.
    let ali_app = App::launch_with(ali_dir, &[("PAYDESK_TEAM_DATABASE", address(&ali))]).await;
    ali_app
        .wait_for_text("[data-testid=staff-name-shown]", "Ali Khan")
        .await;
    ali_app.go("#/services").await;
    ali_app
        .wait_for_text("[data-testid=approval-rules]", "No refund needs approval")
        .await;
    ali_app.fill("[data-testid=approval-above]", "10.00").await;
    ali_app.click("[data-testid=approval-save]").await;
    ali_app
        .wait_for_text(
            "[data-testid=approval-summary]",
            "Refunds of more than £10.00",
        )
        .await;
    ali_app
        .wait_for_text("[data-testid=approval-rules]", "Set by Ali Khan")
        .await;
    ali_app.scroll_to("[data-testid=approval-rules]").await;
    ali_app.screenshot("70-approval-rules").await;

    // The caseworker refunds £25: it becomes a request, and nothing is sent.
    let sam_app = App::launch_with(sam_dir, &[("PAYDESK_TEAM_DATABASE", address(&sam))]).await;
    sam_app
        .wait_for_text("[data-testid=staff-name-shown]", "Sam Patel")
        .await;
    sam_app.go(&format!("#/payments/{pid}")).await;
    sam_app
        .wait_for_text("[data-testid=available]", "£40.00")
        .await;
    sam_app.click("[data-testid=refund-start]").await;
    sam_app.click("[data-testid=refund-partial]").await;
    sam_app.fill("[data-testid=refund-amount]", "25.00").await;
    sam_app
        .select("[data-testid=refund-reason]", "service_not_provided")
        .await;
    sam_app
        .fill("[data-testid=refund-note]", "Permit never issued")
        .await;
    sam_app.click("[data-testid=refund-continue]").await;
    sam_app.click("[data-testid=refund-confirm-button]").await;
    sam_app
        .wait_for_text("[data-testid=notice]", "needs a supervisor’s approval")
        .await;
    sam_app
        .wait_for_text(
            "[data-testid=refund-blocked]",
            "is waiting for a supervisor",
        )
        .await;
    sam_app.screenshot("71-refund-asked").await;
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 0);
    sam_app.click("a[data-nav=approvals]").await;
    sam_app
        .wait_for_text("[data-testid=my-requests]", "Waiting")
        .await;
    assert!(
        sam_app.text("[data-testid=approval]").await.is_none(),
        "a caseworker is not offered the queue"
    );
    sam_app.screenshot("72-my-requests-waiting").await;

    // The supervisor approves it in their own window.
    ali_app.click("a[data-nav=approvals]").await;
    ali_app
        .wait_for_text(
            "[data-testid=approval]",
            "£25.00 for PK-APPROVE-1, asked for by Sam Patel",
        )
        .await;
    ali_app
        .wait_for_text(
            "[data-testid=approval]",
            "Service not provided: Permit never issued",
        )
        .await;
    ali_app.screenshot("73-approvals-queue").await;
    ali_app.click("[data-testid=approve-start]").await;
    ali_app
        .wait_for_text("[data-testid=approve-confirm]", "Approve and refund £25.00")
        .await;
    ali_app.click("[data-testid=approve-confirm-button]").await;
    ali_app
        .wait_for_text(
            "[data-testid=approval-notice]",
            "You approved the refund of £25.00",
        )
        .await;
    ali_app
        .wait_for_text("[data-testid=approvals-none]", "No refund is waiting")
        .await;
    ali_app.screenshot("74-approved").await;
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 1);

    // The caseworker sees it made, with both names on the payment's timeline.
    sam_app.go("#/payments").await;
    sam_app.go(&format!("#/payments/{pid}")).await;
    sam_app
        .wait_for_text(
            "[data-testid=timeline]",
            "Asked for by Sam Patel, approved and refunded by Ali Khan",
        )
        .await;
    sam_app
        .wait_for_text(
            "[data-testid=refund-requests]",
            "Approved by Ali Khan and refunded",
        )
        .await;
    sam_app
        .wait_for_text("[data-testid=available]", "£15.00")
        .await;
    // (Once the page has settled, or the scroll is undone by its redraw.)
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    sam_app.scroll_to("[data-testid=timeline]").await;
    sam_app.screenshot("75-approved-timeline").await;
    sam_app.click("a[data-nav=approvals]").await;
    sam_app
        .wait_for_text("[data-testid=my-requests]", "Approved and refunded")
        .await;
    assert_eq!(sim.control().payment(&pid).unwrap().refunds, 1);
    sam_app.close().await;
    ali_app.close().await;
}
