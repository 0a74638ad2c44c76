//! Searching the cache: what staff ask (the one search box and the admin
//! tool's filters) and the rows that come back.

use async_trait::async_trait;
use govpay::models::Payment;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::StoreError;

/// A payment as a row of the results table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PaymentRow {
    pub payment_id: String,
    pub reference: String,
    pub description: String,
    pub email: Option<String>,
    #[ts(type = "number")]
    pub amount: i64,
    pub status: String,
    pub finished: bool,
    pub code: Option<String>,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub cardholder_name: Option<String>,
    pub created_date: String,
    pub refund_status: Option<String>,
    #[ts(type = "number | null")]
    pub refund_available: Option<i64>,
    #[ts(type = "number | null")]
    pub refund_submitted: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortBy {
    #[default]
    Date,
    Amount,
    Reference,
}

/// What the caseworker asked for: one free-text box plus the admin tool's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PaymentQuery {
    /// A payment ID, a reference, an email, a name or the last four digits.
    #[ts(optional)]
    pub text: Option<String>,
    #[ts(optional)]
    pub reference: Option<String>,
    #[ts(optional)]
    pub email: Option<String>,
    #[ts(optional)]
    pub cardholder_name: Option<String>,
    #[ts(optional)]
    pub first6: Option<String>,
    #[ts(optional)]
    pub last4: Option<String>,
    /// A brand as GOV.UK Pay names it ("Visa", "Mastercard"...).
    #[ts(optional)]
    pub card_brand: Option<String>,
    /// An external status: created, started, submitted, capturable, success, failed, cancelled, error.
    #[ts(optional)]
    pub state: Option<String>,
    /// Inclusive, milliseconds since 1970.
    #[ts(optional, type = "number")]
    pub from_ms: Option<i64>,
    /// Exclusive, milliseconds since 1970.
    #[ts(optional, type = "number")]
    pub to_ms: Option<i64>,
    /// Several statuses at once: a payment in any of them (as `state`, each).
    #[ts(as = "Option<Vec<String>>", optional)]
    pub states: Vec<String>,
    /// Several card brands at once: a payment with any of them.
    #[ts(as = "Option<Vec<String>>", optional)]
    pub card_brands: Vec<String>,
    /// The lowest amount, in pence, inclusive.
    #[ts(optional, type = "number")]
    pub amount_from: Option<i64>,
    /// The highest amount, in pence, inclusive.
    #[ts(optional, type = "number")]
    pub amount_to: Option<i64>,
    #[ts(optional)]
    pub refunds: Option<RefundFilter>,
    #[ts(optional)]
    pub dispute: Option<DisputeFilter>,
    #[ts(optional)]
    pub metadata_value: Option<String>,
    #[ts(optional)]
    pub agreement_id: Option<String>,
    pub sort: SortBy,
    pub ascending: bool,
    /// From 1.
    pub page: u32,
    /// 1–200; 20 by default, as in the admin tool.
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PaymentResults {
    pub rows: Vec<PaymentRow>,
    /// How many match, counted up to 5,000 (the admin tool stops there too).
    /// Sorting by amount or reference orders those newest 5,000.
    pub total: u32,
    pub total_is_capped: bool,
    pub page: u32,
    pub page_size: u32,
}

/// Payments by what has been refunded of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RefundFilter {
    /// Some or all of it refunded.
    Refunded,
    /// All of it refunded.
    FullyRefunded,
    /// Nothing refunded.
    NotRefunded,
}

/// Payments by their disputes (chargebacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DisputeFilter {
    /// Disputed, whatever the dispute's status.
    Any,
    NeedsResponse,
    UnderReview,
    Won,
    Lost,
}

impl DisputeFilter {
    /// GOV.UK Pay's name of the dispute status, if this is one.
    pub fn status(self) -> Option<&'static str> {
        match self {
            DisputeFilter::Any => None,
            DisputeFilter::NeedsResponse => Some("needs_response"),
            DisputeFilter::UnderReview => Some("under_review"),
            DisputeFilter::Won => Some("won"),
            DisputeFilter::Lost => Some("lost"),
        }
    }
}

