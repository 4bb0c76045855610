//! `mcpgen install`: the bundle into `install_dir`, mcpgen's entries into each client's own file.
//!
//! Everything is planned in memory first — every client file read, parsed and merged — and
//! nothing is written unless every file can be: a file that cannot be parsed, or a user's entry
//! in the way, stops the whole install before a single byte changes.

pub(crate) mod bundle;
pub(crate) mod merge;
pub(crate) mod merge_json;
pub(crate) mod merge_toml;
pub(crate) mod owner;
pub(crate) mod paths;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::model::{Profile, Stack};
use crate::render::Artifact;
use crate::render::clients;
use crate::write::WriteError;
use merge::{EntryChange, MergeError};
use owner::Ownership;
use paths::{Env, Format, Location};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Clients to install into; empty means every target of `mcp.toml`.
    pub clients: Vec<String>,
    /// The profile whose entries to install; `None` means the strict one.
    pub profile: Option<String>,
    /// Create the config of a client that does not look installed.
    pub create: bool,
    /// Replace the user's own entries that have an mcpgen server's name (backed up first).
    pub force: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum ClientState {
    /// Neither the file nor the client's own directory exists: nothing is created.
    NotInstalled,
    Unchanged,
    Changed {
        old: Option<String>,
        new: String,
        changes: Vec<EntryChange>,
    },
    Unparsable(String),
    /// The user's own entries with mcpgen servers' names.
    Conflicts(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct ClientPlan {
    pub location: Location,
    pub state: ClientState,
}

/// Why an install refused, or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error("no profile `{name}`")]
    UnknownProfile { name: String, known: Vec<String> },
    #[error("no client `{name}`")]
    UnknownClient { name: String, known: Vec<String> },
    /// An install directory another user could change: the shims there run as this user.
    #[error("`{}` is {why}", path.display())]
    UnsafeInstallDir { path: PathBuf, why: String },
    #[error("install stopped before writing anything")]
    Stopped { problems: Vec<InstallProblem> },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
}

/// Why an install stopped before writing.
#[derive(Debug, Clone)]
pub(crate) enum InstallProblem {
    Unparsable {
        client: String,
        path: PathBuf,
        message: String,
    },
    Conflict {
        client: String,
        path: PathBuf,
        servers: Vec<String>,
    },
    /// Files in `install_dir` that mcpgen did not write (or that were edited).
    ForeignBundleFiles { paths: Vec<PathBuf> },
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub install_dir: PathBuf,
    pub profile: String,
    pub bundle: Vec<Artifact>,
    pub bundle_changes: Vec<bundle::BundleFile>,
    pub keeper: bundle::Keeper,
    pub clients: Vec<ClientPlan>,
}

impl Plan {
    pub(crate) fn problems(&self, force: bool) -> Vec<InstallProblem> {
        let mut problems = Vec::new();
        let foreign: Vec<PathBuf> = self
            .bundle_changes
            .iter()
            .filter(|f| f.foreign)
            .map(|f| f.path.clone())
            .collect();
        if !foreign.is_empty() && !force {
            problems.push(InstallProblem::ForeignBundleFiles { paths: foreign });
        }
        for client in &self.clients {
            let name = client.location.client.to_string();
            let path = client.location.path.clone();
            match &client.state {
                ClientState::Unparsable(message) => problems.push(InstallProblem::Unparsable {
                    client: name,
                    path,
                    message: message.clone(),
                }),
                ClientState::Conflicts(servers) => problems.push(InstallProblem::Conflict {
                    client: name,
                    path,
                    servers: servers.clone(),
                }),
                _ => {}
            }
        }
        problems
    }
}

/// Resolves a profile name (default: the strict one).
pub(crate) fn profile<'s>(
    stack: &'s Stack,
    name: Option<&str>,
) -> Result<&'s Profile, InstallError> {
    match name {
        None => Ok(stack.strict_profile()),
        Some(name) => stack
            .profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| InstallError::UnknownProfile {
                name: name.to_string(),
                known: stack.profiles.iter().map(|p| p.name.clone()).collect(),
            }),
    }
}

