//! Error answers in the API's shapes.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use govpay::models::ErrorResponse;

/// An error answer: status plus the API's `{field?, code, description}` body.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: ErrorResponse,
}

impl ApiError {
    pub fn new(
        status: u16,
        code: &str,
        field: Option<&str>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: ErrorResponse {
                field: field.map(str::to_owned),
                header: None,
                code: Some(code.to_owned()),
                description: Some(description.into()),
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
        (self.status, Json(self.body)).into_response()
    }
}
