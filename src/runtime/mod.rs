//! Run time: talking to a container engine and to MCP servers that are running, apart from the
//! compile pipeline.
//!
//! The monitor is the only part of mcpgen with an async runtime (tokio, which `bollard`
//! needs), and each entry point builds its own current-thread runtime, so `build`,
//! `check` and `lint` never start one. It is built only with the `runtime` feature: a build
//! without it (what pre-commit installs) compiles neither tokio nor bollard. `probe` needs
//! neither, and is always there.

// Its state machine is unit-tested without the feature too (tokio and futures-util are also
// dev-dependencies): `cargo test` on a plain clone covers it; only the engine client is left out.
#[cfg(any(feature = "runtime", test))]
pub(crate) mod monitor;
pub(crate) mod probe;
