//! Conformance: while tests run, every JSON answer the simulator gives is checked
//! against the official OpenAPI spec (`publicapi_spec.json`, copied into
//! `src-tauri/crates/govpay/reference/`, or wherever `GOVPAY_SPEC` points).
//!
//! The spec is known to be wrong in a few places (API-NOTES §1, and statuses the
//! running API sends that the spec leaves out). Each one is corrected below,
//! explicitly and with its reason; anything else that does not match is recorded
//! as a violation, and dropping the [`Simulator`](crate::Simulator) fails the test.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::Shared;

/// Answers the running API gives that the spec leaves out or gives no body:
/// (method, spec path, status, schema the body has, why). These take precedence
/// over the spec's own entry for the same status.
const UNDOCUMENTED: &[(&str, &str, u16, &str, &str)] = &[
    // A refund is accepted with 202 and the refund as the body; the spec gives 202 no body.
    (
        "POST",
        "/v1/payments/{paymentId}/refunds",
        202,
        "Refund",
        "connector answers Response.accepted(refund)",
    ),
    (
        "POST",
        "/v1/payments/{paymentId}/refunds",
        400,
        "RequestError",
        "P0601/P0602/P0603 are not in the spec's responses",
    ),
    (
        "POST",
        "/v1/payments/{paymentId}/refunds",
        412,
        "RequestError",
        "P0604 has no schema in the spec",
    ),
    (
        "POST",
        "/v1/payments/{paymentId}/refunds",
        422,
        "RequestError",
        "P0602 out of range is not in the spec's responses",
    ),
    // A disabled account cannot take payments or refunds.
    (
        "POST",
        "/v1/payments",
        403,
        "RequestError",
        "P0941 account disabled",
    ),
    (
        "POST",
        "/v1/payments/{paymentId}/refunds",
        403,
        "RequestError",
        "P0941 account disabled",
    ),
    // An agreement payment replayed with the same Idempotency-Key is answered 200.
    (
        "POST",
        "/v1/payments",
        200,
        "CreatePaymentResult",
        "idempotent replay",
    ),
    (
        "POST",
        "/v1/payments",
        409,
        "RequestError",
        "P0191 Idempotency-Key reuse",
    ),
    // Past the last page, ledger answers 404 "Page not found".
    (
        "GET",
        "/v1/payments",
        404,
        "RequestError",
        "P0402 page not found",
    ),
    (
        "GET",
        "/v1/refunds",
        404,
        "RequestError",
        "P1100 page not found",
    ),
    (
        "GET",
        "/v1/disputes",
        404,
        "RequestError",
        "P0402 page not found",
    ),
    // The refunds search has the same rate limit as every other GET.
    (
        "GET",
        "/v1/refunds",
        429,
        "ErrorResponse",
        "rate limit not listed",
    ),
    // The firewall answers 400 P0920 on any route.
    ("GET", "/v1/payments", 400, "RequestError", "firewall P0920"),
    ("GET", "/v1/refunds", 400, "RequestError", "firewall P0920"),
    ("GET", "/v1/disputes", 400, "RequestError", "firewall P0920"),
    (
        "GET",
        "/v1/agreements",
        400,
        "RequestError",
        "firewall P0920 / P2401",
    ),
];

/// The spec's schemas, corrected where the spec is known to be wrong.
fn corrected_schemas(spec: &Value) -> Value {
    let mut schemas = spec["components"]["schemas"].clone();
    // API-NOTES §1: `metadata` is a flat object of strings, numbers and booleans,
    // not `{"metadata": {...}}` as ExternalMetadata says.
    schemas["ExternalMetadata"] = json!({
        "type": "object",
        "maxProperties": 15,
        "additionalProperties": { "type": ["string", "number", "boolean"] }
    });
    // API-NOTES §1: the card of an agreement's payment instrument is `card_details`.
    if let Some(props) = schemas["PaymentInstrument"]["properties"].as_object_mut()
        && let Some(card) = props.remove("CardDetails")
    {
        props.insert("card_details".into(), card);
    }
    // Agreement payments report `authorisation_mode: "agreement"`, which the
    // response enums leave out (the request enum has it).
    for name in ["PaymentWithAllLinks", "PaymentDetailForSearch"] {
        if let Some(values) =
            schemas[name]["properties"]["authorisation_mode"]["enum"].as_array_mut()
        {
            values.push(json!("agreement"));
        }
    }
    // A POST link's params are strings (`one_time_token`, `chargeTokenId`), not
    // objects as PostLink.params' `additionalProperties` says.
    schemas["PostLink"]["properties"]["params"]["additionalProperties"] =
        json!({ "type": "string" });
    openapi_to_json_schema(&mut schemas);
    schemas
}

