//! Every file mcpgen writes or reads back goes through here, with an explicit policy: what a
//! path may be (a regular file, never a link planted where mcpgen creates one), how much may be
//! read, which mode a replaced file keeps, and how a backup is made (`O_CREAT|O_EXCL|
//! O_NOFOLLOW`, one naming convention). The [`Disk`] trait lets the planners run in unit tests
//! without a disk.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The largest file mcpgen reads back from a directory it writes; a generated file is far
/// smaller, so anything bigger is not one of mcpgen's (and is not read whole).
pub(crate) const MAX_READ: u64 = 16 << 20;

/// The suffix of every backup mcpgen makes: `<file>.mcpgen-backup`, then `.mcpgen-backup.1`, ….
pub(crate) const BACKUP_SUFFIX: &str = ".mcpgen-backup";

/// What is at a path, without following a link there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    Missing,
    File {
        len: u64,
        mode: u32,
    },
    Dir,
    Link,
    /// A FIFO, a socket, a device.
    Special(&'static str),
}

impl Entry {
    /// How a person would call it, for messages.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Entry::Missing => "missing",
            Entry::File { .. } => "a file",
            Entry::Dir => "a directory",
            Entry::Link => "a symbolic link",
            Entry::Special(kind) => kind,
        }
    }
}

/// The mode a written file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Exactly this (generated files: 0644, shims 0755).
    Exact(u32),
    /// The replaced file's own mode, or this one for a new file (a user's file that is 0600
    /// stays 0600).
    Keep(u32),
}

/// How a link at the target path is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// Refused: mcpgen's own files are regular files, and a link there was planted.
    Refuse,
    /// Written through: a user's own file linked into place on purpose (dotfile managers).
    Follow,
}

pub(crate) trait Disk: Sync {
    fn entry(&self, path: &Path) -> io::Result<Entry>;
    /// At most `max` bytes of a regular file, never through a link; `None` when it is longer.
    fn read(&self, path: &Path, max: u64) -> io::Result<Option<Vec<u8>>>;
    /// The names in a directory, with what each is.
    fn list(&self, dir: &Path) -> io::Result<Vec<(String, Entry)>>;
    /// Atomic replace: a temporary file in the same directory, renamed over the target.
    fn replace(&self, path: &Path, contents: &[u8], mode: Mode, links: Links) -> io::Result<()>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// A copy of `path` beside it, created exclusively and never through a link; its path.
    fn backup(&self, path: &Path) -> io::Result<PathBuf>;
}

/// The real file system.
pub(crate) struct RealDisk;

fn entry_of(meta: &fs::Metadata) -> Entry {
    let kind = meta.file_type();
    if kind.is_symlink() {
        Entry::Link
    } else if kind.is_file() {
        Entry::File {
            len: meta.len(),
            mode: meta.permissions().mode() & 0o7777,
        }
    } else if kind.is_dir() {
        Entry::Dir
    } else {
        Entry::Special(crate::source::special_kind(meta))
    }
}

fn refused(path: &Path, entry: &Entry) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {}, where only a regular file may be",
            path.display(),
            entry.describe()
        ),
    )
}

