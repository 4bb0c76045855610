//! The library's error type, and the one place that turns errors into diagnostics.

use std::path::PathBuf;

use crate::config::LoadError;
use crate::diag::Diagnostic;
use crate::frontend::compose::ComposeError;
use crate::init::import::ImportError;
use crate::install::{InstallError, InstallProblem};
use crate::render::RenderError;
use crate::source::Span;
use crate::write::WriteError;

/// Every way a command can fail. Each stage has its own error type; this one gathers them for
/// the command line, and is the one place that turns an error into diagnostics and an exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("nothing to lint: no mcp.toml and no compose file in `{}`", dir.display())]
    NothingToLint { dir: PathBuf },
    #[error(transparent)]
    Config(#[from] LoadError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A compose project that cannot be read as Compose would: `lint` could not cover it.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{files} file(s) in `{out_dir}/` are out of date")]
    StaleBuild { out_dir: String, files: usize },
    #[error("`{}` already exists", path.display())]
    AlreadyExists { path: PathBuf },
    /// A rule named on the command line that no rule answers to.
    #[error("no rule `{name}`")]
    UnknownRule { name: String },
    #[error("`{code}` is a core rule and cannot be ignored globally")]
    CoreRuleIgnored { code: &'static str },
    /// A server or profile named on the command line that mcp.toml does not have.
    #[error("no {what} `{name}` in mcp.toml")]
    NotInConfig {
        what: &'static str,
        name: String,
        known: Vec<String>,
    },
    /// More than one bad argument, each reported.
    #[error("{} errors", .0.len())]
    Several(Vec<Error>),
    #[error("{0}")]
    Environment(String),
    /// A command this build of mcpgen left out (a cargo feature off).
    #[cfg_attr(feature = "runtime", allow(dead_code))]
    #[error("this mcpgen was built without {what}")]
    NotBuiltIn {
        what: &'static str,
        feature: &'static str,
    },
}

/// The process exit code for an error: 1 where the output is out of date, 2 for bad input.
pub(crate) const EXIT_FINDINGS: i32 = 1;
pub(crate) const EXIT_BAD_INPUT: i32 = 2;

impl Error {
    pub(crate) fn io(
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

    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::Write(WriteError::HandEdited { .. } | WriteError::Foreign { .. })
            | Error::Install(InstallError::Write(
                WriteError::HandEdited { .. } | WriteError::Foreign { .. },
            ))
            | Error::StaleBuild { .. } => EXIT_FINDINGS,
            Error::Several(errors) => errors
                .iter()
                .map(Error::exit_code)
                .max()
                .unwrap_or(EXIT_BAD_INPUT),
            // A file that cannot be parsed is bad input; a user's entry in the way is a finding.
            Error::Install(InstallError::Stopped { problems }) => {
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

    pub(crate) fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Config(LoadError::Invalid { file, errors }) => errors
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
            Error::Write(error) | Error::Install(InstallError::Write(error)) => {
                write_diagnostics(error)
            }
            Error::Install(InstallError::UnsafeInstallDir { .. }) => vec![
                Diagnostic::error(self.to_string())
                    .with_note("the shims installed there are run by your MCP clients as you: whoever can change them runs code as you")
                    .with_help("choose an `install_dir` under your home that only you own (default `~/.mcpgen/<stack>`)"),
            ],
            Error::UnknownRule { .. } => vec![
                Diagnostic::error(self.to_string()).with_help("`mcpgen rules` lists every rule"),
            ],
            Error::CoreRuleIgnored { .. } => vec![
                Diagnostic::error(self.to_string()).with_help("allow it per service, with a reason"),
            ],
            Error::NotInConfig { known, .. } => {
                let known: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
                vec![
                    Diagnostic::error(self.to_string())
                        .with_help(format!("mcp.toml has: {}", known.join(", "))),
                ]
            }
            Error::Several(errors) => errors.iter().flat_map(Error::diagnostics).collect(),
            Error::NotBuiltIn { feature, .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note("the stack's own `mcpgen-monitor` container runs it (`docker compose up -d`)")
                    .with_help(format!(
                        "to run it on this machine, install mcpgen with it: `cargo install --path . --features {feature}`"
                    )),
            ],
            Error::NothingToLint { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_help("name the files: `mcpgen lint docker-compose.yml`, or `-f a.yml -f b.yml` to merge them"),
            ],
            Error::Config(LoadError::NotFound { .. }) => vec![
                Diagnostic::error(self.to_string())
                    .with_help("run `mcpgen init` to write a starter mcp.toml, or pass `--config PATH`"),
            ],
            Error::Compose(error) => error.to_diagnostics(),
            Error::Config(LoadError::NotAFile { path, kind }) => vec![
                Diagnostic::error(self.to_string()).with_help(crate::source::not_a_file_help(
                    path,
                    kind,
                    crate::config::CONFIG_FILE_NAME,
                )),
            ],
            Error::Install(InstallError::Stopped { problems }) => {
                problems.iter().map(install_problem).collect()
            }
            Error::StaleBuild { .. } => vec![
                Diagnostic::error(self.to_string())
                    .with_note("install copies what `mcpgen build` wrote, so it must match mcp.toml")
                    .with_help("run `mcpgen build` first (`mcpgen check` shows the drift)"),
            ],
            Error::Install(InstallError::UnknownProfile { known, .. }) => vec![
                Diagnostic::error(self.to_string())
                    .with_help(format!("profiles in mcp.toml: {}", known.join(", "))),
            ],
            Error::Install(InstallError::UnknownClient { known, .. }) => vec![
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

/// The writer's refusals, for `build` and `install` alike.
fn write_diagnostics(error: &WriteError) -> Vec<Diagnostic> {
    match error {
            WriteError::HandEdited { paths } => vec![
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
            WriteError::Foreign { paths } => vec![
                Diagnostic::error(format!(
                    "refusing to overwrite {} file(s) that mcpgen did not write: {}",
                    paths.len(),
                    paths.join(", ")
                ))
                .with_help("move them away, or run `mcpgen build --force` (keeps a <file>.mcpgen-backup copy of each)"),
            ],
            WriteError::UnsafeOutput { .. } => vec![
                Diagnostic::error(error.to_string())
                    .with_note("mcpgen writes only regular files in its output directory, and follows no link there: one could send a write, or a read shown in a diff, anywhere")
                    .with_help("remove it (or move it out of the output directory), then run mcpgen again"),
            ],
            WriteError::UsersFilesInOutDir { paths, .. } => vec![
                Diagnostic::error(error.to_string())
                    .with_note(format!(
                        "{}{}",
                        paths.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                        if paths.len() > 5 { ", …" } else { "" }
                    ))
                    .with_help("give mcpgen an output directory of its own: set `[stack] out_dir` in mcp.toml to a directory that holds nothing else (default `generated`)"),
            ],
        WriteError::Io { .. } => vec![Diagnostic::error(error.to_string())],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn io_error() -> std::io::Error {
        std::io::Error::other("disk on fire")
    }

    /// A verdict on the user's files (drift, hand edits, entries in the way) exits 1; anything
    /// mcpgen could not read or was asked wrongly exits 2, whichever stage raised it.
    #[test]
    fn each_stage_error_sets_its_exit_code() {
        let cases: Vec<(Error, i32)> = vec![
            (
                WriteError::HandEdited {
                    paths: vec!["a".into()],
                }
                .into(),
                EXIT_FINDINGS,
            ),
            (
                InstallError::Write(WriteError::Foreign {
                    paths: vec!["a".into()],
                })
                .into(),
                EXIT_FINDINGS,
            ),
            (
                WriteError::io("write", "generated/x")(io_error()).into(),
                EXIT_BAD_INPUT,
            ),
            (
                ComposeError::Io {
                    path: "compose.yml".into(),
                    source: io_error(),
                    named_at: None,
                }
                .into(),
                EXIT_BAD_INPUT,
            ),
            (
                LoadError::NotFound { start: "/".into() }.into(),
                EXIT_BAD_INPUT,
            ),
            (
                Error::StaleBuild {
                    out_dir: "generated".into(),
                    files: 1,
                },
                EXIT_FINDINGS,
            ),
            (
                InstallError::Stopped {
                    problems: vec![InstallProblem::Unparsable {
                        client: "cursor".into(),
                        path: "mcp.json".into(),
                        message: "expected a value".into(),
                    }],
                }
                .into(),
                EXIT_BAD_INPUT,
            ),
            (
                InstallError::Stopped {
                    problems: vec![InstallProblem::Conflict {
                        client: "cursor".into(),
                        path: "mcp.json".into(),
                        servers: vec!["memory".into()],
                    }],
                }
                .into(),
                EXIT_FINDINGS,
            ),
            (
                Error::Several(vec![
                    Error::UnknownRule { name: "x".into() },
                    Error::CoreRuleIgnored { code: "MCP001" },
                ]),
                EXIT_BAD_INPUT,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
            assert!(!error.diagnostics().is_empty(), "{error:?}");
        }
    }

    #[test]
    fn several_errors_are_each_reported() {
        let error = Error::Several(vec![
            Error::UnknownRule {
                name: "nope".into(),
            },
            Error::CoreRuleIgnored { code: "MCP001" },
        ]);
        let messages: Vec<String> = error
            .diagnostics()
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(
            messages,
            [
                "no rule `nope`",
                "`MCP001` is a core rule and cannot be ignored globally"
            ]
        );
    }
}
