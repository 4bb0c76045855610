//! The runnable bundle in `install_dir`: the compose file and the shims, exactly as in the out
//! directory, shims executable, and the session keeper (`bin/mcpgen-keeper`) copied from
//! beside the running mcpgen — so it is built for this machine's own OS and CPU. Only these
//! paths are ever looked at or written, so an `install_dir` inside a directory full of other
//! files touches none of them.

use std::fs;
use std::path::{Path, PathBuf};

use crate::model::contract::COMPOSE_FILE_NAME as COMPOSE_FILE;
use crate::render::Artifact;
use crate::render::header::{Stamp, verify_for};
use crate::write::Owner;
use crate::write::WriteError;

/// The artifacts that make up the bundle (the client configs are not part of it).
pub(crate) fn artifacts(all: &[Artifact]) -> Vec<Artifact> {
    all.iter()
        .filter(|a| a.path == COMPOSE_FILE || a.path.starts_with("shims/"))
        .cloned()
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BundleChange {
    Create,
    Update,
    /// The shim of a server no longer in `mcp.toml`.
    Remove,
}

#[derive(Debug, Clone)]
pub(crate) struct BundleFile {
    pub relative: String,
    pub path: PathBuf,
    pub change: BundleChange,
    /// The file there is not one mcpgen wrote, or was edited since.
    pub foreign: bool,
}

/// A bundle file's text: never through a link, bounded; `None` when missing.
fn read_bundle_file(path: &Path) -> Result<Option<String>, WriteError> {
    use crate::write::disk::{Disk as _, Entry, MAX_READ, RealDisk};
    match RealDisk
        .entry(path)
        .map_err(WriteError::io("inspect", path))?
    {
        Entry::Missing => Ok(None),
        Entry::File { .. } => {
            let bytes = RealDisk
                .read(path, MAX_READ)
                .map_err(WriteError::io("read", path))?
                .unwrap_or_default();
            Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
        }
        other => Err(WriteError::UnsafeOutput {
            path: path.to_path_buf(),
            what: other.describe(),
        }),
    }
}

/// What installing `bundle` into `dir` would change; empty when the installed bundle is current.
pub(crate) fn plan(
    dir: &Path,
    owner: Owner<'_>,
    bundle: &[Artifact],
) -> Result<Vec<BundleFile>, WriteError> {
    let mut files = Vec::new();
    for artifact in bundle {
        let path = dir.join(&artifact.path);
        let Some(old) = read_bundle_file(&path)? else {
            files.push(BundleFile {
                relative: artifact.path.clone(),
                path,
                change: BundleChange::Create,
                foreign: false,
            });
            continue;
        };
        if old == artifact.contents && mode_ok(&path, artifact.executable) {
            continue;
        }
        files.push(BundleFile {
            relative: artifact.path.clone(),
            foreign: verify_for(&old, &owner.identity(&artifact.path)) != Stamp::Intact,
            path,
            change: BundleChange::Update,
        });
    }
    let shims = dir.join("shims");
    let entries = match fs::read_dir(&shims) {
        Ok(entries) => entries.collect::<Result<Vec<_>, _>>(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => return Err(WriteError::io("list", &shims)(e)),
    }
    .map_err(WriteError::io("list", &shims))?;
    let mut stale: Vec<BundleFile> = entries
        .into_iter()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("shims/{name}");
            let is_shim = name.starts_with("hardened_") && name.ends_with(".sh");
            if !is_shim || bundle.iter().any(|a| a.path == relative) {
                return None;
            }
            let text = read_bundle_file(&entry.path()).ok()??;
            // A shim without this stack's header is someone else's file: left alone.
            match verify_for(&text, &owner.identity(&relative)) {
                Stamp::Missing => None,
                stamp => Some(BundleFile {
                    relative,
                    path: entry.path(),
                    change: BundleChange::Remove,
                    foreign: stamp == Stamp::Edited,
                }),
            }
        })
        .collect();
    stale.sort_by(|a, b| a.relative.cmp(&b.relative));
    files.extend(stale);
    Ok(files)
}

