//! PostgreSQL's answers sorted into the store's kinds, by SQLSTATE: the only
//! place that reads them.

use crate::store::{DbProblem, StoreErrorKind};

/// The kind of a failure PostgreSQL reported with `code` (its SQLSTATE).
pub(crate) fn kind_of_code(code: &str) -> StoreErrorKind {
    match code {
        // serialization_failure, deadlock_detected, lock_not_available,
        // query_canceled (a lock or statement timeout)
        "40001" | "40P01" | "55P03" | "57014" => StoreErrorKind::Busy,
        // Integrity constraints (unique, check, foreign key, not null, the
        // audit record's append-only guard), and a login's missing right or
        // row-level security refusing the row.
        c if c.starts_with("23") => StoreErrorKind::Constraint,
        "42501" => StoreErrorKind::Constraint,
        "XX001" | "XX002" => StoreErrorKind::Broken(DbProblem::Damaged),
        "53100" => StoreErrorKind::Broken(DbProblem::Full),
        "25006" => StoreErrorKind::Broken(DbProblem::ReadOnly),
        // The server going or refusing connections, too many connections.
        c if c.starts_with("08") => StoreErrorKind::Broken(DbProblem::ServerUnreachable),
        "57P01" | "57P02" => StoreErrorKind::Broken(DbProblem::ServerUnreachable),
        // invalid_password, invalid_authorization_specification (no such
        // login, or one that may not sign in)
        "28P01" | "28000" => StoreErrorKind::Broken(DbProblem::SignInRefused),
        // too_many_connections, cannot_connect_now (starting up): passing.
        "53300" | "57P03" => StoreErrorKind::Busy,
        _ => StoreErrorKind::Other,
    }
}
