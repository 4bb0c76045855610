//! Merging into JSON and JSON-with-comments files through a concrete syntax tree: only the
//! entries mcpgen adds, updates or removes change; every other byte — the user's servers, other
//! settings, comments, indentation, key order — stays as it was.

use std::collections::BTreeMap;

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

use super::merge::{Action, MergeError, Merged, decide};
use super::owner::Ownership;
use super::paths::{Env, Format};

/// The syntax each client accepts: a file is parsed as strictly as its client would, so a file
/// the client cannot read either is reported rather than "fixed".
fn options(format: Format) -> ParseOptions {
    let lenient = matches!(format, Format::Jsonc);
    ParseOptions {
        allow_comments: matches!(format, Format::Jsonc | Format::JsonComments),
        allow_trailing_commas: lenient,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn parse(text: &str, format: Format) -> Result<CstRootNode, MergeError> {
    CstRootNode::parse(text, &options(format)).map_err(|e| MergeError::Parse(e.to_string()))
}

fn root_object(root: &CstRootNode) -> Result<CstObject, MergeError> {
    match root.value() {
        None => Ok(root.object_value_or_set()),
        Some(value) => value
            .as_object()
            .ok_or_else(|| MergeError::Shape("the file is not a JSON object".to_string())),
    }
}

/// The entries under `key`, in file order; none when the key is absent.
pub(crate) fn entries(
    text: &str,
    format: Format,
    key: &str,
) -> Result<Vec<(String, Value)>, MergeError> {
    let root = parse(text, format)?;
    let object = root_object(&root)?;
    let Some(prop) = object.get(key) else {
        return Ok(Vec::new());
    };
    let servers = prop
        .object_value()
        .ok_or_else(|| MergeError::Shape(format!("`{key}` is not an object")))?;
    Ok(servers
        .properties()
        .into_iter()
        .filter_map(|p| {
            let name = p.decoded_name()?;
            let value = p.value()?.to_serde_value()?;
            Some((name, value))
        })
        .collect())
}

/// Merges `desired` into the object under `key`, creating it (and the file's object) if absent.
pub(crate) fn merge(
    text: &str,
    format: Format,
    key: &str,
    desired: &BTreeMap<String, Value>,
    ownership: &Ownership,
    env: &Env,
    force: bool,
) -> Result<Merged, MergeError> {
    let existing = entries(text, format, key)?;
    let (actions, conflicts) = decide(&existing, desired, ownership, env, force);
    let root = parse(text, format)?;
    let object = root_object(&root)?;
    let servers = object
        .object_value_or_create(key)
        .ok_or_else(|| MergeError::Shape(format!("`{key}` is not an object")))?;
    let mut changes = Vec::new();
    for action in &actions {
        match action {
            Action::Insert(name, value) | Action::InsertQuietly(name, value) => {
                servers.append(name, input(value));
            }
            Action::Replace(name, value, _) => {
                if let Some(prop) = servers.get(name) {
                    prop.set_value(input(value));
                }
            }
            Action::Remove(name, _) => {
                if let Some(prop) = servers.get(name) {
                    prop.remove();
                }
            }
        }
        changes.extend(action.change());
    }
    let mut text_out = if actions.is_empty() {
        text.to_string()
    } else {
        root.to_string()
    };
    if text.trim().is_empty() && !text_out.ends_with('\n') {
        text_out.push('\n');
    }
    Ok(Merged {
        text: text_out,
        changes,
        conflicts,
    })
}

/// A serde value as the CST's input; strings are escaped by the CST.
fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;
    use crate::install::merge::EntryChange;

    fn env() -> Env {
        Env::linux("/home/me")
    }

    fn ours(name: &str) -> Value {
        json!({
            "command": "/bin/sh",
            "args": ["-c", format!("exec \"$HOME\"/.mcpgen/mcp/shims/hardened_{name}.sh"), format!("mcpgen-{name}")],
            "env": {"MCPGEN_PROFILE": "hardened"}
        })
    }

    fn desired(names: &[&str]) -> BTreeMap<String, Value> {
        names.iter().map(|n| (n.to_string(), ours(n))).collect()
    }

    fn ownership() -> Ownership {
        Ownership::new("~/.mcpgen/mcp", BTreeMap::new(), &env())
    }

    const VSCODE: &str = r#"{
	// My servers. Keep this comment.
	"inputs": [{ "type": "promptString", "id": "key" }],
	"servers": {
		"mine": { "type": "stdio", "command": "my-server", }, // trailing comma, VS Code style
	},
}
"#;

    #[test]
    fn jsonc_keeps_comments_tabs_and_the_users_entries() {
        let merged = merge(
            VSCODE,
            Format::Jsonc,
            "servers",
            &desired(&["memory"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        let text = &merged.text;
        assert!(text.starts_with("{\n\t// My servers. Keep this comment.\n\t\"inputs\""));
        assert!(text.contains(
            "\"mine\": { \"type\": \"stdio\", \"command\": \"my-server\", }, // trailing comma"
        ));
        assert!(
            text.contains("\t\t\"memory\": {\n\t\t\t\"command\": \"/bin/sh\""),
            "{text}"
        );
        assert_eq!(merged.changes, vec![EntryChange::Added("memory".into())]);
        // Removing it again gives back the user's bytes, except the trailing comma we added.
        let again = merge(
            text,
            Format::Jsonc,
            "servers",
            &desired(&[]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        assert_eq!(again.changes, vec![EntryChange::Removed("memory".into())]);
        assert!(again.text.contains("// My servers. Keep this comment."));
        assert!(!again.text.contains("memory"));
        assert!(again.text.contains("\"mine\""));
    }

    #[test]
    fn strict_json_refuses_comments_and_jsonc_accepts_them() {
        let err = merge(
            VSCODE,
            Format::Json,
            "servers",
            &desired(&["memory"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap_err();
        assert!(matches!(err, MergeError::Parse(_)), "{err}");
        assert!(matches!(
            entries("{\"mcpServers\": []}", Format::Json, "mcpServers"),
            Err(MergeError::Shape(_))
        ));
        assert!(matches!(
            entries("[1]", Format::Json, "mcpServers"),
            Err(MergeError::Shape(_))
        ));
    }

    #[test]
    fn an_empty_file_gets_an_object() {
        let merged = merge(
            "",
            Format::Json,
            "mcpServers",
            &desired(&["a"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        let parsed: Value = serde_json::from_str(&merged.text).unwrap();
        assert_eq!(parsed, json!({"mcpServers": {"a": ours("a")}}));
        assert!(merged.text.ends_with("}\n"));
    }

    #[test]
    fn unchanged_entries_leave_the_text_identical() {
        let text = format!(
            "{{\"mcpServers\":{{\"a\":{}}},  \"x\": 1}}",
            serde_json::to_string(&ours("a")).unwrap()
        );
        let merged = merge(
            &text,
            Format::Json,
            "mcpServers",
            &desired(&["a"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        assert_eq!(merged.text, text);
        assert!(merged.changes.is_empty());
    }

    #[test]
    fn a_users_entry_of_the_same_name_is_a_conflict_unless_forced() {
        let text = "{\"mcpServers\": {\"memory\": {\"command\": \"npx\", \"args\": [\"mine\"]}}}";
        let merged = merge(
            text,
            Format::Json,
            "mcpServers",
            &desired(&["memory"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        assert_eq!(merged.conflicts, vec!["memory".to_string()]);
        assert_eq!(merged.text, text);
        let forced = merge(
            text,
            Format::Json,
            "mcpServers",
            &desired(&["memory"]),
            &ownership(),
            &env(),
            true,
        )
        .unwrap();
        assert_eq!(forced.changes, vec![EntryChange::Replaced("memory".into())]);
        assert!(forced.text.contains("hardened_memory.sh"));
    }
}
