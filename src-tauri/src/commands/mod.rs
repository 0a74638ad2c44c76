//! Tauri commands: thin adapters from IPC to paydesk-core, one module per area.

pub mod sandbox;
pub mod services;
