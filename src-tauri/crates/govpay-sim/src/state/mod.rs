//! The simulator's state and every operation on it, independent of HTTP.
//!
//! One file per resource, as the client has them, so a rule sits beside its
//! endpoint: `payments` (create, get, events, cancel, capture), `refunds`,
//! `auth` (card details: `POST /v1/auth` and the hosted page), `disputes`,
//! `agreements`, and `search` (the four eventually consistent searches).

mod agreements;
mod auth;
mod disputes;
mod payments;
mod refunds;
mod search;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use govpay::models::{
    Agreement, Dispute, DisputeSearchPage, Link, Payment, PaymentEvents, PaymentRefunds, Refund,
    RefundLinks, SearchNavigationLinks, SearchPage, SelfLink,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::accounts::{Account, PaymentProvider};
use crate::cards::{self, AfterCapture, Outcome};
use crate::clock::{Clock, parse_search_date, parse_search_time};
use crate::errors::{ApiError, ApiResult};
use crate::ids::IdGen;
use crate::model::{
    Card, Mode, SimAgreement, SimDispute, SimPayment, SimRefund, Status, View, get_link,
};
use crate::validate::{self, QueryErrors};

/// Unfinished payments expire after 90 minutes; capturable ones after 120 hours.
const EXPIRY: time::Duration = time::Duration::minutes(90);
const CAPTURABLE_EXPIRY: time::Duration = time::Duration::hours(120);
/// Stripe's dispute fee.
pub(crate) const DISPUTE_FEE: i64 = 2000;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub payment: usize,
    pub used: bool,
}

/// A recorded `Idempotency-Key`: the body it came with and the payment it made.
#[derive(Debug, Clone)]
struct IdempotentCreate {
    body: Value,
    payment: usize,
    at: OffsetDateTime,
}

/// How a payment looked to the eventually consistent search before its latest
/// changes (which become visible at `visible_at`).
#[derive(Debug, Clone)]
struct LedgerLag {
    visible_at: Instant,
    /// `None`: the payment is new and not yet searchable at all.
    before: Option<Box<SimPayment>>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub accounts: Vec<Account>,
    pub clock: Clock,
    pub ids: IdGen,
    pub base_url: String,
    pub payments: Vec<SimPayment>,
    by_id: HashMap<String, usize>,
    /// Each account's payments, oldest first.
    by_account: HashMap<u32, Vec<usize>>,
    unfinished: BTreeSet<usize>,
    pub tokens: HashMap<String, Token>,
    pub refunds: Vec<SimRefund>,
    refunds_by_account: HashMap<u32, Vec<usize>>,
    pub disputes: Vec<SimDispute>,
    disputes_by_account: HashMap<u32, Vec<usize>>,
    open_disputes: BTreeSet<usize>,
    pub agreements: Vec<SimAgreement>,
    agreements_by_id: HashMap<String, usize>,
    idempotency: HashMap<(u32, String), IdempotentCreate>,
    /// How long search endpoints lag behind writes.
    pub consistency_lag: Duration,
    ledger_lag: HashMap<usize, LedgerLag>,
    /// Telephone and agreement payments whose capture is queued: when each
    /// is captured, and what its test card does after capture.
    capture_queue: Vec<(usize, AfterCapture, OffsetDateTime)>,
    pub capture_queued_for: Duration,
}

/// What `POST /v1/auth` answers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AuthAnswer {
    Authorised,
}

impl State {
    pub fn new(
        accounts: Vec<Account>,
        seed: u64,
        base_url: String,
        consistency_lag: Duration,
    ) -> Self {
        Self {
            accounts,
            clock: Clock::default(),
            ids: IdGen::new(seed),
            base_url,
            payments: Vec::new(),
            by_id: HashMap::new(),
            by_account: HashMap::new(),
            unfinished: BTreeSet::new(),
            tokens: HashMap::new(),
            refunds: Vec::new(),
            refunds_by_account: HashMap::new(),
            disputes: Vec::new(),
            disputes_by_account: HashMap::new(),
            open_disputes: BTreeSet::new(),
            agreements: Vec::new(),
            agreements_by_id: HashMap::new(),
            idempotency: HashMap::new(),
            consistency_lag,
            ledger_lag: HashMap::new(),
            capture_queue: Vec::new(),
            capture_queued_for: Duration::ZERO,
        }
    }

