//! The second phase: raw values → the resolved [`Stack`], with every problem collected.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use super::error::ConfigError;
use super::parse::{SpanIndex, pointer_segment, suggest};
use super::raw::{
    RawConfig, RawFallback, RawHardening, RawHealth, RawLimits, RawLogging, RawRestart, RawServer,
};
use crate::model::units::parse_duration;
use crate::model::{
    Allow, ByteSize, Fallback, Health, Limits, Logging, Monitor, Mount, Profile, Restart, Secret,
    SecretSource, Server, Stack, Tmpfs, Volume,
};
use crate::model::{LintSettings, RuleId};

/// The client targets mcpgen renders configs for.
pub const CLIENT_TARGETS: &[&str] = &[
    "claude-desktop",
    "claude-code",
    "cursor",
    "vscode",
    "windsurf",
    "codex",
    "gemini-cli",
    "zed",
    "cline",
    "continue",
];

/// Docker refuses containers with less memory than this.
const MIN_MEMORY: ByteSize = ByteSize(6 << 20);

/// Client sessions per server container, unless `max_sessions` says otherwise or the limits
/// hold fewer.
const DEFAULT_MAX_SESSIONS: u32 = 8;
/// What a typical session's server process takes (a Node.js server: about 60 MB), for the
/// session cap derived from the limits when `max_sessions` is not set.
const TYPICAL_SESSION_MEMORY: u64 = 64 << 20;
/// The least memory a session's server process may be given when `max_sessions` is set.
const MIN_SESSION_MEMORY: u64 = 32 << 20;
/// The least pids a session's server process is given (a Node.js server runs about 11 threads).
const MIN_SESSION_PIDS: u64 = 12;
const DEFAULT_MONITOR_IMAGE: &str = concat!("localhost/mcpgen:", env!("CARGO_PKG_VERSION"));

struct Validator<'a> {
    spans: &'a SpanIndex,
    /// The lint rules `[lint]` and `allow` entries may name.
    rules: &'a [RuleId],
    errors: Vec<ConfigError>,
}

pub fn validate(
    raw: RawConfig,
    spans: &SpanIndex,
    source_name: &str,
    rules: &[RuleId],
) -> Result<Stack, Vec<ConfigError>> {
    let mut v = Validator {
        spans,
        rules,
        errors: Vec::new(),
    };
    let stack = v.stack(raw, source_name);
    if v.errors.is_empty() {
        Ok(stack)
    } else {
        v.errors.sort_by_key(|e| e.span().start);
        v.errors.dedup();
        Err(v.errors)
    }
}

