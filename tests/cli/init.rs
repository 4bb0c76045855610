//! `init`: the starter, and `init --from` on realistic configs of several clients.

use crate::install::{Machine, Os, servers};
use crate::support::{Project, code, fixtures, stderr, stdout};

pub(crate) const CANARY: &str = "canary-4f1d9c2b-secret-value";

fn empty_project() -> Project {
    Project {
        dir: tempfile::tempdir().expect("tmp"),
    }
}

/// A client's realistic config from `tests/fixtures/clients/import/`, with `@HOME@` as `home`.
pub(crate) fn import_fixture(client: &str, home: &std::path::Path) -> String {
    let name = match client {
        "vscode" | "zed" => format!("{client}.jsonc"),
        "codex" => "codex.toml".to_string(),
        _ => format!("{client}.json"),
    };
    std::fs::read_to_string(fixtures().join("clients/import").join(name))
        .expect("fixture")
        .replace("@HOME@", &home.display().to_string())
}

#[test]
fn the_starter_builds_and_lints_clean() {
    let project = empty_project();
    let output = project.run(&["init"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = project.read("mcp.toml");
    assert!(text.starts_with("# mcp.toml: your MCP servers"), "{text}");
    insta::assert_snapshot!("init__starter", text);
    let build = project.run(&["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    // The starter's images are tagged, not yet pinned by digest: that warning, and no other.
    let lint = project.run(&["lint", "--format", "json"]);
    assert_eq!(code(&lint), 0, "{}", stderr(&lint));
    let document: serde_json::Value = serde_json::from_str(&stdout(&lint)).expect("JSON");
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
    let project = Project::with_config("# mine\n");
    let refused = project.run(&["init"]);
    assert_eq!(code(&refused), 2);
    assert!(
        stderr(&refused).contains("already exists"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(project.read("mcp.toml"), "# mine\n");
    let forced = project.run(&["init", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(project.read("mcp.toml.mcpgen-backup"), "# mine\n");
    assert!(project.read("mcp.toml").contains("[servers.memory]"));
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
        let machine = Machine::new(empty_project(), Os::Linux);
        machine.write(client, &import_fixture(client, machine.home()));
        let from = machine.config_path(client);
        let output = machine
            .command()
            .env("GITHUB_TOKEN", CANARY)
            .args(["init", "--from"])
            .arg(&from)
            .output()
            .expect("runs");
        assert_eq!(code(&output), 0, "{client}: {}", stderr(&output));
        let text = machine.project.read("mcp.toml");
        let shown = text.replace(&machine.home().display().to_string(), "@HOME@");
        insta::assert_snapshot!(format!("init__from__{client}"), shown);
        insta::assert_snapshot!(
            format!("init__from__{client}__messages"),
            stderr(&output).replace(&machine.home().display().to_string(), "@HOME@")
        );
        assert!(
            text.contains(&format!("\"{client}\"")),
            "{client} is a target"
        );
        let build = machine.run(&["build"]);
        assert_eq!(code(&build), 0, "{client}: {}\n{text}", stderr(&build));
        let lint = machine.run(&["lint"]);
        assert_eq!(code(&lint), 0, "{client}: {}", stderr(&lint));
        // No secret value anywhere: not in mcp.toml, not in generated/, not in the messages.
        assert!(!text.contains(CANARY), "{client}: canary in mcp.toml");
        for file in machine.project.files("generated") {
            let generated = machine.project.read(&format!("generated/{file}"));
            assert!(!generated.contains(CANARY), "{client}: canary in {file}");
        }
        assert!(!stderr(&output).contains(CANARY) && !stdout(&output).contains(CANARY));
    }
}

#[test]
fn literal_secrets_become_references_and_say_what_to_set() {
    let machine = Machine::new(empty_project(), Os::Linux);
    machine.write(
        "claude-desktop",
        &import_fixture("claude-desktop", machine.home()),
    );
    let output = machine
        .command()
        .args(["init", "--from"])
        .arg(machine.config_path("claude-desktop"))
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = machine.project.read("mcp.toml");
    assert!(text.contains(
        "secrets = { GITHUB_PERSONAL_ACCESS_TOKEN = { env = \"GITHUB_PERSONAL_ACCESS_TOKEN\" } }"
    ));
    let err = stderr(&output);
    assert!(
        err.contains("the value of GITHUB_PERSONAL_ACCESS_TOKEN was not copied; set GITHUB_PERSONAL_ACCESS_TOKEN"),
        "{err}"
    );
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
    assert!(err.contains("skipped `weather`"));
}

#[test]
fn several_clients_at_once_import_each_server_once() {
    let machine = Machine::new(empty_project(), Os::Linux);
    for client in ["claude-desktop", "gemini-cli", "zed"] {
        machine.write(client, &import_fixture(client, machine.home()));
    }
    let output = machine
        .command()
        .arg("init")
        .arg("--from")
        .arg(machine.config_path("claude-desktop"))
        .arg("--from")
        .arg(machine.config_path("gemini-cli"))
        .arg("--from")
        .arg(machine.config_path("zed"))
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = machine.project.read("mcp.toml");
    assert!(
        text.contains("targets = [\"claude-desktop\", \"gemini-cli\", \"zed\"]"),
        "{text}"
    );
    // github is the same command in Claude Desktop and Gemini CLI: one server.
    assert_eq!(text.matches("[servers.github").count(), 1, "{text}");
    assert!(
        stderr(&output).contains("`github` in gemini-cli runs the same command: imported once"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("`mcp-server-fetch` in zed runs the same command as `fetch`"));
    // Zed runs another version of memory: a second server, not a silent overwrite.
    assert!(text.contains("[servers.memory-2]"), "{text}");
    assert!(text.contains("\"@modelcontextprotocol/server-memory@2025.8.4\""));
    assert_eq!(code(&machine.run(&["build"])), 0);
}

#[test]
fn a_file_without_servers_or_unreadable_is_bad_input() {
    let project = empty_project();
    project.write("empty.json", "{\"theme\": \"dark\"}");
    let output = project.run(&["init", "--from", "empty.json"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no MCP servers in it"),
        "{}",
        stderr(&output)
    );
    project.write("broken.json", "{\"mcpServers\": ");
    assert_eq!(code(&project.run(&["init", "--from", "broken.json"])), 2);
    assert_eq!(code(&project.run(&["init", "--from", "missing.json"])), 2);
    assert!(!project.path().join("mcp.toml").exists());
}

#[test]
fn imported_entries_are_adopted_by_install_and_kept_as_local() {
    let machine = Machine::new(empty_project(), Os::Linux);
    machine.install_clients();
    machine.write("cursor", &import_fixture("cursor", machine.home()));
    let original = machine.read("cursor");
    let init = machine
        .command()
        .args(["init", "--from"])
        .arg(machine.config_path("cursor"))
        .output()
        .expect("runs");
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    assert_eq!(code(&machine.run(&["build"])), 0);
    let output = machine.run(&["install", "--client", "cursor"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("~ GitHub Server → github-server"), "{err}");
    assert!(err.contains("~ sequential-thinking (your command is its `local` fallback"));
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
        std::fs::read_to_string(crate::install::backup(&machine.config_path("cursor")))
            .expect("backup"),
        original
    );
}
