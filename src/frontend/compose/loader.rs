//! Reading files and putting a project together: each file's documents, in order, become
//! layers; each layer gets its `include`s imported and its `extends` resolved, then merges onto
//! the layers before it. This is compose-go's order (`loadYamlFile`): interpolate, include,
//! extends, merge.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::allow;
use super::error::ComposeError;
use super::extends::Table;
use super::interpolate::{self, Env};
use super::merge;
use super::tree::Node;
use super::yaml;
use crate::lint::Finding;
use crate::lint::rules::mcp101_obsolete_version::RULE as OBSOLETE_VERSION;
use crate::source::{FileId, Sources, Span};

/// The largest compose file mcpgen reads; anything bigger is refused before it is read whole.
pub(crate) const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

pub(crate) struct Loader<'a> {
    pub(crate) sources: &'a mut Sources,
    pub(crate) env: Env<'a>,
    pub(crate) notes: Vec<Finding>,
    /// Interpolations Compose would refuse, gathered over every file before giving up, so one
    /// run reports them all.
    pub(crate) refused: Vec<ComposeError>,
    /// Files whose `include`s are being loaded, outermost first: meeting one again is a cycle.
    pub(super) including: Vec<PathBuf>,
    /// Files read as the base of an `extends`, each read once.
    pub(super) bases: Vec<Table>,
    pub(super) base_index: HashMap<PathBuf, usize>,
}

/// One file's documents: parsed, interpolated, inline allows attached.
pub(crate) struct ReadFile {
    pub(crate) file: FileId,
    pub(crate) documents: Vec<Node>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(sources: &'a mut Sources, env: Env<'a>) -> Self {
        Self {
            sources,
            env,
            notes: Vec::new(),
            refused: Vec::new(),
            including: Vec::new(),
            bases: Vec::new(),
            base_index: HashMap::new(),
        }
    }

    /// Loads files as `docker compose -f a.yml -f b.yml` does: each file's documents are
    /// layers, merged in order. `named_at` is the `include` that named the files, if any.
    pub(crate) fn project(
        &mut self,
        files: &[PathBuf],
        named_at: Option<&Span>,
    ) -> Result<Option<Node>, ComposeError> {
        let mut project = None;
        for path in files {
            let read = self.read(path, named_at)?;
            self.layers(read, path, &mut project)?;
        }
        Ok(project)
    }

    /// Merges the documents of a file onto `project`, each after its includes and extends.
    pub(crate) fn layers(
        &mut self,
        read: ReadFile,
        path: &Path,
        project: &mut Option<Node>,
    ) -> Result<(), ComposeError> {
        let dir = parent(path);
        for mut document in read.documents {
            if let Some(root) = document.as_map_mut() {
                self.apply_include(root, path, &dir)?;
                self.resolve_extends(root, read.file, &dir)?;
            }
            merge::merge_layer(project, document)?;
        }
        Ok(())
    }

    /// Reads, parses and interpolates one file.
    pub(crate) fn read(
        &mut self,
        path: &Path,
        named_at: Option<&Span>,
    ) -> Result<ReadFile, ComposeError> {
        let text = read_text(path, named_at, MAX_FILE_BYTES)?;
        let file = self.sources.add(path, text);
        self.parse(file)
    }

    /// Parses and interpolates a file already in the sources.
    pub(crate) fn parse(&mut self, file: FileId) -> Result<ReadFile, ComposeError> {
        let text = &self.sources.get(file).text;
        // Most files use no variables: skip the interpolation walk for them.
        let interpolates = text.contains('$');
        let parsed = yaml::parse(text, file)?;
        let mut documents = parsed.documents;
        let warnings = allow::attach_inline(text, file, &mut documents, &parsed.literal_ranges)?;
        self.notes.extend(warnings);
        let mut roots = Vec::with_capacity(documents.len());
        for mut document in documents.into_iter().flatten() {
            if document.is_null() {
                continue;
            }
            let Some(root) = document.as_map() else {
                return Err(ComposeError::invalid(
                    &document.span,
                    format!(
                        "a compose file is a mapping of top-level keys (`services`, …), not {}",
                        document.kind()
                    ),
                ));
            };
            if let Some(version) = root.entry("version") {
                self.notes.push(Finding::raised(
                    &OBSOLETE_VERSION,
                    "",
                    "the top-level `version` is obsolete; Compose ignores it",
                    version.key_span,
                    "remove `version`: every Compose file follows the one Compose Specification",
                ));
            }
            if interpolates {
                interpolate::apply(
                    &mut document,
                    "",
                    self.env,
                    text,
                    &mut self.notes,
                    &mut self.refused,
                );
            }
            roots.push(document);
        }
        Ok(ReadFile {
            file,
            documents: roots,
        })
    }
}

/// The directory relative paths in a file are resolved against.
pub(crate) fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The path that identifies a file whatever way it was named (for cycles and caching).
pub(crate) fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads a file as UTF-8, refusing one over `limit` bytes before reading it all.
pub(crate) fn read_text(
    path: &Path,
    named_at: Option<&Span>,
    limit: u64,
) -> Result<String, ComposeError> {
    if is_remote(path) {
        return Err(ComposeError::Remote {
            path: path.to_path_buf(),
            named_at: named_at.cloned(),
        });
    }
    let io = |source| ComposeError::Io {
        path: path.to_path_buf(),
        source,
        named_at: named_at.cloned(),
    };
    let too_large = |size| ComposeError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    let not_a_file = |kind| ComposeError::NotAFile {
        path: path.to_path_buf(),
        kind,
        named_at: named_at.cloned(),
    };
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    if let Some(kind) = crate::source::not_a_file(&std::fs::metadata(path).map_err(io)?) {
        return Err(not_a_file(kind));
    }
    let file = File::open(path).map_err(io)?;
    // And again on what was opened, in case the path changed in between.
    let metadata = file.metadata().map_err(io)?;
    if let Some(kind) = crate::source::not_a_file(&metadata) {
        return Err(not_a_file(kind));
    }
    let size = metadata.len();
    if size > limit {
        return Err(too_large(size));
    }
    // The metadata can lie (a pipe, a growing file): never read past the limit either way.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| ComposeError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// `git@…`, `https://…`, `oci://…`: sources Compose can fetch and mcpgen does not.
fn is_remote(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.contains("://") || text.starts_with("git@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_are_refused_before_being_read() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let error = read_text(&path, None, 10).unwrap_err();
        assert!(
            matches!(error, ComposeError::TooLarge { limit: 10, .. }),
            "{error}"
        );
        assert!(read_text(&path, None, MAX_FILE_BYTES).is_ok());
    }

    #[test]
    fn what_is_not_a_file_is_refused_before_it_is_opened() {
        for (path, kind) in [
            ("/dev/zero", "a character device"),
            ("/dev/null", "a character device"),
            ("/", "a directory"),
        ] {
            let error = read_text(Path::new(path), None, 1 << 16).unwrap_err();
            assert!(
                matches!(error, ComposeError::NotAFile { kind: k, .. } if k == kind),
                "{path}: {error}"
            );
        }
    }

    #[test]
    fn remote_files_are_not_covered() {
        for remote in [
            "oci://docker.io/x/compose:1",
            "https://example.com/c.yml",
            "git@github.com:x/y.git",
        ] {
            let error = read_text(Path::new(remote), None, MAX_FILE_BYTES).unwrap_err();
            assert!(error.to_string().contains("not covered"), "{error}");
        }
    }
}
