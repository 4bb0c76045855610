//! Which entries of a client's file are mcpgen's.
//!
//! An entry is mcpgen's exactly when it launches a shim of this stack's bundle: its command is
//! `/bin/sh -c 'exec <install_dir>/shims/hardened_<name>.sh'`. No extra marker key is needed
//! (clients such as Claude Desktop reject keys they do not know), entries of another stack with
//! another `install_dir` are left alone, and a user's entry is never taken for mcpgen's.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::paths::Env;
use crate::config::validate::valid_server_name;

/// What an existing entry of a client's file is, next to the entry mcpgen wants under its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Launches one of this stack's shims: mcpgen's to update or remove.
    Ours,
    /// The user's own entry running exactly the command that `mcp.toml` keeps as the `local`
    /// fallback of this server (what `init --from` imported): the hardened entry replaces it,
    /// and the command lives on in `mcp.toml`.
    Imported(String),
    /// Anything else: the user's, never touched without `--force`.
    Theirs,
}

/// Recognises this stack's entries.
#[derive(Debug, Clone)]
pub(crate) struct Ownership {
    /// `install_dir` as the launcher's shell sees it: `~` written as `$HOME`.
    shim_dir: String,
    /// Each server's `local` command, with `~` expanded as the client would have written it.
    locals: BTreeMap<String, Vec<String>>,
}

impl Ownership {
    pub(crate) fn new(install_dir: &str, locals: BTreeMap<String, Vec<String>>, env: &Env) -> Self {
        let trimmed = install_dir.trim_end_matches('/');
        let dir = if trimmed == "~" {
            "$HOME".to_string()
        } else if let Some(rest) = trimmed.strip_prefix("~/") {
            format!("$HOME/{rest}")
        } else {
            trimmed.to_string()
        };
        let locals = locals
            .into_iter()
            .map(|(name, argv)| (name, expand_all(&argv, &env.home)))
            .collect();
        Self {
            shim_dir: format!("{dir}/shims/"),
            locals,
        }
    }

    /// The server whose shim `entry` launches, when it is one of this stack's.
    pub(crate) fn shim_of(&self, entry: &Value) -> Option<String> {
        let (command, args) = command_and_args(entry)?;
        if command != "/bin/sh" || args.first().map(String::as_str) != Some("-c") {
            return None;
        }
        let script = args.get(1)?.strip_prefix("exec ")?;
        // The launcher quotes the path for the shell; undo exactly that quoting.
        let words = shlex::split(script)?;
        let [path] = words.as_slice() else {
            return None;
        };
        let name = path
            .strip_prefix(&self.shim_dir)?
            .strip_prefix("hardened_")?
            .strip_suffix(".sh")?;
        valid_server_name(name).then(|| name.to_string())
    }

    /// What the entry under `name` is. An imported command is looked for under its own name
    /// first, then under any server's (`init --from` may have renamed `GitHub` to `github`).
    pub(crate) fn classify(&self, name: &str, entry: &Value, env: &Env) -> Existing {
        if self.shim_of(entry).is_some() {
            return Existing::Ours;
        }
        let Some((command, args)) = command_and_args(entry) else {
            return Existing::Theirs;
        };
        let mut argv = vec![command];
        argv.extend(args);
        let argv = expand_all(&argv, &env.home);
        if self.locals.get(name) == Some(&argv) {
            return Existing::Imported(name.to_string());
        }
        self.locals
            .iter()
            .find(|(_, local)| **local == argv)
            .map_or(Existing::Theirs, |(server, _)| {
                Existing::Imported(server.clone())
            })
    }
}

/// A stdio entry's `command` and `args` (JSON clients and Codex alike).
pub(crate) fn command_and_args(entry: &Value) -> Option<(String, Vec<String>)> {
    let command = entry.get("command")?.as_str()?.to_string();
    let args = match entry.get("args") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| a.as_str().map(ToString::to_string))
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    Some((command, args))
}

fn expand_all(argv: &[String], home: &Path) -> Vec<String> {
    argv.iter()
        .map(|word| {
            if word == "~" {
                home.display().to_string()
            } else if let Some(rest) = word.strip_prefix("~/") {
                home.join(rest).display().to_string()
            } else {
                word.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    fn env() -> Env {
        Env::linux("/home/me")
    }

    fn ownership(install_dir: &str) -> Ownership {
        let locals = BTreeMap::from([(
            "fs".to_string(),
            vec![
                "npx".to_string(),
                "-y".to_string(),
                "@modelcontextprotocol/server-filesystem".to_string(),
                "~/projects".to_string(),
            ],
        )]);
        Ownership::new(install_dir, locals, &env())
    }

    fn launcher(script: &str) -> Value {
        json!({"command": "/bin/sh", "args": ["-c", script, "mcpgen-x"]})
    }

    #[test]
    fn this_stacks_shims_are_ours_and_nothing_else_is() {
        let o = ownership("~/.mcpgen/mcp");
        let ours = launcher("exec \"$HOME\"/.mcpgen/mcp/shims/hardened_memory.sh");
        assert_eq!(o.shim_of(&ours).as_deref(), Some("memory"));
        assert_eq!(o.classify("anything", &ours, &env()), Existing::Ours);
        // Another stack's bundle, a look-alike path, a user's own shell entry.
        for other in [
            launcher("exec \"$HOME\"/.mcpgen/other/shims/hardened_memory.sh"),
            launcher("exec \"$HOME\"/.mcpgen/mcp/shims/hardened_memory.sh; rm -rf /"),
            launcher("exec \"$HOME\"/.mcpgen/mcp/shims/hardened_Bad.sh"),
            json!({"command": "/bin/bash", "args": ["-c", "exec \"$HOME\"/.mcpgen/mcp/shims/hardened_memory.sh"]}),
            json!({"command": "npx", "args": ["-y", "server-memory"]}),
        ] {
            assert_eq!(o.shim_of(&other), None, "{other}");
        }
    }

    #[test]
    fn quoted_install_dirs_are_recognised() {
        let o = ownership("/opt/mcp bundle/");
        let ours = launcher("exec '/opt/mcp bundle/shims/hardened_everything.sh'");
        assert_eq!(o.shim_of(&ours).as_deref(), Some("everything"));
    }

    #[test]
    fn the_imported_command_is_recognised_with_home_expanded() {
        let o = ownership("~/.mcpgen/mcp");
        let original = json!({
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/projects"],
            "env": {"X": "1"}
        });
        assert_eq!(
            o.classify("fs", &original, &env()),
            Existing::Imported("fs".into())
        );
        // Under another name (the user's `Files`), it is still the command fs imported.
        assert_eq!(
            o.classify("Files", &original, &env()),
            Existing::Imported("fs".into())
        );
        let changed = json!({"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]});
        assert_eq!(o.classify("fs", &changed, &env()), Existing::Theirs);
    }
}
