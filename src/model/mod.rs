//! The resolved stack: defaults, profiles and per-server overrides merged. Render, lint's
//! mcp.toml front end and the run-time parts read only this; where a value came from is kept by
//! the config stage beside it, not here. [`contract`] holds the names the stages agree on.

pub mod contract;
pub mod units;

use std::time::Duration;

use crate::diag::Severity;

pub use units::ByteSize;

#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    /// The config file's name as the user knows it, for headers ("generated from mcp.toml").
    pub source_name: String,
    pub out_dir: String,
    pub install_dir: String,
    pub monitor: Monitor,
    pub profiles: Vec<Profile>,
    pub clients: Vec<String>,
    pub servers: Vec<Server>,
    pub lint: LintSettings,
}

/// `[lint]`: which rules run and what fails a run — the same for `build`, `check` and `lint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintSettings {
    /// Rule codes to run; `None` runs every rule. Core rules run whatever this says.
    pub select: Option<Vec<&'static str>>,
    /// Rule codes to skip. Never a core rule: validation refuses that.
    pub ignore: Vec<&'static str>,
    /// The lowest severity that fails the run.
    pub fail_on: Severity,
}

impl Default for LintSettings {
    fn default() -> Self {
        Self {
            select: None,
            ignore: Vec::new(),
            fail_on: Severity::Error,
        }
    }
}

/// A lint rule as `mcp.toml` names it. The config stage checks `[lint]` and `allow` entries
/// against the catalog of these it is given, so it need not know the rules themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleId {
    pub code: &'static str,
    pub name: &'static str,
    /// A core rule can be allowed per server, with a reason, but not ignored globally.
    pub core: bool,
}

impl RuleId {
    /// Whether `key` names this rule: its code in any case, or its name.
    pub fn is(&self, key: &str) -> bool {
        self.code.eq_ignore_ascii_case(key) || self.name == key
    }
}

impl Stack {
    /// The strict profile: the one that never falls back, and the shims' default.
    pub fn strict_profile(&self) -> &Profile {
        self.profiles
            .iter()
            .find(|p| p.fallback == Fallback::None)
            .unwrap_or(&self.profiles[0])
    }

    pub fn container_name(&self, server: &Server) -> String {
        format!("{}-{}", self.name, server.name)
    }

    pub fn has_egress(&self) -> bool {
        self.servers.iter().any(|s| s.egress)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    Local,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

impl Restart {
    pub fn as_compose(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::Always => "always",
            Restart::OnFailure => "on-failure",
            Restart::UnlessStopped => "unless-stopped",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub fallback: Fallback,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Monitor {
    pub enabled: bool,
    pub interval: Duration,
    pub failures: u32,
    pub max_restarts: u32,
    pub window: Duration,
    pub image: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub cpus: Option<f64>,
    pub memory: Option<ByteSize>,
    pub pids: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Tmpfs {
    pub target: String,
    pub size: ByteSize,
}

#[derive(Debug, Clone)]
pub struct Health {
    pub enabled: bool,
    /// A compose `test` given by the user; `None` renders mcpgen's MCP handshake check.
    pub test: Option<Vec<String>>,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
}

#[derive(Debug, Clone)]
pub struct Logging {
    pub max_size: ByteSize,
    pub max_file: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(String),
    Command(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Secret {
    /// The variable the server reads.
    pub name: String,
    pub source: SecretSource,
}

#[derive(Debug, Clone)]
pub struct Mount {
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Allow {
    pub rule: String,
    pub reason: String,
    /// Index into the server's `allow` array, so findings can point at the entry.
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub description: Option<String>,
    pub image: String,
    pub command: Vec<String>,
    /// Client sessions that may run at once in the container; one more is answered "busy".
    pub max_sessions: u32,
    pub local: Option<Vec<String>>,
    pub local_env: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub secrets: Vec<Secret>,
    pub mounts: Vec<Mount>,
    pub volumes: Vec<Volume>,
    pub egress: bool,
    pub user: Option<String>,
    pub read_only: bool,
    pub cap_drop: Vec<String>,
    pub no_new_privileges: bool,
    pub init: bool,
    pub restart: Restart,
    pub limits: Limits,
    pub tmpfs: Vec<Tmpfs>,
    pub health: Health,
    pub fallback: Fallback,
    pub logging: Logging,
    pub allow: Vec<Allow>,
}

impl Server {
    /// Whether this server may run unsandboxed under `profile`.
    pub fn may_fall_back(&self, profile: &Profile) -> bool {
        self.local.is_some()
            && self.fallback == Fallback::Local
            && profile.fallback == Fallback::Local
    }
}
