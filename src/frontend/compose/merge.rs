//! Compose's merge rules, used for every later file or document (`-f a.yml -f b.yml`) and for a
//! service onto the base it `extends` (compose-go's `override.MergeYaml`; compose-spec
//! `13-merge.md`):
//!
//! - mappings merge key by key, the later value winning for scalars;
//! - sequences append (`cap_drop`, `cap_add`, `security_opt`, `devices`, `volumes`, `ports`,
//!   …); the view then removes repeats the way Compose's "unicity" pass does (caps by value,
//!   volumes and devices by target, ports by spec, environment by name);
//! - `command`, `entrypoint` and `healthcheck.test` are replaced, not appended;
//! - `environment`, `labels`, `tmpfs`, `sysctls`, `env_file`, `dns*`, `extra_hosts` may be
//!   written as a list or a mapping (or a string), so both sides become `KEY=value` lists first;
//! - `networks` and `depends_on` become mappings first (a list names keys);
//! - `logging` merges when both sides name the same driver (or one names none), else the later
//!   one replaces it; a string `build` is `{context: …}`;
//! - a later `null` keeps the earlier value;
//! - `!override` replaces the earlier value; `!reset` removes it. The `!reset` node stays in
//!   the tree as a tombstone (it removes what a later layer merges under it too, and the view
//!   reads its span: the line that removed a setting is the line a finding should point at).

use std::collections::HashMap;

use super::error::ComposeError;
use super::tree::{Entry, Map, Node, Style, Tag, Value};

/// Merges a later file or document onto the project so far.
pub(crate) fn merge_layer(project: &mut Option<Node>, layer: Node) -> Result<(), ComposeError> {
    match project {
        None => *project = Some(layer),
        Some(base) => merge(base, layer, At::Root, "")?,
    }
    Ok(())
}

/// Merges a service onto (a copy of) the service it extends.
pub(crate) fn merge_service(base: &mut Node, service: Node) -> Result<(), ComposeError> {
    merge(base, service, At::Service, "")
}

/// Where in a compose file a value is, as far as the merge rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Root,
    Services,
    Service,
    Healthcheck,
    Build,
    Deploy,
    Logging,
    /// Replaced, never merged.
    Replace,
    /// A list or a mapping of `KEY=value`: both sides become lists, then append.
    KeyValues,
    /// A list of names or a mapping by name: both sides become mappings, then merge.
    Names,
    Other,
}

impl At {
    fn child(self, key: &str) -> At {
        match self {
            At::Root if key == "services" => At::Services,
            At::Services => At::Service,
            At::Service => match key {
                "command" | "entrypoint" => At::Replace,
                "healthcheck" => At::Healthcheck,
                "environment" | "labels" | "annotations" | "sysctls" | "tmpfs" | "env_file"
                | "label_file" | "dns" | "dns_opt" | "dns_search" | "extra_hosts" => At::KeyValues,
                "networks" | "depends_on" | "models" => At::Names,
                "logging" => At::Logging,
                "build" => At::Build,
                "deploy" => At::Deploy,
                _ => At::Other,
            },
            At::Healthcheck if key == "test" => At::Replace,
            At::Build => match key {
                "args" | "labels" | "additional_contexts" | "extra_hosts" => At::KeyValues,
                _ => At::Other,
            },
            At::Deploy if key == "labels" => At::KeyValues,
            _ => At::Other,
        }
    }
}

fn merge(base: &mut Node, over: Node, at: At, key: &str) -> Result<(), ComposeError> {
    if base.is_reset() || over.is_reset() || over.tag == Tag::Override {
        *base = over;
        return Ok(());
    }
    if over.is_null() {
        return Ok(());
    }
    match at {
        At::Replace => *base = over,
        At::KeyValues => {
            let span = base.span;
            let mut items = key_values(std::mem::replace(base, placeholder(&span)));
            items.extend(key_values(over));
            *base = Node {
                value: Value::Seq(items),
                span,
                tag: Tag::None,
            };
        }
        At::Names => {
            names(base, key)?;
            let over = names_of(over, key)?;
            if let Value::Map(map) = &mut base.value {
                merge_maps(map, over, At::Other)?;
            }
        }
        At::Logging if driver(base) != driver(&over) && driver(base).is_some() => {
            if driver(&over).is_some() {
                *base = over;
            } else {
                generic(base, over, at, key)?;
            }
        }
        At::Build => {
            build_as_map(base);
            let mut over = over;
            build_as_map(&mut over);
            generic(base, over, at, key)?;
        }
        _ => generic(base, over, at, key)?,
    }
    Ok(())
}

