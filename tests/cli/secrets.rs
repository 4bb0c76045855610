//! Secrets are references: no secret value reaches any file mcpgen writes.

use crate::support::{Project, code, stderr};

const CANARY: &str = "canary-4f1d9c2b-secret-value";

#[test]
fn canary_secret_values_appear_in_no_written_file() {
    let project = Project::fixture("every-field");
    std::fs::create_dir_all(project.path().join("home/.config/mcpgen")).expect("mkdir");
    project.write("home/.config/mcpgen/db password", CANARY);
    let output = assert_cmd::Command::cargo_bin("mcpgen")
        .expect("bin")
        .current_dir(project.path())
        .env("EVERYTHING_TOKEN", CANARY)
        .env("GITHUB_TOKEN", CANARY)
        .env("HOME", project.path().join("home"))
        .arg("build")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let files = project.files("out");
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        let text = project.read(&format!("out/{file}"));
        assert!(!text.contains(CANARY), "secret value leaked into {file}");
    }
    assert!(!String::from_utf8_lossy(&output.stderr).contains(CANARY));
}

#[test]
fn a_literal_secret_in_env_is_refused() {
    let project = Project::with_config(
        "[stack]\nname = \"x\"\n[servers.gh]\nimage = \"gh:1\"\ncommand = [\"gh\"]\n\
         env = { TOKEN = \"abc\" }\nsecrets = { TOKEN = { env = \"GH_TOKEN\" } }\n",
    );
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("a secret must not have a literal value"),
        "{}",
        stderr(&output)
    );
}

/// Every file below `dir`, recursively.
fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn canaries_reach_no_file_through_init_build_and_install() {
    use crate::install::{Machine, Os};
    let machine = Machine::new(
        Project {
            dir: tempfile::tempdir().expect("tmp"),
        },
        Os::Linux,
    );
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
            .command()
            .env("GITHUB_PERSONAL_ACCESS_TOKEN", CANARY)
            .env("API_SECRET", CANARY)
            .env("DB_PASSWORD", CANARY)
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        assert!(
            !stderr(&output).contains(CANARY),
            "{args:?} printed a secret"
        );
        assert!(!String::from_utf8_lossy(&output.stdout).contains(CANARY));
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
        .map(|c| crate::install::backup(&machine.config_path(c)))
        .collect();
    let mut checked = 0;
    for file in all_files(machine.project.path())
        .into_iter()
        .chain(all_files(machine.home()))
    {
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
