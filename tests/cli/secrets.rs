//! Secrets are references: no secret value reaches any file mcpgen writes.

use crate::harness::Test;
use crate::install::{Machine, Os, backup};

const CANARY: &str = "canary-4f1d9c2b-secret-value";

#[test]
fn canary_secret_values_appear_in_no_written_file() {
    let output = Test::fixture("every-field")
        .file("home/.config/mcpgen/db password", CANARY)
        .env("EVERYTHING_TOKEN", CANARY)
        .env("GITHUB_TOKEN", CANARY)
        .arg("build")
        .stderr_any()
        .run();
    let files = output.files("out");
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        let text = output.read(&format!("out/{file}"));
        assert!(!text.contains(CANARY), "secret value leaked into {file}");
    }
    assert!(!output.stderr.contains(CANARY));
}

#[test]
fn a_literal_secret_in_env_is_refused() {
    Test::new()
        .mcp_toml(
            "[stack]\nname = \"x\"\n[servers.gh]\nimage = \"gh:1\"\ncommand = [\"gh\"]\n\
             env = { TOKEN = \"abc\" }\nsecrets = { TOKEN = { env = \"GH_TOKEN\" } }\n",
        )
        .arg("build")
        .status(2)
        .stderr_contains("a secret must not have a literal value")
        .run();
}

#[test]
fn canaries_reach_no_file_through_init_build_and_install() {
    let machine = Machine::new(Test::new(), Os::Linux);
    machine.install_clients();
    // Literal tokens in the user's configs, for servers mcpgen imports.
    let claude = format!(
        "{{\"mcpServers\": {{\"github\": {{\"command\": \"npx\", \"args\": [\"-y\", \
         \"@modelcontextprotocol/server-github\"], \"env\": {{\"GITHUB_PERSONAL_ACCESS_TOKEN\": \
         \"{CANARY}\"}}}}}}}}"
    );
    let vscode = format!(
        "{{\"servers\": {{\"everything\": {{\"type\": \"stdio\", \"command\": \"npx\", \"args\": \
         [\"@modelcontextprotocol/server-everything\"], \"env\": {{\"API_SECRET\": \"{CANARY}\", \
         \"DB_PASSWORD\": \"{CANARY}\"}}}}}}}}"
    );
    machine.write("claude-desktop", &claude);
    machine.write("vscode", &vscode);
    let run = |args: &[&str]| {
        let output = machine
            .test()
            .env("GITHUB_PERSONAL_ACCESS_TOKEN", CANARY)
            .env("API_SECRET", CANARY)
            .env("DB_PASSWORD", CANARY)
            .args(args)
            .stdout_any()
            .stderr_any()
            .run();
        assert!(!output.stderr.contains(CANARY), "{args:?} printed a secret");
        assert!(!output.stdout.contains(CANARY), "{args:?} printed a secret");
    };
    let from_claude = machine.config_path("claude-desktop");
    let from_vscode = machine.config_path("vscode");
    run(&[
        "init",
        "--from",
        &from_claude.display().to_string(),
        "--from",
        &from_vscode.display().to_string(),
    ]);
    run(&["build"]);
    run(&["install", "--dry-run"]);
    run(&["install"]);
    let backups: Vec<_> = ["claude-desktop", "vscode"]
        .iter()
        .map(|c| backup(&machine.config_path(c)))
        .collect();
    let mut checked = 0;
    // The project, and the home inside its scratch directory.
    for file in machine.scratch().files(".") {
        let file = machine.scratch().join(&file);
        if backups.contains(&file) {
            // The user's own file as it was before install: their token, kept for them.
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        assert!(!text.contains(CANARY), "secret value in {}", file.display());
        checked += 1;
    }
    assert!(checked > 10, "{checked} files checked");
    for backup in backups {
        assert!(
            std::fs::read_to_string(backup)
                .expect("backup")
                .contains(CANARY)
        );
    }
}
