//! The compose front end: compose files in, [`ServiceView`]s out, so `mcpgen lint` judges a
//! hand-written stack with the same rules as `mcp.toml`.
//!
//! What is linted is what Compose would run:
//!
//! - YAML anchors, aliases and `<<` merge keys are resolved (`yaml.rs`); a value copied from an
//!   anchor keeps the span of the anchor's definition, where it can be changed.
//! - Files are layers merged in order, like `docker compose -f a.yml -f b.yml`; **each YAML
//!   document of a multi-document file is a layer of its own**, in order, as compose-go loads
//!   them. `!reset` and `!override` work across layers (`merge.rs`).
//! - Interpolation (`${VAR:-default}` and friends) happens per file, before merging, with the
//!   environment given to [`load`] (`interpolate.rs`).
//! - `include` is resolved: files relative to the including file (`include.rs`); `extends` is
//!   merged, in the same file or another (`extends.rs`). What cannot be resolved is an error.
//! - Variables come from the process environment, then from `.env` beside the first file (or
//!   the `--env-file`s given instead), as Compose takes them (`dotenv.rs`).
//! - Every service is linted, whatever its `profiles`; top-level `x-` keys are not services,
//!   but what they bring in through anchors is linted where it lands.
//! - Suppressions: `x-mcpgen.allow` and inline `# mcpgen: allow` comments (`allow.rs`).

mod allow;
mod checks;
mod dotenv;
mod error;
mod extends;
mod include;
mod interpolate;
mod loader;
mod merge;
mod scalar;
mod shared_network;
mod syntax;
mod tree;
mod view;
mod yaml;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use error::ComposeError;
use loader::Loader;
use tree::{Entry, Node, Tag, Value};

use crate::lint::{Finding, ServiceView};
use crate::source::Sources;

/// The services of a compose project, ready for [`crate::lint::run`].
#[derive(Debug, Default)]
pub struct ComposeProject {
    /// One view per service, in the order of the merged project.
    pub services: Vec<ServiceView>,
    /// Findings about the files rather than the services' hardening (MCP101 on): an obsolete
    /// `version`, duplicate container names, an unset required variable, an inline allow that
    /// applies to no service. They join the rules' findings in every output format.
    pub notes: Vec<Finding>,
}

/// The variables a project is interpolated with besides the process environment (`process`):
/// `.env` beside the first of `files`, or the `env_files` given instead (`--env-file`), read
/// into `sources`. Compose's order: the process environment first, then these.
pub fn project_variables(
    sources: &mut Sources,
    files: &[PathBuf],
    env_files: &[PathBuf],
    process: &dyn Fn(&str) -> Option<String>,
) -> Result<std::collections::HashMap<String, String>, ComposeError> {
    dotenv::project_variables(
        sources,
        files.first().map(PathBuf::as_path),
        env_files,
        process,
    )
}

