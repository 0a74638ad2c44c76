//! Tauri commands: thin adapters from IPC to paydesk-core, one module per
//! part, named as the core's parts and the UI's `api/` files are.

pub mod activity;
pub mod agreements;
pub mod approvals;
pub mod cases;
pub mod dashboard;
pub mod disputes;
pub mod export;
pub mod money;
pub mod sandbox;
pub mod search;
pub mod services;
pub mod staff;
pub mod story;
pub mod support;
pub mod sync;
pub mod team;
pub mod telephone;
