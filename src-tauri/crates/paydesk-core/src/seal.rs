//! Keyed checks on what someone who can edit the database file must not be
//! able to change unseen: the audit record, and each service's role, address
//! and environment (which decide what this desktop may do and where its API
//! key is sent).
//!
//! The key is 32 random bytes kept in the OS keyring, never in the database.
//! Each audit row carries an HMAC-SHA256 over its content and the previous
//! row's; the newest row's (seq, hash) is also kept in the keyring, so cutting
//! rows from the end, wiping the table or replacing the file shows. Each
//! service row carries a seal over its role, address and environment.
//!
//! What this does not do: someone who controls the desktop account itself can
//! read the keyring as Paydesk does and so rewrite both. On a single desktop
//! the check catches edits by anyone with the file but not the unlocked
//! keyring (a copied file, a restored backup, a database tool, another account
//! with access to the folder) and damage by accident. Team mode moves this
//! trust to the database server, out of the desktop's reach.

use std::path::Path;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Core;
use crate::error::CoreError;

/// The key for one data folder.
pub(crate) struct RecordKey(Zeroizing<Vec<u8>>);

impl RecordKey {
    /// A keyed hash of length-prefixed fields: no two different lists of
    /// fields give the same text to hash.
    pub(crate) fn mac(&self, fields: &[&str]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key");
        for f in fields {
            m.update(&(f.len() as u64).to_be_bytes());
            m.update(f.as_bytes());
        }
        hex::encode(m.finalize().into_bytes())
    }

    fn generate() -> Result<Self, CoreError> {
        let mut bytes = Zeroizing::new(vec![0u8; 32]);
        getrandom::fill(&mut bytes).map_err(|_| {
            CoreError::Keyring("the system could not give random bytes for a new key".into())
        })?;
        Ok(Self(bytes))
    }

    fn from_text(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).ok()?);
        (bytes.len() == 32).then(|| Self(bytes))
    }

    fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&*self.0))
    }

    #[cfg(test)]
    pub(crate) fn for_tests(byte: u8) -> Self {
        Self(Zeroizing::new(vec![byte; 32]))
    }
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

/// The newest audit row's number and hash, as the keyring keeps it.
pub(crate) type Head = (i64, String);

fn head_text(head: &Head) -> String {
    format!("{}:{}", head.0, head.1)
}

fn parse_head(text: &str) -> Option<Head> {
    let (seq, hash) = text.trim().split_once(':')?;
    Some((seq.parse().ok()?, hash.to_owned()))
}

/// The keyring entries of one data folder, and what has been read of them.
#[derive(Debug)]
pub(crate) struct Seal {
    key_name: String,
    head_name: String,
    key: tokio::sync::OnceCell<Arc<RecordKey>>,
    /// The newest head this process wrote or read.
    head: Mutex<Option<Head>>,
    /// Whether the keyring's marker matched this database when first read:
    /// if not (rows cut, the table wiped, the file replaced), it is never
    /// moved, so Verify keeps saying so however many rows come after.
    head_matches: tokio::sync::OnceCell<bool>,
}

impl Seal {
    /// Entries named after the data folder's full path, so two folders (the
    /// app's and a test's) never share a record.
    pub(crate) fn for_folder(dir: &Path) -> Self {
        let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let tag = hex::encode(&Sha256::digest(full.to_string_lossy().as_bytes())[..8]);
        Self {
            key_name: format!("paydesk-record-key:{tag}"),
            head_name: format!("paydesk-record-head:{tag}"),
            key: tokio::sync::OnceCell::new(),
            head: Mutex::new(None),
            head_matches: tokio::sync::OnceCell::new(),
        }
    }
}

/// A service's seal: its role, address and environment under the key.
pub(crate) fn service_seal(
    key: &RecordKey,
    id: &str,
    base_url: &str,
    environment: &str,
    role: &str,
    sandbox: bool,
) -> String {
    key.mac(&[
        "service",
        id,
        base_url,
        environment,
        role,
        if sandbox { "1" } else { "0" },
    ])
}

/// Why Paydesk will not use a service whose seal does not match.
pub(crate) const SERVICE_CHANGED: &str = "this service's role, address or environment was changed outside Paydesk, so Paydesk will not use it. Ask your supervisor or IT to check this computer, then remove the service and add it again";

/// Runs keyring work (which blocks) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| CoreError::Keyring("the keyring task stopped unexpectedly".into()))?
}

