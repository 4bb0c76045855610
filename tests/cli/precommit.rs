//! The repository's `.pre-commit-hooks.yaml`, run by the real `pre-commit` (PyPI) against a
//! scratch repository: passes when all is fresh, fails on a stale `generated/` and on an
//! unhardened compose file.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

use crate::harness::{Test, fixture_text, repo};

/// One pre-commit at a time: the tests share its home and the cargo build of the hooks.
static PRE_COMMIT: Mutex<()> = Mutex::new(());

const UNHARDENED: &str = "\
services:
  web:
    image: nginx:1.27
    ports: [\"8080:80\"]
";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// `pre-commit try-repo <this repo> --all-files`: every hook of our `.pre-commit-hooks.yaml`,
/// installed by pre-commit itself (`language: rust` → `cargo install`), on the scratch repo.
fn run_hooks(scratch: &Path) -> Output {
    run_pre_commit(scratch, &["--all-files"])
}

/// `pre-commit try-repo <this repo> <args>` in the scratch repo.
fn run_pre_commit(scratch: &Path, args: &[&str]) -> Output {
    let root = repo("");
    let target = root.join("target");
    Command::new("pre-commit")
        .current_dir(scratch)
        .args(["try-repo", &root.display().to_string()])
        .args(args)
        .arg("--color=never")
        // Persistent across runs: pre-commit's environments, and cargo's build of mcpgen.
        .env("PRE_COMMIT_HOME", target.join("pre-commit-home"))
        .env("CARGO_TARGET_DIR", target.join("pre-commit-build"))
        // The hook's binary is built in release mode: on a test machine, build it like a debug
        // build (the hooks' speed is not what this test measures).
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Fails loudly without pre-commit; then holds it for this test alone.
fn require_pre_commit() -> std::sync::MutexGuard<'static, ()> {
    let found = Command::new("pre-commit").arg("--version").output();
    assert!(
        found.as_ref().is_ok_and(|o| o.status.success()),
        "pre-commit is not installed: `python3 -m pip install pre-commit` (scripts/test installs it)"
    );
    PRE_COMMIT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn pre_commit_hooks_pass_on_a_fresh_repo_and_fail_on_drift_and_unhardened_compose() {
    let _pre_commit = require_pre_commit();

    let project = Test::fixture("minimal").arg("build").stderr_any().run();
    let scratch = project.path();
    git(scratch, &["init", "-q", "-b", "main"]);
    git(scratch, &["add", "-A"]);
    git(scratch, &["commit", "-q", "-m", "stack"]);

    // A fresh generated/: both hooks pass (mcpgen-lint has no compose file to look at).
    let clean = run_hooks(scratch);
    let out = text(&clean);
    assert_eq!(code(&clean), 0, "{out}");
    assert!(
        out.contains("mcpgen check (generated/ is fresh, mcp.toml is hardened)")
            && out.contains("Passed"),
        "{out}"
    );

    // mcp.toml changed, generated/ not rebuilt: mcpgen-check fails with the drift.
    let config = project.read("mcp.toml").replace("pids = 64", "pids = 65");
    project.write("mcp.toml", &config);
    git(scratch, &["add", "-A"]);
    let stale = run_hooks(scratch);
    let out = text(&stale);
    assert_eq!(code(&stale), 1, "{out}");
    assert!(out.contains("out of date: run `mcpgen build`"), "{out}");
    assert!(out.contains("+          pids: 65"), "{out}");
    git(scratch, &["checkout", "--", "."]);
    git(scratch, &["reset", "-q", "--hard"]);

    // A hand-written, unhardened compose file: mcpgen-lint runs on it and fails.
    project.write("docker-compose.yml", UNHARDENED);
    git(scratch, &["add", "-A"]);
    let unhardened = run_hooks(scratch);
    let out = text(&unhardened);
    assert_eq!(code(&unhardened), 1, "{out}");
    assert!(
        out.contains("mcpgen lint (hand-written compose files are hardened)")
            && out.contains("Failed"),
        "{out}"
    );
    for rule in ["MCP001", "MCP002", "MCP003", "MCP004"] {
        assert!(out.contains(rule), "{rule} not reported:\n{out}");
    }
}

/// pre-commit hands the hook only the files staged: an override changed alone is linted merged
/// onto its base, as Compose runs it. Alone it would be a service with no image, no user, no
/// limits: five false errors.
#[test]
fn an_override_changed_alone_is_linted_merged_onto_its_base() {
    let _pre_commit = require_pre_commit();
    let project =
        Test::new().fixture_files("override-alone", &["compose.yml", "compose.override.yml"]);
    let scratch = project.scratch().path();
    git(scratch, &["init", "-q", "-b", "main"]);
    git(scratch, &["add", "-A"]);
    git(scratch, &["commit", "-q", "-m", "project"]);

    // Only the override changes, keeping the base's hardening: the hook passes.
    let over = std::fs::read_to_string(scratch.join("compose.override.yml")).expect("read");
    std::fs::write(
        scratch.join("compose.override.yml"),
        over.replace("LOG_LEVEL: debug", "LOG_LEVEL: info"),
    )
    .expect("write");
    git(scratch, &["add", "compose.override.yml"]);
    let kept = run_pre_commit(scratch, &["mcpgen-lint", "--verbose"]);
    let out = text(&kept);
    assert_eq!(code(&kept), 0, "{out}");
    assert!(
        out.contains("mcpgen lint (hand-written compose files are hardened)")
            && out.contains("Passed"),
        "{out}"
    );

    // The override alone takes hardening away: reported at its line, and nothing else is.
    project.scratch().write(
        "compose.override.yml",
        &fixture_text("override-alone/weakening.override.yml"),
    );
    git(scratch, &["add", "compose.override.yml"]);
    let weakened = run_pre_commit(scratch, &["mcpgen-lint"]);
    let out = text(&weakened);
    assert_eq!(code(&weakened), 1, "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("MCP002/read-only-rootfs"), "{out}");
    assert!(out.contains("--> compose.override.yml:4:16"), "{out}");
    for partial in ["MCP001", "MCP003", "MCP004", "MCP015"] {
        assert!(
            !out.contains(partial),
            "{partial} on a partial service:\n{out}"
        );
    }
}
