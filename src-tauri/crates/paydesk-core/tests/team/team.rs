//! Team mode: a team's desktops on one PostgreSQL database, each person
//! signed in as themselves. These run on a real PostgreSQL server whichever
//! store the rest of the suite is on: team mode has no SQLite form.

use paydesk_core::store::AuditRow;
use paydesk_core::team::TeamAdmin;
use paydesk_testdb::Database;

use crate::common::*;

pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) struct Team {
    pub sim: Simulator,
    pub db: Database,
    pub service: String,
    pub sam: String,
    pub ali: String,
    /// A second supervisor.
    pub jo: String,
    app_id: String,
    _dirs: Vec<tempfile::TempDir>,
}

/// A team set up by its administrator: one service on the simulator, Sam a
/// caseworker and Ali and Jo supervisors on it.
pub(crate) async fn team() -> Team {
    team_with(|_| {}).await
}

/// `team`, on a simulator `tweak` sets up.
pub(crate) async fn team_with(tweak: impl FnOnce(&mut SimConfig)) -> Team {
    let mut config = SimConfig::stripe_account(KEY);
    tweak(&mut config);
    let sim = Simulator::start(config).await.unwrap();
    let db = paydesk_testdb::server().database();
    // Logins belong to the whole server: each test has its own.
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (sam, ali, jo) = (
        format!("sam_{tag}"),
        format!("ali_{tag}"),
        format!("jo_{tag}"),
    );
    let admin = TeamAdmin::connect(&db.admin_url()).await.unwrap();
    admin.set_up_team("Parking team").await.unwrap();
    let service = admin
        .add_service("Parking", sim.base_url(), Environment::Test)
        .await
        .unwrap();
    admin.add_staff(&sam, "Sam Patel", PASSWORD).await.unwrap();
    admin.add_staff(&ali, "Ali Khan", PASSWORD).await.unwrap();
    admin.add_staff(&jo, "Jo Evans", PASSWORD).await.unwrap();
    admin
        .set_role(&jo, "Parking", Role::Supervisor)
        .await
        .unwrap();
    admin
        .set_role(&sam, "Parking", Role::Caseworker)
        .await
        .unwrap();
    admin
        .set_role(&ali, "Parking", Role::Supervisor)
        .await
        .unwrap();
    admin.close().await;
    Team {
        sim,
        db,
        service,
        sam,
        ali,
        jo,
        app_id: format!("paydesk-test-{}", uuid::Uuid::new_v4()),
        _dirs: Vec::new(),
    }
}

impl Team {
    /// A desktop signed in as `login`, with the service's key in its keyring.
    pub(crate) async fn desktop(&mut self, login: &str) -> Core {
        let dir = tempfile::tempdir().unwrap();
        // The person gives the address and their password once; the
        // password goes to the keyring, the address holds none.
        let address = format!(
            "postgres://{login}@127.0.0.1:{}/{}",
            self.db.port, self.db.name
        );
        let keys: Arc<dyn paydesk_core::KeyStore> = Arc::new(OsKeyStore::new(&self.app_id));
        let unknown = Core::open_team_signed_in(dir.path(), &address, keys.clone()).await;
        assert!(
            matches!(&unknown, Err(CoreError::Validation(f)) if f[0].field == "password"),
            "{unknown:?}"
        );
        let with_password = format!(
            "postgres://{login}:{PASSWORD}@127.0.0.1:{}/{}",
            self.db.port, self.db.name
        );
        assert!(
            Core::team_password_keep(&keys, &with_password, PASSWORD)
                .await
                .is_err()
        );
        Core::team_password_keep(&keys, &address, PASSWORD)
            .await
            .unwrap();
        let core = Core::open_team_signed_in(dir.path(), &address, keys)
            .await
            .unwrap();
        self._dirs.push(dir);
        let blank = core.services_set_key(&self.service, "  ").await;
        assert!(matches!(blank, Err(CoreError::Validation(_))), "{blank:?}");
        core.services_set_key(&self.service, &self.sim.accounts()[0].api_key)
            .await
            .unwrap();
        core
    }
}

