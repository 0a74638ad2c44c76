//! The storage layer. Every SQL statement of the core belongs here, behind
//! the units of work the domain asks for; `sqlite` is the embedded engine.

mod error;
pub mod sqlite;

pub use error::{DbProblem, StoreError, StoreErrorKind};
