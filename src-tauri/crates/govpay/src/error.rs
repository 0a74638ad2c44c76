//! Errors as values that staff and code can act on.

use crate::codes::PayCode;
use crate::models::ErrorResponse;

/// The body of a GOV.UK Pay error answer, kept with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorBody {
    pub status: u16,
    pub body: ErrorResponse,
}

impl ApiErrorBody {
    /// The GOV.UK Pay P-code (`P0604`), when the API sent one.
    pub fn code(&self) -> Option<&str> {
        self.body.code.as_deref()
    }

    /// The P-code as a value, when it is one Paydesk knows.
    pub fn pay_code(&self) -> Option<PayCode> {
        self.code().and_then(|c| c.parse().ok())
    }
}

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
        pay_code: &'static str,
    },
    /// 401: the API key is wrong, revoked or for another environment.
    /// The API sends no JSON body with it.
    #[error("GOV.UK Pay did not accept the API key")]
    Unauthorized,
    /// 429 P0900: over the per-second limit; the request was not processed.
    #[error("GOV.UK Pay asked us to slow down (too many requests)")]
    RateLimited,
    /// Any other 4xx or 5xx answer with GOV.UK Pay's error body.
    #[error("GOV.UK Pay answered {}: {}", .0.status, .0.body.description.as_deref().unwrap_or("no description"))]
    Api(ApiErrorBody),
    /// The request could not be sent or no answer came, and nothing changed.
    #[error("could not reach GOV.UK Pay: {0}")]
    Network(String),
    /// A request that changes money or state may have been done, and no
    /// answer says whether it was: a timeout, a dropped connection, any 5xx
    /// (GOV.UK Pay's own, or a proxy's 502/503/504), or a success whose body
    /// could not be read. Read the payment to find out. Never retried.
    #[error("GOV.UK Pay did not answer the {operation}; it may or may not have been done")]
    OutcomeUnknown { operation: &'static str },
    /// An answer came but could not be read.
    #[error("GOV.UK Pay sent an answer we could not read (HTTP {status}): {detail}")]
    Decode { status: u16, detail: String },
    /// The client was set up wrongly (for example a base URL that is not a URL).
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The GOV.UK Pay P-code, if there is one.
    pub fn pay_code(&self) -> Option<&str> {
        match self {
            Error::Api(body) => body.code(),
            Error::RateLimited => Some("P0900"),
            Error::InvalidRequest { pay_code, .. } => Some(pay_code),
            _ => None,
        }
    }

    /// Whether trying again later may succeed without changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited | Error::Network(_) => true,
            Error::OutcomeUnknown { .. } => false,
            Error::Api(body) => body.status >= 500,
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_the_pay_code_and_retryability() {
        let e = Error::Api(ApiErrorBody {
            status: 412,
            body: ErrorResponse {
                code: Some("P0604".into()),
                description: Some("Refund amount available mismatch.".into()),
                ..Default::default()
            },
        });
        assert_eq!(e.pay_code(), Some("P0604"));
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("412"));
        assert!(Error::RateLimited.is_retryable());
        assert_eq!(Error::Unauthorized.pay_code(), None);
    }
}
