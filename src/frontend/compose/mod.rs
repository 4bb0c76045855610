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
use tree::{Node, Tag, Value};

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
    let mut loader = Loader::new(sources, env);
    match loader.project(files, None) {
        Ok(project) => finish(loader, project, files),
        Err(error) => Err(ComposeError::with_earlier(loader.refused, error)),
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

/// The views of a merged project, and the notes gathered on the way.
fn finish(
    loader: Loader<'_>,
    project: Option<Node>,
    files: &[PathBuf],
) -> Result<ComposeProject, ComposeError> {
    if !loader.refused.is_empty() {
        return Err(ComposeError::Several(loader.refused));
    }
    let mut notes = loader.notes;
    let Some(mut root) = project else {
        return Ok(ComposeProject {
            services: Vec::new(),
            notes,
        });
    };
    let services = root
        .as_map_mut()
        .and_then(|root| root.remove("services"))
        .map(|entry| entry.value);
    let entries = match services {
        Some(Node {
            value: Value::Map(map),
            tag,
            ..
        }) if tag != Tag::Reset => map.entries,
        _ => Vec::new(),
    };
    let top = |key: &str| {
        root.as_map()
            .and_then(|root| root.get(key))
            .and_then(Node::as_map)
    };
    let context = view::Project {
        networks: top("networks"),
        volumes: top("volumes"),
        bases: base_directories(loader.sources, files),
        home: (loader.env)("HOME"),
    };
    let mut checks = checks::Checks::default();
    let mut views = Vec::with_capacity(entries.len());
    // Each service's tree is dropped as soon as its view is built, so the two never both
    // hold the whole project.
    // Every service Compose would refuse is reported, not only the first.
    let mut refused = Vec::new();
    for entry in entries.into_iter().filter(|entry| !entry.value.is_reset()) {
        checks.service(&entry);
        match view::service(&entry.key, &entry.key_span, &entry.value, &context) {
            Ok(view) => views.push(view),
            Err(error) => refused.push(error),
        }
    }
    match refused.len() {
        0 => {}
        1 => return Err(refused.remove(0)),
        _ => return Err(ComposeError::Several(refused)),
    }
    notes.extend(checks.notes);
    shared_network::resolve(&mut views);
    Ok(ComposeProject {
        services: views,
        notes,
    })
}