/// Carries out a plan; foreign files are copied to `<file>.mcpgen-backup` first.
pub(crate) fn apply(plan: &[BundleFile], bundle: &[Artifact]) -> Result<Vec<PathBuf>, WriteError> {
    let mut backups = Vec::new();
    for file in plan {
        if file.foreign
            && let Some(backup) = super::backup_once(&file.path)?
        {
            backups.push(backup);
        }
        match file.change {
            BundleChange::Remove => {
                fs::remove_file(&file.path).map_err(WriteError::io("remove", &file.path))?;
            }
            BundleChange::Create | BundleChange::Update => {
                if let Some(artifact) = bundle.iter().find(|a| a.path == file.relative) {
                    crate::write::write_owned(
                        &file.path,
                        artifact.contents.as_bytes(),
                        artifact.executable,
                    )?;
                }
            }
        }
    }
    Ok(backups)
}

/// Whether the file's executable bit is as the artifact wants it (shims executable, the
/// compose file not).
#[cfg(unix)]
pub(crate) fn mode_ok(path: &Path, executable: bool) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).is_ok_and(|m| (m.permissions().mode() & 0o111 != 0) == executable)
}

#[cfg(not(unix))]
pub fn mode_ok(_path: &Path, _executable: bool) -> bool {
    true
}

/// Where the shims look for the session keeper, relative to the bundle.
pub(crate) const KEEPER_PATH: &str = "bin/mcpgen-keeper";
const KEEPER_NAME: &str = "mcpgen-keeper";

/// The session keeper's part of an install.
#[derive(Debug, Clone)]
pub(crate) struct Keeper {
    /// The keeper beside the running mcpgen; `None` when there is none (the shims then run
    /// without it and say so).
    pub source: Option<PathBuf>,
    pub target: PathBuf,
    /// `None`: the installed keeper is current (or there is nothing to install).
    pub change: Option<BundleChange>,
    /// The source's bytes, read once when planning.
    contents: Vec<u8>,
}

/// The keeper shipped beside the running `mcpgen` (a release archive, `cargo install`, a
/// build's target directory all put both binaries in one directory).
pub(crate) fn keeper_beside_mcpgen() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let exe = fs::canonicalize(&exe).unwrap_or(exe);
    let keeper = exe.parent()?.join(KEEPER_NAME);
    keeper.is_file().then_some(keeper)
}

pub(crate) fn plan_keeper(dir: &Path, source: Option<PathBuf>) -> Result<Keeper, WriteError> {
    use crate::source::read_input;
    use crate::write::disk::{Disk as _, Entry, RealDisk};
    // A debug build's keeper, with its debug info, runs to tens of MiB.
    const MAX_KEEPER: u64 = 1 << 30;
    let target = dir.join(KEEPER_PATH);
    let Some(from) = &source else {
        return Ok(Keeper {
            source,
            target,
            change: None,
            contents: Vec::new(),
        });
    };
    let contents = read_input(from, MAX_KEEPER).map_err(WriteError::io("read", from))?;
    let change = match RealDisk
        .entry(&target)
        .map_err(WriteError::io("inspect", &target))?
    {
        Entry::Missing => Some(BundleChange::Create),
        Entry::File { .. } => {
            let installed = RealDisk
                .read(&target, MAX_KEEPER)
                .map_err(WriteError::io("read", &target))?;
            let current = installed.as_deref() == Some(contents.as_slice());
            (!current || !mode_ok(&target, true)).then_some(BundleChange::Update)
        }
        other => {
            return Err(WriteError::UnsafeOutput {
                path: target,
                what: other.describe(),
            });
        }
    };
    Ok(Keeper {
        source,
        target,
        change,
        contents,
    })
}

pub(crate) fn apply_keeper(keeper: &Keeper) -> Result<(), WriteError> {
    if keeper.change.is_some() {
        crate::write::write_owned(&keeper.target, &keeper.contents, true)?;
    }
    Ok(())
}
