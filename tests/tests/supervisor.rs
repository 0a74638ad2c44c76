//! The supervisor's screens in the real window: disputes by urgency, and the
//! activity record with its integrity check, against a simulator this test runs.

use govpay_sim::{Account, PaymentProvider, SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_e2e::{App, prepared, sim_payment};

async fn payment(sim: &Simulator, amount: i64, reference: &str, complete: bool) -> String {
    sim_payment(
        sim,
        amount,
        reference,
        false,
        complete.then_some("4444333322221111"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_sees_urgent_disputes_first_and_a_tampered_record() {
    let mut account = Account::sandbox("api_test_supervisor_e2e");
    account.provider = PaymentProvider::Stripe;
    let sim = Simulator::start(SimConfig {
        accounts: vec![account],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // Four disputes: due in 10 days, tomorrow, in 5 days, and one already won.
    let mut ids = Vec::new();
    for (reference, days) in [
        ("CT-LATER", 10),
        ("CT-TOMORROW", 1),
        ("CT-FIVE", 5),
        ("CT-WON", 2),
    ] {
        let pid = payment(&sim, 12_000, reference, true).await;
        let did = sim
            .control()
            .raise_dispute(&pid, "fraudulent", days)
            .unwrap();
        ids.push((reference, pid, did));
    }
    sim.control().resolve_dispute(&ids[3].2, "won").unwrap();

    // The supervisor's desktop has refunded one payment and cancelled another.
    let (dir, core, service) =
        prepared(&sim, "Council tax", Role::Supervisor, "Pat Supervisor").await;
    let refunded = payment(&sim, 5_000, "CT-REFUND", true).await;
    core.refund(&service, &refunded, 1_500, 5_000)
        .await
        .unwrap();
    let cancelled = payment(&sim, 7_000, "CT-CANCEL", false).await;
    core.cancel(&service, &cancelled).await.unwrap();
    core.pool().close().await;

    let app = App::launch_in(dir).await;
    app.click("a[data-nav=disputes]").await;
    app.wait_for_text("main h1", "Disputes").await;
    app.wait_for_text("[data-testid=dispute-count]", "4 disputes")
        .await;
    app.wait_for_text("[data-testid=dispute-count]", "2 due within 7 days")
        .await;
    let order = app
        .js("return Array.from(document.querySelectorAll('[data-testid=disputes] tbody tr')).map(r => r.innerText);")
        .await;
    let order: Vec<String> = order
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    let refs: Vec<&str> = order
        .iter()
        .map(|t| {
            ["CT-TOMORROW", "CT-FIVE", "CT-LATER", "CT-WON"]
                .into_iter()
                .find(|r| t.contains(r))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(
        refs,
        ["CT-TOMORROW", "CT-FIVE", "CT-LATER", "CT-WON"],
        "{order:?}"
    );
    assert!(order[0].contains("1 day left"), "{}", order[0]);
    assert!(
        order[0].contains("did not make this payment"),
        "the reason in plain words: {}",
        order[0]
    );
    app.screenshot("30-disputes-by-urgency").await;

    // Its payment is one click away, and says why it cannot be refunded.
    app.click(&format!("tr[data-dispute-id='{}'] a", ids[1].2))
        .await;
    app.wait_for_text("[data-testid=payment-heading]", "£120.00")
        .await;
    app.wait_for_text("[data-testid=refund-blocked]", "being disputed")
        .await;
    app.wait_for_text("[data-testid=dispute]", "did not make this payment")
        .await;
    app.screenshot("31-disputed-payment").await;

    // The activity record shows the refund and the cancel, with who did them.
    app.click("a[data-nav=activity]").await;
    app.wait_for_text("main h1", "Activity").await;
    app.wait_for_text("[data-testid=activity]", "Pat Supervisor")
        .await;
    let text = app.wait_for_text("[data-testid=activity]", "Refund").await;
    assert!(
        text.contains("Cancel payment") && text.contains("£15.00"),
        "{text}"
    );
    assert!(
        text.contains(&refunded) && text.contains(&cancelled),
        "{text}"
    );
    app.click("[data-testid=verify]").await;
    app.wait_for_text("[data-testid=verification]", "The record is intact")
        .await;
    app.screenshot("32-activity-intact").await;

    // Someone edits the database file: the amount of the refund's first row.
    let db = app.data_dir.path().join(paydesk_core::db::FILE_NAME);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET amount = 150 WHERE seq = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    app.click("[data-testid=verify]").await;
    app.wait_for_text("[data-testid=verification]", "The record has been altered")
        .await;
    app.wait_for_text("[data-testid=verification]", "Row 1 has been changed")
        .await;
    app.screenshot("33-activity-tampered").await;

    app.close().await;
}
