//! End-to-end harness: launches the real Paydesk binary under tauri-driver
//! (WebKitWebDriver) and drives its window over WebDriver with fantoccini.
//!
//! Each [`App`] gets its own data folder, its own WebDriver ports and its own
//! process group, so nothing leaks between tests or into the user's real data.
//! Screenshots go to `target/e2e-screenshots/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The app binary: `$PAYDESK_APP_BINARY` (benchmarks use a release build),
/// else the one `cargo build --workspace` produced.
pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("PAYDESK_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join("paydesk"));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` (or `make test`) first",
        path.display()
    );
    path
}

/// tauri-driver: `$TAURI_DRIVER`, else the project's `.tools/bin`, else `PATH`.
fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let local = workspace_root().join(".tools/bin/tauri-driver");
    if local.exists() {
        local
    } else {
        PathBuf::from("tauri-driver")
    }
}

pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("can create the screenshot folder");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A running Paydesk window under WebDriver.
pub struct App {
    pub client: Client,
    driver: Child,
    pub data_dir: tempfile::TempDir,
}

impl App {
    /// Launches Paydesk with a fresh, empty data folder and waits for its UI.
    pub async fn launch() -> App {
        let app = Self::start().await;
        // The UI has loaded when its header is on screen.
        app.wait_for_text("[data-testid=header]", "Paydesk").await;
        app
    }

    /// Launches Paydesk on a data folder the test has prepared (services set up
    /// through paydesk-core, say) and waits for its UI.
    pub async fn launch_in(data_dir: tempfile::TempDir) -> App {
        let app = Self::start_in(data_dir).await;
        app.wait_for_text("[data-testid=header]", "Paydesk").await;
        app
    }

    /// Launches Paydesk on a data folder with more of its environment set
    /// (a team database's address, say) and waits for its UI.
    pub async fn launch_with(data_dir: tempfile::TempDir, env: &[(&str, String)]) -> App {
        let app = Self::start_with(data_dir, env).await;
        app.wait_for_text("[data-testid=header]", "Paydesk").await;
        app
    }

    /// Launches Paydesk without waiting for the UI to load.
    pub async fn start() -> App {
        Self::start_in(tempfile::tempdir().expect("a temporary data folder")).await
    }

    /// A new session now and then fails as it is made, the connection dropped
    /// before any answer: tauri-driver is then started again, on new ports, at
    /// most `SESSION_TRIES` times in all. An answer refusing the session (the
    /// app failing on a fresh data folder, say) fails the test at once.
    async fn start_in(data_dir: tempfile::TempDir) -> App {
        Self::start_with(data_dir, &[]).await
    }

    async fn start_with(data_dir: tempfile::TempDir, env: &[(&str, String)]) -> App {
        let mut failures = Vec::new();
        for _ in 0..SESSION_TRIES {
            let (mut driver, port) = spawn_driver(data_dir.path(), env);
            wait_for_port(port).await;
            match connect(port).await {
                Ok(client) => {
                    return App {
                        client,
                        driver,
                        data_dir,
                    };
                }
                // The driver answered (the app would not start, say): no retry.
                Err(e) if !dropped(&e) => {
                    stop_group(&mut driver);
                    panic!("a WebDriver session with the Paydesk window: {e:?}");
                }
                Err(e) => {
                    stop_group(&mut driver);
                    failures.push(format!("{e:?}"));
                }
            }
        }
        panic!("a WebDriver session with the Paydesk window, {SESSION_TRIES} tries: {failures:?}");
    }

