//! Writing the rendered artifacts: compare first, refuse to clobber hand edits, then replace each
//! file atomically. Nothing is written unless every file can be. Every byte goes through
//! [`disk`], which holds the policy for links, modes, reads and backups.

/// Why the writer refused, or failed. Nothing is written when it refuses.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("generated files were changed by hand")]
    HandEdited { paths: Vec<String> },
    #[error("files not written by mcpgen are in the way")]
    Foreign { paths: Vec<String> },
    /// A link, a FIFO, a device where mcpgen writes or reads back its own files.
    #[error("`{}` is {what}", path.display())]
    UnsafeOutput { path: PathBuf, what: &'static str },
    /// The output directory holds the user's own files: a build there could replace them.
    #[error("`{}` holds {} file(s) that mcpgen did not write", out_dir.display(), paths.len())]
    UsersFilesInOutDir {
        out_dir: PathBuf,
        paths: Vec<String>,
    },
}

impl WriteError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> WriteError {
        let path = path.into();
        move |source| WriteError::Io {
            action,
            path,
            source,
        }
    }
}

pub(crate) mod disk;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::render::Artifact;
use crate::render::header::{Identity, Stamp, verify_for};
use disk::{Disk, Entry, Links, MAX_READ, Mode, RealDisk};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Create,
    Update {
        /// The file as it is; empty for a file mcpgen did not write, which is never shown.
        old: String,
    },
    /// A file mcpgen wrote that the stack no longer produces (e.g. a removed server's shim).
    Remove {
        old: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedChange {
    pub path: String,
    pub change: Change,
    /// The file on disk was edited by hand, or was never mcpgen's.
    pub conflict: Option<Stamp>,
}

/// Whose files `out_dir` holds: the stack's name and its config file's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub stack: &'a str,
    pub source: &'a str,
}

impl Owner<'_> {
    pub(crate) fn identity<'p>(&'p self, path: &'p str) -> Identity<'p> {
        Identity {
            source: self.source,
            stack: self.stack,
            path,
        }
    }
}

impl<'a> From<&'a crate::model::Stack> for Owner<'a> {
    fn from(stack: &'a crate::model::Stack) -> Self {
        Owner {
            stack: &stack.name,
            source: &stack.source_name,
        }
    }
}

/// What `build` would change in `out_dir`; empty when everything is fresh.
pub(crate) fn plan(
    out_dir: &Path,
    owner: Owner<'_>,
    artifacts: &[Artifact],
) -> Result<Vec<PlannedChange>, WriteError> {
    plan_with(&RealDisk, out_dir, owner, artifacts)
}

pub(crate) fn plan_with(
    disk: &dyn Disk,
    out_dir: &Path,
    owner: Owner<'_>,
    artifacts: &[Artifact],
) -> Result<Vec<PlannedChange>, WriteError> {
    let files = walk(disk, out_dir)?;
    let mut changes = Vec::new();
    let produced: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    for artifact in artifacts {
        let path = out_dir.join(&artifact.path);
        let Some(entry) = files.get(artifact.path.as_str()) else {
            changes.push(PlannedChange {
                path: artifact.path.clone(),
                change: Change::Create,
                conflict: None,
            });
            continue;
        };
        let Entry::File { mode, .. } = entry else {
            return Err(unsafe_output(&path, entry));
        };
        let old = read_text(disk, &path)?;
        if old.as_deref() == Some(artifact.contents.as_str())
            && (mode & 0o111 != 0) == artifact.executable
        {
            continue;
        }
        let stamp = old.as_deref().map_or(Stamp::Missing, |old| {
            verify_for(old, &owner.identity(&artifact.path))
        });
        changes.push(PlannedChange {
            path: artifact.path.clone(),
            conflict: (stamp != Stamp::Intact).then_some(stamp),
            change: Change::Update {
                // A file mcpgen did not write is reported by name, never by content.
                old: if stamp == Stamp::Missing {
                    String::new()
                } else {
                    old.unwrap_or_default()
                },
            },
        });
    }
    let mut users_files = Vec::new();
    for relative in files.keys() {
        if produced.contains(relative.as_str()) || may_sit_beside(relative) {
            continue;
        }
        let path = out_dir.join(relative);
        let old = read_text(disk, &path)?;
        match old.as_deref().map_or(Stamp::Missing, |old| {
            verify_for(old, &owner.identity(relative))
        }) {
            Stamp::Missing => users_files.push(relative.clone()),
            stamp => changes.push(PlannedChange {
                path: relative.clone(),
                conflict: (stamp == Stamp::Edited).then_some(stamp),
                change: Change::Remove {
                    old: old.unwrap_or_default(),
                },
            }),
        }
    }
    if !users_files.is_empty() {
        return Err(WriteError::UsersFilesInOutDir {
            out_dir: out_dir.to_path_buf(),
            paths: users_files,
        });
    }
    Ok(changes)
}