/// The admin tool's filters that narrow what an index found, row by row,
/// written once for both engines: several statuses or card brands, an
/// amount range, refunds and disputes.
pub(crate) fn push_row_filters<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    query: &PaymentQuery,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if !query.states.is_empty() {
        q.push(" AND (");
        for (i, state) in query.states.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            match StatusGroup::parse_filter(state) {
                Some(StatusFilter::Group(g)) => {
                    q.push("(").push(g.condition()).push(")");
                }
                Some(StatusFilter::Raw(s)) => {
                    q.push("p.status = ").push_bind(s.to_owned());
                }
                // Refused by `validate` before any search.
                None => {
                    q.push("FALSE");
                }
            }
        }
        q.push(")");
    }
    if !query.card_brands.is_empty() {
        q.push(" AND p.card_brand IN (");
        let mut each = q.separated(", ");
        for brand in &query.card_brands {
            each.push_bind(brand.clone());
        }
        q.push(")");
    }
    if let Some(from) = query.amount_from {
        q.push(" AND p.amount >= ").push_bind(from);
    }
    if let Some(to) = query.amount_to {
        q.push(" AND p.amount <= ").push_bind(to);
    }
    match query.refunds {
        Some(RefundFilter::Refunded) => {
            q.push(" AND coalesce(p.refund_submitted, 0) > 0");
        }
        Some(RefundFilter::FullyRefunded) => {
            q.push(" AND p.refund_status = 'full'");
        }
        Some(RefundFilter::NotRefunded) => {
            q.push(" AND coalesce(p.refund_submitted, 0) = 0");
        }
        None => {}
    }
    if let Some(d) = query.dispute {
        q.push(
            " AND EXISTS (SELECT 1 FROM disputes d WHERE d.service_id = p.service_id
               AND d.payment_id = p.payment_id",
        );
        if let Some(status) = d.status() {
            q.push(" AND d.status = ").push_bind(status.to_owned());
        }
        q.push(")");
    }
}

/// A payment's status as staff read it, in the list and in the status filter
/// alike. GOV.UK Pay's `failed` covers three different stories, told apart by
/// its code: declined (P0010), timed out (P0020) and cancelled by the payer
/// (P0030); `created`, `started` and `submitted` are all "in progress".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusGroup {
    InProgress,
    Capturable,
    Success,
    Declined,
    TimedOut,
    CancelledByPayer,
    Cancelled,
    Error,
}

impl StatusGroup {
    pub const ALL: [StatusGroup; 8] = [
        StatusGroup::InProgress,
        StatusGroup::Capturable,
        StatusGroup::Success,
        StatusGroup::Declined,
        StatusGroup::TimedOut,
        StatusGroup::CancelledByPayer,
        StatusGroup::Cancelled,
        StatusGroup::Error,
    ];

