//! The HTTP client: one handler per resource (`client.payments().get(..)`).

use std::sync::Once;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ApiErrorBody, Error, Result};
use crate::ids::PaymentId;
use crate::key::ApiKey;
use crate::models::{ErrorResponse, Payment, SearchPage};

/// GOV.UK Pay's one address for test and live: the key decides which.
pub const DEFAULT_BASE_URL: &str = "https://publicapi.payments.service.gov.uk";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Makes rustls use *ring* for this process (reqwest is built without a default
/// provider). Called by every client; harmless to call again.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; that is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Sets up a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    key: ApiKey,
    timeout: Duration,
}

impl ClientBuilder {
    pub fn new(key: ApiKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            key,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Point the client somewhere else (the simulator, a proxy's address).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn build(self) -> Result<Client> {
        install_crypto_provider();
        let mut base = Url::parse(&self.base_url)
            .map_err(|e| Error::Config(format!("the base URL is not a valid URL ({e})")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(
                "the base URL must start with https://".into(),
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("could not set up HTTPS ({e})")))?;
        Ok(Client {
            http,
            base,
            key: self.key,
        })
    }
}

/// A GOV.UK Pay client for one service account (one API key).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
}

impl Client {
    pub fn builder(key: ApiKey) -> ClientBuilder {
        ClientBuilder::new(key)
    }

    pub fn payments(&self) -> Payments<'_> {
        Payments { client: self }
    }

    /// One cheap call that proves the key works: a search for a single payment.
    pub async fn check_key(&self) -> Result<()> {
        self.payments()
            .search(&PaymentSearch {
                display_size: Some(1),
                ..Default::default()
            })
            .await
            .map(|_| ())
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad request path ({e})")))
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let auth =
            HeaderValue::from_str(&format!("Bearer {}", self.key.expose())).map_err(|_| {
                Error::Config("the API key contains characters a header cannot carry".into())
            })?;
        let response = self
            .http
            .get(url)
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, user_agent())
            .send()
            .await
            .map_err(|e| Error::Network(describe_transport_error(&e)))?;
        read_json(response).await
    }
}

fn user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("Paydesk/", env!("CARGO_PKG_VERSION")))
}

/// Says what went wrong in transport without echoing URLs or headers.
fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}

async fn read_json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Error::Network(describe_transport_error(&e)))?;
    match status {
        200..=299 => serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            status,
            detail: e.to_string(),
        }),
        401 => Err(Error::Unauthorized),
        429 => Err(Error::RateLimited),
        _ => {
            let body: ErrorResponse = serde_json::from_slice(&bytes).unwrap_or_default();
            Err(Error::Api(ApiErrorBody { status, body }))
        }
    }
}

/// Filters for `GET /v1/payments`.
#[derive(Debug, Clone, Default)]
pub struct PaymentSearch {
    pub reference: Option<String>,
    pub email: Option<String>,
    pub page: Option<u32>,
    pub display_size: Option<u32>,
}

impl PaymentSearch {
    fn validate(&self) -> Result<()> {
        if let Some(size) = self.display_size
            && !(1..=500).contains(&size)
        {
            return Err(Error::InvalidRequest {
                field: "display_size",
                message: "must be between 1 and 500".into(),
                pay_code: "P0401",
            });
        }
        if self.page == Some(0) {
            return Err(Error::InvalidRequest {
                field: "page",
                message: "must be 1 or more".into(),
                pay_code: "P0401",
            });
        }
        Ok(())
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = &self.reference {
            q.push(("reference", v.clone()));
        }
        if let Some(v) = &self.email {
            q.push(("email", v.clone()));
        }
        if let Some(v) = self.page {
            q.push(("page", v.to_string()));
        }
        if let Some(v) = self.display_size {
            q.push(("display_size", v.to_string()));
        }
        q
    }
}

/// The payments resource.
#[derive(Debug, Clone, Copy)]
pub struct Payments<'a> {
    client: &'a Client,
}

impl Payments<'_> {
    /// `GET /v1/payments/{id}`: strongly consistent.
    pub async fn get(&self, id: &PaymentId) -> Result<Payment> {
        let url = self.client.url(&format!("v1/payments/{id}"))?;
        self.client.get_json(url).await
    }

    /// `GET /v1/payments`: one page of a search, newest first.
    pub async fn search(&self, search: &PaymentSearch) -> Result<SearchPage<Payment>> {
        search.validate()?;
        let mut url = self.client.url("v1/payments")?;
        url.query_pairs_mut().extend_pairs(search.query());
        self.client.get_json(url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_base_url_that_is_not_http() {
        let key = ApiKey::new("k").unwrap();
        let err = Client::builder(key)
            .base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
    }

    #[test]
    fn rejects_a_page_size_the_api_would_refuse_before_sending() {
        let s = PaymentSearch {
            display_size: Some(501),
            ..Default::default()
        };
        match s.validate() {
            Err(Error::InvalidRequest {
                field, pay_code, ..
            }) => {
                assert_eq!(field, "display_size");
                assert_eq!(pay_code, "P0401");
            }
            other => panic!("expected a field error, got {other:?}"),
        }
    }
}