/// What may share the output directory with mcpgen's files without being its: dotfiles
/// (`.gitignore`, `.gitattributes`), a README, and backups.
fn may_sit_beside(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name.starts_with('.')
        || (!relative.contains('/') && name.to_ascii_uppercase().starts_with("README"))
        || disk::is_backup_name(name)
}

fn unsafe_output(path: &Path, entry: &Entry) -> WriteError {
    WriteError::UnsafeOutput {
        path: path.to_path_buf(),
        what: entry.describe(),
    }
}

/// A file's text, bounded; `None` when it is too large to be one of mcpgen's.
fn read_text(disk: &dyn Disk, path: &Path) -> Result<Option<String>, WriteError> {
    let bytes = disk
        .read(path, MAX_READ)
        .map_err(WriteError::io("read", path))?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// Applies a plan. Without `force`, any conflict stops it before a single file is touched.
pub(crate) fn apply(
    out_dir: &Path,
    artifacts: &[Artifact],
    changes: &[PlannedChange],
    force: bool,
) -> Result<Vec<PathBuf>, WriteError> {
    apply_with(&RealDisk, out_dir, artifacts, changes, force)
}

pub(crate) fn apply_with(
    disk: &dyn Disk,
    out_dir: &Path,
    artifacts: &[Artifact],
    changes: &[PlannedChange],
    force: bool,
) -> Result<Vec<PathBuf>, WriteError> {
    let edited: Vec<String> = conflicts(changes, Stamp::Edited);
    let foreign: Vec<String> = conflicts(changes, Stamp::Missing);
    if !force {
        if !edited.is_empty() {
            return Err(WriteError::HandEdited { paths: edited });
        }
        if !foreign.is_empty() {
            return Err(WriteError::Foreign { paths: foreign });
        }
    }
    let mut backups = Vec::new();
    let by_path: std::collections::HashMap<&str, &Artifact> =
        artifacts.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut writes = Vec::new();
    for change in changes {
        let path = out_dir.join(&change.path);
        if change.conflict.is_some() {
            backups.push(
                disk.backup(&path)
                    .map_err(WriteError::io("back up", &path))?,
            );
        }
        match &change.change {
            Change::Remove { .. } => {
                disk.remove(&path)
                    .map_err(WriteError::io("remove", &path))?;
            }
            Change::Create | Change::Update { .. } => {
                if let Some(artifact) = by_path.get(change.path.as_str()) {
                    writes.push((path, *artifact));
                }
            }
        }
    }
    write_all(disk, &writes)?;
    Ok(backups)
}

/// Writes files on every core: a large stack is a thousand small files, and creating each is
/// kernel time that parallelizes well.
fn write_all(disk: &dyn Disk, writes: &[(PathBuf, &Artifact)]) -> Result<(), WriteError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    let chunk = writes.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = writes
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().try_for_each(|(path, artifact)| {
                        let mode = if artifact.executable { 0o755 } else { 0o644 };
                        disk.replace(
                            path,
                            artifact.contents.as_bytes(),
                            Mode::Exact(mode),
                            Links::Refuse,
                        )
                        .map_err(WriteError::io("write", path))
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(WriteError::io("write", "generated files")(
                        std::io::Error::other("a writer thread panicked"),
                    ))
                })
            })
            .collect::<Result<Vec<()>, WriteError>>()
            .map(drop)
    })
}

fn conflicts(changes: &[PlannedChange], kind: Stamp) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c.conflict.as_ref() == Some(&kind))
        .map(|c| c.path.clone())
        .collect()
}

