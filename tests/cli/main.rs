//! End-to-end tests of the `mcpgen` binary: build, check, diagnostics, artifacts, validation by
//! the real tools. One integration binary, one module per concern. The modules that need a tool
//! beyond Rust (Docker Compose, pre-commit, Microsoft's SARIF validator) are the `tool-tests`
//! tier: `cargo test --features tool-tests`, which `scripts/test` runs.

// Test fixtures and scratch directories, not user input: a failure should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[cfg(feature = "tool-tests")]
mod agreement;
mod artifacts;
mod build;
mod builder;
mod compose_lint;
mod diagnostics;
mod doctor;
#[path = "../support/harness.rs"]
mod harness;
mod init;
mod install;
mod lint;
mod lint_settings;
#[cfg(feature = "tool-tests")]
mod precommit;
mod secrets;
#[cfg(feature = "tool-tests")]
mod validation;
