//! Screens for all-day work, in the real window: the filters keep every
//! keystroke while one is cleared and typed again; how many payments a
//! caseworker sees without scrolling on ordinary office screens (the figures
//! go in BENCHMARKS.md's UI section); parts of references and amounts in the
//! search box; paging far and coming back to the same place; the header's
//! service switcher and a LIVE service's look; what a printed payment shows;
//! a case with its payments, notes and staff actions; and every screen
//! checked with axe-core as the window lays it out.

use govpay_sim::{SimConfig, Simulator};
use paydesk_core::Role;
use paydesk_e2e::{App, prepared};

const BACKSPACE: &str = "\u{e003}";
/// WebDriver's Control key: held for the keys that follow it.
const CONTROL: &str = "\u{e009}";

/// Payment rows wholly inside the window, as the person sees them.
async fn rows_in_view(app: &App) -> u64 {
    app.js(
        "return [...document.querySelectorAll('[data-testid=results] tbody tr')]
           .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length;",
    )
    .await
    .as_u64()
    .unwrap_or(0)
}

/// Sizes the window's page to `width` × `height`, as a screen of that size
/// shows it maximised, and waits for the page to be laid out again.
async fn view_size(app: &App, width: u32, height: u32) {
    app.client
        .set_window_size(width, height)
        .await
        .unwrap_or_else(|e| panic!("the window cannot be sized {width}x{height}: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let inner = app
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        if inner == serde_json::json!([width, height]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page never became {width}x{height}: {inner}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Two frames, so the figures are of what is painted.
    app.js("return await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_keep_every_keystroke_and_rows_fill_the_screen() {
    let sim = Simulator::start(
        SimConfig::stripe_account("api_test_screens_e2e").with_history(400, 28, 30),
    )
    .await
    .unwrap();
    let (dir, core, _) =
        prepared(&sim, "Parking permits", Role::Caseworker, "Sam Caseworker").await;
    core.close().await;
    let app = App::launch_in(dir).await;
    app.click("a[data-nav=payments]").await;
    app.wait_for_text("[data-testid=sync-freshness]", "400 payments")
        .await;
    app.wait_for_text("[data-testid=result-count]", "400 payments match")
        .await;

    // A reference typed into the filter, cleared key by key, and typed again:
    // the filters stay in view, the field keeps the focus, every keystroke lands.
    let reference = app.find("[data-testid=filter-reference]").await;
    reference.send_keys("PRK-0019999").await.unwrap();
    app.wait_for_text("[data-testid=result-count]", "No payments")
        .await;
    app.wait_for_text("[data-testid=selected-filters]", "PRK-0019999")
        .await;
    reference
        .send_keys(&BACKSPACE.repeat("PRK-0019999".len()))
        .await
        .unwrap();
    app.wait_for_text("[data-testid=result-count]", "400 payments match")
        .await;
    reference.send_keys("PRK-0019999").await.unwrap();
    let typed = app
        .find("[data-testid=filter-reference]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        typed.as_deref(),
        Some("PRK-0019999"),
        "keystrokes were lost"
    );
    let focused = app
        .js("return document.activeElement?.dataset?.testid ?? null;")
        .await;
    assert_eq!(focused, serde_json::json!("filter-reference"));
    app.screenshot("80-filter-retyped").await;
    // Its tag removes it.
    app.click("[data-testid=selected-filters] button").await;
    app.wait_for_text("[data-testid=result-count]", "400 payments match")
        .await;
    let left = app
        .find("[data-testid=filter-reference]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(left.as_deref(), Some(""));

    // Rows in view on ordinary office screens, 100 a page.
    app.find("[data-testid=page-size]")
        .await
        .select_by_value("100")
        .await
        .unwrap();
    app.wait_for_text("[data-testid=results] tbody tr:nth-child(100)", "")
        .await;
    let mut seen = Vec::new();
    for (width, height, name) in [
        (1366, 768, "81-payments-1366x768"),
        (1920, 1080, "82-payments-1920x1080"),
        (800, 600, "83-payments-800x600"),
    ] {
        view_size(&app, width, height).await;
        let rows = rows_in_view(&app).await;
        // Nothing sideways: the page fits the window's width.
        let wider = app
            .js("return document.documentElement.scrollWidth > window.innerWidth;")
            .await;
        if wider != serde_json::json!(false) {
            let culprits = app
                .js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));")
                .await;
            panic!("{width}x{height} scrolls sideways: {culprits}");
        }
        app.screenshot(name).await;
        println!("payment rows in view at {width}x{height}: {rows}");
        seen.push(rows);
    }
    // The aim (BENCHMARKS.md): 15 and 25.
    assert!(seen[0] >= 15, "rows in view at 1366x768: {}", seen[0]);
    assert!(seen[1] >= 25, "rows in view at 1920x1080: {}", seen[1]);

    // At 800x600 the filters sit above the results; the person can hide
    // them, and the rows come into view. Nothing typed is lost.
    app.fill("[data-testid=filter-email]", "example.org").await;
    app.wait_for_text("[data-testid=selected-filters]", "example.org")
        .await;
    app.click("[data-testid=filters-toggle]").await;
    app.wait_for_text("[data-testid=filters-toggle]", "Show filters (1 in use)")
        .await;
    let hidden_rows = rows_in_view(&app).await;
    println!("payment rows in view at 800x600, filters hidden: {hidden_rows}");
    app.screenshot("84-payments-800x600-filters-hidden").await;
    // The figure is in BENCHMARKS.md; the header, the search box and the
    // wrapped emails and dates leave room for a few rows only.
    assert!(
        hidden_rows >= 3,
        "rows in view at 800x600 with the filters hidden: {hidden_rows}"
    );
    app.click("[data-testid=filters-toggle]").await;
    let kept = app
        .find("[data-testid=filter-email]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("example.org"));
    // Wide again, the filters show whatever was chosen at 800 wide.
    app.click("[data-testid=filters-toggle]").await;
    view_size(&app, 1366, 768).await;
    let shown = app
        .js("return getComputedStyle(document.getElementById('filter-fields')).display;")
        .await;
    assert_eq!(shown, serde_json::json!("grid"));
    app.close().await;
}

/// Empties a text box key by key, as a person does (each key an input event).
async fn clear_by_keys(app: &App, css: &str) {
    let field = app.find(css).await;
    let value = field.prop("value").await.unwrap().unwrap_or_default();
    field
        .send_keys(&BACKSPACE.repeat(value.chars().count()))
        .await
        .unwrap();
}

/// Chooses another service from the header's menu, as a person does.
async fn switch_to(app: &App, service_id: &str) {
    app.click("[data-testid=service-switch] summary").await;
    app.click(&format!(
        "[data-testid=switch-to][data-service='{service_id}']"
    ))
    .await;
}

/// The texts of the result rows' cells, row by row.
async fn result_rows(app: &App) -> Vec<Vec<String>> {
    let rows = app
        .js(
            "return [...document.querySelectorAll('[data-testid=results] tbody tr')]
               .map(r => [...r.cells].map(c => c.innerText.trim()));",
        )
        .await;
    serde_json::from_value(rows).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_amounts_paging_far_and_back_to_the_same_place() {
    let sim = Simulator::start(
        SimConfig::stripe_account("api_test_paging_e2e").with_history(6_500, 29, 90),
    )
    .await
    .unwrap();
    let (dir, core, _) =
        prepared(&sim, "Parking permits", Role::Caseworker, "Sam Caseworker").await;
    core.close().await;
    let app = App::launch_in(dir).await;
    // With a service, Paydesk opens on Payments.
    app.wait_for_text("main h1", "Payments").await;
    app.wait_for_text("[data-testid=result-count]", "5,000+ payments match")
        .await;
    // The first sync over: the list then holds every payment, and stays
    // still while it is paged.
    app.wait_for_text("[data-testid=sync-freshness]", "were updated")
        .await;
    view_size(&app, 1366, 768).await;

    // Part of a reference: the digits after its dash.
    let newest = result_rows(&app).await.remove(0);
    let reference = newest[0].clone();
    let part = reference
        .split('-')
        .nth(1)
        .expect("a reference with a dash");
    app.fill("[data-testid=search-text]", part).await;
    app.wait_for_text("[data-testid=result-count]", "1 payment matches")
        .await;
    assert_eq!(result_rows(&app).await[0][0], reference);
    app.screenshot("84-search-reference-part").await;

    // An amount as typed, with a pound sign: every payment of that amount.
    let amount = newest
        .iter()
        .find(|c| c.starts_with('£'))
        .expect("an amount column")
        .clone();
    app.fill("[data-testid=search-text]", &amount).await;
    app.wait_for_text("[data-testid=result-count]", "match")
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let rows = loop {
        let rows = result_rows(&app).await;
        if !rows.is_empty() && rows.iter().all(|r| r.contains(&amount)) {
            break rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not every row is {amount}: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(rows.iter().any(|r| r[0] == reference), "{rows:?}");
    app.screenshot("85-search-amount").await;

    // Page 300 of 20 a page, by the pager's jump.
    clear_by_keys(&app, "[data-testid=search-text]").await;
    app.wait_for_text("[data-testid=result-count]", "5,000+")
        .await;
    app.fill("[data-testid=page-jump]", "abc").await;
    app.click("[data-testid=page-jump-go]").await;
    app.wait_for_text(".govuk-error-message", "whole number")
        .await;
    app.fill("[data-testid=page-jump]", "300").await;
    app.click("[data-testid=page-jump-go]").await;
    app.wait_for_text("[data-testid=pager-top] [data-testid=page-current]", "300")
        .await;
    let page = result_rows(&app).await;
    assert_eq!(page.len(), 20, "a full page 300");
    // Down the page, open its 15th payment, and come back.
    app.js("window.scrollTo(0, document.body.scrollHeight); return true;")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let scrolled = app.js("return Math.round(window.scrollY);").await;
    assert!(
        scrolled.as_i64().unwrap_or(0) > 100,
        "the list scrolls: {scrolled}"
    );
    let opened = app
        .js("const a = document.querySelector('[data-testid=results] tbody tr:nth-child(15) a'); a.click(); return a.getAttribute('href');")
        .await;
    app.wait_for_text("[data-testid=payment-heading]", &page[14][0])
        .await;
    app.click("[data-testid=back]").await;
    app.wait_for_text("[data-testid=pager-top] [data-testid=page-current]", "300")
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let back = app
            .js("return [Math.round(window.scrollY), document.activeElement?.getAttribute('href') ?? null];")
            .await;
        if back == serde_json::json!([scrolled, opened]) {
            break;
        }
        if std::time::Instant::now() >= deadline {
            panic!("not back at the same place: {back}, expected [{scrolled}, {opened}]");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(result_rows(&app).await, page, "the same page 300");
    app.screenshot("86-back-on-page-300").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_switches_service_and_a_printed_payment_holds_no_card_number() {
    use paydesk_core::services::{Environment, NewService, SecretText};
    let sim =
        Simulator::start(SimConfig::stripe_account("api_test_switch_e2e").with_history(60, 5, 10))
            .await
            .unwrap();
    let live_sim =
        Simulator::start(SimConfig::stripe_account("api_live_switch_e2e").with_history(30, 6, 10))
            .await
            .unwrap();
    let (dir, core, test_id) =
        prepared(&sim, "Parking permits", Role::Caseworker, "Sam Caseworker").await;
    let live = core
        .services_add(NewService {
            name: "Licensing".into(),
            base_url: Some(live_sim.base_url().to_owned()),
            environment: Environment::Live,
            role: Role::Caseworker,
            api_key: SecretText::new("api_live_switch_e2e"),
        })
        .await
        .expect("the LIVE service is added")
        .id;
    core.close().await;
    let app = App::launch_in(dir).await;
    app.wait_for_text("main h1", "Payments").await;
    let current = app.wait_for_text("[data-testid=current-service]", "").await;
    if !current.contains("Parking permits") {
        switch_to(&app, &test_id).await;
    }
    app.wait_for_text("[data-testid=current-service]", "Parking permits")
        .await;
    view_size(&app, 1366, 768).await;
    let banner = app
        .js("return document.querySelector('[data-testid=live-banner]') !== null;")
        .await;
    assert_eq!(
        banner,
        serde_json::json!(false),
        "no LIVE banner on a test service"
    );

    // The switcher, from the header, on any page.
    switch_to(&app, &live).await;
    app.wait_for_text("[data-testid=current-service]", "Licensing")
        .await;
    app.wait_for_text("[data-testid=live-banner]", "real money")
        .await;
    app.wait_for_text("[data-testid=result-count]", "30 payments match")
        .await;
    let header = app
        .js("const h = document.querySelector('[data-testid=header]'); return [h.classList.contains('paydesk-header--live'), getComputedStyle(h).backgroundColor];")
        .await;
    assert_eq!(header[0], serde_json::json!(true), "{header}");
    assert_ne!(
        header[1],
        serde_json::json!("rgb(11, 12, 12)"),
        "the header is not black: {header}"
    );
    app.screenshot("87-live-service").await;

    // A payment's page, printed: the summary and story, no menu, no buttons,
    // no card number beyond its last four digits.
    let rows = result_rows(&app).await;
    let carded = rows
        .iter()
        .position(|r| r.iter().any(|c| c.contains("••••")))
        .expect("a payment with a card among the first page");
    let first = rows[carded].clone();
    app.click(&format!(
        "[data-testid=results] tbody tr:nth-child({}) a",
        carded + 1
    ))
    .await;
    app.wait_for_text("[data-testid=payment-heading]", &first[0])
        .await;
    app.wait_for_text("[data-testid=identity-bar]", "Licensing")
        .await;
    let title = app.js("return document.title;").await;
    assert_eq!(
        title,
        serde_json::json!(format!("Payment {} – Paydesk", first[0]))
    );
    let card = app
        .js("const c = document.querySelector('[data-testid=card]'); return c ? c.innerText : '';")
        .await;
    let first6 = card
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .find_map(|w| {
            w.get(..6)
                .filter(|d| d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
        .expect("the screen shows the card's first six digits");
    app.js("window.__printed = 0; window.print = () => { window.__printed += 1; }; return true;")
        .await;
    app.click("[data-testid=print-payment]").await;
    // The page asks for the dialog from a timer (so the page is drawn first):
    // give it a moment, on a loaded machine, before counting.
    for _ in 0..50 {
        if app.js("return window.__printed;").await != serde_json::json!(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let preview = app
        .js(r#"
            const rules = [];
            for (const sheet of document.styleSheets) {
              let list; try { list = sheet.cssRules; } catch { continue; }
              for (const r of list) if (r.media && r.media.mediaText.includes('print')) for (const inner of r.cssRules) rules.push(inner.cssText);
            }
            // A sheet made in script, which the window's content policy
            // allows where it refuses an inline <style>.
            const sheet = new CSSStyleSheet();
            sheet.replaceSync(rules.join(' '));
            document.adoptedStyleSheets = [sheet];
            // innerText lays the page out again, with the print rules.
            return [window.__printed, rules.length, document.body.innerText];
        "#)
        .await;
    app.screenshot("88-print-preview").await;
    app.js("document.adoptedStyleSheets = []; return true;")
        .await;
    assert_eq!(
        preview[0],
        serde_json::json!(1),
        "Print opens the print dialog once"
    );
    assert!(
        preview[1].as_u64().unwrap_or(0) > 5,
        "a print stylesheet: {preview}"
    );
    let paper = preview[2].as_str().unwrap_or("").to_owned();
    for shown in [
        first[0].as_str(),
        "printed",
        "Sam Caseworker",
        "What happened",
        "GOV.UK Pay ID",
    ] {
        assert!(paper.contains(shown), "{shown:?} is printed: {paper}");
    }
    for hidden in [
        "Agreements",
        "Refund payment",
        "Switch service",
        "Add to a case",
        "Copy",
    ] {
        assert!(
            !paper.contains(hidden),
            "{hidden:?} is not printed: {paper}"
        );
    }
    assert!(
        !paper.contains(&first6),
        "the first six digits are not printed: {paper}"
    );
    let card = first
        .iter()
        .find(|c| c.contains("••••"))
        .expect("the row's card cell");
    let last4 = card.rsplit(' ').next().unwrap_or_default();
    assert!(
        last4.len() == 4 && paper.contains(last4),
        "the last four digits ({last4}) are printed: {paper}"
    );

    // And back to the test service from the same switcher.
    app.click("[data-testid=back]").await;
    switch_to(&app, &test_id).await;
    app.wait_for_text("[data-testid=current-service]", "Parking permits")
        .await;
    app.wait_for_text("[data-testid=result-count]", "60 payments match")
        .await;
    let banner = app
        .js("return document.querySelector('[data-testid=live-banner]') !== null;")
        .await;
    assert_eq!(banner, serde_json::json!(false));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_and_a_case_gathers_its_payments() {
    use paydesk_core::agreements::NewAgreement;
    use paydesk_core::money::reason::RefundWhy;
    use paydesk_e2e::sim_payment;

    let sim =
        Simulator::start(SimConfig::stripe_account("api_test_axe_e2e").with_history(40, 7, 10))
            .await
            .unwrap();
    let first = sim_payment(&sim, 4_500, "PN-CASE-1", false, Some("4444333322221111")).await;
    let second = sim_payment(&sim, 2_000, "PN-CASE-2", false, Some("4000056655665556")).await;
    let disputed = sim_payment(&sim, 9_900, "PN-DISPUTED", false, Some("4444333322221111")).await;
    sim.control()
        .raise_dispute(&disputed, "fraudulent", 5)
        .unwrap();
    let (dir, core, service) =
        prepared(&sim, "Parking permits", Role::Supervisor, "Pat Supervisor").await;
    let agreement = core
        .agreement_create(
            &service,
            &NewAgreement {
                reference: "AG-AXE-1".into(),
                description: "Monthly permit".into(),
                user_identifier: None,
            },
        )
        .await
        .expect("an agreement is set up")
        .agreement_id;
    let case = core
        .case_open(&service, "CASE-E2E-7", "Mr Example's permits")
        .await
        .unwrap();
    core.case_add_payment(&case.id, &first).await.unwrap();
    core.case_add_payment(&case.id, &second).await.unwrap();
    core.case_add_note(&case.id, "Asked for the second permit back.")
        .await
        .unwrap();
    core.case_open(&service, "CASE-OTHER-1", "").await.unwrap();
    let why = RefundWhy::parse("goodwill", "Second permit not needed").unwrap();
    core.refund(&service, &second, 2_000, 2_000, &why)
        .await
        .unwrap();
    core.close().await;

    let app = App::launch_in(dir).await;
    view_size(&app, 1366, 768).await;
    app.wait_for_text("[data-testid=sync-freshness]", "were updated")
        .await;

    // Cases: newest activity first, found by part of the reference.
    app.click("a[data-nav=cases]").await;
    app.wait_for_text("main h1", "Cases").await;
    app.wait_for_text("[data-testid=case-count]", "2 cases")
        .await;
    let listed = app
        .js("return [...document.querySelectorAll('[data-testid=cases] tbody tr')].map(r => r.cells[0].innerText);")
        .await;
    assert_eq!(listed, serde_json::json!(["CASE-OTHER-1", "CASE-E2E-7"]));
    app.fill("[data-testid=case-search]", "e2e").await;
    app.wait_for_text("[data-testid=case-count]", "1 case match")
        .await;
    app.click(&format!("a[href='#/cases/{}']", case.id)).await;
    app.wait_for_text("[data-testid=case-reference]", "CASE-E2E-7")
        .await;
    assert_eq!(
        app.js("return document.title;").await,
        serde_json::json!("Case CASE-E2E-7 – Paydesk")
    );
    let payments = app
        .wait_for_text("[data-testid=case-payments]", "PN-CASE-2")
        .await;
    assert!(payments.contains("PN-CASE-1"), "{payments}");
    assert!(payments.contains("£20.00 refunded"), "{payments}");
    app.wait_for_text("[data-testid=case-payment-count]", "2, £65.00 in all")
        .await;
    let timeline = app
        .wait_for_text("[data-testid=case-timeline]", "Refund – £20.00 (PN-CASE-2)")
        .await;
    assert!(
        timeline.contains("Asked for the second permit back."),
        "{timeline}"
    );
    assert!(timeline.contains("By Pat Supervisor"), "{timeline}");
    app.fill("[data-testid=case-note]", "Called back: refund received.")
        .await;
    app.click("[data-testid=case-note-add]").await;
    let timeline = app
        .wait_for_text(
            "[data-testid=case-timeline]",
            "Called back: refund received.",
        )
        .await;
    assert!(
        timeline.find("Called back").unwrap() < timeline.find("Refund – £20.00").unwrap(),
        "newest first: {timeline}"
    );
    app.screenshot("90-case").await;
    // From the case to a payment and back to the case.
    app.click(&format!(
        "[data-testid=case-payments] a[href='#/payments/{first}']"
    ))
    .await;
    app.wait_for_text("[data-testid=payment-heading]", "PN-CASE-1")
        .await;
    app.wait_for_text("[data-testid=case]", "CASE-E2E-7").await;
    app.click("[data-testid=back]").await;
    app.wait_for_text("[data-testid=case-reference]", "CASE-E2E-7")
        .await;
    // And back to the list as it was left, the case in focus.
    app.click("[data-testid=back]").await;
    app.wait_for_text("[data-testid=case-count]", "1 case match")
        .await;
    let focused = app
        .js("return document.activeElement?.getAttribute('href');")
        .await;
    assert_eq!(focused, serde_json::json!(format!("#/cases/{}", case.id)));

    // The admin tool's other filters: two statuses from the status menu and
    // an amount range, as the core counts them; the open menu passes axe too.
    app.go("#/payments").await;
    app.wait_for_text("[data-testid=result-count]", "payments match")
        .await;
    app.click("[data-testid=filter-state] summary").await;
    app.click("label[for=filter-state-success]").await;
    app.click("label[for=filter-state-declined]").await;
    app.wait_for_text("[data-testid=filter-state] summary", "Success, Declined")
        .await;
    app.fill("[data-testid=filter-amount-from]", "20").await;
    app.fill("[data-testid=filter-amount-to]", "£60.00").await;
    let asked = app
        .invoke(
            "payments_search",
            serde_json::json!({ "serviceId": service, "query": {
                "states": ["success", "declined"], "amountFrom": 2000, "amountTo": 6000,
                "page": 1, "pageSize": 20 } }),
        )
        .await
        .expect("the core answers the same filters");
    let total = asked["total"].as_u64().unwrap();
    assert!(total > 0, "{asked}");
    let counted = format!(
        "{total} {} match",
        if total == 1 { "payment" } else { "payments" }
    );
    app.wait_for_text("[data-testid=result-count]", &counted)
        .await;
    let tags = app
        .text("[data-testid=selected-filters]")
        .await
        .unwrap_or_default();
    for tag in [
        "Payment status Success",
        "Payment status Declined",
        "Amount from £20.00",
        "Amount to £60.00",
    ] {
        assert!(tags.contains(tag), "{tag:?} in {tags}");
    }
    let open_menu = app.axe_violations().await;
    assert!(open_menu.is_empty(), "the open status menu: {open_menu:?}");
    app.screenshot("91-filters-open").await;
    // The supervisor downloads what the filters found, every page of it.
    app.click("[data-testid=results-csv] summary").await;
    let file = app.data_dir.path().join("these-results.csv");
    app.fill(
        "[data-testid=results-csv-path]",
        &file.display().to_string(),
    )
    .await;
    app.click("[data-testid=results-csv-save]").await;
    app.wait_for_text(
        "[data-testid=results-csv-done]",
        &format!("{total} payments were saved"),
    )
    .await;
    app.screenshot_of("91b-results-csv", "[data-testid=results-csv]")
        .await;
    let csv = std::fs::read_to_string(&file).expect("the CSV is written");
    assert_eq!(csv.lines().count() as u64, total + 1, "{csv}");
    assert!(
        csv.starts_with("Reference,Description,Email,Amount,"),
        "{csv}"
    );
    app.click("[data-testid=clear-filters]").await;

    // Every screen, as the window lays it out, with axe-core.
    let screens: Vec<(&str, String, &str, &str)> = vec![
        (
            "payments",
            "#/payments".into(),
            "[data-testid=result-count]",
            "payments match",
        ),
        (
            "payment",
            format!("#/payments/{second}"),
            "[data-testid=payment-heading]",
            "PN-CASE-2",
        ),
        (
            "cases",
            "#/cases".into(),
            "[data-testid=case-count]",
            "case",
        ),
        (
            "case",
            format!("#/cases/{}", case.id),
            "[data-testid=case-timeline]",
            "Called back",
        ),
        (
            "telephone",
            "#/telephone".into(),
            "[data-testid=telephone-form]",
            "",
        ),
        (
            "disputes",
            "#/disputes".into(),
            "[data-testid=dispute-count]",
            "1 dispute",
        ),
        (
            "agreements",
            "#/agreements".into(),
            "[data-testid=agreement-count]",
            "agreement",
        ),
        (
            "agreement",
            format!("#/agreements/{agreement}"),
            "[data-testid=agreement-reference-heading]",
            "AG-AXE-1",
        ),
        (
            "new-agreement",
            "#/agreements/new".into(),
            "[data-testid=agreement-new-form]",
            "",
        ),
        (
            "approvals",
            "#/approvals".into(),
            "main h1",
            "Refund approvals",
        ),
        (
            "activity",
            "#/activity".into(),
            "[data-testid=activity]",
            "Pat Supervisor",
        ),
        (
            "dashboard",
            "#/dashboard".into(),
            "[data-testid=dashboard-reasons]",
            "Goodwill",
        ),
        ("export", "#/export".into(), "[data-testid=export-form]", ""),
        (
            "about",
            "#/about".into(),
            "[data-testid=about]",
            "Data folder",
        ),
        (
            "services",
            "#/services".into(),
            "[data-testid=services-table]",
            "Parking permits",
        ),
    ];
    // The check itself can fail: an image with no text is found.
    app.js("const i = document.createElement('img'); i.id = 'no-alt'; i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; document.querySelector('main').append(i); return true;")
        .await;
    let seen = app.axe_violations().await;
    assert!(seen.iter().any(|v| v.starts_with("image-alt")), "{seen:?}");
    app.js("document.getElementById('no-alt').remove(); return true;")
        .await;
    let mut broken = Vec::new();
    // In GOV.UK's light colours, then in the dark ones.
    for colours in ["light", "dark"] {
        if colours == "dark" {
            app.click("[data-testid=text-size] summary").await;
            app.click("[data-testid=theme-dark]").await;
            // The menu itself, open, in the new colours.
            let menu = app.axe_violations().await;
            assert!(
                menu.is_empty(),
                "the open text size and colours menu: {menu:?}"
            );
            app.screenshot("93-dark-menu-open").await;
            app.click("[data-testid=text-size] summary").await;
            assert_eq!(
                app.js("return document.documentElement.dataset.theme;")
                    .await,
                serde_json::json!("dark")
            );
        }
        for (name, hash, ready, shows) in &screens {
            app.go(hash).await;
            app.wait_for_text(ready, shows).await;
            if *name == "agreement" {
                assert_eq!(
                    app.js("return document.title;").await,
                    serde_json::json!("Agreement AG-AXE-1 – Paydesk")
                );
            }
            if *name == "telephone" {
                // The agent sees "Continue to card details" without scrolling.
                let bottom = app
                    .js("const b = document.querySelector('[data-testid=tp-continue]').getBoundingClientRect(); return b.bottom + window.scrollY;")
                    .await
                    .as_f64()
                    .unwrap_or(f64::MAX);
                assert!(
                    bottom <= 768.0,
                    "Continue is {bottom} px down a 768 px window"
                );
            }
            for rule in app.axe_violations().await {
                broken.push(format!("{name} ({colours}): {rule}"));
            }
            let shot = if colours == "light" {
                format!("91-axe-{name}")
            } else {
                format!("93-dark-{name}")
            };
            app.screenshot(&shot).await;
        }
    }
    // The staff name page.
    app.go("#/payments").await;
    app.click("button.paydesk-header__change").await;
    app.wait_for_text("[data-testid=staff-name-page]", "").await;
    for rule in app.axe_violations().await {
        broken.push(format!("staff name: {rule}"));
    }
    assert!(
        broken.is_empty(),
        "accessibility rules broken:\n{}",
        broken.join("\n")
    );

    // Text size: Ctrl and + draws the page larger (so fewer CSS pixels fit
    // the window), the header says so, and the size is kept for next time.
    app.fill("[data-testid=staff-name]", "Pat Supervisor").await;
    app.click("[data-testid=staff-name-save]").await;
    app.go("#/payments").await;
    app.wait_for_text("[data-testid=result-count]", "payments match")
        .await;
    let width = || async {
        app.js("return window.innerWidth;")
            .await
            .as_f64()
            .unwrap_or(0.0)
    };
    assert_eq!(width().await, 1366.0);
    app.press("body", &format!("{CONTROL}=")).await;
    app.wait_for_text("[data-testid=text-size-now]", "110%")
        .await;
    let zoomed = width().await;
    assert!(
        (1240.0..=1243.0).contains(&zoomed),
        "1366 / 1.1 wide: {zoomed}"
    );
    app.press("body", &format!("{CONTROL}==")).await;
    app.wait_for_text("[data-testid=text-size-now]", "150%")
        .await;
    app.screenshot("92-text-150").await;
    let app = app.restart().await;
    app.wait_for_text("[data-testid=text-size-now]", "150%")
        .await;
    app.client.set_window_size(1366, 768).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let wide = app
            .js("return window.innerWidth;")
            .await
            .as_f64()
            .unwrap_or(0.0);
        if (909.0..=912.0).contains(&wide) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the kept size is drawn again: 1366 / 1.5 wide, not {wide}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.press("body", &format!("{CONTROL}0")).await;
    app.wait_for_text("[data-testid=text-size-now]", "100%")
        .await;
    app.close().await;
}
