//! `mcp.toml` exactly as written: the serde types that also generate the file's JSON Schema.
//!
//! Nothing here is resolved: defaults, units and names are checked in [`super::validate`].
//! Every table rejects unknown keys, so the schema does too and editors flag typos.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// The whole of `mcp.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "mcp.toml",
    description = "mcpgen: one declarative file for a hardened MCP server stack."
)]
pub struct RawConfig {
    pub stack: RawStack,
    /// Hardening every server inherits; a server may tighten these, loosening needs an `allow`.
    #[serde(default)]
    pub defaults: RawHardening,
    #[serde(default)]
    pub monitor: RawMonitor,
    /// Named profiles; each gets its own client configs. Default: `hardened` (no fallback).
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    #[serde(default)]
    pub clients: RawClients,
    /// One table per MCP server; the name becomes the compose service, container and shim name.
    #[serde(default)]
    pub servers: BTreeMap<String, RawServer>,
    #[serde(default)]
    pub lint: RawLint,
}

/// Which lint rules run and what fails `mcpgen lint`. The core rules (MCP001–MCP004) cannot be
/// ignored here: allow them per server, with a reason.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLint {
    /// Only these rules (codes or names); default: all.
    pub select: Option<Vec<String>>,
    /// Rules to skip (codes or names).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The lowest severity that makes `mcpgen lint` exit 1. Default `error`.
    pub fail_on: Option<RawSeverity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawSeverity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStack {
    /// Compose project name; containers are named `<name>-<server>`.
    pub name: String,
    /// Where artifacts are written, relative to mcp.toml. Default `generated`.
    pub out_dir: Option<String>,
    /// Where `mcpgen install` puts the runnable bundle; `~` means the user's home at run time.
    /// Default `~/.mcpgen/<name>`.
    pub install_dir: Option<String>,
}

/// Declares the hardening fields once for `[defaults]` and for each `[servers.x]`, so both
/// tables accept exactly the same keys and the schema stays flat, as users write it.
macro_rules! with_hardening_fields {
    ($(#[$attr:meta])* pub struct $name:ident { $($(#[$fattr:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$attr])*
        pub struct $name {
            /// `uid:gid` (or `uid`) the container runs as. Must not be root.
            pub user: Option<String>,
            /// Read-only root filesystem.
            pub read_only: Option<bool>,
            /// Capabilities to drop; must contain `ALL`.
            pub cap_drop: Option<Vec<String>>,
            /// `security_opt: no-new-privileges:true`.
            pub no_new_privileges: Option<bool>,
            /// An init process as PID 1 that reaps finished sessions.
            pub init: Option<bool>,
            /// Compose restart policy.
            pub restart: Option<RawRestart>,
            pub limits: Option<RawLimits>,
            /// Mount point → size (e.g. `{ "/tmp" = "16M" }`); always noexec,nosuid,nodev.
            pub tmpfs: Option<BTreeMap<String, String>>,
            pub health: Option<RawHealth>,
            /// Whether a profile that allows fallback may run this server's `local` command.
            pub fallback: Option<RawFallback>,
            /// Client sessions that may run at once (each is a server process in the one
            /// container, sharing its limits); one more is answered "busy". Default 8.
            pub max_sessions: Option<i64>,
            pub logging: Option<RawLogging>,
            $($(#[$fattr])* pub $field: $ty,)*
        }
    };
}

with_hardening_fields! {
    #[derive(Debug, Default, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RawHardening {}
}

with_hardening_fields! {
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RawServer {
        /// Container image; pin it with a digest (`@sha256:…`).
        pub image: String,
        /// The MCP server's stdio command inside the container.
        pub command: Vec<String>,
        /// Command run on the host when the container path fails and fallback is allowed.
        pub local: Option<Vec<String>>,
        /// Environment for the local command only (the container's paths differ).
        #[serde(default)]
        pub local_env: BTreeMap<String, String>,
        /// Literal, non-secret environment of the container.
        #[serde(default)]
        pub env: BTreeMap<String, String>,
        /// Secret references, resolved by the shim at run time and passed by name.
        #[serde(default)]
        pub secrets: BTreeMap<String, RawSecret>,
        /// Host bind mounts; read-only unless `read_only = false`.
        #[serde(default)]
        pub mounts: Vec<RawMount>,
        /// Named volumes: writable, persistent state.
        #[serde(default)]
        pub volumes: Vec<RawVolume>,
        /// Needs the internet: also joins a non-internal network.
        #[serde(default)]
        pub egress: bool,
        /// Lint rules this server may break, each with a reason.
        #[serde(default)]
        pub allow: Vec<RawAllow>,
        /// Free text shown in client configs and `mcpgen probe`.
        pub description: Option<String>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum RawRestart {
    #[serde(rename = "no")]
    No,
    #[serde(rename = "always")]
    Always,
    #[serde(rename = "on-failure")]
    OnFailure,
    #[serde(rename = "unless-stopped")]
    UnlessStopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawFallback {
    /// Run the `local` command, unsandboxed, when the container path fails.
    Local,
    /// Never run unsandboxed: answer the client with an error instead.
    None,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// CPU cores, e.g. 0.5.
    pub cpus: Option<f64>,
    /// Memory, e.g. "256M".
    pub memory: Option<String>,
    /// Maximum number of processes.
    pub pids: Option<i64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHealth {
    /// `false` turns the health check off (needs an `allow` for MCP018).
    pub enabled: Option<bool>,
    /// Your own check, as a compose `test` (e.g. ["CMD", "/bin/check"]). Default: an MCP handshake.
    pub test: Option<Vec<String>>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<i64>,
    pub start_period: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLogging {
    /// Size of one log file before rotation, e.g. "10M".
    pub max_size: Option<String>,
    /// Rotated files kept.
    pub max_file: Option<i64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMonitor {
    pub enabled: Option<bool>,
    /// Time between MCP probes of each server.
    pub interval: Option<String>,
    /// Consecutive failed probes before a restart.
    pub failures: Option<i64>,
    /// Restarts allowed within `window`; past that the server is marked failed.
    pub max_restarts: Option<i64>,
    pub window: Option<String>,
    /// mcpgen's own image (built from its Dockerfile): the monitor runs it, and every server
    /// container gets its helper (idle process, health check, session gate) from it.
    pub image: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// `none` never runs a server unsandboxed; `local` may fall back to its local command.
    pub fallback: Option<RawFallback>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClients {
    /// Clients to render configs for, e.g. ["claude-desktop"].
    #[serde(default)]
    pub targets: Vec<String>,
}

/// Exactly one of `env`, `file` or `command`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSecret {
    /// Read from this environment variable of the shim.
    pub env: Option<String>,
    /// Read from this file (`~` is the user's home); a trailing newline is dropped.
    pub file: Option<String>,
    /// Print the secret on stdout (e.g. a keychain lookup).
    pub command: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMount {
    /// Host path; `~` is the home directory of whoever runs compose.
    pub source: String,
    pub target: String,
    /// Default true.
    pub read_only: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolume {
    pub name: String,
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAllow {
    /// Rule ID (MCP013) or name (bind-mount-read-only).
    pub rule: String,
    /// Why this server may break the rule; required.
    pub reason: String,
}
