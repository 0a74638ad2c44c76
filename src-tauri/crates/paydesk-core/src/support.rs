//! What a service desk needs to help: the version, where things are, the
//! policy, the services (never a key) and how their syncs stand, with the
//! end of the log. Put together here so it can be tested; the app copies it.

use std::fmt::Write as _;

use crate::Core;
use crate::clock;

/// How many of the log's last lines the diagnostics carry.
pub const LOG_LINES: usize = 200;

/// What the app knows of itself, for the About screen and the diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct About {
    pub version: String,
    /// The source it was built from (a commit), or "unknown".
    pub build: String,
    pub data_folder: Option<String>,
    pub log_file: Option<String>,
    /// How Paydesk is updated, in words.
    pub updates: String,
}

/// The last `n` lines of a text.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Core {
    /// The diagnostics text "Copy diagnostics" puts on the clipboard: no API
    /// key, password or card data is ever read into it (the log holds none).
    pub async fn diagnostics(&self, about: &About, log_tail: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Paydesk {} (build {})", about.version, about.build);
        let _ = writeln!(
            out,
            "Computer: {} {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let _ = writeln!(
            out,
            "Data folder: {}",
            about.data_folder.as_deref().unwrap_or("none")
        );
        let _ = writeln!(
            out,
            "Log file: {}",
            about.log_file.as_deref().unwrap_or("none")
        );
        let _ = writeln!(
            out,
            "Database: {}",
            if self.store().team_mode() {
                "the team's (PostgreSQL)"
            } else {
                "this computer's (SQLite)"
            }
        );

        let policy = self.policy().view();
        let _ = writeln!(
            out,
            "\nPolicy: {}",
            policy.file.as_deref().unwrap_or("none")
        );
        if let Some(problem) = &policy.problem {
            let _ = writeln!(out, "  Problem: {problem}");
        }
        for s in &policy.settings {
            let _ = writeln!(out, "  {}: {}", s.name, s.value);
        }

        let _ = writeln!(out, "\nServices:");
        match self.services_list().await {
            Ok(services) if services.is_empty() => {
                let _ = writeln!(out, "  none");
            }
            Ok(services) => {
                for s in services {
                    let sync = match self.sync_status(&s.id).await {
                        Ok(st) => match st.last_synced_ms {
                            Some(ms) => format!(
                                "last synced {}, {} payments cached{}",
                                clock::ms_to_text(ms),
                                st.cached_payments,
                                if st.interrupted {
                                    ", a sync was interrupted"
                                } else {
                                    ""
                                }
                            ),
                            None => {
                                format!("not synced yet, {} payments cached", st.cached_payments)
                            }
                        },
                        Err(e) => format!("sync state unreadable ({e})"),
                    };
                    let _ = writeln!(
                        out,
                        "  {} | {} | {} | key {} | {}{}{}",
                        s.name,
                        s.environment.as_str(),
                        s.role_label,
                        if s.has_key { "stored" } else { "missing" },
                        sync,
                        if s.sandbox { " | sandbox" } else { "" },
                        s.refused
                            .as_deref()
                            .map(|r| format!(" | refused: {r}"))
                            .unwrap_or_default(),
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "  could not be read ({e})");
            }
        }

        let _ = writeln!(out, "\nLast {LOG_LINES} log lines:");
        let _ = writeln!(out, "{}", last_lines(log_tail, LOG_LINES));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_lines() {
        let text: String = (1..=250).map(|i| format!("line {i}\n")).collect();
        let tail = last_lines(&text, 200);
        assert_eq!(tail.lines().count(), 200);
        assert!(tail.starts_with("line 51\n") && tail.ends_with("line 250"));
        assert_eq!(last_lines("a\nb", 200), "a\nb");
    }
}
