//! `init`: the starter, and `init --from` on realistic configs of several clients.

use crate::harness::{Test, fixture_text};
use crate::install::{Machine, Os, backup, servers};

pub(crate) const CANARY: &str = "canary-4f1d9c2b-secret-value";

/// A client's realistic config from `tests/fixtures/clients/import/`, with `@HOME@` as `home`.
pub(crate) fn import_fixture(client: &str, home: &std::path::Path) -> String {
    let name = match client {
        "vscode" | "zed" => format!("{client}.jsonc"),
        "codex" => "codex.toml".to_string(),
        _ => format!("{client}.json"),
    };
    fixture_text(&format!("clients/import/{name}")).replace("@HOME@", &home.display().to_string())
}

#[test]
fn the_starter_builds_and_lints_clean() {
    let output = Test::new().arg("init").stderr_any().run();
    let text = output.read("mcp.toml");
    assert!(text.starts_with("# mcp.toml: your MCP servers"), "{text}");
    insta::assert_snapshot!("init__starter", text);
    output.then().arg("build").stderr_any().run();
    // The starter's images are tagged, not yet pinned by digest: that warning, and no other.
    let lint = output
        .then()
        .args(["lint", "--format", "json"])
        .stdout_any()
        .run();
    let document = lint.json();
    let rules: Vec<&str> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.iter().all(|r| *r == "MCP016"), "{rules:?}");
}

#[test]
fn an_existing_mcp_toml_is_kept_unless_forced() {
    let refused = Test::new()
        .mcp_toml("# mine\n")
        .arg("init")
        .status(2)
        .stderr_contains("already exists")
        .run();
    assert_eq!(refused.read("mcp.toml"), "# mine\n");
    let forced = refused.then().args(["init", "--force"]).stderr_any().run();
    assert_eq!(forced.read("mcp.toml.mcpgen-backup"), "# mine\n");
    assert!(forced.read("mcp.toml").contains("[servers.memory]"));
}

/// `init --from` each client's file at its real place, then `build` and `lint` must pass.
#[test]
fn imports_of_each_clients_config_build_and_lint_clean() {
    for client in [
        "claude-desktop",
        "cursor",
        "vscode",
        "codex",
        "zed",
        "gemini-cli",
    ] {
        let machine = Machine::new(Test::new(), Os::Linux);
        machine.write(client, &import_fixture(client, machine.home()));
        let from = machine.config_path(client);
        let output = machine
            .test()
            .env("GITHUB_TOKEN", CANARY)
            .args(["init", "--from"])
            .arg(&from)
            .stderr_any()
            .run();
        let text = machine.scratch().read("mcp.toml");
        let shown = text.replace(&machine.home().display().to_string(), "@HOME@");
        insta::assert_snapshot!(format!("init__from__{client}"), shown);
        insta::assert_snapshot!(
            format!("init__from__{client}__messages"),
            output
                .stderr
                .replace(&machine.home().display().to_string(), "@HOME@")
        );
        assert!(
            text.contains(&format!("\"{client}\"")),
            "{client} is a target"
        );
        machine.test().arg("build").stderr_any().run();
        machine.test().arg("lint").stderr_any().run();
        // No secret value anywhere: not in mcp.toml, not in generated/, not in the messages.
        assert!(!text.contains(CANARY), "{client}: canary in mcp.toml");
        for file in machine.scratch().files("generated") {
            let generated = machine.scratch().read(&format!("generated/{file}"));
            assert!(!generated.contains(CANARY), "{client}: canary in {file}");
        }
        assert!(!output.stderr.contains(CANARY));
    }
}

