//! Writing the shared cache: upserts keyed by GOV.UK Pay's IDs, so a page
//! read twice (a resumed sync, two desktops reading the same payment) never
//! makes a duplicate.

use std::collections::HashMap;

use govpay::models::{Agreement, Dispute, Payment, Refund};
use sqlx::{Acquire, PgConnection, Postgres, QueryBuilder};

use crate::clock::{api_time_ms, now_ms};
use crate::store::cache::{metadata_text, metadata_value};
use crate::store::search::{date_key, more_tokens, next_key, search_words};
use crate::store::{StoreError, StoreErrorKind};

/// Rows per statement: 42 columns each, well inside PostgreSQL's 65,535
/// parameters.
const BATCH: usize = 100;

/// Columns written for each payment, in order.
const PAYMENT_COLUMNS: &str = "service_id, payment_id, date_key, amount, reference, description, email, status, finished,
    code, message, card_brand, card_type, first6, last4, expiry, cardholder_name, created_ms, created_date,
    captured_date, settled_date, refund_status, refund_available, refund_submitted, provider, provider_id, mode,
    moto, delayed_capture, language, agreement_id, fee, net_amount, total_amount, corporate_surcharge,
    wallet_type, three_ds_required, return_url, metadata, words, words_version, fetched_ms";

/// A payment's creation time never changes, and its place in the order was
/// made from it: kept.
const PAYMENT_UPDATE: &str = " ON CONFLICT (service_id, payment_id) DO UPDATE SET
    amount = excluded.amount, reference = excluded.reference, description = excluded.description,
    email = excluded.email, status = excluded.status, finished = excluded.finished, code = excluded.code,
    message = excluded.message, card_brand = excluded.card_brand, card_type = excluded.card_type,
    first6 = excluded.first6, last4 = excluded.last4, expiry = excluded.expiry,
    cardholder_name = excluded.cardholder_name, captured_date = excluded.captured_date,
    settled_date = excluded.settled_date, refund_status = excluded.refund_status,
    refund_available = excluded.refund_available, refund_submitted = excluded.refund_submitted,
    provider = excluded.provider, provider_id = excluded.provider_id, mode = excluded.mode,
    moto = excluded.moto, delayed_capture = excluded.delayed_capture, language = excluded.language,
    agreement_id = excluded.agreement_id, fee = excluded.fee, net_amount = excluded.net_amount,
    total_amount = excluded.total_amount, corporate_surcharge = excluded.corporate_surcharge,
    wallet_type = excluded.wallet_type, three_ds_required = excluded.three_ds_required,
    return_url = excluded.return_url, metadata = excluded.metadata, words = excluded.words,
    words_version = excluded.words_version, fetched_ms = excluded.fetched_ms";

/// The longest word kept in the word index (PostgreSQL refuses a lexeme of
/// 2 KB); no reference, email or name comes near it.
const LONGEST_WORD: usize = 2000;

/// A payment about to be written, with its creation time and the place to try.
#[derive(Clone, Copy)]
struct Keyed<'a> {
    payment: &'a Payment,
    created_ms: i64,
    key: i64,
}

/// The words a payment is found by (see `search_words`), and what beyond
/// them (see `more_tokens`).
fn words(p: &Payment) -> Vec<String> {
    let card = p.card_details.as_ref();
    words_of(&Searched {
        reference: &p.reference,
        description: &p.description,
        email: p.email.as_deref(),
        cardholder_name: card.and_then(|c| c.cardholder_name.as_deref()),
        metadata_text: &metadata_text(p),
        amount: p.amount,
        last4: card.and_then(|c| c.last_digits_card_number.as_deref()),
    })
}

/// What of a payment its words are made from.
pub(super) struct Searched<'a> {
    pub reference: &'a str,
    pub description: &'a str,
    pub email: Option<&'a str>,
    pub cardholder_name: Option<&'a str>,
    pub metadata_text: &'a str,
    pub amount: i64,
    pub last4: Option<&'a str>,
}

