//! The team database: both stores compared scenario by scenario, and team
//! mode (staff logins, the staff list, one record and one cache for the
//! team). These always run on a real PostgreSQL server the tests start;
//! their own binary, so their load never shares the machine with the core
//! suite's timing-sensitive tests.

#[path = "../core/common.rs"]
#[allow(dead_code, unused_imports)]
mod common;

mod approvals;
mod engines;
mod team;
