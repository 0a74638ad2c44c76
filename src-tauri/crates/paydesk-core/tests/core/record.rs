//! The audit record and the secrets: what someone with only the file can and cannot do.

use crate::common::*;

#[tokio::test]
async fn the_audit_chain_shows_an_altered_or_removed_row() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core.refund(&s.service, &pid, 100, 1000).await.unwrap();
    s.core.refund(&s.service, &pid, 100, 900).await.unwrap();
    let ok = s.core.audit_verify().await.unwrap();
    // The staff name being set, then two refunds of two rows each.
    assert!(ok.intact && ok.rows == 5, "{ok:?}");
    // The trail refuses changes through SQL...
    let refused = sqlx::query("UPDATE audit_log SET amount = 1 WHERE seq = 2")
        .execute(s.core.pool())
        .await;
    assert!(refused.is_err());
    // ...so a tamperer removes the guard first and edits the file's rows.
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(s.core.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET amount = 10000 WHERE seq = 2")
        .execute(s.core.pool())
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
    s2.core.refund(&s2.service, &pid2, 100, 1000).await.unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(s2.core.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        .execute(s2.core.pool())
        .await
        .unwrap();
    let cut = s2.core.audit_verify().await.unwrap();
    assert!(!cut.intact && cut.summary.contains("removed"), "{cut:?}");
}

#[tokio::test]
async fn the_audit_record_resists_a_rewrite_by_someone_with_only_the_file() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let pid = paid(&s, 1000).await;
    s.core.refund(&s.service, &pid, 100, 1000).await.unwrap();
    assert!(s.core.audit_verify().await.unwrap().intact);
    let pool = s.core.pool();
    for sql in [
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    // Edit the refund's amount, then re-chain every row from there on so
    // each row's prev_hash and hash agree, as a careful tamperer would.
    sqlx::query("UPDATE audit_log SET amount = 10000 WHERE action = 'refund'")
        .execute(pool)
        .await
        .unwrap();
    // Every field as text, in the order the record hashes them.
    let rows = sqlx::query(
        "SELECT CAST(seq AS TEXT), at, operator, service_id, service_name, action, phase, \
         coalesce(CAST(attempt_seq AS TEXT), ''), coalesce(payment_id, ''), coalesce(target_id, ''), \
         coalesce(CAST(amount AS TEXT), ''), coalesce(pay_code, ''), detail \
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut prev = "0".repeat(64);
    for r in &rows {
        use sqlx::Row;
        let fields: Vec<String> = (0..13).map(|i| r.get::<String, _>(i)).collect();
        let hash = rehash_without_the_key(&prev, &fields);
        sqlx::query("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")
            .bind(&prev)
            .bind(&hash)
            .bind(fields[0].parse::<i64>().unwrap())
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
    let rewritten = s.core.audit_verify().await.unwrap();
    assert!(!rewritten.intact, "{rewritten:?}");
    assert_eq!(rewritten.broken_at, Some(1), "{rewritten:?}");

    // Wiping the table is no escape: the keyring remembers where it ended.
    sqlx::query("DELETE FROM audit_log")
        .execute(pool)
        .await
        .unwrap();
    let wiped = s.core.audit_verify().await.unwrap();
    assert!(!wiped.intact, "{wiped:?}");
    assert!(wiped.summary.contains("removed"), "{}", wiped.summary);

    // Nor is a new database file in the same folder.
    s.core.close().await;
    drop(s.core);
    for name in ["paydesk.db", "paydesk.db-wal", "paydesk.db-shm"] {
        let _ = std::fs::remove_file(s.dir.path().join(name));
    }
    let fresh = Core::open(s.dir.path(), Arc::new(OsKeyStore::new(&s.app_id)))
        .await
        .unwrap();
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
    sqlx::query("UPDATE services SET role = 'supervisor'")
        .execute(s.core.pool())
        .await
        .unwrap();
    let err = s
        .core
        .refund(&s.service, &pid, 100, 1000)
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
    sqlx::query("UPDATE services SET role = 'call_centre', base_url = 'http://127.0.0.1:9'")
        .execute(s.core.pool())
        .await
        .unwrap();
    assert!(matches!(
        s.core.service(&s.service).await.unwrap_err(),
        CoreError::Forbidden(_)
    ));
    // Put back exactly as it was, the service works again.
    sqlx::query("UPDATE services SET base_url = ?1")
        .bind(s.sim.base_url())
        .execute(s.core.pool())
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
    let pid: String = sqlx::query_scalar(
        "SELECT payment_id FROM payments WHERE refund_status = 'available' LIMIT 1",
    )
    .fetch_one(s.core.pool())
    .await
    .unwrap();
    let available: i64 =
        sqlx::query_scalar("SELECT refund_available FROM payments WHERE payment_id = ?1")
            .bind(&pid)
            .fetch_one(s.core.pool())
            .await
            .unwrap();
    returned.push(
        serde_json::to_string(&s.core.refund(&s.service, &pid, 1, available).await.unwrap())
            .unwrap(),
    );
    returned.push(format!(
        "{:?}",
        s.core
            .refund(&s.service, &pid, 1, available)
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
