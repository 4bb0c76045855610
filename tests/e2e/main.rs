//! End to end on a real container engine: `mcpgen build` → `docker compose up -d` → real MCP
//! servers behind the generated shims, driven by a real MCP client (the Python SDK), and the
//! faults a stack meets in use. `scripts/engine-up` provides the engine; without one every
//! test fails and says how to get one.
//!
//! Each test has its own compose project (`e2e-<test>-<pid>`), so tests run in parallel, and a
//! guard that tears it down even when the test fails.

// A test binary exports nothing: `pub` marks the harness's API for the test modules.
#![allow(unreachable_pub)]

mod support;

mod bundled;
mod client;
mod faults;
mod hardening;
mod health;
mod probe;
mod protocols;
mod sessions;
mod survival;
mod teardown;