#[test]
fn literal_secrets_become_references_and_say_what_to_set() {
    let machine = Machine::new(Test::new(), Os::Linux);
    machine.write(
        "claude-desktop",
        &import_fixture("claude-desktop", machine.home()),
    );
    machine
        .test()
        .args(["init", "--from"])
        .arg(machine.config_path("claude-desktop"))
        .stderr_contains(
            "the value of GITHUB_PERSONAL_ACCESS_TOKEN was not copied; set GITHUB_PERSONAL_ACCESS_TOKEN",
        )
        .stderr_contains("skipped `weather`")
        .run();
    let text = machine.scratch().read("mcp.toml");
    assert!(text.contains(
        "secrets = { GITHUB_PERSONAL_ACCESS_TOKEN = { env = \"GITHUB_PERSONAL_ACCESS_TOKEN\" } }"
    ));
    // Home paths are written as ~ so the file works for the same user on another machine.
    assert!(text.contains("source = \"~/Desktop\", target = \"/projects/desktop\""));
    assert!(
        !text.contains(&machine.home().display().to_string()) || text.contains("MEMORY_FILE_PATH")
    );
    // The unknown server is a commented table: it builds, and shows what to fill in.
    assert!(
        text.contains("# [servers.weather]\n# image = \"\""),
        "{text}"
    );
}

#[test]
fn several_clients_at_once_import_each_server_once() {
    let machine = Machine::new(Test::new(), Os::Linux);
    for client in ["claude-desktop", "gemini-cli", "zed"] {
        machine.write(client, &import_fixture(client, machine.home()));
    }
    machine
        .test()
        .arg("init")
        .arg("--from")
        .arg(machine.config_path("claude-desktop"))
        .arg("--from")
        .arg(machine.config_path("gemini-cli"))
        .arg("--from")
        .arg(machine.config_path("zed"))
        .stderr_contains("`github` in gemini-cli runs the same command: imported once")
        .stderr_contains("`mcp-server-fetch` in zed runs the same command as `fetch`")
        .run();
    let text = machine.scratch().read("mcp.toml");
    assert!(
        text.contains("targets = [\"claude-desktop\", \"gemini-cli\", \"zed\"]"),
        "{text}"
    );
    // github is the same command in Claude Desktop and Gemini CLI: one server.
    assert_eq!(text.matches("[servers.github").count(), 1, "{text}");
    // Zed runs another version of memory: a second server, not a silent overwrite.
    assert!(text.contains("[servers.memory-2]"), "{text}");
    assert!(text.contains("\"@modelcontextprotocol/server-memory@2025.8.4\""));
    machine.test().arg("build").stderr_any().run();
}

#[test]
fn a_file_without_servers_or_unreadable_is_bad_input() {
    let project = Test::new()
        .file("empty.json", "{\"theme\": \"dark\"}")
        .file("broken.json", "{\"mcpServers\": ");
    project
        .clone()
        .args(["init", "--from", "empty.json"])
        .status(2)
        .stderr_contains("no MCP servers in it")
        .run();
    for file in ["broken.json", "missing.json"] {
        project
            .clone()
            .args(["init", "--from", file])
            .status(2)
            .stderr_any()
            .run();
    }
    assert!(!project.scratch().exists("mcp.toml"));
}

#[test]
fn imported_entries_are_adopted_by_install_and_kept_as_local() {
    let machine = Machine::new(Test::new(), Os::Linux);
    machine.install_clients();
    machine.write("cursor", &import_fixture("cursor", machine.home()));
    let original = machine.read("cursor");
    machine
        .test()
        .args(["init", "--from"])
        .arg(machine.config_path("cursor"))
        .stderr_any()
        .run();
    machine.test().arg("build").stderr_any().run();
    machine
        .test()
        .args(["install", "--client", "cursor"])
        .stderr_contains("~ GitHub Server → github-server")
        .stderr_contains("~ sequential-thinking (your command is its `local` fallback")
        .run();
    let after = servers("cursor", &machine.read("cursor"));
    assert!(!after.contains_key("GitHub Server"));
    for name in ["github-server", "sequential-thinking"] {
        assert_eq!(after[name]["command"], "/bin/sh", "{name}");
    }
    // Not imported, so untouched: the unknown and the remote server.
    let before = servers("cursor", &original);
    for name in ["browser", "docs"] {
        assert_eq!(after[name], before[name]);
    }
    // The literal token left the live file with the entry it was in; the backup is the user's
    // own file, byte for byte.
    assert!(
        !machine
            .read("cursor")
            .contains("\"ghcr.io/github/github-mcp-server\"")
    );
    assert_eq!(
        std::fs::read_to_string(backup(&machine.config_path("cursor"))).expect("backup"),
        original
    );
}
