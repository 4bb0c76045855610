//! mcpgen compiles one declarative `mcp.toml` into a hardened MCP server stack, and lints what
//! is not hardened. The pipeline: [`config`] (parse, validate) → [`model`] → [`lint`] →
//! [`render`] → [`write`]; [`cli`] drives it. [`runtime`] (the health monitor) talks to the
//! container engine at run time.

pub mod cli;
pub mod compose;
pub mod config;
pub mod diag;
pub mod doctor;
pub mod error;
pub mod fix;
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

use config::Config;
use error::Error;
use lint::Finding;
use render::Artifact;

/// The stack compiled in memory: the lint verdict and every artifact's bytes.
pub struct Compiled {
    pub findings: Vec<Finding>,
    pub artifacts: Vec<Artifact>,
}

impl Compiled {
    /// Findings that stop a build: errors no allow suppressed.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        lint::active(&self.findings).filter(|f| f.severity == diag::Severity::Error)
    }
}

pub fn compile(config: &Config) -> Result<Compiled, Error> {
    let findings = lint::run(&lint::from_model::services(config));
    let artifacts = render::render(&config.stack)?;
    Ok(Compiled {
        findings,
        artifacts,
    })
}