    pub fn account(&self, id: u32) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    fn provider(&self, account: u32) -> PaymentProvider {
        self.account(account)
            .map(|a| a.provider)
            .unwrap_or(PaymentProvider::Sandbox)
    }

    // ---- bookkeeping ------------------------------------------------------

    /// Adds a payment to every index. Used by create and by the seed generator,
    /// which must add payments oldest first.
    pub fn insert_payment(&mut self, p: SimPayment) -> usize {
        let idx = self.payments.len();
        self.by_id.insert(p.id.clone(), idx);
        self.by_account.entry(p.account).or_default().push(idx);
        if !p.status.finished() {
            self.unfinished.insert(idx);
        }
        self.payments.push(p);
        idx
    }

    pub fn insert_refund(&mut self, r: SimRefund) -> usize {
        let idx = self.refunds.len();
        let account = self.payments[r.payment].account;
        self.payments[r.payment].refunds.push(idx);
        self.refunds_by_account
            .entry(account)
            .or_default()
            .push(idx);
        self.refunds.push(r);
        idx
    }

    pub fn insert_dispute(&mut self, d: SimDispute) -> usize {
        let idx = self.disputes.len();
        let account = self.payments[d.payment].account;
        self.payments[d.payment].dispute = Some(idx);
        self.disputes_by_account
            .entry(account)
            .or_default()
            .push(idx);
        if d.auto_outcome.is_some() {
            self.open_disputes.insert(idx);
        }
        self.disputes.push(d);
        idx
    }

    /// After seeding, keeps each account's refunds and disputes in date order, as
    /// the searches answer newest first by date (seeded ones arrive out of order).
    pub fn sort_by_date(&mut self) {
        for list in self.refunds_by_account.values_mut() {
            list.sort_by_key(|&i| self.refunds[i].created);
        }
        for list in self.disputes_by_account.values_mut() {
            list.sort_by_key(|&i| self.disputes[i].created);
        }
    }

    pub fn insert_agreement(&mut self, a: SimAgreement) -> usize {
        let idx = self.agreements.len();
        self.agreements_by_id.insert(a.id.clone(), idx);
        self.agreements.push(a);
        idx
    }

    /// Before a payment changes, remember how search saw it, so search can lag.
    fn before_change(&mut self, idx: usize) {
        if self.consistency_lag.is_zero() {
            return;
        }
        let now = Instant::now();
        let visible_at = now + self.consistency_lag;
        match self.ledger_lag.get_mut(&idx) {
            // Earlier changes are still unseen: search keeps the older picture.
            Some(lag) if lag.visible_at > now => lag.visible_at = visible_at,
            _ => {
                let before = Some(Box::new(self.payments[idx].clone()));
                self.ledger_lag
                    .insert(idx, LedgerLag { visible_at, before });
            }
        }
    }

    fn new_payment_lag(&mut self, idx: usize) {
        if !self.consistency_lag.is_zero() {
            let visible_at = Instant::now() + self.consistency_lag;
            self.ledger_lag.insert(
                idx,
                LedgerLag {
                    visible_at,
                    before: None,
                },
            );
        }
    }

    pub(crate) fn set_status(&mut self, idx: usize, status: Status) {
        self.before_change(idx);
        let now = self.clock.now();
        self.payments[idx].set_status(status, now);
        if status.finished() {
            self.unfinished.remove(&idx);
        }
    }