pub(super) fn words_of(p: &Searched<'_>) -> Vec<String> {
    let more = more_tokens(p.reference, p.email, p.cardholder_name, p.amount, p.last4);
    [
        Some(p.reference),
        Some(p.description),
        p.email,
        p.cardholder_name,
        Some(p.metadata_text),
    ]
    .into_iter()
    .flatten()
    .flat_map(|t| search_words(t).collect::<Vec<_>>())
    .chain(more)
    .filter(|w| w.len() <= LONGEST_WORD)
    .collect()
}

/// The version of `words_of` rows written now hold (the column `words_version`).
pub(super) const WORDS_VERSION: i16 = 2;

/// Writes payments (a page of a sync or a search, or one read), replacing
/// what was cached. Two payments of the same millisecond whose 12 bits of
/// hash agree (one chance in 4,096 for each such pair) are written one at a
/// time, each taking the next free place in its millisecond, as the SQLite
/// store does, so both stores order them alike.
pub(super) async fn upsert_payments(
    conn: &mut PgConnection,
    service_id: &str,
    payments: &[Payment],
) -> Result<(), StoreError> {
    // A payment twice in one statement is refused by PostgreSQL: the last
    // copy of each is written.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, p) in payments.iter().enumerate() {
        last.insert(p.payment_id.as_str(), i);
    }
    let payments: Vec<&Payment> = payments
        .iter()
        .enumerate()
        .filter(|(i, p)| last.get(p.payment_id.as_str()) == Some(i))
        .map(|(_, p)| p)
        .collect();
    let fetched = now_ms();
    for chunk in payments.chunks(BATCH) {
        let keyed: Vec<Keyed<'_>> = chunk
            .iter()
            .map(|p| {
                let created_ms = p.created_date.as_deref().and_then(api_time_ms).unwrap_or(0);
                Keyed {
                    payment: p,
                    created_ms,
                    key: date_key(created_ms, p.payment_id.as_str()),
                }
            })
            .collect();
        // In a savepoint: a clash undoes the statement, not the sync's batch.
        let mut sp = conn.begin().await?;
        match insert_payments(&mut sp, service_id, &keyed, fetched).await {
            Ok(()) => sp.commit().await?,
            Err(e) if is_key_clash(&e) => {
                sp.rollback().await?;
                for one in &keyed {
                    let mut one = *one;
                    let mut tries = 0;
                    loop {
                        let mut sp = conn.begin().await?;
                        match insert_payments(&mut sp, service_id, &[one], fetched).await {
                            Ok(()) => {
                                sp.commit().await?;
                                break;
                            }
                            Err(e) if is_key_clash(&e) && tries < 1_000 => {
                                sp.rollback().await?;
                                one.key = next_key(one.key);
                                tries += 1;
                            }
                            Err(e) => return Err(refused(e)),
                        }
                    }
                }
            }
            Err(e) => return Err(refused(e)),
        }
    }

    // Metadata values, one row each: replaced for the payments just written.
    let ids: Vec<String> = payments
        .iter()
        .map(|p| p.payment_id.as_str().to_owned())
        .collect();
    sqlx::query("DELETE FROM payment_metadata WHERE service_id = $1 AND payment_id = ANY($2)")
        .bind(service_id)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    let (mut of, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for p in &payments {
        for (k, v) in p.metadata.iter().flatten() {
            of.push(p.payment_id.as_str().to_owned());
            keys.push(k.clone());
            values.push(metadata_value(v));
        }
    }
    if !of.is_empty() {
        sqlx::query(
            "INSERT INTO payment_metadata (service_id, payment_id, key, value)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
             ON CONFLICT (service_id, payment_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(service_id)
        .bind(of)
        .bind(keys)
        .bind(values)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Another payment already holds the place in the order tried.
fn is_key_clash(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.constraint())
        .is_some_and(|c| c == "payments_date_key")
}

/// One multi-row upsert (an existing payment keeps its place).
async fn insert_payments(
    conn: &mut PgConnection,
    service_id: &str,
    keyed: &[Keyed<'_>],
    fetched: i64,
) -> Result<(), sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(format!("INSERT INTO payments ({PAYMENT_COLUMNS}) "));
    q.push_values(keyed, |mut b, k| {
        let p = k.payment;
        let card = p.card_details.as_ref();
        let refund = p.refund_summary.as_ref();
        let settlement = p.settlement_summary.as_ref();
        b.push_bind(service_id.to_owned())
            .push_bind(p.payment_id.as_str().to_owned())
            .push_bind(k.key)
            .push_bind(p.amount)
            .push_bind(p.reference.clone())
            .push_bind(p.description.clone())
            .push_bind(p.email.clone())
            .push_bind(p.state.status.as_str().to_owned())
            .push_bind(p.state.finished)
            .push_bind(p.state.code.map(|c| c.to_string()))
            .push_bind(p.state.message.clone())
            .push_bind(card.and_then(|c| c.card_brand.clone()))
            .push_bind(card.and_then(|c| c.card_type.as_ref().map(|t| t.as_str().to_owned())))
            .push_bind(card.and_then(|c| c.first_digits_card_number.clone()))
            .push_bind(card.and_then(|c| c.last_digits_card_number.clone()))
            .push_bind(card.and_then(|c| c.expiry_date.clone()))
            .push_bind(card.and_then(|c| c.cardholder_name.clone()))
            .push_bind(k.created_ms)
            .push_bind(p.created_date.clone().unwrap_or_default())
            .push_bind(settlement.and_then(|s| s.captured_date.clone()))
            .push_bind(settlement.and_then(|s| s.settled_date.clone()))
            .push_bind(refund.map(|r| r.status.as_str().to_owned()))
            .push_bind(refund.map(|r| r.amount_available))
            .push_bind(refund.map(|r| r.amount_submitted))
            .push_bind(p.payment_provider.as_ref().map(|x| x.as_str().to_owned()))
            .push_bind(p.provider_id.clone())
            .push_bind(p.authorisation_mode.as_ref().map(|x| x.as_str().to_owned()))
            .push_bind(p.moto)
            .push_bind(p.delayed_capture)
            .push_bind(p.language.clone())
            .push_bind(p.agreement_id.as_ref().map(|x| x.as_str().to_owned()))
            .push_bind(p.fee)
            .push_bind(p.net_amount)
            .push_bind(p.total_amount)
            .push_bind(p.corporate_card_surcharge)
            .push_bind(card.and_then(|c| c.wallet_type.clone()))
            .push_bind(
                p.authorisation_summary
                    .as_ref()
                    .and_then(|a| a.three_d_secure.as_ref())
                    .map(|t| t.required),
            )
            .push_bind(p.return_url.clone())
            .push_bind(
                p.metadata
                    .as_ref()
                    .map(|m| serde_json::to_string(m).unwrap_or_default()),
            )
            .push("array_to_tsvector(")
            .push_bind_unseparated(words(p))
            .push_unseparated("::text[])")
            .push_bind(WORDS_VERSION)
            .push_bind(fetched);
    });
    q.push(PAYMENT_UPDATE);
    q.build().execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn upsert_refunds(
    conn: &mut PgConnection,
    service_id: &str,
    refunds: &[Refund],
    payment_id: Option<&str>,
) -> Result<(), StoreError> {
    for r in refunds {
        let created = r.created_date.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO refunds (service_id, refund_id, payment_id, amount, status, created_ms, created_date, settled_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (service_id, refund_id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
                settled_date = excluded.settled_date, payment_id = excluded.payment_id",
        )
        .bind(service_id)
        .bind(r.refund_id.as_str())
        .bind(
            r.payment_id
                .as_ref()
                .map(|p| p.as_str())
                .or(payment_id)
                .unwrap_or_default(),
        )
        .bind(r.amount)
        .bind(r.status.as_str())
        .bind(api_time_ms(&created).unwrap_or(0))
        .bind(&created)
        .bind(r.settlement_summary.as_ref().and_then(|s| s.settled_date.clone()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn upsert_disputes(
    conn: &mut PgConnection,
    service_id: &str,
    disputes: &[Dispute],
) -> Result<(), StoreError> {
    for d in disputes {
        let created = d.created_date.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO disputes (service_id, dispute_id, payment_id, amount, fee, net_amount, status, reason, created_ms,
                created_date, evidence_due_date, settled_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (service_id, dispute_id) DO UPDATE SET status = excluded.status, fee = excluded.fee,
                net_amount = excluded.net_amount, evidence_due_date = excluded.evidence_due_date,
                settled_date = excluded.settled_date, amount = excluded.amount, reason = excluded.reason",
        )
        .bind(service_id)
        .bind(d.dispute_id.as_str())
        .bind(d.payment_id.as_str())
        .bind(d.amount)
        .bind(d.fee)
        .bind(d.net_amount)
        .bind(d.status.as_str())
        .bind(&d.reason)
        .bind(api_time_ms(&created).unwrap_or(0))
        .bind(&created)
        .bind(&d.evidence_due_date)
        .bind(d.settlement_summary.as_ref().and_then(|s| s.settled_date.clone()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn upsert_agreements(
    conn: &mut PgConnection,
    service_id: &str,
    agreements: &[Agreement],
) -> Result<(), StoreError> {
    for a in agreements {
        let instrument = a
            .payment_instrument
            .as_ref()
            .map(|i| serde_json::to_string(i).unwrap_or_default());
        sqlx::query(
            "INSERT INTO agreements (service_id, agreement_id, reference, description, status, user_identifier, created_date,
                cancelled_date, instrument)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (service_id, agreement_id) DO UPDATE SET status = excluded.status,
                cancelled_date = excluded.cancelled_date, instrument = excluded.instrument,
                reference = excluded.reference, description = excluded.description",
        )
        .bind(service_id)
        .bind(a.agreement_id.as_str())
        .bind(&a.reference)
        .bind(&a.description)
        .bind(a.status.as_str())
        .bind(&a.user_identifier)
        .bind(&a.created_date)
        .bind(&a.cancelled_date)
        .bind(instrument)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After refunds arrive, the payments they belong to get their totals from
/// them, counted as GOV.UK Pay counts them: what is available is the total
/// with a corporate card surcharge, the amount otherwise, less refunds not
/// in error.
pub(super) async fn refresh_refund_totals(
    conn: &mut PgConnection,
    service_id: &str,
    payment_ids: &[String],
) -> Result<(), StoreError> {
    if payment_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE payments p SET (refund_submitted, refund_available, refund_status) = (
            SELECT s.submitted, s.base - s.submitted,
                CASE WHEN p.refund_status IN ('available', 'full')
                    THEN CASE WHEN s.base - s.submitted <= 0 THEN 'full' ELSE 'available' END
                    ELSE p.refund_status END
            FROM (SELECT coalesce(sum(r.amount) FILTER (WHERE r.status <> 'error'), 0)::bigint AS submitted,
                    CASE WHEN coalesce(p.corporate_surcharge, 0) > 0
                        THEN coalesce(p.total_amount, p.amount) ELSE p.amount END AS base
                  FROM refunds r WHERE r.service_id = p.service_id AND r.payment_id = p.payment_id) s)
         WHERE p.service_id = $1 AND p.payment_id = ANY($2)",
    )
    .bind(service_id)
    .bind(payment_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A failed write of payments, sorted: one for a service that is not there
/// (removed meanwhile) is "not found", as on SQLite.
fn refused(e: sqlx::Error) -> StoreError {
    let constraint = e.as_database_error().and_then(|d| d.constraint());
    if constraint == Some("payments_service_id_fkey") {
        StoreError::new(StoreErrorKind::NotFound, "That service")
    } else {
        e.into()
    }
}
