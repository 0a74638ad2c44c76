//! What went wrong in the store, by kind. The domain decides on the kind,
//! never on an engine's message text; the text is kept for the log.

/// What is wrong with the database itself, as far as staff need to know.
/// Trying again will not help with any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbProblem {
    /// Corrupt, or not a database at all.
    Damaged,
    /// The file or its folder cannot be written.
    ReadOnly,
    /// The disk is full.
    Full,
    /// The database cannot be opened or read (missing folder, I/O failure).
    Unreachable,
    /// The database was made by another build of Paydesk: its schema has
    /// steps this build does not know, or knows differently. Nothing was changed.
    OtherVersion,
    /// The team's database server cannot be reached (down, or the network).
    ServerUnreachable,
    /// The team's database did not accept the login and password.
    SignInRefused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// Another writer holds the lock, or wrote after this one's snapshot:
    /// trying again may help.
    Busy,
    /// A rule of the schema refused the change (unique, check, foreign key,
    /// the audit record's append-only guard).
    Constraint,
    /// What was asked for is not there.
    NotFound,
    /// The index cannot answer a search put this way; asking another way
    /// (checking each row) can.
    Unanswerable,
    /// The database itself cannot be used.
    Broken(DbProblem),
    /// Anything else (a value the store could not read, a statement the
    /// engine refused for its own reasons).
    Other,
}

/// A failure of the store: its kind, and the engine's own words for the log.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct StoreError {
    pub kind: StoreErrorKind,
    /// The engine's text. For the log only: it never reaches a screen.
    pub detail: String,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// A failure of no particular kind (a value the store could not read...).
    pub fn other(detail: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Other, detail)
    }

    /// The problem with the database itself, if that is what this is.
    pub fn problem(&self) -> Option<DbProblem> {
        match self.kind {
            StoreErrorKind::Broken(p) => Some(p),
            _ => None,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.kind == StoreErrorKind::Busy
    }
}
