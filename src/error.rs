//! The library's error type, and the one place that turns errors into diagnostics.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::diag::Diagnostic;
use crate::frontend::compose::ComposeError;
use crate::install::InstallProblem;
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
    #[error("`{}` is {kind}, not a file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("no mcp.toml in `{}` or any parent directory", start.display())]
    ConfigNotFound { start: PathBuf },
    #[error("nothing to lint: no mcp.toml and no compose file in `{}`", dir.display())]
    NothingToLint { dir: PathBuf },
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
    /// A link, a FIFO, a device where mcpgen writes or reads back its own files.
    #[error("`{}` is {what}", path.display())]
    UnsafeOutput { path: PathBuf, what: &'static str },
    /// The output directory holds the user's own files: a build there could replace them.
    #[error("`{}` holds {} file(s) that mcpgen did not write", out_dir.display(), paths.len())]
    UsersFilesInOutDir {
        out_dir: PathBuf,
        paths: Vec<String>,
    },
    /// An install directory another user could change: the shims there run as this user.
    #[error("`{}` is {why}", path.display())]
    UnsafeInstallDir { path: PathBuf, why: String },
    #[error("install stopped before writing anything")]
    Install { problems: Vec<InstallProblem> },
    #[error("{files} file(s) in `{out_dir}/` are out of date")]
    StaleBuild { out_dir: String, files: usize },
    #[error("no profile `{name}`")]
    UnknownProfile { name: String, known: Vec<String> },
    #[error("no client `{name}`")]
    UnknownClient { name: String, known: Vec<String> },
    #[error("`{}` already exists", path.display())]
    AlreadyExists { path: PathBuf },
    #[error("cannot import `{}`: {message}", path.display())]
    Import { path: PathBuf, message: String },
    #[error("{0}")]
    Environment(String),
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
            Error::HandEdited { .. } | Error::Foreign { .. } | Error::StaleBuild { .. } => {
                EXIT_FINDINGS
            }
            // A file that cannot be parsed is bad input; a user's entry in the way is a finding.
            Error::Install { problems } => {
                if problems
                    .iter()
                    .any(|p| matches!(p, InstallProblem::Unparsable { .. }))
                {
                    EXIT_BAD_INPUT
                } else {
                    EXIT_FINDINGS
                }
            }
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
                    "move your change into mcp.toml, or run `mcpgen build --force` (keeps a <file>.mcpgen-backup copy of each)",
                ),
            ],
            Error::Foreign { paths } => vec![
                Diagnostic::error(format!(
                    "refusing to overwrite {} file(s) that mcpgen did not write: {}",
                    paths.len(),
                    paths.join(", ")
                ))
                .with_help("move them away, or run `mcpgen build --force` (keeps a <file>.mcpgen-backup copy of each)"),
            ],
            Error::UnsafeOutput { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note("mcpgen writes only regular files in its output directory, and follows no link there: one could send a write, or a read shown in a diff, anywhere")
                    .with_help("remove it (or move it out of the output directory), then run mcpgen again"),
            ],
            Error::UsersFilesInOutDir { paths, .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note(format!(
                        "{}{}",
                        paths.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                        if paths.len() > 5 { ", …" } else { "" }
                    ))
                    .with_help("give mcpgen an output directory of its own: set `[stack] out_dir` in mcp.toml to a directory that holds nothing else (default `generated`)"),
            ],
            Error::UnsafeInstallDir { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note("the shims installed there are run by your MCP clients as you: whoever can change them runs code as you")
                    .with_help("choose an `install_dir` under your home that only you own (default `~/.mcpgen/<stack>`)"),
            ],
            Error::NothingToLint { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help("name the files: `mcpgen lint docker-compose.yml`, or `-f a.yml -f b.yml` to merge them"),
            ],
            Error::ConfigNotFound { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help("run `mcpgen init` to write a starter mcp.toml, or pass `--config PATH`"),
            ],
            Error::Compose(error) => error.to_diagnostics(),
            Error::NotAFile { path, kind } => vec![
                Diagnostic::error(self.to_string()).with_help(crate::source::not_a_file_help(
                    path,
                    kind,
                    crate::config::CONFIG_FILE_NAME,
                )),
            ],
            Error::Install { problems } => problems.iter().map(install_problem).collect(),
            Error::StaleBuild { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note("install copies what `mcpgen build` wrote, so it must match mcp.toml")
                    .with_help("run `mcpgen build` first (`mcpgen check` shows the drift)"),
            ],
            Error::UnknownProfile { known, .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help(format!("profiles in mcp.toml: {}", known.join(", "))),
            ],
            Error::UnknownClient { known, .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help(format!("known clients: {}", known.join(", "))),
            ],
            Error::AlreadyExists { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help("pass `--force` to replace it (a .bak copy is kept), or `--config PATH` to write elsewhere"),
            ],
            other => vec![Diagnostic::error(other.to_string())],
        }
    }
}

fn install_problem(problem: &InstallProblem) -> Diagnostic {
    match problem {
        InstallProblem::Unparsable {
            client,
            path,
            message,
        } => Diagnostic::error(format!(
            "{client}: `{}` left untouched: {message}",
            path.display()
        ))
        .with_note("nothing was written, for any client: install is all or nothing")
        .with_help(format!(
            "fix the file (its client cannot read it either), or leave {client} out with `--client`"
        )),
        InstallProblem::Conflict {
            client,
            path,
            servers,
        } => Diagnostic::error(format!(
            "{client}: `{}` has your own entries named {}",
            path.display(),
            servers
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_note("they do not launch mcpgen's shims, so they are yours; nothing was written")
        .with_help(
            "rename the server in mcp.toml, or run `mcpgen install --force` to replace them (the file is backed up first)",
        ),
        InstallProblem::ForeignBundleFiles { paths } => Diagnostic::error(format!(
            "files in the install directory that mcpgen did not write (or that were edited): {}",
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_help("move them away, or run `mcpgen install --force` (each is backed up first)"),
    }
}