impl Disk for RealDisk {
    fn entry(&self, path: &Path) -> io::Result<Entry> {
        match fs::symlink_metadata(path) {
            Ok(meta) => Ok(entry_of(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Entry::Missing),
            Err(e) => Err(e),
        }
    }

    fn read(&self, path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
        // O_NOFOLLOW and O_NONBLOCK: a link is not followed, and a FIFO swapped in after the
        // check does not block the open; the opened file itself is checked again.
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc_flags::O_NOFOLLOW | libc_flags::O_NONBLOCK)
            .open(path)?;
        let entry = entry_of(&file.metadata()?);
        if !matches!(entry, Entry::File { .. }) {
            return Err(refused(path, &entry));
        }
        let mut bytes = Vec::new();
        file.take(max + 1).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= max).then_some(bytes))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(String, Entry)>> {
        let mut names = Vec::new();
        for item in fs::read_dir(dir)? {
            let item = item?;
            let meta = fs::symlink_metadata(item.path())?;
            names.push((
                item.file_name().to_string_lossy().into_owned(),
                entry_of(&meta),
            ));
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(names)
    }

    fn replace(&self, path: &Path, contents: &[u8], mode: Mode, links: Links) -> io::Result<()> {
        let mut target = path.to_path_buf();
        let current = self.entry(path)?;
        match (&current, links) {
            (Entry::Link, Links::Follow) => target = fs::canonicalize(path)?,
            (Entry::Link | Entry::Dir | Entry::Special(_), _) => {
                return Err(refused(path, &current));
            }
            _ => {}
        }
        let existing = match self.entry(&target)? {
            Entry::File { mode, .. } => Some(mode),
            Entry::Missing => None,
            other => return Err(refused(&target, &other)),
        };
        let mode = match mode {
            Mode::Exact(mode) => mode,
            Mode::Keep(default) => existing.unwrap_or(default),
        };
        let dir = target.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(contents)?;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
        file.persist(&target).map_err(|e| e.error)?;
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn backup(&self, path: &Path) -> io::Result<PathBuf> {
        let Some(original) = self.read(path, MAX_READ)? else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is too large to back up", path.display()),
            ));
        };
        let mode = match self.entry(path)? {
            Entry::File { mode, .. } => mode,
            _ => 0o600,
        };
        for n in 0..1000 {
            let candidate = backup_path(path, n);
            // Created here and now, never through whatever someone put at that name.
            let opened = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc_flags::O_NOFOLLOW)
                .mode(mode & 0o777)
                .open(&candidate);
            match opened {
                Ok(mut file) => {
                    file.write_all(&original)?;
                    return Ok(candidate);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("1000 backups of {} exist already", path.display()),
        ))
    }
}

/// `<file>.mcpgen-backup` for the first, `<file>.mcpgen-backup.<n>` after it.
pub(crate) fn backup_path(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(BACKUP_SUFFIX);
    if n > 0 {
        name.push(format!(".{n}"));
    }
    PathBuf::from(name)
}

/// Whether a file name is one of mcpgen's backups (or an older mcpgen's `.bak`).
pub(crate) fn is_backup_name(name: &str) -> bool {
    name.contains(BACKUP_SUFFIX) || name.ends_with(".bak") || name.contains(".bak.")
}

/// The open(2) flags std does not name.
mod libc_flags {
    pub(super) const O_NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    pub(super) const O_NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_never_goes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker-compose.mcp-only.yml");
        fs::write(&file, "mine\n").unwrap();
        let elsewhere = dir.path().join("victim");
        // A dangling link where the first backup would go.
        std::os::unix::fs::symlink(&elsewhere, backup_path(&file, 0)).unwrap();
        let backup = RealDisk.backup(&file).unwrap();
        assert_eq!(backup, backup_path(&file, 1));
        assert_eq!(fs::read_to_string(&backup).unwrap(), "mine\n");
        assert!(!elsewhere.exists(), "the backup went through the link");
    }

    #[test]
    fn reads_refuse_links_fifos_and_big_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        fs::write(&secret, "token").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert!(RealDisk.read(&link, MAX_READ).is_err());
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Neither blocks nor reads.
        assert!(RealDisk.read(&fifo, MAX_READ).is_err());
        assert_eq!(RealDisk.read(&secret, 3).unwrap(), None);
        assert_eq!(
            RealDisk.read(&secret, 5).unwrap().as_deref(),
            Some(&b"token"[..])
        );
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_or_gets_the_exact_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yml");
        fs::write(&file, "a").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        RealDisk
            .replace(&file, b"b", Mode::Keep(0o644), Links::Refuse)
            .unwrap();
        assert_eq!(
            RealDisk.entry(&file).unwrap(),
            Entry::File {
                len: 1,
                mode: 0o600
            }
        );
        RealDisk
            .replace(&file, b"c", Mode::Exact(0o755), Links::Refuse)
            .unwrap();
        assert_eq!(
            RealDisk.entry(&file).unwrap(),
            Entry::File {
                len: 1,
                mode: 0o755
            }
        );
    }

    #[test]
    fn links_are_written_through_only_where_the_user_linked_on_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-config.json");
        fs::write(&real, "{}").unwrap();
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(
            RealDisk
                .replace(&link, b"x", Mode::Keep(0o600), Links::Refuse)
                .is_err()
        );
        RealDisk
            .replace(&link, b"{\"a\":1}", Mode::Keep(0o600), Links::Follow)
            .unwrap();
        assert_eq!(fs::read_to_string(&real).unwrap(), "{\"a\":1}");
        assert_eq!(RealDisk.entry(&link).unwrap(), Entry::Link);
    }
}
