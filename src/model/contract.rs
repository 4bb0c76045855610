//! What the generated stack and mcpgen's run-time parts agree on: where the helper lives in a
//! server container, and the names of the pieces mcpgen adds to every stack. Render writes
//! these; the helper, the shims, probe and monitor rely on them.

/// The one-shot service that fills the helper volume from mcpgen's image.
pub const HELPER_SERVICE: &str = "mcpgen-helper";
/// Where the helper volume is mounted (read-only in server containers).
pub const HELPER_MOUNT: &str = "/opt/mcpgen";
/// The helper's path in mcpgen's image and, through the volume, in every server container.
pub const HELPER_PATH: &str = "/opt/mcpgen/mcpgen-helper";
/// The helper's scratch directory in a server container, on its `/tmp` tmpfs: the remembered
/// protocol era and the session slots.
pub const HELPER_STATE_DIR: &str = "/tmp/.mcpgen";

/// The helper volume's name: versioned, so a new mcpgen never runs an old helper left in a
/// volume from before (the engine fills a volume from the image only while it is empty).
pub fn helper_volume() -> String {
    format!("mcpgen-helper-{}", env!("CARGO_PKG_VERSION"))
}

/// The generated compose file's name, in the output directory and in the installed bundle.
pub const COMPOSE_FILE_NAME: &str = "docker-compose.mcp-only.yml";
/// The network every server joins: `internal: true`, so it reaches nothing outside the stack.
pub const INTERNAL_NETWORK: &str = "internal";
/// The network a server with `egress = true` joins as well, to reach the internet.
pub const EGRESS_NETWORK: &str = "egress";
/// The monitor's service in the generated compose file.
pub const MONITOR_SERVICE: &str = "mcpgen-monitor";

/// Labels on every container mcpgen generates: the shims and the monitor find a stack's
/// containers by them, without mcp.toml.
pub const LABEL_MANAGED: &str = "dev.mcpgen.managed";
pub const LABEL_STACK: &str = "dev.mcpgen.stack";
pub const LABEL_SERVER: &str = "dev.mcpgen.server";
/// The server's stdio command as a JSON array: the monitor probes by exec without mcp.toml.
pub const LABEL_COMMAND: &str = "dev.mcpgen.command";
/// How the monitor probes the server: a [`ProbeKind`]'s label.
pub const LABEL_PROBE: &str = "dev.mcpgen.probe";

/// How a server is probed, written in its [`LABEL_PROBE`] label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// An MCP handshake by exec.
    Handshake,
    /// A server with secrets gets them only per session, never in its container's environment,
    /// so a handshake would fail by design: only the command's presence is checked.
    Exists,
}

impl ProbeKind {
    pub fn of(server: &super::Server) -> ProbeKind {
        if server.secrets.is_empty() {
            ProbeKind::Handshake
        } else {
            ProbeKind::Exists
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Handshake => "handshake",
            ProbeKind::Exists => "exists",
        }
    }

    /// An absent or unknown label is probed by handshake, the check that proves the most.
    pub fn from_label(label: Option<&str>) -> ProbeKind {
        match label {
            Some("exists") => ProbeKind::Exists,
            _ => ProbeKind::Handshake,
        }
    }
}

/// Mount options of a server's tmpfs; always noexec, nosuid and nodev, and always sized.
/// `mode=1777` because Podman gives a tmpfs the mode of the image's directory, which a
/// non-root user often cannot write.
pub fn tmpfs_options(tmpfs: &super::Tmpfs) -> [String; 6] {
    [
        "rw".to_string(),
        "noexec".to_string(),
        "nosuid".to_string(),
        "nodev".to_string(),
        format!("size={}", tmpfs.size),
        "mode=1777".to_string(),
    ]
}
