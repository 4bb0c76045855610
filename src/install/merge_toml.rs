//! Merging into Codex's `config.toml` with `toml_edit`: the user's tables, comments and order
//! stay; mcpgen's `[mcp_servers.<name>]` tables are added, updated in place or removed.

use std::collections::BTreeMap;

use serde_json::Value;
use toml_edit::{Array, DocumentMut, Item, Table};

use super::merge::{Action, MergeError, Merged, decide};
use super::owner::Ownership;
use super::paths::Env;

const KEY: &str = "mcp_servers";

fn parse(text: &str) -> Result<DocumentMut, MergeError> {
    text.parse::<DocumentMut>()
        .map_err(|e| MergeError::Parse(e.to_string().trim_end().to_string()))
}

/// The `[mcp_servers.*]` entries, in file order.
pub(crate) fn entries(text: &str) -> Result<Vec<(String, Value)>, MergeError> {
    let doc = parse(text)?;
    let Some(item) = doc.get(KEY) else {
        return Ok(Vec::new());
    };
    let table = item
        .as_table_like()
        .ok_or_else(|| MergeError::Shape(format!("`{KEY}` is not a table")))?;
    Ok(table
        .iter()
        .map(|(name, item)| (name.to_string(), to_json(item)))
        .collect())
}

pub(crate) fn merge(
    text: &str,
    desired: &BTreeMap<String, Value>,
    ownership: &Ownership,
    env: &Env,
    force: bool,
) -> Result<Merged, MergeError> {
    let existing = entries(text)?;
    let (actions, conflicts) = decide(&existing, desired, ownership, env, force);
    let mut doc = parse(text)?;
    if doc.get(KEY).is_none() {
        let mut servers = Table::new();
        // No bare `[mcp_servers]` header: only the `[mcp_servers.<name>]` tables appear.
        servers.set_implicit(true);
        doc.insert(KEY, Item::Table(servers));
    }
    let servers = doc
        .get_mut(KEY)
        .and_then(Item::as_table_mut)
        .ok_or_else(|| {
            MergeError::Shape(format!(
                "`{KEY}` is an inline table; mcpgen edits `[{KEY}.<name>]` tables only"
            ))
        })?;
    let mut changes = Vec::new();
    for action in &actions {
        match action {
            Action::Insert(name, value) | Action::InsertQuietly(name, value) => {
                servers.insert(name, Item::Table(table(value)));
            }
            Action::Replace(name, value, _) => {
                let mut new = table(value);
                if let Some(old) = servers.get(name).and_then(Item::as_table) {
                    // Same place in the file, same comments above the header.
                    new.set_position(old.position());
                    *new.decor_mut() = old.decor().clone();
                }
                servers.insert(name, Item::Table(new));
            }
            Action::Remove(name, _) => {
                servers.remove(name);
            }
        }
        changes.extend(action.change());
    }
    let text_out = if actions.is_empty() {
        text.to_string()
    } else {
        doc.to_string()
    };
    Ok(Merged {
        text: text_out,
        changes,
        conflicts,
    })
}

/// An entry as a standard table; nested objects (`env`) become sub-tables, as Codex documents.
fn table(value: &Value) -> Table {
    let mut table = Table::new();
    if let Value::Object(map) = value {
        for (key, value) in map {
            match value {
                Value::Object(_) => {
                    let mut sub = table_of_values(value);
                    sub.set_implicit(false);
                    table.insert(key, Item::Table(sub));
                }
                other => {
                    if let Some(v) = toml_value(other) {
                        table.insert(key, Item::Value(v));
                    }
                }
            }
        }
    }
    table
}

fn table_of_values(value: &Value) -> Table {
    let mut table = Table::new();
    if let Value::Object(map) = value {
        for (key, value) in map {
            if let Some(v) = toml_value(value) {
                table.insert(key, Item::Value(v));
            }
        }
    }
    table
}

fn toml_value(value: &Value) -> Option<toml_edit::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array = Array::new();
            for item in items {
                if let Some(v) = toml_value(item) {
                    array.push(v);
                }
            }
            toml_edit::Value::Array(array)
        }
        Value::Object(map) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in map {
                if let Some(v) = toml_value(v) {
                    inline.insert(k, v);
                }
            }
            toml_edit::Value::InlineTable(inline)
        }
    })
}

