//! Refunds: `POST /v1/payments/{id}/refunds` with the connector's checks
//! in their order, and reading them back.

use super::*;

impl State {
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

    pub(super) fn refund_checked(
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
        Ok({
            let r = &self.refunds[r];
            r.wire(
                &self.base_url,
                &p.id,
                r.settled(p.provider == "stripe", self.clock.now()),
            )
        })
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
                    .map(|r| {
                        r.wire(
                            &self.base_url,
                            &p.id,
                            r.settled(p.provider == "stripe", self.clock.now()),
                        )
                    })
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
            .map(|r| {
                r.wire(
                    &self.base_url,
                    &p.id,
                    r.settled(p.provider == "stripe", self.clock.now()),
                )
            })
            .ok_or_else(|| ApiError::not_found("P0700"))
    }
}
