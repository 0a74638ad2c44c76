//! The test server is real, unprivileged, on 127.0.0.1, and gone when the
//! process that started it is.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn psql(db: &paydesk_testdb::Database, sql: &str) -> String {
    let out = Command::new(paydesk_testdb::server().programs().join("psql"))
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .arg(db.admin_url())
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The user ID a process runs as, from /proc.
fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn each_test_gets_its_own_database_on_a_local_unprivileged_server() {
    let server = paydesk_testdb::server();
    let a = server.database();
    let b = server.database();
    assert_ne!(a.name, b.name);
    assert_eq!(
        psql(&a, "SELECT current_user || ' ' || current_database()"),
        format!("paydesk_admin {}", a.name)
    );
    assert_eq!(psql(&a, "SHOW listen_addresses"), "127.0.0.1");
    // pg_trgm is there for the team database's searches.
    psql(&a, "CREATE EXTENSION pg_trgm");
    assert_eq!(
        psql(&a, "SELECT similarity('PRK-0019992', 'PRK-0019992')"),
        "1"
    );
    // A table made in one database is not in the other.
    psql(&a, "CREATE TABLE only_here (x int)");
    assert_eq!(
        psql(
            &b,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'"
        ),
        "0"
    );
    assert_ne!(
        uid_of(server.pid()),
        Some(0),
        "PostgreSQL does not run as root"
    );
    assert!(
        uid_of(server.pid()).is_some(),
        "the server's process is running"
    );
}

#[test]
fn the_server_goes_when_its_test_process_is_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paydesk-testdb"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server holder starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut field = |name: &str| -> String {
        let line = lines.next().expect("a line").expect("readable");
        line.strip_prefix(&format!("{name} "))
            .unwrap_or_else(|| panic!("{name}: {line}"))
            .to_owned()
    };
    let _url = field("url");
    let pid: u32 = field("pid").parse().unwrap();
    let folder = std::path::PathBuf::from(field("folder"));
    assert!(uid_of(pid).is_some(), "the server runs");
    assert!(folder.exists());

    child.kill().expect("killed");
    child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    while (uid_of(pid).is_some() || folder.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(uid_of(pid).is_none(), "the server stopped");
    assert!(!folder.exists(), "its folder is removed");
}
