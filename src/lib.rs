//! mcpgen compiles one declarative `mcp.toml` into a hardened MCP server stack, and lints what
//! is not hardened. The pipeline: [`config`] (parse, validate) → [`model`] → [`frontend`] →
//! [`lint`], and [`model`] → [`render`] → [`write`]; [`compile`] runs it in memory and [`cli`]
//! drives it. [`runtime`] (probe, the health monitor) talks to the container engine at run
//! time. docs/architecture.md has the map; tests/architecture.rs keeps every dependency
//! pointing down.

pub mod cli;
pub(crate) mod compile;
pub mod config;
pub mod diag;
pub(crate) mod doctor;
pub(crate) mod error;
pub(crate) mod fix;
pub mod frontend;
pub mod helper;
pub(crate) mod init;
pub(crate) mod install;
pub mod keeper;
pub mod lint;
pub(crate) mod mcp;
pub mod model;
pub mod render;
pub(crate) mod runtime;
pub(crate) mod secrets;
pub mod source;
pub(crate) mod write;
