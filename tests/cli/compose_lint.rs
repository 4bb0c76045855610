//! `mcpgen lint` over compose files: one test per rule on its fixtures, a corpus of realistic
//! files, Compose's merging, fixes.

use crate::harness::{Test, fixture};

/// `mcpgen lint --format json <args>`, which must exit `status`: its report.
#[track_caller]
fn lint_json(project: &Test, args: &[&str], status: i32) -> serde_json::Value {
    project
        .clone()
        .args(["lint", "--format", "json"])
        .args(args)
        .status(status)
        .stdout_any()
        .run()
        .json()
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

/// The fixture files of a directory below `tests/fixtures/`, sorted.
fn fixture_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture(dir))
        .unwrap_or_else(|e| panic!("tests/fixtures/{dir}: {e}"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// One test per rule of the catalog, named after it, on the rule's fixtures in
/// `tests/fixtures/lint/<RULE>/`; [`every_rule_in_the_catalog_has_its_test`] holds the list to
/// the catalog.
macro_rules! rule_tests {
    ($($rule:ident),* $(,)?) => {
        $(
            #[test]
            fn $rule() {
                rule(&stringify!($rule).to_ascii_uppercase());
            }
        )*
        /// The rules [`rule_tests!`] made a test for.
        const TESTED_RULES: &[&str] = &[$(stringify!($rule)),*];
    };
}

rule_tests!(
    mcp001, mcp002, mcp003, mcp004, mcp005, mcp006, mcp007, mcp008, mcp009, mcp010, mcp011, mcp012,
    mcp013, mcp014, mcp015, mcp016, mcp017, mcp018, mcp019, mcp020, mcp021, mcp022, mcp023, mcp024,
    mcp025, mcp101, mcp102, mcp103, mcp104, mcp105,
);

/// A rule on its fixtures: silent on `ok.yml`; alone (with its companion, if any) on each
/// `bad*.yml`, whose human report is pinned, with the exit code its findings' severities give,
/// and named in SARIF; suppressed on each `allowed*.yml`; and explained by `explain`.
fn rule(rule: &str) {
    let dir = format!("lint/{rule}");
    let names = fixture_names(&dir);
    // A home two levels down, as the fixtures' `~/../..` assumes (only ever expanded, not read).
    let project = Test::fixture("minimal")
        .fixture_files(&dir, &[])
        .env("HOME", "/home/alice");

    // A floating tag has no digest either: MCP016 rightly comes along with MCP015.
    let companion = if rule == "MCP015" { "MCP016" } else { "-" };
    let ok = lint_json(&project, &["ok.yml"], 0);
    assert_eq!(
        verdict(&ok),
        (vec![], vec![]),
        "{rule}: ok.yml must be clean"
    );

    for bad in names.iter().filter(|n| n.starts_with("bad")) {
        // At the lowest bar, any finding fails.
        let document = lint_json(&project, &[bad, "--fail-on", "info"], 1);
        let (active, _) = verdict(&document);
        assert!(!active.is_empty(), "{rule}/{bad} found nothing");
        assert!(
            active
                .iter()
                .all(|f| f.starts_with(rule) || f.starts_with(companion)),
            "{rule}/{bad}: only {rule} may fire: {active:#?}"
        );
        // By default, only an error fails.
        let errors = document["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["suppressed"].is_null() && f["severity"] == "error");
        let status = i32::from(errors);
        let human = project
            .clone()
            .arg("lint")
            .arg(bad)
            .status(status)
            .stderr_any()
            .run();
        insta::assert_snapshot!(format!("rule_{rule}_{bad}"), human.stderr);

        let sarif = project
            .clone()
            .args(["lint", "--format", "sarif"])
            .arg(bad)
            .status(status)
            .stdout_any()
            .run()
            .json();
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().expect("results");
        assert!(
            results.iter().any(|r| r["ruleId"] == rule),
            "{rule}/{bad}: not in SARIF"
        );
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("index") as usize;
            assert_eq!(
                run["tool"]["driver"]["rules"][index]["id"], result["ruleId"],
                "{rule}/{bad}: SARIF ruleIndex"
            );
        }
    }
    for allowed in names.iter().filter(|n| n.starts_with("allowed")) {
        let document = lint_json(&project, &[allowed], 0);
        let (active, suppressed) = verdict(&document);
        assert!(
            active.iter().all(|f| f.starts_with(companion)),
            "{rule}/{allowed}: {active:#?}"
        );
        assert_eq!(suppressed, [rule], "{rule}/{allowed}");
    }

    let explain = project.arg("explain").arg(rule).stdout_any().run();
    assert!(
        explain.stdout.starts_with(&format!("# {rule} ")),
        "{rule}: {}",
        explain.stdout
    );
}

/// A rule added to the catalog without fixtures and a test here fails here; and every fixture
/// directory is a rule's.
#[test]
fn every_rule_in_the_catalog_has_its_test() {
    let catalog = Test::new()
        .args(["rules", "--format", "json"])
        .stdout_any()
        .run()
        .json();
    let rules: Vec<String> = catalog
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| rule["code"].as_str().expect("code").to_string())
        .collect();
    let tested: Vec<String> = TESTED_RULES
        .iter()
        .map(|name| name.to_ascii_uppercase())
        .collect();
    assert_eq!(
        tested, rules,
        "one test per rule: add the rule to `rule_tests!` and its fixtures under \
         tests/fixtures/lint/<RULE>/ (ok.yml, bad*.yml, allowed*.yml)"
    );
    assert_eq!(fixture_names("lint"), rules, "a fixture directory per rule");
}

/// Each file of the corpus (`tests/fixtures/corpus/`), with the exit code lint gives it.
const CORPUS: &[(&str, i32)] = &[
    ("mcp-hardened.yml", 0),
    ("mcp-naive.yml", 1),
    ("monitoring.yml", 1),
    ("reverse-proxy.yml", 1),
    ("wordpress.yml", 1),
];

#[test]
fn corpus_findings_are_pinned() {
    let files: Vec<&str> = CORPUS.iter().map(|(file, _)| *file).collect();
    assert_eq!(
        fixture_names("corpus"),
        files,
        "every corpus file is listed"
    );
    let project = Test::fixture("minimal").fixture_files("corpus", &[]);
    for (file, status) in CORPUS {
        let document = lint_json(&project, &[file], *status);
        let (active, suppressed) = verdict(&document);
        assert!(suppressed.is_empty());
        insta::assert_snapshot!(format!("corpus_{file}"), active.join("\n"));
    }
}

#[test]
fn no_argument_lints_mcp_toml_and_the_compose_files_beside_it_with_their_override() {
    let project = Test::new()
        .mcp_toml(
            "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
             [servers.echo]\nimage = \"echo:1.0\"\ncommand = [\"echo\"]\n",
        )
        .file(
            "compose.yaml",
            "services:\n  app:\n    image: a:1.0\n    read_only: true\n",
        )
        .file(
            "compose.override.yaml",
            "services:\n  app:\n    read_only: false\n",
        );
    let document = lint_json(&project, &[], 1);
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
    let project = Test::fixture("minimal")
        .fixture_files("override-alone", &["compose.yml", "compose.override.yml"]);
    let document = lint_json(&project, &["compose.override.yml"], 0);
    assert_eq!(verdict(&document), (vec![], vec![]));

    // Base and override both changed: one project, linted once.
    let both = lint_json(&project, &["compose.yml", "compose.override.yml"], 0);
    assert_eq!(both, document);

    project.scratch().write(
        "compose.override.yml",
        &crate::harness::fixture_text("override-alone/weakening.override.yml"),
    );
    let document = lint_json(&project, &["compose.override.yml"], 1);
    assert_eq!(verdict(&document).0, ["MCP002 app compose.override.yml:4"]);
}

/// A file the project's `COMPOSE_FILE` names is linted with the others it names, in order.
#[test]
fn a_file_compose_file_names_is_linted_with_the_others() {
    let project = Test::fixture("minimal").fixture_files(
        "agreement/compose-file-variable",
        &[".env", "base.yml", "hardening.yml"],
    );
    let alone = lint_json(&project, &["hardening.yml"], 1);
    let base = lint_json(&project, &["base.yml"], 1);
    let named = lint_json(&project, &["-f", "base.yml", "-f", "hardening.yml"], 1);
    assert_eq!(alone, named);
    assert_eq!(base, named);
    assert!(
        !verdict(&named).0.iter().any(|f| f.starts_with("MCP001")),
        "{named:#?}"
    );
}

#[test]
fn merged_files_and_reset_point_at_the_override() {
    let project = Test::fixture("minimal")
        .fixture_files("lint/MCP002", &["ok.yml"])
        .file(
            "override.yml",
            "services:\n  app:\n    read_only: !reset null\n",
        );
    let document = lint_json(&project, &["-f", "ok.yml", "-f", "override.yml"], 1);
    let (active, _) = verdict(&document);
    assert_eq!(active, ["MCP002 app override.yml:3"]);
}

#[test]
fn what_cannot_be_covered_exits_2() {
    Test::fixture("minimal")
        .file(
            "compose.yml",
            "include:\n  - missing.yml\nservices:\n  app:\n    image: a:1\n",
        )
        .args(["lint", "compose.yml"])
        .status(2)
        .stderr_any()
        .run();
    Test::new()
        .arg("lint")
        .status(2)
        .stderr_contains("nothing to lint")
        .run();
}

#[test]
fn fix_repairs_compose_keeping_comments_and_diff_writes_nothing() {
    let text = "# my services\nservices:\n  app:  # the app\n    image: a:1.0\n    read_only: false # was writable\n    cap_drop:\n      - NET_RAW\n";
    let project = Test::fixture("minimal").file("compose.yml", text);
    let diff = project
        .clone()
        .args(["lint", "--diff", "compose.yml"])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(diff.read("compose.yml"), text);
    insta::assert_snapshot!(diff.stdout);
    let fixed = project
        .args(["lint", "--fix", "compose.yml", "--format", "json"])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    let after = fixed.read("compose.yml");
    for kept in ["# my services", "# the app", "# was writable", "NET_RAW"] {
        assert!(after.contains(kept), "{kept} lost:\n{after}");
    }
    let document = fixed.json();
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
    let output = Test::fixture("minimal")
        .fixture_files(
            "compose/errors/interpolation",
            &["compose.yml", "override.yml"],
        )
        .args(["lint", "-f", "compose.yml", "-f", "override.yml"])
        .status(2)
        .stderr_any()
        .run();
    insta::assert_snapshot!(output.stderr);
}

/// `user: 0` is an integer to YAML, and Compose refuses it where it wants a string: mcpgen
/// refuses it too (it judged it as root before), every such value in the project at once.
#[test]
fn a_plain_number_where_compose_wants_a_string_is_refused() {
    let output = Test::fixture("minimal")
        .fixture_files("compose/errors/not-a-string", &["compose.yml"])
        .args(["lint", "compose.yml"])
        .status(2)
        .stderr_any()
        .run();
    insta::assert_snapshot!(output.stderr);
}

/// A FIFO, a device or a directory where a file is expected: a clear error and exit 2, at once
/// (opening a FIFO for reading would wait for a writer forever).
#[test]
fn inputs_that_are_not_files_are_refused_without_waiting() {
    let project = Test::fixture("minimal")
        .file("include.yml", "include:\n  - pipe.yml\nservices: {}\n")
        .timeout(std::time::Duration::from_secs(20));
    for fifo in ["pipe.yml", "pipe.toml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(project.scratch().join(fifo))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
    }
    let directory = fixture("agreement/last-wins");
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
        project
            .clone()
            .arg("lint")
            .args(args)
            .status(2)
            .stderr_contains(says)
            .run();
    }
    project
        .clone()
        .args(["lint", "-f", directory])
        .status(2)
        .stderr_contains("name the file in it: `")
        .stderr_contains("compose.yaml`")
        .run();
    let output = project
        .args(["lint", "include.yml"])
        .status(2)
        .stderr_any()
        .run();
    insta::assert_snapshot!(output.stderr);
}

