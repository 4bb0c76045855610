//! `[lint]` means the same to every command: `build`, `check` (and so the `mcpgen-check`
//! pre-commit hook, which runs it) and `lint` run the rules it enables and fail on its
//! `fail_on`. The bundled mcp.toml has warnings from one rule (MCP016) and nothing worse.

use crate::support::{Project, code, stderr, stdout};

const WARNED_RULE: &str = "MCP016";

/// The bundled stack with a `[lint]` table appended.
fn bundled_with(lint: &str) -> Project {
    let project = Project::bundled();
    let text = project.read("mcp.toml");
    project.write("mcp.toml", &format!("{text}\n[lint]\n{lint}\n"));
    project
}

/// Every command's stderr and stdout, and its exit code.
fn said(project: &Project, args: &[&str]) -> (i32, String) {
    let output = project.run(args);
    (
        code(&output),
        format!("{}{}", stderr(&output), stdout(&output)),
    )
}

#[test]
fn without_a_lint_table_every_command_reports_the_warnings_and_passes() {
    let project = Project::bundled();
    for args in [&["build"][..], &["check"], &["lint"]] {
        let (status, text) = said(&project, args);
        assert_eq!(status, 0, "{args:?}: {text}");
        assert!(text.contains(WARNED_RULE), "{args:?}: {text}");
    }
}

#[test]
fn build_leaves_out_an_ignored_rule() {
    let project = bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]"));
    let (status, text) = said(&project, &["build"]);
    assert_eq!(status, 0, "{text}");
    assert!(!text.contains(WARNED_RULE), "{text}");
}

#[test]
fn check_leaves_out_an_ignored_rule() {
    let project = bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]"));
    assert_eq!(said(&project, &["build"]).0, 0);
    let (status, text) = said(&project, &["check"]);
    assert_eq!(status, 0, "{text}");
    assert!(!text.contains(WARNED_RULE), "{text}");
}

#[test]
fn lint_leaves_out_an_ignored_rule() {
    let project = bundled_with(&format!("ignore = [\"{WARNED_RULE}\"]"));
    let (status, text) = said(&project, &["lint"]);
    assert_eq!(status, 0, "{text}");
    assert!(!text.contains(WARNED_RULE), "{text}");
    assert!(text.contains("0 finding(s)"), "{text}");
}

#[test]
fn select_narrows_every_command_alike() {
    // Only MCP015 (and the core rules, which always run): the MCP016 warnings are gone.
    let project = bundled_with("select = [\"MCP015\"]");
    for args in [&["build"][..], &["check"], &["lint"]] {
        let (status, text) = said(&project, args);
        assert_eq!(status, 0, "{args:?}: {text}");
        assert!(!text.contains(WARNED_RULE), "{args:?}: {text}");
    }
}

#[test]
fn build_fails_on_a_warning_when_fail_on_says_so_and_writes_nothing() {
    let project = bundled_with("fail_on = \"warning\"");
    let (status, text) = said(&project, &["build"]);
    assert_eq!(status, 1, "{text}");
    assert!(
        text.contains("at warning level or above (`[lint] fail_on`); nothing was written"),
        "{text}"
    );
    assert!(!project.path().join("generated").exists());
}

#[test]
fn check_fails_on_a_warning_when_fail_on_says_so() {
    let project = bundled_with("fail_on = \"warning\"");
    // Built first with the warning allowed to pass, so only the verdict can fail the check.
    let text = project
        .read("mcp.toml")
        .replace("fail_on = \"warning\"", "");
    project.write("mcp.toml", &text);
    assert_eq!(said(&project, &["build"]).0, 0);
    project.write("mcp.toml", &format!("{text}fail_on = \"warning\"\n"));
    let (status, text) = said(&project, &["check"]);
    assert_eq!(status, 1, "{text}");
    assert!(text.contains("at warning level or above"), "{text}");
    assert!(!text.contains("out of date"), "{text}");
}

#[test]
fn lint_fails_on_a_warning_when_fail_on_says_so() {
    let project = bundled_with("fail_on = \"warning\"");
    let (status, text) = said(&project, &["lint"]);
    assert_eq!(status, 1, "{text}");
    assert!(text.contains(WARNED_RULE), "{text}");
}
