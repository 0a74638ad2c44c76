//! The GOV.UK Pay services this desktop works with. Their API keys are in
//! the OS keyring, never here.

use async_trait::async_trait;

use super::{Pending, StoreError};

/// A service as stored: role and environment as their stored names, and
/// the seal they were kept with (see `crate::seal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub environment: String,
    pub role: String,
    pub sandbox: bool,
    pub seal: Option<String>,
}

#[async_trait]
pub trait ServiceStore {
    /// Every service: the sandbox first, then by name.
    async fn services(&self) -> Result<Vec<ServiceRecord>, StoreError>;
    async fn service(&self, id: &str) -> Result<Option<ServiceRecord>, StoreError>;
    /// Whether a service of this name (in any case) is kept.
    async fn service_name_taken(&self, name: &str) -> Result<bool, StoreError>;
    async fn service_count(&self) -> Result<i64, StoreError>;
    /// Adds a service, kept only once the returned change is committed.
    async fn service_add(&self, service: &ServiceRecord) -> Result<Box<dyn Pending>, StoreError>;
    /// The built-in sandbox's ID, once it has been set up.
    async fn sandbox_id(&self) -> Result<Option<String>, StoreError>;
    /// Adds the sandbox, or points it at `base_url` again (its role and
    /// environment are always a supervisor's test service).
    async fn sandbox_put(&self, service: &ServiceRecord) -> Result<(), StoreError>;
    /// Removes a service and everything cached for it; false if there was none.
    async fn service_remove(&self, id: &str) -> Result<bool, StoreError>;
}
