//! The test builder itself (`tests/support/harness.rs`): what a run does not declare, it fails on.

use crate::harness::{Test, fixture_text};

#[test]
#[should_panic(expected = "stderr: expected exactly")]
fn output_nobody_expected_fails_the_run() {
    // `build` reports what it wrote on stderr; the test does not say so.
    Test::fixture("minimal").arg("build").run();
}

#[test]
#[should_panic(expected = "status: expected 0")]
fn an_exit_code_nobody_expected_fails_the_run() {
    Test::new().arg("frobnicate").stderr_any().run();
}

#[test]
#[should_panic(expected = "stdout: missing")]
fn text_that_is_not_there_fails_the_run() {
    Test::new()
        .arg("--help")
        .stdout_contains("Usage")
        .stdout_contains("no such text in the help")
        .run();
}

/// The next run keeps the directory and the environment, not the arguments or expectations.
#[test]
fn then_runs_in_the_same_place_with_fresh_expectations() {
    // Found only through the environment: nothing is in or above the working directory.
    let built = Test::new()
        .file("project/mcp.toml", &fixture_text("config/minimal/mcp.toml"))
        .env("MCPGEN_CONFIG", "project/mcp.toml")
        .arg("build")
        .stderr_contains("3 changed")
        .run();
    let again = built.then().arg("build").stderr_contains("0 changed").run();
    assert_eq!(again.path(), built.path());
    assert!(
        again
            .scratch()
            .exists("project/generated/docker-compose.mcp-only.yml")
    );
}
