//! `/v1/payments`: create, get and search.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use govpay::PaymentId;
use govpay::models::{
    Link, Metadata, Payment, PaymentLinks, PaymentSettlementSummary, PaymentState, PostLink,
    RefundSummary, SearchNavigationLinks, SearchPage,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;

use crate::Shared;
use crate::accounts::{Account, authenticate};
use crate::errors::ApiError;

/// External payment states the simulator can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Created,
}

impl Status {
    fn as_state(self) -> PaymentState {
        match self {
            Status::Created => PaymentState {
                status: "created".into(),
                finished: false,
                message: None,
                code: None,
                can_retry: None,
            },
        }
    }
}

/// A payment as the simulator keeps it.
#[derive(Debug, Clone)]
pub(crate) struct SimPayment {
    pub id: String,
    pub account_id: u32,
    pub amount: i64,
    pub reference: String,
    pub description: String,
    pub email: Option<String>,
    pub language: String,
    pub metadata: Option<Metadata>,
    pub return_url: Option<String>,
    pub moto_api: bool,
    pub status: Status,
    pub created: OffsetDateTime,
    pub provider: &'static str,
}

fn iso_millis(t: OffsetDateTime) -> String {
    // The API writes `2016-01-21T17:15:00.000Z`.
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl SimPayment {
    fn to_wire(&self, base: &str, token: Option<String>) -> Payment {
        let self_href = format!("{base}/v1/payments/{}", self.id);
        let get = |href: String| Link {
            href,
            method: Some("GET".into()),
        };
        let post = |href: String, params: BTreeMap<String, Value>| PostLink {
            href,
            method: Some("POST".into()),
            content_type: Some("application/json".into()),
            params,
        };
        let unfinished = !self.status.as_state().finished;
        let mut links = PaymentLinks {
            self_: Some(get(self_href.clone())),
            events: Some(get(format!("{self_href}/events"))),
            refunds: Some(get(format!("{self_href}/refunds"))),
            ..Default::default()
        };
        if unfinished {
            links.cancel = Some(post(format!("{self_href}/cancel"), BTreeMap::new()));
            match (self.moto_api, token) {
                (true, Some(token)) => {
                    let mut params = BTreeMap::new();
                    params.insert("one_time_token".to_owned(), Value::String(token));
                    links.auth_url_post = Some(post(format!("{base}/v1/auth"), params));
                }
                (false, Some(token)) => {
                    links.next_url = Some(get(format!("{base}/secure/{token}")));
                }
                _ => {}
            }
        }
        Payment {
            payment_id: PaymentId::from_trusted(self.id.clone()),
            amount: self.amount,
            reference: self.reference.clone(),
            description: self.description.clone(),
            state: self.status.as_state(),
            language: Some(self.language.clone()),
            email: self.email.clone(),
            metadata: self.metadata.clone(),
            payment_provider: Some(self.provider.to_owned()),
            provider_id: None,
            created_date: Some(iso_millis(self.created)),
            refund_summary: Some(RefundSummary {
                status: "pending".into(),
                amount_available: self.amount,
                amount_submitted: 0,
            }),
            settlement_summary: Some(PaymentSettlementSummary::default()),
            card_details: None,
            delayed_capture: Some(false),
            moto: Some(self.moto_api),
            return_url: self.return_url.clone(),
            authorisation_mode: Some(if self.moto_api { "moto_api" } else { "web" }.into()),
            agreement_id: None,
            corporate_card_surcharge: None,
            total_amount: None,
            fee: None,
            net_amount: None,
            links,
        }
    }
}

fn json_ok(status: StatusCode, payment: &Payment) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(payment),
    )
        .into_response()
}

fn missing(field: &str) -> ApiError {
    ApiError::new(
        400,
        "P0101",
        Some(field),
        format!("Missing mandatory attribute: {field}"),
    )
}

fn invalid(status: u16, field: &str, why: &str) -> ApiError {
    ApiError::new(
        status,
        "P0102",
        Some(field),
        format!("Invalid attribute value: {field}. {why}"),
    )
}

