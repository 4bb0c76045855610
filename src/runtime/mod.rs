//! Run time: talking to a container engine and to MCP servers that are running, apart from the
//! compile pipeline.
//!
//! The monitor is the only part of mcpgen with an async runtime (tokio, which `bollard`
//! needs), and each entry point builds its own current-thread runtime, so `build`,
//! `check` and `lint` never start one. It is built only with the `runtime` feature: a build
//! without it (what pre-commit installs) compiles neither tokio nor bollard. `probe` needs
//! neither, and is always there.

#[cfg(feature = "runtime")]
pub mod monitor;
pub mod probe;
