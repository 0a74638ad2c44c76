//! What every test of the core shares: a simulator, a real data folder and
//! keyring, a service on it, and the few steps tests take again and again.

pub use govpay::requests::CreatePayment;
pub use govpay::requests::MotoCard;
pub use govpay_sim::{Fault, SeedSpec, SimConfig, Simulator};
pub use paydesk_core::activity::audit::{AuditQuery, Phase};
pub use paydesk_core::search::{PaymentQuery, SortBy};
pub use paydesk_core::services::{Environment, NewService};
pub use paydesk_core::store::probe::Tamper;
pub use paydesk_core::sync::SyncCancel;
pub use paydesk_core::telephone::{TelephoneOutcome, TelephonePaymentInput, TelephoneResult};
pub use paydesk_core::{ClientOptions, Core, CoreError, OsKeyStore, Role, StoreErrorKind};
pub use std::path::Path;
pub use std::process::{Command, Stdio};
pub use std::sync::Arc;
pub use std::time::{Duration, Instant};

pub(crate) const KEY: &str = "api_test_core_key";

/// The reason the tests give a refund when the reason is not what is tested.
pub(crate) fn why() -> &'static paydesk_core::money::reason::RefundWhy {
    static WHY: std::sync::LazyLock<paydesk_core::money::reason::RefundWhy> =
        std::sync::LazyLock::new(|| {
            paydesk_core::money::reason::RefundWhy::parse(
                "overpayment",
                "paid twice at the counter",
            )
            .expect("a valid reason")
        });
    &WHY
}

/// Whether this run of the suite is on PostgreSQL (`PAYDESK_TEST_STORE=postgres`,
/// as `make test`'s second run sets it) rather than the SQLite file.
pub(crate) fn on_postgres() -> bool {
    std::env::var("PAYDESK_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// Whether the store loads a big first fill with its search indexes set
/// aside and builds them at the end: the SQLite store does; PostgreSQL keeps
/// its indexes up as rows arrive.
pub(crate) fn bulk_loads() -> bool {
    !on_postgres()
}

/// The team database each data folder uses on PostgreSQL: made the first
/// time the folder is opened, the same one when it is opened again.
static TEAM_DATABASES: std::sync::Mutex<Vec<(std::path::PathBuf, String)>> =
    std::sync::Mutex::new(Vec::new());

/// The team database of `dir` on PostgreSQL; `None` on SQLite.
pub(crate) fn team_url(dir: &Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let mut known = TEAM_DATABASES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, url)) = known.iter().find(|(d, _)| d == dir) {
        return Some(url.clone());
    }
    let url = paydesk_testdb::server().database().admin_url();
    known.push((dir.to_owned(), url.clone()));
    Some(url)
}

/// Sets up the schema of `dir`'s team database, as its administrator would.
async fn team_set_up(dir: &Path) {
    if let Some(url) = team_url(dir) {
        let admin = paydesk_core::store::postgres::set_up(&url).await.unwrap();
        paydesk_core::store::Lifecycle::close(&admin).await;
    }
}

/// Opens the core on `dir`: its SQLite file, or on PostgreSQL its own
/// database of the test server.
pub(crate) async fn open_core(dir: &Path, app_id: &str) -> Result<Core, CoreError> {
    let keys = Arc::new(OsKeyStore::new(app_id));
    team_set_up(dir).await;
    match team_url(dir) {
        Some(url) => Core::open_team(dir, &url, keys).await,
        None => Core::open(dir, keys).await,
    }
}

/// The folder's database is replaced by an empty one (the keyring stays):
/// its SQLite files deleted, or on PostgreSQL a new database given to it.
pub(crate) fn database_replaced(dir: &Path) {
    if on_postgres() {
        let mut known = TEAM_DATABASES.lock().unwrap_or_else(|p| p.into_inner());
        known.retain(|(d, _)| d != dir);
        return;
    }
    for name in ["paydesk.db", "paydesk.db-wal", "paydesk.db-shm"] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

pub(crate) struct Setup {
    pub(crate) sim: Simulator,
    pub(crate) core: Core,
    pub(crate) service: String,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) app_id: String,
}

pub(crate) async fn setup(role: Role, tweak: impl FnOnce(&mut SimConfig)) -> Setup {
    let mut config = SimConfig::stripe_account(KEY);
    tweak(&mut config);
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_id = format!("paydesk-test-{}", uuid::Uuid::new_v4());
    let core = open_core(dir.path(), &app_id).await.unwrap();
    core.set_operator("Sam Tester").await.unwrap();
    core.set_client_options(ClientOptions {
        timeout: Duration::from_secs(2),
        retry: govpay::RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..Default::default()
        },
        ..ClientOptions::default()
    });
    let account = &sim.accounts()[0];
    let mut service = NewService::test_account("Parking", sim.base_url(), role, &account.api_key);
    if account.live {
        service.environment = Environment::Live;
    }
    let service = core.services_add(service).await.unwrap().id;
    Setup {
        sim,
        core,
        service,
        dir,
        app_id,
    }
}

