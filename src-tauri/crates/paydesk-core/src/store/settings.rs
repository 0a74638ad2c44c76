//! Settings of this desktop, by key (the staff name).

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait SettingsStore {
    /// A setting's value, if it was ever set.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a setting, replacing what it held.
    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
