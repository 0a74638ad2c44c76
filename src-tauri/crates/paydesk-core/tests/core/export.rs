//! The finance export, checked against the simulator's own figures.

use crate::common::*;

#[tokio::test]
async fn the_finance_export_matches_the_simulators_figures() {
    let s = seeded(800, 21, 30).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let mut out = Vec::new();
    let report = s
        .core
        .export_csv(&s.service, 0, i64::MAX, &mut out, &|_| {})
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("Reference,Description,Email,Amount,Card Brand"),
        "{header}"
    );
    assert!(
        header.contains("Fee,Net") && header.contains("ledger_code (metadata)"),
        "{header}"
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len() as u64, report.payments + report.refunds);
    assert_eq!(report.payments, 800);
    // The totals agree with what GOV.UK Pay (the simulator) says.
    let client = sim_client(&s);
    let all = client
        .payments()
        .search_all(&govpay::search::PaymentSearch::default())
        .collect_all()
        .await
        .unwrap();
    let taken: i64 = all
        .iter()
        .filter(|p| p.state.status == govpay::PaymentStatus::Success)
        .map(|p| p.amount)
        .sum();
    assert_eq!(report.payments_total, taken);
    let refunds = client
        .refunds()
        .search_all(&govpay::search::RefundSearch::default())
        .collect_all()
        .await
        .unwrap();
    let refunded: i64 = refunds
        .iter()
        .filter(|r| r.status != govpay::RefundStatus::Error)
        .map(|r| r.amount)
        .sum();
    assert_eq!(report.refunds_total, refunded);
    assert!(body.iter().any(|l| l.contains("Refund success")));

    // Payments and refunds come merged, newest first, as the cache dates them.
    let fields = |line: &str| {
        let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(std::mem::take(&mut cell)),
                _ => cell.push(c),
            }
        }
        out.push(cell);
        out
    };
    let id_column = fields(header)
        .iter()
        .position(|h| h == "GOV.UK Payment ID")
        .unwrap();
    let exported: Vec<String> = body.iter().map(|l| fields(l)[id_column].clone()).collect();
    let ms =
        |date: &Option<String>| paydesk_core::clock::api_time_ms(date.as_deref().unwrap()).unwrap();
    let mut dated: Vec<(i64, u8, String)> = all
        .iter()
        .map(|p| (ms(&p.created_date), 0, p.payment_id.as_str().to_owned()))
        .chain(refunds.iter().map(|r| {
            (
                ms(&r.created_date),
                1,
                r.payment_id.as_ref().unwrap().to_string(),
            )
        }))
        .collect();
    dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // Rows of one moment and kind (refunds made together) come in any order.
    assert_eq!(exported.len(), dated.len());
    let mut at = 0;
    for group in dated.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let mut got = exported[at..at + group.len()].to_vec();
        let mut want: Vec<String> = group.iter().map(|d| d.2.clone()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "rows {at}..{}", at + group.len());
        at += group.len();
    }
}

/// "Download these results": the payments a search finds, every page, in the
/// admin tool's columns; a supervisor's, and never over a file unasked.
#[tokio::test]
async fn the_results_on_screen_download_as_the_admin_tools_csv() {
    let s = seeded(900, 23, 30).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let query = PaymentQuery {
        states: vec!["success".into(), "declined".into()],
        amount_from: Some(2_000),
        ..Default::default()
    };
    // What the screen would page through, 200 at a time.
    let mut expected = Vec::new();
    for page in 1..=10 {
        let r = find(
            &s,
            PaymentQuery {
                page,
                page_size: 200,
                ..query.clone()
            },
        )
        .await;
        let short = r.rows.len() < 200;
        expected.extend(r.rows.into_iter().map(|p| (p.payment_id, p.reference)));
        if short {
            break;
        }
    }
    assert!(expected.len() > 200, "more than a page: {}", expected.len());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    let path_text = path.display().to_string();
    let done = s
        .core
        .results_csv_to_file(&s.service, &query, &path_text, false)
        .await
        .unwrap();
    assert_eq!(done.payments as usize, expected.len());
    assert!(!done.capped);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..4],
        ["Reference", "Description", "Email", "Amount"]
    );
    let id_at = header
        .iter()
        .position(|h| *h == "GOV.UK Payment ID")
        .unwrap();
    let state_at = header.iter().position(|h| *h == "State").unwrap();
    let body: Vec<Vec<String>> = lines.map(parse_csv_line).collect();
    assert_eq!(body.len(), expected.len());
    // The same payments, in the same order, each a success or declined.
    for (row, (id, reference)) in body.iter().zip(&expected) {
        assert_eq!(&row[id_at], id);
        assert_eq!(row[0].trim_start_matches('\''), reference.as_str());
        assert!(
            ["Success", "Declined"].contains(&row[state_at].as_str()),
            "{row:?}"
        );
    }
    assert!(!dir.path().join("results.csv.partial").exists());

    // An existing file is replaced only when asked.
    let err = s
        .core
        .results_csv_to_file(&s.service, &query, &path_text, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Validation(f) if f[0].field == "replace"),
        "{err:?}"
    );
    // A bad filter is named before anything is written.
    let err = s
        .core
        .results_csv_to_file(
            &s.service,
            &PaymentQuery {
                amount_to: Some(-1),
                ..Default::default()
            },
            &dir.path().join("bad.csv").display().to_string(),
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Validation(f) if f[0].field == "amountTo"),
        "{err:?}"
    );
    assert!(!dir.path().join("bad.csv").exists());
}

#[tokio::test]
async fn a_caseworker_cannot_download_payers_details() {
    let s = setup(Role::Caseworker, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let err = s
        .core
        .results_csv_to_file(
            &s.service,
            &PaymentQuery::default(),
            &dir.path().join("r.csv").display().to_string(),
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    assert!(!dir.path().join("r.csv").exists());
}

/// One CSV line's cells (RFC 4180 quotes).
fn parse_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}
