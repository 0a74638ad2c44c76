use super::limiter::Group;
use super::{Call, Client, Pages};
use crate::codes::PayCode;
use crate::error::{Error, Result};
use crate::idempotency::IdempotencyKey;
use crate::ids::{PaymentId, RefundId};
use crate::models::{Payment, PaymentEvents, PaymentRefunds, Refund, SearchPage};
use crate::requests::{AuthorisationMode, CreatePayment, CreateRefund};
use crate::search::PaymentSearch;

/// The payments resource.
#[derive(Debug, Clone, Copy)]
pub struct Payments<'a> {
    pub(super) client: &'a Client,
}

impl Payments<'_> {
    /// `POST /v1/payments`. An `Idempotency-Key` is taken only for agreement
    /// payments, the only ones GOV.UK Pay applies it to; anywhere else it is
    /// refused rather than silently dropped.
    pub async fn create(
        &self,
        request: &CreatePayment,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Payment> {
        request.validate()?;
        if idempotency_key.is_some() && request.authorisation_mode != AuthorisationMode::Agreement {
            return Err(Error::InvalidRequest {
                field: "Idempotency-Key",
                message: "only applies to agreement payments: GOV.UK Pay ignores it for others"
                    .into(),
                pay_code: PayCode::P0104,
            });
        }
        self.client
            .post_json(
                "v1/payments",
                request,
                Call::post(Group::CreatePayment, "payment creation"),
                idempotency_key,
            )
            .await
    }

    /// `GET /v1/payments/{id}`: strongly consistent; mints a new one-time token.
    pub async fn get(&self, id: &PaymentId) -> Result<Payment> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}"))?)
            .await
    }

    /// `GET /v1/payments/{id}/events`.
    pub async fn events(&self, id: &PaymentId) -> Result<PaymentEvents> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}/events"))?)
            .await
    }

    /// `POST /v1/payments/{id}/cancel`.
    pub async fn cancel(&self, id: &PaymentId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/payments/{id}/cancel"),
                Call::post(Group::OtherPost, "cancellation"),
            )
            .await
    }

    /// `POST /v1/payments/{id}/capture`. Idempotent at GOV.UK Pay.
    pub async fn capture(&self, id: &PaymentId) -> Result<()> {
        self.client
            .post_empty(
                &format!("v1/payments/{id}/capture"),
                Call::post(Group::Capture, "capture"),
            )
            .await
    }

    /// `POST /v1/payments/{id}/refunds`: answered 202 with the refund.
    pub async fn refund(&self, id: &PaymentId, request: &CreateRefund) -> Result<Refund> {
        request.validate()?;
        self.client
            .post_json(
                &format!("v1/payments/{id}/refunds"),
                request,
                Call::post(Group::OtherPost, "refund"),
                None,
            )
            .await
    }

    /// `GET /v1/payments/{id}/refunds`: eventually consistent.
    pub async fn refunds(&self, id: &PaymentId) -> Result<PaymentRefunds> {
        self.client
            .get(self.client.url(&format!("v1/payments/{id}/refunds"))?)
            .await
    }

    /// `GET /v1/payments/{id}/refunds/{refund_id}`: strongly consistent.
    pub async fn refund_status(&self, id: &PaymentId, refund_id: &RefundId) -> Result<Refund> {
        self.client
            .get(
                self.client
                    .url(&format!("v1/payments/{id}/refunds/{refund_id}"))?,
            )
            .await
    }

    /// `GET /v1/payments`: one page, newest first.
    pub async fn search(&self, search: &PaymentSearch) -> Result<SearchPage<Payment>> {
        self.client.search_page("v1/payments", search).await
    }

    /// Every page of a search, following the paging links (500 a page unless set).
    pub fn search_all(&self, search: &PaymentSearch) -> Pages<Payment> {
        Pages::all(self.client, "v1/payments", search)
    }
}
