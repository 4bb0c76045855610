//! `install`: per client and per OS layout, into fresh files, into files full of the user's own
//! servers and settings, after a server is removed, into unparsable files; backups once.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Output, Scratch, Test, fixture_text};

pub(crate) const CLIENTS: &[&str] = mcpgen::config::validate::CLIENT_TARGETS;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Os {
    Macos,
    Linux,
    Windows,
}

impl Os {
    fn name(self) -> &'static str {
        match self {
            Os::Macos => "macos",
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }
}

/// A home directory laid out as `os` would lay it out (the scratch directory's `home/`), and
/// the project beside it.
pub(crate) struct Machine {
    test: Test,
    home: PathBuf,
    pub(crate) os: Os,
}

impl Machine {
    pub(crate) fn new(test: Test, os: Os) -> Self {
        let home = test.scratch().home();
        std::fs::create_dir_all(&home).expect("home");
        let appdata = home.join("AppData").join("Roaming");
        let test = test
            .env("HOME", &home)
            .env("USERPROFILE", &home)
            .env("APPDATA", appdata)
            .env("MCPGEN_TARGET_OS", os.name());
        Self { test, home, os }
    }

    /// mcpgen in the project, on this machine.
    pub(crate) fn test(&self) -> Test {
        self.test.clone()
    }

    /// The project's directory.
    pub(crate) fn scratch(&self) -> &Scratch {
        self.test.scratch()
    }

    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    fn appdata(&self) -> PathBuf {
        self.home().join("AppData").join("Roaming")
    }

    /// Where each client's file is, written out independently of mcpgen's own table.
    pub(crate) fn config_path(&self, client: &str) -> PathBuf {
        let h = self.home();
        let electron = match self.os {
            Os::Macos => h.join("Library/Application Support"),
            Os::Linux => h.join(".config"),
            Os::Windows => self.appdata(),
        };
        match client {
            "claude-desktop" => electron.join("Claude/claude_desktop_config.json"),
            "claude-code" => h.join(".claude.json"),
            "cursor" => h.join(".cursor/mcp.json"),
            "vscode" => electron.join("Code/User/mcp.json"),
            "windsurf" => h.join(".codeium/windsurf/mcp_config.json"),
            "codex" => h.join(".codex/config.toml"),
            "gemini-cli" => h.join(".gemini/settings.json"),
            "zed" => match self.os {
                Os::Windows => self.appdata().join("Zed/settings.json"),
                _ => h.join(".config/zed/settings.json"),
            },
            "cline" => electron.join(
                "Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
            ),
            "continue" => h.join(".continue/mcpServers/mcpgen-clients.yaml"),
            other => panic!("no client {other}"),
        }
    }

    /// Makes every client look installed: its own directory exists.
    pub(crate) fn install_clients(&self) {
        for client in CLIENTS {
            let path = self.config_path(client);
            let dir = match *client {
                "claude-code" => self.home().join(".claude"),
                "cline" => path
                    .parent()
                    .and_then(Path::parent)
                    .expect("cline dir")
                    .to_path_buf(),
                "continue" => self.home().join(".continue"),
                _ => path.parent().expect("parent").to_path_buf(),
            };
            std::fs::create_dir_all(dir).expect("mkdir");
        }
    }

    pub(crate) fn read(&self, client: &str) -> String {
        std::fs::read_to_string(self.config_path(client))
            .unwrap_or_else(|e| panic!("{client}: {e}"))
    }

