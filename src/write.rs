//! Writing the rendered artifacts: compare first, refuse to clobber hand edits, then replace each
//! file atomically. Nothing is written unless every file can be.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::render::Artifact;
use crate::render::header::{Stamp, verify};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Create,
    Update {
        old: String,
    },
    /// A file mcpgen wrote that the stack no longer produces (e.g. a removed server's shim).
    Remove {
        old: String,
    },
}

#[derive(Debug, Clone)]
pub struct PlannedChange {
    pub path: String,
    pub change: Change,
    /// The file on disk was edited by hand, or was never mcpgen's.
    pub conflict: Option<Stamp>,
}

/// What `build` would change in `out_dir`; empty when everything is fresh.
pub fn plan(out_dir: &Path, artifacts: &[Artifact]) -> Result<Vec<PlannedChange>, Error> {
    let mut changes = Vec::new();
    let produced: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    for artifact in artifacts {
        let path = out_dir.join(&artifact.path);
        match read_optional(&path)? {
            None => changes.push(PlannedChange {
                path: artifact.path.clone(),
                change: Change::Create,
                conflict: None,
            }),
            Some(old) if old == artifact.contents && mode_ok(&path, artifact.executable) => {}
            Some(old) => {
                let stamp = verify(&old);
                changes.push(PlannedChange {
                    path: artifact.path.clone(),
                    conflict: (stamp != Stamp::Intact).then_some(stamp),
                    change: Change::Update { old },
                });
            }
        }
    }
    for relative in list_files(out_dir)? {
        if produced.contains(relative.as_str()) {
            continue;
        }
        let old = fs::read_to_string(out_dir.join(&relative)).unwrap_or_default();
        match verify(&old) {
            // Not ours: a README or anything else the user keeps there stays untouched.
            Stamp::Missing => {}
            stamp => changes.push(PlannedChange {
                path: relative,
                conflict: (stamp == Stamp::Edited).then_some(stamp),
                change: Change::Remove { old },
            }),
        }
    }
    Ok(changes)
}

/// Applies a plan. Without `force`, any conflict stops it before a single file is touched.
pub fn apply(
    out_dir: &Path,
    artifacts: &[Artifact],
    changes: &[PlannedChange],
    force: bool,
) -> Result<Vec<PathBuf>, Error> {
    let edited: Vec<String> = conflicts(changes, Stamp::Edited);
    let foreign: Vec<String> = conflicts(changes, Stamp::Missing);
    if !force {
        if !edited.is_empty() {
            return Err(Error::HandEdited { paths: edited });
        }
        if !foreign.is_empty() {
            return Err(Error::Foreign { paths: foreign });
        }
    }
    let mut backups = Vec::new();
    let by_path: std::collections::HashMap<&str, &Artifact> =
        artifacts.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut writes = Vec::new();
    for change in changes {
        let path = out_dir.join(&change.path);
        if change.conflict.is_some() {
            backups.push(backup(&path)?);
        }
        match &change.change {
            Change::Remove { .. } => {
                fs::remove_file(&path).map_err(Error::io("remove", &path))?;
            }
            Change::Create | Change::Update { .. } => {
                if let Some(artifact) = by_path.get(change.path.as_str()) {
                    writes.push((path, *artifact));
                }
            }
        }
    }
    write_all(&writes)?;
    Ok(backups)
}

/// Writes files on every core: a large stack is a thousand small files, and creating each is
/// kernel time that parallelizes well.
fn write_all(writes: &[(PathBuf, &Artifact)]) -> Result<(), Error> {
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
                        write_atomic(path, artifact.contents.as_bytes(), artifact.executable)
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(Error::io("write", "generated files")(
                        std::io::Error::other("a writer thread panicked"),
                    ))
                })
            })
            .collect::<Result<Vec<()>, Error>>()
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

fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}

#[cfg(unix)]
fn mode_ok(path: &Path, executable: bool) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).is_ok_and(|m| (m.permissions().mode() & 0o111 != 0) == executable)
}

#[cfg(not(unix))]
fn mode_ok(_path: &Path, _executable: bool) -> bool {
    true
}

/// Every file below `dir`, as `/`-separated relative paths; none when `dir` does not exist.
fn list_files(dir: &Path) -> Result<Vec<String>, Error> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let entries = match fs::read_dir(dir.join(&relative)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("list", dir.join(&relative))(e)),
        };
        for entry in entries {
            let entry = entry.map_err(Error::io("list", dir.join(&relative)))?;
            let child = relative.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(Error::io("inspect", entry.path()))?;
            if kind.is_dir() {
                pending.push(child);
            } else if kind.is_file() {
                let parts: Vec<String> = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Copies `path` to the first free `path.bak`, `path.bak.1`, … and returns the copy's path.
fn backup(path: &Path) -> Result<PathBuf, Error> {
    let mut candidate = PathBuf::from(format!("{}.bak", path.display()));
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}.bak.{n}", path.display()));
        n += 1;
    }
    fs::copy(path, &candidate).map_err(Error::io("back up", path))?;
    Ok(candidate)
}

/// Writes through a temporary file in the same directory and renames it over the target, so a
/// reader sees the old file or the new one, never half of one. There is no fsync per file: a
/// build writes hundreds of files that can always be rebuilt, and a file a crash left short
/// fails its header hash, so the next build names it instead of trusting it.
pub fn write_atomic(path: &Path, contents: &[u8], executable: bool) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(Error::io("create a temporary file in", dir))?;
    file.write_all(contents).map_err(Error::io("write", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = if executable { 0o755 } else { 0o644 };
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(Error::io("set permissions of", path))?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    file.persist(path)
        .map_err(|e| Error::io("replace", path)(e.error))?;
    Ok(())
}
