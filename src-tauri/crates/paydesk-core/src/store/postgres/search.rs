//! Searching the shared cache with PostgreSQL's own tools: the words of the
//! search box through a `tsvector` and its GIN index (each word as the start
//! of a word), parts of emails and names through pg_trgm's GIN indexes
//! (ILIKE, so in any case: LIKE alone is case-sensitive here), and the
//! admin tool's other filters through b-tree indexes led by the service.
//! The same rules as the SQLite store, so both return the same payments in
//! the same order (the parity test in tests/team/engines.rs).

use async_trait::async_trait;
use govpay::models::Payment;
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use super::cache::upsert_payments;
use crate::store::StoreError;
use crate::store::rows::{ROW_COLUMNS, all, payment_row};
use crate::store::search::{
    COUNT_LIMIT, PaymentQuery, PaymentResults, PaymentRow, SearchStore, SearchTerm, SearchText,
    SortBy, StatusFilter, StatusGroup, amount_token, last4_token, query_words,
};

/// Escapes LIKE's wildcards (PostgreSQL's default escape is the backslash).
fn like_escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The search box's terms as a `tsquery`: every term, each matched any way
/// it reads (see `SearchTerm`): the start of a word, its amount's token, its
/// last four digits' token, which the payment's words hold beside its own
/// (`more_tokens`). Written as the query type's own text, so PostgreSQL
/// takes each word as it is (no parser splits it again). `None` when no
/// term is left.
fn prefix_query(terms: &[SearchTerm]) -> Option<String> {
    let lexeme = |w: &str| format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''"));
    let all: Vec<String> = terms
        .iter()
        .filter_map(|t| {
            let mut any = Vec::new();
            if let Some(w) = &t.word {
                let starts: Vec<String> = query_words(w)
                    .iter()
                    .map(|w| format!("{}:*", lexeme(w)))
                    .collect();
                match starts.len() {
                    0 => {}
                    1 => any.extend(starts),
                    _ => any.push(format!("({})", starts.join(" & "))),
                }
            }
            if let Some(a) = t.amount {
                any.push(lexeme(&amount_token(a)));
            }
            if let Some(l) = &t.last4 {
                any.push(lexeme(&last4_token(l)));
            }
            match any.len() {
                0 => None,
                1 => any.pop(),
                _ => Some(format!("({})", any.join(" | "))),
            }
        })
        .collect();
    (!all.is_empty()).then(|| all.join(" & "))
}

/// The conditions of `query` on the payments table `p`.
fn push_filters(q: &mut QueryBuilder<Postgres>, service_id: &str, query: &PaymentQuery) {
    q.push(" WHERE p.service_id = ")
        .push_bind(service_id.to_owned());
    match query.search_text() {
        None => {}
        Some(SearchText::PaymentId(id)) => {
            q.push(" AND p.payment_id = ").push_bind(id);
        }
        Some(SearchText::Terms { terms, .. }) => {
            // Text with no term in it filters nothing.
            if let Some(words) = prefix_query(&terms) {
                q.push(" AND p.words @@ ")
                    .push_bind(words)
                    .push("::tsquery");
            }
        }
    }
    if let Some(r) = &query.reference {
        q.push(" AND ascii_lower(p.reference) = ascii_lower(")
            .push_bind(r.trim().to_owned())
            .push(")");
    }
    for (column, value) in [
        ("email", &query.email),
        ("cardholder_name", &query.cardholder_name),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            q.push(format!(" AND p.{column} ILIKE "))
                .push_bind(format!("%{}%", like_escape(v)));
        }
    }
    if let Some(f) = &query.first6 {
        q.push(" AND p.first6 = ").push_bind(f.clone());
    }
    if let Some(l) = &query.last4 {
        q.push(" AND p.last4 = ").push_bind(l.clone());
    }
    if let Some(b) = &query.card_brand {
        q.push(" AND p.card_brand = ").push_bind(b.clone());
    }
    match query.state.as_deref().and_then(StatusGroup::parse_filter) {
        Some(StatusFilter::Group(g)) => {
            q.push(" AND ").push(g.condition());
        }
        Some(StatusFilter::Raw(s)) => {
            q.push(" AND p.status = ").push_bind(s);
        }
        None => {}
    }
    if let Some(f) = query.from_ms {
        q.push(" AND p.created_ms >= ").push_bind(f);
    }
    if let Some(t) = query.to_ms {
        q.push(" AND p.created_ms < ").push_bind(t);
    }
    if let Some(m) = &query.metadata_value {
        q.push(
            " AND EXISTS (SELECT 1 FROM payment_metadata m WHERE m.service_id = p.service_id
               AND m.payment_id = p.payment_id AND ascii_lower(m.value) = ascii_lower(",
        )
        .push_bind(m.trim().to_owned())
        .push("))");
    }
    if let Some(a) = &query.agreement_id {
        q.push(" AND p.agreement_id = ").push_bind(a.clone());
    }
    crate::store::search::push_row_filters(q, query);
}