/// Reads a required string attribute with the API's 400/422 split.
fn text_field(body: &Value, field: &str, max: usize) -> Result<String, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(missing(field)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(missing(field)),
        Some(Value::String(s)) if s.contains(['<', '>', '|']) => {
            Err(invalid(400, field, "Must be a valid string format"))
        }
        Some(Value::String(s)) if s.chars().count() > max => Err(invalid(
            422,
            field,
            &format!("Must be less than or equal to {max} characters length"),
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(invalid(400, field, "Must be a valid string format")),
    }
}

fn validate_create(body: &Value, account: &Account) -> Result<SimPayment, ApiError> {
    let amount = match body.get("amount") {
        None | Some(Value::Null) => return Err(missing("amount")),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| invalid(400, "amount", "Must be a valid numeric format"))?,
        Some(_) => return Err(invalid(400, "amount", "Must be a valid numeric format")),
    };
    let min = if account.allow_zero_amount { 0 } else { 1 };
    if amount < min {
        return Err(invalid(422, "amount", "Must be greater than or equal to 1"));
    }
    if amount > 10_000_000 {
        return Err(invalid(
            422,
            "amount",
            "Must be less than or equal to 10000000",
        ));
    }
    let reference = text_field(body, "reference", 255)?;
    let description = text_field(body, "description", 255)?;
    let mode = match body.get("authorisation_mode") {
        None => "web",
        Some(Value::String(s)) if s == "web" || s == "moto_api" => s.as_str(),
        Some(_) => {
            return Err(invalid(
                422,
                "authorisation_mode",
                "Must be one of web, moto_api, agreement",
            ));
        }
    };
    let moto_api = mode == "moto_api";
    let return_url = match (moto_api, body.get("return_url")) {
        (false, None | Some(Value::Null)) => return Err(missing("return_url")),
        (false, Some(Value::String(u)))
            if u.starts_with("https://") || u.starts_with("http://") =>
        {
            if u.chars().count() > 2000 {
                return Err(invalid(
                    422,
                    "return_url",
                    "Must be less than or equal to 2000 characters length",
                ));
            }
            Some(u.clone())
        }
        (false, Some(_)) => return Err(invalid(422, "return_url", "Must be a valid URL format")),
        (true, Some(_)) => {
            return Err(ApiError::new(
                400,
                "P0104",
                Some("return_url"),
                "Unexpected attribute: return_url",
            ));
        }
        (true, None) => None,
    };
    if moto_api && !account.moto_api_enabled {
        return Err(ApiError::new(
            422,
            "P0195",
            Some("authorisation_mode"),
            "Using authorisation_mode of moto_api is not allowed for this account",
        ));
    }
    let email = match body.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) if e.chars().count() > 254 => {
            return Err(invalid(
                422,
                "email",
                "Must be less than or equal to 254 characters length",
            ));
        }
        Some(Value::String(e)) => Some(e.clone()),
        Some(_) => return Err(invalid(400, "email", "Must be a valid string format")),
    };
    let language = match body.get("language") {
        None => "en".to_owned(),
        Some(Value::String(l)) if l == "en" || l == "cy" => l.clone(),
        Some(Value::String(_)) => return Err(invalid(422, "language", "Must be \"en\" or \"cy\"")),
        Some(_) => return Err(invalid(400, "language", "Must be \"en\" or \"cy\"")),
    };
    let metadata = match body.get("metadata") {
        None => None,
        Some(Value::Object(map)) => Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(_) => {
            return Err(invalid(
                422,
                "metadata",
                "Must be an object of JSON key-value pairs",
            ));
        }
    };
    Ok(SimPayment {
        id: String::new(),
        account_id: account.id,
        amount,
        reference,
        description,
        email,
        language,
        metadata,
        return_url,
        moto_api,
        status: Status::Created,
        created: OffsetDateTime::now_utc(),
        provider: account.provider.as_str(),
    })
}

