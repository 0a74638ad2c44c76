//! Recurring-payment agreements: the list, one agreement's page, cancel and set up.

use paydesk_core::agreements::{AgreementDetail, AgreementQuery, AgreementView, NewAgreement};
use paydesk_core::money::ActionDone;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn agreements_list(
    state: State<'_, AppState>,
    service_id: String,
    query: AgreementQuery,
) -> Result<Vec<AgreementView>, AppError> {
    Ok(state.core()?.agreements_list(&service_id, &query).await?)
}

#[tauri::command]
pub async fn agreement_detail(
    state: State<'_, AppState>,
    service_id: String,
    agreement_id: String,
) -> Result<AgreementDetail, AppError> {
    Ok(state
        .core()?
        .agreement_detail(&service_id, &agreement_id)
        .await?)
}

/// Supervisors only; the core refuses any other role before sending anything.
#[tauri::command]
pub async fn agreement_cancel(
    state: State<'_, AppState>,
    service_id: String,
    agreement_id: String,
) -> Result<ActionDone, AppError> {
    Ok(state
        .core()?
        .agreement_cancel(&service_id, &agreement_id)
        .await?)
}

#[tauri::command]
pub async fn agreement_create(
    state: State<'_, AppState>,
    service_id: String,
    agreement: NewAgreement,
) -> Result<AgreementView, AppError> {
    Ok(state
        .core()?
        .agreement_create(&service_id, &agreement)
        .await?)
}
