//! Tauri commands: thin adapters from IPC to paydesk-core, one module per area.

pub mod agreements;
pub mod cases;
pub mod export;
pub mod payments;
pub mod sandbox;
pub mod services;
pub mod staff;
pub mod supervisor;
pub mod sync;
pub mod telephone;
