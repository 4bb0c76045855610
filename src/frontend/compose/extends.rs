//! `extends`: a service starts as a copy of another (in the same document, or in another file
//! named relative to the extending file) and merges its own settings onto it with the same
//! rules as a later file ([`super::merge`]). compose-go's `ApplyExtends`, as far as linting
//! needs: the base is resolved first (chains work, cycles are errors), a base file is read with
//! its own interpolation and `extends` but without its `include`s, and a base that cannot be
//! found is an error: mcpgen cannot say what Compose would run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::ComposeError;
use super::loader::{Loader, identity, parent};
use super::merge;
use super::tree::{Entry, Node, Style, Value};
use crate::source::{FileId, Span};

/// Longest `extends` chain followed; real ones are a few links long.
const MAX_CHAIN: usize = 64;

/// The services of one document or base file, resolved lazily.
pub(crate) struct Table {
    dir: PathBuf,
    /// The file as the user knows it, for messages.
    name: String,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    state: Vec<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    /// Being resolved: meeting it again is a cycle.
    Active,
    Done,
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Document,
    Base(usize),
}

impl Table {
    fn new(dir: PathBuf, name: String, entries: Vec<Entry>) -> Self {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.key.clone(), i))
            .collect();
        let state = vec![State::Pending; entries.len()];
        Self {
            dir,
            name,
            entries,
            index,
            state,
        }
    }
}

/// Where a service's `extends` points.
struct Extends {
    base: String,
    base_span: Span,
    file: Option<(String, Span)>,
    span: Span,
}

impl Loader<'_> {
    /// Resolves the `extends` of every service of a document, in place.
    pub(crate) fn resolve_extends(
        &mut self,
        root: &mut super::tree::Map,
        file: FileId,
        dir: &Path,
    ) -> Result<(), ComposeError> {
        let Some(services) = root.get_mut("services").and_then(Node::as_map_mut) else {
            return Ok(());
        };
        let extends = |entry: &Entry| {
            entry
                .value
                .as_map()
                .is_some_and(|service| service.get("extends").is_some())
        };
        if !services.entries.iter().any(extends) {
            return Ok(());
        }
        let name = self.sources.get(file).display_path.clone();
        let mut document = Table::new(
            dir.to_path_buf(),
            name,
            std::mem::take(&mut services.entries),
        );
        let mut result = Ok(());
        for index in 0..document.entries.len() {
            result = self.resolve(&mut document, Which::Document, index, &mut Vec::new(), None);
            if result.is_err() {
                break;
            }
        }
        services.entries = document.entries;
        result
    }

    fn table<'t>(&'t mut self, document: &'t mut Table, which: Which) -> &'t mut Table {
        match which {
            Which::Document => document,
            Which::Base(index) => &mut self.bases[index],
        }
    }

    /// Resolves one service (and, first, the chain of bases under it).
    fn resolve(
        &mut self,
        document: &mut Table,
        which: Which,
        index: usize,
        chain: &mut Vec<String>,
        from: Option<&Span>,
    ) -> Result<(), ComposeError> {
        let table = self.table(document, which);
        let link = format!("`{}` ({})", table.entries[index].key, table.name);
        match table.state[index] {
            State::Done => return Ok(()),
            State::Active => {
                chain.push(link);
                return Err(ComposeError::ExtendsCycle {
                    span: from
                        .cloned()
                        .unwrap_or_else(|| table.entries[index].key_span),
                    chain: chain.join(" → "),
                });
            }
            State::Pending => {}
        }
        let service = &mut table.entries[index];
        let Some(entry) = service
            .value
            .as_map_mut()
            .and_then(|map| map.remove("extends"))
        else {
            table.state[index] = State::Done;
            return Ok(());
        };
        if entry.value.is_null() || entry.value.is_reset() {
            table.state[index] = State::Done;
            return Ok(());
        }
        let name = service.key.clone();
        if chain.len() >= MAX_CHAIN {
            return Err(ComposeError::ExtendsTooDeep {
                span: entry.value.span,
                service: name,
                limit: MAX_CHAIN,
            });
        }
        let extends = parse_extends(&entry.value)?;
        table.state[index] = State::Active;
        chain.push(link);

        let base_which = match &extends.file {
            None => which,
            Some((file, span)) => {
                let path = table.dir.join(file);
                Which::Base(self.load_base(&path, span)?)
            }
        };
        let base_table = self.table(document, base_which);
        let Some(&base_index) = base_table.index.get(&extends.base) else {
            return Err(ComposeError::UnresolvedExtends {
                span: extends.base_span,
                service: name,
                base: extends.base,
                in_file: extends.file.map(|(file, _)| file),
            });
        };
        self.resolve(document, base_which, base_index, chain, Some(&extends.span))?;
        chain.pop();

        let base = &self.table(document, base_which).entries[base_index].value;
        if base.as_map().is_none() {
            return Err(ComposeError::invalid(
                &extends.base_span,
                format!(
                    "service `{}` is not a mapping and cannot be extended",
                    extends.base
                ),
            ));
        }
        let mut merged = base.clone_as_base();
        let table = self.table(document, which);
        let placeholder = Node::scalar("", Style::Plain, extends.span);
        let own = std::mem::replace(&mut table.entries[index].value, placeholder);
        merge::merge_service(&mut merged, own)?;
        table.entries[index].value = merged;
        table.state[index] = State::Done;
        Ok(())
    }

    /// Reads the file an `extends` names, once: its documents merged, its own `extends`
    /// resolved as they are needed, its `include`s not loaded (as in Compose).
    fn load_base(&mut self, path: &Path, named_at: &Span) -> Result<usize, ComposeError> {
        let key = identity(path);
        if let Some(&index) = self.base_index.get(&key) {
            return Ok(index);
        }
        let read = self.read(path, Some(named_at))?;
        let name = self.sources.get(read.file).display_path.clone();
        let mut root = None;
        for document in read.documents {
            merge::merge_layer(&mut root, document)?;
        }
        let entries = root
            .and_then(|root| match root.value {
                Value::Map(mut map) => map.remove("services").map(|entry| entry.value),
                _ => None,
            })
            .and_then(|services| match services.value {
                Value::Map(map) => Some(map.entries),
                _ => None,
            })
            .unwrap_or_default();
        self.bases.push(Table::new(parent(path), name, entries));
        self.base_index.insert(key, self.bases.len() - 1);
        Ok(self.bases.len() - 1)
    }
}

/// `extends: name`, or `extends: { service: name, file: other.yml }`.
fn parse_extends(node: &Node) -> Result<Extends, ComposeError> {
    if let Some(base) = node.as_str() {
        return Ok(Extends {
            base: base.to_string(),
            base_span: node.span,
            file: None,
            span: node.span,
        });
    }
    let Some(map) = node.as_map() else {
        return Err(ComposeError::invalid(
            &node.span,
            "`extends` is a service name or `{ service: name, file: path }`",
        ));
    };
    let Some(service) = map
        .get("service")
        .filter(|service| service.as_str().is_some())
    else {
        return Err(ComposeError::invalid(
            &node.span,
            "`extends` needs `service`, the name of the service to extend",
        ));
    };
    let file = match map.get("file").filter(|file| !file.is_null()) {
        Some(file) => match file.as_str() {
            Some(path) => Some((path.to_string(), file.span)),
            None => {
                return Err(ComposeError::invalid(
                    &file.span,
                    "`extends.file` is a path",
                ));
            }
        },
        None => None,
    };
    Ok(Extends {
        base: service.as_str().unwrap_or_default().to_string(),
        base_span: service.span,
        file,
        span: node.span,
    })
}
