//! `paydesk-team`: the team administrator's command for a team's PostgreSQL
//! database. Run it as the database's owner; each change is audited.
//!
//!   paydesk-team [--database URL] set-up TEAM
//!   paydesk-team [--database URL] add-service NAME BASE_URL test|live
//!   paydesk-team [--database URL] add-staff LOGIN NAME   (password: first line of standard input)
//!   paydesk-team [--database URL] set-role LOGIN SERVICE caseworker|call_centre|supervisor
//!   paydesk-team [--database URL] set-approvals SERVICE [--above POUNDS] [--older-than-days N] [--own-telephone]
//!   paydesk-team [--database URL] remove-staff LOGIN
//!   paydesk-team [--database URL] list
//!
//! The address is `--database` or PAYDESK_TEAM_DATABASE, as
//! postgres://LOGIN@HOST:PORT/DATABASE; keep the password in ~/.pgpass (or
//! PGPASSWORD), never on the command line.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use paydesk_core::CoreError;
use paydesk_core::approvals::ApprovalRulesInput;
use paydesk_core::roles::Role;
use paydesk_core::services::Environment;
use paydesk_core::team::TeamAdmin;

const USAGE: &str = "usage: paydesk-team [--database URL] set-up TEAM | add-service NAME BASE_URL test|live | add-staff LOGIN NAME | set-role LOGIN SERVICE ROLE | set-approvals SERVICE [--above POUNDS] [--older-than-days N] [--own-telephone] | remove-staff LOGIN | list";

/// The approval rules of `set-approvals`: none given, none set.
fn approval_rules(flags: &[&str]) -> Option<ApprovalRulesInput> {
    let mut rules = ApprovalRulesInput::default();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match *flag {
            "--above" => rules.above = (*flags.next()?).to_owned(),
            "--older-than-days" => rules.older_than_days = (*flags.next()?).to_owned(),
            "--own-telephone" => rules.own_telephone = true,
            _ => return None,
        }
    }
    Some(rules)
}

fn explain(e: &CoreError) -> String {
    match e {
        CoreError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Read as given (an argument that is not UTF-8 is not a panic).
    let mut args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut url = std::env::var("PAYDESK_TEAM_DATABASE").ok();
    if args.first().map(String::as_str) == Some("--database") && args.len() >= 2 {
        url = Some(args[1].clone());
        args.drain(..2);
    }
    let Some(url) = url else {
        eprintln!(
            "paydesk-team: give the team database's address (--database or PAYDESK_TEAM_DATABASE)\n{USAGE}"
        );
        return ExitCode::from(2);
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let admin = match TeamAdmin::connect(&url).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("paydesk-team: {}", explain(&e));
            return ExitCode::FAILURE;
        }
    };
    let done = match args.as_slice() {
        ["set-up", team] => admin
            .set_up_team(team)
            .await
            .map(|()| format!("Team {team} is set up")),
        ["add-service", name, base_url, environment] => {
            let environment = match *environment {
                "test" => Environment::Test,
                "live" => Environment::Live,
                _ => {
                    eprintln!("paydesk-team: the environment is test or live");
                    return ExitCode::from(2);
                }
            };
            admin
                .add_service(name, base_url, environment)
                .await
                .map(|id| format!("Service {name} added ({id})"))
        }
        ["add-staff", login, name] => {
            let mut password = String::new();
            if std::io::stdin().read_line(&mut password).is_err() {
                eprintln!("paydesk-team: give the password on standard input");
                return ExitCode::from(2);
            }
            let password = password.trim_end_matches(['\r', '\n']);
            admin
                .add_staff(login, name, password)
                .await
                .map(|()| format!("{name} ({login}) is on the staff list"))
        }
        ["set-role", login, service, role] => match role.parse::<Role>() {
            Ok(role) => admin
                .set_role(login, service, role)
                .await
                .map(|()| format!("{login} is now {} on {service}", role.label())),
            Err(e) => {
                eprintln!("paydesk-team: {e}");
                return ExitCode::from(2);
            }
        },
        ["set-approvals", service, flags @ ..] => match approval_rules(flags) {
            Some(rules) => admin
                .set_approval_rules(service, &rules)
                .await
                .map(|summary| {
                    if summary.is_empty() {
                        format!("No refund on {service} needs approval")
                    } else {
                        format!(
                            "Refunds on {service} needing approval:\n{}",
                            summary.join("\n")
                        )
                    }
                }),
            None => {
                eprintln!("{USAGE}");
                admin.close().await;
                return ExitCode::from(2);
            }
        },
        ["remove-staff", login] => admin
            .remove_staff(login)
            .await
            .map(|()| format!("{login} is off the staff list")),
        ["list"] => admin.staff().await.map(|staff| {
            staff
                .iter()
                .map(|s| {
                    let roles: Vec<String> = s
                        .roles
                        .iter()
                        .map(|(svc, role)| format!("{svc}: {role}"))
                        .collect();
                    format!("{}\t{}\t{}", s.login, s.name, roles.join(", "))
                })
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _ => {
            eprintln!("{USAGE}");
            admin.close().await;
            return ExitCode::from(2);
        }
    };
    admin.close().await;
    match done {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("paydesk-team: {}", explain(&e));
            ExitCode::FAILURE
        }
    }
}