/// An item as JSON, to compare entries whatever TOML syntax wrote them.
fn to_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(value) => value_json(value),
        Item::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        ),
        Item::ArrayOfTables(tables) => Value::Array(
            tables
                .iter()
                .map(|t| to_json(&Item::Table(t.clone())))
                .collect(),
        ),
    }
}

fn value_json(value: &toml_edit::Value) -> Value {
    use toml_edit::Value as V;
    match value {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::from(*i.value()),
        V::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::String(d.value().to_string()),
        V::Array(items) => Value::Array(items.iter().map(value_json).collect()),
        V::InlineTable(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.to_string(), value_json(v)))
                .collect(),
        ),
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
            "env_vars": ["DOCKER_HOST"],
            "startup_timeout_sec": 90,
            "env": {"MCPGEN_PROFILE": "hardened"}
        })
    }

    fn desired(names: &[&str]) -> BTreeMap<String, Value> {
        names.iter().map(|n| (n.to_string(), ours(n))).collect()
    }

    fn ownership() -> Ownership {
        Ownership::new("~/.mcpgen/mcp", BTreeMap::new(), &env())
    }

    const CODEX: &str = r#"# My Codex settings
model = "o4-mini" # the one I like

[mcp_servers.mine]
# my own server, keep this comment
command = "my-server"
args = ["--fast"]

[profiles.work]
model = "gpt-5"
"#;

    #[test]
    fn the_users_settings_and_comments_survive_add_update_remove() {
        let added = merge(CODEX, &desired(&["memory"]), &ownership(), &env(), false).unwrap();
        assert!(added.text.starts_with(
            "# My Codex settings\nmodel = \"o4-mini\" # the one I like\n\n[mcp_servers.mine]\n# my own server, keep this comment\ncommand = \"my-server\"\nargs = [\"--fast\"]\n"
        ), "{}", added.text);
        assert!(
            added
                .text
                .contains("[mcp_servers.memory]\ncommand = \"/bin/sh\"")
        );
        assert!(
            added
                .text
                .contains("[mcp_servers.memory.env]\nMCPGEN_PROFILE = \"hardened\"")
        );
        assert!(added.text.contains("[profiles.work]\nmodel = \"gpt-5\""));
        let reparsed = entries(&added.text).unwrap();
        assert_eq!(reparsed[1], ("memory".to_string(), ours("memory")));

        // Same entries again: not one byte changes.
        let same = merge(
            &added.text,
            &desired(&["memory"]),
            &ownership(),
            &env(),
            false,
        )
        .unwrap();
        assert_eq!(same.text, added.text);
        assert!(same.changes.is_empty());

        // An update keeps the table where it was.
        let mut changed = desired(&["memory"]);
        changed.get_mut("memory").unwrap()["startup_timeout_sec"] = json!(120);
        let updated = merge(&added.text, &changed, &ownership(), &env(), false).unwrap();
        assert_eq!(updated.changes, vec![EntryChange::Updated("memory".into())]);
        assert!(updated.text.contains("startup_timeout_sec = 120"));

        let removed = merge(&updated.text, &desired(&[]), &ownership(), &env(), false).unwrap();
        assert_eq!(removed.changes, vec![EntryChange::Removed("memory".into())]);
        assert_eq!(removed.text, CODEX);
    }

    #[test]
    fn a_fresh_file_has_no_bare_parent_table() {
        let merged = merge("", &desired(&["a"]), &ownership(), &env(), false).unwrap();
        assert!(
            merged.text.starts_with("[mcp_servers.a]\n"),
            "{}",
            merged.text
        );
        assert!(!merged.text.contains("[mcp_servers]\n"));
    }

    #[test]
    fn broken_toml_is_a_parse_error() {
        assert!(matches!(
            merge(
                "[mcp_servers\n",
                &desired(&["a"]),
                &ownership(),
                &env(),
                false
            ),
            Err(MergeError::Parse(_))
        ));
        assert!(matches!(
            merge(
                "mcp_servers = 3\n",
                &desired(&["a"]),
                &ownership(),
                &env(),
                false
            ),
            Err(MergeError::Shape(_))
        ));
    }
}
