//! The hosted payment page at `next_url`: a plain card form, so a web payment can
//! be completed by hand in a browser and return to the service's `return_url`.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::Shared;
use crate::model::Status;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} – GOV.UK Pay simulator</title>\
<style>body{{font-family:arial,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#0b0c0c}}\
label{{display:block;font-weight:bold;margin-top:1em}}input{{font-size:1.1em;padding:.3em;width:100%;box-sizing:border-box}}\
button{{margin-top:1.5em;font-size:1.1em;padding:.5em 1em;background:#00703c;color:#fff;border:0}}\
.cancel{{background:none;color:#1d70b8;text-decoration:underline;margin-left:1em}}.error{{color:#d4351c;font-weight:bold}}\
.banner{{background:#f3f2f1;border-left:5px solid #1d70b8;padding:.5em 1em}}</style></head><body>\
<p class=\"banner\">Simulated GOV.UK Pay payment page: no real money moves.</p>{body}</body></html>"
    )
}

fn form(payment_id: &str, amount: i64, description: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Enter card details",
        &format!(
            "<h1>Enter card details</h1><p>{}</p><p><strong>Total amount: £{}.{:02}</strong></p>{error}\
<form method=\"post\" action=\"/card_details/{payment_id}\">\
<label for=\"card_number\">Card number</label><input id=\"card_number\" name=\"card_number\" autocomplete=\"off\" inputmode=\"numeric\">\
<label for=\"expiry_date\">Expiry date (MM/YY)</label><input id=\"expiry_date\" name=\"expiry_date\" autocomplete=\"off\">\
<label for=\"cardholder_name\">Name on card</label><input id=\"cardholder_name\" name=\"cardholder_name\" autocomplete=\"off\">\
<label for=\"cvc\">Card security code</label><input id=\"cvc\" name=\"cvc\" autocomplete=\"off\" inputmode=\"numeric\">\
<button type=\"submit\" name=\"action\" value=\"pay\">Continue</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\" class=\"cancel\">Cancel payment</button></form>",
            escape(description),
            amount / 100,
            amount % 100
        ),
    )
}

fn gone() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page("Link expired", "<h1>This payment link has expired or has already been used</h1><p>Go back to the service and start again.</p>")),
    )
        .into_response()
}

/// `GET /secure/{token}`: spends the token and shows the card form.
pub(crate) async fn open(State(shared): State<Shared>, Path(token): Path<String>) -> Response {
    let mut state = shared.lock();
    state.sweep();
    let Some(idx) = state.journey_open(&token) else {
        return gone();
    };
    let p = &state.payments[idx];
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(form(&p.id, p.amount, &p.description, None)),
    )
        .into_response()
}

/// `POST /card_details/{payment_id}`: pays (or cancels) and returns to the service.
pub(crate) async fn submit(
    State(shared): State<Shared>,
    Path(payment_id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    state.sweep();
    let Some(idx) = state.index_of(&payment_id) else {
        return gone();
    };
    if state.payments[idx].status != Status::Started {
        return gone();
    }
    let back = state.payments[idx]
        .return_url
        .clone()
        .unwrap_or_else(|| "/".into());
    if fields.get("action").map(String::as_str) == Some("cancel") {
        let _ = state.journey_cancel(idx);
        return Redirect::to(&back).into_response();
    }
    let get = |k: &str| {
        fields
            .get(k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let number: String = get("card_number")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let (expiry, holder, cvc) = (get("expiry_date"), get("cardholder_name"), get("cvc"));
    let now = state.clock.now();
    let problem =
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            Some("Enter a valid card number")
        } else if crate::state::expiry_in_future(&expiry, now) != Some(true) {
            Some("Enter a valid expiry date in the future, as MM/YY")
        } else if holder.is_empty() {
            Some("Enter the name as it appears on the card")
        } else if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            Some("Enter a valid card security code")
        } else {
            None
        };
    if let Some(problem) = problem {
        let p = &state.payments[idx];
        return Html(form(&p.id, p.amount, &p.description, Some(problem))).into_response();
    }
    // Whatever the outcome, the paying user goes back to the service, which
    // then reads the payment's state from the API.
    let _ = state.authorise_card(idx, &number, &expiry, &holder);
    Redirect::to(&back).into_response()
}