    /// The group a payment's status and code put it in.
    pub fn of(status: &str, code: Option<&str>) -> Option<StatusGroup> {
        Some(match (status, code) {
            ("created" | "started" | "submitted", _) => StatusGroup::InProgress,
            ("capturable", _) => StatusGroup::Capturable,
            ("success", _) => StatusGroup::Success,
            ("failed", Some("P0020")) => StatusGroup::TimedOut,
            ("failed", Some("P0030")) => StatusGroup::CancelledByPayer,
            ("failed", _) => StatusGroup::Declined,
            ("cancelled", _) => StatusGroup::Cancelled,
            ("error", _) => StatusGroup::Error,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusGroup::InProgress => "in_progress",
            StatusGroup::Capturable => "capturable",
            StatusGroup::Success => "success",
            StatusGroup::Declined => "declined",
            StatusGroup::TimedOut => "timed_out",
            StatusGroup::CancelledByPayer => "cancelled_by_payer",
            StatusGroup::Cancelled => "cancelled",
            StatusGroup::Error => "error",
        }
    }

    /// The filter's value: a group, or one of GOV.UK Pay's own states.
    pub fn parse_filter(value: &str) -> Option<StatusFilter> {
        if let Some(g) = Self::ALL.into_iter().find(|g| g.as_str() == value) {
            return Some(StatusFilter::Group(g));
        }
        RAW_STATES
            .iter()
            .find(|s| **s == value)
            .map(|s| StatusFilter::Raw(s))
    }
}

/// What the status filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Group(StatusGroup),
    /// One of GOV.UK Pay's external states, as its own search takes them.
    Raw(&'static str),
}

pub const RAW_STATES: [&str; 8] = [
    "created",
    "started",
    "submitted",
    "capturable",
    "success",
    "failed",
    "cancelled",
    "error",
];

/// Matches are counted up to this many (the admin tool stops there too).
pub(crate) const COUNT_LIMIT: u32 = 5000;

impl StatusGroup {
    /// The SQL condition on the payments table `p` (constant text, nothing bound).
    pub(crate) fn condition(self) -> &'static str {
        match self {
            StatusGroup::InProgress => "p.status IN ('created', 'started', 'submitted')",
            StatusGroup::Capturable => "p.status = 'capturable'",
            StatusGroup::Success => "p.status = 'success'",
            StatusGroup::Declined => {
                "p.status = 'failed' AND coalesce(p.code, '') NOT IN ('P0020', 'P0030')"
            }
            StatusGroup::TimedOut => "p.status = 'failed' AND p.code = 'P0020'",
            StatusGroup::CancelledByPayer => "p.status = 'failed' AND p.code = 'P0030'",
            StatusGroup::Cancelled => "p.status = 'cancelled'",
            StatusGroup::Error => "p.status = 'error'",
        }
    }
}

/// Creation times up to this (in ms, the year 2109) fit the rowid scheme.
pub(crate) const MAX_MS: i64 = (1 << 42) - 1;
/// Bits of the rowid that tell apart payments made in the same millisecond.
pub(crate) const TIE_BITS: u32 = 12;
pub(crate) const TIE_MASK: i64 = (1 << TIE_BITS) - 1;

/// A payment's place in the newest-first order of results (and its SQLite
/// rowid, below its service's slot): its creation time counted back from `MAX_MS`, shifted
/// left 12 bits, plus 12 bits of a hash of its ID to tell apart payments made
/// in the same millisecond (a clash is settled on insert). Rowids then run
/// newest first, in the table and in both full-text indexes (their rowids are
/// these), and FTS5 reads a word's matches in rowid order as a stream: the
/// newest 20 of 100,000 matches cost 20 reads, not 100,000.
pub(crate) fn date_key(created_ms: i64, payment_id: &str) -> i64 {
    // FNV-1a: stable across runs and builds, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in payment_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((MAX_MS - created_ms.clamp(0, MAX_MS)) << TIE_BITS) | (hash as i64 & TIE_MASK)
}

/// The next rowid to try in the same millisecond when `key` is taken.
pub(crate) fn next_key(key: i64) -> i64 {
    (key & !TIE_MASK) | ((key + 1) & TIE_MASK)
}

/// The words of a payment's searchable text, as the word index keeps them:
/// split as SQLite's FTS5 `unicode61` tokenizer splits them (letters and
/// digits, and `- _ @ .` inside words), in lower case, without accents. The
/// PostgreSQL store indexes exactly these, so both find the same payments.
pub(crate) fn search_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// The words typed into the search box, each to be matched as the start of
/// a word: what `fts_query` asks FTS5, folded the way FTS5 folds it.
pub(crate) fn query_words(text: &str) -> Vec<String> {
    text.split(char::is_whitespace)
        .map(|w| w.chars().filter(|c| is_word_char(*c)).collect::<String>())
        .filter(|w| !w.is_empty())
        .flat_map(|w| search_words(&w).collect::<Vec<_>>())
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || "-_@.".contains(c)
}

