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
    let refunds = client
        .refunds()
        .search_all(&govpay::search::RefundSearch::default())
        .collect_all()
        .await
        .unwrap();
    let refunded: i64 = refunds
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
    let ms =
        |date: &Option<String>| paydesk_core::clock::api_time_ms(date.as_deref().unwrap()).unwrap();
    let mut dated: Vec<(i64, u8, String)> = all
        .iter()
        .map(|p| (ms(&p.created_date), 0, p.payment_id.as_str().to_owned()))
        .chain(
            refunds
                .iter()
                .map(|r| (ms(&r.created_date), 1, r.payment_id.clone().unwrap())),
        )
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