    /// Finds an element, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element matches {css:?} within {WAIT:?}: {e}"))
    }

    /// The rendered text (`innerText`) of the first element matching `css`, if any.
    ///
    /// WebKitWebDriver's own "get element text" answers "" for Tauri windows, so
    /// the text is read in the page; `innerText` still leaves out hidden elements.
    pub async fn text(&self, css: &str) -> Option<String> {
        let script =
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;";
        match self.client.execute(script, vec![css.into()]).await {
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Waits until the element matching `css` contains `needle` in its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        while Instant::now() < deadline {
            last = self.text(css).await;
            if let Some(text) = &last
                && text.contains(needle)
            {
                return text.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css:?} never showed {needle:?}; last text was {last:?}");
    }

    /// Clicks an element. A click WebDriver refuses while the page is
    /// re-drawing (the element just replaced) is tried again on the element
    /// found afresh, a few times within a second. WebDriver does not scroll
    /// an element that is in the window but under something fixed (the
    /// payment page's sticky bar): before trying again it is brought to the
    /// middle of the window, as a person would scroll to it.
    pub async fn click(&self, css: &str) {
        let mut refused = Vec::new();
        for _ in 0..5 {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) => refused.push(e.to_string()),
            }
            let _ = self
                .client
                .execute(
                    "document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' }); return true;",
                    vec![serde_json::json!(css)],
                )
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // What was in the way, for the failure's message.
        let seen = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]);
                 if (!e) return 'gone';
                 const r = e.getBoundingClientRect();
                 const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return [Math.round(r.top), Math.round(r.bottom), innerHeight,
                         top === e || e.contains(top) ? 'itself' : top?.outerHTML.slice(0, 160)];",
                vec![serde_json::json!(css)],
            )
            .await
            .map(|v| v.to_string())
            .unwrap_or_else(|e| e.to_string());
        panic!("cannot click {css:?}: {refused:?}; at its centre: {seen}");
    }

    /// Clears a field and types into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {css:?}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css:?}: {e}"));
    }

    /// Chooses the option with `value` in a select, waiting for the option
    /// to be there (lists read from the core arrive a moment later).
    pub async fn select(&self, css: &str, value: &str) {
        self.find(&format!("{css} option[value='{value}']")).await;
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value:?} in {css:?}: {e}"));
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The accessibility rules (axe-core's, as the UI's unit tests run them,
    /// here with the real layout, so colour contrast too) that what the
    /// window shows now breaks: one line per rule, with where.
    pub async fn axe_violations(&self) -> Vec<String> {
        if self.js("return typeof window.axe === 'object';").await != serde_json::json!(true) {
            let path = workspace_root().join("ui/node_modules/axe-core/axe.min.js");
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("axe-core is at {}: {e}", path.display()));
            self.js(&format!("{source}\n;return typeof window.axe;"))
                .await;
        }
        let script = "const done = arguments[arguments.length - 1];
            window.axe.run(document, { resultTypes: ['violations'] }).then(
              (r) => done(r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length}) at `
                + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')
                + ': ' + (v.nodes[0]?.failureSummary ?? '').replace(/\\s+/g, ' ').slice(0, 240))),
              (e) => done([`axe could not run: ${e}`]));";
        let found = self
            .client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot run axe: {e}"));
        serde_json::from_value(found).unwrap_or_else(|e| panic!("axe's answer: {e}"))
    }

    /// Calls a Tauri command through the window's own IPC, as the UI would, and
    /// returns its answer (`Ok`) or the error it rejected with (`Err`).
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let script = "const done = arguments[arguments.length - 1];
            window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
              .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: e }));";
        let answer = self
            .client
            .execute_async(script, vec![command.into(), args])
            .await
            .unwrap_or_else(|e| panic!("cannot invoke {command}: {e}"));
        match answer.get("err") {
            Some(err) => Err(err.clone()),
            None => Ok(answer.get("ok").cloned().unwrap_or_default()),
        }
    }

    /// Opens a screen by its address (`#/payments/<id>`), as a link would.
    pub async fn go(&self, hash: &str) {
        self.js(&format!(
            "location.hash = {};",
            serde_json::Value::from(hash)
        ))
        .await;
    }

    /// Presses a key (a WebDriver key code such as `\u{e007}` for Enter) in an element.
    pub async fn press(&self, css: &str, key: &str) {
        self.find(css)
            .await
            .send_keys(key)
            .await
            .unwrap_or_else(|e| panic!("cannot press a key in {css:?}: {e}"));
    }

    /// Scrolls the page so the element matching `css` is at the top of the window.
    pub async fn scroll_to(&self, css: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                vec![css.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot scroll to {css:?}: {e}"));
    }

    /// Saves a PNG of one element (all of it, even the part below the window's
    /// edge) as `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot_of(&self, name: &str, css: &str) -> PathBuf {
        let png = self
            .find(css)
            .await
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("cannot take a screenshot of {css:?}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("can write the screenshot");
        path
    }

    /// Saves a PNG of the window as `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // The DOM can be ahead of what is painted: wait for two frames first.
        let _ = self
            .client
            .execute(
                "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));",
                vec![],
            )
            .await;
        let png = self
            .client
            .screenshot()
            .await
            .expect("a screenshot of the window");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("can write the screenshot");
        path
    }

    /// Closes the window and opens Paydesk again on the same data folder, as
    /// a person does the next morning.
    pub async fn restart(mut self) -> App {
        let _ = self.client.clone().close().await;
        self.stop_driver();
        let spare = tempfile::tempdir().expect("a spare folder");
        let dir = std::mem::replace(&mut self.data_dir, spare);
        drop(self);
        App::launch_in(dir).await
    }

    /// Ends the WebDriver session (closing the window) and stops the driver.
    /// Every test ends here, so here is checked what no run may show: an
    /// action recorded without a person's name.
    pub async fn close(mut self) {
        let text = self.text("body").await.unwrap_or_default();
        assert!(
            !text.contains("Paydesk user"),
            "a screen says \"Paydesk user\": {text}"
        );
        let hits = files_containing(self.data_dir.path(), b"Paydesk user");
        assert!(hits.is_empty(), "\"Paydesk user\" was written to {hits:?}");
        let _ = self.client.clone().close().await;
        self.stop_driver();
    }

    fn stop_driver(&mut self) {
        stop_group(&mut self.driver);
    }
}

