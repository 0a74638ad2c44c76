//! Services against the real OS keyring (Secret Service) and a real simulator.
//! `make test` runs these inside a D-Bus session with an unlocked gnome-keyring.

use std::sync::Arc;

use govpay::ApiKey;
use govpay_sim::{SimConfig, Simulator};
use paydesk_core::services::{Environment, NewService};
use paydesk_core::store::probe::Tamper;
use paydesk_core::{Core, CoreError, KeyStore, OsKeyStore, Role};

const KEY: &str = "api_test_sandbox_key";

fn unique_app_id() -> String {
    format!("paydesk-test-{}", uuid::Uuid::new_v4())
}

/// A core on a fresh data folder, its keys under an app ID of its own.
async fn fresh_core() -> (tempfile::TempDir, Core) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path(), Arc::new(OsKeyStore::new(unique_app_id())))
        .await
        .unwrap();
    (dir, core)
}

fn new_service(name: &str, base: &str, key: &str) -> NewService {
    NewService::test_account(name, base, Role::Supervisor, key)
}

#[tokio::test]
async fn a_key_saved_by_one_entry_is_read_back_by_another() {
    let app_id = unique_app_id();
    let store = OsKeyStore::new(&app_id);
    store
        .set("svc-1", &ApiKey::new("api_test_roundtrip").unwrap())
        .unwrap();
    // A separate store object, so nothing is cached in memory between them.
    let again = OsKeyStore::new(&app_id);
    assert_eq!(
        again.get("svc-1").unwrap().unwrap().expose(),
        "api_test_roundtrip"
    );
    again.delete("svc-1").unwrap();
    assert!(store.get("svc-1").unwrap().is_none());
}

#[tokio::test]
async fn adding_a_service_checks_the_key_and_keeps_it_out_of_the_database() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_id = unique_app_id();
    let core = Core::open(dir.path(), Arc::new(OsKeyStore::new(&app_id)))
        .await
        .unwrap();

    let added = core
        .services_add(new_service("Parking permits", sim.base_url(), KEY))
        .await
        .unwrap();
    assert!(added.has_key);
    assert_eq!(added.base_url, sim.base_url());

    let listed = core.services_list().await.unwrap();
    assert_eq!(listed, vec![added.clone()]);

    // The key is in the keyring...
    let stored = OsKeyStore::new(&app_id).get(&added.id).unwrap().unwrap();
    assert_eq!(stored.expose(), KEY);
    // ...and in no file Paydesk wrote.
    core.close().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the API key reached a file on disk"
        );
    }
    let core = Core::open(dir.path(), Arc::new(OsKeyStore::new(&app_id)))
        .await
        .unwrap();
    core.services_remove(&added.id).await.unwrap();
    assert!(OsKeyStore::new(&app_id).get(&added.id).unwrap().is_none());
    assert!(core.services_list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_key_names_the_field_and_saves_nothing() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (_dir, core) = fresh_core().await;
    let err = core
        .services_add(new_service("Parking", sim.base_url(), "api_test_wrong"))
        .await
        .unwrap_err();
    match err {
        CoreError::Validation(fields) => {
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].field, "apiKey");
            assert!(fields[0].message.contains("did not accept"));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert!(core.services_list().await.unwrap().is_empty());
}

#[tokio::test]
async fn names_are_unique_ignoring_case() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (_dir, core) = fresh_core().await;
    let first = core
        .services_add(new_service("Parking", sim.base_url(), KEY))
        .await
        .unwrap();
    let err = core
        .services_add(new_service("PARKING", sim.base_url(), KEY))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "name"),
        "{err:?}"
    );
    core.services_remove(&first.id).await.unwrap();
}

#[tokio::test]
async fn a_desktop_holds_512_services_and_says_so_at_the_next() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (_dir, core) = fresh_core().await;
    core.store()
        .tamper(Tamper::FillerServices(511))
        .await
        .unwrap();
    let last = core
        .services_add(new_service("The last one", sim.base_url(), KEY))
        .await
        .unwrap();
    let slot = core.store().probe_service_slot(&last.id).await.unwrap();
    assert_eq!(slot, Some(511));
    let err = core
        .services_add(new_service("One too many", sim.base_url(), KEY))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "name" && f[0].message.contains("512")),
        "{err:?}"
    );
    core.services_remove(&last.id).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_service_is_a_network_error_not_a_saved_row() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, core) = fresh_core().await;
    let err = core
        .services_add(new_service(
            "Parking",
            &format!("http://127.0.0.1:{port}"),
            KEY,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Api(govpay::Error::Network(_))),
        "{err:?}"
    );
    assert!(core.services_list().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_sandbox_service_follows_the_simulator_to_its_new_address() {
    let (_dir, core) = fresh_core().await;
    assert!(!core.services_has_sandbox().await.unwrap());
    let key = ApiKey::new("api_test_paydesk_sandbox").unwrap();
    let first = core
        .services_set_sandbox("http://127.0.0.1:1111", key.clone())
        .await
        .unwrap();
    assert!(first.sandbox && first.has_key);
    assert_eq!(first.environment, Environment::Test);
    // Next start: same service, new address.
    let again = core
        .services_set_sandbox("http://127.0.0.1:2222", key)
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.base_url, "http://127.0.0.1:2222");
    assert_eq!(core.services_list().await.unwrap().len(), 1);
    assert!(core.services_has_sandbox().await.unwrap());
    core.services_remove(&first.id).await.unwrap();
}
