//! A throwaway PostgreSQL server, as the tests get one: prints the
//! administrator's URL of a fresh database and the server's process ID,
//! then keeps the server until its standard input closes (Ctrl-D, or the
//! process that started it goes away). For trying team mode by hand, and
//! for the test that checks the server does not outlive its tests.

use std::io::{Read, Write};

fn main() {
    let server = paydesk_testdb::server();
    let db = server.database();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "url {}", db.admin_url());
    let _ = writeln!(out, "pid {}", server.pid());
    let _ = writeln!(out, "folder {}", server.folder().display());
    let _ = out.flush();
    drop(out);
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}