impl Core {
    /// The data folder's key, read from the keyring once, made the first time.
    ///
    /// A new key is made while holding the database's write lock, so two
    /// Paydesks starting together on one folder agree on one key; what the
    /// database held before keyed checks (an earlier version's rows and
    /// services) is taken over in the same transaction.
    pub(crate) async fn record_key(&self) -> Result<Arc<RecordKey>, CoreError> {
        let seal = &self.shared.seal;
        seal.key
            .get_or_try_init(|| async {
                if let Some(key) = self.read_record_key().await? {
                    return Ok(Arc::new(key));
                }
                let mut unit = self.store().audit_keying().await?;
                // Another Paydesk may have made it while this one waited.
                if let Some(key) = self.read_record_key().await? {
                    return Ok(Arc::new(key));
                }
                let key = RecordKey::generate()?;
                let keys = self.keys().clone();
                let (name, text) = (seal.key_name.clone(), key.to_text());
                blocking(move || keys.set_secret(&name, &text)).await?;
                let key = self.read_record_key().await?.ok_or_else(|| {
                    CoreError::Keyring("the keyring did not keep the record's key".into())
                })?;
                crate::activity::audit::take_over(&mut *unit, &key).await?;
                crate::services::seal_unsealed(&mut *unit, &key).await?;
                unit.commit().await?;
                tracing::info!("a new key for the audit record was made and kept in the keyring");
                Ok(Arc::new(key))
            })
            .await
            .cloned()
    }

    async fn read_record_key(&self) -> Result<Option<RecordKey>, CoreError> {
        let keys = self.keys().clone();
        let name = self.shared.seal.key_name.clone();
        let text = blocking(move || keys.secret(&name)).await?;
        match text {
            None => Ok(None),
            Some(t) => RecordKey::from_text(&t).map(Some).ok_or_else(|| {
                CoreError::Keyring("the audit record's key in the keyring is damaged".into())
            }),
        }
    }

    /// How this desktop seals the record's new rows: with its key, or on a
    /// team's database with the hash every desktop of the team can check.
    pub(crate) async fn row_hasher(&self) -> Result<crate::activity::audit::RowHasher, CoreError> {
        use crate::activity::audit::RowHasher;
        if self.store().team_mode() {
            return Ok(RowHasher::Team);
        }
        Ok(RowHasher::Keyed(self.record_key().await?))
    }

    /// The end marker kept in the keyring, if there is one.
    pub(crate) async fn record_head(&self) -> Result<Option<Head>, CoreError> {
        let keys = self.keys().clone();
        let name = self.shared.seal.head_name.clone();
        let text = blocking(move || keys.secret(&name)).await?;
        let head = text.as_deref().and_then(|t| parse_head(t));
        let mut known = self
            .shared
            .seal
            .head
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if head.as_ref().map(|h| h.0) > known.as_ref().map(|h| h.0) {
            known.clone_from(&head);
        }
        Ok(head)
    }

    /// Moves the end marker on to a row just written. A failure is logged:
    /// the row is safe in the chain, and Verify says the marker is behind.
    pub(crate) async fn record_head_moved(&self, seq: i64, hash: String) {
        let matches = self
            .shared
            .seal
            .head_matches
            .get_or_try_init(|| async {
                match self.record_head().await {
                    Ok(None) => Ok(true),
                    Ok(Some((at, marked))) => {
                        let held = self.store().audit_hash(at).await.ok().flatten();
                        let same = held.as_deref() == Some(marked.as_str());
                        if !same {
                            tracing::error!(
                                "the audit record does not reach the keyring's end marker (row {at}): the marker is kept as it is"
                            );
                        }
                        Ok(same)
                    }
                    // Not remembered: the next row tries again.
                    Err(e) => Err(e),
                }
            })
            .await;
        match matches {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!("the audit record's end marker could not be read: {e}");
                return;
            }
        }
        {
            let mut known = self
                .shared
                .seal
                .head
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if known.as_ref().is_some_and(|h| h.0 >= seq) {
                return;
            }
            *known = Some((seq, hash.clone()));
        }
        let keys = self.keys().clone();
        let name = self.shared.seal.head_name.clone();
        let text = head_text(&(seq, hash));
        if let Err(e) = blocking(move || keys.set_secret(&name, &text)).await {
            tracing::warn!("the audit record's end marker could not be kept in the keyring: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_key_and_on_where_fields_split() {
        let a = RecordKey::for_tests(1);
        let b = RecordKey::for_tests(2);
        assert_eq!(a.mac(&["x", "y"]), a.mac(&["x", "y"]));
        assert_ne!(a.mac(&["x", "y"]), b.mac(&["x", "y"]));
        assert_ne!(a.mac(&["xy", ""]), a.mac(&["x", "y"]));
        assert_eq!(a.mac(&[]).len(), 64);
    }

    #[test]
    fn a_key_round_trips_through_its_text_and_refuses_damage() {
        let k = RecordKey::generate().unwrap();
        let again = RecordKey::from_text(&k.to_text()).unwrap();
        assert_eq!(k.mac(&["a"]), again.mac(&["a"]));
        assert!(RecordKey::from_text("abcd").is_none());
        assert!(RecordKey::from_text("not hex").is_none());
        assert!(!format!("{k:?}").contains(&*k.to_text()));
    }

    #[test]
    fn heads_round_trip() {
        let h = (12, "ab".repeat(32));
        assert_eq!(parse_head(&head_text(&h)), Some(h));
        assert_eq!(parse_head("x:y"), None);
    }

    #[test]
    fn two_folders_have_their_own_entries() {
        let a = Seal::for_folder(Path::new("/tmp/one"));
        let b = Seal::for_folder(Path::new("/tmp/two"));
        assert_ne!(a.key_name, b.key_name);
        assert!(a.key_name.starts_with("paydesk-record-key:"));
    }
}
