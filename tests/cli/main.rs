//! End-to-end tests of the `mcpgen` binary: build, check, diagnostics, artifacts, validation by
//! the real tools. One integration binary, one module per concern.

// Test fixtures and scratch directories, not user input: a failure should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod agreement;
mod artifacts;
mod build;
mod compose_lint;
mod diagnostics;
mod doctor;
mod init;
mod install;
mod lint;
mod precommit;
mod secrets;
mod support;
mod validation;
