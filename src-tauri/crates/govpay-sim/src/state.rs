//! The simulator's state and every operation on it, independent of HTTP.

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

    /// Applies what time alone does: expiry and Stripe's scripted dispute outcomes.
    pub fn sweep(&mut self) {
        let now = self.clock.now();
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
        )
    }

    // ---- payments ---------------------------------------------------------

    /// `POST /v1/payments`. Returns the status (201, or 200 for an idempotent replay).
    pub fn create_payment(
        &mut self,
        account_id: u32,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> ApiResult<(u16, Payment)> {
        let account = self
            .account(account_id)
            .cloned()
            .ok_or_else(|| ApiError::new(500, "P0199", "There is an error with this account."))?;
        if account.disabled {
            return Err(account_disabled());
        }
        if let Some(key) = idempotency_key {
            let valid = !key.is_empty()
                && key.len() <= 255
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid {
                let why = if key.is_empty() || key.len() > 255 {
                    "Header [Idempotency-Key] can have a size between 1 and 255"
                } else {
                    "Header [Idempotency-Key] can only contain alphanumeric characters and hyphens"
                };
                return Err(ApiError::new(422, "P0102", why).header("Idempotency-Key"));
            }
        }
        let min = if account.allow_zero_amount {
            0
        } else if account.provider == PaymentProvider::Stripe {
            30
        } else {
            1
        };
        let amount = validate::amount(body, min, "P0101", "P0102")?;
        let reference = validate::required_text(body, "reference", 255, "P0101", "P0102")?;
        let description = validate::required_text(body, "description", 255, "P0101", "P0102")?;
        let mode = match body.get("authorisation_mode") {
            None | Some(Value::Null) => Mode::Web,
            Some(Value::String(s)) if s == "web" => Mode::Web,
            Some(Value::String(s)) if s == "moto_api" => Mode::MotoApi,
            Some(Value::String(s)) if s == "agreement" => Mode::Agreement,
            Some(_) => {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "authorisation_mode",
                    "Must be one of web, moto_api, agreement",
                ));
            }
        };
        let unexpected = |field: &str| {
            ApiError::new(400, "P0104", format!("Unexpected attribute: {field}")).field(field)
        };
        let return_url = match (mode, body.get("return_url")) {
            (Mode::Web, None | Some(Value::Null)) => {
                return Err(ApiError::missing("P0101", "return_url"));
            }
            (Mode::Web, Some(Value::String(u))) => {
                let parsed = url_ok(u);
                if validate::java_len(u) > 2000 {
                    return Err(ApiError::invalid(
                        422,
                        "P0102",
                        "return_url",
                        "Must be less than or equal to 2000 characters length",
                    ));
                }
                if !parsed {
                    return Err(ApiError::invalid(
                        422,
                        "P0102",
                        "return_url",
                        "Must be a valid URL format",
                    ));
                }
                if account.live && !u.starts_with("https://") {
                    return Err(ApiError::invalid(
                        422,
                        "P0920",
                        "return_url",
                        "Must begin with https:// for a live gateway account",
                    ));
                }
                Some(u.clone())
            }
            (Mode::Web, Some(_)) => {
                return Err(ApiError::invalid(
                    400,
                    "P0102",
                    "return_url",
                    "Must be a valid string format",
                ));
            }
            (_, Some(_)) => return Err(unexpected("return_url")),
            (_, None) => None,
        };
        let email = validate::optional_text(body, "email", 254, "P0102")?;
        let language = match body.get("language") {
            None | Some(Value::Null) => "en",
            Some(Value::String(l)) if l == "en" => "en",
            Some(Value::String(l)) if l == "cy" => "cy",
            Some(Value::String(_)) => {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "language",
                    "Must be \"en\" or \"cy\"",
                ));
            }
            Some(_) => {
                return Err(ApiError::invalid(
                    400,
                    "P0102",
                    "language",
                    "Must be \"en\" or \"cy\"",
                ));
            }
        };
        let delayed_capture = validate::optional_bool(body, "delayed_capture")?.unwrap_or(false);
        let moto_flag = validate::optional_bool(body, "moto")?;
        let metadata = validate::metadata(body)?;
        if body.get("prefilled_cardholder_details").is_some() && mode == Mode::Agreement {
            return Err(unexpected("prefilled_cardholder_details"));
        }
        let agreement_payment_type = match body.get("agreement_payment_type") {
            None | Some(Value::Null) => None,
            Some(Value::String(t))
                if ["instalment", "recurring", "unscheduled"].contains(&t.as_str()) =>
            {
                Some(t.clone())
            }
            Some(_) => {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "agreement_payment_type",
                    "Must be one of instalment, recurring, unscheduled",
                ));
            }
        };
        let set_up_agreement = validate::optional_text(body, "set_up_agreement", 26, "P0102")?;
        let agreement_id = match body.get("agreement_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => {
                return Err(ApiError::invalid(
                    400,
                    "P0102",
                    "agreement_id",
                    "Must be a valid string format",
                ));
            }
        };

        match mode {
            Mode::MotoApi if !account.moto_api_enabled => {
                return Err(ApiError::new(
                    422,
                    "P0195",
                    "Using authorisation_mode of moto_api is not allowed for this account",
                )
                .field("authorisation_mode"));
            }
            Mode::Agreement => {
                for field in ["email", "moto"] {
                    if body.get(field).is_some() {
                        return Err(unexpected(field));
                    }
                }
                if !account.recurring_enabled {
                    return Err(ApiError::new(
                        422,
                        "P0942",
                        "Recurring card payments are currently disabled for this service. Contact support with your error code - https://www.payments.service.gov.uk/support/",
                    ));
                }
                let Some(id) = &agreement_id else {
                    return Err(ApiError::missing("P0101", "agreement_id"));
                };
                if id.chars().count() != 26 {
                    return Err(ApiError::invalid(
                        422,
                        "P0102",
                        "agreement_id",
                        "Field [agreement_id] length must be 26",
                    ));
                }
                match self.agreements_by_id.get(id).map(|&i| &self.agreements[i]) {
                    Some(a) if a.account == account_id && a.status == "active" => {}
                    Some(a) if a.account == account_id => {
                        return Err(ApiError::new(
                            400,
                            "P0102",
                            "Invalid attribute value: agreement_id. Agreement must be active",
                        )
                        .field("agreement_id"));
                    }
                    _ => {
                        return Err(ApiError::new(
                            400,
                            "P0102",
                            "Invalid attribute value: agreement_id. Agreement does not exist",
                        )
                        .field("agreement_id"));
                    }
                }
            }
            _ => {
                if agreement_id.is_some() {
                    return Err(unexpected("agreement_id"));
                }
            }
        }
        if moto_flag == Some(true) && !account.moto_api_enabled && mode != Mode::MotoApi {
            return Err(ApiError::new(
                422,
                "P0196",
                "MOTO payments are not enabled for this account. Please contact support if you would like to process MOTO payments - https://www.payments.service.gov.uk/support/ .",
            ));
        }
        if let Some(sua) = &set_up_agreement {
            if sua.chars().count() != 26 {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "set_up_agreement",
                    "Field [set_up_agreement] length must be 26",
                ));
            }
            if mode != Mode::Web {
                return Err(unexpected("set_up_agreement"));
            }
            let exists = self
                .agreements_by_id
                .get(sua)
                .is_some_and(|&i| self.agreements[i].account == account_id);
            if !exists {
                return Err(ApiError::new(
                    400,
                    "P0103",
                    "Invalid attribute value: set_up_agreement. Agreement ID does not exist",
                )
                .field("set_up_agreement"));
            }
        }
        if agreement_payment_type.is_some() && set_up_agreement.is_none() && mode != Mode::Agreement
        {
            return Err(unexpected("agreement_payment_type"));
        }

        // Idempotency-Key only counts for agreement payments; elsewhere it is checked and ignored.
        let now = self.clock.now();
        if mode == Mode::Agreement
            && let Some(key) = idempotency_key
        {
            let slot = (account_id, key.to_owned());
            if let Some(prev) = self.idempotency.get(&slot)
                && now - prev.at < time::Duration::hours(24)
            {
                if &prev.body == body {
                    let idx = prev.payment;
                    return Ok((200, self.wire_full(idx)));
                }
                return Err(ApiError::new(
                    409,
                    "P0191",
                    "The `Idempotency-Key` you sent in the request header has already been used to create a payment.",
                ));
            }
        }

        let id = self.ids.external_id();
        let payment = SimPayment {
            id,
            account: account_id,
            amount,
            reference,
            description,
            email,
            language,
            metadata,
            return_url,
            mode,
            // Connector forces moto on for moto_api payments.
            moto: mode == Mode::MotoApi || moto_flag.unwrap_or(false),
            delayed_capture,
            provider: account.provider.as_str(),
            provider_id: None,
            status: Status::Created,
            created: now,
            status_since: now,
            captured: None,
            card: None,
            three_ds: false,
            agreement_id: agreement_id.clone(),
            set_up_agreement,
            agreement_payment_type,
            events: vec![(Status::Created, now)],
            refunds: Vec::new(),
            dispute: None,
        };
        let idx = self.insert_payment(payment);
        self.new_payment_lag(idx);
        if mode == Mode::Agreement {
            if let Some(key) = idempotency_key {
                self.idempotency.insert(
                    (account_id, key.to_owned()),
                    IdempotentCreate {
                        body: body.clone(),
                        payment: idx,
                        at: now,
                    },
                );
            }
            // The user is not present: the agreement's card is charged at once.
            let card = agreement_id
                .and_then(|id| self.agreements_by_id.get(&id).copied())
                .and_then(|a| self.agreements[a].instrument.clone())
                .map(|(card, _)| card);
            self.set_status(idx, Status::Started);
            self.charge_stored_card(idx, card);
        }
        Ok((201, self.wire_full(idx)))
    }

    fn charge_stored_card(&mut self, idx: usize, card: Option<Card>) {
        let declines = card.as_ref().is_some_and(|c| {
            let number = stored_test_number(c);
            cards::lookup(self.provider(self.payments[idx].account), &number).declines_recurring
        });
        self.payments[idx].card = card;
        if declines {
            self.set_status(idx, Status::Declined);
            self.payments[idx].provider_id = Some(format!("prov-{}", self.payments[idx].id));
        } else {
            self.set_status(idx, Status::Submitted);
            self.capture_now_or_hold(idx, AfterCapture::Nothing);
        }
    }

    pub fn get_payment(&mut self, account: u32, id: &str) -> ApiResult<Payment> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0200"))?;
        Ok(self.wire_full(idx))
    }

    pub fn events(&self, account: u32, id: &str) -> ApiResult<PaymentEvents> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0300"))?;
        let p = &self.payments[idx];
        Ok(PaymentEvents {
            payment_id: govpay::PaymentId::from_trusted(p.id.clone()),
            events: p.wire_events(&self.base_url),
            links: SelfLink {
                self_: Some(get_link(format!(
                    "{}/v1/payments/{}/events",
                    self.base_url, p.id
                ))),
            },
        })
    }

    /// `POST .../cancel`: 204 while not finished; 400 P0501 once finished.
    pub fn cancel(&mut self, account: u32, id: &str) -> ApiResult<()> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0500"))?;
        let p = &self.payments[idx];
        if p.mode == Mode::Agreement || !p.status.cancellable() {
            return Err(ApiError::new(
                400,
                "P0501",
                "Cancellation of payment failed",
            ));
        }
        self.set_status(idx, Status::SystemCancelled);
        Ok(())
    }

    /// `POST .../capture`: 204 when capturable, 204 again once captured, else 409 P1003.
    pub fn capture(&mut self, account: u32, id: &str) -> ApiResult<()> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P1000"))?;
        match self.payments[idx].status {
            Status::Capturable => {
                self.capture_payment(idx, AfterCapture::Nothing);
                Ok(())
            }
            Status::Success => Ok(()),
            _ => Err(ApiError::new(409, "P1003", "Payment cannot be captured")),
        }
    }

    fn capture_payment(&mut self, idx: usize, after: AfterCapture) {
        self.set_status(idx, Status::Success);
        let now = self.clock.now();
        self.payments[idx].captured = Some(now);
        if self.payments[idx].provider == "stripe" && after != AfterCapture::Nothing {
            let skip_evidence = self.payments[idx]
                .card
                .as_ref()
                .is_some_and(|c| c.holder == "skip_evidence");
            let outcome = match after {
                AfterCapture::DisputeLost => "lost",
                _ => "won",
            };
            self.raise_dispute_at(idx, "fraudulent", 14, (!skip_evidence).then_some(outcome));
        }
    }

    fn capture_now_or_hold(&mut self, idx: usize, after: AfterCapture) {
        if self.payments[idx].delayed_capture {
            self.set_status(idx, Status::Capturable);
        } else {
            self.capture_payment(idx, after);
        }
    }

    // ---- refunds ----------------------------------------------------------

    /// `POST .../refunds`, with connector's checks in their order:
    /// disputed → not available → 412 mismatch → amount too large → 202.
    pub fn refund(&mut self, account: u32, id: &str, body: &Value) -> ApiResult<Refund> {
        let amount = validate::amount(body, 1, "P0601", "P0602")?;
        // Read as the API's JSON reader reads a whole number: a decimal is cut
        // to its whole part, a numeric string is read, null is 0 (so it
        // meets the mismatch check); absent, the payment is read afresh.
        let not_numeric = || {
            ApiError::invalid(
                400,
                "P0602",
                "refund_amount_available",
                "Must be a valid numeric format",
            )
        };
        let whole = |f: f64| {
            (f.is_finite() && f.abs() < 9.0e18)
                .then(|| f.trunc() as i64)
                .ok_or_else(not_numeric)
        };
        let expected = match body.get("refund_amount_available") {
            None => None,
            Some(Value::Null) => Some(0),
            Some(Value::Number(n)) => Some(match n.as_i64() {
                Some(i) => i,
                None => whole(n.as_f64().ok_or_else(not_numeric)?)?,
            }),
            Some(Value::String(t)) => Some(match t.trim().parse::<i64>() {
                Ok(i) => i,
                Err(_) => whole(t.trim().parse::<f64>().map_err(|_| not_numeric())?)?,
            }),
            Some(_) => return Err(not_numeric()),
        };
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0600"))?;
        if self.account(account).is_some_and(|a| a.disabled) {
            return Err(account_disabled());
        }
        self.refund_checked(idx, amount, expected)
    }

    fn refund_checked(
        &mut self,
        idx: usize,
        amount: i64,
        expected: Option<i64>,
    ) -> ApiResult<Refund> {
        let p = &self.payments[idx];
        let summary = p.refund_summary(&self.refunds, &self.disputes);
        if summary.status == govpay::RefundAvailability::Unavailable
            && p.is_disputed(&self.disputes)
        {
            return Err(ApiError::new(
                400,
                "P0603",
                "The payment is disputed and cannot be refunded",
            ));
        }
        if summary.status != govpay::RefundAvailability::Available {
            return Err(ApiError::new(
                400,
                "P0603",
                format!(
                    "The payment is not available for refund. Payment refund status: {}",
                    summary.status
                ),
            ));
        }
        // Without refund_amount_available publicapi reads the payment afresh: no mismatch is possible.
        if let Some(expected) = expected
            && expected != summary.amount_available
        {
            return Err(ApiError::new(
                412,
                "P0604",
                "Refund amount available mismatch.",
            ));
        }
        if amount > summary.amount_available {
            return Err(ApiError::new(
                400,
                "P0603",
                "The payment is not available for refund. Payment refund status: amount_not_available",
            ));
        }
        self.before_change(idx);
        let refund = SimRefund {
            id: self.ids.external_id(),
            payment: idx,
            amount,
            // Sandbox and Stripe refunds complete inside the request.
            status: "success",
            created: self.clock.now(),
            visible_at: Instant::now() + self.consistency_lag,
        };
        let r = self.insert_refund(refund);
        let p = &self.payments[idx];
        Ok(self.refunds[r].wire(&self.base_url, &p.id, p.provider == "stripe"))
    }

    /// A refund made elsewhere (the admin tool): no `refund_amount_available` guard.
    pub fn refund_elsewhere(&mut self, idx: usize, amount: i64) -> ApiResult<Refund> {
        self.refund_checked(idx, amount, None)
    }

    /// `GET .../refunds`: eventually consistent.
    pub fn refunds_of(&self, account: u32, id: &str) -> ApiResult<PaymentRefunds> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0800"))?;
        let p = &self.payments[idx];
        let now = Instant::now();
        let href = format!("{}/v1/payments/{}", self.base_url, p.id);
        Ok(PaymentRefunds {
            payment_id: govpay::PaymentId::from_trusted(p.id.clone()),
            links: RefundLinks {
                self_: Some(get_link(format!("{href}/refunds"))),
                payment: Some(get_link(href)),
            },
            embedded: govpay::models::EmbeddedRefunds {
                refunds: p
                    .refunds
                    .iter()
                    .map(|&r| &self.refunds[r])
                    .filter(|r| r.visible_at <= now)
                    .map(|r| r.wire(&self.base_url, &p.id, p.provider == "stripe"))
                    .collect(),
            },
        })
    }

    /// `GET .../refunds/{refund_id}`: strongly consistent.
    pub fn refund_get(&self, account: u32, id: &str, refund_id: &str) -> ApiResult<Refund> {
        let idx = self
            .payment_index(account, id)
            .ok_or_else(|| ApiError::not_found("P0700"))?;
        let p = &self.payments[idx];
        p.refunds
            .iter()
            .map(|&r| &self.refunds[r])
            .find(|r| r.id == refund_id)
            .map(|r| r.wire(&self.base_url, &p.id, p.provider == "stripe"))
            .ok_or_else(|| ApiError::not_found("P0700"))
    }

    // ---- MOTO and the hosted page ------------------------------------------

    /// `POST /v1/auth`: validation, then the token (spent before any card check),
    /// then the card.
    pub fn authorise(&mut self, body: &Value) -> ApiResult<AuthAnswer> {
        let text = |field: &str| -> ApiResult<String> {
            match body.get(field) {
                None | Some(Value::Null) => Err(ApiError::missing("P0101", field).with_status(422)),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(ApiError::invalid(
                    422,
                    "P0102",
                    field,
                    "Must be a valid string format",
                )),
            }
        };
        let token = text("one_time_token")?;
        let number = text("card_number")?;
        let cvc = text("cvc")?;
        let expiry = text("expiry_date")?;
        let holder = text("cardholder_name")?;
        if token.trim().is_empty() {
            return Err(ApiError::missing("P0101", "one_time_token").with_status(422));
        }
        if !(12..=19).contains(&number.chars().count()) {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "card_number",
                "Must be between 12 and 19 characters long",
            ));
        }
        if !(3..=4).contains(&cvc.chars().count()) {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "cvc",
                "Must be between 3 and 4 characters long",
            ));
        }
        if expiry.chars().count() != 5 {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "expiry_date",
                "Must be a valid date with the format MM/YY",
            ));
        }
        if holder.is_empty() || validate::java_len(&holder) > 255 {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "cardholder_name",
                "Must be between 1 and 255 characters long",
            ));
        }
        if !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "card_number",
                "Must be a valid card number",
            ));
        }
        if !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid(
                422,
                "P0102",
                "cvc",
                "Must contain numbers only",
            ));
        }
        match expiry_in_future(&expiry, self.clock.now()) {
            None => {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "expiry_date",
                    "Must be a valid date with the format MM/YY",
                ));
            }
            Some(false) => {
                return Err(ApiError::invalid(
                    422,
                    "P0102",
                    "expiry_date",
                    "Must be a valid date in the future",
                ));
            }
            Some(true) => {}
        }
        let entry = self
            .tokens
            .get(&token)
            .copied()
            .ok_or_else(|| ApiError::new(400, "P1211", "The one_time_token is not valid"))?;
        if self.payments[entry.payment].mode != Mode::MotoApi {
            return Err(ApiError::new(
                400,
                "P1211",
                "The one_time_token is not a valid moto api token",
            ));
        }
        if entry.used || self.payments[entry.payment].status != Status::Created {
            return Err(ApiError::new(
                400,
                "P1212",
                "The one_time_token has already been used",
            ));
        }
        // Spent now, before the card is looked at: a rejected card burns the token.
        self.tokens.insert(
            token,
            Token {
                used: true,
                ..entry
            },
        );
        match self.authorise_card(entry.payment, &number, &expiry, &holder)? {
            Outcome::Authorised => Ok(AuthAnswer::Authorised),
            Outcome::Declined => Err(ApiError::new(402, "P0010", "The payment was rejected")),
            Outcome::ProviderError => Err(ApiError::new(
                500,
                "P0050",
                "There was an error authorising the payment",
            )),
        }
    }

    /// Runs a card through the provider and moves the payment on.
    pub fn authorise_card(
        &mut self,
        idx: usize,
        number: &str,
        expiry: &str,
        holder: &str,
    ) -> ApiResult<Outcome> {
        if !cards::luhn_valid(number) {
            self.set_status(idx, Status::Declined);
            return Err(ApiError::new(
                402,
                "P0010",
                "The card_number is not a valid card number",
            ));
        }
        let test = cards::lookup(self.provider(self.payments[idx].account), number);
        let card = Card {
            brand: test.brand,
            card_type: test.card_type,
            first6: number[..6].to_owned(),
            last4: number[number.len() - 4..].to_owned(),
            expiry: expiry.to_owned(),
            holder: holder.to_owned(),
            address: None,
        };
        self.before_change(idx);
        let p = &mut self.payments[idx];
        p.provider_id = Some(format!("prov-{}", &p.id[..12]));
        p.three_ds = test.three_ds;
        if test.outcome != Outcome::ProviderError {
            p.card = Some(card.clone());
        }
        match test.outcome {
            Outcome::Authorised => {
                self.set_status(idx, Status::Submitted);
                self.capture_now_or_hold(idx, test.after);
                if let Some(sua) = self.payments[idx].set_up_agreement.clone()
                    && let Some(&a) = self.agreements_by_id.get(&sua)
                {
                    let now = self.clock.now();
                    let agreement = &mut self.agreements[a];
                    agreement.status = "active";
                    agreement.instrument = Some((card, now));
                }
            }
            Outcome::Declined => self.set_status(idx, Status::Declined),
            Outcome::ProviderError => self.set_status(idx, Status::Error),
        }
        Ok(test.outcome)
    }

    /// The paying user opens `next_url`: the token is spent and the journey starts.
    pub fn journey_open(&mut self, token: &str) -> Option<usize> {
        let entry = self.tokens.get(token).copied()?;
        let p = &self.payments[entry.payment];
        if entry.used
            || p.mode != Mode::Web
            || !matches!(p.status, Status::Created | Status::Started)
        {
            return None;
        }
        self.tokens.insert(
            token.to_owned(),
            Token {
                used: true,
                ..entry
            },
        );
        self.set_status(entry.payment, Status::Started);
        Some(entry.payment)
    }

    pub fn journey_cancel(&mut self, idx: usize) -> ApiResult<()> {
        if !matches!(self.payments[idx].status, Status::Created | Status::Started) {
            return Err(ApiError::new(
                400,
                "P0501",
                "Cancellation of payment failed",
            ));
        }
        self.set_status(idx, Status::UserCancelled);
        Ok(())
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    // ---- disputes -----------------------------------------------------------

    pub fn raise_dispute_at(
        &mut self,
        idx: usize,
        reason: &'static str,
        due_in_days: i64,
        auto: Option<&'static str>,
    ) -> usize {
        self.before_change(idx);
        let now = self.clock.now();
        let dispute = SimDispute {
            id: self.ids.external_id(),
            payment: idx,
            amount: self.payments[idx].amount,
            fee: DISPUTE_FEE,
            status: "needs_response",
            reason,
            created: now,
            evidence_due: now + time::Duration::days(due_in_days),
            settled: None,
            auto_outcome: auto,
        };
        self.insert_dispute(dispute)
    }

    pub fn resolve_dispute_at(&mut self, d: usize, status: &'static str, at: OffsetDateTime) {
        let payment = self.disputes[d].payment;
        self.before_change(payment);
        let dispute = &mut self.disputes[d];
        dispute.status = status;
        dispute.settled = (status == "lost").then(|| at + time::Duration::days(3));
        if matches!(status, "won" | "lost") {
            self.open_disputes.remove(&d);
        }
    }

    pub fn dispute_index(&self, id: &str) -> Option<usize> {
        self.disputes.iter().position(|d| d.id == id)
    }

    // ---- agreements -----------------------------------------------------------

    pub fn create_agreement(&mut self, account: u32, body: &Value) -> ApiResult<Agreement> {
        let recurring = self.account(account).is_some_and(|a| a.recurring_enabled);
        let reference = validate::required_text(body, "reference", 255, "P2101", "P2102")
            .map_err(agreement_text_error)?;
        let description = validate::required_text(body, "description", 255, "P2101", "P2102")
            .map_err(agreement_text_error)?;
        let user_identifier = validate::optional_text(body, "user_identifier", 255, "P2102")
            .map_err(agreement_text_error)?;
        if user_identifier.as_deref() == Some("") {
            return Err(ApiError::invalid(
                422,
                "P2102",
                "user_identifier",
                "Must be between 1 and 255 characters long",
            ));
        }
        if !recurring {
            return Err(ApiError::new(
                422,
                "P0942",
                "Recurring card payments are currently disabled for this service. Contact support with your error code - https://www.payments.service.gov.uk/support/",
            ));
        }
        let agreement = SimAgreement {
            id: self.ids.external_id(),
            account,
            reference,
            description,
            user_identifier,
            status: "created",
            created: self.clock.now(),
            cancelled: None,
            instrument: None,
        };
        let idx = self.insert_agreement(agreement);
        Ok(self.agreements[idx].wire())
    }

    pub fn get_agreement(&self, account: u32, id: &str) -> ApiResult<Agreement> {
        self.agreements_by_id
            .get(id)
            .map(|&i| &self.agreements[i])
            .filter(|a| a.account == account)
            .map(SimAgreement::wire)
            .ok_or_else(|| ApiError::not_found("P2200"))
    }

    pub fn cancel_agreement(&mut self, account: u32, id: &str) -> ApiResult<()> {
        let idx = self
            .agreements_by_id
            .get(id)
            .copied()
            .filter(|&i| self.agreements[i].account == account)
            .ok_or_else(|| ApiError::not_found("P2500"))?;
        if self.agreements[idx].status != "active" {
            return Err(ApiError::new(
                400,
                "P2501",
                "Cancellation of agreement failed",
            ));
        }
        let now = self.clock.now();
        let a = &mut self.agreements[idx];
        a.status = "cancelled";
        a.cancelled = Some(now);
        Ok(())
    }

    pub fn agreement_index(&self, id: &str) -> Option<usize> {
        self.agreements_by_id.get(id).copied()
    }

    // ---- search ---------------------------------------------------------------

    /// How search sees payment `idx` now (eventual consistency): `None` if not yet at all.
    fn ledger_view(&self, idx: usize, now: Instant) -> Option<&SimPayment> {
        match self.ledger_lag.get(&idx) {
            Some(lag) if lag.visible_at > now => lag.before.as_deref(),
            _ => Some(&self.payments[idx]),
        }
    }

    pub fn search_payments(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Payment>> {
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let text = |name: &'static str, max: usize, errors: &mut QueryErrors| -> Option<String> {
            let v = query.get(name)?;
            if validate::java_len(v) > max {
                errors.push(name);
            }
            Some(v.to_lowercase())
        };
        let reference = text("reference", 255, &mut errors);
        let email = text("email", 254, &mut errors);
        let card_brand = text("card_brand", 20, &mut errors);
        let holder = text("cardholder_name", 255, &mut errors);
        let agreement_id = query.get("agreement_id").cloned();
        // Lower case only, as the API's validator takes them.
        let state = query.get("state").cloned();
        if let Some(s) = &state
            && ![
                "created",
                "started",
                "submitted",
                "success",
                "failed",
                "cancelled",
                "error",
            ]
            .contains(&s.as_str())
        {
            errors.push("state");
        }
        let digits = |name: &'static str, len: usize, errors: &mut QueryErrors| -> Option<String> {
            let v = query.get(name)?;
            if v.len() != len || !v.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(name);
            }
            Some(v.clone())
        };
        let first6 = digits("first_digits_card_number", 6, &mut errors);
        let last4 = digits("last_digits_card_number", 4, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        errors.finish("P0401")?;

        let now = Instant::now();
        let ids = self
            .by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // An account's payments are kept in creation order: a date range is a slice,
        // found by binary search rather than a scan (as the ledger's index would).
        let ids = {
            let lo = from.map_or(0, |f| {
                ids.partition_point(|&i| self.payments[i].created < f)
            });
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.payments[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let matches = |p: &SimPayment| -> bool {
            reference
                .as_ref()
                .is_none_or(|r| p.reference.to_lowercase() == *r)
                && email.as_ref().is_none_or(|e| {
                    p.email
                        .as_ref()
                        .is_some_and(|pe| pe.to_lowercase().contains(e.as_str()))
                })
                && state.as_ref().is_none_or(|s| p.status.external().0 == s)
                && card_brand
                    .as_ref()
                    .is_none_or(|b| p.card.as_ref().is_some_and(|c| c.brand_slug() == b))
                && holder.as_ref().is_none_or(|h| {
                    p.card
                        .as_ref()
                        .is_some_and(|c| c.holder.to_lowercase().contains(h.as_str()))
                })
                && first6
                    .as_ref()
                    .is_none_or(|f| p.card.as_ref().is_some_and(|c| &c.first6 == f))
                && last4
                    .as_ref()
                    .is_none_or(|l| p.card.as_ref().is_some_and(|c| &c.last4 == l))
                && from.is_none_or(|f| p.created >= f)
                && to.is_none_or(|t| p.created < t)
                && agreement_id
                    .as_ref()
                    .is_none_or(|a| p.agreement_id.as_ref() == Some(a))
                && (from_settled.is_none() && to_settled.is_none() || {
                    let settled = match (p.provider, p.captured) {
                        ("stripe", Some(at)) => Some(at + time::Duration::days(2)),
                        _ => None,
                    };
                    settled.is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    })
                })
        };
        let unfiltered = query.keys().all(|k| k == "page" || k == "display_size");
        let visible = ids.iter().rev().filter_map(|&i| self.ledger_view(i, now));
        let (total, results) = if unfiltered && self.ledger_lag.is_empty() {
            // The sync's case: no filter, so the page is a slice of the account's list.
            let total = ids.len() as u64;
            let skip = ((page - 1) * size) as usize;
            let results = ids
                .iter()
                .rev()
                .skip(skip)
                .take(size as usize)
                .map(|&i| {
                    self.payments[i].wire(
                        &self.base_url,
                        View::Search,
                        None,
                        &self.refunds,
                        &self.disputes,
                    )
                })
                .collect::<Vec<_>>();
            (total, results)
        } else {
            let mut total = 0u64;
            let mut results = Vec::new();
            let skip = (page - 1) * size;
            for p in visible.filter(|p| matches(p)) {
                if total >= skip && (results.len() as u64) < size {
                    results.push(p.wire(
                        &self.base_url,
                        View::Search,
                        None,
                        &self.refunds,
                        &self.disputes,
                    ));
                }
                total += 1;
            }
            (total, results)
        };
        let links = self
            .paging_links("v1/payments", query, page, size, total, false)
            .map_err(|()| ApiError::new(404, "P0402", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_refunds(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Refund>> {
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        errors.finish("P1101")?;
        let now = Instant::now();
        let ids = self
            .refunds_by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ids = {
            let lo = from.map_or(0, |f| ids.partition_point(|&i| self.refunds[i].created < f));
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.refunds[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let mut total = 0u64;
        let mut results = Vec::new();
        let skip = (page - 1) * size;
        for r in ids
            .iter()
            .rev()
            .map(|&i| &self.refunds[i])
            .filter(|r| r.visible_at <= now)
        {
            let p = &self.payments[r.payment];
            let stripe = p.provider == "stripe";
            let settled = stripe.then(|| r.created + time::Duration::days(2));
            let ok = from.is_none_or(|f| r.created >= f)
                && to.is_none_or(|t| r.created < t)
                && (from_settled.is_none() && to_settled.is_none()
                    || settled.is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    }));
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(r.wire(&self.base_url, &p.id, stripe));
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/refunds", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P1100", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_disputes(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<DisputeSearchPage> {
        let mut errors = QueryErrors::default();
        let (page, size) = validate::paging(query, &mut errors);
        let (from, to) = time_range(query, &mut errors);
        let (from_settled, to_settled) = date_range(query, &mut errors);
        let status = query.get("status").cloned();
        if let Some(s) = &status
            && !["needs_response", "under_review", "lost", "won"].contains(&s.as_str())
        {
            // The API reports a bad dispute status under the name `state`.
            errors.push("state");
        }
        errors.finish("P0401")?;
        let ids = self
            .disputes_by_account
            .get(&account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ids = {
            let lo = from.map_or(0, |f| {
                ids.partition_point(|&i| self.disputes[i].created < f)
            });
            let hi = to.map_or(ids.len(), |t| {
                ids.partition_point(|&i| self.disputes[i].created < t)
            });
            &ids[lo..hi.max(lo)]
        };
        let mut total = 0u64;
        let mut results: Vec<Dispute> = Vec::new();
        let skip = (page - 1) * size;
        for d in ids.iter().rev().map(|&i| &self.disputes[i]) {
            let ok = status.as_ref().is_none_or(|s| d.status == s)
                && from.is_none_or(|f| d.created >= f)
                && to.is_none_or(|t| d.created < t)
                && (from_settled.is_none() && to_settled.is_none()
                    || d.settled.is_some_and(|s| {
                        from_settled.is_none_or(|f| s >= f)
                            && to_settled.is_none_or(|t| s < t + time::Duration::days(1))
                    }));
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(d.wire(&self.base_url, &self.payments[d.payment].id));
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/disputes", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P0402", "Page not found"))?;
        Ok(DisputeSearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    pub fn search_agreements(
        &self,
        account: u32,
        query: &HashMap<String, String>,
    ) -> ApiResult<SearchPage<Agreement>> {
        let mut errors = QueryErrors::default();
        for key in query.keys() {
            if !["reference", "status", "page", "display_size"].contains(&key.as_str())
                && !query[key].trim().is_empty()
            {
                return Err(ApiError::new(
                    400,
                    "P2401",
                    format!(
                        "Invalid parameters: {key}. See Public API documentation for the correct data formats"
                    ),
                ));
            }
        }
        let (page, size) = validate::paging(query, &mut errors);
        let reference = query.get("reference").cloned();
        if reference
            .as_ref()
            .is_some_and(|r| validate::java_len(r) > 255)
        {
            errors.push("reference");
        }
        let status = query.get("status").cloned();
        if let Some(s) = &status
            && !["created", "active", "cancelled", "inactive"].contains(&s.as_str())
        {
            errors.push("status");
        }
        errors.finish("P2401")?;
        let mut total = 0u64;
        let mut results = Vec::new();
        let skip = (page - 1) * size;
        for a in self
            .agreements
            .iter()
            .rev()
            .filter(|a| a.account == account)
        {
            let ok = reference.as_ref().is_none_or(|r| a.reference == *r)
                && status.as_ref().is_none_or(|s| a.status == s);
            if !ok {
                continue;
            }
            if total >= skip && (results.len() as u64) < size {
                results.push(a.wire());
            }
            total += 1;
        }
        let links = self
            .paging_links("v1/agreements", query, page, size, total, true)
            .map_err(|()| ApiError::new(404, "P2402", "Page not found"))?;
        Ok(SearchPage {
            total,
            count: results.len() as u64,
            page,
            results,
            links,
        })
    }

    /// Paging links that repeat the query; `Err` for a page past the last.
    fn paging_links(
        &self,
        path: &str,
        query: &HashMap<String, String>,
        page: u64,
        size: u64,
        total: u64,
        with_method: bool,
    ) -> Result<SearchNavigationLinks, ()> {
        let last = total.div_ceil(size).max(1);
        if page > last {
            return Err(());
        }
        let mut params: Vec<(&String, &String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "display_size")
            .collect();
        params.sort();
        let href = |n: u64| {
            let mut u = format!("{}/{path}?", self.base_url);
            for (k, v) in &params {
                u.push_str(&format!("{}={}&", url_escape(k), url_escape(v)));
            }
            u.push_str(&format!("display_size={size}&page={n}"));
            Link {
                href: u,
                method: with_method.then(|| "GET".to_owned()),
            }
        };
        Ok(SearchNavigationLinks {
            self_: Some(href(page)),
            first_page: Some(href(1)),
            last_page: Some(href(last)),
            prev_page: (page > 1).then(|| href(page - 1)),
            next_page: (page < last).then(|| href(page + 1)),
        })
    }
}

/// Agreement fields: missing or blank is P2101, a bad character P2102, but too
/// long is the generic 422 P0102.
fn agreement_text_error(e: ApiError) -> ApiError {
    let too_long = e
        .body
        .description
        .as_deref()
        .is_some_and(|d| d.contains("less than or equal"));
    if too_long {
        ApiError {
            body: govpay::models::ErrorResponse {
                code: Some(govpay::PayCode::P0102),
                ..e.body
            },
            ..e
        }
    } else {
        e
    }
}

fn account_disabled() -> ApiError {
    ApiError::new(
        403,
        "P0941",
        "GOV.UK Pay has disabled payment and refund creation on this account. Contact support with your error code - https://www.payments.service.gov.uk/support/ .",
    )
}

fn url_ok(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn time_range(
    query: &HashMap<String, String>,
    errors: &mut QueryErrors,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let mut get = |name: &'static str| {
        let v = query.get(name)?;
        let t = parse_search_time(v);
        if t.is_none() {
            errors.push(name);
        }
        t
    };
    (get("from_date"), get("to_date"))
}

fn date_range(
    query: &HashMap<String, String>,
    errors: &mut QueryErrors,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let mut get = |name: &'static str| {
        let v = query.get(name)?;
        let t = parse_search_date(v);
        if t.is_none() {
            errors.push(name);
        }
        t
    };
    (get("from_settled_date"), get("to_settled_date"))
}

/// `MM/YY`, not before this month (with the connector's 12 hours' leeway behind UTC).
pub(crate) fn expiry_in_future(expiry: &str, now: OffsetDateTime) -> Option<bool> {
    let (mm, yy) = expiry.split_once('/')?;
    if mm.len() != 2 || yy.len() != 2 {
        return None;
    }
    let month: u8 = mm.parse().ok()?;
    let year: i32 = yy.parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let now = now - time::Duration::hours(12);
    let (y, m) = (now.year() - 2000, u8::from(now.month()));
    Some((year, month) >= (y, m))
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

#[cfg(test)]
mod tests {
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
