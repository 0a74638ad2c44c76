//! The machine-wide policy a department's IT provisions and staff cannot
//! change: `/etc/paydesk/policy.toml` on Linux (see the README's "Installing
//! in an organisation" for every setting, with an example).
//!
//! What the policy sets wins over the app's own settings and is shown as
//! "set by your organisation". A policy file that cannot be read is never
//! ignored: Paydesk opens in a safe state (no LIVE services) and says which
//! line and setting to correct.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;
use ts_rs::TS;

use crate::amount::{self, pounds};

/// Where IT puts the policy on Linux.
pub const POLICY_PATH: &str = "/etc/paydesk/policy.toml";

/// Points Paydesk at another policy file (tests and demonstrations).
pub const POLICY_ENV: &str = "PAYDESK_POLICY";

/// A service the policy allows: its name and which of its GOV.UK Pay
/// accounts (every service has a test account and a live one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedService {
    pub name: String,
    pub live: bool,
}

impl fmt::Display for AllowedService {
    /// `Parking permits (live)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.name,
            if self.live { "live" } else { "test" }
        )
    }
}

/// Approval rules the organisation sets for every service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// Refunds above this many pence need a second person.
    pub above: Option<i64>,
    pub older_than_days: Option<u32>,
    pub own_telephone: Option<bool>,
}

impl ApprovalPolicy {
    pub fn is_empty(&self) -> bool {
        self.above.is_none() && self.older_than_days.is_none() && self.own_telephone.is_none()
    }
}

