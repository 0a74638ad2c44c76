//! Request validation with the API's rules, codes and messages (API-NOTES §1).

use std::collections::HashMap;

use serde_json::Value;

use crate::errors::{ApiError, ApiResult};

/// A required string: missing/blank is 400 `missing`, a wrong type (or `<>|`
/// in a reference or description) is 400, too long (in UTF-16 units) is 422.
pub(crate) fn required_text(
    body: &Value,
    field: &str,
    max: usize,
    missing: &str,
    invalid: &str,
) -> ApiResult<String> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::missing(missing, field)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ApiError::missing(missing, field)),
        Some(Value::String(s)) => check_text(s, field, max, invalid).map(|()| s.clone()),
        Some(_) => Err(ApiError::invalid(
            400,
            invalid,
            field,
            "Must be a valid string format",
        )),
    }
}

/// An optional string with the same rules; blank is allowed only if `allow_blank`.
pub(crate) fn optional_text(
    body: &Value,
    field: &str,
    max: usize,
    invalid: &str,
) -> ApiResult<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => check_text(s, field, max, invalid).map(|()| Some(s.clone())),
        Some(_) => Err(ApiError::invalid(
            400,
            invalid,
            field,
            "Must be a valid string format",
        )),
    }
}

/// `prefilled_cardholder_details`: `{cardholder_name, billing_address{line1,
/// line2, city, postcode, country}}`, every leaf a string (400 P0102 "Field
/// must be a string"), within the API's lengths (422 P0102). Absent or null
/// parts are fine.
pub(crate) fn prefilled_cardholder_details(body: &Value) -> ApiResult<()> {
    let object = |v: &Value, field: &str| match v {
        Value::Object(_) | Value::Null => Ok(()),
        _ => Err(ApiError::invalid(
            400,
            "P0102",
            field,
            "Field must be an object",
        )),
    };
    let leaf = |parent: &Value, field: &str, max: usize| -> ApiResult<()> {
        match parent.get(field) {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(s)) if java_len(s) > max => Err(ApiError::invalid(
                422,
                "P0102",
                field,
                &format!("Must be less than or equal to {max} characters length"),
            )),
            Some(Value::String(_)) => Ok(()),
            Some(_) => Err(ApiError::invalid(
                400,
                "P0102",
                field,
                "Field must be a string",
            )),
        }
    };
    let Some(details) = body.get("prefilled_cardholder_details") else {
        return Ok(());
    };
    object(details, "prefilled_cardholder_details")?;
    leaf(details, "cardholder_name", 255)?;
    if let Some(address) = details.get("billing_address") {
        object(address, "billing_address")?;
        for (field, max) in [
            ("line1", 255),
            ("line2", 255),
            ("city", 255),
            ("postcode", 25),
            // An ISO 3166 alpha-2 code, but only its type is checked here.
            ("country", usize::MAX),
        ] {
            leaf(address, field, max)?;
        }
    }
    Ok(())
}

/// How long the API (a Java service) finds a text: in UTF-16 units, so an
/// emoji counts two.
pub(crate) fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn check_text(s: &str, field: &str, max: usize, invalid: &str) -> ApiResult<()> {
    // The API refuses `<`, `>` and `|` in a reference and a description only.
    if matches!(field, "reference" | "description") && s.contains(['<', '>', '|']) {
        return Err(ApiError::invalid(
            400,
            invalid,
            field,
            "Must be a valid string format",
        ));
    }
    if java_len(s) > max {
        return Err(ApiError::invalid(
            422,
            invalid,
            field,
            &format!("Must be less than or equal to {max} characters length"),
        ));
    }
    Ok(())
}

/// An amount in pence: a JSON integer within `min..=10,000,000`.
pub(crate) fn amount(body: &Value, min: i64, missing: &str, invalid: &str) -> ApiResult<i64> {
    let field = "amount";
    let n = match body.get(field) {
        None | Some(Value::Null) => return Err(ApiError::missing(missing, field)),
        // A Java `int`: past it, the number does not read at all.
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or_else(|| {
                ApiError::invalid(400, invalid, field, "Must be a valid numeric format")
            })?,
        Some(_) => {
            return Err(ApiError::invalid(
                400,
                invalid,
                field,
                "Must be a valid numeric format",
            ));
        }
    };
    if n < min {
        return Err(ApiError::invalid(
            422,
            invalid,
            field,
            &format!("Must be greater than or equal to {min}"),
        ));
    }
    if n > 10_000_000 {
        return Err(ApiError::invalid(
            422,
            invalid,
            field,
            "Must be less than or equal to 10000000",
        ));
    }
    Ok(n)
}

pub(crate) fn optional_bool(body: &Value, field: &str) -> ApiResult<Option<bool>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(
            400,
            "P0102",
            field,
            "Must be true or false",
        )),
    }
}

