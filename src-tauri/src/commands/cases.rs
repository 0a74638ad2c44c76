//! Cases: group a citizen's payments under one reference, with notes.

use paydesk_core::cases::{CaseList, CasePage, CaseView};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Puts a payment under a case, opening the case if its reference is new.
#[tauri::command]
pub async fn case_add_payment(
    state: State<'_, AppState>,
    service_id: String,
    case_reference: String,
    payment_id: String,
) -> Result<CaseView, AppError> {
    let core = state.core()?;
    let case = core.case_open(&service_id, &case_reference, "").await?;
    Ok(core.case_add_payment(&case.id, &payment_id).await?)
}

#[tauri::command]
pub async fn case_add_note(
    state: State<'_, AppState>,
    case_id: String,
    body: String,
) -> Result<CaseView, AppError> {
    Ok(state.core()?.case_add_note(&case_id, &body).await?)
}

/// The Cases screen: the service's cases, newest activity first, those
/// whose reference holds `reference` when it is not blank.
#[tauri::command]
pub async fn case_list(
    state: State<'_, AppState>,
    service_id: String,
    reference: String,
) -> Result<CaseList, AppError> {
    Ok(state.core()?.case_list(&service_id, &reference).await?)
}

/// A case's page: its payments, notes and the staff actions on them.
#[tauri::command]
pub async fn case_page(state: State<'_, AppState>, case_id: String) -> Result<CasePage, AppError> {
    Ok(state.core()?.case_page(&case_id).await?)
}
