//! What a merge into a client's file did, whatever the file's format.

use std::collections::BTreeMap;

use serde_json::Value;

use super::owner::{Existing, Ownership};
use super::paths::Env;

/// One entry's fate in a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryChange {
    Added(String),
    Updated(String),
    /// A server removed from `mcp.toml`: its entry leaves the client.
    Removed(String),
    /// The user's entry that `init --from` imported, replaced by the hardened one.
    Adopted(String),
    /// The same, where the user's entry had another name: it leaves, the server's name arrives.
    AdoptedRenamed {
        from: String,
        to: String,
    },
    /// The user's own entry of the same name, replaced because of `--force`.
    Replaced(String),
}

impl EntryChange {
    pub(crate) fn describe(&self) -> String {
        match self {
            EntryChange::Added(name) => format!("+ {name}"),
            EntryChange::Updated(name) => format!("~ {name}"),
            EntryChange::Removed(name) => format!("- {name} (no longer in mcp.toml)"),
            EntryChange::Adopted(name) => {
                format!("~ {name} (your command is its `local` fallback in mcp.toml)")
            }
            EntryChange::AdoptedRenamed { from, to } => {
                format!("~ {from} → {to} (your command is its `local` fallback in mcp.toml)")
            }
            EntryChange::Replaced(name) => format!("! {name} (your entry, replaced: --force)"),
        }
    }
}

/// The result of merging mcpgen's entries into a file's text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    pub text: String,
    pub changes: Vec<EntryChange>,
    /// Names where the user has an entry of their own and no `--force` was given.
    pub conflicts: Vec<String>,
}

/// Why a file could not be merged into: it is left untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MergeError {
    #[error("cannot parse it: {0}")]
    Parse(String),
    #[error("{0}")]
    Shape(String),
}

/// What to do with each name, decided once for every format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Insert(String, Value),
    /// An insert already reported by the removal it pairs with.
    InsertQuietly(String, Value),
    Replace(String, Value, EntryChange),
    Remove(String, EntryChange),
}

/// Decides every action from the entries a file has now (name → value, in file order) and the
/// entries mcpgen wants; the format modules only carry them out.
pub(crate) fn decide(
    existing: &[(String, Value)],
    desired: &BTreeMap<String, Value>,
    ownership: &Ownership,
    env: &Env,
    force: bool,
) -> (Vec<Action>, Vec<String>) {
    let mut actions = Vec::new();
    let mut conflicts = Vec::new();
    for (name, value) in existing {
        match desired.get(name) {
            Some(wanted) => {
                let change = match ownership.classify(name, value, env) {
                    Existing::Ours if value == wanted => continue,
                    Existing::Ours => EntryChange::Updated(name.clone()),
                    Existing::Imported(_) => EntryChange::Adopted(name.clone()),
                    Existing::Theirs if force => EntryChange::Replaced(name.clone()),
                    Existing::Theirs => {
                        conflicts.push(name.clone());
                        continue;
                    }
                };
                actions.push(Action::Replace(name.clone(), wanted.clone(), change));
            }
            None => match ownership.classify(name, value, env) {
                Existing::Ours => {
                    actions.push(Action::Remove(
                        name.clone(),
                        EntryChange::Removed(name.clone()),
                    ));
                }
                // The user's entry for a server that mcpgen now runs under its own name.
                Existing::Imported(server) if desired.contains_key(&server) => {
                    actions.push(Action::Remove(
                        name.clone(),
                        EntryChange::AdoptedRenamed {
                            from: name.clone(),
                            to: server,
                        },
                    ));
                }
                Existing::Imported(_) | Existing::Theirs => {}
            },
        }
    }
    for (name, wanted) in desired {
        if !existing.iter().any(|(n, _)| n == name) {
            // A renamed adoption reads as one change, not a removal and an addition.
            let adopted = actions.iter().any(|a| {
                matches!(a, Action::Remove(_, EntryChange::AdoptedRenamed { to, .. }) if to == name)
            });
            let action = Action::Insert(name.clone(), wanted.clone());
            actions.push(if adopted {
                Action::InsertQuietly(name.clone(), wanted.clone())
            } else {
                action
            });
        }
    }
    (actions, conflicts)
}

impl Action {
    pub(crate) fn change(&self) -> Option<EntryChange> {
        Some(match self {
            Action::Insert(name, _) => EntryChange::Added(name.clone()),
            Action::InsertQuietly(..) => return None,
            Action::Replace(_, _, change) => change.clone(),
            Action::Remove(_, change) => change.clone(),
        })
    }
}