/// The result rows of these payments, in the order given.
async fn rows_by_id<'e>(
    db: impl sqlx::PgExecutor<'e>,
    service_id: &str,
    payment_ids: &[String],
) -> Result<Vec<PaymentRow>, StoreError> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS} FROM payments p WHERE p.service_id = $1 AND p.payment_id = ANY($2)"
    )))
    .bind(service_id)
    .bind(payment_ids)
    .fetch_all(db)
    .await?;
    let rows = all(&found, payment_row)?;
    Ok(crate::store::in_order(payment_ids, rows, |r| {
        Some(r.payment_id.as_str())
    }))
}

/// The sort key of an order other than the date: a reference as SQLite's
/// NOCASE compares it (ASCII folded, then byte by byte).
fn other_key(sort: SortBy) -> &'static str {
    if sort == SortBy::Amount {
        "p.amount"
    } else {
        "ascii_lower(p.reference) COLLATE \"C\""
    }
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_payments(
        &self,
        service_id: &str,
        query: &PaymentQuery,
    ) -> Result<PaymentResults, StoreError> {
        let page = query.page.max(1);
        let page_size = if query.page_size == 0 {
            20
        } else {
            query.page_size.min(200)
        };
        let mut conn = self.pool.acquire().await?;

        let mut count =
            QueryBuilder::<Postgres>::new("SELECT count(*) FROM (SELECT 1 FROM payments p");
        push_filters(&mut count, service_id, query);
        count
            .push(" LIMIT ")
            .push_bind(i64::from(COUNT_LIMIT) + 1)
            .push(") AS m");
        let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

        let (limit, offset) = (i64::from(page_size), i64::from((page - 1) * page_size));
        // Newest first is the date key's own order (see `date_key`).
        let (newest, oldest) = ("p.date_key ASC", "p.date_key DESC");
        let mut rows = QueryBuilder::<Postgres>::new("");
        match query.sort {
            SortBy::Date => {
                rows.push(format!("SELECT {ROW_COLUMNS} FROM payments p"));
                push_filters(&mut rows, service_id, query);
                rows.push(" ORDER BY ")
                    .push(if query.ascending { oldest } else { newest });
            }
            // Other orders sort the newest matches (as many as the count
            // shows), as the admin tool does, not the whole history.
            SortBy::Amount | SortBy::Reference => {
                rows.push(format!(
                    "SELECT {ROW_COLUMNS} FROM (SELECT * FROM payments p"
                ));
                push_filters(&mut rows, service_id, query);
                rows.push(format!(
                    " ORDER BY {newest} LIMIT {COUNT_LIMIT}) AS p ORDER BY {} {}, {newest}",
                    other_key(query.sort),
                    if query.ascending { "ASC" } else { "DESC" }
                ));
            }
        }
        rows.push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let found = rows.build().fetch_all(&mut *conn).await?;
        Ok(PaymentResults {
            rows: all(&found, payment_row)?,
            total: (total as u32).min(COUNT_LIMIT),
            total_is_capped: total > i64::from(COUNT_LIMIT),
            page,
            page_size,
        })
    }

    async fn keep_and_read_rows(
        &self,
        service_id: &str,
        payments: &[Payment],
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_payments(&mut tx, service_id, payments).await?;
        let ids: Vec<String> = payments
            .iter()
            .map(|p| p.payment_id.as_str().to_owned())
            .collect();
        let found = rows_by_id(&mut *tx, service_id, &ids).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn payment_rows(
        &self,
        service_id: &str,
        payment_ids: &[String],
    ) -> Result<Vec<PaymentRow>, StoreError> {
        rows_by_id(&self.pool, service_id, payment_ids).await
    }

    async fn payment_count(&self, service_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM payments WHERE service_id = $1")
                .bind(service_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_query;
    use crate::store::search::SearchText;

    #[test]
    fn the_search_box_becomes_every_term_any_way_it_reads() {
        for (typed, query) in [
            ("Niamh Lewis", Some("'niamh':* & 'lewis':*")),
            ("PRK-0019999", Some("'prk-0019999':*")),
            ("£45.00", Some("'_a4500'")),
            ("45", Some("('45':* | '_a4500')")),
            (
                "lewis 1111",
                Some("'lewis':* & ('1111':* | '_a111100' | '_l1111')"),
            ),
            ("Siân O'Brien", Some("'sian':* & 'obrien':*")),
            ("@example.org", Some("'example.org':*")),
        ] {
            let Some(SearchText::Terms { terms, .. }) = SearchText::of(typed) else {
                panic!("{typed:?}");
            };
            assert_eq!(prefix_query(&terms).as_deref(), query, "{typed:?}");
        }
        assert_eq!(SearchText::of("!!! ???"), None);
    }
}