/// A GOV.UK Pay client on the simulator's account, for a test's own calls.
pub(crate) fn sim_client(s: &Setup) -> govpay::Client {
    s.sim.client().unwrap()
}

/// A payment of `amount` on the simulator, paid with a test card.
pub(crate) async fn paid(s: &Setup, amount: i64) -> String {
    s.sim
        .web_payment(amount, "REF-1", false, Some("4444333322221111"))
        .await
        .unwrap()
}

/// The record's rows about one payment, newest first.
pub(crate) async fn trail_of(core: &Core, pid: &str) -> Vec<paydesk_core::store::AuditRow> {
    core.store()
        .audit_list(&AuditQuery {
            payment_id: Some(pid.to_owned()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

/// The refund's answer is lost by `refund_fault`, and the payment's refunds
/// cannot be read for a while after (the one read before sending passes): the
/// outcome stays unknown until the faults are cleared.
pub(crate) fn lose_refund_answer(s: &Setup, refund_fault: Fault) {
    s.sim.control().set_faults(vec![
        Fault {
            route: "POST /v1/payments/{payment_id}/refunds".into(),
            ..refund_fault
        },
        Fault {
            route: "GET /v1/payments/{payment_id}/refunds".into(),
            after: 1,
            fail_next: 10,
            ..Fault::default()
        },
    ]);
}

/// A supervisor's service over one simulated account holding `payments`
/// generated payments (from `seed`) spread over the last `days`.
pub(crate) async fn seeded(payments: usize, seed: u64, days: i64) -> Setup {
    setup(Role::Supervisor, |c| {
        *c = std::mem::take(c).with_history(payments, seed, days)
    })
    .await
}

/// How many different payments the cache holds, and how many rows.
pub(crate) async fn payment_rows(s: &Setup) -> (i64, i64) {
    s.core.store().probe_payment_rows().await.unwrap()
}

/// Whether any search index is still set aside by a bulk load.
pub(crate) async fn indexes_aside(s: &Setup) -> bool {
    s.core.store().probe_indexes_aside().await.unwrap()
}

/// Makes a change to the database behind the core's back.
pub(crate) async fn tamper(s: &Setup, change: Tamper) -> Result<(), paydesk_core::StoreError> {
    s.core.store().tamper(change).await
}

pub(crate) fn no_progress() -> impl Fn(paydesk_core::sync::SyncProgress) + Send + Sync {
    |_| {}
}

pub(crate) async fn find(s: &Setup, q: PaymentQuery) -> paydesk_core::search::PaymentResults {
    s.core.payments_search(&s.service, &q).await.unwrap()
}

/// Every payment of the service's account, as GOV.UK Pay (the simulator)
/// lists them: what the cache's answers are checked against.
pub(crate) async fn every_payment(s: &Setup) -> Vec<govpay::models::Payment> {
    sim_client(s)
        .payments()
        .search_all(&Default::default())
        .collect_all()
        .await
        .unwrap()
}

/// A cardholder name of the account's, with a first name of four letters
/// or more, so part of it can reach the trigram index.
pub(crate) async fn all_with_holder(s: &Setup) -> String {
    every_payment(s)
        .await
        .into_iter()
        .filter_map(|p| p.card_details.and_then(|c| c.cardholder_name))
        .find(|n| n.split(' ').next().is_some_and(|f| f.chars().count() >= 4) && n.contains(' '))
        .unwrap()
}

/// The unkeyed hash a tamperer without the keyring could compute: SHA-256
/// over the same length-prefixed fields the record uses.
pub(crate) fn rehash_without_the_key(fields: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Another desktop's cache of the same simulator account.
pub(crate) async fn second_core(s: &Setup, dir: &Path) -> (Core, String) {
    let core = open_core(dir, &s.app_id).await.unwrap();
    let service = add_same_account(&core, s, "Parking again").await;
    (core, service)
}

/// Another supervisor's service on the simulator account `s` uses, in `core`.
pub(crate) async fn add_same_account(core: &Core, s: &Setup, name: &str) -> String {
    let key = &s.sim.accounts()[0].api_key;
    core.services_add(NewService::test_account(
        name,
        s.sim.base_url(),
        Role::Supervisor,
        key,
    ))
    .await
    .unwrap()
    .id
}

pub(crate) fn phone(amount: i64, reference: &str) -> TelephonePaymentInput {
    TelephonePaymentInput {
        amount: format!("{}.{:02}", amount / 100, amount % 100),
        reference: reference.into(),
        description: "Council tax by phone".into(),
        email: None,
    }
}

/// The agent's steps: amount and reference, then the card, confirmed.
pub(crate) async fn take(
    s: &Setup,
    input: &TelephonePaymentInput,
    card: MotoCard,
) -> Result<TelephoneOutcome, CoreError> {
    let started = s.core.telephone_start(&s.service, input).await?;
    s.core
        .telephone_authorise(&s.service, &started.payment_id, card, false)
        .await
}