/// Why a policy file could not be used, naming the line and setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    pub path: PathBuf,
    pub line: Option<usize>,
    /// `section.setting`, when the problem is one setting's.
    pub setting: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(setting) = &self.setting {
            write!(f, ", setting {setting}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The policy in force: what the file sets, or the safe state when the file
/// has a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The file it came from; `None` when there is no policy file.
    pub source: Option<PathBuf>,
    pub team_database: Option<String>,
    pub proxy: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// The CA file's certificates (PEM), read when the policy was.
    pub ca_pem: Option<Vec<u8>>,
    /// `None`: any service may be added.
    pub allowed_services: Option<Vec<AllowedService>>,
    pub sandbox: bool,
    pub live: bool,
    pub approval: ApprovalPolicy,
    pub log_folder: Option<PathBuf>,
    pub self_update: bool,
    /// Set when the file could not be used: LIVE services are then off.
    pub problem: Option<PolicyProblem>,
}

impl Default for Policy {
    /// No policy file: Paydesk's own defaults, nothing set by an organisation.
    fn default() -> Self {
        Self {
            source: None,
            team_database: None,
            proxy: None,
            ca_file: None,
            ca_pem: None,
            allowed_services: None,
            sandbox: true,
            live: true,
            approval: ApprovalPolicy::default(),
            log_folder: None,
            self_update: false,
            problem: None,
        }
    }
}

// ---- the file's shape ----------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    team: Option<TeamSection>,
    network: Option<NetworkSection>,
    services: Option<ServicesSection>,
    refunds: Option<RefundsSection>,
    logs: Option<LogsSection>,
    updates: Option<UpdatesSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamSection {
    database: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSection {
    proxy: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesSection {
    sandbox: Option<bool>,
    live: Option<bool>,
    allowed: Option<Vec<Spanned<AllowedEntry>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowedEntry {
    name: String,
    account: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundsSection {
    approval_above: Option<Spanned<String>>,
    approval_older_than_days: Option<Spanned<i64>>,
    approval_own_telephone: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsSection {
    folder: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdatesSection {
    self_update: Option<bool>,
}

impl Policy {
    /// The policy at `path`: Paydesk's defaults when there is no file, the
    /// file's settings when it is good, the safe state when it is not.
    pub fn load(path: &Path) -> Policy {
        match std::fs::read_to_string(path) {
            Ok(text) => Policy::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::default(),
            Err(e) => Policy::safe(PolicyProblem {
                path: path.to_owned(),
                line: None,
                setting: None,
                message: format!("the file could not be read ({})", e.kind()),
            }),
        }
    }

    /// Where the policy is read from: `PAYDESK_POLICY`, or the machine's.
    pub fn path_from_env() -> PathBuf {
        std::env::var_os(POLICY_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(POLICY_PATH), PathBuf::from)
    }

    /// The safe state a bad policy leaves: no LIVE services, nothing else
    /// set, and the problem to show.
    pub fn safe(problem: PolicyProblem) -> Policy {
        Policy {
            source: Some(problem.path.clone()),
            live: false,
            problem: Some(problem),
            ..Policy::default()
        }
    }

    /// Reads a policy's text (`path` names it in messages).
    pub fn parse(path: &Path, text: &str) -> Policy {
        match read(path, text) {
            Ok(policy) => policy,
            Err(problem) => {
                tracing::error!("the policy file cannot be used: {problem}");
                Policy::safe(problem)
            }
        }
    }

    /// Whether a service may be used on this computer, and if not why, in
    /// words for staff.
    pub fn service_refused(&self, name: &str, live: bool, sandbox: bool) -> Option<String> {
        if sandbox {
            return (!self.sandbox).then(|| {
                "Your organisation does not offer the sandbox on this computer".to_owned()
            });
        }
        if live && !self.live {
            return Some(match &self.problem {
                Some(_) => "LIVE services are switched off until IT corrects Paydesk's policy file"
                    .to_owned(),
                None => {
                    "Your organisation does not allow LIVE services on this computer".to_owned()
                }
            });
        }
        let allowed = self.allowed_services.as_ref()?;
        let wanted = name.trim().to_lowercase();
        if allowed
            .iter()
            .any(|a| a.live == live && a.name.trim().to_lowercase() == wanted)
        {
            return None;
        }
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        Some(format!(
            "Your organisation allows only these services on this computer: {}",
            list.join(", ")
        ))
    }

    /// What the policy sets, in words, for the screens that show it.
    pub fn view(&self) -> PolicyView {
        let mut settings = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            settings.insert(k.to_owned(), v);
        };
        if let Some(db) = &self.team_database {
            put("Team database", db.clone());
        }
        if let Some(proxy) = &self.proxy {
            put("Web proxy", proxy.clone());
        }
        if let Some(ca) = &self.ca_file {
            put("Extra CA certificate", ca.display().to_string());
        }
        if let Some(allowed) = &self.allowed_services {
            put(
                "Services allowed",
                allowed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if self.source.is_some() {
            put(
                "Sandbox",
                if self.sandbox {
                    "Offered"
                } else {
                    "Not offered"
                }
                .into(),
            );
            put(
                "LIVE services",
                if self.live { "Allowed" } else { "Not allowed" }.into(),
            );
            put(
                "Updates",
                if self.self_update {
                    "Paydesk has no self-update: IT installs new versions"
                } else {
                    "Installed by IT"
                }
                .into(),
            );
        }
        if let Some(above) = self.approval.above {
            put(
                "Refunds needing approval",
                format!("Over {}", pounds(above)),
            );
        }
        if let Some(days) = self.approval.older_than_days {
            put(
                "Refunds of older payments needing approval",
                format!("Payments over {days} days old"),
            );
        }
        if let Some(own) = self.approval.own_telephone {
            put(
                "Refunds of one's own telephone payments",
                if own { "Need approval" } else { "No approval" }.into(),
            );
        }
        if let Some(folder) = &self.log_folder {
            put("Log folder", folder.display().to_string());
        }
        PolicyView {
            file: self.source.as_ref().map(|p| p.display().to_string()),
            problem: self.problem.as_ref().map(ToString::to_string),
            settings: settings
                .into_iter()
                .map(|(name, value)| PolicySetting { name, value })
                .collect(),
        }
    }
}

/// What the policy sets, for the screens ("set by your organisation").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PolicyView {
    /// The policy file, when there is one.
    pub file: Option<String>,
    /// Why the file could not be used: the file, line, setting and what is
    /// wrong (the screens say what it means for staff).
    pub problem: Option<String>,
    pub settings: Vec<PolicySetting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PolicySetting {
    pub name: String,
    pub value: String,
}

// ---- reading --------------------------------------------------------------

fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The `section.key` a line of the file sets, for a parse error's message.
fn setting_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    if here.starts_with('[') {
        return Some(
            here.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    let key = here
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned());
    let section = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    match (section, key) {
        (Some(s), Some(k)) => Some(format!("{s}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(s), None) => Some(s),
        (None, None) => None,
    }
}

fn read(path: &Path, text: &str) -> Result<Policy, PolicyProblem> {
    let problem = |span: Option<Range<usize>>, setting: &str, message: String| PolicyProblem {
        path: path.to_owned(),
        line: span.map(|s| line_of(text, s.start)),
        setting: Some(setting.to_owned()),
        message,
    };
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        PolicyProblem {
            path: path.to_owned(),
            line,
            setting: line.and_then(|l| setting_at(text, l)),
            message: e.message().trim().to_owned(),
        }
    })?;
    let mut policy = Policy {
        source: Some(path.to_owned()),
        ..Policy::default()
    };

    if let Some(db) = file.team.and_then(|t| t.database) {
        let value = db.get_ref().trim();
        let url = url::Url::parse(value)
            .ok()
            .filter(|u| matches!(u.scheme(), "postgres" | "postgresql") && u.host_str().is_some());
        match url {
            None => {
                return Err(problem(
                    Some(db.span()),
                    "team.database",
                    "must be the team database's address, like postgres://db.example.gov.uk:5432/paydesk".into(),
                ));
            }
            Some(u) if u.password().is_some() => {
                return Err(problem(
                    Some(db.span()),
                    "team.database",
                    "must not hold a password: each person signs in with their own".into(),
                ));
            }
            Some(_) => policy.team_database = Some(value.to_owned()),
        }
    }

    if let Some(net) = file.network {
        if let Some(proxy) = net.proxy {
            let value = proxy.get_ref().trim();
            let ok = url::Url::parse(value).ok().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            });
            if !ok {
                return Err(problem(
                    Some(proxy.span()),
                    "network.proxy",
                    "must be a web proxy's address, like http://proxy.example.gov.uk:3128".into(),
                ));
            }
            policy.proxy = Some(value.to_owned());
        }
        if let Some(ca) = net.ca_file {
            let file = PathBuf::from(ca.get_ref().trim());
            if !file.is_absolute() {
                return Err(problem(
                    Some(ca.span()),
                    "network.ca_file",
                    "must be a full path, like /etc/paydesk/ca.pem".into(),
                ));
            }
            let pem = std::fs::read(&file).map_err(|e| {
                problem(
                    Some(ca.span()),
                    "network.ca_file",
                    format!("{} could not be read ({})", file.display(), e.kind()),
                )
            })?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(problem(
                    Some(ca.span()),
                    "network.ca_file",
                    format!("{} holds no PEM certificate", file.display()),
                ));
            }
            policy.ca_file = Some(file);
            policy.ca_pem = Some(pem);
        }
    }

    if let Some(services) = file.services {
        policy.sandbox = services.sandbox.unwrap_or(true);
        policy.live = services.live.unwrap_or(true);
        if let Some(allowed) = services.allowed {
            let mut list = Vec::new();
            for entry in allowed {
                let span = entry.span();
                let AllowedEntry { name, account } = entry.into_inner();
                let name = name.trim().to_owned();
                if name.is_empty() || name.chars().count() > 100 {
                    return Err(problem(
                        Some(span),
                        "services.allowed.name",
                        "must be a service's name, 1 to 100 characters".into(),
                    ));
                }
                let live = match account.trim() {
                    "live" => true,
                    "test" => false,
                    _ => {
                        return Err(problem(
                            Some(span),
                            "services.allowed.account",
                            "must be \"test\" or \"live\"".into(),
                        ));
                    }
                };
                list.push(AllowedService { name, live });
            }
            policy.allowed_services = Some(list);
        }
    }

    if let Some(refunds) = file.refunds {
        if let Some(above) = refunds.approval_above {
            let pence = amount::parse_pence(above.get_ref())
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| {
                    problem(
                        Some(above.span()),
                        "refunds.approval_above",
                        "must be an amount in pounds and pence, like \"500.00\"".into(),
                    )
                })?;
            policy.approval.above = Some(pence);
        }
        if let Some(days) = refunds.approval_older_than_days {
            let value = u32::try_from(*days.get_ref())
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| {
                    problem(
                        Some(days.span()),
                        "refunds.approval_older_than_days",
                        "must be a number of days from 1 to 3650".into(),
                    )
                })?;
            policy.approval.older_than_days = Some(value);
        }
        policy.approval.own_telephone = refunds.approval_own_telephone;
    }

    if let Some(folder) = file.logs.and_then(|l| l.folder) {
        let path = PathBuf::from(folder.get_ref().trim());
        if !path.is_absolute() {
            return Err(problem(
                Some(folder.span()),
                "logs.folder",
                "must be a full path, like /var/log/paydesk".into(),
            ));
        }
        policy.log_folder = Some(path);
    }

    policy.self_update = file.updates.and_then(|u| u.self_update).unwrap_or(false);
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Policy {
        Policy::parse(Path::new("/etc/paydesk/policy.toml"), text)
    }

    fn problem(text: &str) -> PolicyProblem {
        parse(text).problem.expect("a problem")
    }

    #[test]
    fn the_example_policy_that_ships_with_the_package_is_good() {
        let p = parse(include_str!("../../../../docs/policy.example.toml"));
        assert_eq!(p.problem, None);
        assert!(p.team_database.is_some() && p.proxy.is_some() && p.log_folder.is_some());
        assert!(!p.sandbox && p.live && !p.self_update);
        assert_eq!(p.allowed_services.map(|a| a.len()), Some(2));
        assert_eq!(p.approval.above, Some(50_000));
    }

    #[test]
    fn no_file_is_paydesks_own_defaults() {
        let p = Policy::load(Path::new("/nonexistent/paydesk/policy.toml"));
        assert_eq!(p, Policy::default());
        assert!(p.live && p.sandbox && p.problem.is_none());
        assert!(p.view().settings.is_empty());
    }

    #[test]
    fn every_setting_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let text = format!(
            r#"
[team]
database = "postgres://db.example.gov.uk:5432/paydesk"

[network]
proxy = "http://proxy.example.gov.uk:3128"
ca_file = "{}"

[services]
sandbox = false
live = true
allowed = [
  {{ name = "Parking permits", account = "live" }},
  {{ name = "Parking permits", account = "test" }},
]

[refunds]
approval_above = "£500.00"
approval_older_than_days = 30
approval_own_telephone = true

[logs]
folder = "/var/log/paydesk"

[updates]
self_update = false
"#,
            ca.display()
        );
        let p = parse(&text);
        assert_eq!(p.problem, None);
        assert_eq!(
            p.team_database.as_deref(),
            Some("postgres://db.example.gov.uk:5432/paydesk")
        );
        assert_eq!(p.proxy.as_deref(), Some("http://proxy.example.gov.uk:3128"));
        assert_eq!(p.ca_file.as_deref(), Some(ca.as_path()));
        assert!(p.ca_pem.is_some());
        assert!(!p.sandbox && p.live && !p.self_update);
        assert_eq!(p.allowed_services.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            p.approval,
            ApprovalPolicy {
                above: Some(50_000),
                older_than_days: Some(30),
                own_telephone: Some(true),
            }
        );
        assert_eq!(p.log_folder.as_deref(), Some(Path::new("/var/log/paydesk")));
        let view = p.view();
        assert!(
            view.settings
                .iter()
                .any(|s| s.name == "Refunds needing approval" && s.value == "Over £500.00")
        );
    }

    #[test]
    fn a_bad_file_names_the_line_and_setting_and_turns_live_off() {
        let cases = [
            ("[network]\nprxy = \"http://p:3128\"\n", 2, "network.prxy"),
            ("[network]\nproxy = \"ftp://p\"\n", 2, "network.proxy"),
            ("[network]\nca_file = \"ca.pem\"\n", 2, "network.ca_file"),
            (
                "[network]\nca_file = \"/nonexistent/ca.pem\"\n",
                2,
                "network.ca_file",
            ),
            (
                "[team]\ndatabase = \"postgres://sam:secret@db/paydesk\"\n",
                2,
                "team.database",
            ),
            ("[team]\ndatabase = \"db.example\"\n", 2, "team.database"),
            ("\n[services]\nlive = \"yes\"\n", 3, "services.live"),
            (
                "[services]\nallowed = [{ name = \"Parking\", account = \"both\" }]\n",
                2,
                "services.allowed.account",
            ),
            (
                "[refunds]\napproval_above = \"1,50\"\n",
                2,
                "refunds.approval_above",
            ),
            (
                "[refunds]\napproval_older_than_days = 0\n",
                2,
                "refunds.approval_older_than_days",
            ),
            ("[logs]\nfolder = \"logs\"\n", 2, "logs.folder"),
            ("[updates]\nself_update = 1\n", 2, "updates.self_update"),
            ("[colours]\ntheme = \"dark\"\n", 1, "colours"),
        ];
        for (text, line, setting) in cases {
            let p = parse(text);
            let problem = p.problem.clone().unwrap_or_else(|| panic!("{text}"));
            assert_eq!(problem.line, Some(line), "{text}: {problem}");
            assert_eq!(
                problem.setting.as_deref(),
                Some(setting),
                "{text}: {problem}"
            );
            assert!(!p.live, "{text}: LIVE services are off");
            let shown = p.view().problem.unwrap();
            assert!(shown.contains(&format!("line {line}")), "{shown}");
            assert!(shown.contains(setting), "{shown}");
        }
        assert!(problem("not = toml = at all").line.is_some());
    }

    #[test]
    fn the_policy_decides_which_services_may_be_used() {
        let open = Policy::default();
        assert_eq!(open.service_refused("Anything", true, false), None);
        let p = parse(
            "[services]\nsandbox = false\nlive = false\nallowed = [{ name = \"Parking permits\", account = \"test\" }]\n",
        );
        assert!(
            p.service_refused("x", false, true)
                .unwrap()
                .contains("sandbox")
        );
        assert!(
            p.service_refused("Parking permits", true, false)
                .unwrap()
                .contains("LIVE")
        );
        assert_eq!(p.service_refused(" parking PERMITS ", false, false), None);
        let other = p.service_refused("Council tax", false, false).unwrap();
        assert!(other.contains("Parking permits (test)"), "{other}");
        let broken = problem("[services]\nlive = 3\n");
        let safe = Policy::safe(broken);
        assert!(
            safe.service_refused("Parking", true, false)
                .unwrap()
                .contains("until IT corrects")
        );
        assert_eq!(safe.service_refused("Parking", false, false), None);
    }
}
