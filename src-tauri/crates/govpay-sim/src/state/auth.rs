//! Card details: `POST /v1/auth` for telephone payments, and the hosted
//! payment page's journey.

use super::*;

impl State {
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
