//! Refund approvals on a team: the rules, the queue, and deciding.

use paydesk_core::approvals::{
    ApprovalItem, ApprovalRulesInput, ApprovalSettings, RefundRequestView,
};
use paydesk_core::money::RefundDone;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// A service's approval rules, and whether approvals are offered here.
#[tauri::command]
pub async fn approval_settings(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<ApprovalSettings, AppError> {
    Ok(state.core()?.approval_settings(&service_id).await?)
}

/// Sets a service's approval rules (supervisors, on a team).
#[tauri::command]
pub async fn approval_rules_set(
    state: State<'_, AppState>,
    service_id: String,
    rules: ApprovalRulesInput,
) -> Result<ApprovalSettings, AppError> {
    Ok(state
        .core()?
        .approval_rules_set(&service_id, &rules)
        .await?)
}

/// The service's refunds waiting for approval, oldest first (supervisors).
#[tauri::command]
pub async fn approvals_waiting(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<Vec<ApprovalItem>, AppError> {
    Ok(state.core()?.approvals_waiting(&service_id).await?)
}

/// The refunds the person signed in asked for, newest first.
#[tauri::command]
pub async fn refund_requests_mine(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<Vec<RefundRequestView>, AppError> {
    Ok(state.core()?.refund_requests_mine(&service_id).await?)
}

/// Approves a request: its refund is sent, once.
#[tauri::command]
pub async fn refund_request_approve(
    state: State<'_, AppState>,
    request_id: i64,
) -> Result<RefundDone, AppError> {
    Ok(state.core()?.refund_request_approve(request_id).await?)
}

/// Rejects a request, saying why.
#[tauri::command]
pub async fn refund_request_reject(
    state: State<'_, AppState>,
    request_id: i64,
    note: String,
) -> Result<RefundRequestView, AppError> {
    Ok(state
        .core()?
        .refund_request_reject(request_id, &note)
        .await?)
}
