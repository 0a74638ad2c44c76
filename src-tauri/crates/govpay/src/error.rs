//! Errors as values that staff and code can act on.

use crate::codes::PayCode;
use crate::ids::PaymentId;
use crate::models::ErrorResponse;

/// The body of a GOV.UK Pay error answer, kept with its HTTP status.
///
/// GOV.UK Pay's `description` is written for developers: it is kept for the
/// log, and screens show what the [`PayCode`] means instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorBody {
    pub status: u16,
    pub body: ErrorResponse,
}

impl ApiErrorBody {
    /// The GOV.UK Pay P-code (`P0604`), when the API sent one.
    pub fn code(&self) -> Option<PayCode> {
        self.body.code
    }

    /// GOV.UK Pay's own words, for the log only.
    pub fn description(&self) -> &str {
        self.body.description.as_deref().unwrap_or("")
    }
}

/// Codes whose guidance is "check before trying again": the request may have
/// been done, so repeating it could make a second payment or refund.
const CHECK_FIRST: [PayCode; 6] = [
    PayCode::P0198,
    PayCode::P0598,
    PayCode::P0698,
    PayCode::P1098,
    PayCode::P2198,
    PayCode::P2598,
];

/// Everything that can go wrong talking to GOV.UK Pay.
///
/// No variant carries the API key, a card number or a raw URL with query text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Rejected before sending: a field the API would refuse.
    #[error("{field}: {message}")]
    InvalidRequest {
        field: &'static str,
        message: String,
        /// The P-code the API would have answered with.
        pay_code: PayCode,
    },
    /// 401: the API key is wrong, revoked or for another environment.
    /// The API sends no JSON body with it.
    #[error("GOV.UK Pay did not accept the API key")]
    Unauthorized,
    /// 429 (P0900): over the per-second limit; the request was not processed.
    /// The body is GOV.UK Pay's own, as it came (it may be empty).
    #[error("GOV.UK Pay asked us to slow down (too many requests)")]
    RateLimited(ApiErrorBody),
    /// Any other 4xx answer, or a 5xx to a read, with GOV.UK Pay's error body.
    #[error("GOV.UK Pay answered {}: {}", .0.status, .0.body.description.as_deref().unwrap_or("no description"))]
    Api(ApiErrorBody),
    /// The request could not be sent or no answer came, and nothing changed
    /// (a read, or a change that never left this machine).
    #[error("could not reach GOV.UK Pay: {0}")]
    Network(String),
    /// A request that moves money or changes state may have been done, and no
    /// answer says whether it was: a timeout, a dropped connection, any 5xx
    /// (GOV.UK Pay's own, or a proxy's 502/503/504), or a success whose body
    /// could not be read. Read GOV.UK Pay to find out; never repeat it.
    #[error("GOV.UK Pay did not answer the {operation}; it may or may not have been done")]
    OutcomeUnknown {
        operation: &'static str,
        /// The `Location` GOV.UK Pay gave, when an answer came with one (a
        /// created payment whose body could not be read).
        location: Option<String>,
    },
    /// The secure connection was refused because of the server's
    /// certificate (nothing was sent): an expired certificate, or one signed
    /// by an authority this computer does not trust, as behind a proxy that
    /// inspects secure traffic. The words name the problem.
    #[error("the secure connection to GOV.UK Pay was refused: {0}")]
    Untrusted(String),
    /// An answer to a read came but could not be read.
    #[error("GOV.UK Pay sent an answer we could not read (HTTP {status}): {detail}")]
    Decode { status: u16, detail: String },
    /// The client was set up wrongly (for example a base URL that is not a URL).
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The GOV.UK Pay P-code: the one GOV.UK Pay sent, or for a request
    /// refused before sending, the one it would have sent. Never invented.
    pub fn pay_code(&self) -> Option<PayCode> {
        match self {
            Error::Api(body) | Error::RateLimited(body) => body.code(),
            Error::InvalidRequest { pay_code, .. } => Some(*pay_code),
            _ => None,
        }
    }

    /// Whether sending the same request again later is safe and may succeed.
    ///
    /// Never true when the request may have been done: an unknown outcome,
    /// or an answer whose guidance is to check first (P0198, P0698 …).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Network(_) => true,
            Error::Api(body) => {
                body.status >= 500 && !body.code().is_some_and(|c| CHECK_FIRST.contains(&c))
            }
            Error::OutcomeUnknown { .. }
            | Error::InvalidRequest { .. }
            | Error::Unauthorized
            | Error::Untrusted(_)
            | Error::Decode { .. }
            | Error::Config(_) => false,
        }
    }

    /// The payment an unknown outcome is about, when GOV.UK Pay said
    /// (`Location: …/v1/payments/{id}`).
    pub fn unknown_payment_id(&self) -> Option<PaymentId> {
        let Error::OutcomeUnknown {
            location: Some(location),
            ..
        } = self
        else {
            return None;
        };
        let url = url::Url::parse(location).ok()?;
        let mut segments = url.path_segments()?.rev().filter(|s| !s.is_empty());
        let id = segments.next()?;
        (segments.next()? == "payments")
            .then(|| PaymentId::parse(id).ok())
            .flatten()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> ApiErrorBody {
        ApiErrorBody {
            status,
            body: ErrorResponse {
                code: code.parse().ok(),
                description: Some("words for developers".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn exposes_the_pay_code_and_retryability() {
        let e = Error::Api(api(412, "P0604"));
        assert_eq!(e.pay_code(), Some(PayCode::P0604));
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("412"));
        assert_eq!(Error::Unauthorized.pay_code(), None);
    }

    #[test]
    fn a_rate_limit_keeps_what_gov_uk_pay_sent_and_invents_nothing() {
        let sent = Error::RateLimited(api(429, "P0900"));
        assert_eq!(sent.pay_code(), Some(PayCode::P0900));
        assert!(sent.is_retryable());
        let bare = Error::RateLimited(ApiErrorBody {
            status: 429,
            body: ErrorResponse::default(),
        });
        assert_eq!(bare.pay_code(), None);
    }

    #[test]
    fn an_answer_that_says_check_first_is_never_retryable() {
        for code in CHECK_FIRST {
            assert!(
                !Error::Api(api(500, code.as_str())).is_retryable(),
                "{code}"
            );
        }
        assert!(Error::Api(api(500, "P0298")).is_retryable());
        assert!(Error::Api(api(503, "")).is_retryable());
        let unknown = Error::OutcomeUnknown {
            operation: "refund",
            location: None,
        };
        assert!(!unknown.is_retryable());
    }

    #[test]
    fn an_unknown_outcome_names_the_payment_from_its_location() {
        let e = Error::OutcomeUnknown {
            operation: "payment creation",
            location: Some(
                "https://publicapi.payments.service.gov.uk/v1/payments/hu20sqlact5uv2fgu9v2r0rh0p"
                    .into(),
            ),
        };
        assert_eq!(
            e.unknown_payment_id().map(|p| p.to_string()).as_deref(),
            Some("hu20sqlact5uv2fgu9v2r0rh0p")
        );
        for other in [
            None,
            Some("not a url"),
            Some("https://x/v1/agreements/hu20sqlact5uv2fgu9v2r0rh0p"),
            Some("https://x/v1/payments/short"),
        ] {
            let e = Error::OutcomeUnknown {
                operation: "payment creation",
                location: other.map(str::to_owned),
            };
            assert_eq!(e.unknown_payment_id(), None, "{other:?}");
        }
    }
}