    pub(crate) fn write(&self, client: &str, text: &str) {
        let path = self.config_path(client);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Builds after removing `[servers.notes]` from mcp.toml.
    pub(crate) fn remove_notes(&self) {
        let config = self.scratch().read("mcp.toml");
        let cut = config.find("[servers.notes]").expect("notes in fixture");
        self.scratch().write("mcp.toml", &config[..cut]);
        self.test().arg("build").stderr_any().run();
    }
}

pub(crate) fn user_fixture(client: &str) -> String {
    let name = match client {
        "vscode" | "zed" => format!("{client}.jsonc"),
        "codex" => "codex.toml".to_string(),
        "continue" => "continue.yaml".to_string(),
        _ => format!("{client}.json"),
    };
    fixture_text(&format!("clients/user/{name}"))
}

fn built(os: Os) -> Machine {
    let machine = Machine::new(Test::fixture("clients"), os);
    machine.test().arg("build").stderr_any().run();
    machine
}

/// `mcpgen install <args>` on `machine`, which must succeed: what it said.
fn install(machine: &Machine, args: &[&str]) -> Output {
    machine.test().arg("install").args(args).stderr_any().run()
}

/// The servers a client file holds now, by name, as JSON (whatever the file's format).
pub(crate) fn servers(client: &str, text: &str) -> serde_json::Map<String, Value> {
    let value: Value = match client {
        "codex" => {
            let table: toml::Table = toml::from_str(text).expect("valid TOML");
            serde_json::to_value(table).expect("json")
        }
        "continue" => {
            let value: Value = serde_yaml_ng::from_str(text).expect("valid YAML");
            let list = value["mcpServers"].as_array().cloned().unwrap_or_default();
            let map = list
                .into_iter()
                .map(|s| (s["name"].as_str().unwrap_or_default().to_string(), s))
                .collect();
            return map;
        }
        _ => jsonc_parser::cst::CstRootNode::parse(text, &Default::default())
            .expect("valid JSON")
            .value()
            .and_then(|v| v.to_serde_value())
            .expect("a value"),
    };
    let key = match client {
        "vscode" => "servers",
        "zed" => "context_servers",
        "codex" => "mcp_servers",
        _ => "mcpServers",
    };
    value[key].as_object().cloned().unwrap_or_default()
}

fn launches_shim(entry: &Value, name: &str) -> bool {
    entry["command"] == "/bin/sh"
        && entry["args"][1].as_str().is_some_and(|a| {
            a == format!("exec \"$HOME\"/.mcpgen/clients/shims/hardened_{name}.sh")
        })
}

#[test]
fn fresh_files_on_every_os_get_every_server() {
    for os in [Os::Macos, Os::Linux, Os::Windows] {
        let machine = built(os);
        machine.install_clients();
        install(&machine, &[]);
        for client in CLIENTS {
            let text = machine.read(client);
            let servers = servers(client, &text);
            for name in ["memory", "notes"] {
                let entry = servers
                    .get(name)
                    .unwrap_or_else(|| panic!("{os:?} {client}: no {name} in\n{text}"));
                assert!(launches_shim(entry, name), "{os:?} {client}: {entry}");
            }
            assert!(
                !backup(&machine.config_path(client)).exists(),
                "{client}: nothing to back up in a fresh file"
            );
        }
        // The bundle: compose file and executable shims, under the injected home.
        let bundle = machine.home().join(".mcpgen/clients");
        assert!(bundle.join("docker-compose.mcp-only.yml").is_file());
        // The session keeper, byte for byte the one beside this mcpgen, executable.
        let keeper = bundle.join("bin/mcpgen-keeper");
        assert_eq!(
            std::fs::read(&keeper).expect("installed keeper"),
            std::fs::read(env!("CARGO_BIN_EXE_mcpgen-keeper")).expect("built keeper")
        );
        assert!(
            std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&keeper).expect("keeper").permissions()
            ) & 0o111
                != 0
        );
        for name in ["memory", "notes"] {
            let shim = bundle.join(format!("shims/hardened_{name}.sh"));
            assert_eq!(
                std::fs::read_to_string(&shim).expect("shim"),
                machine
                    .scratch()
                    .read(&format!("generated/shims/hardened_{name}.sh"))
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(&shim).expect("meta").permissions().mode();
                assert_eq!(mode & 0o111, 0o111, "{}", shim.display());
            }
        }
    }
}

pub(crate) fn backup(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".mcpgen-backup");
    PathBuf::from(name)
}