    /// Applies what time alone does: queued captures, expiry and Stripe's
    /// scripted dispute outcomes.
    pub fn sweep(&mut self) {
        let now = self.clock.now();
        let (due, queued): (Vec<_>, Vec<_>) = std::mem::take(&mut self.capture_queue)
            .into_iter()
            .partition(|&(_, _, at)| at <= now);
        self.capture_queue = queued;
        for (idx, after, _) in due {
            self.capture_payment(idx, after);
        }
        let due: Vec<usize> = self
            .unfinished
            .iter()
            .copied()
            .filter(|&i| {
                let p = &self.payments[i];
                let limit = if p.status == Status::Capturable {
                    CAPTURABLE_EXPIRY
                } else {
                    EXPIRY
                };
                now - p.status_since >= limit
            })
            .collect();
        for i in due {
            let expires_at = {
                let p = &self.payments[i];
                p.status_since
                    + if p.status == Status::Capturable {
                        CAPTURABLE_EXPIRY
                    } else {
                        EXPIRY
                    }
            };
            self.before_change(i);
            self.payments[i].set_status(Status::Expired, expires_at);
            self.unfinished.remove(&i);
        }
        let open: Vec<usize> = self.open_disputes.iter().copied().collect();
        for d in open {
            let (created, outcome) = (self.disputes[d].created, self.disputes[d].auto_outcome);
            let Some(outcome) = outcome else { continue };
            let payment = self.disputes[d].payment;
            if self.disputes[d].status == "needs_response"
                && now - created >= time::Duration::hours(1)
            {
                self.before_change(payment);
                self.disputes[d].status = "under_review";
            }
            if self.disputes[d].status == "under_review"
                && now - created >= time::Duration::hours(2)
            {
                self.before_change(payment);
                self.resolve_dispute_at(d, outcome, created + time::Duration::hours(2));
                self.open_disputes.remove(&d);
            }
        }
    }

    fn payment_index(&self, account: u32, id: &str) -> Option<usize> {
        self.by_id
            .get(id)
            .copied()
            .filter(|&i| self.payments[i].account == account)
    }

    fn mint_token(&mut self, idx: usize) -> String {
        let token = self.ids.token();
        self.tokens.insert(
            token.clone(),
            Token {
                payment: idx,
                used: false,
            },
        );
        token
    }

    fn wire_full(&mut self, idx: usize) -> Payment {
        let p = &self.payments[idx];
        let wants_token = !p.status.finished()
            && matches!(p.mode, Mode::Web | Mode::MotoApi)
            && p.status != Status::Capturable;
        let token = wants_token.then(|| self.mint_token(idx));
        self.payments[idx].wire(
            &self.base_url,
            View::Full,
            token.as_deref(),
            &self.refunds,
            &self.disputes,
            self.clock.now(),
        )
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
}

fn account_disabled() -> ApiError {
    ApiError::new(
        403,
        "P0941",
        "GOV.UK Pay has disabled payment and refund creation on this account. Contact support with your error code - https://www.payments.service.gov.uk/support/ .",
    )
}

/// The test card number a stored card stands for (the simulator only ever sees
/// test cards, so first six and last four pick it out).
fn stored_test_number(card: &Card) -> String {
    match (card.first6.as_str(), card.last4.as_str()) {
        ("510510", "5100") => "5105105105105100".into(),
        ("400000", "3184") => "4000002760003184".into(),
        _ => "4242424242424242".into(),
    }
}

pub(crate) use auth::expiry_in_future;

#[cfg(test)]
mod tests {
    use super::search::url_escape;
    use super::*;

    #[test]
    fn expiry_dates_in_the_past_are_refused() {
        let now = time::macros::datetime!(2026-11-21 12:00 UTC);
        assert_eq!(expiry_in_future("11/26", now), Some(true));
        assert_eq!(expiry_in_future("10/26", now), Some(false));
        assert_eq!(expiry_in_future("01/27", now), Some(true));
        assert_eq!(expiry_in_future("13/27", now), None);
        assert_eq!(expiry_in_future("1/27", now), None);
    }

    #[test]
    fn escapes_query_values() {
        assert_eq!(url_escape("a b&c"), "a%20b%26c");
    }
}
