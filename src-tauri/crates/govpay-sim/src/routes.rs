//! The sixteen operations of the public API, over HTTP.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::Shared;
use crate::errors::{ApiError, ApiResult};
use crate::state::AuthAnswer;

/// The account the request's Bearer key reaches (set by the auth layer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountId(pub u32);

fn ok_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(value),
    )
        .into_response()
}

fn answer<T: Serialize>(status: StatusCode, result: ApiResult<T>) -> Response {
    match result {
        Ok(v) => ok_json(status, &v),
        Err(e) => e.into_response(),
    }
}

fn no_content(result: ApiResult<()>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Parses a JSON body; `code` is the endpoint's "unable to parse" code.
fn json_body(body: &Bytes, code: &str) -> ApiResult<Value> {
    serde_json::from_slice::<Value>(body)
        .map_err(|_| ApiError::new(400, code, "Unable to parse JSON"))
}

pub(crate) async fn create_payment(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = match json_body(&body, "P0197") {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}").to_owned());
    let mut state = shared.lock();
    state.sweep();
    match state.create_payment(account, &json, key.as_deref()) {
        Ok((status, payment)) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let mut response = ok_json(code, &payment);
            if status == 201
                && let Some(link) = &payment.links.self_
                && let Ok(v) = link.href.parse()
            {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn get_payment(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    answer(StatusCode::OK, state.get_payment(account, &id))
}

pub(crate) async fn events(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    answer(StatusCode::OK, state.events(account, &id))
}

pub(crate) async fn cancel(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    no_content(state.cancel(account, &id))
}

pub(crate) async fn capture(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    no_content(state.capture(account, &id))
}

pub(crate) async fn search_payments(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    answer(
        StatusCode::OK,
        state.search_payments(account, &crate::validate::present(query)),
    )
}

pub(crate) async fn create_refund(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let json = match json_body(&body, "P0697") {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut state = shared.lock();
    state.sweep();
    // Sandbox and Stripe refunds complete at once, but the API still answers 202.
    answer(StatusCode::ACCEPTED, state.refund(account, &id, &json))
}

pub(crate) async fn refunds_of(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let state = shared.lock();
    answer(StatusCode::OK, state.refunds_of(account, &id))
}

pub(crate) async fn refund_get(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path((id, refund_id)): Path<(String, String)>,
) -> Response {
    let state = shared.lock();
    answer(StatusCode::OK, state.refund_get(account, &id, &refund_id))
}

pub(crate) async fn search_refunds(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = shared.lock();
    answer(
        StatusCode::OK,
        state.search_refunds(account, &crate::validate::present(query)),
    )
}

pub(crate) async fn search_disputes(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    answer(
        StatusCode::OK,
        state.search_disputes(account, &crate::validate::present(query)),
    )
}

pub(crate) async fn create_agreement(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    body: Bytes,
) -> Response {
    let json = match json_body(&body, "P2197") {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut state = shared.lock();
    answer(StatusCode::CREATED, state.create_agreement(account, &json))
}

pub(crate) async fn get_agreement(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let state = shared.lock();
    answer(StatusCode::OK, state.get_agreement(account, &id))
}

pub(crate) async fn search_agreements(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = shared.lock();
    answer(
        StatusCode::OK,
        state.search_agreements(account, &crate::validate::present(query)),
    )
}

pub(crate) async fn cancel_agreement(
    State(shared): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(id): Path<String>,
) -> Response {
    let mut state = shared.lock();
    no_content(state.cancel_agreement(account, &id))
}

/// `POST /v1/auth`: no Bearer key; the one-time token is the credential.
pub(crate) async fn authorise(State(shared): State<Shared>, body: Bytes) -> Response {
    let json = match json_body(&body, "P0197") {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut state = shared.lock();
    state.sweep();
    match state.authorise(&json) {
        Ok(AuthAnswer::Authorised) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}