impl Validator<'_> {
    fn value_span(&self, pointer: &str) -> Range<usize> {
        self.spans.value(pointer).unwrap_or(0..0)
    }

    fn bad(
        &mut self,
        pointer: &str,
        what: &'static str,
        value: impl Into<String>,
        why: impl Into<String>,
    ) {
        self.errors.push(ConfigError::BadValue {
            span: self.value_span(pointer),
            what,
            value: value.into(),
            why: why.into(),
        });
    }

    fn stack(&mut self, raw: RawConfig, source_name: &str) -> Stack {
        self.name("/stack/name", &raw.stack.name, "stack name");
        let out_dir = raw.stack.out_dir.unwrap_or_else(|| "generated".to_string());
        if out_dir.starts_with('/')
            || out_dir.starts_with('~')
            || out_dir.split('/').any(|p| p == "..")
        {
            self.bad(
                "/stack/out_dir",
                "out_dir",
                &out_dir,
                "must be a path inside the directory of mcp.toml",
            );
        }
        let install_dir = raw
            .stack
            .install_dir
            .unwrap_or_else(|| format!("~/.mcpgen/{}", raw.stack.name));
        if !(install_dir.starts_with('/') || install_dir == "~" || install_dir.starts_with("~/")) {
            self.bad(
                "/stack/install_dir",
                "install_dir",
                &install_dir,
                "must be absolute or start with `~/`",
            );
        }
        self.defaults(&raw.defaults);
        let monitor = self.monitor(&raw.monitor);
        let profiles = self.profiles(&raw.profiles);
        let clients = self.clients(&raw.clients.targets);
        let lint = self.lint(&raw.lint);
        let servers = raw
            .servers
            .iter()
            .map(|(name, server)| self.server(name, server, &raw.defaults))
            .collect();
        Stack {
            name: raw.stack.name,
            source_name: source_name.to_string(),
            out_dir,
            install_dir,
            monitor,
            profiles,
            clients,
            servers,
            lint,
        }
    }

    fn rule_list(&mut self, pointer: &str, keys: &[String], ignoring: bool) -> Vec<&'static str> {
        let mut codes = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            match self.rule(key) {
                Some(rule) if ignoring && rule.core => self.bad(
                    &at,
                    "rule",
                    key,
                    "a core rule cannot be ignored globally: allow it per server, with a reason",
                ),
                Some(rule) => codes.push(rule.code),
                None => self.unknown_rule(&at, key),
            }
        }
        codes
    }

    fn rule(&self, key: &str) -> Option<RuleId> {
        self.rules.iter().copied().find(|rule| rule.is(key))
    }

    fn unknown_rule(&mut self, pointer: &str, key: &str) {
        let known: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| [r.code.to_string(), r.name.to_string()])
            .collect();
        let hint = suggest(key, &known)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        self.bad(
            pointer,
            "rule",
            key,
            format!("not a known rule{hint}; `mcpgen rules` lists them"),
        );
    }

    fn lint(&mut self, raw: &super::raw::RawLint) -> LintSettings {
        use super::raw::RawSeverity;
        LintSettings {
            select: raw
                .select
                .as_ref()
                .map(|keys| self.rule_list("/lint/select", keys, false)),
            ignore: self.rule_list("/lint/ignore", &raw.ignore, true),
            fail_on: match raw.fail_on.unwrap_or(RawSeverity::Error) {
                RawSeverity::Error => crate::diag::Severity::Error,
                RawSeverity::Warning => crate::diag::Severity::Warning,
                RawSeverity::Info => crate::diag::Severity::Info,
            },
        }
    }

    /// `[defaults]` is checked on its own, so a bad default is reported even with no servers;
    /// servers inheriting it report the same span and message, and are deduplicated.
    fn defaults(&mut self, defaults: &RawHardening) {
        let no_own = "/defaults-only";
        self.limits(no_own, None, defaults.limits.as_ref());
        self.tmpfs(no_own, None, defaults.tmpfs.as_ref());
        self.health(no_own, None, defaults.health.as_ref());
        self.logging(no_own, None, defaults.logging.as_ref());
        if let Some(max) = defaults.max_sessions {
            self.count("/defaults/max_sessions", Some(max), DEFAULT_MAX_SESSIONS, 1);
        }
        if let Some(user) = &defaults.user {
            self.user("/defaults/user", user);
        }
    }

    fn user(&mut self, pointer: &str, user: &str) {
        if user.trim().is_empty() || user.contains(char::is_whitespace) {
            self.bad(
                pointer,
                "user",
                user,
                "expected `uid`, `uid:gid` or a user name",
            );
        }
    }

    /// Names become compose services, container and file names and shell words.
    fn name(&mut self, pointer: &str, name: &str, what: &'static str) {
        if !valid_server_name(name) {
            self.bad(
                pointer,
                what,
                name,
                "must match ^[a-z][a-z0-9-]{0,62}$ (it becomes a container, file and shell name)",
            );
        }
    }

    fn key_name(&mut self, pointer: &str, name: &str, what: &'static str) {
        if !valid_server_name(name) {
            self.errors.push(ConfigError::BadValue {
                span: self.spans.key(pointer).unwrap_or(0..0),
                what,
                value: name.to_string(),
                why: "must match ^[a-z][a-z0-9-]{0,62}$ (it becomes a container, file and shell name)"
                    .to_string(),
            });
        }
    }

    fn duration(&mut self, pointer: &str, text: Option<&String>, default: Duration) -> Duration {
        let Some(text) = text else { return default };
        match parse_duration(text) {
            Ok(d) if d > Duration::ZERO => d,
            Ok(_) => {
                self.bad(pointer, "duration", text, "must be longer than zero");
                default
            }
            Err(why) => {
                self.bad(pointer, "duration", text, why);
                default
            }
        }
    }

    fn size(&mut self, pointer: &str, text: &str, minimum: ByteSize) -> Option<ByteSize> {
        match ByteSize::parse(text) {
            Ok(size) if size >= minimum => Some(size),
            Ok(_) => {
                self.bad(pointer, "size", text, format!("must be at least {minimum}"));
                None
            }
            Err(why) => {
                self.bad(pointer, "size", text, why);
                None
            }
        }
    }

    fn count(&mut self, pointer: &str, value: Option<i64>, default: u32, minimum: i64) -> u32 {
        match value {
            None => default,
            Some(n) if n >= minimum && n <= i64::from(u32::MAX) => n as u32,
            Some(n) => {
                self.bad(
                    pointer,
                    "number",
                    n.to_string(),
                    format!("must be at least {minimum}"),
                );
                default
            }
        }
    }

    fn monitor(&mut self, raw: &super::raw::RawMonitor) -> Monitor {
        Monitor {
            enabled: raw.enabled.unwrap_or(true),
            interval: self.duration(
                "/monitor/interval",
                raw.interval.as_ref(),
                Duration::from_secs(10),
            ),
            failures: self.count("/monitor/failures", raw.failures, 3, 1),
            max_restarts: self.count("/monitor/max_restarts", raw.max_restarts, 5, 1),
            window: self.duration(
                "/monitor/window",
                raw.window.as_ref(),
                Duration::from_secs(600),
            ),
            image: raw
                .image
                .clone()
                .unwrap_or_else(|| DEFAULT_MONITOR_IMAGE.to_string()),
        }
    }

    fn profiles(&mut self, raw: &BTreeMap<String, super::raw::RawProfile>) -> Vec<Profile> {
        if raw.is_empty() {
            return vec![Profile {
                name: "hardened".to_string(),
                fallback: Fallback::None,
                description: None,
            }];
        }
        let profiles: Vec<Profile> = raw
            .iter()
            .map(|(name, profile)| {
                self.key_name(
                    &format!("/profiles/{}", pointer_segment(name)),
                    name,
                    "profile name",
                );
                Profile {
                    name: name.clone(),
                    fallback: fallback(profile.fallback.unwrap_or(RawFallback::None)),
                    description: profile.description.clone(),
                }
            })
            .collect();
        if !profiles.iter().any(|p| p.fallback == Fallback::None) {
            self.errors.push(ConfigError::Invalid {
                span: self.spans.key("/profiles").unwrap_or(0..0),
                message: "no strict profile: at least one profile must have `fallback = \"none\"`"
                    .to_string(),
            });
        }
        profiles
    }

    fn clients(&mut self, targets: &[String]) -> Vec<String> {
        let known: Vec<String> = CLIENT_TARGETS.iter().map(ToString::to_string).collect();
        for (index, target) in targets.iter().enumerate() {
            if !CLIENT_TARGETS.contains(&target.as_str()) {
                let pointer = format!("/clients/targets/{index}");
                let hint = suggest(target, &known)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.bad(
                    &pointer,
                    "client",
                    target,
                    format!(
                        "not a known client{hint}; known: {}",
                        CLIENT_TARGETS.join(", ")
                    ),
                );
            }
        }
        let mut clients = targets.to_vec();
        if !clients.iter().any(|c| c == "claude-desktop") {
            clients.insert(0, "claude-desktop".to_string());
        }
        clients.dedup();
        clients
    }

    fn argv(&mut self, pointer: &str, argv: &[String], what: &'static str) {
        if argv.is_empty() {
            self.bad(pointer, what, "[]", "must not be empty");
        }
        for (index, arg) in argv.iter().enumerate() {
            if arg.contains('\0') {
                self.bad(
                    &format!("{pointer}/{index}"),
                    what,
                    arg.escape_debug().to_string(),
                    "a NUL byte cannot be passed as a command-line argument",
                );
            }
        }
    }

    fn env_names<'m, V>(
        &mut self,
        pointer: &str,
        map: &'m BTreeMap<String, V>,
    ) -> impl Iterator<Item = (&'m String, &'m V)> {
        for name in map.keys() {
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.errors.push(ConfigError::BadValue {
                    span: self
                        .spans
                        .key(&format!("{pointer}/{}", pointer_segment(name)))
                        .unwrap_or(0..0),
                    what: "variable name",
                    value: name.clone(),
                    why: "must match ^[A-Za-z_][A-Za-z0-9_]*$".to_string(),
                });
            }
        }
        map.iter()
    }

    fn env_values(
        &mut self,
        pointer: &str,
        map: &BTreeMap<String, String>,
    ) -> Vec<(String, String)> {
        let pairs: Vec<(String, String)> = self
            .env_names(pointer, map)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, value) in &pairs {
            if value.contains('\0') {
                self.bad(
                    &format!("{pointer}/{}", pointer_segment(name)),
                    "value",
                    value.escape_debug().to_string(),
                    "a NUL byte cannot be passed in the environment",
                );
            }
        }
        pairs
    }

    fn server(&mut self, name: &str, raw: &RawServer, defaults: &RawHardening) -> Server {
        let at = format!("/servers/{}", pointer_segment(name));
        self.key_name(&at, name, "server name");
        if raw.image.trim().is_empty() {
            self.bad(
                &format!("{at}/image"),
                "image",
                &raw.image,
                "must not be empty",
            );
        }
        self.argv(&format!("{at}/command"), &raw.command, "command");
        if let Some(local) = &raw.local {
            self.argv(&format!("{at}/local"), local, "local command");
        }
        // A field set on the server wins; otherwise the default; otherwise mcpgen's own default.
        let field_at = |field: &str| format!("{at}/{field}");
        let max_sessions_at = if raw.max_sessions.is_some() {
            field_at("max_sessions")
        } else {
            "/defaults/max_sessions".to_string()
        };
        let explicit_sessions = raw.max_sessions.or(defaults.max_sessions);

        let env = self.env_values(&format!("{at}/env"), &raw.env);
        let local_env = self.env_values(&format!("{at}/local_env"), &raw.local_env);
        let secrets = self.secrets(&at, raw);
        let limits = self.limits(&at, raw.limits.as_ref(), defaults.limits.as_ref());
        let max_sessions = match explicit_sessions {
            Some(max) => {
                let max = self.count(&max_sessions_at, Some(max), DEFAULT_MAX_SESSIONS, 1);
                self.session_capacity(&at, &limits, max, raw.limits.as_ref());
                max
            }
            None => derived_sessions(&limits),
        };
        let tmpfs = self.tmpfs(&at, raw.tmpfs.as_ref(), defaults.tmpfs.as_ref());
        let health = self.health(&at, raw.health.as_ref(), defaults.health.as_ref());
        let logging = self.logging(&at, raw.logging.as_ref(), defaults.logging.as_ref());
        let user = raw.user.clone().or_else(|| defaults.user.clone());
        if let Some(user) = &raw.user {
            self.user(&field_at("user"), user);
        }
        let mounts = raw
            .mounts
            .iter()
            .enumerate()
            .map(|(index, mount)| {
                let pointer = format!("{at}/mounts/{index}");
                if mount.source.trim().is_empty() || mount.source.contains('\0') {
                    self.bad(
                        &format!("{pointer}/source"),
                        "mount source",
                        &mount.source,
                        "must be a host path",
                    );
                }
                self.container_path(&format!("{pointer}/target"), &mount.target);
                Mount {
                    source: mount.source.clone(),
                    target: mount.target.clone(),
                    read_only: mount.read_only.unwrap_or(true),
                }
            })
            .collect();
        let volumes = raw
            .volumes
            .iter()
            .enumerate()
            .map(|(index, volume)| {
                let pointer = format!("{at}/volumes/{index}");
                let valid = volume.name.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && volume
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                if !valid {
                    self.bad(
                        &format!("{pointer}/name"),
                        "volume name",
                        &volume.name,
                        "must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$",
                    );
                }
                self.container_path(&format!("{pointer}/target"), &volume.target);
                Volume {
                    name: volume.name.clone(),
                    target: volume.target.clone(),
                    read_only: volume.read_only,
                }
            })
            .collect();
        let allow = raw
            .allow
            .iter()
            .enumerate()
            .map(|(index, allow)| {
                let pointer = format!("{at}/allow/{index}");
                if allow.reason.trim().is_empty() {
                    self.bad(
                        &format!("{pointer}/reason"),
                        "reason",
                        &allow.reason,
                        "a reason is required: say why this server may break the rule",
                    );
                }
                if self.rule(&allow.rule).is_none() {
                    self.unknown_rule(&format!("{pointer}/rule"), &allow.rule);
                }
                Allow {
                    rule: allow.rule.clone(),
                    reason: allow.reason.clone(),
                    index,
                }
            })
            .collect();
        Server {
            name: name.to_string(),
            description: raw.description.clone(),
            image: raw.image.clone(),
            command: raw.command.clone(),
            max_sessions,
            local: raw.local.clone(),
            local_env,
            env,
            secrets,
            mounts,
            volumes,
            egress: raw.egress,
            user,
            read_only: raw.read_only.or(defaults.read_only).unwrap_or(true),
            cap_drop: raw
                .cap_drop
                .clone()
                .or_else(|| defaults.cap_drop.clone())
                .unwrap_or_else(|| vec!["ALL".to_string()]),
            no_new_privileges: raw
                .no_new_privileges
                .or(defaults.no_new_privileges)
                .unwrap_or(true),
            init: raw.init.or(defaults.init).unwrap_or(true),
            restart: restart(
                raw.restart
                    .or(defaults.restart)
                    .unwrap_or(RawRestart::UnlessStopped),
            ),
            limits,
            tmpfs,
            health,
            fallback: fallback(
                raw.fallback
                    .or(defaults.fallback)
                    .unwrap_or(RawFallback::Local),
            ),
            logging,
            allow,
        }
    }

    fn container_path(&mut self, pointer: &str, path: &str) {
        if !path.starts_with('/') || path.contains(':') || path.contains('\0') {
            self.bad(
                pointer,
                "container path",
                path,
                "must be an absolute path without `:`",
            );
        }
    }

    fn secrets(&mut self, at: &str, raw: &RawServer) -> Vec<Secret> {
        let pointer = format!("{at}/secrets");
        let entries: Vec<_> = self.env_names(&pointer, &raw.secrets).collect();
        let mut secrets = Vec::new();
        for (name, secret) in entries {
            let entry = format!("{pointer}/{}", pointer_segment(name));
            if raw.env.contains_key(name) {
                self.bad(
                    &entry,
                    "secret",
                    name,
                    "also set in `env`: a secret must not have a literal value",
                );
            }
            let source = match (&secret.env, &secret.file, &secret.command) {
                (Some(var), None, None) => SecretSource::Env(var.clone()),
                (None, Some(file), None) => SecretSource::File(file.clone()),
                (None, None, Some(command)) => {
                    self.argv(&format!("{entry}/command"), command, "secret command");
                    SecretSource::Command(command.clone())
                }
                _ => {
                    self.errors.push(ConfigError::Invalid {
                        span: self.value_span(&entry),
                        message: format!(
                            "secret `{name}` needs exactly one of `env`, `file` or `command`"
                        ),
                    });
                    continue;
                }
            };
            secrets.push(Secret {
                name: name.clone(),
                source,
            });
        }
        secrets
    }

    /// Sessions share the container's limits: each (and the health check's own server
    /// process) must get a share a server can run in, or a busy stack kills its neighbours.
    fn session_capacity(
        &mut self,
        at: &str,
        limits: &Limits,
        max_sessions: u32,
        own: Option<&RawLimits>,
    ) {
        let processes = u64::from(max_sessions) + 1;
        let limits_at = |set: bool| {
            if set {
                format!("{at}/limits")
            } else {
                "/defaults/limits".to_string()
            }
        };
        if let Some(memory) = limits.memory
            && memory.0 / processes < MIN_SESSION_MEMORY
        {
            let needed = crate::model::ByteSize(MIN_SESSION_MEMORY * processes);
            self.bad(
                &format!(
                    "{}/memory",
                    limits_at(own.is_some_and(|l| l.memory.is_some()))
                ),
                "memory",
                memory.to_string(),
                format!(
                    "too small for max_sessions = {max_sessions}: each session and the health \
                     check need at least {}; raise it to {needed} or lower max_sessions",
                    crate::model::ByteSize(MIN_SESSION_MEMORY)
                ),
            );
        }
        if let Some(pids) = limits.pids
            && u64::try_from(pids).unwrap_or(0) < MIN_SESSION_PIDS * processes + 2
        {
            self.bad(
                &format!("{}/pids", limits_at(own.is_some_and(|l| l.pids.is_some()))),
                "pids",
                pids.to_string(),
                format!(
                    "too small for max_sessions = {max_sessions}: each session and the health \
                     check need {MIN_SESSION_PIDS} processes; raise it to {} or lower max_sessions",
                    MIN_SESSION_PIDS * processes + 2
                ),
            );
        }
    }

    fn limits(
        &mut self,
        at: &str,
        own: Option<&RawLimits>,
        defaults: Option<&RawLimits>,
    ) -> Limits {
        let pick = |f: fn(&RawLimits) -> bool| -> String {
            if own.is_some_and(f) {
                format!("{at}/limits")
            } else {
                "/defaults/limits".to_string()
            }
        };
        let cpus = own
            .and_then(|l| l.cpus)
            .or_else(|| defaults.and_then(|l| l.cpus));
        let memory = own
            .and_then(|l| l.memory.clone())
            .or_else(|| defaults.and_then(|l| l.memory.clone()));
        let pids = own
            .and_then(|l| l.pids)
            .or_else(|| defaults.and_then(|l| l.pids));
        if let Some(cpus) = cpus
            && !(cpus > 0.0 && cpus <= 1024.0)
        {
            self.bad(
                &format!("{}/cpus", pick(|l| l.cpus.is_some())),
                "cpus",
                cpus.to_string(),
                "must be more than 0",
            );
        }
        if let Some(pids) = pids
            && pids < 1
        {
            self.bad(
                &format!("{}/pids", pick(|l| l.pids.is_some())),
                "pids",
                pids.to_string(),
                "must be at least 1",
            );
        }
        let memory = memory.and_then(|m| {
            let pointer = format!("{}/memory", pick(|l| l.memory.is_some()));
            self.size(&pointer, &m, MIN_MEMORY)
        });
        Limits { cpus, memory, pids }
    }

    fn tmpfs(
        &mut self,
        at: &str,
        own: Option<&BTreeMap<String, String>>,
        defaults: Option<&BTreeMap<String, String>>,
    ) -> Vec<Tmpfs> {
        let (map, base) = match (own, defaults) {
            (Some(map), _) => (map, format!("{at}/tmpfs")),
            (None, Some(map)) => (map, "/defaults/tmpfs".to_string()),
            (None, None) => {
                return vec![Tmpfs {
                    target: "/tmp".to_string(),
                    size: ByteSize(16 << 20),
                }];
            }
        };
        map.iter()
            .filter_map(|(target, size)| {
                let pointer = format!("{base}/{}", pointer_segment(target));
                if !target.starts_with('/') || target.contains([':', ',', '\0']) {
                    self.errors.push(ConfigError::BadValue {
                        span: self.spans.key(&pointer).unwrap_or(0..0),
                        what: "tmpfs path",
                        value: target.clone(),
                        why: "must be an absolute path without `:` or `,`".to_string(),
                    });
                }
                let size = self.size(&pointer, size, ByteSize(1))?;
                Some(Tmpfs {
                    target: target.clone(),
                    size,
                })
            })
            .collect()
    }

    fn health(
        &mut self,
        at: &str,
        own: Option<&RawHealth>,
        defaults: Option<&RawHealth>,
    ) -> Health {
        // Each field on its own: a server may change the timeout and keep the default interval.
        let field_pointer = |field: &str, own_has: bool| {
            if own_has {
                format!("{at}/health/{field}")
            } else {
                format!("/defaults/health/{field}")
            }
        };
        macro_rules! pick {
            ($field:ident) => {{
                let own_value = own.and_then(|h| h.$field.clone());
                let own_has = own_value.is_some();
                (
                    own_value.or_else(|| defaults.and_then(|h| h.$field.clone())),
                    field_pointer(stringify!($field), own_has),
                )
            }};
        }
        let (interval, interval_at) = pick!(interval);
        let (timeout, timeout_at) = pick!(timeout);
        let (start_period, start_at) = pick!(start_period);
        let (retries, retries_at) = pick!(retries);
        let (test, test_at) = pick!(test);
        let (enabled, _) = pick!(enabled);
        if let Some(test) = &test {
            self.argv(&test_at, test, "health test");
            if !matches!(test.first().map(String::as_str), Some("CMD" | "CMD-SHELL")) {
                self.bad(
                    &test_at,
                    "health test",
                    test.join(" "),
                    "must start with \"CMD\" or \"CMD-SHELL\" (compose's form)",
                );
            }
        }
        Health {
            enabled: enabled.unwrap_or(true),
            test,
            interval: self.duration(&interval_at, interval.as_ref(), Duration::from_secs(15)),
            timeout: self.duration(&timeout_at, timeout.as_ref(), Duration::from_secs(5)),
            retries: self.count(&retries_at, retries, 3, 1),
            start_period: self.duration(&start_at, start_period.as_ref(), Duration::from_secs(10)),
        }
    }

    fn logging(
        &mut self,
        at: &str,
        own: Option<&RawLogging>,
        defaults: Option<&RawLogging>,
    ) -> Logging {
        let own_size = own.and_then(|l| l.max_size.clone());
        let size_at = if own_size.is_some() {
            format!("{at}/logging/max_size")
        } else {
            "/defaults/logging/max_size".to_string()
        };
        let max_size = own_size
            .or_else(|| defaults.and_then(|l| l.max_size.clone()))
            .and_then(|text| self.size(&size_at, &text, ByteSize(1 << 10)))
            .unwrap_or(ByteSize(10 << 20));
        let own_files = own.and_then(|l| l.max_file);
        let files_at = if own_files.is_some() {
            format!("{at}/logging/max_file")
        } else {
            "/defaults/logging/max_file".to_string()
        };
        let max_file = self.count(
            &files_at,
            own_files.or_else(|| defaults.and_then(|l| l.max_file)),
            3,
            1,
        );
        Logging { max_size, max_file }
    }
}