#[test]
fn users_servers_and_settings_are_kept_and_a_removed_server_leaves() {
    for os in [Os::Macos, Os::Linux, Os::Windows] {
        let machine = built(os);
        machine.install_clients();
        let continue_own = machine.home().join(".continue/mcpServers/sqlite.yaml");
        for client in CLIENTS {
            if *client == "continue" {
                std::fs::create_dir_all(continue_own.parent().expect("dir")).expect("mkdir");
                std::fs::write(&continue_own, user_fixture(client)).expect("write");
            } else {
                machine.write(client, &user_fixture(client));
            }
        }
        install(&machine, &[]);
        for client in CLIENTS {
            if *client == "continue" {
                continue;
            }
            let original = user_fixture(client);
            let text = machine.read(client);
            let before = servers(client, &original);
            let after = servers(client, &text);
            for (name, entry) in &before {
                assert_eq!(
                    after.get(name),
                    Some(entry),
                    "{os:?} {client}: {name} changed"
                );
            }
            assert!(after.contains_key("memory") && after.contains_key("notes"));
            // The backup is the file exactly as the user had it.
            let backup_path = backup(&machine.config_path(client));
            assert_eq!(
                std::fs::read_to_string(&backup_path).expect("backup made"),
                original,
                "{client}"
            );
            if os == Os::Linux {
                insta::assert_snapshot!(format!("install__merged__{client}"), text);
            }
        }
        assert_eq!(
            std::fs::read_to_string(&continue_own).expect("still there"),
            user_fixture("continue"),
            "the user's own Continue block is untouched"
        );

        // `notes` leaves mcp.toml: it leaves every client; everything else stays.
        machine.remove_notes();
        machine
            .test()
            .arg("install")
            .stderr_contains("- notes (no longer in mcp.toml)")
            .run();
        for client in CLIENTS {
            let text = machine.read(client);
            let after = servers(client, &text);
            assert!(!after.contains_key("notes"), "{os:?} {client}:\n{text}");
            assert!(after.contains_key("memory"), "{os:?} {client}");
            if *client != "continue" {
                for name in servers(client, &user_fixture(client)).keys() {
                    assert!(after.contains_key(name), "{client}: lost {name}");
                }
                // Backed up once: still the user's original, not the state after the first run.
                assert_eq!(
                    std::fs::read_to_string(backup(&machine.config_path(client))).expect("backup"),
                    user_fixture(client)
                );
            }
        }
        assert!(
            !machine
                .home()
                .join(".mcpgen/clients/shims/hardened_notes.sh")
                .exists(),
            "the removed server's shim leaves the bundle"
        );
    }
}

#[test]
fn removing_every_server_gives_back_the_users_file_byte_for_byte() {
    let machine = built(Os::Linux);
    machine.install_clients();
    for client in ["codex", "claude-desktop", "cursor", "cline", "windsurf"] {
        machine.write(client, &user_fixture(client));
    }
    install(&machine, &[]);
    let config = machine.scratch().read("mcp.toml");
    let cut = config.find("[servers.memory]").expect("memory");
    machine.scratch().write("mcp.toml", &config[..cut]);
    machine.test().arg("build").stderr_any().run();
    install(&machine, &[]);
    assert_eq!(machine.read("codex"), user_fixture("codex"));
    for client in ["claude-desktop", "cursor", "cline", "windsurf"] {
        let text = machine.read(client);
        assert_eq!(
            servers(client, &text),
            servers(client, &user_fixture(client))
        );
    }
}

#[test]
fn an_unparsable_file_is_left_untouched_and_nothing_is_written() {
    let broken = [
        ("claude-desktop", "{ \"mcpServers\": { \"a\": { } }"),
        (
            "claude-code",
            "{\"mcpServers\": {}, // no comments in strict JSON\n}",
        ),
        ("cursor", "{\"mcpServers\": []}"),
        ("vscode", "{ \"servers\": { \"x\": } }"),
        ("windsurf", "not json"),
        ("codex", "[mcp_servers.x\ncommand = \"y\"\n"),
        ("gemini-cli", "{\"mcpServers\": {},}"),
        ("zed", "{ \"context_servers\": 3 }"),
        ("cline", "\u{feff}{\"mcpServers\": {\"a\": 1 2}}"),
    ];
    for os in [Os::Macos, Os::Linux, Os::Windows] {
        for (client, text) in broken {
            let machine = built(os);
            machine.install_clients();
            machine.write(client, text);
            machine
                .test()
                .arg("install")
                .status(2)
                .stderr_contains("left untouched")
                .stderr_contains(client)
                .run();
            assert_eq!(machine.read(client), text, "{client} must be untouched");
            assert!(!backup(&machine.config_path(client)).exists());
            // All or nothing: no other client and no bundle was written either.
            for other in CLIENTS.iter().filter(|c| *c != &client) {
                assert!(
                    !machine.config_path(other).exists(),
                    "{client} broken, yet {other} was written"
                );
            }
            assert!(!machine.home().join(".mcpgen").exists());
        }
    }
}