fn generic(base: &mut Node, over: Node, at: At, key: &str) -> Result<(), ComposeError> {
    match (&mut base.value, over.value) {
        (Value::Map(base), Value::Map(over)) => merge_maps(base, over, at),
        (Value::Seq(base), Value::Seq(over)) => {
            base.extend(over);
            Ok(())
        }
        (Value::Map(_) | Value::Seq(_), value) => {
            let over = Node {
                value,
                span: over.span,
                tag: over.tag,
            };
            Err(ComposeError::CannotMerge {
                message: format!("it is {} here and {} before", over.kind(), base.kind()),
                span: over.span,
                base: base.span,
                key: key.to_string(),
            })
        }
        (Value::Scalar(_), value) => {
            *base = Node {
                value,
                span: over.span,
                tag: over.tag,
            };
            Ok(())
        }
    }
}

fn merge_maps(base: &mut Map, over: Map, at: At) -> Result<(), ComposeError> {
    base.add_allows(over.allows);
    // `services` can have thousands of entries: index them instead of searching each time.
    let mut index: Option<HashMap<String, usize>> = (base.entries.len() > 8).then(|| {
        base.entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.key.clone(), i))
            .collect()
    });
    for entry in over.entries {
        let found = match &index {
            Some(index) => index.get(&entry.key).copied(),
            None => base.entries.iter().position(|e| e.key == entry.key),
        };
        match found {
            Some(i) => merge(
                &mut base.entries[i].value,
                entry.value,
                at.child(&entry.key),
                &entry.key,
            )?,
            None => {
                if let Some(index) = &mut index {
                    index.insert(entry.key.clone(), base.entries.len());
                }
                base.entries.push(entry);
            }
        }
    }
    Ok(())
}

fn placeholder(span: &crate::source::Span) -> Node {
    Node::scalar("", Style::Plain, *span)
}

/// A `KEY=value` list from a list, a mapping or a single string.
fn key_values(node: Node) -> Vec<Node> {
    match node.value {
        Value::Seq(items) => items,
        Value::Map(map) => {
            let mut items = Vec::with_capacity(map.entries.len());
            for entry in map.entries {
                let Entry {
                    key,
                    key_span,
                    value,
                } = entry;
                match value.value {
                    _ if value.is_null() => {
                        items.push(Node::scalar(key, Style::Quoted, key_span));
                    }
                    Value::Scalar(scalar) => {
                        let mut item = Node::scalar(
                            format!("{key}={}", scalar.text),
                            Style::Quoted,
                            value.span,
                        );
                        if let Value::Scalar(item) = &mut item.value {
                            item.note = scalar.note;
                        }
                        items.push(item);
                    }
                    Value::Seq(values) => items.extend(values.into_iter().filter_map(|v| {
                        let text = v.as_str()?.to_string();
                        Some(Node::scalar(format!("{key}={text}"), Style::Quoted, v.span))
                    })),
                    Value::Map(_) => {}
                }
            }
            items
        }
        Value::Scalar(_) if node.is_null() => Vec::new(),
        Value::Scalar(_) => vec![node],
    }
}

/// Rewrites a list of names as a mapping of names to null, in place.
fn names(node: &mut Node, key: &str) -> Result<(), ComposeError> {
    let span = node.span;
    let taken = std::mem::replace(node, placeholder(&span));
    *node = Node {
        value: Value::Map(names_of(taken, key)?),
        span,
        tag: Tag::None,
    };
    Ok(())
}

fn names_of(node: Node, key: &str) -> Result<Map, ComposeError> {
    match node.value {
        Value::Map(map) => Ok(map),
        Value::Seq(items) => {
            let mut map = Map::default();
            for item in items {
                let Some(name) = item.as_str().map(str::to_string) else {
                    return Err(ComposeError::invalid(
                        &item.span,
                        format!("`{key}` lists names, and this is not one"),
                    ));
                };
                map.entries.push(Entry {
                    key: name,
                    key_span: item.span,
                    value: Node::scalar("", Style::Plain, item.span),
                });
            }
            Ok(map)
        }
        Value::Scalar(_) if node.is_null() => Ok(Map::default()),
        Value::Scalar(_) => Err(ComposeError::invalid(
            &node.span,
            format!("`{key}` must be a list or a mapping"),
        )),
    }
}

fn driver(logging: &Node) -> Option<&str> {
    logging.as_map()?.get("driver")?.as_str()
}

