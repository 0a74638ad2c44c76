//! The audit record and the secrets: what someone with only the file can and cannot do.

use crate::common::*;

#[tokio::test]
async fn the_audit_chain_shows_an_altered_or_removed_row() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core
        .refund(&s.service, &pid, 100, 1000, why())
        .await
        .unwrap();
    s.core
        .refund(&s.service, &pid, 100, 900, why())
        .await
        .unwrap();
    let ok = s.core.audit_verify().await.unwrap();
    // The staff name being set, then two refunds of two rows each.
    assert!(ok.intact && ok.rows == 5, "{ok:?}");
    // The trail refuses changes through SQL...
    let refused = tamper(
        &s,
        Tamper::AuditAmount {
            seq: Some(2),
            amount: 1,
        },
    )
    .await;
    assert_eq!(refused.unwrap_err().kind, StoreErrorKind::Constraint);
    // ...so a tamperer removes the guard first and edits the file's rows.
    tamper(&s, Tamper::AuditGuardsOff).await.unwrap();
    tamper(
        &s,
        Tamper::AuditAmount {
            seq: Some(2),
            amount: 10000,
        },
    )
    .await
    .unwrap();
    let bad = s.core.audit_verify().await.unwrap();
    assert!(!bad.intact);
    assert_eq!(bad.broken_at, Some(2));
    assert!(
        bad.summary.contains("Row 2 has been changed"),
        "{}",
        bad.summary
    );

    let s2 = setup(Role::Supervisor, |_| {}).await;
    let pid2 = paid(&s2, 1000).await;
    s2.core
        .refund(&s2.service, &pid2, 100, 1000, why())
        .await
        .unwrap();
    let refused = tamper(&s2, Tamper::AuditRemoveLast).await;
    assert_eq!(refused.unwrap_err().kind, StoreErrorKind::Constraint);
    tamper(&s2, Tamper::AuditGuardsOff).await.unwrap();
    tamper(&s2, Tamper::AuditRemoveLast).await.unwrap();
    let cut = s2.core.audit_verify().await.unwrap();
    assert!(!cut.intact && cut.summary.contains("removed"), "{cut:?}");
}

#[tokio::test]
async fn the_audit_record_resists_a_rewrite_by_someone_with_only_the_file() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core
        .refund(&s.service, &pid, 100, 1000, why())
        .await
        .unwrap();
    assert!(s.core.audit_verify().await.unwrap().intact);
    tamper(&s, Tamper::AuditGuardsOff).await.unwrap();
    // Edit the refund's amount, then re-chain every row from there on so
    // each row's prev_hash and hash agree, as a careful tamperer would.
    tamper(
        &s,
        Tamper::AuditAmount {
            seq: None,
            amount: 10000,
        },
    )
    .await
    .unwrap();
    let rows = s.core.store().audit_chain().await.unwrap();
    assert!(rows.iter().any(|r| r.row.amount == Some(10000)));
    let mut prev = "0".repeat(64);
    for r in &rows {
        // Every field as text, in the order the record hashes them.
        let fields = paydesk_core::activity::audit::row_fields(&prev, &r.row);
        let hash = rehash_without_the_key(&fields);
        tamper(
            &s,
            Tamper::AuditHashes {
                seq: r.row.seq,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            },
        )
        .await
        .unwrap();
        prev = hash;
    }
    let rewritten = s.core.audit_verify().await.unwrap();
    assert!(!rewritten.intact, "{rewritten:?}");
    assert_eq!(rewritten.broken_at, Some(1), "{rewritten:?}");

    // Wiping the table is no escape: the keyring remembers where it ended.
    tamper(&s, Tamper::AuditRemoveAll).await.unwrap();
    let wiped = s.core.audit_verify().await.unwrap();
    assert!(!wiped.intact, "{wiped:?}");
    assert!(wiped.summary.contains("removed"), "{}", wiped.summary);

    // Nor is a new database file in the same folder.
    s.core.close().await;
    drop(s.core);
    database_replaced(s.dir.path());
    let fresh = open_core(s.dir.path(), &s.app_id).await.unwrap();
    fresh.set_operator("Sam Tester").await.unwrap();
    let started_again = fresh.audit_verify().await.unwrap();
    assert!(!started_again.intact, "{started_again:?}");
    assert!(
        started_again.summary.contains("removed"),
        "{}",
        started_again.summary
    );
}

#[tokio::test]
async fn a_role_changed_in_the_file_grants_nothing() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 1000).await;
    // What a call-centre agent might try with a database tool.
    tamper(&s, Tamper::ServiceRole("supervisor".into()))
        .await
        .unwrap();
    let err = s
        .core
        .refund(&s.service, &pid, 100, 1000, why())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Forbidden(m) if m.contains("changed outside Paydesk")),
        "{err:?}"
    );
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 0);
    let listed = s.core.services_list().await.unwrap();
    let parking = listed.iter().find(|v| v.id == s.service).unwrap();
    assert!(parking.permissions.is_empty(), "{parking:?}");
    assert!(
        parking.role_label.contains("outside Paydesk"),
        "{parking:?}"
    );

    // Pointing the service (and its key) at another address is caught too.
    tamper(&s, Tamper::ServiceRole("call_centre".into()))
        .await
        .unwrap();
    tamper(&s, Tamper::ServiceBaseUrl("http://127.0.0.1:9".into()))
        .await
        .unwrap();
    assert!(matches!(
        s.core.service(&s.service).await.unwrap_err(),
        CoreError::Forbidden(_)
    ));
    // Put back exactly as it was, the service works again.
    tamper(&s, Tamper::ServiceBaseUrl(s.sim.base_url().into()))
        .await
        .unwrap();
    assert_eq!(
        s.core.service(&s.service).await.unwrap().role,
        Role::CallCentre
    );
}

#[tokio::test]
async fn a_live_key_is_never_written_down_or_returned() {
    const LIVE_KEY: &str = "api_live_k3y_that_must_never_leak_0123456789";
    let s = setup(Role::Supervisor, |c| {
        c.accounts[0].api_key = LIVE_KEY.into();
        c.accounts[0].live = true;
        c.seeds = vec![SeedSpec {
            account: 1,
            payments: 300,
            seed: 1,
            days: 10,
        }];
    })
    .await;
    let mut returned = Vec::new();
    returned.push(serde_json::to_string(&s.core.services_list().await.unwrap()).unwrap());
    returned.push(
        serde_json::to_string(
            &s.core
                .sync_service(&s.service, &SyncCancel::default(), &no_progress())
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    let totals = s.core.store().probe_refund_totals().await.unwrap();
    let refundable = totals
        .iter()
        .find(|t| t.status.as_deref() == Some("available"))
        .unwrap();
    let (pid, available) = (refundable.payment_id.clone(), refundable.available.unwrap());
    returned.push(
        serde_json::to_string(
            &s.core
                .refund(&s.service, &pid, 1, available, why())
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    returned.push(format!(
        "{:?}",
        s.core
            .refund(&s.service, &pid, 1, available, why())
            .await
            .unwrap_err()
    ));
    returned.push(
        serde_json::to_string(
            &s.core
                .store()
                .audit_list(&AuditQuery::default())
                .await
                .unwrap(),
        )
        .unwrap(),
    );
    for r in &returned {
        assert!(!r.contains(LIVE_KEY), "the key was returned: {r}");
    }
    s.core.close().await;
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes
                .windows(LIVE_KEY.len())
                .any(|w| w == LIVE_KEY.as_bytes()),
            "the key is in {}",
            path.display()
        );
    }
}
