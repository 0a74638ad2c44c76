//! What the app keeps between commands.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use govpay_sim::Simulator;
use paydesk_core::policy::Policy;
use paydesk_core::support::About;
use paydesk_core::{Core, KeyStore};

use crate::error::AppError;

/// The core (or why it could not be opened, shown by every command) and the
/// built-in sandbox simulator once it runs. The syncs under way are the
/// core's (`Core::sync_begin`). On a team's database the core opens when
/// the person signs in (`commands::team`).
pub struct AppState {
    core: RwLock<Result<Core, AppError>>,
    pub sandbox: tokio::sync::Mutex<Option<Simulator>>,
    /// The team database this desktop signs in to, if it is in a team.
    pub team: Option<TeamSetting>,
    /// The organisation's policy, read once at start.
    pub policy: Arc<Policy>,
    pub data_dir: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
}

/// Where this desktop's team database is, and what signing in needs.
pub struct TeamSetting {
    /// `postgres://LOGIN@HOST:PORT/DATABASE`: no password.
    pub address: String,
    pub data_dir: PathBuf,
    pub keys: Arc<dyn KeyStore>,
}

impl AppState {
    pub fn new(
        core: Result<Core, AppError>,
        team: Option<TeamSetting>,
        policy: Policy,
        data_dir: Option<PathBuf>,
        log_file: Option<PathBuf>,
    ) -> Self {
        if let Ok(core) = &core {
            core.set_policy(policy.clone());
        }
        Self {
            core: RwLock::new(core),
            sandbox: tokio::sync::Mutex::new(None),
            team,
            policy: Arc::new(policy),
            data_dir,
            log_file,
        }
    }

    /// What the About screen shows.
    pub fn about(&self) -> About {
        About {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            build: crate::support::BUILD.to_owned(),
            data_folder: self.data_dir.as_ref().map(|d| d.display().to_string()),
            log_file: self.log_file.as_ref().map(|d| d.display().to_string()),
            updates: if self.policy.self_update {
                "Your organisation's policy allows self-update, but this build has none: IT installs new versions of Paydesk.".into()
            } else {
                "Paydesk does not update itself: your organisation's IT installs new versions."
                    .into()
            },
        }
    }

    /// The core (a cheap handle on it).
    pub fn core(&self) -> Result<Core, AppError> {
        self.core
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .cloned()
            .map_err(Clone::clone)
    }

    /// The core opened by signing in, for every command from now on.
    pub fn set_core(&self, core: Core) {
        core.set_policy((*self.policy).clone());
        *self.core.write().unwrap_or_else(|p| p.into_inner()) = Ok(core);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(policy: &str) -> About {
        let policy = Policy::parse(std::path::Path::new("/etc/paydesk/policy.toml"), policy);
        let no_core = Err(AppError::new(crate::error::ErrorCode::Internal, "none"));
        AppState::new(
            no_core,
            None,
            policy,
            Some(PathBuf::from("/data")),
            Some(PathBuf::from("/var/log/paydesk/paydesk.log")),
        )
        .about()
    }

    #[test]
    fn about_says_how_paydesk_is_updated_and_where_things_are() {
        let plain = about("");
        assert_eq!(plain.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            plain.log_file.as_deref(),
            Some("/var/log/paydesk/paydesk.log")
        );
        assert!(
            plain.updates.contains("does not update itself"),
            "{}",
            plain.updates
        );
        // Turned on by the policy, it is still not done behind IT's back:
        // this build has no updater, and says so.
        let asked = about("[updates]\nself_update = true\n");
        assert!(
            asked.updates.contains("allows self-update"),
            "{}",
            asked.updates
        );
        assert!(asked.updates.contains("IT installs"), "{}", asked.updates);
    }
}