fn build_as_map(node: &mut Node) {
    if let Value::Scalar(_) = node.value {
        let span = node.span;
        let context = std::mem::replace(node, placeholder(&span));
        *node = Node {
            value: Value::Map(Map {
                entries: vec![Entry {
                    key: "context".to_string(),
                    key_span: span,
                    value: context,
                }],
                allows: Box::default(),
            }),
            span,
            tag: Tag::None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::compose::yaml::parse;
    use crate::source::Sources;
    use std::path::Path;

    /// Parses the documents of `text` and merges them in order, like `-f` files.
    fn merged(text: &str) -> Result<Node, ComposeError> {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), text.to_string());
        let parsed = parse(text, file)?;
        let mut project = None;
        for document in parsed.documents.into_iter().flatten() {
            merge_layer(&mut project, document)?;
        }
        Ok(project.unwrap())
    }

    fn service(root: &Node) -> &Map {
        root.as_map()
            .and_then(|m| m.get("services"))
            .and_then(Node::as_map)
            .and_then(|m| m.get("s"))
            .and_then(Node::as_map)
            .unwrap()
    }

    fn strings(node: Option<&Node>) -> Vec<&str> {
        node.and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect()
    }

    #[test]
    fn scalars_replace_mappings_merge_sequences_append() {
        let root = merged(
            "services:\n  s:\n    user: '1000'\n    read_only: true\n    cap_drop: [NET_RAW]\n    security_opt: [a]\n\
             ---\nservices:\n  s:\n    user: '0'\n    cap_drop: [ALL]\n    security_opt: [a]\n    image: x\n",
        )
        .unwrap();
        let s = service(&root);
        assert_eq!(s.get("user").and_then(Node::as_str), Some("0"));
        assert_eq!(s.get("read_only").and_then(Node::as_str), Some("true"));
        assert_eq!(strings(s.get("cap_drop")), ["NET_RAW", "ALL"]);
        assert_eq!(strings(s.get("security_opt")), ["a", "a"]);
        assert_eq!(s.get("image").and_then(Node::as_str), Some("x"));
    }

    #[test]
    fn reset_removes_and_stays_as_a_tombstone() {
        let root = merged(
            "services:\n  s:\n    read_only: true\n    ports: ['80:80']\n\
             ---\nservices:\n  s:\n    read_only: !reset null\n    ports: !reset []\n\
             ---\nservices:\n  s:\n    ports: ['8080:80']\n",
        )
        .unwrap();
        let s = service(&root);
        assert!(s.get("read_only").unwrap().is_reset());
        assert_eq!(strings(s.get("ports")), ["8080:80"]);
    }

    #[test]
    fn override_replaces() {
        let root = merged(
            "services:\n  s:\n    cap_drop: [ALL]\n---\nservices:\n  s:\n    cap_drop: !override [NET_RAW]\n",
        )
        .unwrap();
        assert_eq!(strings(service(&root).get("cap_drop")), ["NET_RAW"]);
    }

    #[test]
    fn special_keys() {
        let root = merged(
            "services:\n  s:\n    command: [a, b]\n    environment: {A: '1', B: null}\n    networks: [front]\n    tmpfs: /tmp\n    healthcheck: {test: [CMD, a], interval: 5s}\n    logging: {driver: json-file, options: {max-size: 1m}}\n\
             ---\nservices:\n  s:\n    command: [c]\n    environment: [C=3]\n    networks: {back: {}}\n    tmpfs: [/run]\n    healthcheck: {test: [CMD, b]}\n    logging: {driver: local}\n",
        )
        .unwrap();
        let s = service(&root);
        assert_eq!(strings(s.get("command")), ["c"]);
        assert_eq!(strings(s.get("environment")), ["A=1", "B", "C=3"]);
        let networks = s.get("networks").and_then(Node::as_map).unwrap();
        let names: Vec<_> = networks.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(names, ["front", "back"]);
        assert_eq!(strings(s.get("tmpfs")), ["/tmp", "/run"]);
        let health = s.get("healthcheck").and_then(Node::as_map).unwrap();
        assert_eq!(strings(health.get("test")), ["CMD", "b"]);
        assert!(health.get("interval").is_some());
        let logging = s.get("logging").and_then(Node::as_map).unwrap();
        assert!(logging.get("options").is_none(), "another driver replaces");
    }

    #[test]
    fn null_keeps_the_earlier_value() {
        let root =
            merged("services:\n  s:\n    user: '1'\n---\nservices:\n  s:\n    user:\n").unwrap();
        assert_eq!(service(&root).get("user").and_then(Node::as_str), Some("1"));
    }

    #[test]
    fn a_list_onto_a_mapping_is_an_error() {
        let error =
            merged("services:\n  s:\n    deploy: {}\n---\nservices:\n  s:\n    deploy: []\n")
                .unwrap_err();
        assert!(matches!(error, ComposeError::CannotMerge { .. }), "{error}");
    }

    #[test]
    fn large_mappings_merge_by_index() {
        let base: String = (0..50)
            .map(|i| format!("  s{i}: {{user: '1'}}\n"))
            .collect();
        let root = merged(&format!(
            "services:\n{base}---\nservices:\n  s7: {{user: '0'}}\n  new: {{}}\n"
        ))
        .unwrap();
        let services = root
            .as_map()
            .and_then(|m| m.get("services"))
            .and_then(Node::as_map)
            .unwrap();
        assert_eq!(services.entries.len(), 51);
        let s7 = services.get("s7").and_then(Node::as_map).unwrap();
        assert_eq!(s7.get("user").and_then(Node::as_str), Some("0"));
    }
}
