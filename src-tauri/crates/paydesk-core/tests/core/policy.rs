//! The organisation's policy file, in force: services it does not allow,
//! LIVE services and the sandbox, and the diagnostics a service desk asks for.

use crate::common::*;
use paydesk_core::policy::Policy;
use paydesk_core::support::About;

fn policy(text: &str) -> Policy {
    Policy::parse(Path::new("/etc/paydesk/policy.toml"), text)
}

fn field_errors(err: CoreError) -> Vec<(String, String)> {
    match err {
        CoreError::Validation(f) => f.into_iter().map(|f| (f.field, f.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn a_service_the_policy_does_not_allow_offers_nothing() {
    let s = setup(Role::Supervisor, |_| {}).await;
    s.core.set_policy(policy(
        "[services]\nallowed = [{ name = \"Council tax\", account = \"test\" }]\n",
    ));
    let listed = s.core.services_list().await.unwrap();
    let parking = listed.iter().find(|v| v.id == s.service).unwrap();
    assert!(
        parking
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("Council tax (test)")),
        "{parking:?}"
    );
    assert!(parking.permissions.is_empty());
    assert_eq!(
        parking.role_label, "Supervisor",
        "the role is kept, only refused"
    );
    let err = s
        .core
        .payments_search(&s.service, &PaymentQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    // Adding one it does not name is refused on the name, before any call.
    let err = s
        .core
        .services_add(NewService::test_account(
            "Blue badges",
            s.sim.base_url(),
            Role::Caseworker,
            KEY,
        ))
        .await
        .unwrap_err();
    let fields = field_errors(err);
    assert_eq!(fields[0].0, "name", "{fields:?}");
    // One it names is added and works.
    let added = s
        .core
        .services_add(NewService::test_account(
            "Council tax",
            s.sim.base_url(),
            Role::Caseworker,
            KEY,
        ))
        .await
        .unwrap();
    assert_eq!(added.refused, None);
    s.core
        .payments_search(&added.id, &PaymentQuery::default())
        .await
        .unwrap();
    // Without the policy the first service works again.
    s.core.set_policy(Policy::default());
    s.core
        .payments_search(&s.service, &PaymentQuery::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn live_services_and_the_sandbox_follow_the_policy_and_a_bad_file_turns_live_off() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let live = || NewService {
        name: "Parking (live)".into(),
        base_url: Some(s.sim.base_url().to_owned()),
        environment: Environment::Live,
        role: Role::Supervisor,
        api_key: paydesk_core::services::SecretText::new("api_live_not_checked_here"),
    };
    for text in [
        "[services]\nlive = false\n",
        // A file with a mistake: the safe state, whatever it meant to say.
        "[services]\nlive = true\nsandbox = maybe\n",
    ] {
        s.core.set_policy(policy(text));
        let fields = field_errors(s.core.services_add(live()).await.unwrap_err());
        assert_eq!(fields[0].0, "environment", "{text}: {fields:?}");
        assert!(fields[0].1.contains("LIVE"), "{fields:?}");
        // TEST services are unaffected.
        s.core
            .payments_search(&s.service, &PaymentQuery::default())
            .await
            .unwrap();
    }
    s.core.set_policy(policy("[services]\nsandbox = false\n"));
    let err = s
        .core
        .services_set_sandbox(s.sim.base_url(), govpay::ApiKey::new(KEY).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Forbidden(m) if m.contains("sandbox")),
        "{err:?}"
    );
    s.core.set_policy(Policy::default());
    s.core
        .services_set_sandbox(s.sim.base_url(), govpay::ApiKey::new(KEY).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn diagnostics_carry_what_support_needs_and_no_key() {
    let s = setup(Role::Supervisor, |_| {}).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    s.core.set_policy(policy(
        "[services]\nsandbox = false\n[logs]\nfolder = \"/var/log/paydesk\"\n",
    ));
    let about = About {
        version: "9.9.9".into(),
        build: "abc123".into(),
        data_folder: Some("/home/sam/.local/share/uk.paydesk.app".into()),
        log_file: Some("/var/log/paydesk/paydesk.log".into()),
        updates: "Installed by IT".into(),
    };
    let log: String = (1..=300).map(|i| format!("log line {i}\n")).collect();
    let text = s.core.diagnostics(&about, &log).await;
    for needle in [
        "Paydesk 9.9.9 (build abc123)",
        "/home/sam/.local/share/uk.paydesk.app",
        "/var/log/paydesk/paydesk.log",
        "Sandbox: Not offered",
        "Parking",
        "last synced",
        "key stored",
        "log line 300",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(!text.contains("log line 100\n"), "only the last 200 lines");
    assert!(!text.contains(KEY), "no API key");
}
