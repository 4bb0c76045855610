//! `build` and `check`: determinism, drift, hand edits, writing nothing on failure.

use crate::support::{Project, code, stderr, stdout};

#[test]
fn build_twice_gives_identical_bytes_and_check_is_clean() {
    let project = Project::bundled();
    let first = project.run(&["build"]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let files = project.files("generated");
    let before: Vec<String> = files
        .iter()
        .map(|f| project.read(&format!("generated/{f}")))
        .collect();
    let second = project.run(&["build"]);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert_eq!(project.files("generated"), files);
    let after: Vec<String> = files
        .iter()
        .map(|f| project.read(&format!("generated/{f}")))
        .collect();
    assert_eq!(before, after);
    assert!(stderr(&second).contains("0 changed"), "{}", stderr(&second));
    let check = project.run(&["check"]);
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    assert_eq!(stdout(&check), "");
}

#[test]
fn output_is_the_same_from_any_directory() {
    let project = Project::bundled();
    let nested = project.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let from_nested = assert_cmd::Command::cargo_bin("mcpgen")
        .expect("bin")
        .current_dir(&nested)
        .env("NO_COLOR", "1")
        .arg("build")
        .output()
        .expect("runs");
    assert_eq!(code(&from_nested), 0, "{}", stderr(&from_nested));
    let compose = project.read("generated/docker-compose.mcp-only.yml");
    let reference = std::fs::read_to_string(
        crate::support::repo_root().join("generated/docker-compose.mcp-only.yml"),
    )
    .expect("committed generated/");
    assert_eq!(
        compose, reference,
        "the committed generated/ is stale or output depends on the machine"
    );
    assert!(!compose.contains(&project.path().display().to_string()));
}

#[test]
fn check_reports_drift_as_a_unified_diff() {
    let project = Project::bundled();
    assert_eq!(code(&project.run(&["build"])), 0);
    let config = project.read("mcp.toml").replace("pids = 160", "pids = 150");
    project.write("mcp.toml", &config);
    let check = project.run(&["check"]);
    assert_eq!(code(&check), 1);
    let diff = stdout(&check);
    assert!(
        diff.contains("--- a/generated/docker-compose.mcp-only.yml"),
        "{diff}"
    );
    assert!(
        diff.contains("-          pids: 160") && diff.contains("+          pids: 150"),
        "{diff}"
    );
    assert!(stderr(&check).contains("out of date"));
    // check writes nothing
    assert!(
        project
            .read("generated/docker-compose.mcp-only.yml")
            .contains("pids: 160")
    );
}

#[test]
fn check_without_a_build_lists_every_file_as_missing() {
    let project = Project::fixture("minimal");
    let check = project.run(&["check"]);
    assert_eq!(code(&check), 1);
    assert!(stdout(&check).contains("+++ b/generated/shims/hardened_echo.sh"));
    assert!(!project.path().join("generated").exists());
}

#[test]
fn a_hand_edited_file_stops_the_build_until_forced_and_is_backed_up() {
    let project = Project::fixture("minimal");
    assert_eq!(code(&project.run(&["build"])), 0);
    let compose = "generated/docker-compose.mcp-only.yml";
    let edited = project
        .read(compose)
        .replace("read_only: true", "read_only: false");
    project.write(compose, &edited);
    project.write(
        "mcp.toml",
        &project.read("mcp.toml").replace("pids = 64", "pids = 65"),
    );

    let refused = project.run(&["build"]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("edited by hand"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("docker-compose.mcp-only.yml"));
    assert_eq!(project.read(compose), edited, "nothing may be written");

    let forced = project.run(&["build", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(project.read(&format!("{compose}.mcpgen-backup")), edited);
    assert!(project.read(compose).contains("pids: 65"));
}

#[test]
fn a_file_mcpgen_did_not_write_is_never_overwritten_silently() {
    let project = Project::fixture("minimal");
    std::fs::create_dir_all(project.path().join("generated")).expect("mkdir");
    project.write("generated/docker-compose.mcp-only.yml", "services: {}\n");
    project.write("generated/README.md", "what this directory is\n");
    let refused = project.run(&["build"]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("did not write"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        project.read("generated/docker-compose.mcp-only.yml"),
        "services: {}\n"
    );
    let forced = project.run(&["build", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(
        project.read("generated/docker-compose.mcp-only.yml.mcpgen-backup"),
        "services: {}\n"
    );
    assert_eq!(
        project.read("generated/README.md"),
        "what this directory is\n",
        "a README beside the generated files stays"
    );
}

#[test]
fn an_output_directory_holding_the_users_files_is_refused_even_when_forced() {
    // out_dir = "." in a checkout of a project whose sources mention the hash mark (as
    // mcpgen's own do): no file of theirs may be taken for a generated one, replaced or removed.
    let project = Project::with_config(&Project::fixture("minimal").read("mcp.toml").replace(
        "[stack]\nname = \"mini\"",
        "[stack]\nname = \"mini\"\nout_dir = \".\"",
    ));
    std::fs::create_dir_all(project.path().join("src")).expect("mkdir");
    let source = "const HASH_MARK: &str = \"mcpgen-hash: \";\n";
    project.write("src/header.rs", source);
    project.write("Cargo.toml", "[package]\nname = \"x\"\n");
    for args in [&["build"][..], &["build", "--force"]] {
        let refused = project.run(args);
        assert_eq!(code(&refused), 2, "{}", stderr(&refused));
        let message = stderr(&refused);
        assert!(
            message.contains("holds 3 file(s) that mcpgen did not write"),
            "{message}"
        );
        assert!(
            message.contains("Cargo.toml, mcp.toml, src/header.rs"),
            "{message}"
        );
        assert!(message.contains("out_dir"), "{message}");
    }
    assert_eq!(project.read("src/header.rs"), source);
    assert!(!project.path().join("docker-compose.mcp-only.yml").exists());
    assert!(!project.path().join("src/header.rs.mcpgen-backup").exists());
}

#[test]
fn links_and_special_files_in_the_output_directory_are_refused_never_read() {
    let project = Project::fixture("minimal");
    assert_eq!(code(&project.run(&["build"])), 0);
    let generated = project.path().join("generated");
    let compose = generated.join("docker-compose.mcp-only.yml");
    let secret = project.path().join("secret.txt");
    std::fs::write(&secret, "CANARY-SECRET-1234\n").expect("secret");
    for target in [
        secret.clone(),
        "/proc/self/environ".into(),
        "/dev/zero".into(),
    ] {
        std::fs::remove_file(&compose).expect("rm");
        std::os::unix::fs::symlink(&target, &compose).expect("plant link");
        for command in ["check", "build"] {
            let out = project.run(&[command]);
            assert_eq!(
                code(&out),
                2,
                "{command} {}: {}",
                target.display(),
                stderr(&out)
            );
            let shown = format!("{}{}", stdout(&out), stderr(&out));
            assert!(shown.contains("is a symbolic link"), "{shown}");
            assert!(!shown.contains("CANARY-SECRET"), "{shown}");
            assert!(!shown.contains("PATH="), "{shown}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(&secret).expect("secret"),
        "CANARY-SECRET-1234\n",
        "nothing was written through the link"
    );
    // A linked directory inside the output directory: the shims' writes could land anywhere.
    std::fs::remove_file(&compose).expect("rm");
    let shims = generated.join("shims");
    std::fs::remove_dir_all(&shims).expect("rm shims");
    let elsewhere = project.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, &shims).expect("plant dir link");
    let out = project.run(&["build", "--force"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(std::fs::read_dir(&elsewhere).expect("ls").next().is_none());
}

#[test]
fn force_never_writes_its_backup_through_a_planted_link() {
    let project = Project::fixture("minimal");
    assert_eq!(code(&project.run(&["build"])), 0);
    let compose = "generated/docker-compose.mcp-only.yml";
    let edited = project
        .read(compose)
        .replace("read_only: true", "read_only: false");
    project.write(compose, &edited);
    let victim = project.path().join("victim");
    std::os::unix::fs::symlink(
        &victim,
        project.path().join(format!("{compose}.mcpgen-backup")),
    )
    .expect("plant link");
    let forced = project.run(&["build", "--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert!(!victim.exists(), "the backup went through the link");
    assert_eq!(project.read(&format!("{compose}.mcpgen-backup.1")), edited);
}

#[test]
fn a_removed_server_loses_its_shim() {
    let project = Project::fixture("secret-egress");
    assert_eq!(code(&project.run(&["build"])), 0);
    assert!(
        project
            .path()
            .join("generated/shims/hardened_offline.sh")
            .exists()
    );
    let config = project.read("mcp.toml");
    let without = &config[..config
        .find("[servers.offline]")
        .expect("fixture has offline")];
    project.write("mcp.toml", without);
    assert_eq!(code(&project.run(&["build"])), 0);
    assert!(
        !project
            .path()
            .join("generated/shims/hardened_offline.sh")
            .exists()
    );
}

#[test]
fn lint_errors_stop_the_build_and_write_nothing() {
    let project = Project::with_config(
        "[stack]\nname = \"x\"\n\n[servers.fs]\nimage = \"mcp/fs:1\"\ncommand = [\"fs\"]\nread_only = false\n",
    );
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    for code in ["MCP001", "MCP002", "MCP004"] {
        assert!(err.contains(code), "{code} missing from:\n{err}");
    }
    assert!(err.contains("nothing was written"));
    assert!(!project.path().join("generated").exists());
}

#[test]
fn an_allow_with_a_reason_lets_the_build_through() {
    let project = Project::with_config(
        "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
         [servers.fs]\nimage = \"mcp/fs:1\"\ncommand = [\"fs\"]\nread_only = false\n\
         allow = [{ rule = \"read-only-rootfs\", reason = \"writes its cache next to itself\" }]\n",
    );
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        project
            .read("generated/docker-compose.mcp-only.yml")
            .contains("read_only: false")
    );
}

#[test]
fn config_is_found_in_a_parent_or_given_explicitly() {
    let project = Project::fixture("minimal");
    let missing = tempfile::tempdir().expect("tmp");
    let output = assert_cmd::Command::cargo_bin("mcpgen")
        .expect("bin")
        .current_dir(missing.path())
        .env("NO_COLOR", "1")
        .arg("check")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no mcp.toml"),
        "{}",
        stderr(&output)
    );
    let explicit = assert_cmd::Command::cargo_bin("mcpgen")
        .expect("bin")
        .current_dir(missing.path())
        .arg("--config")
        .arg(project.path().join("mcp.toml"))
        .arg("build")
        .output()
        .expect("runs");
    assert_eq!(code(&explicit), 0, "{}", stderr(&explicit));
    assert!(
        project
            .path()
            .join("generated/docker-compose.mcp-only.yml")
            .exists()
    );
}

#[test]
fn usage_errors_exit_2_and_help_teaches() {
    let project = Project::fixture("minimal");
    assert_eq!(code(&project.run(&["frobnicate"])), 2);
    let help = project.run(&["--help"]);
    assert_eq!(code(&help), 0);
    let text = stdout(&help);
    assert!(
        text.contains("Examples:") && text.contains("Exit codes"),
        "{text}"
    );
    let quiet = project.run(&["--quiet", "build"]);
    assert_eq!(code(&quiet), 0);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn completions_and_man_pages_come_from_the_clap_definitions() {
    let project = Project::fixture("minimal");
    let bash = project.run(&["completions", "bash"]);
    assert_eq!(code(&bash), 0);
    let script = stdout(&bash);
    for word in ["install", "doctor", "init", "--dry-run", "--from"] {
        assert!(
            script.contains(word),
            "{word} missing from bash completions"
        );
    }
    let checked = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .status()
        .expect("bash runs");
    assert!(checked.success(), "bash cannot parse its completions");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = project.run(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}");
        assert!(stdout(&output).contains("mcpgen"));
    }
    assert_eq!(code(&project.run(&["completions", "tcsh"])), 2);

    let man = project.run(&["man"]);
    assert_eq!(code(&man), 0);
    let page = stdout(&man);
    assert!(page.contains(".TH mcpgen 1"), "{page}");
    assert!(page.contains("install"));
    let dir = project.path().join("man1");
    let written = project.run(&["man", "--out-dir", "man1"]);
    assert_eq!(code(&written), 0, "{}", stderr(&written));
    for page in [
        "mcpgen.1",
        "mcpgen-install.1",
        "mcpgen-init.1",
        "mcpgen-doctor.1",
    ] {
        assert!(dir.join(page).is_file(), "{page}");
    }
}

#[test]
fn every_spelling_of_root_stops_the_build_at_its_value() {
    let text = std::fs::read_to_string(crate::support::fixtures().join("root-users/mcp.toml"))
        .expect("fixture");
    let project = Project::with_config(&text);
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        !project.path().join("generated").exists(),
        "nothing is written"
    );
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_mount_is_judged_where_it_lands_on_the_host() {
    let text = std::fs::read_to_string(crate::support::fixtures().join("host-paths/mcp.toml"))
        .expect("fixture");
    let project = Project::with_config(&text);
    let output = project
        .command(&["build"])
        .env("HOME", "/home/alice")
        .output()
        .expect("mcpgen runs");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        !project.path().join("generated").exists(),
        "nothing is written"
    );
    insta::assert_snapshot!(stderr(&output));
}