#[test]
fn a_malformed_env_file_is_an_error_at_its_line() {
    let project =
        Test::fixture("minimal").fixture_files("compose/errors/dotenv", &["compose.yml", ".env"]);
    let output = project
        .clone()
        .args(["lint", "compose.yml"])
        .status(2)
        .stderr_any()
        .run();
    insta::assert_snapshot!(output.stderr);
    // Named with --env-file instead, a missing one is refused too (Compose refuses it).
    project
        .args(["lint", "--env-file", "missing.env", "compose.yml"])
        .status(2)
        .stderr_any()
        .run();
}

#[test]
fn fix_keeps_the_files_mode_and_writes_through_the_users_link() {
    use std::os::unix::fs::PermissionsExt as _;
    // A private compose file, linked into place by a dotfile manager.
    let project = Test::fixture("minimal").file(
        "dotfiles/compose.yml",
        "services:\n  app:\n    image: a:1.0\n    read_only: false\n",
    );
    let real = project.scratch().join("dotfiles/compose.yml");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::os::unix::fs::symlink(&real, project.scratch().join("compose.yml")).expect("link");
    let fixed = project
        .args(["lint", "--fix", "compose.yml"])
        .status(1)
        .stderr_any()
        .run();
    let after = std::fs::read_to_string(&real).expect("read");
    assert!(after.contains("read_only: true"), "{after}");
    let mode = std::fs::metadata(&real).expect("stat").permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "the fix made a private file readable by others"
    );
    assert!(
        fixed.join("compose.yml").is_symlink(),
        "the user's link was replaced by a file"
    );
}

