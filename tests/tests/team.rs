//! A desktop in a team, in the real window: the person signs in to the
//! team's PostgreSQL database as themselves (a server this test starts), the
//! password is kept in the keyring, their name and role come from the
//! staff list, and they add their own API key to the team's service.

use govpay_sim::{SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_core::services::Environment;
use paydesk_core::team::TeamAdmin;
use paydesk_e2e::App;

const PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_signs_in_to_the_team_and_adds_their_key() {
    let sim = Simulator::start(SimConfig::stripe_account("api_test_team_e2e"))
        .await
        .unwrap();
    let db = paydesk_testdb::server().database();
    let login = format!("sam_e2e_{}", std::process::id());
    let admin = TeamAdmin::connect(&db.admin_url()).await.unwrap();
    admin.set_up_team("Parking team").await.unwrap();
    admin
        .add_service("Parking", sim.base_url(), Environment::Test)
        .await
        .unwrap();
    admin
        .add_staff(&login, "Sam Patel", PASSWORD)
        .await
        .unwrap();
    admin
        .set_role(&login, "Parking", Role::Caseworker)
        .await
        .unwrap();
    admin.close().await;
    let address = format!("postgres://{login}@127.0.0.1:{}/{}", db.port, db.name);
    let env = [("PAYDESK_TEAM_DATABASE", address.clone())];

    let app = App::launch_with(tempfile::tempdir().unwrap(), &env).await;
    app.wait_for_text("[data-testid=team-sign-in-page]", "Sign in to your team")
        .await;
    app.wait_for_text("[data-testid=team-login]", &login).await;
    // A mistyped password: the team database says no, in words, and nothing is kept.
    app.fill("[data-testid=team-password]", "not my password")
        .await;
    app.click("[data-testid=team-sign-in]").await;
    app.wait_for_text(
        "[data-testid=team-sign-in-page]",
        "did not accept your login and password",
    )
    .await;
    app.screenshot("60-team-sign-in-refused").await;
    app.fill("[data-testid=team-password]", PASSWORD).await;
    app.click("[data-testid=team-sign-in]").await;
    // Signed in: the name is the staff list's, and only the administrator changes it.
    app.wait_for_text("[data-testid=staff-name-shown]", "Sam Patel")
        .await;
    let header = app.text("[data-testid=header]").await.unwrap_or_default();
    assert!(!header.contains("Change name"), "{header}");

    // The team's service is there with the staff list's role; the key is this desktop's own.
    app.go("#/services").await;
    app.wait_for_text("[data-service-row=Parking]", "Caseworker")
        .await;
    app.wait_for_text("[data-service-row=Parking]", "Not on this computer")
        .await;
    app.click("[data-testid=service-key-add]").await;
    app.fill("[data-testid=service-key]", "api_test_not_the_key")
        .await;
    app.click("[data-testid=service-key-save]").await;
    app.wait_for_text("[data-service-row=Parking]", "did not accept this API key")
        .await;
    app.screenshot("62-team-key-refused").await;
    app.fill("[data-testid=service-key]", &sim.accounts()[0].api_key)
        .await;
    app.click("[data-testid=service-key-save]").await;
    app.wait_for_text("[data-service-row=Parking]", "Stored in keyring")
        .await;
    app.screenshot("61-team-services").await;
    // Services are the administrator's to add and remove on a team.
    app.wait_for_text("[data-testid=team-services-note]", "administrator")
        .await;
    let page = app.text("main").await.unwrap_or_default();
    assert!(
        !page.contains("Add a service") && !page.contains("Remove"),
        "{page}"
    );
    app.close().await;

    // The next start signs in with the password from the keyring: no question.
    let app = App::launch_with(tempfile::tempdir().unwrap(), &env).await;
    app.wait_for_text("[data-testid=staff-name-shown]", "Sam Patel")
        .await;
    assert!(
        app.text("[data-testid=team-sign-in-page]").await.is_none(),
        "asked for the password again"
    );
    app.close().await;
}