pub fn valid_server_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The sessions the container's limits hold at a typical server's size (the health check's
/// server process takes one share), at most [`DEFAULT_MAX_SESSIONS`], at least one.
fn derived_sessions(limits: &Limits) -> u32 {
    let by_memory = limits.memory.map_or(u64::MAX, |m| {
        (m.0 / TYPICAL_SESSION_MEMORY).saturating_sub(1)
    });
    let by_pids = limits.pids.map_or(u64::MAX, |p| {
        (u64::try_from(p).unwrap_or(0).saturating_sub(2) / MIN_SESSION_PIDS).saturating_sub(1)
    });
    let fits = by_memory.min(by_pids).min(u64::from(DEFAULT_MAX_SESSIONS));
    u32::try_from(fits).unwrap_or(DEFAULT_MAX_SESSIONS).max(1)
}

fn fallback(raw: RawFallback) -> Fallback {
    match raw {
        RawFallback::Local => Fallback::Local,
        RawFallback::None => Fallback::None,
    }
}

fn restart(raw: RawRestart) -> Restart {
    match raw {
        RawRestart::No => Restart::No,
        RawRestart::Always => Restart::Always,
        RawRestart::OnFailure => Restart::OnFailure,
        RawRestart::UnlessStopped => Restart::UnlessStopped,
    }
}
