//! `POST /v1/auth`: card details for a telephone payment.

use reqwest::Method;

use super::limiter::Group;
use super::retry::Kind;
use super::{Call, Client, expect_no_content};
use crate::codes::PayCode;
use crate::error::{Error, Result};
use crate::requests::MotoCard;

/// Telephone (MOTO) payments: `POST /v1/auth` takes the card and the one-time token.
#[derive(Debug, Clone, Copy)]
pub struct Moto<'a> {
    pub(super) client: &'a Client,
}

impl Moto<'_> {
    /// Sends the card details with the payment's one-time token. No API key is
    /// sent: the token is the credential. Card details are checked first and
    /// never leave memory that is wiped afterwards.
    pub async fn authorise(&self, one_time_token: &str, card: &MotoCard) -> Result<()> {
        card.validate()?;
        if one_time_token.trim().is_empty() {
            return Err(Error::InvalidRequest {
                field: "one_time_token",
                message: "is missing: read the payment again for a new one".into(),
                pay_code: PayCode::P0101,
            });
        }
        let body = card.body(one_time_token);
        let call = Call {
            group: Group::OtherPost,
            kind: Kind::Change,
            operation: "card authorisation",
            with_key: false,
        };
        let answer = self
            .client
            .send(
                Method::POST,
                self.client.url("v1/auth")?,
                Some(&body),
                call,
                None,
            )
            .await?;
        expect_no_content(answer.status, &answer.body)
    }
}
