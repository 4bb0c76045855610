//! mcpgen compiles one declarative `mcp.toml` into a hardened MCP server stack, and lints what
//! is not hardened. The pipeline: [`config`] (parse, validate) → [`model`] → [`lint`] →
//! [`render`] → [`write`]; [`cli`] drives it. [`runtime`] (the health monitor) talks to the
//! container engine at run time.

pub mod cli;
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

use config::Config;
use error::Error;
use lint::Finding;
use render::Artifact;

/// The stack compiled in memory: the lint verdict and every artifact's bytes.
pub struct Compiled {
    pub findings: Vec<Finding>,
    pub artifacts: Vec<Artifact>,
    settings: lint::Settings,
}

impl Compiled {
    /// Findings that stop a build or fail a check: those `[lint] fail_on` fails, no allow
    /// suppressed — the same verdict `mcpgen lint` gives.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        lint::settings::failing(&self.settings, &self.findings)
    }

    /// The blocking findings' level, as a message says it: "error level", "warning level or
    /// above".
    pub fn blocking_level(&self) -> String {
        let level = self.settings.fail_on;
        if level == diag::Severity::Error {
            "error level".to_string()
        } else {
            format!("{} level or above (`[lint] fail_on`)", level.as_str())
        }
    }
}

/// Lints the stack under its own `[lint]` settings and renders every artifact.
pub fn compile(config: &Config) -> Result<Compiled, Error> {
    let settings = config.stack.lint.clone();
    let findings = lint::run(&frontend::toml::services(config), &settings);
    let artifacts = render::render(&config.stack)?;
    Ok(Compiled {
        findings,
        artifacts,
        settings,
    })
}