/// Lower case, accents taken off ("Siân" is "sian"), as `remove_diacritics 2`.
fn fold(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[async_trait]
pub trait SearchStore {
    /// One page of the service's cached payments that match, with how many
    /// match (up to 5,000). The query has been checked (`PaymentQuery::validate`).
    async fn search_payments(
        &self,
        service_id: &str,
        query: &PaymentQuery,
    ) -> Result<PaymentResults, StoreError>;
    /// Keeps payments GOV.UK Pay just returned and reads them back as result
    /// rows, in the order given (a live search's page, an agreement's payments).
    async fn keep_and_read_rows(
        &self,
        service_id: &str,
        payments: &[Payment],
    ) -> Result<Vec<PaymentRow>, StoreError>;
    /// The cached rows of these payments, in the order given; a payment
    /// the cache does not hold is left out.
    async fn payment_rows(
        &self,
        service_id: &str,
        payment_ids: &[String],
    ) -> Result<Vec<PaymentRow>, StoreError>;
    /// How many payments the cache holds for the service.
    async fn payment_count(&self, service_id: &str) -> Result<i64, StoreError>;
}

/// What the text in the search box is. Decided here once, for both stores'
/// searches of the cache and for the live search at GOV.UK Pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchText<'a> {
    /// A GOV.UK Pay payment ID (26 letters a–v and digits), in lower case.
    PaymentId(String),
    /// Terms, each of which a payment must match (see `SearchTerm`); `text`
    /// is what was typed, trimmed, for GOV.UK Pay's exact-match filters.
    Terms {
        text: &'a str,
        terms: Vec<SearchTerm>,
    },
}

/// One term of the search box (the text between spaces). A payment matches
/// it when any of these holds:
/// - a word of its reference, description, email, cardholder name or
///   metadata starts with `word`; so does a part of a word of its
///   reference, email or name, a part starting after `-`, `_`, `@` or `.`
///   or where letters turn to digits or back ("0019992" in "PRK-0019992",
///   "lewis17" and "example.org" in "niamh.lewis17@example.org");
/// - its amount is `amount` ("45", "45.50", "£1,250" as a person reads them);
/// - its card's last four digits are `last4`.
///
/// "niamh lewis 1111" is three terms, all of which must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    /// The start of a word, as typed (letters, digits and `- _ @ .`, with
    /// the punctuation at its start dropped); none for an amount written
    /// with a pound sign.
    pub word: Option<String>,
    /// The amount it reads as, in pence.
    pub amount: Option<i64>,
    /// Four digits: the card's last four, too.
    pub last4: Option<String>,
    /// The word as typed, every character kept (punctuation at its start
    /// aside), for matching text on each row while the word index is being
    /// built or cannot answer (see the SQLite store).
    pub typed: Option<String>,
}

/// The largest amount GOV.UK Pay takes, in pence (£100,000).
const MAX_AMOUNT: i64 = 10_000_000;

/// An amount as a person writes it, in pence: whole pounds ("45"), pounds
/// and pence ("45.50", "45.5"), thousands grouped ("1,250.00"). A leading
/// zero makes it a number of another kind ("0019992"), except "0.50".
pub fn amount_of(text: &str) -> Option<i64> {
    let (pounds, pence) = match text.split_once('.') {
        Some((p, d)) if (1..=2).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) => {
            (p, d)
        }
        Some(_) => return None,
        None => (text, ""),
    };
    let groups: Vec<&str> = pounds.split(',').collect();
    let grouped = groups.len() > 1;
    let well_grouped = groups.iter().enumerate().all(|(i, g)| {
        !g.is_empty()
            && g.bytes().all(|b| b.is_ascii_digit())
            && (!grouped || if i == 0 { g.len() <= 3 } else { g.len() == 3 })
    });
    let whole: String = groups.concat();
    if !well_grouped || whole.len() > 7 || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    let pence = match pence.len() {
        0 => 0,
        1 => pence.parse::<i64>().ok()? * 10,
        _ => pence.parse::<i64>().ok()?,
    };
    let total = whole.parse::<i64>().ok()? * 100 + pence;
    (1..=MAX_AMOUNT).contains(&total).then_some(total)
}

