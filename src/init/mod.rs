//! `mcpgen init`: a commented starter `mcp.toml`, or one imported from clients' configs.
//!
//! The starter is a text template: it is documentation for people as much as configuration.
//! Imported servers are serialized with `toml_edit`, so every value is quoted correctly.

pub(crate) mod import;
pub(crate) mod known_servers;

use toml_edit::{Array, Value};

const HEAD: &str = include_str!("../../templates/init/head.toml");
const EXAMPLE_SERVERS: &str = include_str!("../../templates/init/example-servers.toml");

/// `targets = [...]` as TOML.
fn targets(clients: &[String]) -> String {
    let mut array = Array::new();
    for client in clients {
        array.push(client.as_str());
    }
    Value::Array(array).to_string().trim().to_string()
}

/// The starter file: defaults, profiles, two example servers that build and lint clean.
pub(crate) fn starter() -> String {
    let head = HEAD.replace("@TARGETS@", &targets(&["claude-desktop".to_string()]));
    format!("{head}{EXAMPLE_SERVERS}")
}

/// The file for an import: the same head, the clients imported from, the servers.
pub(crate) fn imported(clients: &[String], servers: &str) -> String {
    let mut targets_list = vec!["claude-desktop".to_string()];
    for client in clients {
        if !targets_list.contains(client) {
            targets_list.push(client.clone());
        }
    }
    let head = HEAD.replace("@TARGETS@", &targets(&targets_list));
    format!("{head}{servers}")
}