/// Every file below `dir`, by `/`-separated relative path; none when `dir` does not exist. A
/// link or anything but a file or a directory inside it stops the build: mcpgen writes only
/// regular files there, and follows no link someone planted.
fn walk(disk: &dyn Disk, dir: &Path) -> Result<BTreeMap<String, Entry>, WriteError> {
    let mut files = BTreeMap::new();
    if disk.entry(dir).map_err(WriteError::io("inspect", dir))? == Entry::Missing {
        return Ok(files);
    }
    let mut pending = vec![String::new()];
    while let Some(relative) = pending.pop() {
        let here = if relative.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&relative)
        };
        for (name, entry) in disk.list(&here).map_err(WriteError::io("list", &here))? {
            let child = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            match entry {
                Entry::Dir => pending.push(child),
                Entry::File { .. } => {
                    files.insert(child, entry);
                }
                Entry::Link | Entry::Special(_) if disk::is_backup_name(&name) => {}
                Entry::Link | Entry::Special(_) | Entry::Missing => {
                    return Err(unsafe_output(&here.join(&name), &entry));
                }
            }
        }
    }
    Ok(files)
}

/// Replaces a file mcpgen owns outright (install's bundle, the keeper): exactly this mode,
/// never through a link.
pub(crate) fn write_owned(
    path: &Path,
    contents: &[u8],
    executable: bool,
) -> Result<(), WriteError> {
    let mode = if executable { 0o755 } else { 0o644 };
    RealDisk
        .replace(path, contents, Mode::Exact(mode), Links::Refuse)
        .map_err(WriteError::io("write", path))
}

/// Replaces a file of the user's (mcp.toml, a compose file, a client config): its mode is kept
/// (a 0600 file stays 0600; `default` for a new one), and a link the user made is written
/// through.
pub(crate) fn write_users(path: &Path, contents: &[u8], default: u32) -> Result<(), WriteError> {
    RealDisk
        .replace(path, contents, Mode::Keep(default), Links::Follow)
        .map_err(WriteError::io("write", path))
}

/// A backup of `path` beside it (`<file>.mcpgen-backup`, then `.1`, …), created exclusively,
/// never through a link.
pub(crate) fn backup(path: &Path) -> Result<PathBuf, WriteError> {
    RealDisk
        .backup(path)
        .map_err(WriteError::io("back up", path))
}

#[cfg(test)]
mod tests {
    //! The planner on a disk in memory: what it reads, refuses, writes and backs up.

    use std::collections::BTreeMap;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use super::disk::{Disk, Entry, Links, Mode};
    use super::*;
    use crate::render::header::{HeaderStyle, header_text, stamp};

    #[derive(Default)]
    struct MemDisk {
        nodes: Mutex<BTreeMap<PathBuf, (Entry, Vec<u8>)>>,
    }

