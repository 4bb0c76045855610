//! mcpgen compiles one declarative `mcp.toml` into a hardened MCP server stack, and lints what
//! is not hardened. The pipeline: [`config`] (parse, validate) → [`model`] → [`frontend`] →
//! [`lint`], and [`model`] → [`render`] → [`write`]; [`compile`] runs it in memory and [`cli`]
//! drives it. [`runtime`] (probe, the health monitor) talks to the container engine at run
//! time. docs/architecture.md has the map; tests/architecture.rs keeps every dependency
//! pointing down.

pub mod cli;
pub mod compile;
pub mod config;
pub mod diag;
pub mod doctor;
pub mod error;
pub mod fix;
pub mod frontend;
pub mod helper;
pub mod init;
pub mod install;
pub mod keeper;
pub mod lint;
pub mod mcp;
pub mod model;
pub mod render;
pub mod runtime;
pub mod secrets;
pub mod source;
pub mod write;
