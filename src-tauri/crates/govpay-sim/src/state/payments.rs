//! `POST /v1/payments` and what can be done to one payment: read it, its
//! events, cancel and capture.

use super::*;

impl State {
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
            check_idempotency_key(key)?;
        }
        let request = NewPayment::read(body, &account)?;
        self.check_mode_rules(&request, body, &account, account_id)?;

        // Idempotency-Key only counts for agreement payments; elsewhere it is checked and ignored.
        let now = self.clock.now();
        if request.mode == Mode::Agreement
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

        let mode = request.mode;
        let agreement_id = request.agreement_id.clone();
        let payment = SimPayment {
            id: self.ids.external_id(),
            account: account_id,
            amount: request.amount,
            reference: request.reference,
            description: request.description,
            email: request.email,
            language: request.language,
            metadata: request.metadata,
            return_url: request.return_url,
            mode,
            // Connector forces moto on for moto_api payments.
            moto: mode == Mode::MotoApi || request.moto.unwrap_or(false),
            delayed_capture: request.delayed_capture,
            provider: account.provider.as_str(),
            provider_id: None,
            status: Status::Created,
            created: now,
            status_since: now,
            captured: None,
            card: None,
            three_ds: false,
            agreement_id: request.agreement_id,
            set_up_agreement: request.set_up_agreement,
            agreement_payment_type: request.agreement_payment_type,
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

    /// The rules between fields and the account: what each authorisation
    /// mode needs and forbids, and what the account has turned on.
    fn check_mode_rules(
        &self,
        request: &NewPayment,
        body: &Value,
        account: &Account,
        account_id: u32,
    ) -> ApiResult<()> {
        let NewPayment {
            mode,
            moto: moto_flag,
            agreement_id,
            set_up_agreement,
            agreement_payment_type,
            ..
        } = request;
        let mode = *mode;
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
        if *moto_flag == Some(true) && !account.moto_api_enabled && mode != Mode::MotoApi {
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

        Ok(())
    }

    pub(super) fn charge_stored_card(&mut self, idx: usize, card: Option<Card>) {
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

    pub(super) fn capture_payment(&mut self, idx: usize, after: AfterCapture) {
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

    /// After a successful authorisation: held for the service with delayed
    /// capture; otherwise captured, at once for a web payment, after a moment
    /// in the queue for one whose card details the service sent.
    pub(super) fn capture_now_or_hold(&mut self, idx: usize, after: AfterCapture) {
        let p = &self.payments[idx];
        if p.delayed_capture {
            self.set_status(idx, Status::Capturable);
        } else if p.mode != Mode::Web && !self.capture_queued_for.is_zero() {
            let due = self.clock.now()
                + time::Duration::try_from(self.capture_queued_for).unwrap_or(time::Duration::ZERO);
            self.set_status(idx, Status::CaptureQueued);
            self.capture_queue.push((idx, after, due));
        } else {
            self.capture_payment(idx, after);
        }
    }
}

pub(super) fn url_ok(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// A `POST /v1/payments` body, read field by field with the API's checks,
/// codes and messages (each field on its own; rules between fields and the
/// account come after, in `check_mode_rules`).
struct NewPayment {
    amount: i64,
    reference: String,
    description: String,
    mode: Mode,
    return_url: Option<String>,
    email: Option<String>,
    language: &'static str,
    delayed_capture: bool,
    moto: Option<bool>,
    metadata: Option<govpay::models::Metadata>,
    agreement_payment_type: Option<String>,
    set_up_agreement: Option<String>,
    agreement_id: Option<String>,
}

impl NewPayment {
    fn read(body: &Value, account: &Account) -> ApiResult<Self> {
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
        validate::prefilled_cardholder_details(body)?;
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

        Ok(NewPayment {
            amount,
            reference,
            description,
            mode,
            return_url,
            email,
            language,
            delayed_capture,
            moto: moto_flag,
            metadata,
            agreement_payment_type,
            set_up_agreement,
            agreement_id,
        })
    }
}

fn unexpected(field: &str) -> ApiError {
    ApiError::new(400, "P0104", format!("Unexpected attribute: {field}")).field(field)
}

/// The `Idempotency-Key` header's own rules, checked whatever the mode.
fn check_idempotency_key(key: &str) -> ApiResult<()> {
    let valid = !key.is_empty()
        && key.len() <= 255
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        return Ok(());
    }
    let why = if key.is_empty() || key.len() > 255 {
        "Header [Idempotency-Key] can have a size between 1 and 255"
    } else {
        "Header [Idempotency-Key] can only contain alphanumeric characters and hyphens"
    };
    Err(ApiError::new(422, "P0102", why).header("Idempotency-Key"))
}
