//! Where each client keeps its MCP configuration, per OS (README, "Where each client's file is").
//!
//! Everything is computed from an [`Env`] value rather than the process, so tests compute the
//! macOS and Windows layouts on Linux, inside a temporary home.

use std::path::PathBuf;

/// The operating system whose layout to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Os {
    Macos,
    Linux,
    Windows,
}

impl Os {
    pub(crate) fn parse(text: &str) -> Option<Os> {
        match text {
            "macos" | "darwin" => Some(Os::Macos),
            "linux" => Some(Os::Linux),
            "windows" => Some(Os::Windows),
            _ => None,
        }
    }
}

/// The environment the clients read their locations from.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    pub os: Os,
    pub home: PathBuf,
    /// Windows: `%APPDATA%` (roaming).
    pub appdata: Option<PathBuf>,
    /// Windows: `%USERPROFILE%`, the home directory Windows clients use.
    pub userprofile: Option<PathBuf>,
    /// Linux: Electron apps and Zed honour it.
    pub xdg_config_home: Option<PathBuf>,
    /// Codex's home (`$CODEX_HOME`, default `~/.codex`).
    pub codex_home: Option<PathBuf>,
    /// Claude Code's config directory (`$CLAUDE_CONFIG_DIR`, default: the home directory).
    pub claude_config_dir: Option<PathBuf>,
}

/// Names the environment variable that picks another OS's layout (tests, or preparing another
/// machine's home directory from this one).
pub(crate) const OS_OVERRIDE: &str = "MCPGEN_TARGET_OS";

impl Env {
    /// A plain Linux home at `home` and no overrides: the baseline of unit tests.
    #[cfg(test)]
    pub(crate) fn linux(home: &str) -> Self {
        Self {
            os: Os::Linux,
            home: PathBuf::from(home),
            appdata: None,
            userprofile: None,
            xdg_config_home: None,
            codex_home: None,
            claude_config_dir: None,
        }
    }

    /// The process's environment. An empty variable counts as unset, as the clients treat it.
    pub(crate) fn from_process() -> Result<Env, String> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let os = match std::env::var(OS_OVERRIDE) {
            Ok(text) if !text.is_empty() => Os::parse(&text).ok_or_else(|| {
                format!("{OS_OVERRIDE}=`{text}`: expected `macos`, `linux` or `windows`")
            })?,
            _ if cfg!(target_os = "macos") => Os::Macos,
            _ if cfg!(windows) => Os::Windows,
            _ => Os::Linux,
        };
        let home = match os {
            Os::Windows => var("USERPROFILE").or_else(|| var("HOME")),
            _ => var("HOME"),
        }
        .ok_or("neither HOME nor USERPROFILE is set: cannot find the clients' config files")?;
        Ok(Env {
            os,
            home,
            appdata: var("APPDATA"),
            userprofile: var("USERPROFILE"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            codex_home: var("CODEX_HOME"),
            claude_config_dir: var("CLAUDE_CONFIG_DIR"),
        })
    }

    /// The user's home as the clients on this OS see it.
    fn user_home(&self) -> PathBuf {
        match self.os {
            Os::Windows => self
                .userprofile
                .clone()
                .unwrap_or_else(|| self.home.clone()),
            _ => self.home.clone(),
        }
    }

    /// Windows' roaming application data (`%APPDATA%`).
    fn roaming(&self) -> PathBuf {
        self.appdata
            .clone()
            .unwrap_or_else(|| self.user_home().join("AppData").join("Roaming"))
    }

    /// Where Electron apps keep their user data (`app.getPath("appData")`).
    fn electron_app_data(&self) -> PathBuf {
        match self.os {
            Os::Macos => self.home.join("Library").join("Application Support"),
            Os::Windows => self.roaming(),
            Os::Linux => self.xdg_config(),
        }
    }

    fn xdg_config(&self) -> PathBuf {
        self.xdg_config_home
            .clone()
            .unwrap_or_else(|| self.home.join(".config"))
    }

    /// Expands a leading `~` with this environment's home.
    pub(crate) fn expand_home(&self, path: &str) -> PathBuf {
        if path == "~" {
            self.home.clone()
        } else if let Some(rest) = path.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            PathBuf::from(path)
        }
    }
}

