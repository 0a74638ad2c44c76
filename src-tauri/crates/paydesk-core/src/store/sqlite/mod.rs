//! The SQLite store: Paydesk's embedded database, one file in the data folder.

pub(crate) mod error;
