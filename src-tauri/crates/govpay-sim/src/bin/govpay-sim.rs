//! `govpay-sim`: run the GOV.UK Pay simulator on 127.0.0.1.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::Duration;

use govpay_sim::{Account, PaymentProvider, SeedSpec, SimConfig, Simulator};

const HELP: &str = "\
govpay-sim: a stateful simulator of the GOV.UK Pay public API, on 127.0.0.1

USAGE:
    govpay-sim [OPTIONS]

OPTIONS:
    --port N            port to listen on (default 0: any free port)
    --seed S            seed for the generated history, ids and tokens (default 1)
    --payments N        payments of history to generate for each account (default 0)
    --days D            how far back that history reaches, in days (default 730)
    --api-key KEY       the Bearer key of the default sandbox account
                        (default api_test_sandbox_key)
    --account SPEC      add an account (repeatable); replaces the default account.
                        SPEC is comma-separated key=value settings:
                          key=KEY            its API key (required)
                          name=NAME          a name (default \"Service N\")
                          provider=P         sandbox | stripe (default sandbox)
                          moto=BOOL          MOTO API payments allowed (default true)
                          recurring=BOOL     recurring payments allowed (default true)
                          zero=BOOL          zero-amount payments allowed (default false)
                          live=BOOL          a live account (default false)
                          disabled=BOOL      payments and refunds switched off (default false)
                        e.g. --account key=api_test_stripe,provider=stripe,moto=false
    --lag-ms MS         search endpoints lag writes by MS milliseconds (default 0)
    --no-rate-limit     do not enforce GOV.UK Pay's per-second limits
    -h, --help          print this help

Controls for tests and demos are under /_sim/ (see the crate's documentation).
It prints its base URL and accounts when it starts, and runs until stopped.
";

fn parse_bool(v: &str) -> Result<bool, String> {
    match v {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    }
}

fn parse_account(spec: &str, id: u32) -> Result<Account, String> {
    let mut account = Account::sandbox("");
    account.id = id;
    account.name = format!("Service {id}");
    for pair in spec.split(',') {
        let (k, v) = pair
            .split_once('=')
            .ok_or(format!("--account: {pair:?} is not key=value"))?;
        match k {
            "key" => account.api_key = v.to_owned(),
            "name" => account.name = v.to_owned(),
            "provider" => {
                account.provider = match v {
                    "sandbox" => PaymentProvider::Sandbox,
                    "stripe" => PaymentProvider::Stripe,
                    _ => {
                        return Err(format!(
                            "--account: provider must be sandbox or stripe, not {v:?}"
                        ));
                    }
                }
            }
            "moto" => account.moto_api_enabled = parse_bool(v)?,
            "recurring" => account.recurring_enabled = parse_bool(v)?,
            "zero" => account.allow_zero_amount = parse_bool(v)?,
            "live" => account.live = parse_bool(v)?,
            "disabled" => account.disabled = parse_bool(v)?,
            other => return Err(format!("--account: unknown setting {other:?}")),
        }
    }
    if account.api_key.is_empty() {
        return Err("--account needs key=KEY".into());
    }
    Ok(account)
}

fn parse_args() -> Result<(SimConfig, usize, i64), String> {
    let mut config = SimConfig::default();
    let mut key = None;
    let mut accounts = Vec::new();
    let (mut payments, mut days) = (0usize, 730i64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535")?
            }
            "--seed" => {
                config.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed must be a whole number")?
            }
            "--payments" => {
                payments = value("--payments")?
                    .parse()
                    .map_err(|_| "--payments must be a whole number")?
            }
            "--days" => {
                days = value("--days")?
                    .parse()
                    .map_err(|_| "--days must be a whole number")?
            }
            "--api-key" => key = Some(value("--api-key")?),
            "--account" => {
                let id = accounts.len() as u32 + 1;
                accounts.push(parse_account(&value("--account")?, id)?);
            }
            "--lag-ms" => {
                let ms: u64 = value("--lag-ms")?
                    .parse()
                    .map_err(|_| "--lag-ms must be a whole number")?;
                config.consistency_lag = Duration::from_millis(ms);
            }
            "--no-rate-limit" => config.rate_limits = None,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !accounts.is_empty() {
        config.accounts = accounts;
    } else if let Some(key) = key {
        config.accounts = vec![Account::sandbox(key)];
    }
    Ok((config, payments, days))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let (mut config, payments, days) = match parse_args() {
        Ok(c) => c,
        Err(msg) if msg.is_empty() => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("govpay-sim: {msg}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    if payments > 0 {
        config.seeds = config
            .accounts
            .iter()
            .map(|a| SeedSpec {
                account: a.id,
                payments,
                seed: config.seed + u64::from(a.id),
                days,
            })
            .collect();
    }
    let sim = match Simulator::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("govpay-sim: could not listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("govpay-sim listening on {}", sim.base_url());
    for a in sim.accounts() {
        println!(
            "  account {} \"{}\": provider {}, {}, moto {}, recurring {}, key {}",
            a.id,
            a.name,
            a.provider.as_str(),
            if a.live { "live" } else { "test" },
            a.moto_api_enabled,
            a.recurring_enabled,
            a.api_key
        );
    }
    println!("  {} payments of history", sim.payment_count());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