/// `POST /v1/payments`.
pub(crate) async fn create(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = shared.lock();
    let Some(account) = authenticate(&state.accounts, &headers).cloned() else {
        return ApiError::unauthorized();
    };
    if body.is_empty() {
        return ApiError::new(400, "P0920", None, "Request blocked by security rules. Please consult API documentation for more information.").into_response();
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return ApiError::new(400, "P0197", None, "Unable to parse JSON").into_response();
    };
    let mut payment = match validate_create(&json, &account) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    payment.id = state.ids.external_id();
    let token = state.ids.external_id();
    let wire = payment.to_wire(&state.base_url, Some(token));
    state.payments.push(payment);
    let mut response = json_ok(StatusCode::CREATED, &wire);
    if let Some(link) = &wire.links.self_
        && let Ok(v) = link.href.parse()
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `GET /v1/payments/{id}`: mints a new one-time token for an unfinished payment.
pub(crate) async fn get_one(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    let Some(account_id) = authenticate(&state.accounts, &headers).map(|a| a.id) else {
        return ApiError::unauthorized();
    };
    let Some(index) = state
        .payments
        .iter()
        .position(|p| p.id == payment_id && p.account_id == account_id)
    else {
        return ApiError::new(404, "P0200", None, "Not found").into_response();
    };
    let token = state.ids.external_id();
    let wire = state.payments[index].to_wire(&state.base_url, Some(token));
    json_ok(StatusCode::OK, &wire)
}

/// `GET /v1/payments`: newest first, in pages.
pub(crate) async fn search(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = shared.lock();
    let Some(account_id) = authenticate(&state.accounts, &headers).map(|a| a.id) else {
        return ApiError::unauthorized();
    };
    let mut bad = Vec::new();
    let page: u64 = match query.get("page").map(|v| v.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            bad.push("page");
            1
        }
    };
    let size: u64 = match query.get("display_size").map(|v| v.parse::<u64>()) {
        None => 500,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        Some(_) => {
            bad.push("display_size");
            500
        }
    };
    if !bad.is_empty() {
        return ApiError::new(
            422,
            "P0401",
            None,
            format!(
                "Invalid parameters: {}. See Public API documentation for the correct data formats",
                bad.join(", ")
            ),
        )
        .into_response();
    }
    let reference = query.get("reference").map(|r| r.to_lowercase());
    let email = query.get("email").map(|e| e.to_lowercase());
    let mut matches: Vec<&SimPayment> = state
        .payments
        .iter()
        .filter(|p| p.account_id == account_id)
        .filter(|p| {
            reference
                .as_ref()
                .is_none_or(|r| &p.reference.to_lowercase() == r)
        })
        .filter(|p| {
            email.as_ref().is_none_or(|e| {
                p.email
                    .as_ref()
                    .is_some_and(|pe| pe.to_lowercase().contains(e))
            })
        })
        .collect();
    // Newest first; creation order breaks ties.
    matches.reverse();
    matches.sort_by_key(|p| std::cmp::Reverse(p.created));
    let total = matches.len() as u64;
    let start = ((page - 1) * size).min(total) as usize;
    let end = (start + size as usize).min(matches.len());
    let results: Vec<Payment> = matches[start..end]
        .iter()
        .map(|p| p.to_wire(&state.base_url, None))
        .collect();
    let last_page = total.div_ceil(size).max(1);
    let href = |n: u64| Link {
        href: format!(
            "{}/v1/payments?display_size={size}&page={n}",
            state.base_url
        ),
        method: None,
    };
    let links = SearchNavigationLinks {
        self_: Some(href(page)),
        first_page: Some(href(1)),
        last_page: Some(href(last_page)),
        prev_page: (page > 1).then(|| href(page - 1)),
        next_page: (page < last_page).then(|| href(page + 1)),
    };
    Json(SearchPage {
        total,
        count: results.len() as u64,
        page,
        results,
        links,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_like_the_api() {
        let t = time::macros::datetime!(2016-01-21 17:15:00.123 UTC);
        assert_eq!(iso_millis(t), "2016-01-21T17:15:00.123Z");
    }

    #[test]
    fn splits_400_and_422_as_the_api_does() {
        let account = Account::sandbox("k");
        let body = serde_json::json!({"amount": "12", "reference": "r", "description": "d", "return_url": "https://x"});
        assert_eq!(validate_create(&body, &account).unwrap_err().status, 400);
        let body = serde_json::json!({"amount": 10_000_001, "reference": "r", "description": "d", "return_url": "https://x"});
        assert_eq!(validate_create(&body, &account).unwrap_err().status, 422);
        let body = serde_json::json!({"amount": 100, "reference": "a<b", "description": "d", "return_url": "https://x"});
        let e = validate_create(&body, &account).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.body.field.as_deref()),
            (400, Some("reference"))
        );
    }
}