    impl MemDisk {
        fn file(&self, path: &str, text: &str) {
            let entry = Entry::File {
                len: text.len() as u64,
                mode: 0o644,
            };
            self.put(path, entry, text.as_bytes().to_vec());
        }
        fn put(&self, path: &str, entry: Entry, bytes: Vec<u8>) {
            let mut nodes = self.nodes.lock().unwrap();
            let mut dir = Path::new(path).parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                nodes
                    .entry(d.to_path_buf())
                    .or_insert((Entry::Dir, Vec::new()));
                dir = d.parent();
            }
            nodes.insert(PathBuf::from(path), (entry, bytes));
        }
        fn text(&self, path: &str) -> Option<String> {
            let nodes = self.nodes.lock().unwrap();
            nodes
                .get(Path::new(path))
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        }
    }

    impl Disk for MemDisk {
        fn entry(&self, path: &Path) -> io::Result<Entry> {
            let nodes = self.nodes.lock().unwrap();
            Ok(nodes.get(path).map_or(Entry::Missing, |(e, _)| e.clone()))
        }
        fn read(&self, path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
            let nodes = self.nodes.lock().unwrap();
            match nodes.get(path) {
                Some((Entry::File { .. }, bytes)) => {
                    Ok((bytes.len() as u64 <= max).then(|| bytes.clone()))
                }
                _ => Err(io::Error::other("not a regular file")),
            }
        }
        fn list(&self, dir: &Path) -> io::Result<Vec<(String, Entry)>> {
            let nodes = self.nodes.lock().unwrap();
            Ok(nodes
                .iter()
                .filter(|(p, _)| p.parent() == Some(dir))
                .map(|(p, (e, _))| {
                    let name = p.file_name().unwrap_or_default();
                    (name.to_string_lossy().into_owned(), e.clone())
                })
                .collect())
        }
        fn replace(&self, path: &Path, contents: &[u8], mode: Mode, _: Links) -> io::Result<()> {
            let Mode::Exact(mode) = mode else {
                return Err(io::Error::other("the planner writes exact modes"));
            };
            let entry = Entry::File {
                len: contents.len() as u64,
                mode,
            };
            self.put(&path.to_string_lossy(), entry, contents.to_vec());
            Ok(())
        }
        fn remove(&self, path: &Path) -> io::Result<()> {
            self.nodes.lock().unwrap().remove(path);
            Ok(())
        }
        fn backup(&self, path: &Path) -> io::Result<PathBuf> {
            let copy = super::disk::backup_path(path, 0);
            let text = self.text(&path.to_string_lossy()).unwrap_or_default();
            self.file(&copy.to_string_lossy(), &text);
            Ok(copy)
        }
    }

    const OWNER: Owner<'static> = Owner {
        stack: "s",
        source: "mcp.toml",
    };

    fn artifact(path: &str, body: &str) -> Artifact {
        let identity = OWNER.identity(path);
        Artifact {
            path: path.to_string(),
            contents: stamp(&format!(
                "{}{body}",
                header_text(&identity, HeaderStyle::Hash)
            )),
            executable: false,
        }
    }

    #[test]
    fn a_fresh_directory_is_created_and_a_second_plan_is_empty() {
        let disk = MemDisk::default();
        let artifacts = [artifact("a.yml", "a: 1\n"), artifact("shims/b.sh", "b\n")];
        let out = Path::new("/out");
        let plan = plan_with(&disk, out, OWNER, &artifacts).unwrap();
        assert_eq!(plan.len(), 2);
        assert!(plan.iter().all(|c| c.change == Change::Create));
        apply_with(&disk, out, &artifacts, &plan, false).unwrap();
        assert_eq!(disk.text("/out/a.yml"), Some(artifacts[0].contents.clone()));
        assert!(plan_with(&disk, out, OWNER, &artifacts).unwrap().is_empty());
    }

    #[test]
    fn an_edit_stops_the_apply_and_force_backs_it_up() {
        let disk = MemDisk::default();
        let artifacts = [artifact("a.yml", "a: 1\n")];
        let out = Path::new("/out");
        let edited = artifacts[0].contents.replace("a: 1", "a: 2");
        disk.file("/out/a.yml", &edited);
        let plan = plan_with(&disk, out, OWNER, &artifacts).unwrap();
        assert_eq!(plan[0].conflict, Some(Stamp::Edited));
        assert!(matches!(
            apply_with(&disk, out, &artifacts, &plan, false),
            Err(WriteError::HandEdited { .. })
        ));
        assert_eq!(disk.text("/out/a.yml"), Some(edited.clone()));
        let backups = apply_with(&disk, out, &artifacts, &plan, true).unwrap();
        assert_eq!(backups, [PathBuf::from("/out/a.yml.mcpgen-backup")]);
        assert_eq!(disk.text("/out/a.yml.mcpgen-backup"), Some(edited));
    }

    #[test]
    fn another_stacks_file_and_the_users_files_are_never_taken_for_ours() {
        let disk = MemDisk::default();
        let artifacts = [artifact("a.yml", "a: 1\n")];
        let out = Path::new("/out");
        // Another stack's intact file at a path this stack no longer produces.
        let other = Owner {
            stack: "t",
            source: "mcp.toml",
        };
        let theirs = stamp(&format!(
            "{}x\n",
            header_text(&other.identity("old.yml"), HeaderStyle::Hash)
        ));
        disk.file("/out/old.yml", &theirs);
        disk.file("/out/README.md", "notes\n");
        disk.file("/out/.gitignore", "*\n");
        let refused = plan_with(&disk, out, OWNER, &artifacts).unwrap_err();
        assert!(
            matches!(&refused, WriteError::UsersFilesInOutDir { paths, .. } if paths == &["old.yml"]),
            "{refused:?}"
        );
    }

    #[test]
    fn a_link_or_a_fifo_in_the_output_directory_stops_the_plan_before_any_read() {
        for entry in [Entry::Link, Entry::Special("a FIFO")] {
            let disk = MemDisk::default();
            disk.put("/out/a.yml", entry.clone(), b"SECRET".to_vec());
            let artifacts = [artifact("a.yml", "a: 1\n")];
            let refused = plan_with(&disk, Path::new("/out"), OWNER, &artifacts).unwrap_err();
            assert!(
                matches!(refused, WriteError::UnsafeOutput { .. }),
                "{entry:?}: {refused:?}"
            );
        }
    }
}
