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
    /// How many payments the cache holds for the service.
    async fn payment_count(&self, service_id: &str) -> Result<i64, StoreError>;
}

/// What the text in the search box is. Decided here once, for the cache's
/// search and for the live search at GOV.UK Pay alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchText<'a> {
    /// A GOV.UK Pay payment ID (26 letters a–v and digits), in lower case.
    PaymentId(String),
    /// Four digits: the card's last four, or a reference of four digits.
    LastFour(&'a str),
    /// One word holding an @: an email, or part of one.
    Email(&'a str),
    /// Words, each of which must match (a reference, a name, a description...).
    Words(&'a str),
}

impl<'a> SearchText<'a> {
    /// What `text` is, trimmed; `None` when there is nothing to look for.
    pub fn of(text: &'a str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        let lower = t.to_ascii_lowercase();
        Some(if is_payment_id(&lower) {
            SearchText::PaymentId(lower)
        } else if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            SearchText::LastFour(t)
        } else if t.contains('@') && !t.contains(char::is_whitespace) {
            SearchText::Email(t)
        } else {
            SearchText::Words(t)
        })
    }
}

impl PaymentQuery {
    /// What the search box holds, if anything.
    pub fn search_text(&self) -> Option<SearchText<'_>> {
        self.text.as_deref().and_then(SearchText::of)
    }
}

/// GOV.UK Pay's payment IDs: 26 characters of base-32 (digits, then a–v).
fn is_payment_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::SearchText;

    #[test]
    fn the_search_box_text_is_read_one_way() {
        let id = "7bbbuc84q1ljbp11v5jfs4tath";
        for (typed, is) in [
            ("", None),
            ("   ", None),
            (id, Some(SearchText::PaymentId(id.into()))),
            (
                " 7BBBUC84Q1LJBP11V5JFS4TATH ",
                Some(SearchText::PaymentId(id.into())),
            ),
            // One letter past v: not base 32, so not an ID.
            (
                "7bbbuc84q1ljbp11v5jfs4tatw",
                Some(SearchText::Words("7bbbuc84q1ljbp11v5jfs4tatw")),
            ),
            ("1111", Some(SearchText::LastFour("1111"))),
            ("11111", Some(SearchText::Words("11111"))),
            ("111a", Some(SearchText::Words("111a"))),
            ("a@b.org", Some(SearchText::Email("a@b.org"))),
            ("@example.org", Some(SearchText::Email("@example.org"))),
            ("niamh a@b.org", Some(SearchText::Words("niamh a@b.org"))),
            ("Niamh Lewis", Some(SearchText::Words("Niamh Lewis"))),
            ("PRK-0019999", Some(SearchText::Words("PRK-0019999"))),
        ] {
            assert_eq!(SearchText::of(typed), is, "{typed:?}");
        }
    }
}
