use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_govpay-sim");

#[test]
fn help_says_how_to_set_keys_and_account_settings() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--api-key KEY",
        "--account SPEC",
        "provider=P",
        "moto=BOOL",
        "recurring=BOOL",
        "zero=BOOL",
        "live=BOOL",
        "--payments N",
    ] {
        assert!(help.contains(needle), "--help does not mention {needle}");
    }
    let bad = Command::new(BIN)
        .arg("--account")
        .arg("provider=paypal")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("provider must be sandbox or stripe"));
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_seeded_accounts() {
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--payments",
            "50",
            "--account",
            "key=api_test_one,provider=stripe",
            "--account",
            "key=api_test_two,moto=false",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("govpay-sim listening on ")
        .unwrap()
        .to_owned();
    let accounts: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    assert!(
        accounts[0].contains("provider stripe") && accounts[0].contains("api_test_one"),
        "{accounts:?}"
    );
    assert!(accounts[1].contains("moto false"), "{accounts:?}");
    govpay::install_crypto_provider();
    let page: Value = reqwest::Client::new()
        .get(format!("{base}/v1/payments?display_size=1"))
        .bearer_auth("api_test_two")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 50);
    child.kill().unwrap();
    child.wait().unwrap();
}
