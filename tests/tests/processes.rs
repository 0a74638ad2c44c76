//! Paydesk as separate processes on one data folder, as two windows (or a
//! window and a crash) would be: refunds at once from two processes, and a
//! process killed between sending a refund and writing its outcome.
//! The second process is `second_desktop` (see `src/bin`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use govpay_sim::{Fault, SimConfig, Simulator};
use paydesk_core::activity::audit::{AuditQuery, Phase};
use paydesk_core::money::reason::RefundWhy;
use paydesk_core::{ClientOptions, Core, CoreError, Role};
use paydesk_e2e::{APP_ID, prepared, sim_payment};

const CARD: &str = "4444333322221111";
const ROUNDS: usize = 10;

struct SecondDesktop {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl SecondDesktop {
    fn start(dir: &std::path::Path, timeout_ms: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_second_desktop"))
            .arg(dir)
            .arg(APP_ID)
            .arg(timeout_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the second desktop starts");
        let stdin = child.stdin.take().expect("its input");
        let mut stdout = BufReader::new(child.stdout.take().expect("its output"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("it answers");
        assert_eq!(line.trim(), "ready");
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("the command is sent");
        self.stdin.flush().expect("the command is sent");
    }

    /// The answers to one batch, read on a thread (the caller's runtime goes on).
    fn answers(mut self) -> std::thread::JoinHandle<(Self, Vec<String>)> {
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            loop {
                let mut line = String::new();
                let read = self.stdout.read_line(&mut line).expect("it answers");
                if read == 0 || line.trim() == "done" {
                    break;
                }
                answers.push(line.trim().to_owned());
            }
            (self, answers)
        })
    }
}

impl Drop for SecondDesktop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one refund's answer counts as: made, or refused / not sent (fine);
/// anything else is a false error.
fn tally(answer: &str, made: &mut usize, round: usize) {
    match answer {
        "made" => *made += 1,
        "refused" => {}
        // Another refund of the payment was on its way: nothing was sent.
        a if a.starts_with("unknown An earlier refund") => {}
        other => panic!("round {round}: a false error: {other}"),
    }
}

fn core_answer(result: Result<paydesk_core::money::RefundDone, CoreError>) -> String {
    match result {
        Ok(done) if done.reconciled => "reconciled".into(),
        Ok(_) => "made".into(),
        Err(CoreError::Conflict { .. }) => "refused".into(),
        Err(CoreError::OutcomeUnknown(m)) => format!("unknown {m}"),
        Err(e) => format!("error {e:?}"),
    }
}

async fn refunds_at_once(core: &Core, service: &str, pid: &str, n: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (core, service, pid) = (core.clone(), service.to_owned(), pid.to_owned());
        tasks.spawn(async move {
            let why = RefundWhy::parse("duplicate_payment", "").expect("a valid reason");
            core.refund(&service, &pid, 100, 1000, &why).await
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        answers.push(core_answer(joined.expect("the task runs")));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_refunds_at_once_make_one_per_round_in_one_process_and_across_two() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (dir, core, service) = prepared(&sim, "Parking", Role::Caseworker, "Sam Tester").await;
    core.set_client_options(ClientOptions {
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    });

    // One process: eight at once.
    for round in 0..ROUNDS {
        let pid = sim_payment(&sim, 1000, &format!("ONE-{round}"), false, Some(CARD)).await;
        let mut made = 0;
        for a in refunds_at_once(&core, &service, &pid, 8).await {
            tally(&a, &mut made, round);
        }
        assert_eq!(made, 1, "round {round}");
        assert_eq!(
            sim.control().payment(&pid).unwrap().refunds,
            1,
            "round {round}"
        );
    }

    // Two processes on the one folder: four at once in each.
    let mut other = SecondDesktop::start(dir.path(), 5_000);
    for round in 0..ROUNDS {
        let pid = sim_payment(&sim, 1000, &format!("TWO-{round}"), false, Some(CARD)).await;
        other.send(&format!("refund {service} {pid} 100 1000 4"));
        let theirs = other.answers();
        let ours = refunds_at_once(&core, &service, &pid, 4).await;
        let (back, theirs) = theirs.join().expect("the answers are read");
        other = back;
        assert_eq!(theirs.len(), 4, "round {round}: {theirs:?}");
        let mut made = 0;
        for a in ours.iter().chain(&theirs) {
            tally(a, &mut made, round);
        }
        assert_eq!(made, 1, "round {round}: ours {ours:?}, theirs {theirs:?}");
        assert_eq!(
            sim.control().payment(&pid).unwrap().refunds,
            1,
            "round {round}"
        );
    }
    drop(other);
    let check = core.audit_verify().await.unwrap();
    assert!(check.intact, "{check:?}");
}

/// The record's phases for one payment, oldest first.
async fn trail(core: &Core, pid: &str) -> Vec<Phase> {
    core.store()
        .audit_list(&AuditQuery {
            payment_id: Some(pid.to_owned()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|r| r.phase)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_killed_between_the_refund_and_its_outcome_is_resolved_on_the_next_start() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (dir, core, service) = prepared(&sim, "Parking", Role::Caseworker, "Sam Tester").await;
    core.close().await;
    drop(core);
    let pid = sim_payment(&sim, 1000, "KILLED", false, Some(CARD)).await;
    // GOV.UK Pay makes the refund and its answer never comes.
    sim.control().set_faults(vec![Fault {
        route: "POST /v1/payments/{payment_id}/refunds".into(),
        hang_after_commit: 1,
        ..Fault::default()
    }]);
    let mut desk = SecondDesktop::start(dir.path(), 60_000);
    desk.send(&format!("refund {service} {pid} 300 1000 1"));
    // Wait until the refund is made and only its attempt is on the record...
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.control().payment(&pid).unwrap().refunds == 0 {
        assert!(Instant::now() < deadline, "the refund was never made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...then kill the process (SIGKILL: nothing of it runs afterwards).
    desk.child.kill().expect("killed");
    desk.child.wait().expect("gone");
    sim.control().clear_faults();

    // The next start.
    let again = Core::open(
        dir.path(),
        std::sync::Arc::new(paydesk_core::OsKeyStore::new(APP_ID)),
    )
    .await
    .unwrap();
    assert_eq!(trail(&again, &pid).await, [Phase::Attempt], "cut short");
    assert_eq!(again.unresolved_refund_count(&service).await.unwrap(), 1);
    let report = again.mop_up(&service).await.unwrap();
    assert_eq!(report.outcomes_reconciled, 1, "{report:?}");
    assert_eq!(
        trail(&again, &pid).await,
        [Phase::Attempt, Phase::Reconciled]
    );
    assert_eq!(again.unresolved_refund_count(&service).await.unwrap(), 0);
    assert_eq!(
        sim.control().payment(&pid).unwrap().refunds,
        1,
        "never sent again"
    );
    assert!(again.audit_verify().await.unwrap().intact);
}
