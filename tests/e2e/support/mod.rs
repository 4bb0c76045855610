//! The e2e harness: the engine (set up once), per-test stacks with teardown guards, commands
//! with deadlines, and the Python MCP client.

// Test code outside `#[test]` functions: a failed expectation here is a failed test, and its
// message says what was expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod client;
pub mod cmd;
pub mod engine;
pub mod inflight;
pub mod stack;

pub use client::{call, list_tools, sleep};
pub use stack::Stack;

/// A measured figure, on stderr with a fixed prefix: `cargo test --features engine-tests --test e2e -- --nocapture
/// 2>&1 | grep '^FIGURE'` collects them for the README.
#[macro_export]
macro_rules! figure {
    ($($arg:tt)*) => {
        eprintln!("FIGURE {}", format_args!($($arg)*))
    };
}