#[test]
fn an_unchanged_install_writes_nothing_and_makes_no_backup() {
    let machine = built(Os::Linux);
    machine.install_clients();
    machine.write("cursor", &user_fixture("cursor"));
    install(&machine, &["--client", "cursor"]);
    let after_first = machine.read("cursor");
    std::fs::remove_file(backup(&machine.config_path("cursor"))).expect("backup existed");
    machine
        .test()
        .args(["install", "--client", "cursor"])
        .stderr_contains("cursor: ~/.cursor/mcp.json: up to date")
        .stderr_contains("bundle: ~/.mcpgen/clients: up to date")
        .run();
    assert_eq!(machine.read("cursor"), after_first);
    assert!(!backup(&machine.config_path("cursor")).exists());
}

#[test]
fn a_client_not_installed_is_reported_not_created_unless_asked() {
    let machine = built(Os::Macos);
    machine
        .test()
        .args(["install", "--client", "claude-desktop", "--client", "zed"])
        .stderr_contains(
            "claude-desktop: not installed here (no ~/Library/Application Support/Claude)",
        )
        .run();
    assert!(!machine.config_path("claude-desktop").exists());
    assert!(!machine.config_path("zed").exists());
    machine
        .test()
        .args(["install", "--client", "zed", "--create"])
        .stderr_contains("(new file)")
        .run();
    assert!(servers("zed", &machine.read("zed")).contains_key("memory"));
}

#[test]
fn dry_run_prints_a_diff_per_file_and_writes_nothing() {
    let machine = built(Os::Linux);
    machine.install_clients();
    machine.write("vscode", &user_fixture("vscode"));
    machine
        .test()
        .args([
            "install",
            "--dry-run",
            "--client",
            "vscode",
            "--client",
            "codex",
        ])
        .stdout_contains("--- ~/.config/Code/User/mcp.json\n")
        .stdout_contains("+++ ~/.config/Code/User/mcp.json (after install)\n")
        .stdout_contains("+\t\t\"memory\": {")
        .stdout_contains("--- ~/.codex/config.toml\n")
        .stdout_contains("+[mcp_servers.notes]")
        // The two shims, the compose file, and the session keeper beside this mcpgen.
        .stderr_contains("would write 4 file(s)")
        .run();
    assert_eq!(machine.read("vscode"), user_fixture("vscode"));
    assert!(!machine.config_path("codex").exists());
    assert!(!machine.home().join(".mcpgen").exists());
}

#[test]
fn a_users_entry_with_a_servers_name_is_a_conflict_until_forced() {
    let machine = built(Os::Linux);
    machine.install_clients();
    let mine = "{\"mcpServers\": {\"memory\": {\"command\": \"my-memory\"}}}\n";
    machine.write("cursor", mine);
    machine
        .test()
        .args(["install", "--client", "cursor"])
        .status(1)
        .stderr_contains("has your own entries named `memory`")
        .stderr_contains("--force")
        .run();
    assert_eq!(machine.read("cursor"), mine);
    assert!(!machine.home().join(".mcpgen").exists());
    machine
        .test()
        .args(["install", "--client", "cursor", "--force"])
        .stderr_contains("! memory (your entry, replaced: --force)")
        .run();
    assert_eq!(
        std::fs::read_to_string(backup(&machine.config_path("cursor"))).expect("backup"),
        mine
    );
    assert!(launches_shim(
        &servers("cursor", &machine.read("cursor"))["memory"],
        "memory"
    ));
}

