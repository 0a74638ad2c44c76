//! `govpay-sim`: run the GOV.UK Pay simulator on 127.0.0.1.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use govpay_sim::{Account, SimConfig, Simulator};

const HELP: &str = "\
govpay-sim: a simulator of the GOV.UK Pay public API, on 127.0.0.1

USAGE:
    govpay-sim [--port N] [--seed S] [--api-key KEY]

OPTIONS:
    --port N        port to listen on (default 0: any free port)
    --seed S        seed for ids, so runs are repeatable (default 1)
    --api-key KEY   the Bearer key of the default sandbox account
                    (default api_test_sandbox_key)
    -h, --help      print this help

It prints its base URL and accounts when it starts, and runs until stopped.
";

fn parse_args() -> Result<SimConfig, String> {
    let mut config = SimConfig::default();
    let mut key = None;
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
            "--api-key" => key = Some(value("--api-key")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if let Some(key) = key {
        config.accounts = vec![Account::sandbox(key)];
    }
    Ok(config)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let config = match parse_args() {
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
            "  account {} \"{}\": provider {}, {}, key {}",
            a.id,
            a.name,
            a.provider.as_str(),
            if a.live { "live" } else { "test" },
            a.api_key
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
