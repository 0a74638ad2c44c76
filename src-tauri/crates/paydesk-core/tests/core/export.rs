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
        .filter(|p| p.state.status == "success")
        .map(|p| p.amount)
        .sum();
    assert_eq!(report.payments_total, taken);
    let refunded: i64 = client
        .refunds()
        .search_all(&govpay::search::RefundSearch::default())
        .collect_all()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.status != "error")
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
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT payment_id FROM (SELECT payment_id, created_ms, 0 AS k FROM payments
           UNION ALL SELECT payment_id, created_ms, 1 FROM refunds)
         ORDER BY created_ms DESC, k",
    )
    .fetch_all(s.core.pool())
    .await
    .unwrap();
    assert_eq!(exported, expected);
}
