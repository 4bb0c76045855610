//! Reading `mcp.toml`: parse with spans, check against the schema, validate into the model.

pub mod error;
pub mod origins;
pub mod parse;
pub mod raw;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::model::{RuleId, Stack};
use crate::source::{FileId, Sources};
pub use error::ConfigError;
pub use origins::{Origin, Origins, ServerSpans};
pub use parse::SpanIndex;

pub const CONFIG_FILE_NAME: &str = "mcp.toml";

/// Why `mcp.toml` could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no mcp.toml in `{}` or any parent directory", start.display())]
    NotFound { start: PathBuf },
    #[error("could not read `{}`: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is {kind}, not a file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    /// Every error in the file, each with its span.
    #[error("invalid configuration")]
    Invalid {
        file: FileId,
        errors: Vec<ConfigError>,
    },
}

/// A loaded and validated `mcp.toml`.
#[derive(Debug)]
pub struct Config {
    pub stack: Stack,
    pub path: PathBuf,
    pub file: FileId,
    pub origins: Origins,
    /// Where each server's settings were written, in the order of `stack.servers`.
    pub spans: Vec<ServerSpans>,
}

impl Config {
    /// The directory that relative paths in the file are relative to.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    pub fn out_dir(&self) -> PathBuf {
        self.base_dir().join(&self.stack.out_dir)
    }
}

/// The JSON Schema of `mcp.toml`, generated from the raw types.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(raw::RawConfig).to_value();
    drop_null(&mut schema);
    schema
}

/// TOML has no null: an optional key is simply absent. Dropping schemars' `null` alternatives
/// keeps editor hints and error messages about the types a user can actually write.
fn drop_null(node: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = node else {
        if let Value::Array(items) = node {
            items.iter_mut().for_each(drop_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".to_string(), only);
        }
    }
    if let Some(Value::Array(options)) = map.get("anyOf") {
        let non_null: Vec<Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if non_null.len() == 1 {
            map.remove("anyOf");
            if let Value::Object(only) = &non_null[0] {
                for (key, value) in only {
                    map.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
    }
    if map.get("default").is_some_and(Value::is_null) {
        map.remove("default");
    }
    map.values_mut().for_each(drop_null);
}

/// Finds `mcp.toml` in `start` or the nearest parent that has one.
pub fn discover(start: &Path) -> Result<PathBuf, LoadError> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| LoadError::NotFound {
            start: start.to_path_buf(),
        })
}

/// Reads and validates `mcp.toml`; `rules` are the lint rules its `[lint]` and `allow` entries
/// may name.
pub fn load(sources: &mut Sources, path: &Path, rules: &[RuleId]) -> Result<Config, LoadError> {
    let io = |source| LoadError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    // Checked before reading: opening a FIFO blocks until a writer comes.
    if let Some(kind) = crate::source::not_a_file(&std::fs::metadata(path).map_err(io)?) {
        return Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    let text = crate::source::read_users_text(path).map_err(io)?;
    let file = sources.add(path, text);
    let text = &sources.get(file).text;
    let source_name = path.file_name().map_or_else(
        || CONFIG_FILE_NAME.to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let config_error = |errors| LoadError::Invalid { file, errors };
    let parsed = parse::parse(text).map_err(config_error)?;
    let stack =
        validate::validate(parsed.raw, &parsed.spans, &source_name, rules).map_err(config_error)?;
    let origins = Origins {
        file,
        spans: parsed.spans,
    };
    Ok(Config {
        spans: stack
            .servers
            .iter()
            .map(|server| origins.server_spans(server))
            .collect(),
        stack,
        path: path.to_path_buf(),
        file,
        origins,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A catalog of two rules: config checks rule references against whatever it is given.
    fn test_rules() -> [RuleId; 2] {
        [
            RuleId {
                code: "MCP001",
                name: "non-root-user",
                core: true,
            },
            RuleId {
                code: "MCP015",
                name: "image-pinned",
                core: false,
            },
        ]
    }

    #[test]
    fn rule_references_are_checked_against_the_catalog_given() {
        let text =
            "[stack]\nname = \"s\"\n[lint]\nignore = [\"image-pinned\", \"MCP001\", \"MCP999\"]\n";
        let errors = load_text(text).expect_err("two bad references");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{messages:?}");
        let (core, unknown) = (&text[errors[0].span()], &text[errors[1].span()]);
        assert_eq!(
            (core, unknown),
            ("\"MCP001\"", "\"MCP999\""),
            "{messages:?}"
        );
    }

    fn load_text(text: &str) -> Result<Stack, Vec<ConfigError>> {
        let parsed = parse::parse(text)?;
        validate::validate(parsed.raw, &parsed.spans, CONFIG_FILE_NAME, &test_rules())
    }

    /// Fragments of real mcp.toml, so random inputs reach validation, not only the lexer.
    const FRAGMENTS: &[&str] = &[
        "[stack]\n",
        "name = \"x\"\n",
        "[servers.a]\n",
        "[servers.\"B c\"]\n",
        "image = \"i:1\"\n",
        "command = [\"a\", \"\\u0000\"]\n",
        "limits = { cpus = -1, memory = \"9Q\", pids = 0 }\n",
        "[defaults]\n",
        "tmpfs = { \"/t\" = \"0\" }\n",
        "health = { interval = \"\" }\n",
        "secrets = { K = {} }\n",
        "allow = [{ rule = \"\", reason = \"\" }]\n",
        "[[servers]]\n",
        "user = 0\n",
        "= =\n",
        "\"\n",
        "[profiles.p]\nfallback = \"local\"\n",
        "é = 1\n",
        "mounts = [{ source = \"\", target = \":\" }]\n",
        "[monitor]\nwindow = \"99999999999999999999h\"\n",
    ];

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = load_text(&text);
        }

        #[test]
        fn shuffled_fragments_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..12)) {
            let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
            let result = load_text(&text);
            if let Err(errors) = result {
                for error in errors {
                    prop_assert!(error.span().end <= text.len());
                }
            }
        }
    }

    #[test]
    fn the_bundled_config_loads() {
        let text = include_str!("../../mcp.toml");
        let stack = load_text(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(stack.servers.len(), 4);
    }
}
