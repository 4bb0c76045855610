//! Everything that stops mcpgen from reading a compose project, each with the span it is about.
//!
//! These are errors, not findings: when one happens mcpgen cannot say what Compose would run,
//! so `lint` exits 2 ("could not run or could not cover").

use std::path::PathBuf;

use crate::diag::Diagnostic;
use crate::source::Span;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("could not read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
        /// The `include` or `extends` that named the file, when one did.
        named_at: Option<Span>,
    },
    #[error("`{}` is {kind}, not a file", path.display())]
    NotAFile {
        path: PathBuf,
        kind: &'static str,
        named_at: Option<Span>,
    },
    #[error("`{}` is remote: mcpgen does not fetch compose files, so it is not covered", path.display())]
    Remote {
        path: PathBuf,
        named_at: Option<Span>,
    },
    #[error("`{}` is {size} bytes; mcpgen reads compose files of at most {limit} bytes", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("`{}` is not UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("invalid YAML: {message}")]
    Syntax { span: Span, message: String },
    #[error("YAML nested deeper than {limit} levels")]
    TooDeep { span: Span, limit: usize },
    #[error("YAML aliases expand to more than {limit} nodes")]
    AliasBomb { span: Span, limit: usize },
    #[error("alias `{alias}` refers to a node that contains it")]
    RecursiveAlias { span: Span, alias: String },
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        span: Span,
        first: Span,
        key: String,
    },
    #[error("{message}")]
    Invalid {
        span: Span,
        message: String,
        help: Option<String>,
    },
    /// A `${` Compose would refuse; `expression` is quoted from its `$` to the end of its line.
    #[error("invalid interpolation `{expression}`: {message}")]
    Interpolation {
        span: Span,
        expression: String,
        message: String,
    },
    #[error("cannot merge `{key}`: {message}")]
    CannotMerge {
        span: Span,
        base: Span,
        key: String,
        message: String,
    },
    #[error("service `{service}` extends `{base}`, which is not defined{}", in_file.as_ref().map(|f| format!(" in `{f}`")).unwrap_or_default())]
    UnresolvedExtends {
        span: Span,
        service: String,
        base: String,
        in_file: Option<String>,
    },
    #[error("`extends` goes round in a circle: {chain}")]
    ExtendsCycle { span: Span, chain: String },
    #[error("`extends` chain of service `{service}` is longer than {limit}")]
    ExtendsTooDeep {
        span: Span,
        service: String,
        limit: usize,
    },
    #[error("`include` goes round in a circle: {chain}")]
    IncludeCycle { span: Span, chain: String },
    #[error("{what} is defined both here and, differently, in an included file")]
    IncludeConflict {
        span: Span,
        other: Span,
        what: String,
    },
    #[error("allow for `{rule}` has no reason")]
    AllowWithoutReason { span: Span, rule: String },
    #[error("invalid `# mcpgen:` comment: {message}")]
    BadComment { span: Span, message: String },
    /// Several problems found in one pass (every refused interpolation of a project), so the
    /// user fixes them all in one go.
    #[error("{}", join(.0))]
    Several(Vec<ComposeError>),
}