/// How a client's file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Strict JSON: the client parses it with a JSON parser that rejects comments.
    Json,
    /// JSON with comments and trailing commas (VS Code, Zed).
    Jsonc,
    /// JSON with comments but no trailing commas (Gemini CLI strips comments, then parses).
    JsonComments,
    /// Codex's `config.toml`.
    Toml,
    /// A YAML block file that mcpgen owns whole (Continue).
    OwnYaml,
}

/// One client's configuration file on this machine.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub client: &'static str,
    pub path: PathBuf,
    pub format: Format,
    /// The client counts as installed when this exists (its own directory, or the file).
    pub installed_when: PathBuf,
    /// Whether the path comes from a secondary source only (see the README).
    pub unconfirmed: bool,
}

/// The user-level configuration file of `client` (one of `CLIENT_TARGETS`), for `stack`.
pub(crate) fn locate(client: &str, stack_name: &str, env: &Env) -> Option<Location> {
    let home = env.user_home();
    let vscode_user = env.electron_app_data().join("Code").join("User");
    let (client, path, format, installed_when, unconfirmed) = match client {
        "claude-desktop" => {
            let dir = env.electron_app_data().join("Claude");
            let path = dir.join("claude_desktop_config.json");
            // There is no official Linux build; community builds use Electron's default path.
            (
                "claude-desktop",
                path,
                Format::Json,
                dir,
                env.os == Os::Linux,
            )
        }
        "claude-code" => {
            // User scope: `~/.claude.json`, or inside `$CLAUDE_CONFIG_DIR` when that is set.
            let path = match &env.claude_config_dir {
                Some(dir) => dir.join(".claude.json"),
                None => home.join(".claude.json"),
            };
            let marker = match &env.claude_config_dir {
                Some(dir) => dir.clone(),
                None => home.join(".claude"),
            };
            ("claude-code", path, Format::Json, marker, false)
        }
        "cursor" => {
            let dir = home.join(".cursor");
            ("cursor", dir.join("mcp.json"), Format::Json, dir, false)
        }
        "vscode" => (
            "vscode",
            vscode_user.join("mcp.json"),
            Format::Jsonc,
            vscode_user.clone(),
            false,
        ),
        "windsurf" => {
            let dir = home.join(".codeium").join("windsurf");
            let path = dir.join("mcp_config.json");
            ("windsurf", path, Format::Json, dir, true)
        }
        "codex" => {
            let dir = env
                .codex_home
                .clone()
                .unwrap_or_else(|| home.join(".codex"));
            ("codex", dir.join("config.toml"), Format::Toml, dir, false)
        }
        "gemini-cli" => {
            let dir = home.join(".gemini");
            let path = dir.join("settings.json");
            ("gemini-cli", path, Format::JsonComments, dir, false)
        }
        "zed" => {
            let dir = match env.os {
                // Zed uses ~/.config/zed on macOS too, not Application Support.
                Os::Macos => env.home.join(".config").join("zed"),
                Os::Linux => env.xdg_config().join("zed"),
                // Disputed: Zed for Windows is recent; this is where its builds put settings.
                Os::Windows => env.roaming().join("Zed"),
            };
            let path = dir.join("settings.json");
            ("zed", path, Format::Jsonc, dir, env.os == Os::Windows)
        }
        "cline" => {
            let dir = vscode_user
                .join("globalStorage")
                .join("saoudrizwan.claude-dev");
            let path = dir.join("settings").join("cline_mcp_settings.json");
            ("cline", path, Format::Json, dir, false)
        }
        "continue" => {
            // mcpgen writes its own block file instead of editing the user's config.yaml; one
            // file per stack, so two stacks never overwrite each other's servers.
            let dir = home.join(".continue");
            let path = dir
                .join("mcpServers")
                .join(format!("mcpgen-{stack_name}.yaml"));
            ("continue", path, Format::OwnYaml, dir, false)
        }
        _ => return None,
    };
    Some(Location {
        client,
        path,
        format,
        installed_when,
        unconfirmed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::CLIENT_TARGETS;

    fn env(os: Os) -> Env {
        Env {
            os,
            home: PathBuf::from("/h"),
            appdata: (os == Os::Windows).then(|| PathBuf::from("/h/AppData/Roaming")),
            userprofile: (os == Os::Windows).then(|| PathBuf::from("/h")),
            xdg_config_home: None,
            codex_home: None,
            claude_config_dir: None,
        }
    }

    fn path(client: &str, env: &Env) -> String {
        locate(client, "mcp", env)
            .map(|l| l.path.display().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn every_target_has_a_location_on_every_os() {
        for os in [Os::Macos, Os::Linux, Os::Windows] {
            for client in CLIENT_TARGETS {
                assert!(locate(client, "mcp", &env(os)).is_some(), "{client} {os:?}");
            }
        }
    }

    #[test]
    fn macos_layout() {
        let e = env(Os::Macos);
        let support = "/h/Library/Application Support";
        assert_eq!(
            path("claude-desktop", &e),
            format!("{support}/Claude/claude_desktop_config.json")
        );
        assert_eq!(path("vscode", &e), format!("{support}/Code/User/mcp.json"));
        assert_eq!(
            path("cline", &e),
            format!(
                "{support}/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"
            )
        );
        assert_eq!(path("zed", &e), "/h/.config/zed/settings.json");
        assert_eq!(path("cursor", &e), "/h/.cursor/mcp.json");
        assert_eq!(path("claude-code", &e), "/h/.claude.json");
        assert_eq!(path("codex", &e), "/h/.codex/config.toml");
        assert_eq!(path("gemini-cli", &e), "/h/.gemini/settings.json");
        assert_eq!(path("windsurf", &e), "/h/.codeium/windsurf/mcp_config.json");
        assert_eq!(
            path("continue", &e),
            "/h/.continue/mcpServers/mcpgen-mcp.yaml"
        );
    }

    #[test]
    fn linux_layout_honours_xdg_config_home() {
        let mut e = env(Os::Linux);
        assert_eq!(
            path("claude-desktop", &e),
            "/h/.config/Claude/claude_desktop_config.json"
        );
        assert_eq!(path("vscode", &e), "/h/.config/Code/User/mcp.json");
        e.xdg_config_home = Some(PathBuf::from("/x"));
        assert_eq!(path("vscode", &e), "/x/Code/User/mcp.json");
        assert_eq!(path("zed", &e), "/x/zed/settings.json");
        assert!(
            locate("claude-desktop", "mcp", &e)
                .is_some_and(|l| l.unconfirmed && l.format == Format::Json)
        );
    }

    #[test]
    fn windows_layout_uses_appdata_and_userprofile() {
        let mut e = env(Os::Windows);
        e.appdata = Some(PathBuf::from("/roaming"));
        e.userprofile = Some(PathBuf::from("/profile"));
        assert_eq!(
            path("claude-desktop", &e),
            "/roaming/Claude/claude_desktop_config.json"
        );
        assert_eq!(path("vscode", &e), "/roaming/Code/User/mcp.json");
        assert_eq!(path("cursor", &e), "/profile/.cursor/mcp.json");
        assert_eq!(path("codex", &e), "/profile/.codex/config.toml");
        assert_eq!(path("zed", &e), "/roaming/Zed/settings.json");
        // Without APPDATA, the roaming folder below the profile.
        e.appdata = None;
        assert_eq!(
            path("claude-desktop", &e),
            "/profile/AppData/Roaming/Claude/claude_desktop_config.json"
        );
    }

    #[test]
    fn env_overrides_the_clients_honour() {
        let mut e = env(Os::Linux);
        e.codex_home = Some(PathBuf::from("/c"));
        e.claude_config_dir = Some(PathBuf::from("/cc"));
        assert_eq!(path("codex", &e), "/c/config.toml");
        assert_eq!(path("claude-code", &e), "/cc/.claude.json");
    }

    #[test]
    fn tilde_expands_with_the_injected_home() {
        let e = env(Os::Linux);
        assert_eq!(e.expand_home("~/.mcpgen/x"), PathBuf::from("/h/.mcpgen/x"));
        assert_eq!(e.expand_home("~"), PathBuf::from("/h"));
        assert_eq!(e.expand_home("/opt/x"), PathBuf::from("/opt/x"));
    }
}
