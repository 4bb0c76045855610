//! `include`: other compose projects imported into this one (compose-spec `14-include.md`).
//! Each entry is loaded as a project of its own (its files relative to the including file,
//! its own includes, extends and merges), then its services, networks and volumes are added;
//! one that is also defined here, differently, is an error, as in Compose.
//!
//! `project_directory` and `env_file` of an entry are not read: the included files are
//! interpolated with the same environment as the rest.

use std::collections::HashMap;
use std::path::Path;

use super::error::ComposeError;
use super::loader::{Loader, identity};
use super::tree::{Entry, Map, Node, Tag, Value};

/// The resources an include adds; the rest of an included file stays in it.
const IMPORTED: [&str; 3] = ["services", "networks", "volumes"];

impl Loader<'_> {
    /// Loads the `include`s of a document and adds what they define to it.
    pub(crate) fn apply_include(
        &mut self,
        root: &mut Map,
        path: &Path,
        dir: &Path,
    ) -> Result<(), ComposeError> {
        let Some(entry) = root.remove("include") else {
            return Ok(());
        };
        if entry.value.is_null() || entry.value.is_reset() {
            return Ok(());
        }
        let Some(items) = entry.value.as_seq() else {
            return Err(ComposeError::invalid(
                &entry.value.span,
                "`include` is a list of files (or of `{ path: … }`)",
            ));
        };
        self.including.push(identity(path));
        for item in items {
            let files: Vec<_> = include_paths(item)?
                .into_iter()
                .map(|file| dir.join(file))
                .collect();
            if let Some(first) = files.first() {
                let first = identity(first);
                if self.including.contains(&first) {
                    let chain: Vec<String> = self
                        .including
                        .iter()
                        .chain([&first])
                        .map(|path| format!("`{}`", path.display()))
                        .collect();
                    return Err(ComposeError::IncludeCycle {
                        span: item.span,
                        chain: chain.join(" → "),
                    });
                }
            }
            if let Some(imported) = self.project(&files, Some(&item.span))? {
                import(root, imported)?;
            }
        }
        self.including.pop();
        Ok(())
    }
}

/// The files of one `include` entry: `file.yml`, or `{ path: file.yml }`, or
/// `{ path: [base.yml, override.yml] }`.
fn include_paths(item: &Node) -> Result<Vec<&str>, ComposeError> {
    if let Some(path) = item.as_str() {
        return Ok(vec![path]);
    }
    let path = item.as_map().and_then(|map| map.get("path"));
    let paths = match path.map(|path| &path.value) {
        Some(Value::Scalar(scalar)) => vec![scalar.text.as_str()],
        Some(Value::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    };
    if paths.is_empty() {
        return Err(ComposeError::invalid(
            &item.span,
            "an `include` entry is a path or `{ path: … }`",
        ));
    }
    Ok(paths)
}

/// Adds an included project's resources to the including document.
fn import(root: &mut Map, imported: Node) -> Result<(), ComposeError> {
    let Value::Map(mut imported) = imported.value else {
        return Ok(());
    };
    for kind in IMPORTED {
        let Some(from) = imported.remove(kind).map(|entry| entry.value) else {
            continue;
        };
        let from_span = from.span;
        let Value::Map(from) = from.value else {
            continue;
        };
        if root.get(kind).is_none() {
            root.entries.push(Entry {
                key: kind.to_string(),
                key_span: from_span,
                value: Node {
                    value: Value::Map(Map::default()),
                    span: from_span,
                    tag: Tag::None,
                },
            });
        }
        let Some(to) = root.get_mut(kind).and_then(Node::as_map_mut) else {
            continue;
        };
        let mut index: HashMap<String, usize> = to
            .entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.key.clone(), i))
            .collect();
        for entry in from.entries {
            match index.get(&entry.key) {
                Some(&i) if to.entries[i].value.same_value(&entry.value) => {}
                Some(&i) => {
                    return Err(ComposeError::IncludeConflict {
                        span: to.entries[i].key_span,
                        other: entry.key_span,
                        what: format!("{} `{}`", singular(kind), entry.key),
                    });
                }
                None => {
                    index.insert(entry.key.clone(), to.entries.len());
                    to.entries.push(entry);
                }
            }
        }
    }
    Ok(())
}

fn singular(kind: &str) -> &str {
    kind.strip_suffix('s').unwrap_or(kind)
}