/// OpenAPI 3.0's `nullable: true` becomes a JSON Schema type list.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type").cloned()
            {
                map.insert("type".into(), json!([t, "null"]));
            }
            for child in map.values_mut() {
                openapi_to_json_schema(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

#[derive(Debug)]
pub(crate) struct Checker {
    spec: Value,
    schemas: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    violations: Mutex<Vec<String>>,
}

impl Checker {
    /// Loads the spec. A missing spec is itself recorded as a violation, so a
    /// conformance build can never pass without checking anything.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("GOVPAY_SPEC")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../govpay/reference/publicapi_spec.json")
            });
        let (spec, problem) =
            match std::fs::read(&path).map(|b| serde_json::from_slice::<Value>(&b)) {
                Ok(Ok(spec)) => (spec, None),
                Ok(Err(e)) => (
                    Value::Null,
                    Some(format!("the spec at {} is not JSON: {e}", path.display())),
                ),
                Err(e) => (
                    Value::Null,
                    Some(format!(
                        "the spec is missing at {} ({e}); set GOVPAY_SPEC",
                        path.display()
                    )),
                ),
            };
        let schemas = if spec.is_null() {
            Value::Null
        } else {
            corrected_schemas(&spec)
        };
        Some(Self {
            spec,
            schemas,
            validators: Mutex::new(HashMap::new()),
            violations: Mutex::new(problem.into_iter().collect()),
        })
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn record(&self, v: String) {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(v);
    }

    /// The schema name the spec (or the list of its gaps) gives this answer.
    fn schema_for(&self, method: &str, path: &str, status: u16) -> Result<Option<String>, String> {
        let op = &self.spec["paths"][path][method.to_lowercase()];
        if op.is_null() {
            return Err(format!("{method} {path} is not an operation of the spec"));
        }
        if let Some((.., schema, _)) = UNDOCUMENTED
            .iter()
            .find(|(m, p, s, ..)| *m == method && *p == path && *s == status)
        {
            return Ok(Some((*schema).to_owned()));
        }
        let response = &op["responses"][status.to_string()];
        if response.is_null() {
            return Err(format!(
                "{method} {path} answered {status}, which the spec does not list"
            ));
        }
        let reference = response["content"]["application/json"]["schema"]["$ref"].as_str();
        Ok(reference.map(|r| r.trim_start_matches("#/components/schemas/").to_owned()))
    }

    fn validator(&self, schema: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let mut cache = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = cache.get(schema) {
            return Ok(v.clone());
        }
        let root = json!({
            "$ref": format!("#/components/schemas/{schema}"),
            "components": { "schemas": self.schemas.clone() }
        });
        let validator = Arc::new(
            jsonschema::validator_for(&root).map_err(|e| format!("schema {schema}: {e}"))?,
        );
        cache.insert(schema.to_owned(), validator.clone());
        Ok(validator)
    }

    pub fn check(&self, method: &str, path: &str, status: u16, body: Option<&Value>) {
        if self.spec.is_null() {
            return;
        }
        let schema = match self.schema_for(method, path, status) {
            Ok(s) => s,
            Err(v) => return self.record(v),
        };
        match (schema, body) {
            (None, None) => {}
            (None, Some(_)) => self.record(format!(
                "{method} {path} {status}: the spec gives no body, but one was sent"
            )),
            (Some(name), None) => self.record(format!(
                "{method} {path} {status}: expected a {name} body, got none or not JSON"
            )),
            (Some(name), Some(body)) => match self.validator(&name) {
                Err(e) => self.record(e),
                Ok(validator) => {
                    for error in validator.iter_errors(body) {
                        self.record(format!(
                            "{method} {path} {status} ({name}) at {}: {error}",
                            error.instance_path()
                        ));
                    }
                }
            },
        }
    }
}

/// The spec's path for an axum route (`{payment_id}` → `{paymentId}`).
fn spec_path(route: &str) -> String {
    route
        .replace("{payment_id}", "{paymentId}")
        .replace("{refund_id}", "{refundId}")
        .replace("{agreement_id}", "{agreementId}")
}

pub(crate) async fn check(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let Some(checker) = shared.conformance.clone() else {
        return next.run(request).await;
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| spec_path(m.as_str()));
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let Some(route) = route else { return response };
    if response
        .extensions()
        .get::<crate::layers::FromProxy>()
        .is_some()
    {
        return response;
    }
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    if status != 401 {
        let json = if is_json {
            serde_json::from_slice::<Value>(&bytes).ok()
        } else {
            None
        };
        checker.check(&method, &route, status, json.as_ref());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Checker {
        Checker::from_env().unwrap()
    }

    #[test]
    fn the_spec_loads_and_its_known_mistakes_are_corrected() {
        let c = checker();
        assert!(c.violations().is_empty(), "{:?}", c.violations());
        assert!(c.schemas["PaymentInstrument"]["properties"]["card_details"].is_object());
    }

    #[test]
    fn a_wrong_type_is_a_violation() {
        let c = checker();
        c.check(
            "GET",
            "/v1/payments/{paymentId}",
            200,
            Some(&json!({"amount": "twelve pounds", "state": {"status": "created"}})),
        );
        let v = c.violations();
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("/amount"), "{v:?}");
    }

    #[test]
    fn an_undocumented_status_is_a_violation() {
        let c = checker();
        c.check("GET", "/v1/payments/{paymentId}", 418, None);
        assert_eq!(c.violations().len(), 1);
    }

    #[test]
    fn flat_metadata_and_agreement_mode_are_accepted() {
        let c = checker();
        c.check(
            "GET",
            "/v1/payments/{paymentId}",
            200,
            Some(&json!({"amount": 100, "metadata": {"a": "b", "n": 1, "t": true}, "authorisation_mode": "agreement"})),
        );
        assert!(c.violations().is_empty(), "{:?}", c.violations());
    }
}
