//! Searching the cache with every filter, and GOV.UK Pay itself when the cache is behind.

use crate::common::*;
use govpay::models::Payment;

#[tokio::test]
async fn the_cache_answers_every_filter() {
    let s = seeded(1_000, 8, 60).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let every = every_payment(&s).await;
    assert_eq!(every.len(), 1_000);
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
    let words = every
        .iter()
        .filter(|p| has_word_starting(p, "parking"))
        .count();
    assert!(words > 0);
    assert_eq!(r.total as usize, words.min(5000));
    // The word index, and without words the b-tree indexes, give the same pages
    // in the same order as sorting every match (all of them: there are fewer
    // than the 5,000 the count stops at).
    assert!(words < 5000);
    let by_word = || PaymentQuery {
        text: Some("parking".into()),
        ..Default::default()
    };
    let by_state = || PaymentQuery {
        state: Some("success".into()),
        ..Default::default()
    };
    let word = |p: &Payment| has_word_starting(p, "parking");
    let state = |p: &Payment| p.state.status == govpay::PaymentStatus::Success;
    type Filter<'a> = &'a dyn Fn(&Payment) -> bool;
    for (base, filter, sort, page, ascending) in [
        (by_word(), &word as Filter<'_>, SortBy::Date, 1, false),
        (by_word(), &word, SortBy::Date, 2, false),
        (by_word(), &word, SortBy::Date, 1, true),
        (by_word(), &word, SortBy::Amount, 1, false),
        (by_word(), &word, SortBy::Amount, 3, true),
        (by_word(), &word, SortBy::Reference, 2, false),
        (by_word(), &word, SortBy::Reference, 1, true),
        (by_state(), &state, SortBy::Amount, 1, false),
        (by_state(), &state, SortBy::Amount, 2, true),
        (by_state(), &state, SortBy::Reference, 1, false),
    ] {
        let q = PaymentQuery {
            page,
            sort,
            ascending,
            ..base
        };
        let r = find(&s, q.clone()).await;
        let sorted = ids_in_order(&every, filter, sort, ascending, page as usize);
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert!(!got.is_empty());
        // Payments in one millisecond may come in either order; none here share one.
        assert_eq!(got, sorted, "{q:?}");
    }
    // The first six with the last four: the count and the newest.
    let card = |p: &Payment| {
        p.card_details.as_ref().and_then(|c| {
            Some((
                c.first_digits_card_number.clone()?,
                c.last_digits_card_number.clone()?,
            ))
        })
    };
    let (first6, last4) = every.iter().find_map(card).unwrap();
    let r = find(
        &s,
        PaymentQuery {
            first6: Some(first6.clone()),
            last4: Some(last4.clone()),
            ..Default::default()
        },
    )
    .await;
    let same_card = |p: &Payment| card(p) == Some((first6.clone(), last4.clone()));
    let card_count = every.iter().filter(|p| same_card(p)).count();
    assert_eq!(r.total as usize, card_count);
    assert_eq!(
        r.rows[0].payment_id,
        ids_in_order(&every, &same_card, SortBy::Date, false, 1)[0]
    );
    // Part of a name or an email: the count agrees with a plain scan, the rows match.
    let holder_of = |p: &Payment| {
        p.card_details
            .as_ref()
            .and_then(|c| c.cardholder_name.clone())
    };
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
        let value = |p: &Payment| {
            if column == "email" {
                p.email.clone()
            } else {
                holder_of(p)
            }
        };
        let holds = |p: &Payment| value(p).is_some_and(|v| v.to_lowercase().contains(&part));
        let scanned = every.iter().filter(|p| holds(p)).count();
        assert_eq!(r.total as usize, scanned.min(5000), "{column} ~ {part}");
        assert!(r.total > 0);
        // The page is the newest matches, in date order.
        let got: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert_eq!(
            got,
            ids_in_order(&every, &holds, SortBy::Date, false, 1),
            "{column} ~ {part}"
        );
    }
    let case_ref = every
        .iter()
        .find_map(|p| {
            p.metadata
                .as_ref()?
                .get("case_ref")?
                .as_str()
                .map(str::to_owned)
        })
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
    let email = every.iter().find_map(|p| p.email.clone()).unwrap();
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
    let ids = |r: &paydesk_core::search::PaymentResults| {
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

#[tokio::test]
async fn the_search_box_finds_parts_amounts_and_every_term_at_once() {
    let s = seeded(1_000, 11, 60).await;
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let every = every_payment(&s).await;
    let carded = every
        .iter()
        .filter(|p| {
            p.card_details
                .as_ref()
                .is_some_and(|c| c.cardholder_name.is_some() && c.last_digits_card_number.is_some())
                && p.email.is_some()
        })
        .nth(100)
        .unwrap();
    let card = carded.card_details.clone().unwrap();
    let name = card.cardholder_name.unwrap();
    let last4 = card.last_digits_card_number.unwrap();
    let email = carded.email.clone().unwrap();
    let reference_part = carded.reference.split('-').nth(1).unwrap().to_owned();
    let email_part = email.split(['.', '@']).nth(1).unwrap().to_owned();
    let domain = email.split('@').nth(1).unwrap().to_owned();
    let (pounds, pence) = (carded.amount / 100, carded.amount % 100);
    let typed_amount = if pence == 0 {
        format!("{pounds}")
    } else {
        format!("{pounds}.{pence:02}")
    };
    let words: Vec<&str> = name.split_whitespace().collect();

    type Term<'a> = (Option<&'a str>, Option<i64>, Option<&'a str>);
    let asked: Vec<(String, Vec<Term<'_>>)> = vec![
        // Part of a reference, after its dash ("0019992" in "PRK-0019992").
        (
            reference_part.clone(),
            vec![(Some(&reference_part), None, None)],
        ),
        // Part of an email, and its domain.
        (email_part.clone(), vec![(Some(&email_part), None, None)]),
        (domain.clone(), vec![(Some(&domain), None, None)]),
        // An amount as typed, which is also the start of a word; with a
        // pound sign, an amount alone.
        (
            typed_amount.clone(),
            vec![(Some(&typed_amount), Some(carded.amount), None)],
        ),
        (
            format!("£{pounds}.{pence:02}"),
            vec![(None, Some(carded.amount), None)],
        ),
        // A name and the card's last four: every term must match.
        (
            format!("{} {last4}", name.to_lowercase()),
            words
                .iter()
                .map(|w| (Some(*w), None, None))
                .chain([(
                    Some(last4.as_str()),
                    last4.parse::<i64>().ok().map(|n| n * 100),
                    Some(last4.as_str()),
                )])
                .collect(),
        ),
    ];
    for (text, terms) in asked {
        let holds = |p: &Payment| {
            terms
                .iter()
                .all(|(word, amount, last4)| term_matches(p, *word, *amount, *last4))
        };
        let expected = every.iter().filter(|p| holds(p)).count();
        assert!(expected > 0 && expected < 5000, "{text:?}: {expected}");
        let r = find(
            &s,
            PaymentQuery {
                text: Some(text.clone()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(r.total as usize, expected, "{text:?}: how many match");
        let ids: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
        assert_eq!(
            ids,
            ids_in_order(&every, &holds, SortBy::Date, false, 1),
            "{text:?}: the newest first"
        );
    }
    // The payment the values came from is among what the combined terms find.
    let r = find(
        &s,
        PaymentQuery {
            text: Some(format!("{email_part} {typed_amount}")),
            page_size: 200,
            ..Default::default()
        },
    )
    .await;
    assert!(
        r.rows
            .iter()
            .any(|p| p.payment_id == carded.payment_id.as_str()),
        "a part of the email with the amount"
    );
}

/// Whether a search-box term matches the payment, by the rules as written
/// (see `SearchTerm`): the start of a word of any text, or of a part of a
/// word of the reference, email or name (after `- _ @ .`, or where letters
/// turn to digits or back); the amount; the card's last four digits.
fn term_matches(p: &Payment, word: Option<&str>, pence: Option<i64>, last4: Option<&str>) -> bool {
    let card = p.card_details.as_ref();
    if pence == Some(p.amount)
        || (last4.is_some() && card.and_then(|c| c.last_digits_card_number.as_deref()) == last4)
    {
        return true;
    }
    let Some(word) = word.map(str::to_lowercase) else {
        return false;
    };
    let word_char = |c: char| c.is_alphanumeric() || "-_@.".contains(c);
    let starts_in = |text: &str, parts: bool| {
        let t: Vec<char> = text.to_lowercase().chars().collect();
        (0..t.len()).any(|i| {
            let begins = i == 0
                || (!word_char(t[i - 1]) && word_char(t[i]))
                || (parts
                    && t[i].is_alphanumeric()
                    && (!t[i - 1].is_alphanumeric() || t[i - 1].is_numeric() != t[i].is_numeric()));
            begins && t[i..].iter().collect::<String>().starts_with(&word)
        })
    };
    let holder = card.and_then(|c| c.cardholder_name.clone());
    let parted = [Some(p.reference.clone()), p.email.clone(), holder];
    let metadata = p.metadata.iter().flat_map(|m| m.values()).map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    parted.iter().flatten().any(|t| starts_in(t, true))
        || std::iter::once(p.description.clone())
            .chain(metadata)
            .any(|t| starts_in(&t, false))
}

/// Whether a word of the payment's reference, description, email, cardholder
/// name or metadata values starts with `prefix` (words are runs of letters
/// and digits, compared in lower case).
fn has_word_starting(p: &Payment, prefix: &str) -> bool {
    let metadata = p.metadata.iter().flat_map(|m| m.values()).map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let holder = p
        .card_details
        .as_ref()
        .and_then(|c| c.cardholder_name.clone());
    [
        Some(p.reference.clone()),
        Some(p.description.clone()),
        p.email.clone(),
        holder,
    ]
    .into_iter()
    .flatten()
    .chain(metadata)
    .any(|text| {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.starts_with(prefix))
    })
}

/// The IDs on a page of 20 of the payments `filter` keeps, sorted as the
/// search sorts them: ties in amount or reference newest first.
fn ids_in_order(
    every: &[Payment],
    filter: &dyn Fn(&Payment) -> bool,
    sort: SortBy,
    ascending: bool,
    page: usize,
) -> Vec<String> {
    let created =
        |p: &Payment| paydesk_core::clock::api_time_ms(p.created_date.as_deref().unwrap()).unwrap();
    let mut kept: Vec<&Payment> = every.iter().filter(|p| filter(p)).collect();
    kept.sort_by(|a, b| {
        let by = match sort {
            SortBy::Date => created(a)
                .cmp(&created(b))
                .then_with(|| a.payment_id.as_str().cmp(b.payment_id.as_str())),
            SortBy::Amount => a.amount.cmp(&b.amount),
            SortBy::Reference => a
                .reference
                .to_ascii_lowercase()
                .cmp(&b.reference.to_ascii_lowercase()),
        };
        let by = if ascending { by } else { by.reverse() };
        by.then_with(|| created(b).cmp(&created(a)))
    });
    kept.iter()
        .skip((page - 1) * 20)
        .take(20)
        .map(|p| p.payment_id.as_str().to_owned())
        .collect()
}

/// The admin tool's other filters: several statuses and card brands at once,
/// an amount range, refunds and disputes; each checked against what GOV.UK
/// Pay (the simulator) says of every payment, alone and together.
#[tokio::test]
async fn several_statuses_and_brands_amounts_refunds_and_disputes() {
    use paydesk_core::search::{DisputeFilter, RefundFilter, StatusGroup};
    let s = seeded(800, 12, 40).await;
    let every = every_payment(&s).await;
    let before = all_disputes(&s).await;
    let disputed: Vec<String> = every
        .iter()
        .filter(|p| p.state.status == govpay::PaymentStatus::Success)
        .filter(|p| !before.iter().any(|d| d.payment_id == p.payment_id))
        .take(3)
        .map(|p| p.payment_id.as_str().to_owned())
        .collect();
    s.sim
        .control()
        .raise_dispute(&disputed[0], "fraudulent", 5)
        .unwrap();
    let won = s
        .sim
        .control()
        .raise_dispute(&disputed[1], "fraudulent", 5)
        .unwrap();
    s.sim.control().resolve_dispute(&won, "won").unwrap();
    let refunded = disputed[2].clone();
    s.sim.control().refund_elsewhere(&refunded, 100).unwrap();
    s.core
        .sync_service(&s.service, &SyncCancel::default(), &no_progress())
        .await
        .unwrap();
    let every = every_payment(&s).await;

    // Every page of what matches: how many, and which.
    let count = |q: PaymentQuery| {
        let s = &s;
        async move {
            let mut ids = Vec::new();
            let mut total = 0;
            for page in 1..=10 {
                let r = find(
                    s,
                    PaymentQuery {
                        page,
                        page_size: 200,
                        ..q.clone()
                    },
                )
                .await;
                assert!(!r.total_is_capped);
                total = r.total as usize;
                let last = r.rows.len() < 200;
                ids.extend(r.rows.into_iter().map(|p| p.payment_id));
                if last {
                    break;
                }
            }
            ids.sort();
            (total, ids)
        }
    };
    let expect = |keep: &dyn Fn(&govpay::models::Payment) -> bool| {
        let mut ids: Vec<String> = every
            .iter()
            .filter(|p| keep(p))
            .map(|p| p.payment_id.as_str().to_owned())
            .collect();
        ids.sort();
        (ids.len(), ids)
    };
    let brand = |p: &govpay::models::Payment| {
        p.card_details
            .as_ref()
            .and_then(|c| c.card_brand.clone())
            .unwrap_or_default()
    };
    let group = |p: &govpay::models::Payment| {
        StatusGroup::of(
            p.state.status.as_str(),
            p.state.code.map(|c| c.to_string()).as_deref(),
        )
    };

    // Several statuses: a group and one of GOV.UK Pay's own states.
    let want = expect(&|p| {
        group(p) == Some(StatusGroup::Declined)
            || p.state.status == govpay::PaymentStatus::Cancelled
    });
    assert!(want.0 > 0);
    let got = count(PaymentQuery {
        states: vec!["declined".into(), "cancelled".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(got, want, "declined or cancelled");

    // Several brands.
    let want = expect(&|p| ["Visa", "Mastercard"].contains(&brand(p).as_str()));
    assert!(want.0 > 0 && want.0 < every.len());
    let got = count(PaymentQuery {
        card_brands: vec!["Visa".into(), "Mastercard".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(got, want, "Visa or Mastercard");

    // An amount range, both ends inclusive, with a status.
    let mut amounts: Vec<i64> = every.iter().map(|p| p.amount).collect();
    amounts.sort();
    let (low, high) = (amounts[200], amounts[400]);
    let want = expect(&|p| {
        (low..=high).contains(&p.amount) && p.state.status == govpay::PaymentStatus::Success
    });
    assert!(want.0 > 0);
    let got = count(PaymentQuery {
        amount_from: Some(low),
        amount_to: Some(high),
        states: vec!["success".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(got, want, "{low}p to {high}p, succeeded");

    // Refunds: some, all, none.
    let submitted =
        |p: &govpay::models::Payment| p.refund_summary.as_ref().map_or(0, |r| r.amount_submitted);
    let got = count(PaymentQuery {
        refunds: Some(RefundFilter::Refunded),
        ..Default::default()
    })
    .await;
    assert_eq!(got, expect(&|p| submitted(p) > 0), "refunded");
    assert!(got.1.contains(&refunded));
    let got = count(PaymentQuery {
        refunds: Some(RefundFilter::FullyRefunded),
        ..Default::default()
    })
    .await;
    assert_eq!(
        got,
        expect(&|p| p
            .refund_summary
            .as_ref()
            .is_some_and(|r| r.status == govpay::RefundAvailability::Full)),
        "fully refunded"
    );
    let got = count(PaymentQuery {
        refunds: Some(RefundFilter::NotRefunded),
        amount_from: Some(low),
        ..Default::default()
    })
    .await;
    assert_eq!(
        got,
        expect(&|p| submitted(p) == 0 && p.amount >= low),
        "not refunded"
    );

    // Disputes: any, and by the dispute's status.
    let disputes = all_disputes(&s).await;
    let disputed_with = |status: Option<&str>| {
        let mut ids: Vec<String> = disputes
            .iter()
            .filter(|d| status.is_none_or(|st| d.status.as_str() == st))
            .map(|d| d.payment_id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        (ids.len(), ids)
    };
    let got = count(PaymentQuery {
        dispute: Some(DisputeFilter::Any),
        ..Default::default()
    })
    .await;
    assert_eq!(got, disputed_with(None));
    assert!(got.1.contains(&disputed[0]) && got.1.contains(&disputed[1]));
    let got = count(PaymentQuery {
        dispute: Some(DisputeFilter::Won),
        ..Default::default()
    })
    .await;
    assert_eq!(got, disputed_with(Some("won")));
    assert!(got.1.contains(&disputed[1]));
    let got = count(PaymentQuery {
        dispute: Some(DisputeFilter::NeedsResponse),
        text: Some(disputed[1].clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(got.0, 0, "won is not waiting for a response");

    // Bad values are refused by name, before any search.
    let err = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                states: vec!["success".into(), "paid".into()],
                card_brands: vec![" ".into()],
                amount_from: Some(5_000),
                amount_to: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let CoreError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["states", "cardBrands", "amountFrom"]);
    let err = s
        .core
        .payments_search(
            &s.service,
            &PaymentQuery {
                amount_to: Some(10_000_001),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Validation(f) if f[0].field == "amountTo"),
        "{err:?}"
    );
    // GOV.UK Pay's live search cannot ask these: refused, not left out.
    let err = s
        .core
        .payments_search_live(
            &s.service,
            &PaymentQuery {
                dispute: Some(DisputeFilter::Any),
                states: vec!["success".into(), "failed".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let CoreError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["states", "dispute"]);
    // The one-status field and the list together are two statuses too.
    let err = s
        .core
        .payments_search_live(
            &s.service,
            &PaymentQuery {
                state: Some("success".into()),
                states: vec!["failed".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoreError::Validation(f) if f[0].field == "states"),
        "{err:?}"
    );
}

/// Every dispute of the service's account, as GOV.UK Pay lists them.
async fn all_disputes(s: &Setup) -> Vec<govpay::models::Dispute> {
    sim_client(s)
        .disputes()
        .search_all(&Default::default())
        .collect_all()
        .await
        .unwrap()
}
