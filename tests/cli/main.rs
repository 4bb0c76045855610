//! End-to-end tests of the `mcpgen` binary: build, check, diagnostics, artifacts, validation by
//! the real tools. One integration binary, one module per concern.

mod artifacts;
mod build;
mod diagnostics;
mod secrets;
mod support;
mod validation;
