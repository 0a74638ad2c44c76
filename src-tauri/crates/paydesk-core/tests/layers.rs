//! The storage layer's boundary: SQL and the SQL library live in the core's
//! `store/` alone. Every other Rust file and manifest in the workspace is read
//! here, and one that names `sqlx` fails the test. Tests that need to see or
//! change the database behind the core's back go through the store's probe.

use std::path::{Path, PathBuf};

/// Where SQL belongs.
const STORE: &str = "src-tauri/crates/paydesk-core/src/store/";

/// Files that belong with the store though they are outside its folder: the
/// workspace's list of shared versions, the manifest of the crate the store
/// is in, the build script that embeds the store's migrations, and this test.
const STORE_TOO: &[&str] = &[
    "Cargo.toml",
    "src-tauri/crates/paydesk-core/Cargo.toml",
    "src-tauri/crates/paydesk-core/build.rs",
    "src-tauri/crates/paydesk-core/tests/layers.rs",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .expect("the core is three folders below the workspace root")
        .to_path_buf()
}

/// Every `.rs` file and `Cargo.toml` under `dir`, but build output and packages.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | ".git" | "gen") {
                sources(&path, found);
            }
        } else if name.ends_with(".rs") || name == "Cargo.toml" {
            found.push(path);
        }
    }
}

/// Whether a Rust file uses the SQL library or reaches for a pool, or a
/// manifest depends on the library. Text that merely mentions it, such as a
/// test's list of words no screen may show, does not count.
fn names_sqlx(path: &Path, text: &str) -> bool {
    if path.ends_with("Cargo.toml") {
        text.lines().any(|l| l.trim_start().starts_with("sqlx"))
    } else {
        text.contains("sqlx::") || text.contains("use sqlx") || text.contains(".pool()")
    }
}

#[test]
fn sql_lives_in_the_store_alone() {
    let root = workspace_root();
    let mut files = Vec::new();
    for top in ["src-tauri", "tests"] {
        sources(&root.join(top), &mut files);
    }
    files.push(root.join("Cargo.toml"));
    assert!(
        files.len() > 50,
        "the workspace's sources were not found under {}",
        root.display()
    );
    let mut outside = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&root)
            .expect("found under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).expect("a source file is text");
        let uses = names_sqlx(path, &text);
        let store = relative.starts_with(STORE) || STORE_TOO.contains(&relative.as_str());
        if uses && !store {
            outside.push(relative);
        }
    }
    assert!(
        outside.is_empty(),
        "SQL outside the store (move it into {STORE}): {outside:?}"
    );
    for listed in STORE_TOO {
        assert!(root.join(listed).exists(), "{listed} is listed but gone");
    }
}

#[test]
fn the_check_sees_sql_where_it_is() {
    assert!(names_sqlx(
        Path::new("a.rs"),
        "let x = sqlx::query(\"SELECT 1\");"
    ));
    assert!(names_sqlx(Path::new("a.rs"), "use sqlx::Row;"));
    assert!(names_sqlx(Path::new("a.rs"), "search(core.pool(), &q)"));
    assert!(!names_sqlx(
        Path::new("a.rs"),
        "for raw in [\"SQLite\", \"sqlx\"] {}"
    ));
    assert!(names_sqlx(
        Path::new("Cargo.toml"),
        "[dependencies]\nsqlx.workspace = true\n"
    ));
    assert!(!names_sqlx(
        Path::new("Cargo.toml"),
        "[dependencies]\nserde = \"1\"\n"
    ));
}

/// What the store may use of the rest of the core: nothing but the clock, a
/// leaf. The domain depends on the store, never the other way round, so there
/// is no import cycle (the store's own tests may use the domain).
const STORE_MAY_USE: &[&str] = &["store", "clock"];

/// The modules of the core a file's code (its tests and comments aside) names.
fn core_modules_named(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut named = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.push(name);
        }
    }
    named
}

#[test]
fn the_store_depends_on_no_part_of_the_domain() {
    let mut files = Vec::new();
    sources(&workspace_root().join(STORE), &mut files);
    assert!(files.len() > 20, "the store's files were not found");
    let mut reaching = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(path).expect("a source file is text");
        for name in core_modules_named(&text) {
            if !STORE_MAY_USE.contains(&name.as_str()) {
                reaching.push(format!("{}: crate::{name}", path.display()));
            }
        }
    }
    assert!(
        reaching.is_empty(),
        "the store reaches into the domain: {reaching:?}"
    );
}

#[test]
fn the_dependency_check_sees_a_reach_into_the_domain() {
    assert_eq!(
        core_modules_named("use crate::error::CoreError;\nuse crate::store::X;"),
        ["error", "store"]
    );
    assert!(core_modules_named("// see crate::seal\nfn a() {}").is_empty());
    assert!(
        core_modules_named("fn a() {}\n#[cfg(test)]\nmod tests { use crate::activity::audit; }")
            .is_empty()
    );
}

/// The names of the `.rs`/`.ts` files and folders directly in `dir`, without
/// their extension, leaving out tests.
fn part_names(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() {
                return Some(name);
            }
            if name.contains(".test") {
                return None;
            }
            name.strip_suffix(".rs")
                .or_else(|| name.strip_suffix(".ts"))
                .map(str::to_string)
        })
        .collect()
}

/// The parts of the app have one name each, in the core, the commands and the
/// UI: someone who finds `money` in one looks for `money` in the others.
#[test]
fn the_core_the_commands_and_the_ui_name_their_parts_alike() {
    let root = workspace_root();
    let core = part_names(&root.join("src-tauri/crates/paydesk-core/src"));
    let commands = part_names(&root.join("src-tauri/src/commands"));
    let api = part_names(&root.join("ui/src/api"));
    // `mod` is the module list and `ipc` the one door to the Rust side; the
    // sandbox is started by the app crate, not the core.
    let app_only = ["mod", "ipc", "sandbox"];
    let parts: Vec<&String> = commands
        .iter()
        .filter(|n| !app_only.contains(&n.as_str()))
        .collect();
    assert!(
        parts.len() >= 10,
        "expected the commands' parts, found {parts:?}"
    );
    for part in &parts {
        assert!(
            core.contains(*part),
            "commands/{part}.rs has no core module of that name"
        );
    }
    let commands_and_app: Vec<&String> = api
        .iter()
        .filter(|n| !commands.contains(*n) && !app_only.contains(&n.as_str()))
        .collect();
    assert!(
        commands_and_app.is_empty(),
        "ui/src/api has parts with no commands of that name: {commands_and_app:?}"
    );
    let without_api: Vec<&&String> = parts.iter().filter(|n| !api.contains(**n)).collect();
    assert!(
        without_api.is_empty(),
        "commands with no ui/src/api file of that name: {without_api:?}"
    );
    // Every screen folder is a part or the window's frame.
    let features = part_names(&root.join("ui/src/features"));
    let strays: Vec<&String> = features
        .iter()
        .filter(|n| *n != "shell" && !core.contains(*n))
        .collect();
    assert!(
        strays.is_empty(),
        "ui/src/features has folders named after no part of the core: {strays:?}"
    );
}