/// Loads compose files as `docker compose -f <file>…` would merge them. Every file read,
/// included or extended is added to `sources`. `env` answers the environment's variables.
pub fn load(
    sources: &mut Sources,
    files: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ComposeProject, ComposeError> {
    read(sources, files, env)?.collect()
}

/// Reads and merges compose files as [`load`] does, leaving the services as a tree: each is
/// viewed by [`MergedProject::views`], one at a time, so a large project's views are never all
/// held at once.
pub fn read(
    sources: &mut Sources,
    files: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<MergedProject, ComposeError> {
    let mut loader = Loader::new(sources, env);
    match loader.project(files, None) {
        Ok(root) => merged(loader, root, files),
        Err(error) => Err(ComposeError::with_earlier(loader.refused, error)),
    }
}

/// The project a loader merged from `files` (`root`), with what it noted on the way.
fn merged(
    loader: Loader<'_>,
    mut root: Option<Node>,
    files: &[PathBuf],
) -> Result<MergedProject, ComposeError> {
    if !loader.refused.is_empty() {
        return Err(ComposeError::Several(loader.refused));
    }
    let bases = base_directories(loader.sources, files);
    let home = (loader.env)("HOME");
    let services = root
        .as_mut()
        .and_then(Node::as_map_mut)
        .and_then(|root| root.remove("services"))
        .map(|entry| entry.value);
    let services = match services {
        Some(Node {
            value: Value::Map(map),
            tag,
            ..
        }) if tag != Tag::Reset => map.entries,
        _ => Vec::new(),
    };
    Ok(MergedProject {
        services: services
            .into_iter()
            .filter(|entry| !entry.value.is_reset())
            .collect(),
        root,
        bases,
        home,
        notes: loader.notes,
    })
}

/// A merged compose project whose services are not viewed yet (see [`read`]).
#[derive(Debug)]
pub struct MergedProject {
    services: Vec<Entry>,
    /// The rest of the project: its top-level `networks` and `volumes` are what services are
    /// read against. None for an empty file.
    root: Option<Node>,
    bases: Vec<Option<PathBuf>>,
    home: Option<String>,
    notes: Vec<Finding>,
}

impl MergedProject {
    /// How many services the project has.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether the project has no service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Views every service, and holds them all.
    pub fn collect(self) -> Result<ComposeProject, ComposeError> {
        let mut services = Vec::with_capacity(self.len());
        let notes = self.views(|view| services.push(view))?;
        Ok(ComposeProject { services, notes })
    }

    /// Views each service in order and gives it to `each`; each service's tree is dropped once
    /// its view is built. Then the notes on the project (see [`ComposeProject::notes`]). Every
    /// service Compose would refuse is reported, not only the first, and a project with one is
    /// an error whatever `each` was given before it.
    pub fn views(self, mut each: impl FnMut(ServiceView)) -> Result<Vec<Finding>, ComposeError> {
        let top = |key: &str| {
            self.root
                .as_ref()
                .and_then(Node::as_map)
                .and_then(|root| root.get(key))
                .and_then(Node::as_map)
        };
        let context = view::Project {
            networks: top("networks"),
            volumes: top("volumes"),
            bases: self.bases,
            home: self.home,
        };
        // Where a service's network leads can depend on any other service: that much is read
        // from every service first.
        let identities: Vec<_> = self
            .services
            .iter()
            .map(|entry| view::identity(&entry.key, &entry.value))
            .collect();
        let peers = shared_network::resolve(&identities);
        drop(identities);
        let mut checks = checks::Checks::default();
        let mut refused = Vec::new();
        for (entry, peer) in self.services.into_iter().zip(peers) {
            checks.service(&entry);
            match view::service(&entry.key, &entry.key_span, &entry.value, &context, peer) {
                Ok(view) if refused.is_empty() => each(view),
                Ok(_) => {}
                Err(error) => refused.push(error),
            }
        }
        match refused.len() {
            0 => {}
            1 => return Err(refused.remove(0)),
            _ => return Err(ComposeError::Several(refused)),
        }
        let mut notes = self.notes;
        notes.extend(checks.notes);
        Ok(notes)
    }
}

/// Per file read, the directory its relative paths are relative to: the project directory
/// (the first file's) for the files given, a file's own directory for one it includes or
/// extends. Absolute, as compose-go makes it, but with symbolic links left alone.
fn base_directories(sources: &Sources, files: &[PathBuf]) -> Vec<Option<PathBuf>> {
    let absolute_parent = |path: &std::path::Path| {
        let dir = loader::parent(path);
        // A bare file name's parent is empty, which `absolute` refuses: it is the current one.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        std::path::absolute(dir).ok()
    };
    let project_dir = files.first().and_then(|first| absolute_parent(first));
    sources
        .files()
        .map(|file| {
            let path = &file.path;
            if files.contains(path) {
                project_dir.clone()
            } else {
                absolute_parent(path)
            }
        })
        .collect()
}
