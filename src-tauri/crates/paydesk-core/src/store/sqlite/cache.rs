//! The local cache: what GOV.UK Pay holds, kept per service in SQLite so that a
//! caseworker's lookup is instant. Writes are upserts keyed by GOV.UK Pay's ids,
//! so reading the same page twice (a resumed sync) never makes a duplicate.

use std::collections::HashMap;

use govpay::models::{Agreement, Dispute, Payment, PaymentEvent, Refund};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::store::StoreError;
use crate::store::StoreErrorKind;
use crate::store::cache::{metadata_text, metadata_value};
use crate::store::rows::{ROW_COLUMNS, payment_row};
use crate::store::search::{COUNT_LIMIT, TIE_MASK, date_key, more_tokens, next_key};

pub use crate::clock::{api_time_ms, now_ms};

/// Bits of a rowid below its service's slot: every date key fits under them.
const SLOT_SHIFT: u32 = 54;
const DATE_KEY_MASK: i64 = (1 << SLOT_SHIFT) - 1;

/// The rowids one service's payments take: its slot in the top bits, a date
/// key below (see `payments` in the schema, migrations/). Inclusive at both ends.
/// A service that does not exist gets a range no payment is in.
pub(crate) async fn service_rowids(
    conn: &mut SqliteConnection,
    service_id: &str,
) -> Result<(i64, i64), StoreError> {
    let slot: Option<i64> = sqlx::query_scalar("SELECT slot FROM services WHERE id = ?1")
        .bind(service_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    Ok(match slot {
        Some(slot) => (slot << SLOT_SHIFT, (slot << SLOT_SHIFT) | DATE_KEY_MASK),
        None => (-1, -2),
    })
}

/// The creation time a rowid was made from.
#[cfg(test)]
pub(crate) fn key_ms(key: i64) -> i64 {
    use crate::store::search::{MAX_MS, TIE_BITS};
    MAX_MS - ((key & DATE_KEY_MASK) >> TIE_BITS)
}

/// What the payment is found by beyond its words (see `more_tokens`).
fn search_more(p: &Payment) -> String {
    let card = p.card_details.as_ref();
    more_tokens(
        &p.reference,
        p.email.as_deref(),
        card.and_then(|c| c.cardholder_name.as_deref()),
        p.amount,
        card.and_then(|c| c.last_digits_card_number.as_deref()),
    )
    .join(" ")
}

/// Columns written for each payment, in order.
const PAYMENT_COLUMNS: &str = "rowid, service_id, payment_id, amount, reference, description, email, status, finished, code, message,
    card_brand, card_type, first6, last4, expiry, cardholder_name, created_ms, created_date, captured_date, settled_date,
    refund_status, refund_available, refund_submitted, provider, provider_id, mode, moto, delayed_capture, language,
    agreement_id, fee, net_amount, total_amount, corporate_surcharge, wallet_type, three_ds_required, return_url,
    metadata, metadata_text, search_more, fetched_ms";

/// A payment's creation time never changes, and its rowid was made from it: kept.
const PAYMENT_UPDATE: &str = " DO UPDATE SET
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
    return_url = excluded.return_url, metadata = excluded.metadata,
    metadata_text = excluded.metadata_text, search_more = excluded.search_more,
    fetched_ms = excluded.fetched_ms";

/// How a payment already cached is found when it is written again.
#[derive(Clone, Copy)]
enum Find {
    /// By its ID, through the payment-ID index.
    ById,
    /// By the rowid tried, while a first fill has that index aside: a row
    /// there that holds another payment is left alone and counts as not written.
    ByRowid,
}

impl Find {
    fn clause(self) -> String {
        match self {
            Find::ById => format!(" ON CONFLICT (service_id, payment_id){PAYMENT_UPDATE}"),
            Find::ByRowid => format!(
                " ON CONFLICT (rowid){PAYMENT_UPDATE}
                  WHERE payments.service_id = excluded.service_id AND payments.payment_id = excluded.payment_id"
            ),
        }
    }
}

/// Rows per statement: 40 columns each, well inside SQLite's limit on parameters.
const BATCH: usize = 100;

/// Writes payments (a page of a search, or one read), replacing what was cached.
/// A page is written in a few multi-row statements, not a statement per payment,
/// and nothing is read back: each rowid is known before the write (an existing
/// payment keeps its own), and the metadata finds its payment by ID. While a
/// first fill has the payment-ID index aside, see `upsert_by_rowid`.
pub async fn upsert_payments(
    conn: &mut SqliteConnection,
    service_id: &str,
    payments: &[Payment],
) -> Result<(), StoreError> {
    match upsert_payments_once(conn, service_id, payments).await {
        // A first fill set the payment-ID index aside, or built it back,
        // between the look for it and the write: once more, the other way.
        // Every write is an upsert, so what was written before is written again.
        Err(e) if crate::store::sqlite::error::is_index_race(&e) => {
            upsert_payments_once(conn, service_id, payments).await
        }
        other => other,
    }
}

async fn upsert_payments_once(
    conn: &mut SqliteConnection,
    service_id: &str,
    payments: &[Payment],
) -> Result<(), StoreError> {
    let fetched = now_ms();
    let (base, _) = service_rowids(conn, service_id).await?;
    if base < 0 {
        return Err(StoreError::new(StoreErrorKind::NotFound, "That service"));
    }
    if !payment_id_index(conn).await? {
        return upsert_by_rowid(conn, service_id, base, payments, fetched).await;
    }
    for chunk in payments.chunks(BATCH) {
        let keyed = keyed(chunk, base);
        match insert_payments(conn, service_id, &keyed, fetched, Find::ById).await {
            Ok(_) => {}
            // Two payments in the same millisecond with the same 12 bits (one
            // chance in 4,096 for each such pair): one at a time, each taking
            // the next free number in its millisecond.
            Err(e) if is_rowid_clash(&e) => {
                for one in &keyed {
                    let mut one = *one;
                    let mut tries = 0;
                    loop {
                        match insert_payments(conn, service_id, &[one], fetched, Find::ById).await {
                            Ok(_) => break,
                            Err(e) if is_rowid_clash(&e) && tries < 1_000 => {
                                one.rowid = next_key(one.rowid);
                                tries += 1;
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }

    // Metadata values, one row each: replaced for the payments just written.
    let ids = serde_json::to_string(
        &payments
            .iter()
            .map(|p| p.payment_id.as_str())
            .collect::<Vec<_>>(),
    )
    .map_err(|e| StoreError::other(format!("cannot list payment IDs: {e}")))?;
    sqlx::query(
        "DELETE FROM payment_metadata WHERE payment_rowid IN (
            SELECT rowid FROM payments WHERE service_id = ?1 AND payment_id IN (SELECT value FROM json_each(?2)))",
    )
    .bind(service_id)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    let values: Vec<(&str, &String, String)> = payments
        .iter()
        .filter_map(|p| Some((p.payment_id.as_str(), p.metadata.as_ref()?)))
        .flat_map(|(id, m)| m.iter().map(move |(k, v)| (id, k, metadata_value(v))))
        .collect();
    for rows in values.chunks(300) {
        let mut ins = QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO payment_metadata (payment_rowid, key, value)
             SELECT p.rowid, v.column2, v.column3 FROM (",
        );
        ins.push_values(rows, |mut b, (id, key, value)| {
            b.push_bind(*id)
                .push_bind((*key).clone())
                .push_bind(value.clone());
        });
        ins.push(") AS v JOIN payments p ON p.service_id = ");
        ins.push_bind(service_id);
        ins.push(" AND p.payment_id = v.column1");
        ins.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether the payment-ID index is in place (a first fill sets it aside).
async fn payment_id_index(conn: &mut SqliteConnection) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'payments_payment_id')",
    )
    .fetch_one(conn)
    .await?)
}

/// Each payment with its creation time and the rowid to try first.
fn keyed(payments: &[Payment], base: i64) -> Vec<Keyed<'_>> {
    payments
        .iter()
        .map(|p| {
            let created_ms = p.created_date.as_deref().and_then(api_time_ms).unwrap_or(0);
            Keyed {
                payment: p,
                created_ms,
                rowid: base | date_key(created_ms, p.payment_id.as_str()),
            }
        })
        .collect()
}

/// `upsert_payments` while the payment-ID index is aside. A payment's rowid
/// is made from its creation time and ID, so writing the same payment again
/// meets its own row there. When a row holds another payment (the same
/// millisecond and the same 12 bits), the next numbers in that millisecond are
/// tried in turn, as a first write does, until one is free or holds this
/// payment. A payment whose row is not where this walk ends (an older cache
/// numbered it otherwise, or a row earlier in the walk was freed since) gets a
/// second row; the older one is removed when the index is built again (`bulk`).
async fn upsert_by_rowid(
    conn: &mut SqliteConnection,
    service_id: &str,
    base: i64,
    payments: &[Payment],
    fetched: i64,
) -> Result<(), StoreError> {
    // Each payment given counts once in the rows written, inserted or updated
    // (a second copy of one updates the first); one skipped counts nothing.
    let mut placed: Vec<(i64, &Payment)> = Vec::with_capacity(payments.len());
    for chunk in payments.chunks(BATCH) {
        let keyed = keyed(chunk, base);
        let written = insert_payments(conn, service_id, &keyed, fetched, Find::ByRowid).await?;
        if written == keyed.len() as u64 {
            placed.extend(keyed.iter().map(|k| (k.rowid, k.payment)));
            continue;
        }
        let tried = serde_json::to_string(&keyed.iter().map(|k| k.rowid).collect::<Vec<_>>())
            .map_err(|e| StoreError::other(format!("cannot list rowids: {e}")))?;
        let held: HashMap<i64, String> = sqlx::query_as(
            "SELECT rowid, payment_id FROM payments WHERE rowid IN (SELECT value FROM json_each(?1))",
        )
        .bind(tried)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        for k in &keyed {
            let mut one = *k;
            // Not the row the statement above wrote it to: another payment was there.
            if held.get(&one.rowid).map(String::as_str) != Some(one.payment.payment_id.as_str()) {
                let mut tries = 0;
                loop {
                    if tries == 1_000 {
                        return Err(StoreError::other(format!(
                            "no free place for payment {} in its millisecond",
                            one.payment.payment_id.as_str()
                        )));
                    }
                    one.rowid = next_key(one.rowid);
                    tries += 1;
                    if insert_payments(conn, service_id, &[one], fetched, Find::ByRowid).await? == 1
                    {
                        break;
                    }
                }
            }
            placed.push((one.rowid, one.payment));
        }
    }

    // Metadata values, one row each, replaced for the rows just written.
    let rowids = serde_json::to_string(&placed.iter().map(|(r, _)| *r).collect::<Vec<_>>())
        .map_err(|e| StoreError::other(format!("cannot list rowids: {e}")))?;
    sqlx::query(
        "DELETE FROM payment_metadata WHERE payment_rowid IN (SELECT value FROM json_each(?1))",
    )
    .bind(rowids)
    .execute(&mut *conn)
    .await?;
    let values: Vec<(i64, &String, String)> = placed
        .iter()
        .filter_map(|(rowid, p)| Some((*rowid, p.metadata.as_ref()?)))
        .flat_map(|(rowid, m)| m.iter().map(move |(k, v)| (rowid, k, metadata_value(v))))
        .collect();
    for rows in values.chunks(300) {
        let mut ins = QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO payment_metadata (payment_rowid, key, value) ",
        );
        ins.push_values(rows, |mut b, (rowid, key, value)| {
            b.push_bind(*rowid)
                .push_bind((*key).clone())
                .push_bind(value.clone());
        });
        ins.build().execute(&mut *conn).await?;
    }
    Ok(())
}

fn is_rowid_clash(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.message().contains("payments.rowid"))
}

/// A payment about to be written, with its creation time and the rowid to try.
#[derive(Clone, Copy)]
struct Keyed<'a> {
    payment: &'a Payment,
    created_ms: i64,
    rowid: i64,
}

