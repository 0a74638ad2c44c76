//! A real PostgreSQL server for tests, as the team database would be.
//!
//! [`server`] starts one per test process, the first time a test asks: the
//! Debian packages' `initdb` and `pg_ctl` make a cluster in a fresh folder
//! under `/tmp` and start it on a free port of 127.0.0.1, with a random
//! password for its administrator. PostgreSQL refuses to run as root, so
//! when the tests run as root the server runs as `nobody`.
//!
//! The server is stopped, and its folder removed, when the test process
//! ends however it ends: a small shell script owns it and waits on a pipe
//! from this process, and the pipe closes when this process is gone (even
//! killed). Each test takes a database of its own with [`Server::database`].

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

/// The login that owns the cluster: the team database's administrator.
pub const ADMIN: &str = "paydesk_admin";

/// How long a server may take to start before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The user and group `nobody`, who runs the server when the tests are root.
const NOBODY: u32 = 65534;

/// Runs the server until its standard input closes. Arguments come in the
/// environment: the programs' folder, the port, the administrator's password.
const SCRIPT: &str = r#"
set -eu
dir=$(mktemp -d /tmp/paydesk-pg.XXXXXX)
stop() {
  "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 1' HUP INT TERM
umask 077
printf '%s' "$PG_PASSWORD" > "$dir/password"
if ! "$PG_BIN/initdb" -D "$dir/data" -U paydesk_admin --pwfile="$dir/password" \
     --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --lc-collate=C >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
rm -f "$dir/password"
if ! "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null 2>&1; then
  cat "$dir/server.log" >&2 || true
  exit 1
fi
echo "ready $dir"
cat >/dev/null || true
"#;

/// A running server: reach it on 127.0.0.1 at `port` as [`ADMIN`].
pub struct Server {
    port: u16,
    password: String,
    folder: PathBuf,
    bin: PathBuf,
    pid: u32,
    /// Kept open for the life of the process: its end stops the server.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("port", &self.port)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// A database of its own for one test, on the shared server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub name: String,
    pub port: u16,
    password: String,
}

impl Database {
    /// A connection URL for the administrator.
    pub fn admin_url(&self) -> String {
        self.url_as(ADMIN, &self.password)
    }

    /// A connection URL for another login.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{}@127.0.0.1:{}/{}",
            percent_encode(password),
            self.port,
            self.name
        )
    }

    /// The administrator's password.
    pub fn admin_password(&self) -> &str {
        &self.password
    }

    /// Runs `sql` with `psql` as `user`, as someone with that login and a
    /// database tool would: the rows it printed (unaligned, one per line),
    /// or PostgreSQL's error.
    pub fn psql_as(&self, user: &str, password: &str, sql: &str) -> Result<String, String> {
        let output = Command::new(server().programs().join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", user])
            .args([
                "-d",
                &self.name,
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .env("PGPASSWORD", password)
            .env("PGCONNECT_TIMEOUT", "30")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("psql could not run: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    /// `psql_as` for the administrator.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        self.psql_as(ADMIN, &self.password, sql)
    }
}

/// The server of this test process, started the first time it is asked for.
///
/// # Panics
/// When PostgreSQL's programs are missing or the server does not start:
/// the message says why (and `make test` installs the packages).
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut last = String::new();
        // A free port can be taken by someone else before the server binds it.
        for _ in 0..5 {
            match Server::start() {
                Ok(server) => return server,
                Err(e) => last = e,
            }
        }
        panic!("the test PostgreSQL server did not start: {last}")
    })
}

impl Server {
    fn start() -> Result<Self, String> {
        let bin = programs()?;
        let port = free_port()?;
        let password = random_hex(24)?;
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(SCRIPT)
            .env("PG_BIN", &bin)
            .env("PG_PORT", port.to_string())
            .env("PG_PASSWORD", &password)
            .env("TMPDIR", "/tmp")
            .env("LC_ALL", "C.UTF-8")
            .current_dir("/tmp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if is_root() {
            use std::os::unix::process::CommandExt;
            command.uid(NOBODY).gid(NOBODY).env("HOME", "/tmp");
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not run the start script: {e}"))?;
        let stdin = child.stdin.take().ok_or("no pipe to the start script")?;
        let stdout = child.stdout.take().ok_or("no pipe from the start script")?;
        let mut stderr = child.stderr.take().ok_or("no pipe from the start script")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let Some(folder) = line.trim().strip_prefix("ready ") else {
            let _ = child.kill();
            let _ = child.wait();
            let mut why = String::new();
            let _ = stderr.read_to_string(&mut why);
            return Err(format!("port {port}: {}", why.trim()));
        };
        let folder = PathBuf::from(folder);
        let pid = postmaster_pid(&folder)?;
        Ok(Self {
            port,
            password,
            folder,
            bin,
            pid,
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder the cluster lives in (removed when the tests end).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The folder of PostgreSQL's programs (`psql`, `createdb`...).
    pub fn programs(&self) -> &Path {
        &self.bin
    }

    /// The server process's ID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A new, empty database for one test.
    ///
    /// # Panics
    /// When the server does not make it; the message is PostgreSQL's.
    pub fn database(&self) -> Database {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let output = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ADMIN])
            .arg(&name)
            .env("PGPASSWORD", &self.password)
            .env("PGCONNECT_TIMEOUT", "30")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("createdb could not run: {e}"));
        assert!(
            output.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Database {
            name,
            port: self.port,
            password: self.password.clone(),
        }
    }
}

/// The folder of PostgreSQL's server programs: `PAYDESK_PG_BIN`, or the
/// newest under Debian's `/usr/lib/postgresql`.
fn programs() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PAYDESK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "PostgreSQL is not installed (no /usr/lib/postgresql): install Debian's \
             postgresql-15 package, or set PAYDESK_PG_BIN to its programs' folder"
                .to_owned()
        })?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_owned())
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("no randomness for a password: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn postmaster_pid(folder: &Path) -> Result<u32, String> {
    let text = std::fs::read_to_string(folder.join("data/postmaster.pid"))
        .map_err(|e| format!("the server wrote no postmaster.pid: {e}"))?;
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| "postmaster.pid has no process ID".to_owned())
}

/// Escapes what a URL's password may not hold as it is.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
