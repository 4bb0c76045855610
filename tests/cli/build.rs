//! `build` and `check`: determinism, drift, hand edits, writing nothing on failure.

use crate::harness::{Test, fixture_text, repo_text};

const MINIMAL_BUILT: &str = "mini: 3 file(s) in generated/, 3 changed\n";

#[test]
fn build_twice_gives_identical_bytes_and_check_is_clean() {
    let first = Test::bundled().arg("build").stderr_any().run();
    let files = first.files("generated");
    let before: Vec<String> = files
        .iter()
        .map(|f| first.read(&format!("generated/{f}")))
        .collect();
    let second = first.then().arg("build").stderr_contains("0 changed").run();
    assert_eq!(second.files("generated"), files);
    let after: Vec<String> = files
        .iter()
        .map(|f| second.read(&format!("generated/{f}")))
        .collect();
    assert_eq!(before, after);
    second.then().arg("check").stderr_any().run();
}

#[test]
fn output_is_the_same_from_any_directory() {
    let built = Test::bundled()
        .current_dir("a/b")
        .arg("build")
        .stderr_any()
        .run();
    let compose = built.read("generated/docker-compose.mcp-only.yml");
    assert_eq!(
        compose,
        repo_text("generated/docker-compose.mcp-only.yml"),
        "the committed generated/ is stale or output depends on the machine"
    );
    assert!(!compose.contains(&built.path().display().to_string()));
}

#[test]
fn check_reports_drift_as_a_unified_diff() {
    let built = Test::bundled().arg("build").stderr_any().run();
    built.write(
        "mcp.toml",
        &built.read("mcp.toml").replace("pids = 160", "pids = 150"),
    );
    let check = built
        .then()
        .arg("check")
        .status(1)
        .stdout_contains("--- a/generated/docker-compose.mcp-only.yml")
        .stdout_contains("-          pids: 160")
        .stdout_contains("+          pids: 150")
        .stderr_contains("out of date")
        .run();
    // check writes nothing
    assert!(
        check
            .read("generated/docker-compose.mcp-only.yml")
            .contains("pids: 160")
    );
}

#[test]
fn check_without_a_build_lists_every_file_as_missing() {
    let check = Test::fixture("minimal")
        .arg("check")
        .status(1)
        .stdout_contains("+++ b/generated/shims/hardened_echo.sh")
        .stderr_any()
        .run();
    assert!(!check.join("generated").exists());
}

#[test]
fn a_hand_edited_file_stops_the_build_until_forced_and_is_backed_up() {
    let built = Test::fixture("minimal")
        .arg("build")
        .stderr(MINIMAL_BUILT)
        .run();
    let compose = "generated/docker-compose.mcp-only.yml";
    let edited = built
        .read(compose)
        .replace("read_only: true", "read_only: false");
    built.write(compose, &edited);
    built.write(
        "mcp.toml",
        &built.read("mcp.toml").replace("pids = 64", "pids = 65"),
    );

    let refused = built
        .then()
        .arg("build")
        .status(1)
        .stderr_contains("edited by hand")
        .stderr_contains("docker-compose.mcp-only.yml")
        .run();
    assert_eq!(refused.read(compose), edited, "nothing may be written");

    let forced = refused.then().args(["build", "--force"]).stderr_any().run();
    assert_eq!(forced.read(&format!("{compose}.mcpgen-backup")), edited);
    assert!(forced.read(compose).contains("pids: 65"));
}

#[test]
fn a_file_mcpgen_did_not_write_is_never_overwritten_silently() {
    let refused = Test::fixture("minimal")
        .file("generated/docker-compose.mcp-only.yml", "services: {}\n")
        .file("generated/README.md", "what this directory is\n")
        .arg("build")
        .status(1)
        .stderr_contains("did not write")
        .run();
    assert_eq!(
        refused.read("generated/docker-compose.mcp-only.yml"),
        "services: {}\n"
    );
    let forced = refused.then().args(["build", "--force"]).stderr_any().run();
    assert_eq!(
        forced.read("generated/docker-compose.mcp-only.yml.mcpgen-backup"),
        "services: {}\n"
    );
    assert_eq!(
        forced.read("generated/README.md"),
        "what this directory is\n",
        "a README beside the generated files stays"
    );
}