/// One multi-row upsert (an existing payment keeps its rowid).
async fn insert_payments(
    conn: &mut SqliteConnection,
    service_id: &str,
    keyed: &[Keyed<'_>],
    fetched: i64,
    find: Find,
) -> Result<u64, sqlx::Error> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO payments ({PAYMENT_COLUMNS}) "));
    q.push_values(keyed, |mut b, k| {
        let p = k.payment;
        let card = p.card_details.as_ref();
        let refund = p.refund_summary.as_ref();
        let settlement = p.settlement_summary.as_ref();
        b.push_bind(k.rowid)
            .push_bind(service_id.to_owned())
            .push_bind(p.payment_id.as_str().to_owned())
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
            .push_bind(metadata_text(p))
            .push_bind(search_more(p))
            .push_bind(fetched);
    });
    q.push(find.clause());
    Ok(q.build().execute(&mut *conn).await?.rows_affected())
}

pub async fn upsert_refunds(
    conn: &mut SqliteConnection,
    service_id: &str,
    refunds: &[Refund],
    payment_id: Option<&str>,
) -> Result<(), StoreError> {
    for chunk in refunds.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO refunds (service_id, refund_id, payment_id, amount, status, created_ms, created_date, settled_date) ",
        );
        q.push_values(chunk, |mut b, r| {
            let created = r.created_date.clone().unwrap_or_default();
            b.push_bind(service_id.to_owned())
                .push_bind(r.refund_id.as_str().to_owned())
                .push_bind(
                    r.payment_id
                        .as_ref()
                        .map(|p| p.as_str())
                        .or(payment_id)
                        .unwrap_or_default()
                        .to_owned(),
                )
                .push_bind(r.amount)
                .push_bind(r.status.as_str().to_owned())
                .push_bind(api_time_ms(&created).unwrap_or(0))
                .push_bind(created)
                .push_bind(
                    r.settlement_summary
                        .as_ref()
                        .and_then(|s| s.settled_date.clone()),
                );
        });
        q.push(
            " ON CONFLICT (service_id, refund_id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
                settled_date = excluded.settled_date, payment_id = excluded.payment_id",
        );
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn upsert_disputes(
    conn: &mut SqliteConnection,
    service_id: &str,
    disputes: &[Dispute],
) -> Result<(), StoreError> {
    for d in disputes {
        let created = d.created_date.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO disputes (service_id, dispute_id, payment_id, amount, fee, net_amount, status, reason, created_ms,
                created_date, evidence_due_date, settled_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
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

pub async fn upsert_agreements(
    conn: &mut SqliteConnection,
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
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

/// Replaces a payment's cached events with what GOV.UK Pay returned.
pub async fn replace_events(
    conn: &mut SqliteConnection,
    service_id: &str,
    payment_id: &str,
    events: &[PaymentEvent],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM payment_events WHERE service_id = ?1 AND payment_id = ?2")
        .bind(service_id)
        .bind(payment_id)
        .execute(&mut *conn)
        .await?;
    for (seq, e) in events.iter().enumerate() {
        sqlx::query(
            "INSERT INTO payment_events (service_id, payment_id, seq, status, finished, code, message, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(service_id)
        .bind(payment_id)
        .bind(seq as i64)
        .bind(e.state.status.as_str())
        .bind(e.state.finished)
        .bind(e.state.code.map(|c| c.to_string()))
        .bind(&e.state.message)
        .bind(&e.updated)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- search --------------------------------------------------------------------

pub use crate::store::search::{
    PaymentQuery, PaymentResults, PaymentRow, RAW_STATES, SearchTerm, SearchText, SortBy,
    StatusFilter, StatusGroup,
};
use crate::store::search::{amount_token, last4_token, search_words};

/// The search box's terms as an FTS5 query: every term, each matched any way
/// it reads (see `SearchTerm`): a word's start, its amount's token, its last
/// four digits' token. The word index holds all three, so one query answers.
/// A word longer than the index's prefixes is asked as the tokens it starts
/// (`long`, see `long_words`) when they are known.
fn fts_query(terms: &[SearchTerm], long: &LongWords) -> Option<String> {
    let all: Vec<String> = terms
        .iter()
        .filter_map(|t| {
            let mut any = Vec::new();
            if let Some(w) = &t.word {
                match long.get(w) {
                    Some(tokens) => {
                        any.extend(tokens.iter().map(|t| format!("\"{}\"", t.replace('"', ""))));
                    }
                    None => any.push(format!("\"{}\"*", w.replace('"', ""))),
                }
            }
            if let Some(a) = t.amount {
                any.push(format!("\"{}\"", amount_token(a)));
            }
            if let Some(l) = &t.last4 {
                any.push(format!("\"{}\"", last4_token(l)));
            }
            match any.len() {
                0 => None,
                1 => any.pop(),
                _ => Some(format!("({})", any.join(" OR "))),
            }
        })
        .collect();
    (!all.is_empty()).then(|| all.join(" AND "))
}

/// Typed words longer than the word index's longest prefix, each with the
/// whole tokens it is the start of.
type LongWords = HashMap<String, Vec<String>>;

/// The longest start of a word the word index keeps a list for (its `prefix`).
const LONGEST_PREFIX: usize = 8;
/// The most tokens a long word is asked as, one by one.
const MOST_TOKENS: usize = 50;

/// How each long word of the search box is asked. FTS5 answers the start of
/// a word longer than its prefix lists by merging the lists of every token
/// that starts so, in memory, before the first match: 175 ms for a domain
/// 1,000,000 emails share ("example.org"). Asked exactly, each token's list
/// streams newest first like any other. So the tokens it starts are looked
/// up in the index's own list of tokens (a handful, nearly always); with
/// more than `MOST_TOKENS` of them the word is asked as a start after all.
async fn long_words(
    conn: &mut SqliteConnection,
    query: &PaymentQuery,
) -> Result<LongWords, StoreError> {
    let mut long = LongWords::new();
    let Some(SearchText::Terms { terms, .. }) = query.search_text() else {
        return Ok(long);
    };
    for word in terms.iter().filter_map(|t| t.word.as_deref()) {
        if word.chars().count() <= LONGEST_PREFIX || long.contains_key(word) {
            continue;
        }
        // As the index folds it; a word it would split is a phrase (see
        // `search_payments`) and is left as it is.
        let mut words = search_words(word);
        let (Some(folded), None) = (words.next(), words.next()) else {
            continue;
        };
        let mut tokens: Vec<String> = sqlx::query_scalar(
            "SELECT term FROM payments_fts_terms WHERE term > ?1 AND term < ?1 || char(1114111) LIMIT ?2",
        )
        .bind(&folded)
        .bind(MOST_TOKENS as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
        if tokens.len() < MOST_TOKENS {
            tokens.push(folded.clone());
            long.insert(word.to_owned(), tokens);
        }
    }
    Ok(long)
}

impl PaymentQuery {
    /// The search box as a query of the word index, if it is one (not an ID).
    fn fts(&self, long: &LongWords) -> Option<String> {
        match self.search_text() {
            Some(SearchText::Terms { terms, .. }) => fts_query(&terms, long),
            _ => None,
        }
    }

    /// Whether the search box text goes to the word index (not an ID).
    fn uses_word_index(&self, plain: bool) -> bool {
        !plain && self.fts(&LongWords::new()).is_some()
    }

    /// Whether free text is the only filter (sorting and paging aside).
    fn words_alone(&self) -> bool {
        self.nothing_but(|q| q.text = None)
    }

    /// Whether nothing filters once `clear` has taken its filters away.
    fn nothing_but(&self, clear: impl FnOnce(&mut PaymentQuery)) -> bool {
        let mut rest = PaymentQuery {
            sort: SortBy::default(),
            ascending: false,
            page: 0,
            page_size: 0,
            ..self.clone()
        };
        clear(&mut rest);
        rest == PaymentQuery::default()
    }

    fn clear_part(&mut self, column: &str) {
        if column == "email" {
            self.email = None;
        } else {
            self.cardholder_name = None;
        }
    }

    /// The part of an email or a name asked for, trimmed.
    fn part(&self, column: &str) -> Option<&str> {
        let value = if column == "email" {
            &self.email
        } else {
            &self.cardholder_name
        };
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// The first part-of-a-word filter (email or name) the trigram index can answer.
    fn trigram_driver(&self, plain: bool) -> Option<&'static str> {
        if plain {
            return None;
        }
        [
            ("email", &self.email),
            ("cardholder_name", &self.cardholder_name),
        ]
        .into_iter()
        .filter_map(|(c, v)| Some((c, v.as_deref()?.trim())))
        .find(|(_, v)| v.chars().count() >= 3)
        .map(|(c, _)| c)
    }

    /// `plain`: the full-text indexes are being rebuilt (see `bulk`), so words
    /// and parts of words are matched on each row instead.
    fn push_filters(
        &self,
        q: &mut QueryBuilder<Sqlite>,
        service_id: &str,
        parts: Parts,
        plain: bool,
        long: &LongWords,
    ) {
        q.push(" WHERE p.service_id = ")
            .push_bind(service_id.to_owned());
        match self.search_text() {
            None => {}
            Some(SearchText::PaymentId(id)) => {
                q.push(" AND p.payment_id = ").push_bind(id);
            }
            Some(SearchText::Terms { terms, .. }) if plain => {
                // Every term, on each row: a word anywhere in the text, the
                // amount, the last four digits.
                for t in terms {
                    q.push(" AND (");
                    let mut any = q.separated(" OR ");
                    if let Some(w) = &t.typed {
                        let pattern = format!("%{}%", like_escape(w));
                        for column in [
                            "reference",
                            "description",
                            "email",
                            "cardholder_name",
                            "metadata_text",
                            "search_more",
                        ] {
                            any.push(format!("p.{column} LIKE "))
                                .push_bind_unseparated(pattern.clone())
                                .push_unseparated(" ESCAPE '\\'");
                        }
                    }
                    if let Some(a) = t.amount {
                        any.push("p.amount = ").push_bind_unseparated(a);
                    }
                    if let Some(l) = &t.last4 {
                        any.push("p.last4 = ").push_bind_unseparated(l.clone());
                    }
                    q.push(")");
                }
            }
            Some(SearchText::Terms { terms, .. }) => match fts_query(&terms, long) {
                // Text with no term in it filters nothing.
                None => {}
                Some(fts) if parts == Parts::WordsDriven => {
                    // The word index drives the query as `f` (see search_payments).
                    q.push(" AND f.payments_fts MATCH ").push_bind(fts);
                }
                Some(fts) => {
                    q.push(
                        " AND p.rowid IN (SELECT rowid FROM payments_fts WHERE payments_fts MATCH ",
                    )
                    .push_bind(fts)
                    .push(")");
                }
            },
        }

        if let Some(r) = &self.reference {
            q.push(" AND p.reference = ")
                .push_bind(r.trim().to_owned())
                .push(" COLLATE NOCASE");
        }
        for (column, value) in [
            ("email", &self.email),
            ("cardholder_name", &self.cardholder_name),
        ] {
            let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            // Three characters or more: the trigram index answers alone, as a
            // phrase of consecutive trigrams (a substring, any case), without
            // reading the rows. Fewer, or while it is being rebuilt: LIKE on
            // each row.
            let indexable = !plain && v.chars().count() >= 3;
            match parts {
                Parts::Indexed if indexable => {
                    q.push(" AND p.rowid IN (SELECT rowid FROM payments_trigram WHERE payments_trigram MATCH ")
                        .push_bind(trigram_phrase(column, v))
                        .push(")");
                }
                // The trigram table drives the query as `t` (see search_payments).
                Parts::Driven(driver) if driver == column && indexable => {
                    q.push(" AND t.payments_trigram MATCH ")
                        .push_bind(trigram_phrase(column, v));
                }
                _ => {
                    q.push(format!(" AND p.{column} LIKE "))
                        .push_bind(format!("%{}%", like_escape(v)))
                        .push(" ESCAPE '\\'");
                }
            }
        }
        if let Some(f) = &self.first6 {
            q.push(" AND p.first6 = ").push_bind(f.clone());
        }
        if let Some(l) = &self.last4 {
            q.push(" AND p.last4 = ").push_bind(l.clone());
        }
        if let Some(b) = &self.card_brand {
            q.push(" AND p.card_brand = ").push_bind(b.clone());
        }
        match self.state.as_deref().and_then(StatusGroup::parse_filter) {
            Some(StatusFilter::Group(g)) => {
                q.push(" AND ").push(g.condition());
            }
            Some(StatusFilter::Raw(s)) => {
                q.push(" AND p.status = ").push_bind(s);
            }
            None => {}
        }
        if let Some(f) = self.from_ms {
            q.push(" AND p.created_ms >= ").push_bind(f);
        }
        if let Some(t) = self.to_ms {
            q.push(" AND p.created_ms < ").push_bind(t);
        }
        if let Some(m) = &self.metadata_value {
            q.push(" AND p.rowid IN (SELECT payment_rowid FROM payment_metadata WHERE value = ")
                .push_bind(m.trim().to_owned())
                .push(" COLLATE NOCASE)");
        }
        if let Some(a) = &self.agreement_id {
            q.push(" AND p.agreement_id = ").push_bind(a.clone());
        }
        crate::store::search::push_row_filters(q, self);
    }
}

/// Up to this many distinct addresses holding a part are looked up one by one
/// in the email index; more, and the payments' trigram index counts instead
/// (the part is then common, and the capped count stops early there).
const EMAIL_VALUES_LIMIT: usize = 500;

/// The distinct emails holding `part` (any case, as the trigram index
/// matches), as a JSON list; `None` when there are more than
/// `EMAIL_VALUES_LIMIT` of them.
async fn emails_holding(
    conn: &mut SqliteConnection,
    part: &str,
) -> Result<Option<String>, StoreError> {
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT value FROM email_values_trigram WHERE email_values_trigram MATCH ?1 LIMIT ?2",
    )
    .bind(trigram_phrase("value", part))
    .bind(EMAIL_VALUES_LIMIT as i64 + 1)
    .fetch_all(conn)
    .await?;
    if found.len() > EMAIL_VALUES_LIMIT {
        return Ok(None);
    }
    Ok(Some(serde_json::Value::from(found).to_string()))
}

/// An FTS5 query for `value` anywhere in one column of the trigram table: the
/// value as one quoted phrase, so its trigrams must come one after another.
/// Every character is literal inside the quotes (a quote is doubled).
fn trigram_phrase(column: &str, value: &str) -> String {
    format!("{column} : \"{}\"", value.replace('"', "\"\""))
}

/// Escapes LIKE's wildcards (with `ESCAPE '\'`).
fn like_escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// How part-of-a-word filters (email, name) are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// Matches from the trigram index (a phrase of the part's trigrams).
    Indexed,
    /// The trigram table drives the query as `t`: matches come one by one, so a
    /// capped count stops early however many there are.
    Driven(&'static str),
    /// LIKE on each row only: right when walking the dates index, where a common
    /// part of a name fills the page within a few hundred rows.
    RowOnly,
    /// The word index drives the query as `f`, for the same lazy capped count.
    WordsDriven,
}

/// Stores payments GOV.UK Pay just returned and reads them back as result rows,
/// in the order given (a live search or an agreement's payments: a page at most).
pub async fn store_and_read_rows(
    pool: &SqlitePool,
    service_id: &str,
    payments: &[Payment],
) -> Result<Vec<PaymentRow>, StoreError> {
    let mut conn = pool.acquire().await?;
    upsert_payments(&mut conn, service_id, payments).await?;
    let (base, _) = service_rowids(&mut conn, service_id).await?;
    let mut rows = Vec::with_capacity(payments.len());
    // Each is looked for among its millisecond's rowids (every cached payment
    // is numbered inside its own), not by ID: that stays quick while a first
    // fill has the payment-ID index aside.
    for k in keyed(payments, base) {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT ");
        q.push(ROW_COLUMNS)
            .push(" FROM payments p WHERE p.rowid BETWEEN ")
            .push_bind(k.rowid & !TIE_MASK)
            .push(" AND ")
            .push_bind(k.rowid | TIE_MASK)
            .push(" AND p.payment_id = ")
            .push_bind(k.payment.payment_id.as_str().to_owned());
        if let Some(row) = q.build().fetch_optional(&mut *conn).await? {
            rows.push(payment_row(&row)?);
        }
    }
    Ok(rows)
}

/// The rows of these payments, in the order given; those not cached are
/// left out.
pub async fn read_rows(
    pool: &SqlitePool,
    service_id: &str,
    payment_ids: &[String],
) -> Result<Vec<PaymentRow>, StoreError> {
    if payment_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new("SELECT ");
    q.push(ROW_COLUMNS)
        .push(" FROM payments p WHERE p.service_id = ")
        .push_bind(service_id.to_owned())
        .push(" AND p.payment_id IN (");
    let mut each = q.separated(", ");
    for id in payment_ids {
        each.push_bind(id.clone());
    }
    q.push(")");
    let mut rows = Vec::new();
    for row in &q.build().fetch_all(pool).await? {
        rows.push(payment_row(row)?);
    }
    Ok(crate::store::in_order(payment_ids, rows, |r| {
        Some(r.payment_id.as_str())
    }))
}

/// Searches the cache. Answers in milliseconds over a million payments.
/// The query has been checked once, by the domain (`lookup`).
pub async fn search_payments(
    pool: &SqlitePool,
    service_id: &str,
    query: &PaymentQuery,
) -> Result<PaymentResults, StoreError> {
    let page = query.page.max(1);
    let page_size = if query.page_size == 0 {
        20
    } else {
        query.page_size.min(200)
    };
    let mut conn = pool.acquire().await?;
    let plain = crate::store::sqlite::bulk::aside(&mut conn).await?;
    // Words stream from their index newest first, count and page in one pass.
    // Parts of words stream from the trigram table in the same order; they
    // count, then page, in two passes (see `index_driven`).
    let found = if query.trigram_driver(plain).is_none() && query.uses_word_index(plain) {
        words_driven(&mut conn, service_id, query, page, page_size).await
    } else {
        index_driven(&mut conn, service_id, query, plain, page, page_size).await
    };
    let (rows, total) = match found {
        // A word the tokenizer splits in two (in some scripts a vowel sign is
        // not a letter to it) is a phrase, which the word index, keeping no
        // positions, cannot answer: each row is checked instead, as while the
        // indexes are being built.
        Err(e) if !plain && e.kind == StoreErrorKind::Unanswerable => {
            index_driven(&mut conn, service_id, query, true, page, page_size).await?
        }
        found => found?,
    };
    Ok(PaymentResults {
        rows,
        total: (total as u32).min(COUNT_LIMIT),
        total_is_capped: total > i64::from(COUNT_LIMIT),
        page,
        page_size,
    })
}

/// The word index drives: its rowids run newest first (see `date_key`), so
/// one pass in that order yields the count (up to the cap) and the page
/// together, however many payments match. SQLite keeps the matches and hands
/// back only the count and the page's rowids, in one row: 5,000 matches sent
/// one row at a time across to this task would cost more than finding them.
async fn words_driven(
    conn: &mut SqliteConnection,
    service_id: &str,
    query: &PaymentQuery,
    page: u32,
    page_size: u32,
) -> Result<(Vec<PaymentRow>, i64), StoreError> {
    let long = long_words(conn, query).await?;
    let oldest_first = query.sort == SortBy::Date && query.ascending;
    let walk = if oldest_first { "DESC" } else { "ASC" };
    // The service's own range of rowids: with no other filter, its matches are
    // known without reading a single payment row.
    let (lo, hi) = service_rowids(conn, service_id).await?;
    let mut q = QueryBuilder::<Sqlite>::new("WITH m AS MATERIALIZED (SELECT f.rowid AS k FROM ");
    if query.words_alone() {
        q.push("payments_fts f WHERE f.payments_fts MATCH ");
        q.push_bind(query.fts(&long));
    } else {
        q.push("payments_fts f CROSS JOIN payments p ON p.rowid = f.rowid");
        query.push_filters(&mut q, service_id, Parts::WordsDriven, false, &long);
    }
    q.push(format!(
        " AND f.rowid BETWEEN {lo} AND {hi} ORDER BY f.rowid {walk} LIMIT {}) SELECT (SELECT count(*) FROM m), ",
        i64::from(COUNT_LIMIT) + 1
    ));
    let offset = (page - 1) * page_size;
    match query.sort {
        SortBy::Date => q.push(format!(
            "(SELECT json_group_array(k ORDER BY k {walk}) FROM \
             (SELECT k FROM m ORDER BY k {walk} LIMIT {page_size} OFFSET {offset}))"
        )),
        // The newest matches (those counted), in the order asked for.
        SortBy::Amount | SortBy::Reference => {
            let order = format!(
                "{} {}, rowid",
                other_key(query.sort),
                if query.ascending { "ASC" } else { "DESC" }
            );
            q.push(format!(
                "(SELECT json_group_array(rowid ORDER BY {order}) FROM \
                 (SELECT rowid, amount, reference FROM payments WHERE rowid IN \
                 (SELECT k FROM m ORDER BY k LIMIT {COUNT_LIMIT}) \
                 ORDER BY {order} LIMIT {page_size} OFFSET {offset}))"
            ))
        }
    };
    let (total, wanted): (i64, String) = q.build_query_as().fetch_one(&mut *conn).await?;
    let wanted: Vec<i64> = serde_json::from_str(&wanted)
        .map_err(|e| StoreError::other(format!("a search page could not be read: {e}")))?;
    Ok((rows_by_rowid(conn, &wanted).await?, total))
}

fn json_list(ids: &[i64]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

fn other_key(sort: SortBy) -> &'static str {
    if sort == SortBy::Amount {
        "amount"
    } else {
        "reference COLLATE NOCASE"
    }
}

/// Result rows for these payments, in the order given.
async fn rows_by_rowid(
    conn: &mut SqliteConnection,
    rowids: &[i64],
) -> Result<Vec<PaymentRow>, StoreError> {
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {ROW_COLUMNS}, p.rowid AS k FROM payments p WHERE p.rowid IN (SELECT value FROM json_each("
    ));
    q.push_bind(json_list(rowids)).push("))");
    let mut found: HashMap<i64, PaymentRow> = HashMap::new();
    for r in q.build().fetch_all(&mut *conn).await? {
        found.insert(r.try_get("k")?, payment_row(&r)?);
    }
    Ok(rowids.iter().filter_map(|k| found.remove(k)).collect())
}

/// Filters answered from the b-tree indexes (or on each row).
async fn index_driven(
    conn: &mut SqliteConnection,
    service_id: &str,
    query: &PaymentQuery,
    plain: bool,
    page: u32,
    page_size: u32,
) -> Result<(Vec<PaymentRow>, i64), StoreError> {
    let long = if plain {
        LongWords::new()
    } else {
        long_words(conn, query).await?
    };
    let trigram = query.trigram_driver(plain);
    let (lo, hi) = service_rowids(conn, service_id).await?;
    let in_service = format!(" AND t.rowid BETWEEN {lo} AND {hi}");
    let alone = trigram.filter(|&column| query.nothing_but(|q| q.clear_part(column)));
    let addresses = match alone {
        Some("email") => emails_holding(conn, query.part("email").unwrap_or_default()).await?,
        _ => None,
    };
    let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM (SELECT 1 FROM ");
    match (trigram, addresses) {
        // A few addresses hold the part: their payments, from the email
        // index, in the service's range of rowids (each entry holds its rowid).
        (Some(_), Some(list)) => {
            count
                .push("payments p WHERE p.email IN (SELECT value FROM json_each(")
                .push_bind(list)
                .push(format!(")) AND p.rowid BETWEEN {lo} AND {hi}"));
        }
        // Matches come one by one from the trigram table, so the capped count
        // stops early however many there are. Alone, the part is counted in
        // the service's range of rowids without reading a payment row.
        (Some(column), None) if alone.is_some() => {
            count
                .push("payments_trigram t WHERE t.payments_trigram MATCH ")
                .push_bind(trigram_phrase(
                    column,
                    query.part(column).unwrap_or_default(),
                ))
                .push(&in_service);
        }
        (Some(column), None) => {
            count.push("payments_trigram t CROSS JOIN payments p ON p.rowid = t.rowid");
            query.push_filters(&mut count, service_id, Parts::Driven(column), plain, &long);
            count.push(&in_service);
        }
        (None, _) => {
            count.push("payments p");
            query.push_filters(&mut count, service_id, Parts::Indexed, plain, &long);
        }
    }
    count
        .push(" LIMIT ")
        .push_bind(i64::from(COUNT_LIMIT) + 1)
        .push(")");
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

    // Many matches, newest first: walking the date index and stopping at the
    // page's end beats collecting every match to sort it. Few matches: the
    // planner's own choice (collect, then sort) is best.
    let walk_dates = query.sort == SortBy::Date && total > 500;
    let from = if walk_dates {
        "payments p INDEXED BY payments_created"
    } else {
        "payments p"
    };
    let (direction, ties) = if query.ascending {
        ("ASC", "DESC")
    } else {
        ("DESC", "ASC")
    };
    let (limit, offset) = (i64::from(page_size), i64::from((page - 1) * page_size));
    let mut rows = QueryBuilder::<Sqlite>::new("");
    match (query.sort, trigram) {
        // A part of a name or an email: the trigram table gives its matches in
        // rowid order, which is date order (see `date_key`), so the page is the
        // first matches it yields. Walking the dates index instead would test
        // every payment until 20 match: thousands for a rare part.
        (SortBy::Date, Some(column)) => {
            rows.push(format!(
                "SELECT {ROW_COLUMNS} FROM payments_trigram t CROSS JOIN payments p ON p.rowid = t.rowid"
            ));
            query.push_filters(&mut rows, service_id, Parts::Driven(column), plain, &long);
            rows.push(format!("{in_service} ORDER BY t.rowid {ties}"));
        }
        (SortBy::Date, None) => {
            rows.push(format!("SELECT {ROW_COLUMNS} FROM {from}"));
            let parts = if walk_dates {
                Parts::RowOnly
            } else {
                Parts::Indexed
            };
            query.push_filters(&mut rows, service_id, parts, plain, &long);
            // Within a millisecond, the order the text indexes give (see `date_key`).
            rows.push(format!(
                " ORDER BY p.created_ms {direction}, p.rowid {ties}"
            ));
        }
        // Other orders sort the newest matches (as many as the count shows), as
        // the admin tool does, instead of the whole history. Only the sort key
        // is read for the newest (for amounts, from the dates index alone,
        // which holds them), and only the page's rows are read in full.
        (SortBy::Amount | SortBy::Reference, _) => {
            let key = other_key(query.sort);
            let column = if query.sort == SortBy::Amount {
                "amount"
            } else {
                "reference"
            };
            rows.push(format!(
                "SELECT {ROW_COLUMNS} FROM payments p WHERE p.rowid IN (SELECT k FROM \
                 (SELECT p.rowid AS k, p.{column} AS {column} FROM payments p"
            ));
            query.push_filters(&mut rows, service_id, Parts::Indexed, plain, &long);
            rows.push(format!(
                " ORDER BY p.created_ms DESC LIMIT {COUNT_LIMIT}) ORDER BY {key} {direction}, k LIMIT "
            ))
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset)
            .push(format!(") ORDER BY p.{key} {direction}, p.rowid"));
        }
    }
    if query.sort == SortBy::Date {
        rows.push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
    }
    let found = rows.build().fetch_all(&mut *conn).await?;
    let rows = found
        .iter()
        .map(payment_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total))
}

/// How many payments the cache holds for a service.
pub async fn payment_count(pool: &SqlitePool, service_id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM payments WHERE service_id = ?1")
            .bind(service_id)
            .fetch_one(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::search::{MAX_MS, TIE_BITS};

    #[test]
    fn free_text_becomes_a_prefix_query_of_all_words() {
        assert_eq!(fts("sam cit").as_deref(), Some("\"sam\"* AND \"cit\"*"));
        assert_eq!(fts("PRK-0001").as_deref(), Some("\"PRK-0001\"*"));
        // Quotes and operators cannot reach FTS5's query syntax.
        assert_eq!(fts("\"); DROP").as_deref(), Some("\"DROP\"*"));
        assert_eq!(fts("  "), None);
        // Each term any way it reads: a word, an amount, last four digits.
        assert_eq!(
            fts("lewis 1111 £45").as_deref(),
            Some("\"lewis\"* AND (\"1111\"* OR \"_a111100\" OR \"_l1111\") AND \"_a4500\"")
        );
        // A payment ID is no word-index query.
        assert_eq!(fts("7bbbuc84q1ljbp11v5jfs4tath"), None);
    }

    fn fts(text: &str) -> Option<String> {
        PaymentQuery {
            text: Some(text.into()),
            ..PaymentQuery::default()
        }
        .fts(&LongWords::new())
    }

    #[test]
    fn rowids_run_in_creation_order_and_stay_in_their_millisecond() {
        let a = date_key(1_700_000_000_000, "abc");
        assert_eq!(key_ms(a), 1_700_000_000_000);
        assert_eq!(a, date_key(1_700_000_000_000, "abc"), "stable");
        // Newer, smaller: whatever the IDs.
        for id in ["a", "zzz", "0000"] {
            assert!(date_key(1_700_000_000_001, id) < date_key(1_700_000_000_000, "abc"));
        }
        let last = (1_000 << TIE_BITS) | TIE_MASK;
        assert_eq!(
            next_key(last),
            1_000 << TIE_BITS,
            "wraps within the millisecond"
        );
        assert_eq!(key_ms(date_key(-5, "x")), 0);
        assert!(date_key(MAX_MS, "x") >= 0);
    }

    fn payment(id: &str, created: &str, reference: &str) -> Payment {
        serde_json::from_value(serde_json::json!({
            "payment_id": id,
            "amount": 1000,
            "reference": reference,
            "description": "Parking permit",
            "state": {"status": "success", "finished": true},
            "created_date": created,
            "metadata": {"case_ref": format!("CASE-{reference}")},
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn two_payments_in_one_millisecond_with_the_same_tie_bits_are_both_kept() {
        same_tie_bits_both_kept(false).await;
    }

    #[tokio::test]
    async fn with_the_payment_id_index_aside_the_same_tie_bits_are_both_kept_once() {
        same_tie_bits_both_kept(true).await;
    }

    /// Written, read again, and read alone: two rows, each with its own
    /// metadata, whether payments are found by ID or (`aside`) by rowid.
    async fn same_tie_bits_both_kept(aside: bool) {
        // Two IDs whose hashes share their low 12 bits (found by trying).
        let mut seen: HashMap<i64, String> = HashMap::new();
        let (first, second) = (0..)
            .map(|i| format!("clash{i:021}"))
            .find_map(|id| {
                seen.insert(date_key(0, &id), id.clone())
                    .map(|other| (other, id))
            })
            .unwrap();
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        let when = "2026-11-20T10:00:00.123Z";
        let page = vec![payment(&first, when, "R-1"), payment(&second, when, "R-2")];
        let mut conn = pool.acquire().await.unwrap();
        if aside {
            crate::store::sqlite::bulk::set_aside(&mut conn)
                .await
                .unwrap();
            assert!(!payment_id_index(&mut conn).await.unwrap());
        }
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        // Read again (an update, not a second row), and alone, the second
        // first: its first choice of row holds the other.
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        upsert_payments(&mut conn, "s", &page[1..]).await.unwrap();
        if aside {
            assert!(
                crate::store::sqlite::bulk::restore(&mut conn)
                    .await
                    .unwrap()
            );
            assert!(payment_id_index(&mut conn).await.unwrap());
        }
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT p.rowid, p.payment_id, m.value FROM payments p
             JOIN payment_metadata m ON m.payment_rowid = p.rowid ORDER BY p.rowid",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let ms = api_time_ms(when).unwrap();
        assert!(rows.iter().all(|(k, _, _)| key_ms(*k) == ms), "{rows:?}");
        let mut ids: Vec<&str> = rows.iter().map(|(_, id, _)| id.as_str()).collect();
        ids.sort();
        let mut expected = vec![first.as_str(), second.as_str()];
        expected.sort();
        assert_eq!(ids, expected);
        for (_, id, case) in &rows {
            let reference = if *id == first { "R-1" } else { "R-2" };
            assert_eq!(case, &format!("CASE-{reference}"));
        }
    }

    #[tokio::test]
    async fn a_payment_cached_under_another_number_is_kept_once_when_the_index_comes_back() {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        let when = "2026-11-20T10:00:00.000Z";
        upsert_payments(
            &mut conn,
            "s",
            &[payment("p1", when, "OLD-1"), payment("p2", when, "R-2")],
        )
        .await
        .unwrap();
        // p1 as an older cache numbered it: not the rowid its ID makes now.
        let (base, _) = service_rowids(&mut conn, "s").await.unwrap();
        let own = base | date_key(api_time_ms(when).unwrap(), "p1");
        sqlx::query("DELETE FROM payment_metadata WHERE payment_rowid = ?1")
            .bind(own)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE payments SET rowid = ?1, fetched_ms = 1 WHERE rowid = ?2")
            .bind(own + 7)
            .bind(own)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO payment_metadata (payment_rowid, key, value) VALUES (?1, 'case_ref', 'CASE-OLD-1')")
            .bind(own + 7)
            .execute(&mut *conn)
            .await
            .unwrap();

        // A first fill reads both again, by rowid: p1 lands on its own number.
        crate::store::sqlite::bulk::set_aside(&mut conn)
            .await
            .unwrap();
        upsert_payments(
            &mut conn,
            "s",
            &[payment("p1", when, "NEW-1"), payment("p2", when, "R-2")],
        )
        .await
        .unwrap();
        let copies: i64 =
            sqlx::query_scalar("SELECT count(*) FROM payments WHERE payment_id = 'p1'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            copies, 2,
            "the older copy is still there while the index is aside"
        );
        assert!(
            crate::store::sqlite::bulk::restore(&mut conn)
                .await
                .unwrap()
        );

        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT p.rowid, p.payment_id, p.reference, m.value FROM payments p
             JOIN payment_metadata m ON m.payment_rowid = p.rowid ORDER BY p.payment_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let kept: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|(_, id, r, m)| (id.as_str(), r.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            kept,
            [("p1", "NEW-1", "CASE-NEW-1"), ("p2", "R-2", "CASE-R-2")]
        );
        assert_eq!(rows[0].0, own);
        let orphans: i64 =
            sqlx::query_scalar("SELECT count(*) FROM payment_metadata WHERE payment_rowid = ?1")
                .bind(own + 7)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(orphans, 0);
        // The full text holds the new reference only.
        let old: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH '\"OLD-1\"'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(old, 0);
    }

    #[tokio::test]
    async fn with_the_payment_id_index_aside_a_payment_twice_in_one_write_is_kept_once_as_last_given()
     {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        crate::store::sqlite::bulk::set_aside(&mut conn)
            .await
            .unwrap();
        let when = "2026-11-20T10:00:00.000Z";
        let page = [
            payment("p1", when, "FIRST"),
            payment("p2", when, "R-2"),
            payment("p1", when, "LAST"),
        ];
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT p.payment_id, p.reference, m.value FROM payments p
             JOIN payment_metadata m ON m.payment_rowid = p.rowid ORDER BY p.payment_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let rows: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        assert_eq!(
            rows,
            [("p1", "LAST", "CASE-LAST"), ("p2", "R-2", "CASE-R-2")]
        );
    }

    #[tokio::test]
    async fn a_long_word_finds_every_token_it_starts_however_it_is_asked() {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        // 60 addresses at one domain (more tokens than a long word is asked as
        // one by one), and others that only hold the word inside them.
        let mut page: Vec<Payment> = Vec::new();
        for i in 0..70 {
            let mut p = payment(
                &format!("p{i:02}"),
                &format!("2026-11-20T10:{:02}:00.000Z", i % 60),
                &format!("R-{i}"),
            );
            p.email = Some(match i {
                0..60 => format!("customers{i}@example.org"),
                60..65 => format!("user{i}@example.org.uk"),
                _ => format!("user{i}@notexample.org"),
            });
            page.push(p);
        }
        let mut conn = pool.acquire().await.unwrap();
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        drop(conn);
        let count = |text: &'static str| {
            let pool = pool.clone();
            async move {
                let query = PaymentQuery {
                    text: Some(text.into()),
                    page_size: 200,
                    ..Default::default()
                };
                let mut conn = pool.acquire().await.unwrap();
                let long = long_words(&mut conn, &query).await.unwrap();
                let r = search_payments(&pool, "s", &query).await.unwrap();
                assert_eq!(r.total as usize, r.rows.len());
                (r.total, long.get(text).map(Vec::len))
            }
        };
        // The domain and its longer form, asked as their two tokens exactly.
        assert_eq!(count("example.org").await, (65, Some(2)));
        assert_eq!(count("example.org.uk").await, (5, Some(1)));
        // 60 addresses start so: asked as a start after all, with the same answer.
        assert_eq!(count("customers").await, (60, None));
        // The word itself is asked too, whether or not it is a token.
        assert_eq!(count("customers6@example").await, (1, Some(2)));
        assert_eq!(count("notexample.org").await, (5, Some(1)));
        // Inside a token is not its start.
        assert_eq!(count("xample.org").await, (0, Some(1)));
        assert_eq!(count("user").await, (10, None));
    }

    /// Payment `id`, the `i`th second of a day, paid with `holder`'s card.
    fn held_by(i: usize, id: &str, holder: &str) -> Payment {
        let mut p = payment(id, &format!("2026-11-20T10:00:0{i}.000Z"), id);
        p.card_details =
            Some(serde_json::from_value(serde_json::json!({ "cardholder_name": holder })).unwrap());
        p
    }

    #[tokio::test]
    async fn a_word_the_tokenizer_splits_is_still_found_in_the_search_box() {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        // A Devanagari name: to the tokenizer its vowel signs are not letters,
        // so "प्रिया" is several words, a phrase the word index cannot answer.
        let people = [
            ("p1", "प्रिया Kaur"),
            ("p2", "Priya Kaur"),
            ("p3", "Ada Lovelace"),
        ];
        let page: Vec<Payment> = people
            .iter()
            .enumerate()
            .map(|(i, (id, holder))| held_by(i, id, holder))
            .collect();
        let mut conn = pool.acquire().await.unwrap();
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        let refused = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM payments_fts WHERE payments_fts MATCH ?1",
        )
        .bind(fts("प्रिया").unwrap())
        .fetch_one(&mut *conn)
        .await
        .unwrap_err();
        assert_eq!(
            crate::StoreError::from(refused).kind,
            crate::StoreErrorKind::Unanswerable
        );
        drop(conn);
        let found = |text: &str| {
            let query = PaymentQuery {
                text: Some(text.into()),
                ..Default::default()
            };
            let pool = pool.clone();
            async move {
                let r = search_payments(&pool, "s", &query).await.unwrap();
                let mut ids: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
                ids.sort();
                assert_eq!(r.total as usize, ids.len());
                ids
            }
        };
        assert_eq!(found("प्रिया").await, ["p1"]);
        assert_eq!(found("प्रिया kaur").await, ["p1"]);
        // Words the index answers as before.
        assert_eq!(found("kaur").await, ["p1", "p2"]);
        assert_eq!(found("lovel").await, ["p3"]);
    }

    #[tokio::test]
    async fn parts_of_emails_and_names_are_literal_text_whatever_they_hold() {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        let people = [
            ("p1", "jo_bloggs@example.com", "Jo \"JB\" Bloggs"),
            ("p2", "jo-bloggs@example.com", "Jo O'Bloggs"),
            ("p3", "jo%bloggs@example.com", "JO BLOGGS"),
            ("p4", "bloggs.jo@example.com", "Jo Blo Logs"),
        ];
        let page: Vec<Payment> = people
            .iter()
            .enumerate()
            .map(|(i, (id, email, holder))| {
                let mut p = held_by(i, id, holder);
                p.email = Some((*email).into());
                p
            })
            .collect();
        let mut conn = pool.acquire().await.unwrap();
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        drop(conn);
        let found = |email: Option<&str>, holder: Option<&str>, sort: SortBy| {
            let query = PaymentQuery {
                email: email.map(Into::into),
                cardholder_name: holder.map(Into::into),
                sort,
                ..Default::default()
            };
            let pool = pool.clone();
            async move {
                let r = search_payments(&pool, "s", &query).await.unwrap();
                let ids: Vec<String> = r.rows.iter().map(|p| p.payment_id.clone()).collect();
                assert_eq!(r.total as usize, ids.len());
                ids
            }
        };
        // Wildcards of LIKE are plain characters; newest first.
        assert_eq!(found(Some("o_b"), None, SortBy::Date).await, ["p1"]);
        assert_eq!(found(Some("o%b"), None, SortBy::Date).await, ["p3"]);
        assert_eq!(found(Some("jo-"), None, SortBy::Date).await, ["p2"]);
        assert_eq!(
            found(Some("BLOGGS@"), None, SortBy::Date).await,
            ["p3", "p2", "p1"]
        );
        // Quotes inside a name, any case, spaces included; and through the
        // b-tree path (sorted by reference).
        assert_eq!(found(None, Some("\"jb\""), SortBy::Date).await, ["p1"]);
        assert_eq!(found(None, Some("o'b"), SortBy::Reference).await, ["p2"]);
        assert_eq!(
            found(None, Some("jo bloggs"), SortBy::Reference).await,
            ["p3"]
        );
        // Its trigrams all in one name ("blo", "log", "ogs" in "Jo Blo Logs"),
        // but not one after another: no match.
        assert!(found(None, Some("blogs"), SortBy::Date).await.is_empty());
        // Both parts at once; and two characters, answered on each row.
        assert_eq!(
            found(Some("bloggs"), Some("o lo"), SortBy::Date).await,
            ["p4"]
        );
        assert_eq!(
            found(None, Some("jo"), SortBy::Date).await,
            ["p4", "p3", "p2", "p1"]
        );
    }

    #[tokio::test]
    async fn an_email_part_is_counted_from_the_addresses_holding_it_as_from_every_payment() {
        let (_dir, pool) = crate::store::sqlite::db::testing::cache_with_service().await;
        let mut conn = pool.acquire().await.unwrap();
        crate::store::sqlite::db::testing::add_service(&mut *conn, "t").await;
        // Six addresses (two differing only in case) over 60 payments, and
        // as many distinct ones again as the lookup by address takes.
        let shared = [
            "chloe.okafor@example.org",
            "Chloe.Okafor@example.org",
            "joe.okafor@example.org",
            "chloe.brown@example.org",
            "ann@council.gov.uk",
            "o'brien+tax@example.org",
        ];
        let many = EMAIL_VALUES_LIMIT + 10;
        let emails: Vec<String> = (0..60)
            .map(|i| shared[i % shared.len()].to_owned())
            .chain((0..many).map(|i| format!("payer{i}@many.example")))
            .collect();
        let page: Vec<Payment> = emails
            .iter()
            .enumerate()
            .map(|(i, email)| {
                let id = format!("p{i:04}");
                let created = format!("2026-11-{:02}T10:{:02}:00.000Z", 1 + i / 60, i % 60);
                let mut p = payment(&id, &created, &id);
                p.email = Some(email.clone());
                p
            })
            .collect();
        upsert_payments(&mut conn, "s", &page).await.unwrap();
        // Another service's payments with the same addresses are not counted.
        upsert_payments(&mut conn, "t", &page[..30]).await.unwrap();
        // A payer's email corrected: the old address no longer counts for it.
        let mut moved = page[0].clone();
        moved.email = Some("chloe.new@example.org".into());
        upsert_payments(&mut conn, "s", &[moved]).await.unwrap();
        // Re-read with an email other payments already hold (given later, or
        // corrected): written as any other change.
        let mut later = page[1].clone();
        later.email = None;
        upsert_payments(&mut conn, "s", &[later.clone()])
            .await
            .unwrap();
        later.email = Some(shared[2].into());
        upsert_payments(&mut conn, "s", &[later]).await.unwrap();
        let mut held: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT payment_id, email FROM payments WHERE service_id = 's' ORDER BY rowid",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        held.retain(|(_, e)| e.is_some());

        for (part, by_address) in [
            ("loe.ok", true),
            ("CHLOE", true),
            ("o'brien+", true),
            ("chloe.new", true),
            ("@council", true),
            ("nobody", true),
            ("payer1", true),
            // Every "payer…" address: more than are looked up one by one.
            ("many.example", false),
            ("example", false),
        ] {
            assert_eq!(
                emails_holding(&mut conn, part).await.unwrap().is_some(),
                by_address,
                "{part}"
            );
            let lower = part.to_lowercase();
            let expected: Vec<&str> = held
                .iter()
                .filter(|(_, e)| e.as_deref().unwrap().to_lowercase().contains(&lower))
                .map(|(id, _)| id.as_str())
                .collect();
            let query = PaymentQuery {
                email: Some(part.into()),
                ..Default::default()
            };
            let r = search_payments(&pool, "s", &query).await.unwrap();
            assert_eq!(
                r.total as usize,
                expected.len().min(COUNT_LIMIT as usize),
                "{part}"
            );
            let ids: Vec<&str> = r.rows.iter().map(|p| p.payment_id.as_str()).collect();
            assert_eq!(ids, expected[..expected.len().min(20)], "{part}");
        }

        // An address goes with the last payment holding it: here, with the
        // service whose payments alone held it.
        let mut only = page[59].clone();
        only.email = Some("qqq@zzz.test".into());
        upsert_payments(&mut conn, "t", &[only]).await.unwrap();
        let addresses = |part: &'static str| {
            let pool = pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                let list = emails_holding(&mut conn, part).await.unwrap().unwrap();
                serde_json::from_str::<Vec<String>>(&list).unwrap()
            }
        };
        // Its trigrams as stored ("q@z" is the first term starting with a
        // q, so it is written out whole, not after a prefix shared with the
        // term before).
        let stored = |pool: sqlx::SqlitePool| async move {
            let blocks: Vec<Vec<u8>> = sqlx::query_scalar(
                "SELECT block FROM email_values_trigram_data WHERE block IS NOT NULL",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            blocks.concat().windows(3).any(|w| w == b"q@z")
        };
        assert_eq!(addresses("q@zzz").await, ["qqq@zzz.test"]);
        assert!(stored(pool.clone()).await);
        sqlx::query("DELETE FROM services WHERE id = 't'")
            .execute(&mut *conn)
            .await
            .unwrap();
        assert!(addresses("q@zzz").await.is_empty());
        assert!(
            !stored(pool.clone()).await,
            "the address is still in the index's pages"
        );
        // Still held by the first service's payments.
        assert_eq!(addresses("joe.ok").await, ["joe.okafor@example.org"]);
        crate::store::sqlite::db::testing::assert_full_text_sound(&mut conn).await;
    }

    #[test]
    fn api_times_become_milliseconds() {
        assert_eq!(api_time_ms("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(api_time_ms("not a time"), None);
    }
}