/// The clients to act on: the request's, or every target of the stack.
pub(crate) fn selected_clients(
    stack: &Stack,
    requested: &[String],
) -> Result<Vec<String>, InstallError> {
    let known = crate::config::validate::CLIENT_TARGETS;
    if let Some(bad) = requested.iter().find(|c| !known.contains(&c.as_str())) {
        return Err(InstallError::UnknownClient {
            name: bad.clone(),
            known: known.iter().map(ToString::to_string).collect(),
        });
    }
    let mut clients = if requested.is_empty() {
        stack.clients.clone()
    } else {
        requested.to_vec()
    };
    clients.dedup();
    Ok(clients)
}

/// The ownership rule for `stack`'s entries on this machine.
pub(crate) fn ownership(stack: &Stack, env: &Env) -> Ownership {
    let locals: BTreeMap<String, Vec<String>> = stack
        .servers
        .iter()
        .filter_map(|s| s.local.clone().map(|l| (s.name.clone(), l)))
        .collect();
    Ownership::new(&stack.install_dir, locals, env)
}

/// Reads, parses and merges everything; writes nothing.
pub(crate) fn plan(
    stack: &Stack,
    artifacts: &[Artifact],
    env: &Env,
    request: &Request,
) -> Result<Plan, InstallError> {
    let profile = profile(stack, request.profile.as_deref())?;
    let clients = selected_clients(stack, &request.clients)?;
    let install_dir = env.expand_home(&stack.install_dir);
    let bundle = bundle::artifacts(artifacts);
    check_install_dir(&install_dir)?;
    let bundle_changes = bundle::plan(&install_dir, stack.into(), &bundle)?;
    let keeper = bundle::plan_keeper(&install_dir, bundle::keeper_beside_mcpgen())?;
    let ownership = ownership(stack, env);
    let mut plans = Vec::new();
    for client in &clients {
        let Some(location) = paths::locate(client, &stack.name, env) else {
            continue;
        };
        let state = plan_client(stack, profile, &location, &ownership, env, request)?;
        plans.push(ClientPlan { location, state });
    }
    Ok(Plan {
        install_dir,
        profile: profile.name.clone(),
        bundle,
        bundle_changes,
        keeper,
        clients: plans,
    })
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, InstallError> {
    match crate::source::read_input(path, crate::source::MAX_INPUT) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WriteError::io("read", path)(e).into()),
    }
}

fn plan_client(
    stack: &Stack,
    profile: &Profile,
    location: &Location,
    ownership: &Ownership,
    env: &Env,
    request: &Request,
) -> Result<ClientState, InstallError> {
    let old = read_optional(&location.path)?;
    if old.is_none() && !location.installed_when.exists() && !request.create {
        return Ok(ClientState::NotInstalled);
    }
    let old = match old.map(String::from_utf8) {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(_)) => {
            return Ok(ClientState::Unparsable(
                "cannot parse it: not UTF-8 text".to_string(),
            ));
        }
    };
    let text = old.clone().unwrap_or_default();
    let merged = if location.format == Format::OwnYaml {
        let new = clients::continue_block(stack, profile)?;
        let theirs = old.as_deref().is_some_and(|t| {
            crate::render::header::verify(t) == crate::render::header::Stamp::Missing
        });
        if theirs && !request.force {
            return Ok(ClientState::Conflicts(vec![format!(
                "{} (a file mcpgen did not write)",
                location.path.display()
            )]));
        }
        let changes = stack
            .servers
            .iter()
            .map(|s| {
                if old.is_some() {
                    EntryChange::Updated(s.name.clone())
                } else {
                    EntryChange::Added(s.name.clone())
                }
            })
            .collect();
        merge::Merged {
            text: new,
            changes,
            conflicts: Vec::new(),
        }
    } else {
        let desired = clients::entries(stack, location.client, profile)?;
        let key = clients::servers_key(location.client)?;
        let result = match location.format {
            Format::Toml => merge_toml::merge(&text, &desired, ownership, env, request.force),
            _ => merge_json::merge(
                &text,
                location.format,
                key,
                &desired,
                ownership,
                env,
                request.force,
            ),
        };
        match result {
            Ok(merged) => merged,
            Err(error @ (MergeError::Parse(_) | MergeError::Shape(_))) => {
                return Ok(ClientState::Unparsable(error.to_string()));
            }
        }
    };
    if !merged.conflicts.is_empty() {
        return Ok(ClientState::Conflicts(merged.conflicts));
    }
    if old.as_deref() == Some(merged.text.as_str()) {
        return Ok(ClientState::Unchanged);
    }
    Ok(ClientState::Changed {
        old,
        new: merged.text,
        changes: merged.changes,
    })
}

