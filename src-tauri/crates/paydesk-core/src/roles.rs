//! Staff roles on this desktop, modelled on the GOV.UK Pay admin tool's roles
//! (`view-and-refund`, `view-and-initiate-moto`, `admin`), and what each allows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// View payments and refund them (admin tool: "View and refund").
    Caseworker,
    /// View payments and take telephone payments ("View and take telephone payments").
    CallCentre,
    /// Everything, including cancelling agreements and reviewing disputes ("Administrator").
    Supervisor,
}

/// Something a person can do through Paydesk. The UI shows only what the
/// service's role allows (each `ServiceView` carries the list), and the core
/// refuses the rest whatever the UI sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Permission {
    /// `transactions:read` and friends.
    ViewPayments,
    /// `refunds:create`.
    Refund,
    /// `agent-initiated-moto:create`.
    TakeTelephonePayment,
    /// Cancel or capture a payment that is not finished.
    CancelOrCapturePayment,
    /// `agreements:update`: create and cancel recurring-payment agreements.
    ManageAgreements,
    /// Review disputes and add notes to them.
    ReviewDisputes,
    /// Read the audit trail of the whole desktop, and the dashboard.
    ViewActivity,
    /// Export payments with the payers' names and emails (finance CSV).
    ExportPayments,
    /// On a team: approve or reject others' refund requests, and set the
    /// service's approval rules.
    ApproveRefunds,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::ViewPayments,
        Permission::Refund,
        Permission::TakeTelephonePayment,
        Permission::CancelOrCapturePayment,
        Permission::ManageAgreements,
        Permission::ReviewDisputes,
        Permission::ViewActivity,
        Permission::ExportPayments,
        Permission::ApproveRefunds,
    ];
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Supervisor => true,
            Role::Caseworker => {
                matches!(permission, ViewPayments | Refund | CancelOrCapturePayment)
            }
            Role::CallCentre => matches!(permission, ViewPayments | TakeTelephonePayment),
        }
    }

    /// Everything this role allows, for the UI to show only what can be used.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.allows(*p))
            .collect()
    }

    /// Refuses, with a message staff can read, what this role does not allow.
    pub fn require(self, permission: Permission) -> Result<(), CoreError> {
        if self.allows(permission) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "a {} cannot {}",
                self.label().to_lowercase(),
                permission.describe()
            )))
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Caseworker => "Caseworker",
            Role::CallCentre => "Call-centre agent",
            Role::Supervisor => "Supervisor",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::CallCentre => "call_centre",
            Role::Supervisor => "supervisor",
        }
    }
}

impl Permission {
    fn describe(self) -> &'static str {
        match self {
            Permission::ViewPayments => "view payments",
            Permission::Refund => "refund payments",
            Permission::TakeTelephonePayment => "take telephone payments",
            Permission::CancelOrCapturePayment => "cancel or capture payments",
            Permission::ManageAgreements => "create or cancel agreements",
            Permission::ReviewDisputes => "review disputes",
            Permission::ViewActivity => "view the activity record",
            Permission::ExportPayments => "export payments with payers' names and emails",
            Permission::ApproveRefunds => "approve refunds or set approval rules",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "caseworker" => Ok(Role::Caseworker),
            "call_centre" => Ok(Role::CallCentre),
            "supervisor" => Ok(Role::Supervisor),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_admin_tool() {
        assert!(Role::Caseworker.allows(Permission::Refund));
        assert!(!Role::Caseworker.allows(Permission::TakeTelephonePayment));
        assert!(!Role::Caseworker.allows(Permission::ManageAgreements));
        assert!(Role::CallCentre.allows(Permission::TakeTelephonePayment));
        assert!(!Role::CallCentre.allows(Permission::Refund));
        assert!(Role::Supervisor.allows(Permission::ManageAgreements));
    }

    #[test]
    fn each_role_lists_what_it_allows_and_only_a_supervisor_exports() {
        assert_eq!(
            Role::CallCentre.permissions(),
            [Permission::ViewPayments, Permission::TakeTelephonePayment]
        );
        assert_eq!(
            Role::Caseworker.permissions(),
            [
                Permission::ViewPayments,
                Permission::Refund,
                Permission::CancelOrCapturePayment
            ]
        );
        assert_eq!(Role::Supervisor.permissions(), Permission::ALL);
        assert!(!Role::Caseworker.allows(Permission::ExportPayments));
    }

    #[test]
    fn a_refusal_says_who_and_what() {
        let err = Role::CallCentre.require(Permission::Refund).unwrap_err();
        assert_eq!(
            err.to_string(),
            "your role on this service does not allow this: a call-centre agent cannot refund payments"
        );
    }

    #[test]
    fn round_trips_through_text() {
        for r in [Role::Caseworker, Role::CallCentre, Role::Supervisor] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