/// Attempts at a WebDriver session before a test gives up.
const SESSION_TRIES: usize = 3;

/// tauri-driver on two free ports, for the app on `data_dir`.
fn spawn_driver(data_dir: &Path, env: &[(&str, String)]) -> (Child, u16) {
    let port = free_port();
    let native_port = free_port();
    let xdg = data_dir.join("xdg");
    let mut driver = Command::new(tauri_driver());
    driver
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("PAYDESK_DATA_DIR", data_dir)
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        // The page's own storage (the person's text size) too: each test's own.
        .env("XDG_DATA_HOME", xdg.join("data"))
        // Never this machine's own policy file: a test that wants one says so.
        .env("PAYDESK_POLICY", data_dir.join("no-policy.toml"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        // Its own process group, so WebKitWebDriver and the app go with it.
        .process_group(0);
    let driver = driver
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start tauri-driver ({e}): run `make tools` first"));
    (driver, port)
}

/// A session with the Paydesk window through the tauri-driver on `port`.
async fn connect(port: u16) -> Result<Client, fantoccini::error::NewSessionError> {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app_binary() }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
}

/// The session request got no answer at all (the connection was dropped or lost).
fn dropped(e: &fantoccini::error::NewSessionError) -> bool {
    use fantoccini::error::NewSessionError as E;
    matches!(e, E::Failed(_) | E::FailedC(_) | E::Lost(_))
}

/// Stops tauri-driver's process group (WebKitWebDriver and the app with it).
fn stop_group(driver: &mut Child) {
    let group = format!("-{}", driver.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = driver.wait();
}

impl Drop for App {
    fn drop(&mut self) {
        if let Ok(None) = self.driver.try_wait() {
            self.stop_driver();
        }
    }
}

async fn wait_for_port(port: u16) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tauri-driver did not listen on port {port} within {WAIT:?}");
}

/// Bytes of every file in `dir` (recursively), for "this secret is nowhere" checks.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_where(dir, |_, bytes| {
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

/// Whether `haystack` holds `digits` as a number of its own: not run on from
/// other digits or letters. A short code such as a card security code also
/// turns up by chance inside longer numbers (a log line's microseconds, a
/// stored time) and inside random identifiers (a payment ID, a hash in hex),
/// and those are not a leak.
pub fn contains_number(haystack: &[u8], digits: &[u8]) -> bool {
    number_at(haystack, digits).next().is_some()
}

/// Where `digits` stands as a number of its own in `haystack`.
fn number_at<'a>(haystack: &'a [u8], digits: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let n = digits.len();
    haystack
        .windows(n.max(1))
        .enumerate()
        .filter(move |&(i, w)| {
            n > 0
                && w == digits
                && (i == 0 || !haystack[i - 1].is_ascii_alphanumeric())
                && haystack
                    .get(i + n)
                    .is_none_or(|b| !b.is_ascii_alphanumeric())
        })
        .map(|(i, _)| i)
}

