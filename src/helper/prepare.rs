//! `mcpgen-helper prepare`: the stack's one-shot gives each new named volume to the user of the
//! server that writes it. An engine creates a volume's root directory owned by root (unless
//! the image has files at the mount point), so a server running as uid 1000 could not write
//! its own state. Only a volume root still owned by root is changed: a volume a person or an
//! earlier run gave to someone is left as it is. Nothing is recursive.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// `UID[:GID]=PATH`: give the directory at PATH to that user, if root still owns it.
    #[arg(long = "owner", value_parser = parse_owner, required = true)]
    owners: Vec<Owner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Owner {
    uid: u32,
    gid: u32,
    path: PathBuf,
}

fn parse_owner(text: &str) -> Result<Owner, String> {
    let (ids, path) = text
        .split_once('=')
        .ok_or_else(|| format!("expected UID[:GID]=PATH, got `{text}`"))?;
    let (uid, gid) = ids.split_once(':').unwrap_or((ids, ids));
    let number = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("`{s}` is not a numeric id"))
    };
    Ok(Owner {
        uid: number(uid)?,
        gid: number(gid)?,
        path: PathBuf::from(path),
    })
}

pub(super) fn run(args: &Args) -> ExitCode {
    let mut failed = false;
    for owner in &args.owners {
        match prepare(owner) {
            Ok(true) => println!(
                "{} given to {}:{}",
                owner.path.display(),
                owner.uid,
                owner.gid
            ),
            Ok(false) => {}
            Err(error) => {
                eprintln!("mcpgen-helper: {}: {error}", owner.path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn prepare(owner: &Owner) -> std::io::Result<bool> {
    let metadata = fs::metadata(&owner.path)?;
    if metadata.uid() != 0 || owner.uid == 0 {
        return Ok(false);
    }
    std::os::unix::fs::chown(&owner.path, Some(owner.uid), Some(owner.gid))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_parse_with_and_without_a_group() {
        assert_eq!(
            parse_owner("1000:100=/v/a"),
            Ok(Owner {
                uid: 1000,
                gid: 100,
                path: PathBuf::from("/v/a")
            })
        );
        assert_eq!(parse_owner("1000=/v/a").map(|o| o.gid), Ok(1000));
        assert!(parse_owner("node=/v/a").is_err());
        assert!(parse_owner("/v/a").is_err());
    }
}
