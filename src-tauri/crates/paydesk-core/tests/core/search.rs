//! Searching the cache with every filter, and GOV.UK Pay itself when the cache is behind.

use crate::common::*;

#[tokio::test]
async fn the_cache_answers_every_filter() {
    let s = seeded(1_000, 8, 60).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let pool = s.core.pool();
    let all = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                page_size: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 1_000);
    let newest = &all.rows[0];

    let r = find(
        &s,
        PaymentQuery {
            text: Some(newest.payment_id.to_uppercase()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.rows.len(), 1, "a payment ID in the search box");
    let r = find(
        &s,
        PaymentQuery {
            text: Some(newest.reference.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.rows.iter().any(|p| p.payment_id == newest.payment_id),
        "a reference in the search box"
    );
    let r = find(
        &s,
        PaymentQuery {
            reference: Some(newest.reference.to_lowercase()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        r.rows[0].payment_id, newest.payment_id,
        "reference filter ignores case"
    );
    let r = find(
        &s,
        PaymentQuery {
            last4: Some("1111".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0 && r.rows.iter().all(|p| p.last4.as_deref() == Some("1111")));
    let r = find(
        &s,
        PaymentQuery {
            text: Some("1111".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0, "last four digits in the search box");
    let r = find(
        &s,
        PaymentQuery {
            state: Some("failed".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total > 0 && r.rows.iter().all(|p| p.status == "failed"));
    let r = find(
        &s,
        PaymentQuery {
            card_brand: Some("Mastercard".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.total > 0
            && r.rows
                .iter()
                .all(|p| p.card_brand.as_deref() == Some("Mastercard"))
    );
    let holder = all_with_holder(&s).await;
    let first_name = holder.split(' ').next().unwrap().to_owned();
    let r = find(
        &s,
        PaymentQuery {
            text: Some(first_name.to_lowercase()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.total > 0
            && r.rows.iter().all(|p| p
                .cardholder_name
                .as_deref()
                .unwrap_or("")
                .contains(&first_name)
                || p.email
                    .as_deref()
                    .unwrap_or("")
                    .contains(&first_name.to_lowercase()))
    );
    // A word in the search box: the count agrees with the word index itself.
    let r = find(
        &s,
        PaymentQuery {
            text: Some("parking".into()),
            ..Default::default()
        },
    )
    .await;
    let words: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH '\"parking\"*'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(words > 0);
    assert_eq!(i64::from(r.total), words.min(5000));
    // The word index, and without words the b-tree indexes, give the same pages
    // in the same order as sorting every match in SQL (all of them: there are
    // fewer than the 5,000 the count stops at).
    assert!(words < 5000);
    let by_word = || PaymentQuery {
        text: Some("parking".into()),
        ..Default::default()
    };
    let by_state = || PaymentQuery {
        state: Some("success".into()),
        ..Default::default()
    };
    let word_sql =
        "rowid IN (SELECT rowid FROM payments_fts WHERE payments_fts MATCH '\"parking\"*')";
    let state_sql = "status = 'success'";
    for (base, filter, sort, page, ascending) in [
        (by_word(), word_sql, SortBy::Date, 1, false),
        (by_word(), word_sql, SortBy::Date, 2, false),
        (by_word(), word_sql, SortBy::Date, 1, true),
        (by_word(), word_sql, SortBy::Amount, 1, false),
        (by_word(), word_sql, SortBy::Amount, 3, true),
        (by_word(), word_sql, SortBy::Reference, 2, false),
        (by_word(), word_sql, SortBy::Reference, 1, true),
        (by_state(), state_sql, SortBy::Amount, 1, false),
        (by_state(), state_sql, SortBy::Amount, 2, true),
        (by_state(), state_sql, SortBy::Reference, 1, false),
    ] {
        let r = find(
            &s,
            PaymentQuery {
                page,
                sort,
                ascending,
                ..base
            },
        )
        .await;
        let direction = if ascending { "ASC" } else { "DESC" };
        let order = match sort {
            SortBy::Date => format!("created_ms {direction}, payment_id"),
            // Ties in amount or reference: newest first (rowids run newest first).
            SortBy::Amount => format!("amount {direction}, rowid"),
            SortBy::Reference => format!("reference COLLATE NOCASE {direction}, rowid"),
        };
        let sorted: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT payment_id FROM payments WHERE {filter} ORDER BY {order} LIMIT 20 OFFSET {}",
            (page - 1) * 20
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert!(!got.is_empty());
        // Payments in one millisecond may come in either order; none here share one.
        assert_eq!(
            got, sorted,
            "{filter}: {sort:?} page {page}, ascending {ascending}"
        );
    }
    // The first six with the last four: the count and the newest.
    let (first6, last4): (String, String) = sqlx::query_as(
        "SELECT first6, last4 FROM payments WHERE first6 IS NOT NULL ORDER BY rowid LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let r = find(
        &s,
        PaymentQuery {
            first6: Some(first6.clone()),
            last4: Some(last4.clone()),
            ..Default::default()
        },
    )
    .await;
    let (card_count, newest_of_card): (i64, String) = sqlx::query_as(
        "SELECT count(*), (SELECT payment_id FROM payments WHERE first6 = ?1 AND last4 = ?2
            ORDER BY created_ms DESC LIMIT 1) FROM payments WHERE first6 = ?1 AND last4 = ?2",
    )
    .bind(&first6)
    .bind(&last4)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(i64::from(r.total), card_count);
    assert_eq!(r.rows[0].payment_id, newest_of_card);
    // Part of a name or an email: the count agrees with a plain scan, the rows match.
    for (part, column) in [
        (first_name[1..4].to_lowercase(), "cardholder_name"),
        ("xample.or".to_owned(), "email"),
    ] {
        let q = if column == "email" {
            PaymentQuery {
                email: Some(part.clone()),
                ..Default::default()
            }
        } else {
            PaymentQuery {
                cardholder_name: Some(part.clone()),
                ..Default::default()
            }
        };
        let r = find(&s, q).await;
        let sql = if column == "email" {
            "SELECT count(*) FROM payments WHERE email LIKE ?1"
        } else {
            "SELECT count(*) FROM payments WHERE cardholder_name LIKE ?1"
        };
        let scanned: i64 = sqlx::query_scalar(sql)
            .bind(format!("%{part}%"))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(i64::from(r.total), scanned.min(5000), "{column} ~ {part}");
        assert!(r.total > 0);
        // The page is the newest matches, in date order.
        let newest: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT payment_id FROM payments WHERE {column} LIKE ?1 ORDER BY created_ms DESC, rowid LIMIT 20"
        )))
        .bind(format!("%{part}%"))
        .fetch_all(pool)
        .await
        .unwrap();
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert_eq!(got, newest, "{column} ~ {part}");
        assert!(r.rows.iter().all(|p| {
            let v = if column == "email" {
                p.email.clone()
            } else {
                p.cardholder_name.clone()
            };
            v.unwrap_or_default().to_lowercase().contains(&part)
        }));
    }
    let case_ref: String =
        sqlx::query_scalar("SELECT value FROM payment_metadata WHERE key = 'case_ref' LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let r = find(
        &s,
        PaymentQuery {
            metadata_value: Some(case_ref.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total >= 1, "metadata value {case_ref}");
    let r = find(
        &s,
        PaymentQuery {
            text: Some(case_ref.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(r.total >= 1, "metadata values are in the full-text index");
    let cutoff = paydesk_core::clock::api_time_ms(&newest.created_date).unwrap();
    let r = find(
        &s,
        PaymentQuery {
            from_ms: Some(cutoff),
            ..Default::default()
        },
    )
    .await;
    assert!(r.rows.iter().all(|p| p.created_date >= newest.created_date));
    let err = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                last4: Some("12".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Validation(ref f) if f[0].field == "last4"),
        "{err:?}"
    );

    // A second service on this desktop holding the same payments (another
    // team's view of the account): each service's searches find its own only.
    let holder = all_with_holder(&s).await;
    let email: String =
        sqlx::query_scalar("SELECT email FROM payments WHERE email IS NOT NULL LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let text = |t: &str| PaymentQuery {
        text: Some(t.to_owned()),
        ..Default::default()
    };
    let queries = [
        text("parking"),
        text(&holder),
        text(&holder[..3]),
        PaymentQuery {
            state: Some("success".into()),
            ..text("parking")
        },
        PaymentQuery {
            cardholder_name: Some(holder[1..5].to_owned()),
            ..Default::default()
        },
        PaymentQuery {
            email: Some(email[1..6].to_owned()),
            ..Default::default()
        },
    ];
    let mut alone = Vec::new();
    for q in &queries {
        alone.push(find(&s, q.clone()).await);
    }
    let second = add_same_account(&s.core, &s, "Parking, second team").await;
    s.core
        .sync_service(&second, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let ids = |r: &paydesk_core::lookup::PaymentResults| {
        r.rows
            .iter()
            .map(|p| p.payment_id.clone())
            .collect::<Vec<_>>()
    };
    for (q, before) in queries.iter().zip(&alone) {
        assert!(before.total > 0, "{q:?}");
        let first = find(&s, q.clone()).await;
        let other = s.core.payments_search(&second, q).await.unwrap();
        assert_eq!(first.total, before.total, "{q:?}");
        assert_eq!(ids(&first), ids(before), "{q:?}");
        assert_eq!(other.total, before.total, "{q:?}");
        assert_eq!(ids(&other), ids(before), "{q:?}");
    }
}

#[tokio::test]
async fn a_live_search_finds_what_the_cache_has_not_seen_yet() {
    let s = setup(Role::CallCentre, |_| {}).await;
    let pid = paid(&s, 700).await;
    let by_ref = PaymentQuery {
        text: Some("REF-1".into()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search(&s.service, &by_ref)
            .await
            .unwrap()
            .total,
        0
    );
    let live = s
        .core
        .payments_search_live(&s.service, &by_ref)
        .await
        .unwrap();
    assert_eq!(live.rows.len(), 1);
    assert_eq!(live.rows[0].payment_id, pid);
    // Now the cache has it too.
    assert_eq!(
        s.core
            .payments_search(&s.service, &by_ref)
            .await
            .unwrap()
            .total,
        1
    );
    let by_id = PaymentQuery {
        text: Some(pid.clone()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search_live(&s.service, &by_id)
            .await
            .unwrap()
            .rows[0]
            .payment_id,
        pid
    );
    let last4 = PaymentQuery {
        text: Some("1111".into()),
        ..PaymentQuery::default()
    };
    assert_eq!(
        s.core
            .payments_search_live(&s.service, &last4)
            .await
            .unwrap()
            .total,
        1
    );
}