#[tokio::test]
async fn names_and_roles_come_from_the_staff_list_not_the_desktop() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    assert_eq!(sam.operator().await.unwrap(), "Sam Patel");
    let renamed = sam.set_operator("Somebody Else").await;
    assert!(
        matches!(renamed, Err(CoreError::Forbidden(_))),
        "{renamed:?}"
    );
    assert_eq!(sam.operator().await.unwrap(), "Sam Patel");
    let services = sam.services_list().await.unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].role, Role::Caseworker);
    assert!(services[0].has_key);
    // A caseworker does not see the team's activity; the supervisor does.
    let refused = sam.activity_list(&t.service, &AuditQuery::default()).await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    let ali = t.desktop(&t.ali.clone()).await;
    assert_eq!(ali.services_list().await.unwrap()[0].role, Role::Supervisor);

    // Promoted by the administrator: the next desktop start has the new role.
    let admin = TeamAdmin::connect(&t.db.admin_url()).await.unwrap();
    admin
        .set_role(&t.sam, "Parking", Role::Supervisor)
        .await
        .unwrap();
    let staff = admin.staff().await.unwrap();
    admin.close().await;
    assert!(
        staff
            .iter()
            .any(|s| s.login == t.sam
                && s.roles == [("Parking".to_owned(), "supervisor".to_owned())]),
        "{staff:?}"
    );
    assert_eq!(sam.services_list().await.unwrap()[0].role, Role::Supervisor);

    // Off the list: the login can no longer sign in at all.
    let admin = TeamAdmin::connect(&t.db.admin_url()).await.unwrap();
    admin.remove_staff(&t.ali).await.unwrap();
    admin.close().await;
    let gone = Core::open_team(
        t._dirs[0].path(),
        &t.db.url_as(&t.ali, PASSWORD),
        Arc::new(OsKeyStore::new(&t.app_id)),
    )
    .await;
    assert!(gone.is_err(), "a removed login signed in");
}

