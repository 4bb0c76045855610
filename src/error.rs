//! The library's error type, and the one place that turns errors into diagnostics.

use std::path::PathBuf;

use crate::compose::ComposeError;
use crate::config::ConfigError;
use crate::diag::Diagnostic;
use crate::render::RenderError;
use crate::source::{FileId, Span};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no mcp.toml in `{}` or any parent directory", start.display())]
    ConfigNotFound { start: PathBuf },
    #[error("invalid configuration")]
    Config {
        file: FileId,
        errors: Vec<ConfigError>,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A compose project that cannot be read as Compose would: `lint` could not cover it.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("generated files were changed by hand")]
    HandEdited { paths: Vec<String> },
    #[error("files not written by mcpgen are in the way")]
    Foreign { paths: Vec<String> },
}

/// The process exit code for an error: 1 where the output is out of date, 2 for bad input.
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

impl Error {
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::HandEdited { .. } | Error::Foreign { .. } => EXIT_FINDINGS,
            _ => EXIT_BAD_INPUT,
        }
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Config { file, errors } => errors
                .iter()
                .map(|error| {
                    let mut diagnostic = Diagnostic::error(error.to_string())
                        .with_primary(Span::new(*file, error.span()), error.label());
                    if let Some(help) = error.help() {
                        diagnostic = diagnostic.with_help(help);
                    }
                    diagnostic
                })
                .collect(),
            Error::HandEdited { paths } => vec![
                Diagnostic::error(format!(
                    "refusing to overwrite {} generated file(s) edited by hand: {}",
                    paths.len(),
                    paths.join(", ")
                ))
                .with_note("their contents no longer match the hash in their header")
                .with_help(
                    "move your change into mcp.toml, or run `mcpgen build --force` (keeps a .bak copy of each)",
                ),
            ],
            Error::Foreign { paths } => vec![
                Diagnostic::error(format!(
                    "refusing to overwrite {} file(s) that mcpgen did not write: {}",
                    paths.len(),
                    paths.join(", ")
                ))
                .with_help("move them away, or run `mcpgen build --force` (keeps a .bak copy of each)"),
            ],
            Error::ConfigNotFound { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help("run `mcpgen init` to write a starter mcp.toml, or pass `--config PATH`"),
            ],
            Error::Compose(error) => vec![error.to_diagnostic()],
            other => vec![Diagnostic::error(other.to_string())],
        }
    }
}
