//! Everything that can be wrong with an `mcp.toml`, each carrying the span it is about.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{message}")]
    Syntax { span: Range<usize>, message: String },
    #[error("unknown key `{key}` in {table}")]
    UnknownKey {
        span: Range<usize>,
        key: String,
        table: String,
        suggestion: Option<String>,
    },
    #[error("missing key `{key}` in {table}")]
    MissingKey {
        span: Range<usize>,
        key: String,
        table: String,
    },
    #[error("expected {expected}, found {found}")]
    WrongType {
        span: Range<usize>,
        expected: String,
        found: String,
    },
    #[error("{found} is not one of {options}")]
    NotOneOf {
        span: Range<usize>,
        found: String,
        options: String,
    },
    #[error("invalid {what} `{value}`: {why}")]
    BadValue {
        span: Range<usize>,
        what: &'static str,
        value: String,
        why: String,
    },
    #[error("{message}")]
    Invalid { span: Range<usize>, message: String },
}

impl ConfigError {
    pub fn span(&self) -> Range<usize> {
        match self {
            ConfigError::Syntax { span, .. }
            | ConfigError::UnknownKey { span, .. }
            | ConfigError::MissingKey { span, .. }
            | ConfigError::WrongType { span, .. }
            | ConfigError::NotOneOf { span, .. }
            | ConfigError::BadValue { span, .. }
            | ConfigError::Invalid { span, .. } => span.clone(),
        }
    }

    /// What the caret under the span says.
    pub fn label(&self) -> String {
        match self {
            ConfigError::Syntax { .. } | ConfigError::Invalid { .. } => "here".to_string(),
            ConfigError::UnknownKey { .. } => "not a known key".to_string(),
            ConfigError::MissingKey { key, .. } => format!("`{key}` is required here"),
            ConfigError::WrongType { expected, .. } => format!("expected {expected}"),
            ConfigError::NotOneOf { .. } => "not an allowed value".to_string(),
            ConfigError::BadValue { why, .. } => why.clone(),
        }
    }

    pub fn help(&self) -> Option<String> {
        match self {
            ConfigError::UnknownKey { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
            }
            ConfigError::NotOneOf { options, .. } => Some(format!("use one of {options}")),
            _ => None,
        }
    }
}
