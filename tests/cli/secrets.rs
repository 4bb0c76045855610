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