fn join(errors: &[ComposeError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ComposeError {
    pub(crate) fn invalid(span: &Span, message: impl Into<String>) -> Self {
        ComposeError::Invalid {
            span: *span,
            message: message.into(),
            help: None,
        }
    }

    /// Problems found before `last` stopped the loading, and `last`, as one error.
    pub(crate) fn with_earlier(mut earlier: Vec<ComposeError>, last: ComposeError) -> Self {
        if earlier.is_empty() {
            return last;
        }
        earlier.push(last);
        ComposeError::Several(earlier)
    }

    /// The text the error is about, when it is about a place in a file.
    pub fn span(&self) -> Option<&Span> {
        match self {
            ComposeError::Several(errors) => errors.first().and_then(ComposeError::span),
            ComposeError::Io { named_at, .. }
            | ComposeError::NotAFile { named_at, .. }
            | ComposeError::Remote { named_at, .. } => named_at.as_ref(),
            ComposeError::TooLarge { .. } | ComposeError::NotUtf8 { .. } => None,
            ComposeError::Syntax { span, .. }
            | ComposeError::TooDeep { span, .. }
            | ComposeError::AliasBomb { span, .. }
            | ComposeError::RecursiveAlias { span, .. }
            | ComposeError::DuplicateKey { span, .. }
            | ComposeError::Invalid { span, .. }
            | ComposeError::Interpolation { span, .. }
            | ComposeError::CannotMerge { span, .. }
            | ComposeError::UnresolvedExtends { span, .. }
            | ComposeError::ExtendsCycle { span, .. }
            | ComposeError::ExtendsTooDeep { span, .. }
            | ComposeError::IncludeCycle { span, .. }
            | ComposeError::IncludeConflict { span, .. }
            | ComposeError::AllowWithoutReason { span, .. }
            | ComposeError::BadComment { span, .. } => Some(span),
        }
    }

    /// What the caret under the span says.
    fn label(&self) -> &'static str {
        match self {
            ComposeError::Io { .. }
            | ComposeError::NotAFile { .. }
            | ComposeError::Remote { .. } => "named here",
            ComposeError::DuplicateKey { .. } => "defined again here",
            ComposeError::TooDeep { .. } => "too deep here",
            ComposeError::AliasBomb { .. } => "expansion stopped here",
            ComposeError::CannotMerge { .. } => "this value",
            ComposeError::UnresolvedExtends { .. } => "not found",
            ComposeError::IncludeConflict { .. } => "defined here",
            ComposeError::AllowWithoutReason { .. } => "reason missing",
            _ => "here",
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            ComposeError::Remote { .. } => {
                Some("download the file and name the local copy".to_string())
            }
            ComposeError::NotAFile { path, kind, .. } => Some(crate::source::not_a_file_help(
                path,
                kind,
                "compose.yaml",
            )),
            ComposeError::TooLarge { .. } => {
                Some("split the file, or lint the parts with `-f` one by one".to_string())
            }
            ComposeError::AliasBomb { .. } => Some(
                "this looks like a \"billion laughs\" document: aliases that expand aliases"
                    .to_string(),
            ),
            ComposeError::Invalid { help, .. } => help.clone(),
            ComposeError::Interpolation { .. } => {
                Some("write `$$` for a literal `$`".to_string())
            }
            ComposeError::AllowWithoutReason { .. } => Some(
                "say why the exception is safe: `# mcpgen: allow MCP013 -- the data is read-only inside`, or `reason:` in `x-mcpgen.allow`"
                    .to_string(),
            ),
            ComposeError::UnresolvedExtends { .. } => Some(
                "`extends` names a service of the same file, or `{ file: other.yml, service: name }`"
                    .to_string(),
            ),
            _ => None,
        }
    }

    /// One diagnostic per problem.
    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            ComposeError::Several(errors) => errors
                .iter()
                .flat_map(ComposeError::to_diagnostics)
                .collect(),
            single => vec![single.to_diagnostic()],
        }
    }

    fn to_diagnostic(&self) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(self.to_string()).with_code("compose");
        if let Some(span) = self.span() {
            diagnostic = diagnostic.with_primary(*span, self.label());
        }
        match self {
            ComposeError::DuplicateKey { first, .. } => {
                diagnostic = diagnostic.with_secondary(*first, "first defined here");
            }
            ComposeError::CannotMerge { base, .. } => {
                diagnostic = diagnostic.with_secondary(*base, "merged onto this value");
            }
            ComposeError::IncludeConflict { other, .. } => {
                diagnostic = diagnostic.with_secondary(*other, "and here");
            }
            _ => {}
        }
        if let Some(help) = self.help() {
            diagnostic = diagnostic.with_help(help);
        }
        diagnostic
    }
}