#[test]
fn an_output_directory_holding_the_users_files_is_refused_even_when_forced() {
    // out_dir = "." in a checkout of a project whose sources mention the hash mark (as
    // mcpgen's own do): no file of theirs may be taken for a generated one, replaced or removed.
    let source = "const HASH_MARK: &str = \"mcpgen-hash: \";\n";
    let project = Test::new()
        .mcp_toml(&fixture_text("config/minimal/mcp.toml").replace(
            "[stack]\nname = \"mini\"",
            "[stack]\nname = \"mini\"\nout_dir = \".\"",
        ))
        .file("src/header.rs", source)
        .file("Cargo.toml", "[package]\nname = \"x\"\n");
    let scratch = project.scratch().clone();
    for args in [&["build"][..], &["build", "--force"]] {
        project
            .clone()
            .args(args)
            .status(2)
            .stderr_contains("holds 3 file(s) that mcpgen did not write")
            .stderr_contains("Cargo.toml, mcp.toml, src/header.rs")
            .stderr_contains("out_dir")
            .run();
    }
    assert_eq!(scratch.read("src/header.rs"), source);
    assert!(!scratch.exists("docker-compose.mcp-only.yml"));
    assert!(!scratch.exists("src/header.rs.mcpgen-backup"));
}

#[test]
fn links_and_special_files_in_the_output_directory_are_refused_never_read() {
    let built = Test::fixture("minimal")
        .arg("build")
        .stderr(MINIMAL_BUILT)
        .run();
    let generated = built.join("generated");
    let compose = generated.join("docker-compose.mcp-only.yml");
    let secret = built.join("secret.txt");
    std::fs::write(&secret, "CANARY-SECRET-1234\n").expect("secret");
    for target in [
        secret.clone(),
        "/proc/self/environ".into(),
        "/dev/zero".into(),
    ] {
        std::fs::remove_file(&compose).expect("rm");
        std::os::unix::fs::symlink(&target, &compose).expect("plant link");
        for command in ["check", "build"] {
            let out = built
                .then()
                .arg(command)
                .status(2)
                .stdout_any()
                .stderr_contains("is a symbolic link")
                .run();
            let shown = format!("{}{}", out.stdout, out.stderr);
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
    let elsewhere = built.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, &shims).expect("plant dir link");
    built
        .then()
        .args(["build", "--force"])
        .status(2)
        .stderr_any()
        .run();
    assert!(std::fs::read_dir(&elsewhere).expect("ls").next().is_none());
}

#[test]
fn force_never_writes_its_backup_through_a_planted_link() {
    let built = Test::fixture("minimal")
        .arg("build")
        .stderr(MINIMAL_BUILT)
        .run();
    let compose = "generated/docker-compose.mcp-only.yml";
    let edited = built
        .read(compose)
        .replace("read_only: true", "read_only: false");
    built.write(compose, &edited);
    let victim = built.join("victim");
    std::os::unix::fs::symlink(&victim, built.join(format!("{compose}.mcpgen-backup")))
        .expect("plant link");
    let forced = built.then().args(["build", "--force"]).stderr_any().run();
    assert!(!victim.exists(), "the backup went through the link");
    assert_eq!(forced.read(&format!("{compose}.mcpgen-backup.1")), edited);
}

#[test]
fn a_removed_server_loses_its_shim() {
    let built = Test::fixture("secret-egress")
        .arg("build")
        .stderr_any()
        .run();
    let shim = "generated/shims/hardened_offline.sh";
    assert!(built.scratch().exists(shim));
    let config = built.read("mcp.toml");
    let without = &config[..config
        .find("[servers.offline]")
        .expect("fixture has offline")];
    built.write("mcp.toml", without);
    let rebuilt = built.then().arg("build").stderr_any().run();
    assert!(!rebuilt.scratch().exists(shim));
}

#[test]
fn lint_errors_stop_the_build_and_write_nothing() {
    let output = Test::new()
        .mcp_toml(
            "[stack]\nname = \"x\"\n\n[servers.fs]\nimage = \"mcp/fs:1\"\ncommand = [\"fs\"]\nread_only = false\n",
        )
        .arg("build")
        .status(1)
        .stderr_contains("MCP001")
        .stderr_contains("MCP002")
        .stderr_contains("MCP004")
        .stderr_contains("nothing was written")
        .run();
    assert!(!output.join("generated").exists());
}

#[test]
fn an_allow_with_a_reason_lets_the_build_through() {
    let output = Test::new()
        .mcp_toml(
            "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
             [servers.fs]\nimage = \"mcp/fs:1\"\ncommand = [\"fs\"]\nread_only = false\n\
             allow = [{ rule = \"read-only-rootfs\", reason = \"writes its cache next to itself\" }]\n",
        )
        .arg("build")
        .stderr_any()
        .run();
    assert!(
        output
            .read("generated/docker-compose.mcp-only.yml")
            .contains("read_only: false")
    );
}

#[test]
fn config_is_found_in_a_parent_or_given_explicitly() {
    // The project is in `project/`; `elsewhere/` has no mcp.toml in it or above it.
    let missing = Test::new()
        .file("project/mcp.toml", &fixture_text("config/minimal/mcp.toml"))
        .current_dir("elsewhere")
        .arg("check")
        .status(2)
        .stderr_contains("no mcp.toml")
        .run();
    let explicit = missing
        .then()
        .arg("--config")
        .arg(missing.join("project/mcp.toml"))
        .arg("build")
        .stderr(MINIMAL_BUILT)
        .run();
    assert!(
        explicit
            .scratch()
            .exists("project/generated/docker-compose.mcp-only.yml")
    );
}

#[test]
fn usage_errors_exit_2_and_help_teaches() {
    let project = Test::fixture("minimal");
    project
        .clone()
        .arg("frobnicate")
        .status(2)
        .stderr_any()
        .run();
    project
        .clone()
        .arg("--help")
        .stdout_contains("Examples:")
        .stdout_contains("Exit codes")
        .run();
    project.args(["--quiet", "build"]).run();
}

#[test]
fn completions_and_man_pages_come_from_the_clap_definitions() {
    let project = Test::fixture("minimal");
    let mut bash = project.clone().args(["completions", "bash"]);
    for word in ["install", "doctor", "init", "--dry-run", "--from"] {
        bash = bash.stdout_contains(word);
    }
    let script = bash.run().stdout;
    let checked = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .status()
        .expect("bash runs");
    assert!(checked.success(), "bash cannot parse its completions");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        project
            .clone()
            .args(["completions", shell])
            .stdout_contains("mcpgen")
            .run();
    }
    project
        .clone()
        .args(["completions", "tcsh"])
        .status(2)
        .stderr_any()
        .run();

    project
        .clone()
        .arg("man")
        .stdout_contains(".TH mcpgen 1")
        .stdout_contains("install")
        .run();
    let written = project
        .args(["man", "--out-dir", "man1"])
        .stderr_any()
        .run();
    for page in [
        "mcpgen.1",
        "mcpgen-install.1",
        "mcpgen-init.1",
        "mcpgen-doctor.1",
    ] {
        assert!(written.join("man1").join(page).is_file(), "{page}");
    }
}

#[test]
fn every_spelling_of_root_stops_the_build_at_its_value() {
    let output = Test::new()
        .mcp_toml(&fixture_text("root-users/mcp.toml"))
        .arg("build")
        .status(1)
        .stderr_any()
        .run();
    assert!(!output.join("generated").exists(), "nothing is written");
    insta::assert_snapshot!(output.stderr);
}

#[test]
fn a_mount_is_judged_where_it_lands_on_the_host() {
    let output = Test::new()
        .mcp_toml(&fixture_text("host-paths/mcp.toml"))
        .env("HOME", "/home/alice")
        .arg("build")
        .status(1)
        .stderr_any()
        .run();
    assert!(!output.join("generated").exists(), "nothing is written");
    insta::assert_snapshot!(output.stderr);
}
