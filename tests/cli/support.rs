//! A scratch project per test: fixture files copied into a temp dir, the binary run inside it.

use std::path::{Path, PathBuf};
use std::process::Output;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) struct Project {
    pub(crate) dir: tempfile::TempDir,
}

impl Project {
    /// A project whose mcp.toml is `text`.
    pub(crate) fn with_config(text: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("mcp.toml"), text).expect("write mcp.toml");
        Self { dir }
    }

    /// A project holding a copy of a fixture config (`tests/fixtures/config/<name>/mcp.toml`).
    pub(crate) fn fixture(name: &str) -> Self {
        let text = std::fs::read_to_string(fixtures().join("config").join(name).join("mcp.toml"))
            .expect("fixture exists");
        Self::with_config(&text)
    }

    /// The repository's own mcp.toml.
    pub(crate) fn bundled() -> Self {
        let text = std::fs::read_to_string(repo_root().join("mcp.toml")).expect("bundled mcp.toml");
        Self::with_config(&text)
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("mcpgen runs")
    }

    /// The command [`Self::run`] runs, for a test to change its environment or its streams.
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("mcpgen"));
        command
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("MCPGEN_CONFIG")
            .args(args);
        command
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    pub(crate) fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.path().join(relative), text).expect("write");
    }

    /// Every file below `relative`, sorted, as `/`-separated paths relative to it.
    pub(crate) fn files(&self, relative: &str) -> Vec<String> {
        let root = self.path().join(relative);
        let mut files = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(&root).expect("below root");
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        files
    }
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Fails unless `document` is valid against the published schema of `lint --format json`.
pub(crate) fn assert_lint_output_schema(document: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema/lint-output.schema.json"))
            .expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
