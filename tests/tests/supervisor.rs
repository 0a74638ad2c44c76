//! The supervisor's screens in the real window: disputes by urgency, and the
//! activity record with its integrity check, against a simulator this test runs.

use govpay_sim::{Account, SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_core::money::reason::RefundWhy;
use paydesk_core::store::probe::Tamper;
use paydesk_core::store::{Lifecycle, Probe};
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
    let sim = Simulator::start(SimConfig::stripe_account("api_test_supervisor_e2e"))
        .await
        .unwrap();
    // Five disputes: due in 10 days, tomorrow, in 5 days, one already won, and
    // one whose evidence was due two days ago.
    let mut ids = Vec::new();
    for (reference, days) in [
        ("CT-LATER", 10),
        ("CT-TOMORROW", 1),
        ("CT-FIVE", 5),
        ("CT-WON", 2),
        ("CT-OVERDUE", -2),
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
    let goodwill = RefundWhy::parse("goodwill", "Collection missed twice").unwrap();
    core.refund(&service, &refunded, 1_500, 5_000, &goodwill)
        .await
        .unwrap();
    let cancelled = payment(&sim, 7_000, "CT-CANCEL", false).await;
    core.cancel(&service, &cancelled).await.unwrap();
    // A refund decided on figures that changed meanwhile: stopped, not sent.
    let stale = payment(&sim, 4_000, "CT-STALE", true).await;
    sim.control().refund_elsewhere(&stale, 1_000).unwrap();
    core.refund(&service, &stale, 4_000, 4_000, &goodwill)
        .await
        .unwrap_err();
    core.close().await;

    let app = App::launch_in(dir).await;
    app.click("a[data-nav=disputes]").await;
    app.wait_for_text("main h1", "Disputes").await;
    app.wait_for_text("[data-testid=dispute-count]", "5 disputes")
        .await;
    app.wait_for_text("[data-testid=dispute-count]", "1 overdue")
        .await;
    app.wait_for_text("[data-testid=dispute-count]", "2 due within 7 days")
        .await;
    // Most urgent first: the ones that can still be answered, soonest due
    // first; the overdue one below them, under its own heading; then the rest.
    let order = app
        .js("return Array.from(document.querySelectorAll('[data-testid=disputes] tbody tr')).map(r => r.dataset.disputeId ? r.innerText : 'GROUP ' + r.innerText);")
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
            if t.starts_with("GROUP Overdue") {
                return "(overdue)";
            }
            ["CT-TOMORROW", "CT-FIVE", "CT-LATER", "CT-WON", "CT-OVERDUE"]
                .into_iter()
                .find(|r| t.contains(r))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(
        refs,
        [
            "CT-TOMORROW",
            "CT-FIVE",
            "CT-LATER",
            "(overdue)",
            "CT-OVERDUE",
            "CT-WON"
        ],
        "{order:?}"
    );
    assert!(order[4].contains("2 days overdue"), "{}", order[4]);
    assert!(order[0].contains("1 day left"), "{}", order[0]);
    assert!(
        order[0].contains("did not make this payment"),
        "the reason in plain words: {}",
        order[0]
    );
    app.screenshot("30-disputes-by-urgency").await;

    // Its payment is one click away, and says why it cannot be refunded.
    app.select("#dispute-period", "365").await;
    app.wait_for_text("[data-testid=dispute-count]", "5 disputes")
        .await;
    app.click(&format!("tr[data-dispute-id='{}'] a", ids[1].2))
        .await;
    app.wait_for_text("[data-testid=payment-heading]", "£120.00")
        .await;
    app.wait_for_text("[data-testid=refund-blocked]", "being disputed")
        .await;
    app.wait_for_text("[data-testid=dispute]", "did not make this payment")
        .await;
    app.screenshot("31-disputed-payment").await;

    // The supervisor opens a case for the chargeback and notes what was sent.
    app.fill("#case-reference", "CHARGEBACK-114").await;
    app.click("[data-testid=case] button[type=submit]").await;
    app.wait_for_text("[data-testid=case]", "Case CHARGEBACK-114")
        .await;
    app.fill(
        "#case-note",
        "Evidence of the permit's use sent to the card issuer",
    )
    .await;
    app.click("[data-testid=case] button[type=submit]").await;
    let case = app
        .wait_for_text("[data-testid=case]", "Evidence of the permit's use")
        .await;
    assert!(
        case.contains("Pat Supervisor"),
        "the note names its author: {case}"
    );
    app.scroll_to("[data-testid=case]").await;
    app.screenshot("31b-dispute-case-note").await;
    // Back: the disputes as they were left, filter and all, with the
    // dispute whose payment was opened in focus.
    app.click("[data-testid=back]").await;
    app.wait_for_text("[data-testid=dispute-count]", "5 disputes")
        .await;
    let left = app
        .js("return [document.querySelector('#dispute-period').value, document.activeElement?.closest('tr')?.dataset.disputeId ?? null];")
        .await;
    assert_eq!(left, serde_json::json!(["365", ids[1].2]));

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
    // Each of the refund's rows says why it was made.
    let refund_row = app
        .wait_for_text(
            &format!("[data-testid=activity] tr[data-action=refund]:has(a[href$='{refunded}'])"),
            "Goodwill: Collection missed twice",
        )
        .await;
    assert!(refund_row.contains("Refund"), "{refund_row}");
    app.scroll_to("[data-testid=activity]").await;
    app.screenshot("32a-activity-reasons").await;
    // The refused refund is there too, with why, and was never sent.
    let stale_row = app
        .wait_for_text(
            &format!("[data-testid=activity] tr:has(a[href$='{stale}'])"),
            "Stopped by Paydesk",
        )
        .await;
    assert!(
        stale_row.contains("changed from £40.00 to £30.00"),
        "{stale_row}"
    );
    assert_eq!(sim.control().payment(&stale).unwrap().refunds, 1);
    app.click("[data-testid=verify]").await;
    app.wait_for_text("[data-testid=verification]", "The record is intact")
        .await;
    app.screenshot("32-activity-intact").await;
    // "Who" offers the people in the record.
    let who = app
        .js("return [...document.querySelectorAll('#activity-operator option')].map(o => o.textContent).join('|');")
        .await;
    assert_eq!(who, "Everyone|Pat Supervisor");

    // Someone edits the database file: the amount of the refund's first row
    // (row 1 is the staff name being set).
    let db = app
        .data_dir
        .path()
        .join(paydesk_core::store::sqlite::FILE_NAME);
    let store = paydesk_core::store::sqlite::open(&db).await.unwrap();
    store.tamper(Tamper::AuditGuardsOff).await.unwrap();
    store
        .tamper(Tamper::AuditAmount {
            seq: Some(2),
            amount: 150,
        })
        .await
        .unwrap();
    store.close().await;
    app.click("[data-testid=verify]").await;
    app.wait_for_text("[data-testid=verification]", "The record has been altered")
        .await;
    app.wait_for_text("[data-testid=verification]", "Row 2 has been changed")
        .await;
    app.screenshot("33-activity-tampered").await;

    app.close().await;
}

/// Reads CSV text into rows of fields (quoted fields may hold commas, quotes
/// and line breaks).
/// An agreement's status as GOV.UK Pay (the simulator) holds it now.
async fn agreement_status(client: &govpay::Client, agreement_id: &str) -> String {
    client
        .agreements()
        .get(&govpay::AgreementId::parse(agreement_id).unwrap())
        .await
        .unwrap()
        .status
        .to_string()
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// `-1,234.56` in pence.
fn pence(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let v: i64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {text:?}"));
    if negative { -v } else { v }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_cancels_an_agreement_reads_the_dashboard_and_exports_for_finance() {
    use govpay::search::{PaymentSearch, RefundSearch};
    let sim = Simulator::start(SimConfig {
        accounts: vec![Account::sandbox("api_test_supervisor_finance")],
        seeds: vec![govpay_sim::SeedSpec {
            account: 1,
            payments: 2_000,
            seed: 11,
            days: 30,
        }],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = paydesk_e2e::sim_client(&sim);

    // The active agreement with the most payments under it.
    let mut best: Option<(govpay::models::Agreement, u64)> = None;
    let mut agreements = client.agreements().search_all(&Default::default());
    while let Some(page) = agreements.next().await {
        for a in page.unwrap().items {
            if a.status != govpay::AgreementStatus::Active {
                continue;
            }
            let search = PaymentSearch {
                agreement_id: Some(a.agreement_id.clone()),
                ..PaymentSearch::default()
            };
            let total = client.payments().search(&search).await.unwrap().total;
            if best.as_ref().is_none_or(|(_, t)| total > *t) {
                best = Some((a, total));
            }
        }
    }
    let (agreement, under) = best.expect("the seed has active agreements");
    assert!(under > 0);

    let (dir, core, service) =
        prepared(&sim, "Garden waste", Role::Supervisor, "Pat Supervisor").await;
    core.sync_service(&service, &Default::default(), &|_| {})
        .await
        .unwrap();
    // A refund made on this desktop today, for the dashboard and the export.
    let refunded = payment(&sim, 4_500, "GW-REFUND", true).await;
    let duplicate = RefundWhy::parse("duplicate_payment", "").unwrap();
    core.refund(&service, &refunded, 1_200, 4_500, &duplicate)
        .await
        .unwrap();
    core.sync_service(&service, &Default::default(), &|_| {})
        .await
        .unwrap();
    core.close().await;

    let app = App::launch_in(dir).await;
    app.click("a[data-nav=agreements]").await;
    app.wait_for_text("[data-testid=agreement-count]", "agreements")
        .await;
    app.find(&format!(
        "tr[data-agreement-id='{}'] a",
        agreement.agreement_id
    ))
    .await;
    app.screenshot("40-agreements").await;
    app.click(&format!(
        "tr[data-agreement-id='{}'] a",
        agreement.agreement_id
    ))
    .await;
    app.wait_for_text("[data-testid=agreement-status-tag]", "Active")
        .await;
    let card = agreement
        .payment_instrument
        .as_ref()
        .and_then(|i| i.card_details.as_ref())
        .and_then(|c| c.last_digits_card_number.clone())
        .expect("an active agreement has a card");
    app.wait_for_text("[data-testid=agreement-instrument]", &card)
        .await;
    app.wait_for_text(
        "[data-testid=agreement-payment-count]",
        &if under > 100 {
            format!("of {under} payments")
        } else {
            format!("{under} payment")
        },
    )
    .await;
    app.screenshot("41-agreement-page").await;

    // Cancel: asked to confirm first, then sent once.
    app.click("[data-testid=agreement-cancel]").await;
    app.wait_for_text("[data-testid=agreement-cancel-confirm]", "No more payments")
        .await;
    assert_eq!(
        agreement_status(&client, agreement.agreement_id.as_str()).await,
        "active",
        "nothing is sent before the confirmation"
    );
    app.screenshot("42-agreement-confirm").await;
    app.click("[data-testid=agreement-cancel-confirm-button]")
        .await;
    app.wait_for_text(
        "[data-testid=agreement-notice]",
        "The agreement was cancelled",
    )
    .await;
    app.wait_for_text("[data-testid=agreement-status-tag]", "Cancelled")
        .await;
    assert_eq!(
        agreement_status(&client, agreement.agreement_id.as_str()).await,
        "cancelled"
    );
    app.screenshot("43-agreement-cancelled").await;

    // Setting one up: the empty form names both fields, then it is created.
    app.click("a[data-nav=agreements]").await;
    app.click("[data-testid=agreement-new]").await;
    app.click("[data-testid=agreement-new-submit]").await;
    let problem = app
        .wait_for_text(".govuk-error-summary", "Enter a reference")
        .await;
    assert!(problem.contains("Enter a description"), "{problem}");
    app.screenshot("43b-agreement-new-errors").await;
    app.fill("#new-agreement-reference", "GW-2026-0099").await;
    app.fill("#new-agreement-description", "Garden waste, 12 months")
        .await;
    app.click("[data-testid=agreement-new-submit]").await;
    app.wait_for_text("[data-testid=agreement-status-tag]", "Created")
        .await;
    app.wait_for_text("main", "No card yet").await;
    app.screenshot("43c-agreement-created").await;
    let mut found = client
        .agreements()
        .search_all(&govpay::search::AgreementSearch {
            reference: Some("GW-2026-0099".into()),
            ..Default::default()
        });
    let page = found.next().await.unwrap().unwrap();
    assert_eq!(page.items.len(), 1, "created once");

    // Both are on the activity record, each linked to its agreement.
    app.click("a[data-nav=activity]").await;
    app.wait_for_text("[data-testid=activity]", "Set up agreement")
        .await;
    app.wait_for_text("[data-testid=activity]", "Cancel agreement")
        .await;
    app.find(&format!(
        "[data-testid=activity] a[href='#/agreements/{}']",
        agreement.agreement_id
    ))
    .await;
    app.screenshot("43d-activity-agreements").await;

    // The dashboard names who refunded today.
    app.click("a[data-nav=dashboard]").await;
    app.wait_for_text("[data-testid=dashboard-operators]", "Pat Supervisor")
        .await;
    // (The seed's own refunds may fall today too; this desktop's is the one with a name.)
    let pat = app
        .js("return Array.from(document.querySelectorAll('[data-testid=dashboard-operators] tbody tr')).map(r => Array.from(r.cells).map(c => c.innerText.trim())).find(c => c[0] === 'Pat Supervisor') ?? [];")
        .await;
    assert_eq!(pat, serde_json::json!(["Pat Supervisor", "1", "£12.00"]));
    // And why this week's refunds were made.
    let duplicate = app
        .js("return Array.from(document.querySelectorAll('[data-testid=dashboard-reasons] tbody tr')).map(r => Array.from(r.cells).map(c => c.innerText.trim())).find(c => c[0] === 'Duplicate payment') ?? [];")
        .await;
    assert_eq!(
        duplicate,
        serde_json::json!(["Duplicate payment", "1", "£12.00"])
    );
    app.screenshot("44-dashboard").await;
    app.scroll_to("[data-testid=dashboard-reasons]").await;
    app.screenshot("44a-dashboard-reasons").await;

    // The export: 40 days (everything the simulator has), to a file in a folder.
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("garden-waste.csv");
    app.click("a[data-nav=export]").await;
    app.find("[data-testid=export-chart]").await;
    app.js(&format!(
        "const set = (id, v) => {{ const e = document.querySelector(id); e.value = v; e.dispatchEvent(new Event('input', {{ bubbles: true }})); }};
         const d = new Date(Date.now() - 40 * 86400000).toISOString().slice(0, 10);
         set('[data-testid=export-from]', d);
         set('[data-testid=export-path]', {});",
        serde_json::Value::from(out.display().to_string())
    ))
    .await;
    app.wait_for_text("[data-testid=export-sums]", "successful payments")
        .await;
    app.screenshot("45-export-chart").await;
    app.click("[data-testid=export-submit]").await;
    let banner = app
        .wait_for_text("[data-testid=export-done]", "were saved")
        .await;
    app.screenshot("46-export-saved").await;
    assert!(!out.with_extension("csv.partial").exists());

    // Every payment and refund GOV.UK Pay has, once each, with the same totals.
    let mut payments = Vec::new();
    let mut pages = client.payments().search_all(&PaymentSearch::default());
    while let Some(page) = pages.next().await {
        payments.extend(page.unwrap().items);
    }
    let mut refunds = Vec::new();
    let mut pages = client.refunds().search_all(&RefundSearch::default());
    while let Some(page) = pages.next().await {
        refunds.extend(page.unwrap().items);
    }
    let rows = csv_rows(&std::fs::read_to_string(&out).unwrap());
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (amount, state, id) = (col("Amount"), col("State"), col("GOV.UK Payment ID"));
    let body = &rows[1..];
    let payment_rows: Vec<_> = body
        .iter()
        .filter(|r| !r[state].starts_with("Refund"))
        .collect();
    let refund_rows: Vec<_> = body
        .iter()
        .filter(|r| r[state].starts_with("Refund"))
        .collect();
    assert_eq!(payment_rows.len(), payments.len());
    assert_eq!(refund_rows.len(), refunds.len());
    let mut ids: Vec<&str> = payment_rows.iter().map(|r| r[id].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), payments.len(), "each payment once");
    let takings: i64 = payments
        .iter()
        .filter(|p| p.state.status == govpay::PaymentStatus::Success)
        .map(|p| p.amount)
        .sum();
    let csv_takings: i64 = payment_rows
        .iter()
        .filter(|r| r[state] == "Success")
        .map(|r| pence(&r[amount]))
        .sum();
    assert_eq!(csv_takings, takings);
    let refunded_total: i64 = refunds.iter().map(|r| r.amount).sum();
    let csv_refunds: i64 = refund_rows.iter().map(|r| pence(&r[amount])).sum();
    assert_eq!(csv_refunds, -refunded_total, "refunds are negative");
    // Finance sees why: the refund made here has its reason, the seed's none.
    let reason = col("Refund Reason");
    let with_reason: Vec<(&str, &str)> = refund_rows
        .iter()
        .filter(|r| !r[reason].is_empty())
        .map(|r| (r[id].as_str(), r[reason].as_str()))
        .collect();
    assert_eq!(with_reason, [(refunded.as_str(), "Duplicate payment")]);
    assert!(
        banner.contains(&format!(
            "{} payments and {} refunds",
            thousands(payments.len()),
            thousands(refunds.len())
        )),
        "{banner}"
    );
    let issued_by = col("Issued By");
    assert!(
        refund_rows.iter().any(|r| r[issued_by] == "Pat Supervisor"),
        "the refund made here names who made it"
    );
    app.close().await;
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_roles_are_not_offered_and_are_refused_at_the_command() {
    use paydesk_core::services::NewService;
    let sim = Simulator::start(SimConfig {
        accounts: vec![Account::sandbox("api_test_roles_e2e")],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = paydesk_e2e::sim_client(&sim);
    let agreement = client
        .agreements()
        .create(&govpay::requests::CreateAgreement {
            reference: "GW-ROLES".into(),
            description: "Garden waste".into(),
            user_identifier: None,
        })
        .await
        .unwrap();
    sim.control()
        .set_agreement_status(agreement.agreement_id.as_str(), "active")
        .unwrap();
    let paid = payment(&sim, 3_000, "RL-1", true).await;

    let (dir, core, caseworker) = prepared(
        &sim,
        "A caseworker desk",
        Role::Caseworker,
        "Cam Caseworker",
    )
    .await;
    let call_centre = core
        .services_add(NewService::test_account(
            "B call-centre desk",
            sim.base_url(),
            Role::CallCentre,
            &sim.accounts()[0].api_key,
        ))
        .await
        .unwrap()
        .id;
    core.close().await;

    let app = App::launch_in(dir).await;
    // The caseworker's desktop (first in the list) shows the agreement, no cancel.
    app.go(&format!("#/agreements/{}", agreement.agreement_id))
        .await;
    app.wait_for_text(
        "[data-testid=agreement-cancel-not-offered]",
        "Only a supervisor",
    )
    .await;
    assert_eq!(app.text("[data-testid=agreement-cancel]").await, None);
    app.screenshot("47-caseworker-agreement").await;
    // Asked directly, the command refuses.
    let refused = app
        .invoke(
            "agreement_cancel",
            serde_json::json!({ "serviceId": caseworker, "agreementId": agreement.agreement_id }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    // Only the tabs a caseworker can use are offered.
    assert_eq!(
        nav_sections(&app).await,
        ["payments", "cases", "agreements", "services", "about"]
    );
    // The export of payers' names and emails is a supervisor's: refused here.
    let refused = app
        .invoke(
            "export_csv",
            serde_json::json!({ "serviceId": caseworker, "fromMs": 0, "toMs": 86_400_000, "path": "/tmp/paydesk-roles.csv", "replace": false }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(!std::path::Path::new("/tmp/paydesk-roles.csv").exists());

    // The call-centre desktop: its payment page offers no refund...
    app.go("#/services").await;
    app.click("tr[data-service-row='B call-centre desk'] button.govuk-button--secondary")
        .await;
    app.wait_for_text("[data-testid=current-service]", "B call-centre desk")
        .await;
    assert_eq!(
        nav_sections(&app).await,
        [
            "payments",
            "cases",
            "telephone",
            "agreements",
            "services",
            "about"
        ]
    );
    app.screenshot("47b-call-centre-tabs").await;
    app.go(&format!("#/payments/{paid}")).await;
    app.wait_for_text("[data-testid=payment-heading]", "£30.00")
        .await;
    assert_eq!(app.text("[data-testid=refund-start]").await, None);
    app.screenshot("48-call-centre-payment").await;
    // ...and the refund command refuses before anything reaches GOV.UK Pay.
    let refused = app
        .invoke(
            "payment_refund",
            serde_json::json!({ "serviceId": call_centre, "paymentId": paid, "amount": "30.00", "expectedAvailable": 3000, "reason": "goodwill", "reasonNote": "" }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = app
        .invoke(
            "agreement_cancel",
            serde_json::json!({ "serviceId": call_centre, "agreementId": agreement.agreement_id }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(sim.control().payment(&paid).unwrap().refunds, 0);
    assert_eq!(
        agreement_status(&client, agreement.agreement_id.as_str()).await,
        "active"
    );
    app.close().await;
}

/// The sections the navigation offers, in order.
async fn nav_sections(app: &App) -> Vec<String> {
    let ids = app
        .js("return Array.from(document.querySelectorAll('a[data-nav]')).map(a => a.dataset.nav);")
        .await;
    ids.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}
