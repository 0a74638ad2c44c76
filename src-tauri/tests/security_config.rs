//! The window's security settings, read from tauri.conf.json and the capability file.

use serde_json::Value;

fn read_json(path: &str) -> Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn the_csp_allows_no_remote_or_evaluated_script() {
    let conf = read_json("tauri.conf.json");
    assert_eq!(
        conf["app"]["withGlobalTauri"], false,
        "withGlobalTauri must stay off"
    );
    let csp = conf["app"]["security"]["csp"]
        .as_object()
        .expect("a CSP is set");
    for (directive, value) in csp {
        let value = value.as_str().expect("CSP values are strings");
        assert!(!value.contains("unsafe-eval"), "{directive} allows eval");
        assert!(
            !value.contains("unsafe-inline"),
            "{directive} allows inline code"
        );
        for source in value.split_whitespace() {
            let remote =
                source.starts_with("https:") || source.starts_with("http:") || source == "*";
            let ipc = directive == "connect-src"
                && (source == "ipc:" || source == "http://ipc.localhost");
            assert!(
                !remote || ipc,
                "{directive} allows the remote source {source}"
            );
        }
    }
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["object-src"], "'none'");
}

#[test]
fn one_capability_grants_only_our_commands_and_core_defaults() {
    let entries: Vec<_> = std::fs::read_dir(format!("{}/capabilities", env!("CARGO_MANIFEST_DIR")))
        .expect("the capabilities folder")
        .collect();
    assert_eq!(entries.len(), 1, "exactly one capability file");
    let cap = read_json("capabilities/default.json");
    for permission in cap["permissions"].as_array().expect("a permission list") {
        let p = permission.as_str().expect("permissions are plain names");
        // Beside them, the system's save dialog for the finance export,
        // which only returns the path chosen (no file access with it), and
        // the page's zoom, for the person's text size.
        assert!(
            p == "core:default"
                || p.starts_with("allow-")
                || p == "dialog:allow-save"
                || p == "core:webview:allow-set-webview-zoom",
            "{p} is neither a Paydesk command, a core default, the save dialog nor the zoom"
        );
    }
}
