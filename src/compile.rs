//! The stack compiled in memory: lint through the mcp.toml front end under the stack's own
//! `[lint]`, and every artifact rendered. `build`, `check`, `install` and `doctor` start here.

use crate::config::Config;
use crate::diag;
use crate::frontend;
use crate::lint::{self, Finding};
use crate::render::{self, Artifact, RenderError};

/// The stack compiled in memory: the lint verdict and every artifact's bytes.
pub(crate) struct Compiled {
    pub findings: Vec<Finding>,
    pub artifacts: Vec<Artifact>,
    settings: lint::Settings,
}

impl Compiled {
    /// Findings that stop a build or fail a check: those `[lint] fail_on` fails, no allow
    /// suppressed — the same verdict `mcpgen lint` gives.
    pub(crate) fn blocking(&self) -> impl Iterator<Item = &Finding> {
        lint::settings::failing(&self.settings, &self.findings)
    }

    /// The blocking findings' level, as a message says it: "error level", "warning level or
    /// above".
    pub(crate) fn blocking_level(&self) -> String {
        let level = self.settings.fail_on;
        if level == diag::Severity::Error {
            "error level".to_string()
        } else {
            format!("{} level or above (`[lint] fail_on`)", level.as_str())
        }
    }
}

/// Lints the stack under its own `[lint]` settings and renders every artifact.
pub(crate) fn compile(config: &Config) -> Result<Compiled, RenderError> {
    let settings = config.stack.lint.clone();
    let findings = lint::run(frontend::toml::services(config), &settings);
    let artifacts = render::render(&config.stack)?;
    Ok(Compiled {
        findings,
        artifacts,
        settings,
    })
}
