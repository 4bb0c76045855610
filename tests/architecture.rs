//! The stages of `src/` depend only downwards. Each top-level module has a rank; a module may
//! name (in code or in a doc link) only modules of a lower rank. Lint and config share a rank,
//! so neither may reach the other; so do the two consumers of the model, render and lint's
//! front ends. The run-time parts sit beside the compile path and reach into it no higher
//! than the writer. docs/architecture.md draws the same picture.

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first. A module not listed here fails the test: place it before adding it.
const RANKS: &[(&str, u32)] = &[
    // Foundations: spans and files, what a secret looks like, the MCP protocol, the keeper.
    ("source", 0),
    ("secrets", 0),
    ("mcp", 0),
    ("keeper", 0),
    ("diag", 1),
    // The resolved stack and the names every stage agrees on.
    ("model", 2),
    ("config", 3),
    ("lint", 3),
    ("frontend", 4),
    ("render", 4),
    ("write", 5),
    ("fix", 6),
    ("install", 6),
    ("init", 6),
    ("helper", 6),
    ("runtime", 6),
    ("compile", 6),
    ("doctor", 7),
    // Gathers every stage's errors for the command line.
    ("error", 8),
    ("cli", 9),
];

fn rank(module: &str) -> Option<u32> {
    RANKS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, r)| *r)
}

/// Every `crate::<module>` a text names, grouped imports (`use crate::{a, b::c}`) included.
fn named_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found.retain(|name| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    });
    found
}

fn rust_files(path: &Path, files: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        entries.sort();
        for entry in entries {
            rust_files(&entry, files);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        files.push(path.to_path_buf());
    }
}

#[test]
fn no_stage_depends_on_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("src: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("src: {e}")).path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        // The crate root and the binaries stand above every stage.
        if ["lib", "main", "bin"].contains(&stem) {
            continue;
        }
        if rank(stem).is_none() {
            unplaced.push(stem.to_string());
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
            for named in named_modules(&text) {
                if named != stem {
                    let shown = file
                        .strip_prefix(&src)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    edges.entry((stem.to_string(), named)).or_insert(shown);
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "give these modules a rank in RANKS: {unplaced:?}"
    );
    let back_edges: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| match (rank(from), rank(to)) {
            (Some(from), Some(to)) => to >= from,
            // An item of the crate root: above every stage.
            _ => true,
        })
        .map(|((from, to), file)| format!("{from} -> {to} (first in src/{file})"))
        .collect();
    assert!(
        back_edges.is_empty(),
        "a stage depends on one at its own rank or higher:\n{}",
        back_edges.join("\n")
    );
}

#[test]
fn grouped_and_plain_imports_are_both_seen() {
    let text = "use crate::{model::Stack, source};\nfn f() { crate::write::apply(); }";
    assert_eq!(named_modules(text), ["model", "source", "write"]);
}
