//! `mcpgen lint` over compose files: one fixture pair per rule, a corpus of realistic files,
//! Compose's merging, fixes.

use std::path::Path;

use crate::support::{Project, code, fixtures, stderr, stdout};

fn lint_json(project: &Project, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let output = project.run(&all);
    let document = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (code(&output), document)
}

/// `(rule, service, line)` of every finding not suppressed, and the rules of suppressed ones.
fn verdict(document: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut active = Vec::new();
    let mut suppressed = Vec::new();
    for finding in document["findings"].as_array().expect("findings") {
        let rule = finding["rule"].as_str().unwrap_or_default().to_string();
        if finding["suppressed"].is_null() {
            active.push(format!(
                "{rule} {} {}:{}",
                finding["service"].as_str().unwrap_or_default(),
                finding["location"]["path"].as_str().unwrap_or_default(),
                finding["location"]["line"]
            ));
        } else {
            suppressed.push(rule);
        }
    }
    (active, suppressed)
}

fn copy_into(project: &Project, from: &Path, names: &[&str]) {
    for name in names {
        std::fs::copy(from.join(name), project.path().join(name)).expect("copy fixture");
    }
}

#[test]
fn every_rule_fires_on_its_bad_fixture_alone_and_is_silent_on_its_ok_fixture() {
    let root = fixtures().join("lint");
    let mut rules: Vec<String> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    rules.sort();
    assert_eq!(rules.len(), 30, "a fixture directory per rule: {rules:?}");
    for rule in rules {
        let dir = root.join(&rule);
        let project = Project::fixture("minimal");
        let files: Vec<String> = std::fs::read_dir(&dir)
            .expect("rule dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        copy_into(&project, &dir, &names);

        // A floating tag has no digest either: MCP016 rightly comes along with MCP015.
        let companion = if rule == "MCP015" { "MCP016" } else { "-" };
        let (_, ok) = lint_json(&project, &["ok.yml"]);
        assert_eq!(
            verdict(&ok),
            (vec![], vec![]),
            "{rule}: ok.yml must be clean"
        );

        for bad in names.iter().filter(|n| n.starts_with("bad")) {
            let (status, document) = lint_json(&project, &[bad]);
            let (active, _) = verdict(&document);
            assert!(!active.is_empty(), "{rule}/{bad} found nothing");
            assert!(
                active
                    .iter()
                    .all(|f| f.starts_with(&rule) || f.starts_with(companion)),
                "{rule}/{bad}: only {rule} may fire: {active:#?}"
            );
            let severity = document["findings"][0]["severity"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(
                status,
                i32::from(severity == "error"),
                "{rule}/{bad}: exit code"
            );
            let human = project.run(&["lint", bad]);
            insta::assert_snapshot!(format!("rule_{rule}_{bad}"), stderr(&human));
        }
        for allowed in names.iter().filter(|n| n.starts_with("allowed")) {
            let (_, document) = lint_json(&project, &[allowed]);
            let (active, suppressed) = verdict(&document);
            assert!(
                active.iter().all(|f| f.starts_with(companion)),
                "{rule}/{allowed}: {active:#?}"
            );
            assert_eq!(suppressed, std::slice::from_ref(&rule), "{rule}/{allowed}");
        }
    }
}

#[test]
fn corpus_findings_are_pinned() {
    let root = fixtures().join("corpus");
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let project = Project::fixture("minimal");
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    copy_into(&project, &root, &names);
    for file in names {
        let (_, document) = lint_json(&project, &[file]);
        let (active, suppressed) = verdict(&document);
        assert!(suppressed.is_empty());
        insta::assert_snapshot!(format!("corpus_{file}"), active.join("\n"));
    }
}

#[test]
fn no_argument_lints_mcp_toml_and_the_compose_files_beside_it_with_their_override() {
    let project = Project::with_config(
        "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
         [servers.echo]\nimage = \"echo:1.0\"\ncommand = [\"echo\"]\n",
    );
    project.write(
        "compose.yaml",
        "services:\n  app:\n    image: a:1.0\n    read_only: true\n",
    );
    project.write(
        "compose.override.yaml",
        "services:\n  app:\n    read_only: false\n",
    );
    let (_, document) = lint_json(&project, &[]);
    let (active, _) = verdict(&document);
    let read_only: Vec<&String> = active.iter().filter(|f| f.starts_with("MCP002")).collect();
    assert_eq!(
        read_only,
        ["MCP002 app compose.override.yaml:3"],
        "{active:#?}"
    );
    assert!(
        active.iter().any(|f| f.starts_with("MCP016 echo mcp.toml")),
        "mcp.toml linted too: {active:#?}"
    );
}

/// pre-commit passes only the files that changed: an override given alone is linted merged
/// onto its base, as Compose runs it, never judged as a partial service.
#[test]
fn an_override_given_alone_is_linted_merged_onto_its_base() {
    let project = Project::fixture("minimal");
    let dir = fixtures().join("override-alone");
    copy_into(&project, &dir, &["compose.yml", "compose.override.yml"]);
    let (status, document) = lint_json(&project, &["compose.override.yml"]);
    assert_eq!(verdict(&document), (vec![], vec![]));
    assert_eq!(status, 0);

    // Base and override both changed: one project, linted once.
    let (_, both) = lint_json(&project, &["compose.yml", "compose.override.yml"]);
    assert_eq!(both, document);

    std::fs::copy(
        dir.join("weakening.override.yml"),
        project.path().join("compose.override.yml"),
    )
    .expect("copy");
    let (status, document) = lint_json(&project, &["compose.override.yml"]);
    assert_eq!(status, 1);
    assert_eq!(verdict(&document).0, ["MCP002 app compose.override.yml:4"]);
}

/// A file the project's `COMPOSE_FILE` names is linted with the others it names, in order.
#[test]
fn a_file_compose_file_names_is_linted_with_the_others() {
    let project = Project::fixture("minimal");
    let dir = fixtures().join("agreement/compose-file-variable");
    copy_into(&project, &dir, &[".env", "base.yml", "hardening.yml"]);
    let (_, alone) = lint_json(&project, &["hardening.yml"]);
    let (_, base) = lint_json(&project, &["base.yml"]);
    let (_, named) = lint_json(&project, &["-f", "base.yml", "-f", "hardening.yml"]);
    assert_eq!(alone, named);
    assert_eq!(base, named);
    assert!(
        !verdict(&named).0.iter().any(|f| f.starts_with("MCP001")),
        "{named:#?}"
    );
}

#[test]
fn merged_files_and_reset_point_at_the_override() {
    let project = Project::fixture("minimal");
    let dir = fixtures().join("lint/MCP002");
    copy_into(&project, &dir, &["ok.yml"]);
    project.write(
        "override.yml",
        "services:\n  app:\n    read_only: !reset null\n",
    );
    let (status, document) = lint_json(&project, &["-f", "ok.yml", "-f", "override.yml"]);
    assert_eq!(status, 1);
    let (active, _) = verdict(&document);
    assert_eq!(active, ["MCP002 app override.yml:3"]);
}

#[test]
fn what_cannot_be_covered_exits_2() {
    let project = Project::fixture("minimal");
    project.write(
        "compose.yml",
        "include:\n  - missing.yml\nservices:\n  app:\n    image: a:1\n",
    );
    let output = project.run(&["lint", "compose.yml"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let empty = tempfile::tempdir().expect("tmp");
    let output = assert_cmd::Command::cargo_bin("mcpgen")
        .expect("bin")
        .current_dir(empty.path())
        .arg("lint")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("nothing to lint"));
}

#[test]
fn fix_repairs_compose_keeping_comments_and_diff_writes_nothing() {
    let project = Project::fixture("minimal");
    let text = "# my services\nservices:\n  app:  # the app\n    image: a:1.0\n    read_only: false # was writable\n    cap_drop:\n      - NET_RAW\n";
    project.write("compose.yml", text);
    let diff = project.run(&["lint", "--diff", "compose.yml"]);
    assert_eq!(code(&diff), 1);
    assert_eq!(project.read("compose.yml"), text);
    insta::assert_snapshot!(stdout(&diff));
    let fixed = project.run(&["lint", "--fix", "compose.yml", "--format", "json"]);
    let after = project.read("compose.yml");
    for kept in ["# my services", "# the app", "# was writable", "NET_RAW"] {
        assert!(after.contains(kept), "{kept} lost:\n{after}");
    }
    let document: serde_json::Value = serde_json::from_str(&stdout(&fixed)).expect("JSON");
    let rules: Vec<&str> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    for gone in ["MCP002", "MCP003", "MCP005", "MCP022"] {
        assert!(!rules.contains(&gone), "{gone} still there: {rules:?}");
    }
}

#[test]
fn every_refused_interpolation_is_reported_at_its_dollar() {
    let project = Project::fixture("minimal");
    let dir = fixtures().join("compose/errors/interpolation");
    copy_into(&project, &dir, &["compose.yml", "override.yml"]);
    let output = project.run(&["lint", "-f", "compose.yml", "-f", "override.yml"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    insta::assert_snapshot!(stderr(&output));
}

/// A FIFO, a device or a directory where a file is expected: a clear error and exit 2, at once
/// (opening a FIFO for reading would wait for a writer forever).
#[test]
fn inputs_that_are_not_files_are_refused_without_waiting() {
    let project = Project::fixture("minimal");
    for fifo in ["pipe.yml", "pipe.toml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(project.path().join(fifo))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
    }
    project.write("include.yml", "include:\n  - pipe.yml\nservices: {}\n");
    let directory = fixtures().join("agreement").join("last-wins");
    let directory = directory.to_str().expect("UTF-8 path");
    let cases: [(&[&str], &str); 8] = [
        (
            &["-f", "pipe.yml"],
            "`pipe.yml` is a named pipe (FIFO), not a file",
        ),
        (
            &["pipe.yml"],
            "`pipe.yml` is a named pipe (FIFO), not a file",
        ),
        (
            &["pipe.toml"],
            "`pipe.toml` is a named pipe (FIFO), not a file",
        ),
        (
            &["--config", "pipe.toml"],
            "`pipe.toml` is a named pipe (FIFO), not a file",
        ),
        (
            &["-f", "/dev/null"],
            "`/dev/null` is a character device, not a file",
        ),
        (
            &["/dev/zero"],
            "`/dev/zero` is a character device, not a file",
        ),
        (&["-f", directory], "is a directory, not a file"),
        (
            &["include.yml"],
            "`pipe.yml` is a named pipe (FIFO), not a file",
        ),
    ];
    for (args, says) in cases {
        let output = assert_cmd::Command::cargo_bin("mcpgen")
            .expect("bin")
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .arg("lint")
            .args(args)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .expect("runs");
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = project.run(&["lint", "-f", directory]);
    assert!(
        stderr(&output).contains("name the file in it: `")
            && stderr(&output).contains("compose.yaml`"),
        "{}",
        stderr(&output)
    );
    let output = project.run(&["lint", "include.yml"]);
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_malformed_env_file_is_an_error_at_its_line() {
    let project = Project::fixture("minimal");
    let dir = fixtures().join("compose/errors/dotenv");
    copy_into(&project, &dir, &["compose.yml", ".env"]);
    let output = project.run(&["lint", "compose.yml"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    insta::assert_snapshot!(stderr(&output));
    // Named with --env-file instead, a missing one is refused too (Compose refuses it).
    let output = project.run(&["lint", "--env-file", "missing.env", "compose.yml"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

#[test]
fn fix_keeps_the_files_mode_and_writes_through_the_users_link() {
    use std::os::unix::fs::PermissionsExt as _;
    let project = Project::fixture("minimal");
    // A private compose file, linked into place by a dotfile manager.
    std::fs::create_dir_all(project.path().join("dotfiles")).expect("mkdir");
    let real = project.path().join("dotfiles/compose.yml");
    std::fs::write(
        &real,
        "services:\n  app:\n    image: a:1.0\n    read_only: false\n",
    )
    .expect("write");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::os::unix::fs::symlink(&real, project.path().join("compose.yml")).expect("link");
    project.run(&["lint", "--fix", "compose.yml"]);
    let after = std::fs::read_to_string(&real).expect("read");
    assert!(after.contains("read_only: true"), "{after}");
    let mode = std::fs::metadata(&real).expect("stat").permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "the fix made a private file readable by others"
    );
    assert!(
        project.path().join("compose.yml").is_symlink(),
        "the user's link was replaced by a file"
    );
}

/// The compose reader's findings (MCP101 on) are findings like any other: in JSON (valid
/// against the schema, with no service where they are about a file), SARIF and GitHub output,
/// and known to `rules` and `explain`.
#[test]
fn compose_notes_are_findings_in_every_format() {
    let project = Project::fixture("minimal");
    copy_into(
        &project,
        &fixtures().join("compose-notes"),
        &["compose.yml"],
    );
    let codes = ["MCP101", "MCP102", "MCP103", "MCP104", "MCP105"];

    // `--select` cannot turn the core rules off: they are left out below.
    let ours = |line: &str| codes.iter().any(|rule| line.contains(rule));
    let (_, document) = lint_json(&project, &["compose.yml", "--select", &codes.join(",")]);
    crate::support::assert_lint_output_schema(&document);
    let found: Vec<String> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} line {}",
                f["rule"], f["service"], f["location"]["line"]
            )
        })
        .filter(|line| ours(line))
        .collect();
    assert_eq!(
        found,
        [
            "\"MCP101\" null line 2",
            "\"MCP105\" null line 3",
            "\"MCP103\" \"app\" line 6",
            "\"MCP104\" null line 10",
            "\"MCP102\" \"worker\" line 13",
        ]
    );

    let sarif = project.run(&["lint", "compose.yml", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&sarif)).expect("SARIF");
    let run = &sarif["runs"][0];
    for rule in codes {
        let result = run["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("{rule} not in SARIF"));
        let index = result["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], rule);
    }

    let github = project.run(&[
        "lint",
        "compose.yml",
        "--format",
        "github",
        "--select",
        &codes.join(","),
    ]);
    let github: Vec<String> = stdout(&github)
        .lines()
        .filter(|l| ours(l))
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!(github.join("\n"));

    for rule in codes {
        let explain = project.run(&["explain", rule]);
        assert_eq!(code(&explain), 0, "{rule}");
        assert!(
            stdout(&explain).starts_with(&format!("# {rule} ")),
            "{rule}"
        );
    }
    let rules = stdout(&project.run(&["rules"]));
    assert!(codes.iter().all(|rule| rules.contains(rule)), "{rules}");
}

/// A machine report that cannot be written whole is a failure, not a verdict.
#[test]
fn a_report_that_cannot_be_written_exits_2() {
    let project = Project::fixture("minimal");
    copy_into(&project, &fixtures().join("lint/MCP012"), &["bad.yml"]);
    for format in ["json", "sarif", "github"] {
        // The disk is full.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = project
            .command(&["lint", "bad.yml", "--format", format])
            .stdout(full)
            .output()
            .expect("runs");
        assert_eq!(code(&output), 2, "{format}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("could not write the report"),
            "{format}: {}",
            stderr(&output)
        );

        // Nobody reads: the reading end is closed before mcpgen starts (a socket pair, so the
        // write fails with EPIPE however fast mcpgen is, as a closed pipe's would).
        let (unread, reader) = std::os::unix::net::UnixStream::pair().expect("socket pair");
        drop(reader);
        let output = project
            .command(&["lint", "bad.yml", "--format", format])
            .stdout(std::os::fd::OwnedFd::from(unread))
            .output()
            .expect("runs");
        assert_eq!(code(&output), 2, "{format}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("Broken pipe"),
            "{format}: {}",
            stderr(&output)
        );
    }
}