#[test]
fn env_overrides_point_at_the_clients_real_files() {
    let machine = built(Os::Linux);
    let codex_home = machine.home().join("codex-home");
    let claude_dir = machine.home().join("claude-dir");
    let xdg = machine.home().join("xdg");
    std::fs::create_dir_all(&codex_home).expect("mkdir");
    std::fs::create_dir_all(&claude_dir).expect("mkdir");
    std::fs::create_dir_all(xdg.join("Code/User")).expect("mkdir");
    machine
        .test()
        .env("CODEX_HOME", &codex_home)
        .env("CLAUDE_CONFIG_DIR", &claude_dir)
        .env("XDG_CONFIG_HOME", &xdg)
        .args([
            "install",
            "--client",
            "codex",
            "--client",
            "claude-code",
            "--client",
            "vscode",
        ])
        .stderr_any()
        .run();
    assert!(codex_home.join("config.toml").is_file());
    assert!(claude_dir.join(".claude.json").is_file());
    assert!(xdg.join("Code/User/mcp.json").is_file());
    assert!(!machine.home().join(".codex").exists());
    assert!(!machine.home().join(".claude.json").exists());
}

#[test]
fn a_stale_build_is_not_installed() {
    let machine = built(Os::Linux);
    machine.install_clients();
    let config = machine
        .scratch()
        .read("mcp.toml")
        .replace("pids = 64", "pids = 65");
    machine.scratch().write("mcp.toml", &config);
    machine
        .test()
        .arg("install")
        .status(1)
        .stderr_contains("out of date")
        .stderr_contains("run `mcpgen build` first")
        .run();
    assert!(!machine.home().join(".mcpgen").exists());
    assert!(!machine.config_path("cursor").exists());
}

#[cfg(unix)]
#[test]
fn links_and_private_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt as _;
    let machine = built(Os::Linux);
    machine.install_clients();
    // A dotfiles repository linked into place, and a private file.
    let dotfiles = machine.home().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).expect("mkdir");
    let real = dotfiles.join("cursor-mcp.json");
    std::fs::write(&real, user_fixture("cursor")).expect("write");
    std::os::unix::fs::symlink(&real, machine.config_path("cursor")).expect("link");
    machine.write("claude-code", &user_fixture("claude-code"));
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(machine.config_path("claude-code"), private).expect("chmod");
    install(&machine, &["--client", "cursor", "--client", "claude-code"]);
    assert!(machine.config_path("cursor").is_symlink(), "still a link");
    assert!(
        servers("cursor", &std::fs::read_to_string(&real).expect("real")).contains_key("memory")
    );
    let mode = std::fs::metadata(machine.config_path("claude-code"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn unknown_clients_and_profiles_are_usage_errors() {
    let machine = built(Os::Linux);
    machine
        .test()
        .args(["install", "--client", "emacs"])
        .status(2)
        .stderr_contains("no client `emacs`")
        .run();
    machine
        .test()
        .args(["install", "--profile", "nope"])
        .status(2)
        .stderr_contains("profiles in mcp.toml: dev, hardened")
        .run();
}

#[test]
fn the_dev_profile_is_installed_when_asked() {
    let machine = built(Os::Linux);
    machine.install_clients();
    install(&machine, &["--client", "cursor", "--profile", "dev"]);
    let servers = servers("cursor", &machine.read("cursor"));
    assert_eq!(servers["memory"]["env"]["MCPGEN_PROFILE"], "dev");
}

#[test]
fn an_install_dir_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let machine = built(Os::Linux);
    // The bundle's parent is writable by every local user: anyone could swap the shims.
    let shared = machine.home().join(".mcpgen");
    std::fs::create_dir_all(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    machine
        .test()
        .args(["install", "--client", "claude-desktop", "--create"])
        .status(2)
        .stderr_contains("writable by others (mode 777)")
        .run();
    assert!(!shared.join("clients").exists(), "nothing is installed");
}
