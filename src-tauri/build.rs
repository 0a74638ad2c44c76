/// Every command the UI may call. Each gets an `allow-<command>` permission that
/// `capabilities/default.json` grants; a command left out here cannot be invoked.
const COMMANDS: &[&str] = &[
    "services_list",
    "services_add",
    "services_remove",
    "services_set_key",
    "staff_get",
    "staff_set_name",
    "team_get",
    "team_sign_in",
    "sandbox_start",
    "payments_search",
    "payments_search_live",
    "payment_detail",
    "payment_refund",
    "refund_reasons",
    "approval_settings",
    "approval_rules_set",
    "approvals_waiting",
    "refund_requests_mine",
    "refund_request_approve",
    "refund_request_reject",
    "payment_cancel",
    "payment_capture",
    "case_add_payment",
    "case_add_note",
    "case_list",
    "case_page",
    "sync_start",
    "sync_status",
    "sync_cancel",
    "telephone_payment_start",
    "telephone_payment_duplicates",
    "telephone_payment_authorise",
    "telephone_payment_abandon",
    "telephone_payments_list",
    "telephone_payments_check",
    "disputes_list",
    "activity_list",
    "activity_people",
    "activity_verify",
    "agreements_list",
    "agreement_detail",
    "agreement_cancel",
    "agreement_create",
    "dashboard",
    "export_csv",
    "results_csv",
    "daily_totals",
    "policy_get",
    "about_get",
    "diagnostics_get",
];

fn main() {
    // The commit built, for the About screen and the diagnostics.
    let build = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(build) = build {
        println!("cargo:rustc-env=PAYDESK_BUILD={build}");
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
