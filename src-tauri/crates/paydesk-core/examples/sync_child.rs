//! Runs one sync of one service and exits: the crash-resume test kills it with
//! SIGKILL part-way through. Arguments come from the environment:
//! PAYDESK_TEST_DATA, PAYDESK_TEST_APP_ID, PAYDESK_TEST_SERVICE, and optionally
//! PAYDESK_TEST_BULK_FROM (see `Core::set_bulk_load_from`) and
//! PAYDESK_TEST_DATABASE (a team database to open instead of the data folder's file).
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use paydesk_core::sync::SyncCancel;
use paydesk_core::{Core, OsKeyStore};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let data = var("PAYDESK_TEST_DATA");
    let keys = Arc::new(OsKeyStore::new(var("PAYDESK_TEST_APP_ID")));
    let core = match std::env::var("PAYDESK_TEST_DATABASE") {
        Ok(url) => Core::open_team(std::path::Path::new(&data), &url, keys).await,
        Err(_) => Core::open(std::path::Path::new(&data), keys).await,
    }
    .expect("the core opens");
    if let Some(n) = std::env::var("PAYDESK_TEST_BULK_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        core.set_bulk_load_from(n);
    }
    let report = core
        .sync_service(&var("PAYDESK_TEST_SERVICE"), &SyncCancel::default(), &|p| {
            println!("page {} items {}", p.pages, p.items)
        })
        .await
        .expect("the sync runs");
    println!("done {report:?}");
}
