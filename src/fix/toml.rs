//! Fixes in `mcp.toml`, made where the loosened value was set (the server's table or
//! `[defaults]`), with `toml_edit` so comments and layout survive.

use toml_edit::{Array, DocumentMut, Item, TableLike, Value};

use crate::config::{Config, Origin};
use crate::lint::Fix;

/// The key in mcp.toml that carries a fix's setting, and the value it needs.
fn toml_setting(fix: Fix) -> (&'static str, Option<bool>) {
    match fix {
        Fix::SetBool { key, value } => (key, Some(value)),
        Fix::EnsureItem {
            key: "security_opt",
            ..
        } => ("no_new_privileges", Some(true)),
        Fix::EnsureItem { key, .. } => (key, None),
    }
}

fn table_mut<'a>(doc: &'a mut DocumentMut, path: &[&str]) -> Option<&'a mut dyn TableLike> {
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for key in path {
        table = table.get_mut(key)?.as_table_like_mut()?;
    }
    Some(table)
}

/// Returns the fixed text, or `None` when nothing could be fixed.
pub(crate) fn apply(config: &Config, text: &str, fixes: &[(&str, Fix)]) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let mut changed = false;
    for (server, fix) in fixes {
        let (key, bool_value) = toml_setting(*fix);
        let path: Vec<&str> = match config.origins.setting(server, key) {
            Origin::Defaults(_) => vec!["defaults"],
            Origin::Server(_) | Origin::Missing(_) => vec!["servers", server],
        };
        let Some(table) = table_mut(&mut doc, &path) else {
            continue;
        };
        match (fix, bool_value) {
            (_, Some(value)) => {
                match table.get_mut(key).and_then(Item::as_value_mut) {
                    Some(current) if current.as_bool() == Some(value) => {}
                    // Replace the value but keep its decor: the comment after it stays.
                    Some(current) => {
                        let decor = current.decor().clone();
                        *current = Value::from(value);
                        *current.decor_mut() = decor;
                        changed = true;
                    }
                    None => {
                        table.insert(key, toml_edit::value(value));
                        changed = true;
                    }
                }
            }
            (Fix::EnsureItem { item, .. }, None) => {
                match table.get_mut(key).and_then(Item::as_array_mut) {
                    Some(array) if array.iter().any(|v| v.as_str() == Some(item)) => {}
                    Some(array) => {
                        array.push(*item);
                        changed = true;
                    }
                    None => {
                        let mut array = Array::new();
                        array.push(*item);
                        table.insert(key, Item::Value(Value::Array(array)));
                        changed = true;
                    }
                }
            }
            (Fix::SetBool { .. }, None) => {}
        }
    }
    changed.then(|| doc.to_string())
}