/// Each place under `dir` that holds `digits` as a number of its own (see
/// [`contains_number`]): the file, the offset and the bytes around it, so a
/// failing test shows what it found.
pub fn files_containing_number(dir: &Path, digits: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    files_where(dir, |path, bytes| {
        for at in number_at(bytes, digits) {
            let around = &bytes[at.saturating_sub(32)..(at + digits.len() + 32).min(bytes.len())];
            found.push(format!(
                "{} at byte {at}: {}",
                path.display(),
                around.escape_ascii()
            ));
        }
        false
    });
    found
}

fn files_where(dir: &Path, mut holds: impl FnMut(&Path, &[u8]) -> bool) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && holds(&path, &bytes)
            {
                hits.push(path);
            }
        }
    }
    hits
}

/// The app's identifier: its keyring entries are filed under it.
pub const APP_ID: &str = "uk.paydesk.app";

/// A data folder with one service on the simulator's first account, set up
/// through paydesk-core (key in the session's keyring) as if staff had added it.
pub async fn prepared(
    sim: &govpay_sim::Simulator,
    name: &str,
    role: paydesk_core::Role,
    operator: &str,
) -> (tempfile::TempDir, paydesk_core::Core, String) {
    use paydesk_core::services::NewService;
    let dir = tempfile::tempdir().expect("a data folder");
    let core = paydesk_core::Core::open(
        dir.path(),
        std::sync::Arc::new(paydesk_core::OsKeyStore::new(APP_ID)),
    )
    .await
    .expect("the core opens");
    core.set_operator(operator)
        .await
        .expect("the operator is set");
    let service = core
        .services_add(NewService::test_account(
            name,
            sim.base_url(),
            role,
            &sim.accounts()[0].api_key,
        ))
        .await
        .expect("the service is added")
        .id;
    (dir, core, service)
}

/// A GOV.UK Pay client on the simulator's first account, for a test's own calls.
pub fn sim_client(sim: &govpay_sim::Simulator) -> govpay::Client {
    sim.client().expect("a client on the simulator")
}

/// A web payment on the simulator, paid with a test card when `card` is given.
pub async fn sim_payment(
    sim: &govpay_sim::Simulator,
    amount: i64,
    reference: &str,
    delayed_capture: bool,
    card: Option<&str>,
) -> String {
    sim.web_payment(amount, reference, delayed_capture, card)
        .await
        .expect("the payment is made")
}

#[cfg(test)]
mod tests {
    use super::contains_number;

    #[test]
    fn a_code_counts_only_as_a_number_of_its_own() {
        let code = b"9517";
        assert!(contains_number(b"9517", code));
        assert!(contains_number(br#"{"cvc":"9517"}"#, code));
        assert!(contains_number(b"card 4444 cvc 9517\n", code));
        assert!(!contains_number(b"2026-11-22T03:59:15.951701Z", code));
        assert!(!contains_number(b"id 19517", code));
        assert!(!contains_number(b"95170", code));
        assert!(!contains_number(b"951", code));
        assert!(!contains_number(b"3f9517ab", code), "inside a hash");
        assert!(!contains_number(b"hd9517qs", code), "inside an ID");
        assert!(contains_number(b"x 9517\x00", code));
        assert!(!contains_number(b"", code));
    }
}
