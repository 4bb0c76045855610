//! `mcpgen monitor` end to end, on the real engine (Podman's Docker API, `scripts/engine-up`):
//! stacks built by `mcpgen build`, brought up by Docker Compose, broken on purpose; the monitor
//! must heal what crashed or hung, leave alone what a person stopped or what is not its own,
//! survive the engine going away, and run hardened inside the stack.
//!
//! The tests run one at a time (they measure recovery times, and one of them restarts an API
//! service); `cargo test --features engine-tests --test monitor -- --nocapture` shows the measurements, which are also
//! appended to `target/monitor-measurements.txt`.

// Test fixtures, scratch directories and engine calls: a failure should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

mod engine_restart;
mod footprint;
mod healing;
mod in_stack;
mod leaves_alone;
mod once;