impl SearchTerm {
    /// The term a piece of the search box's text (no spaces in it) is, if any.
    fn of(piece: &str) -> Option<Self> {
        if let Some(rest) = piece.strip_prefix('£') {
            // A pound sign: an amount and nothing else.
            return amount_of(rest).map(|amount| SearchTerm {
                word: None,
                amount: Some(amount),
                last4: None,
                typed: None,
            });
        }
        let kept: String = piece.chars().filter(|c| is_word_char(*c)).collect();
        let word = kept.trim_start_matches(|c: char| !c.is_alphanumeric());
        let last4 = (piece.len() == 4 && piece.bytes().all(|b| b.is_ascii_digit()))
            .then(|| piece.to_owned());
        let typed = piece.trim_start_matches(|c: char| !c.is_alphanumeric());
        let term = SearchTerm {
            word: (!word.is_empty()).then(|| word.to_owned()),
            amount: amount_of(piece),
            last4,
            typed: (!word.is_empty()).then(|| typed.to_owned()),
        };
        (term.word.is_some() || term.amount.is_some()).then_some(term)
    }
}

impl<'a> SearchText<'a> {
    /// What `text` is, trimmed; `None` when there is nothing to look for.
    pub fn of(text: &'a str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        let lower = t.to_ascii_lowercase();
        if is_payment_id(&lower) {
            return Some(SearchText::PaymentId(lower));
        }
        let terms: Vec<SearchTerm> = t.split_whitespace().filter_map(SearchTerm::of).collect();
        (!terms.is_empty()).then_some(SearchText::Terms { text: t, terms })
    }
}

impl PaymentQuery {
    /// What the search box holds, if anything.
    pub fn search_text(&self) -> Option<SearchText<'_>> {
        self.text.as_deref().and_then(SearchText::of)
    }
}

/// The token a payment's amount is indexed as, beside its words: a leading
/// `_` keeps it out of reach of a typed word (see `SearchTerm::of`).
pub(crate) fn amount_token(pence: i64) -> String {
    format!("_a{pence}")
}

/// The token of a card's last four digits, as `amount_token`.
pub(crate) fn last4_token(digits: &str) -> String {
    format!("_l{digits}")
}

/// What a payment is found by beyond its words (see `SearchTerm`): the parts
/// of the words of its reference, email and cardholder name, its amount and
/// its card's last four digits, as tokens for the word index.
pub(crate) fn more_tokens(
    reference: &str,
    email: Option<&str>,
    cardholder_name: Option<&str>,
    amount: i64,
    last4: Option<&str>,
) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for text in [Some(reference), email, cardholder_name]
        .into_iter()
        .flatten()
    {
        for word in search_words(text) {
            for part in word_parts(&word) {
                if !tokens.iter().any(|t| t == part) {
                    tokens.push(part.to_owned());
                }
            }
        }
    }
    tokens.push(amount_token(amount));
    if let Some(l) = last4.filter(|l| !l.is_empty()) {
        tokens.push(last4_token(l));
    }
    tokens
}

/// The parts of a word after its start: each begins with a letter or digit
/// that follows `- _ @ .`, or where letters turn to digits or back.
fn word_parts(word: &str) -> impl Iterator<Item = &str> {
    let mut prev: Option<char> = None;
    word.char_indices().filter_map(move |(i, c)| {
        let before = prev.replace(c)?;
        let starts = c.is_alphanumeric()
            && (!before.is_alphanumeric() || before.is_numeric() != c.is_numeric());
        starts.then(|| &word[i..])
    })
}

