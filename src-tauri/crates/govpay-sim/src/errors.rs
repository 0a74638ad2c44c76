//! Error answers in the API's shapes: `{field?, header?, code, description}` with
//! the status GOV.UK Pay uses (400 for a wrong type or a missing field, 422 for a
//! value out of range), and 401 with no JSON at all.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use govpay::models::ErrorResponse;

/// An error answer: the HTTP status and the API's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub body: ErrorResponse,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorResponse {
                field: None,
                header: None,
                code: code.parse().ok(),
                description: Some(description.into()),
            },
        }
    }

    pub fn field(mut self, field: &str) -> Self {
        self.body.field = Some(field.to_owned());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, header: &str) -> Self {
        self.body.header = Some(header.to_owned());
        self
    }

    /// `Missing mandatory attribute: <field>` with the endpoint's own code.
    pub fn missing(code: &str, field: &str) -> Self {
        Self::new(400, code, format!("Missing mandatory attribute: {field}")).field(field)
    }

    /// `Invalid attribute value: <field>. <why>` with the endpoint's own code.
    pub fn invalid(status: u16, code: &str, field: &str, why: &str) -> Self {
        Self::new(
            status,
            code,
            format!("Invalid attribute value: {field}. {why}"),
        )
        .field(field)
    }

    pub fn not_found(code: &str) -> Self {
        Self::new(404, code, "Not found")
    }

    /// The firewall's answer (naxsi in front of the real API).
    pub fn blocked() -> Self {
        Self::new(
            400,
            "P0920",
            "Request blocked by security rules. Please consult API documentation for more information.",
        )
    }

    pub fn too_many_requests() -> Self {
        Self {
            status: 429,
            body: ErrorResponse {
                code: Some(govpay::PayCode::P0900),
                description: Some("Too many requests".into()),
                ..Default::default()
            },
        }
    }

    /// 401 as the real API sends it: no JSON, a servlet container's HTML page.
    pub fn unauthorized() -> Response {
        (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html;charset=iso-8859-1")],
            "<html><head><title>Error 401 Unauthorized</title></head><body><h2>HTTP ERROR 401 Unauthorized</h2></body></html>",
        )
            .into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