/// `metadata`: at most 15 keys of 1–30 characters, unique ignoring case; values
/// strings, numbers or booleans of at most 100 characters.
pub(crate) fn metadata(body: &Value) -> ApiResult<Option<govpay::models::Metadata>> {
    let field = "metadata";
    let map = match body.get(field) {
        None => return Ok(None),
        Some(Value::Null) => {
            return Err(ApiError::invalid(
                422,
                "P0102",
                field,
                "Value must not be null",
            ));
        }
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ApiError::invalid(
                422,
                "P0102",
                field,
                "Must be an object of JSON key-value pairs",
            ));
        }
    };
    let mut problems: Vec<&str> = Vec::new();
    if map.len() > 15 {
        problems.push("Cannot have more than 15 key-value pairs");
    }
    if map.keys().any(|k| k.is_empty() || java_len(k) > 30) {
        problems.push("Keys must be between 1 and 30 characters long");
    }
    if map.values().any(Value::is_null) {
        problems.push("Must not have null values");
    }
    if map
        .values()
        .any(|v| matches!(v, Value::Object(_) | Value::Array(_)))
    {
        problems.push("Values must be of type String, Boolean or Number");
    }
    if map.values().any(|v| match v {
        Value::String(s) => java_len(s) > 100,
        Value::Number(n) => n.to_string().len() > 100,
        _ => false,
    }) {
        problems.push("Values must be no greater than 100 characters long");
    }
    let mut seen: HashMap<String, ()> = HashMap::new();
    if map
        .keys()
        .any(|k| seen.insert(k.to_lowercase(), ()).is_some())
    {
        problems.push("Must have case insensitive unique keys");
    }
    if problems.is_empty() {
        Ok(Some(
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ))
    } else {
        Err(ApiError::invalid(422, "P0102", field, &problems.join(". ")))
    }
}

/// A search query: which parameters fail, reported together the API's way.
#[derive(Debug, Default)]
pub(crate) struct QueryErrors(Vec<&'static str>);

impl QueryErrors {
    pub fn push(&mut self, name: &'static str) {
        if !self.0.contains(&name) {
            self.0.push(name);
        }
    }

    pub fn finish(self, code: &str) -> ApiResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(ApiError::new(
            422,
            code,
            format!(
                "Invalid parameters: {}. See Public API documentation for the correct data formats",
                self.0.join(", ")
            ),
        ))
    }
}

/// The highest page the API takes: a Java `int`.
const MAX_PAGE: u64 = i32::MAX as u64;

/// `page` (1 to 2^31 − 1, default 1) and `display_size` (1–500, default 500).
pub(crate) fn paging(query: &HashMap<String, String>, errors: &mut QueryErrors) -> (u64, u64) {
    let page = match query.get("page").map(|v| v.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            errors.push("page");
            1
        }
    };
    let size = match query.get("display_size").map(|v| v.parse::<u64>()) {
        None => 500,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        Some(_) => {
            errors.push("display_size");
            500
        }
    };
    (page, size)
}

/// The query as the API reads it: a parameter given blank (`page=`,
/// `state=`) is as if it were not given at all.
pub(crate) fn present(mut query: HashMap<String, String>) -> HashMap<String, String> {
    query.retain(|_, v| !v.trim().is_empty());
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_problems_are_joined() {
        let mut m = serde_json::Map::new();
        for i in 0..16 {
            m.insert(format!("k{i}"), json!(i));
        }
        m.insert("K1".into(), json!([1]));
        let err = metadata(&json!({ "metadata": m })).unwrap_err();
        let d = err.body.description.unwrap();
        assert!(
            d.contains("Cannot have more than 15 key-value pairs"),
            "{d}"
        );
        assert!(
            d.contains("Values must be of type String, Boolean or Number"),
            "{d}"
        );
        assert!(d.contains("Must have case insensitive unique keys"), "{d}");
        assert_eq!(err.status, 422);
    }

    #[test]
    fn metadata_null_and_non_object() {
        assert_eq!(
            metadata(&json!({"metadata": null})).unwrap_err().status,
            422
        );
        let e = metadata(&json!({"metadata": "x"})).unwrap_err();
        assert!(e.body.description.unwrap().contains("Must be an object"));
        assert!(
            metadata(&json!({"metadata": {"a": "", "b": true, "c": 1.5}}))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn amounts_split_400_and_422() {
        assert_eq!(
            amount(&json!({}), 1, "P0101", "P0102").unwrap_err().status,
            400
        );
        assert_eq!(
            amount(&json!({"amount": 1.5}), 1, "P0101", "P0102")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            amount(&json!({"amount": "5"}), 1, "P0101", "P0102")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            amount(&json!({"amount": -1}), 1, "P0101", "P0102")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            amount(&json!({"amount": 10_000_001}), 1, "P0101", "P0102")
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            amount(&json!({"amount": 0}), 0, "P0101", "P0102").unwrap(),
            0
        );
    }
}