/// GOV.UK Pay's payment IDs: 26 characters of base-32 (digits, then a–v).
fn is_payment_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::{SearchTerm, SearchText, amount_of, more_tokens};

    fn term(word: Option<&str>, amount: Option<i64>, last4: Option<&str>) -> SearchTerm {
        SearchTerm {
            word: word.map(str::to_owned),
            amount,
            last4: last4.map(str::to_owned),
            typed: word.map(str::to_owned),
        }
    }

    fn terms(text: &str) -> Vec<SearchTerm> {
        match SearchText::of(text) {
            Some(SearchText::Terms { terms, .. }) => terms,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn the_search_box_text_is_read_one_way() {
        let id = "7bbbuc84q1ljbp11v5jfs4tath";
        assert_eq!(SearchText::of(""), None);
        assert_eq!(SearchText::of("   "), None);
        assert_eq!(SearchText::of(id), Some(SearchText::PaymentId(id.into())));
        assert_eq!(
            SearchText::of(" 7BBBUC84Q1LJBP11V5JFS4TATH "),
            Some(SearchText::PaymentId(id.into()))
        );
        // One letter past v: not base 32, so not an ID.
        assert_eq!(
            terms("7bbbuc84q1ljbp11v5jfs4tatw"),
            [term(Some("7bbbuc84q1ljbp11v5jfs4tatw"), None, None)]
        );
        assert_eq!(
            terms("1111"),
            [term(Some("1111"), Some(111_100), Some("1111"))]
        );
        assert_eq!(terms("11111"), [term(Some("11111"), Some(1_111_100), None)]);
        assert_eq!(terms("111a"), [term(Some("111a"), None, None)]);
        assert_eq!(terms("0019992"), [term(Some("0019992"), None, None)]);
        assert_eq!(terms("45"), [term(Some("45"), Some(4500), None)]);
        assert_eq!(terms("£45.00"), [term(None, Some(4500), None)]);
        assert_eq!(terms("45.5"), [term(Some("45.5"), Some(4550), None)]);
        assert_eq!(
            terms("@example.org"),
            [term(Some("example.org"), None, None)]
        );
        // Kept as typed for matching on each row: "O'Neill" has no word "ONeill".
        assert_eq!(terms("O'Neill")[0].typed.as_deref(), Some("O'Neill"));
        assert_eq!(terms("O'Neill")[0].word.as_deref(), Some("ONeill"));
        assert_eq!(
            terms("Niamh Lewis 1111"),
            [
                term(Some("Niamh"), None, None),
                term(Some("Lewis"), None, None),
                term(Some("1111"), Some(111_100), Some("1111")),
            ]
        );
        assert_eq!(
            terms("PRK-0019999"),
            [term(Some("PRK-0019999"), None, None)]
        );
        // Nothing to look for in punctuation alone, or a pound sign on a word.
        assert_eq!(SearchText::of("-- ; !"), None);
        assert_eq!(SearchText::of("£abc"), None);
        // The typed text is kept for GOV.UK Pay's own filters.
        assert!(matches!(
            SearchText::of(" a@b.org "),
            Some(SearchText::Terms {
                text: "a@b.org",
                ..
            })
        ));
    }

    #[test]
    fn amounts_are_read_as_a_person_writes_them_or_not_at_all() {
        for (typed, pence) in [
            ("45", Some(4500)),
            ("45.00", Some(4500)),
            ("45.5", Some(4550)),
            ("0.50", Some(50)),
            ("1,250", Some(125_000)),
            ("1,250.75", Some(125_075)),
            ("100000", Some(10_000_000)),
            ("100000.01", None),
            ("0", None),
            ("0019992", None),
            ("12,50", None),
            ("1,2500", None),
            ("45.123", None),
            ("45.", None),
            (".5", None),
            ("4e3", None),
            ("", None),
        ] {
            assert_eq!(amount_of(typed), pence, "{typed:?}");
        }
    }

    #[test]
    fn a_payment_is_found_by_the_parts_of_its_words_its_amount_and_card() {
        let tokens = more_tokens(
            "PRK-0019992",
            Some("Niamh.Lewis17@example.org"),
            Some("Mary-Jane O'Neill"),
            4500,
            Some("1111"),
        );
        assert_eq!(
            tokens,
            [
                "0019992",
                "lewis17@example.org",
                "17@example.org",
                "example.org",
                "org",
                "jane",
                "_a4500",
                "_l1111",
            ]
        );
        // Nothing more than the amount for a payment with no parts or card.
        assert_eq!(more_tokens("ABC", None, None, 100, None), ["_a100"]);
    }
}
