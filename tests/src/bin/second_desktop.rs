//! A second Paydesk desktop without a window, for tests across processes:
//! it opens the core on a data folder another process is using and refunds
//! when told to on standard input, one answer per line on standard output.
//!
//! ```text
//! second_desktop <data-folder> <keyring-app-id> <timeout-ms>
//! refund <service-id> <payment-id> <amount> <available> <how-many-at-once>
//! ```
//!
//! Each refund prints `made`, `reconciled`, `refused`, `unknown` or
//! `error <what>`; a batch ends with `done`. Only for tests: it talks to
//! whatever address the service holds (the simulator on 127.0.0.1).

// Standard output is this program's answer to the test that runs it.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use paydesk_core::{ClientOptions, Core, CoreError, OsKeyStore};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, app_id, timeout_ms] = args.as_slice() else {
        eprintln!("usage: second_desktop <data-folder> <keyring-app-id> <timeout-ms>");
        std::process::exit(2);
    };
    let timeout = Duration::from_millis(timeout_ms.parse().unwrap_or(5_000));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime");
    let core = rt
        .block_on(Core::open(
            std::path::Path::new(dir),
            Arc::new(OsKeyStore::new(app_id.as_str())),
        ))
        .expect("the data folder opens");
    core.set_client_options(ClientOptions {
        timeout,
        ..ClientOptions::default()
    });
    println!("ready");
    let _ = std::io::stdout().flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["refund", service, payment, amount, available, count] => {
                let (amount, available, count) = (
                    amount.parse::<i64>().unwrap_or(0),
                    available.parse::<i64>().unwrap_or(0),
                    count.parse::<usize>().unwrap_or(1),
                );
                let answers = rt.block_on(async {
                    let mut tasks = tokio::task::JoinSet::new();
                    for _ in 0..count {
                        let (core, service, payment) =
                            (core.clone(), service.to_string(), payment.to_string());
                        tasks.spawn(async move {
                            let why = paydesk_core::money::reason::RefundWhy::parse(
                                "duplicate_payment",
                                "from the second desktop",
                            )
                            .expect("a valid reason");
                            core.refund(&service, &payment, amount, available, &why)
                                .await
                        });
                    }
                    let mut answers = Vec::new();
                    while let Some(joined) = tasks.join_next().await {
                        answers.push(match joined {
                            Ok(Ok(done)) if done.reconciled => "reconciled".to_owned(),
                            Ok(Ok(_)) => "made".to_owned(),
                            Ok(Err(CoreError::Conflict { .. })) => "refused".to_owned(),
                            Ok(Err(CoreError::OutcomeUnknown(m))) => format!("unknown {m}"),
                            Ok(Err(e)) => format!("error {e:?}"),
                            Err(e) => format!("error the task failed: {e}"),
                        });
                    }
                    answers
                });
                let mut out = std::io::stdout().lock();
                for a in answers {
                    let _ = writeln!(out, "{a}");
                }
                let _ = writeln!(out, "done");
                let _ = out.flush();
            }
            ["quit"] => break,
            _ => {
                println!("error unknown command");
                let _ = std::io::stdout().flush();
            }
        }
    }
}
