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