/// The compose reader's findings (MCP101 on) are findings like any other: in JSON (valid
/// against the schema, with no service where they are about a file), SARIF and GitHub output,
/// and known to `rules` and `explain` (each rule's own test checks SARIF and `explain`).
#[test]
fn compose_notes_are_findings_in_every_format() {
    let project = Test::fixture("minimal").fixture_files("compose-notes", &["compose.yml"]);
    let codes = ["MCP101", "MCP102", "MCP103", "MCP104", "MCP105"];

    // `--select` cannot turn the core rules off: they are left out below.
    let ours = |line: &str| codes.iter().any(|rule| line.contains(rule));
    let document = lint_json(&project, &["compose.yml", "--select", &codes.join(",")], 1);
    crate::lint::assert_lint_output_schema(&document);
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

    let sarif = project
        .clone()
        .args(["lint", "compose.yml", "--format", "sarif"])
        .status(1)
        .stdout_any()
        .run()
        .json();
    let mut in_sarif: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .filter(|rule| ours(rule))
        .collect();
    in_sarif.sort_unstable();
    assert_eq!(in_sarif, codes);

    let github = project
        .clone()
        .args([
            "lint",
            "compose.yml",
            "--format",
            "github",
            "--select",
            &codes.join(","),
        ])
        .status(1)
        .stdout_any()
        .run();
    let github: Vec<String> = github
        .stdout
        .lines()
        .filter(|l| ours(l))
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!(github.join("\n"));

    let mut rules = project.arg("rules");
    for rule in codes {
        rules = rules.stdout_contains(rule);
    }
    rules.run();
}

/// A machine report that cannot be written whole is a failure, not a verdict.
#[test]
fn a_report_that_cannot_be_written_exits_2() {
    let project = Test::fixture("minimal").fixture_files("lint/MCP012", &["bad.yml"]);
    let code = |output: &std::process::Output| output.status.code().unwrap_or(-1);
    let stderr =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stderr).into_owned();
    for format in ["json", "sarif", "github"] {
        let lint = project
            .clone()
            .args(["lint", "bad.yml", "--format", format]);
        // The disk is full.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = lint.command().stdout(full).output().expect("runs");
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
        let output = lint
            .command()
            .stdout(std::os::fd::OwnedFd::from(unread))
            .stderr(std::process::Stdio::piped())
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
