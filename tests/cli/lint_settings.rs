//! `[lint]` means the same to every command: `build`, `check` (and so the `mcpgen-check`
//! pre-commit hook, which runs it) and `lint` run the rules it enables and fail on its
//! `fail_on`. The bundled mcp.toml has warnings from one rule (MCP016) and nothing worse.

use crate::harness::{Test, repo_text};

const WARNED_RULE: &str = "MCP016";

/// The bundled stack with a `[lint]` table appended.
fn bundled_with(lint: &str) -> Test {
    Test::new().mcp_toml(&format!("{}\n[lint]\n{lint}\n", repo_text("mcp.toml")))
}

/// A command's stderr and stdout together, its status checked.
fn said(test: Test, args: &[&str], status: i32) -> String {
    let output = test
        .args(args)
        .status(status)
        .stdout_any()
        .stderr_any()
        .run();
    format!("{}{}", output.stderr, output.stdout)
}

#[test]
fn without_a_lint_table_every_command_reports_the_warnings_and_passes() {
    let built = Test::bundled().arg("build").stderr_any().run();
    assert!(built.stderr.contains(WARNED_RULE), "{}", built.stderr);
    for args in [&["check"][..], &["lint"]] {
        let text = said(built.then(), args, 0);
        assert!(text.contains(WARNED_RULE), "{args:?}: {text}");
    }
}

#[test]
fn build_leaves_out_an_ignored_rule() {
    let text = said(
        bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]")),
        &["build"],
        0,
    );
    assert!(!text.contains(WARNED_RULE), "{text}");
}

#[test]
fn check_leaves_out_an_ignored_rule() {
    let built = bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]"))
        .arg("build")
        .stderr_any()
        .run();
    let text = said(built.then(), &["check"], 0);
    assert!(!text.contains(WARNED_RULE), "{text}");
}

#[test]
fn lint_leaves_out_an_ignored_rule() {
    let text = said(
        bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]")),
        &["lint"],
        0,
    );
    assert!(!text.contains(WARNED_RULE), "{text}");
    assert!(text.contains("0 finding(s)"), "{text}");
}

#[test]
fn select_narrows_every_command_alike() {
    // Only MCP015 (and the core rules, which always run): the MCP016 warnings are gone.
    let built = bundled_with("select = [\"MCP015\"]")
        .arg("build")
        .stderr_any()
        .run();
    assert!(!built.stderr.contains(WARNED_RULE), "{}", built.stderr);
    for args in [&["check"][..], &["lint"]] {
        let text = said(built.then(), args, 0);
        assert!(!text.contains(WARNED_RULE), "{args:?}: {text}");
    }
}

#[test]
fn build_fails_on_a_warning_when_fail_on_says_so_and_writes_nothing() {
    let output = bundled_with("fail_on = \"warning\"")
        .arg("build")
        .status(1)
        .stderr_contains("at warning level or above (`[lint] fail_on`); nothing was written")
        .run();
    assert!(!output.join("generated").exists());
}

#[test]
fn check_fails_on_a_warning_when_fail_on_says_so() {
    // Built while warnings pass, so only the verdict can fail the check.
    let built = Test::bundled().arg("build").stderr_any().run();
    let text = built.read("mcp.toml");
    built.write(
        "mcp.toml",
        &format!("{text}\n[lint]\nfail_on = \"warning\"\n"),
    );
    let text = said(built.then(), &["check"], 1);
    assert!(text.contains("at warning level or above"), "{text}");
    assert!(!text.contains("out of date"), "{text}");
}

#[test]
fn lint_fails_on_a_warning_when_fail_on_says_so() {
    let text = said(bundled_with("fail_on = \"warning\""), &["lint"], 1);
    assert!(text.contains(WARNED_RULE), "{text}");
}
