//! paydesk-core against a real simulator, real SQLite files and the real keyring,
//! one file per area. `make test` runs these in a D-Bus session with an unlocked
//! gnome-keyring.

mod common;

mod agreements;
mod cases;
mod dashboard;
mod export;
mod network;
mod payment_story;
mod policy;
mod reasons;
mod record;
mod refunds;
mod search;
mod sync;
mod telephone;
mod unknown_outcomes;