/// Writes a plan that has no problems: the keeper and the bundle first (so the entries never
/// point at shims that are not there yet), then each client file, each backed up before its
/// first change.
pub(crate) fn apply(plan: &Plan) -> Result<Vec<PathBuf>, InstallError> {
    bundle::apply_keeper(&plan.keeper)?;
    let mut backups = bundle::apply(&plan.bundle_changes, &plan.bundle)?;
    for client in &plan.clients {
        if let ClientState::Changed { new, .. } = &client.state {
            let target = resolve_symlink(&client.location.path)?;
            if let Some(backup) = backup_once(&target)? {
                backups.push(backup);
            }
            crate::write::write_users(&target, new.as_bytes(), 0o600)?;
        }
    }
    Ok(backups)
}

/// Dotfile managers link config files into place; write through the link, never over it.
fn resolve_symlink(path: &Path) -> Result<PathBuf, InstallError> {
    if path.is_symlink() {
        fs::canonicalize(path).map_err(|e| WriteError::io("follow the link", path)(e).into())
    } else {
        Ok(path.to_path_buf())
    }
}

/// Copies `path` to `<path>.mcpgen-backup` unless something is at that name already (a link
/// someone planted included, which is never written through): the backup is the file as it
/// was before mcpgen first changed it, never a later state.
pub(crate) fn backup_once(path: &Path) -> Result<Option<PathBuf>, WriteError> {
    if !path.exists() {
        return Ok(None);
    }
    let backup = backup_path(path);
    if fs::symlink_metadata(&backup).is_ok() {
        return Ok(None);
    }
    crate::write::backup(path).map(Some)
}

pub(crate) fn backup_path(path: &Path) -> PathBuf {
    crate::write::disk::backup_path(path, 0)
}

/// The install directory, and each directory above it up to the first that root owns, must be
/// this user's own and writable by no one else: clients run the shims there as this user, so
/// whoever can change them runs code as this user.
pub(crate) fn check_install_dir(dir: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::MetadataExt as _;
    let me = rustix::process::geteuid().as_raw();
    let mut current = Some(dir);
    while let Some(path) = current {
        current = path.parent();
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(WriteError::io("inspect", path)(e).into()),
        };
        if meta.uid() == 0 && me != 0 {
            // The system's directories (`/`, `/home`, `/Users`): as far as ownership goes.
            return Ok(());
        }
        if meta.uid() != me {
            return Err(InstallError::UnsafeInstallDir {
                path: path.to_path_buf(),
                why: format!("owned by uid {}, not by you (uid {me})", meta.uid()),
            });
        }
        // A sticky directory (`/tmp`) lets no one else rename or remove what is ours in it.
        if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
            return Err(InstallError::UnsafeInstallDir {
                path: path.to_path_buf(),
                why: format!("writable by others (mode {:o})", meta.mode() & 0o7777),
            });
        }
    }
    Ok(())
}
