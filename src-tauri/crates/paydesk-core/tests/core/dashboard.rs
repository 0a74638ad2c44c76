//! The supervisor's dashboard.

use crate::common::*;

#[tokio::test]
async fn the_dashboard_counts_the_day_and_week_and_names_who_refunded() {
    use paydesk_core::dashboard::DashboardQuery;
    let s = setup(Role::Supervisor, |_| {}).await;
    s.core.set_operator("Asha Supervisor").await.unwrap();
    let a = paid(&s, 1_000).await;
    let b = paid(&s, 2_550).await;
    let _c = paid(&s, 4_000).await;
    s.core
        .refund(&s.service, &a, 300, 1_000, why())
        .await
        .unwrap();
    s.sim.control().refund_elsewhere(&b, 550).unwrap();
    s.sim.control().raise_dispute(&b, "fraudulent", 2).unwrap();
    let c2 = paid(&s, 700).await;
    s.sim.control().raise_dispute(&c2, "duplicate", 20).unwrap();
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let now = paydesk_core::clock::now_ms();
    let q = DashboardQuery {
        today_from_ms: now - 3_600_000,
        week_from_ms: now - 3 * 86_400_000,
        to_ms: now + 60_000,
    };
    let d = s.core.dashboard(&s.service, &q).await.unwrap();
    assert_eq!(d.today.payments.count, 4);
    assert_eq!(d.today.payments.value, 1_000 + 2_550 + 4_000 + 700);
    assert_eq!(d.week.payments, d.today.payments);
    assert_eq!(d.today.refunds.count, 2);
    assert_eq!(d.today.refunds.value, 850);
    let by: Vec<_> = d
        .refunds_by_operator
        .iter()
        .map(|o| (o.operator.as_deref(), o.refunds.count, o.refunds.value))
        .collect();
    assert_eq!(by, [(None, 1, 550), (Some("Asha Supervisor"), 1, 300)]);
    assert_eq!(d.disputes_due.len(), 1, "only the one due within 7 days");
    assert_eq!(d.disputes_due[0].dispute.payment_id, b);

    // Nothing yet in a window that ends before the payments were made.
    let earlier = s
        .core
        .dashboard(
            &s.service,
            &DashboardQuery {
                today_from_ms: now - 2 * 86_400_000,
                week_from_ms: now - 3 * 86_400_000,
                to_ms: now - 86_400_000,
            },
        )
        .await
        .unwrap();
    assert_eq!(earlier.week.payments.count, 0);
    assert!(earlier.refunds_by_operator.is_empty());

    // Daily totals for a chart: the payments land on the last day.
    let days = s
        .core
        .daily_totals(
            &s.service,
            &[now - 2 * 86_400_000, now - 86_400_000, now + 60_000],
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].payments.count, 0);
    assert_eq!(days[1].payments.value, 8_250);
    assert_eq!(days[1].refunds.value, 850);
    let err = s
        .core
        .daily_totals(&s.service, &[now, now - 1])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "dayStarts"),
        "{err:?}"
    );
}