#[tokio::test]
async fn a_staff_login_cannot_rewrite_the_record_or_the_staff_list() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let pid = t
        .sim
        .web_payment(1000, "REF-1", false, Some("4444333322221111"))
        .await
        .unwrap();
    sam.refund(&t.service, &pid, 300, 1000, why())
        .await
        .unwrap();
    let as_sam = |sql: &str| t.db.psql_as(&t.sam, PASSWORD, sql);

    // What Sam might try with a database tool and his own login.
    let last = as_sam("SELECT max(seq) FROM audit_log").unwrap();
    assert!(last.parse::<i64>().unwrap() >= 2, "{last}");
    for (attempt, sql) in [
        ("change a row", "UPDATE audit_log SET amount = 1".to_owned()),
        ("remove a row", format!("DELETE FROM audit_log WHERE seq = {last}")),
        ("empty the record", "TRUNCATE audit_log".to_owned()),
        (
            "append under another name",
            format!(
                "INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase, detail, prev_hash, hash)
                 SELECT {last} + 1, 'now', 'Ali Khan', '', '', 'refund', 'succeeded', '', 'x{last}', 'y'"
            ),
        ),
        (
            "append as another login",
            format!(
                "INSERT INTO audit_log (seq, at, operator, service_id, service_name, action, phase, detail, prev_hash, hash, login)
                 SELECT {last} + 1, 'now', 'Sam Patel', '', '', 'refund', 'succeeded', '', 'x{last}', 'y', '{}'",
                t.ali
            ),
        ),
        ("make himself a supervisor", format!("UPDATE staff_roles SET role = 'supervisor' WHERE login = '{}'", t.sam)),
        ("rename himself", format!("UPDATE staff SET name = 'Ali Khan' WHERE login = '{}'", t.sam)),
        ("add a friend", "INSERT INTO staff (login, name, added_at) VALUES ('friend', 'Friend', 'now')".to_owned()),
        ("turn team mode off", "DELETE FROM team".to_owned()),
        ("add a service", "INSERT INTO services (id, name, base_url, environment, role, created_at) VALUES ('x', 'X', 'http://127.0.0.1:1', 'live', 'supervisor', 'now')".to_owned()),
    ] {
        let refused = as_sam(&sql);
        assert!(refused.is_err(), "Sam could {attempt}: {refused:?}");
    }
    // An audit row in his own name and login is what he may append (the
    // desktop does exactly that), and it is checked like any other.
    assert_eq!(
        as_sam(
            "SELECT count(*) FROM audit_log WHERE login = current_user AND operator <> 'Sam Patel'"
        )
        .unwrap(),
        "0"
    );
    assert_ne!(
        as_sam("SELECT count(*) FROM audit_log WHERE login = current_user").unwrap(),
        "0"
    );
    let verified = sam.audit_verify().await.unwrap();
    assert!(verified.intact, "{verified:?}");
    // The record still says who refunded, in Sam's name.
    let trail = trail_of(&sam, &pid).await;
    assert!(
        trail
            .iter()
            .any(|r| r.action == "refund" && r.operator == "Sam Patel"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn the_team_shares_one_record_one_cache_and_its_cases() {
    let mut t = team().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;
    let mut paid = Vec::new();
    for amount in [1000, 2000, 3000, 4000] {
        paid.push(
            t.sim
                .web_payment(amount, "REF-T", false, Some("4444333322221111"))
                .await
                .unwrap(),
        );
    }
    // One sync fills the cache for everybody.
    ali.sync_service(&t.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let seen_by_sam = sam
        .payments_search(&t.service, &PaymentQuery::default())
        .await
        .unwrap();
    assert_eq!(seen_by_sam.total, 4);

    // Both refund at once, from their own desktops: one chain, never forked.
    let (a, b) = tokio::join!(
        sam.refund(&t.service, &paid[0], 100, 1000, why()),
        ali.refund(&t.service, &paid[1], 200, 2000, why()),
    );
    a.unwrap();
    b.unwrap();
    sam.refund(&t.service, &paid[2], 300, 3000, why())
        .await
        .unwrap();

    // The supervisor sees the whole team's actions, each under its name, and
    // can pick one person's.
    let everyone = ali
        .activity_list(&t.service, &AuditQuery::default())
        .await
        .unwrap();
    let refunders = |rows: &[AuditRow]| {
        let mut names: Vec<String> = rows
            .iter()
            .filter(|r| r.action == "refund" && r.phase == Phase::Succeeded)
            .map(|r| r.operator.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(refunders(&everyone), ["Ali Khan", "Sam Patel", "Sam Patel"]);
    // "Who" offers each person of the team once, and the administrator who
    // added the service and gave the roles.
    assert_eq!(
        ali.activity_people(&t.service).await.unwrap(),
        [
            "Ali Khan",
            "Sam Patel",
            "Team administrator (paydesk_admin)"
        ]
    );
    let sams = ali
        .activity_list(
            &t.service,
            &AuditQuery {
                operator: Some("Sam Patel".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(refunders(&sams), ["Sam Patel", "Sam Patel"]);
    assert!(sams.iter().all(|r| r.operator == "Sam Patel"), "{sams:?}");
    // A case Sam opens, and his note, are Ali's to read.
    let case = sam
        .case_open(&t.service, "CASE-9", "Parking appeal")
        .await
        .unwrap();
    sam.case_add_payment(&case.id, &paid[3]).await.unwrap();
    sam.case_add_note(&case.id, "Citizen called about a refund")
        .await
        .unwrap();
    let shared = ali.case_get(&case.id).await.unwrap();
    assert_eq!(shared.payment_ids, [paid[3].clone()]);
    assert_eq!(shared.notes[0].author, "Sam Patel");

    // Each desktop checks the one chain end to end, rows of others included.
    for core in [&sam, &ali] {
        let v = core.audit_verify().await.unwrap();
        assert!(v.intact, "{v:?}");
    }

    // Rows cut from the end by someone with the owner's rights show on the
    // desktops that saw them.
    t.db.psql(
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
             DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
    )
    .unwrap();
    for core in [&sam, &ali] {
        let cut = core.audit_verify().await.unwrap();
        assert!(!cut.intact, "{cut:?}");
        assert!(cut.summary.contains("removed"), "{}", cut.summary);
    }
}

#[tokio::test]
async fn the_administrator_runs_the_team_from_the_paydesk_team_command() {
    let db = paydesk_testdb::server().database();
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let login = format!("kim_{tag}");
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_paydesk-team"))
            .args(args)
            .env("PAYDESK_TEAM_DATABASE", db.admin_url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, said, _) = run(&["set-up", "Call centre"], "");
    assert!(ok, "{said}");
    let (ok, said, err) = run(
        &["add-service", "Parking", "http://127.0.0.1:9", "test"],
        "",
    );
    assert!(ok, "{said}{err}");
    // A short password, a bad login, an unknown role: refused, naming the field.
    let (ok, _, err) = run(&["add-staff", &login, "Kim Lee"], "short\n");
    assert!(!ok && err.contains("password"), "{err}");
    let (ok, _, err) = run(
        &["add-staff", "Kim Lee", "Kim Lee"],
        "a long enough password\n",
    );
    assert!(!ok && err.contains("login"), "{err}");
    let (ok, said, err) = run(
        &["add-staff", &login, "Kim Lee"],
        "a long enough password\n",
    );
    assert!(ok, "{said}{err}");
    let (ok, _, err) = run(&["set-role", &login, "Parking", "boss"], "");
    assert!(!ok && err.contains("boss"), "{err}");
    let (ok, said, err) = run(&["set-role", &login, "Parking", "call_centre"], "");
    assert!(ok, "{said}{err}");
    let (ok, list, _) = run(&["list"], "");
    assert!(ok);
    assert!(
        list.contains(&format!("{login}\tKim Lee\tParking: call_centre")),
        "{list}"
    );
    // The password given works, and was never stored as itself.
    assert_eq!(
        db.psql_as(&login, "a long enough password", "SELECT current_user")
            .unwrap(),
        login
    );
    let stored = db
        .psql(&format!(
            "SELECT rolpassword FROM pg_authid WHERE rolname = '{login}'"
        ))
        .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    // The service's refund approval rules, checked as the Services page checks them.
    let (ok, _, err) = run(&["set-approvals", "Parking", "--above", "1,00"], "");
    assert!(!ok && err.contains("above"), "{err}");
    let (ok, _, err) = run(&["set-approvals", "Parking", "--sometimes"], "");
    assert!(!ok && err.contains("usage"), "{err}");
    let (ok, said, err) = run(
        &[
            "set-approvals",
            "Parking",
            "--above",
            "250",
            "--older-than-days",
            "30",
        ],
        "",
    );
    assert!(ok, "{said}{err}");
    assert!(
        said.contains("Refunds of more than £250.00")
            && said.contains("more than 30 days ago")
            && !said.contains("telephone"),
        "{said}"
    );
    assert_eq!(
        db.psql("SELECT above_pence || ' ' || older_than_days || ' ' || own_telephone || ' ' || set_by FROM approval_rules")
            .unwrap(),
        "25000 30 false Team administrator (paydesk_admin)"
    );
    // Every change is in the record, in the administrator's name.
    let actions = db
        .psql("SELECT string_agg(action, ',' ORDER BY seq) FROM audit_log WHERE operator LIKE 'Team administrator%'")
        .unwrap();
    assert_eq!(
        actions,
        "team_set_up,service_added,staff_added,staff_role,approval_rules"
    );
    let (ok, _, _) = run(&["remove-staff", &login], "");
    assert!(ok);
    assert!(
        db.psql_as(&login, "a long enough password", "SELECT 1")
            .is_err()
    );
}

#[tokio::test]
async fn one_desktop_syncs_a_service_for_the_team_and_a_telephone_payment_is_seen_by_all() {
    let mut t = team().await;
    let admin = TeamAdmin::connect(&t.db.admin_url()).await.unwrap();
    admin
        .set_role(&t.sam, "Parking", Role::CallCentre)
        .await
        .unwrap();
    admin.close().await;
    let sam = t.desktop(&t.sam.clone()).await;
    let ali = t.desktop(&t.ali.clone()).await;

    // Sam takes a payment by phone; Ali, taking the same one a minute later
    // for the same caller, is warned.
    let card = || MotoCard::new("4444333322221111", "12/39", "737", "Sam Citizen");
    let input = phone(2500, "TEL-TEAM");
    let started = sam.telephone_start(&t.service, &input).await.unwrap();
    let first = sam
        .telephone_authorise(&t.service, &started.payment_id, card(), false)
        .await
        .unwrap();
    assert_eq!(first.result, TelephoneResult::Taken);
    let again = ali.telephone_start(&t.service, &input).await.unwrap();
    let dups = ali
        .telephone_duplicates(&t.service, &again.payment_id, "1111")
        .await
        .unwrap();
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(dups[0].payment_id, started.payment_id);
    let refused = ali
        .telephone_authorise(&t.service, &again.payment_id, card(), false)
        .await;
    assert!(
        matches!(refused, Err(CoreError::Conflict { .. })),
        "{refused:?}"
    );

    // A slow sync by Sam: Ali's, meanwhile, is refused, not run twice.
    t.sim.control().set_faults(vec![Fault {
        route: "GET /v1/payments".into(),
        latency_ms: 1_500,
        ..Fault::default()
    }]);
    let service = t.service.clone();
    let sams = tokio::spawn({
        let sam = sam.clone();
        async move {
            sam.sync_service(&service, &SyncCancel::default(), &no_progress())
                .await
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.db.psql("SELECT count(*) FROM sync_claims").unwrap() != "1" {
        assert!(
            Instant::now() < deadline,
            "Sam's sync never claimed the service"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let alis = ali
        .sync_service(&t.service, &SyncCancel::default(), &no_progress())
        .await;
    assert!(
        matches!(&alis, Err(CoreError::Conflict { message, .. }) if message.contains("Another desktop")),
        "{alis:?}"
    );
    sams.await.unwrap().unwrap();
    t.sim.control().clear_faults();
    assert_eq!(
        t.db.psql("SELECT count(*) FROM sync_claims").unwrap(),
        "0",
        "let go at the end"
    );

    // A claim left by a desktop that stopped lapses; then Ali's sync runs.
    t.db.psql(&format!(
        "INSERT INTO sync_claims (service_id, holder, until_ms) VALUES ('{}', 'gone', server_now_ms() + 60000)",
        t.service
    ))
    .unwrap();
    assert!(
        ali.sync_service(&t.service, &SyncCancel::default(), &no_progress())
            .await
            .is_err()
    );
    t.db.psql("UPDATE sync_claims SET until_ms = server_now_ms() - 1")
        .unwrap();
    ali.sync_service(&t.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let seen = sam
        .payments_search(&t.service, &PaymentQuery::default())
        .await
        .unwrap();
    assert!(seen.rows.iter().any(|r| r.payment_id == started.payment_id));
}

/// Teams share a server: several set up at once (the group role all of
/// them use is made once, whoever comes first).
#[tokio::test]
async fn several_team_databases_are_set_up_at_once_on_one_server() {
    let dbs: Vec<_> = (0..6)
        .map(|_| paydesk_testdb::server().database())
        .collect();
    let set_up = dbs.iter().map(|db| async move {
        let admin = TeamAdmin::connect(&db.admin_url()).await?;
        admin.set_up_team("A team").await?;
        admin.close().await;
        Ok::<(), CoreError>(())
    });
    for done in futures_util::future::join_all(set_up).await {
        done.unwrap();
    }
}
