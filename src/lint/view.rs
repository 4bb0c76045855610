//! The service view: one shape for a service, whether it came from `mcp.toml` or from a compose
//! file, so every rule is written once and works on both inputs.

use super::host_path::{self, Landing};
use crate::source::Span;

/// A value and the text that set it. `span` is `None` only for input read without positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Option<Span>,
    /// Set when the value came from interpolation and depends on the environment.
    /// Boxed, not a `String`: few values have one, and a view holds a dozen `Located`s.
    pub note: Option<Box<str>>,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Option<Span>) -> Self {
        Self {
            value,
            span,
            note: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    Other,
}

#[derive(Debug, Clone)]
pub struct MountView {
    pub kind: MountKind,
    /// The host path (bind) or volume name, interpolation already resolved to its default.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// For [`MountKind::Tmpfs`] only: mount options in [`TmpfsView::options`]' form, so one check
    /// covers both syntaxes. Compose's long syntax (`tmpfs: { size: 16m, mode: 1777 }`) becomes
    /// `size=16m`, `mode=1777`; it cannot say `noexec`, `nosuid` or `nodev`. Empty otherwise.
    pub tmpfs_options: Vec<String>,
    pub span: Option<Span>,
    /// For a bind: where its source lands on the host. `None` where the front end knew neither
    /// the directory it is relative to nor the home directory.
    pub landing: Option<Landing>,
    /// For a bind made by a named volume (`driver_opts: { type: none, o: bind, device: … }`):
    /// the volume's name; `source` is then its device.
    pub volume: Option<String>,
}

impl MountView {
    /// Where the source lands on the host, as far as it is known.
    pub fn lands(&self) -> Landing {
        self.landing.clone().unwrap_or_else(|| {
            host_path::land(self.source.as_deref().unwrap_or_default(), None, None)
        })
    }

    /// The source as a message names it: as written, with where it lands when that differs,
    /// and through the volume that binds it.
    pub fn described(&self) -> String {
        let source = self.source.as_deref().unwrap_or_default().trim();
        let landing = self.lands();
        let path = landing.path;
        // The project's own folders are not spelled out: where the project is kept is no news.
        let lands = if path == source || landing.in_project {
            String::new()
        } else {
            format!("`{path}` once resolved")
        };
        match (&self.volume, lands.is_empty()) {
            (Some(volume), true) => format!("the volume `{volume}` (a bind of `{source}`)"),
            (Some(volume), false) => {
                format!("the volume `{volume}` (a bind of `{source}`, {lands})")
            }
            (None, true) => format!("`{source}`"),
            (None, false) => format!("`{source}` ({lands})"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PortView {
    pub host_ip: Option<String>,
    pub published: Option<String>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct EnvView {
    pub key: String,
    /// `None` for a bare `KEY` that passes the value through from the environment.
    pub value: Option<String>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct TmpfsView {
    pub target: String,
    /// Mount options, lower-case (`noexec`, `size=16m`, …).
    pub options: Vec<String>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct NetworkView {
    pub name: String,
    /// `internal: true` on the network's definition; `false` for the implicit `default` network
    /// and for networks whose definition is not known (external ones).
    pub internal: bool,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct HealthView {
    /// `disable: true`, or a `test` of `["NONE"]`: a healthcheck that checks nothing.
    pub disabled: bool,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct LoggingView {
    /// `None` when `logging` does not name a driver: the engine's default (json-file) applies.
    pub driver: Option<String>,
    /// A positive `max-size` option is set.
    pub size_capped: bool,
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct LimitsView {
    pub cpus: Option<Located<f64>>,
    pub memory: Option<Located<u64>>,
    pub pids: Option<Located<i64>>,
}

#[derive(Debug, Clone)]
pub struct AllowView {
    pub rule: String,
    pub reason: String,
    pub span: Option<Span>,
}

/// The network a service joins with `network_mode: service:…` or `container:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkPeer {
    /// The chain ends at this service, on the host's network.
    Host { via: String },
    /// The chain ends at this service, with a network of its own.
    Own { via: String },
    /// A service or container the project does not have (or a chain that goes round), whose
    /// network cannot be checked.
    Unknown { named: String },
}

#[derive(Debug, Clone, Default)]
pub struct ServiceView {
    pub name: String,
    /// The service's key: where findings about missing settings point.
    pub span: Option<Span>,
    pub image: Option<Located<String>>,
    pub has_build: bool,
    pub user: Option<Located<String>>,
    pub read_only: Option<Located<bool>>,
    pub cap_drop: Vec<Located<String>>,
    pub cap_add: Vec<Located<String>>,
    pub security_opt: Vec<Located<String>>,
    pub privileged: Option<Located<bool>>,
    pub network_mode: Option<Located<String>>,
    /// Where a `network_mode: service:…` / `container:…` leads, followed across the project.
    pub network_peer: Option<NetworkPeer>,
    /// `container_name`: what another service's `network_mode: container:…` names.
    pub container_name: Option<String>,
    /// `pid`, `ipc`, `uts`, `userns_mode`, `cgroup` with their values.
    pub namespaces: Vec<(String, Located<String>)>,
    pub mounts: Vec<MountView>,
    pub use_api_socket: Option<Located<bool>>,
    pub ports: Vec<PortView>,
    pub env: Vec<EnvView>,
    pub healthcheck: Option<HealthView>,
    pub restart: Option<Located<String>>,
    pub tmpfs: Vec<TmpfsView>,
    pub devices: Vec<Located<String>>,
    pub init: Option<Located<bool>>,
    pub networks: Vec<NetworkView>,
    pub logging: Option<LoggingView>,
    pub limits: LimitsView,
    pub allows: Vec<AllowView>,
    /// `mcp.toml`'s `egress = true`: the server is meant to reach the internet.
    pub egress_allowed: bool,
}

impl ServiceView {
    /// The span of the first located value, else the service key.
    pub fn at<T>(&self, value: Option<&Located<T>>) -> Option<Span> {
        value.and_then(|v| v.span).or(self.span)
    }

    /// An entry's own span (a mount, a port, an env entry), else the service key.
    pub fn at_span(&self, span: Option<&Span>) -> Option<Span> {
        span.copied().or(self.span)
    }
}
