//! `mcpgen lint` over mcp.toml: formats checked by their schemas and validators, flags, docs.

use crate::harness::{Test, repo_text};

/// Fails unless `document` is valid against the published schema of `lint --format json`.
pub(crate) fn assert_lint_output_schema(document: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(&repo_text("schema/lint-output.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// One finding of each kind: an error, a warning, a suppressed one and an unused allow.
const MIXED: &str = "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
    [servers.fs]\nimage = \"mcp/fs:1.0\"\ncommand = [\"fs\"]\nread_only = false\n\
    mounts = [{ source = \"/srv/data\", target = \"/data\", read_only = false }]\n\
    allow = [{ rule = \"MCP002\", reason = \"writes its cache next to itself\" }, { rule = \"MCP006\", reason = \"stale\" }]\n\
    [servers.gh]\nimage = \"gh:latest\"\ncommand = [\"gh\"]\n";

#[test]
fn json_output_matches_its_published_schema() {
    let output = Test::new()
        .mcp_toml(MIXED)
        .args(["lint", "--format", "json"])
        .status(1)
        .stdout_any()
        .run();
    let document = output.json();
    assert_lint_output_schema(&document);
    assert_eq!(document["summary"]["suppressed"], 1);
    insta::assert_snapshot!(output.stdout);
}

#[cfg(feature = "tool-tests")]
#[test]
fn sarif_output_passes_microsofts_validator() {
    let output = Test::new()
        .mcp_toml(MIXED)
        .args(["lint", "--format", "sarif"])
        .status(1)
        .stdout_any()
        .run();
    let project = output.scratch();
    project.write("out.sarif", &output.stdout);
    use std::process::Command;
    let tool = Command::new("sarif-multitool").arg("--help").output();
    assert!(
        tool.is_ok(),
        "Microsoft's SARIF validator is required: npm install -g @microsoft/sarif-multitool (scripts/test does)"
    );
    let validation = Command::new("sarif-multitool")
        .current_dir(project.path())
        .args([
            "validate",
            "out.sarif",
            "--output",
            "validation.sarif",
            "--log",
            "ForceOverwrite",
        ])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_str(&project.read("validation.sarif"))
        .expect("the validator writes SARIF");
    let problems: Vec<String> = report["runs"][0]["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                // SARIF's default level is warning. SARIF2005 asks for a tool home page
                // (`informationUri`), which mcpgen does not have yet.
                .filter(|r| {
                    r["level"].as_str().unwrap_or("warning") != "note" && r["ruleId"] != "SARIF2005"
                })
                .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        problems.is_empty() && validation.status.success(),
        "{problems:#?}\n{}",
        String::from_utf8_lossy(&validation.stdout)
    );
    let sarif = output.json();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(
        results
            .iter()
            .any(|r| r["suppressions"][0]["justification"] == "writes its cache next to itself")
    );
    assert!(
        results
            .iter()
            .all(|r| r["partialFingerprints"]["mcpgenFinding/v1"].is_string())
    );
}

#[test]
fn github_annotations_and_human_output() {
    let project = Test::new().mcp_toml(MIXED);
    let github = project
        .clone()
        .args(["lint", "--format", "github"])
        .status(1)
        .stdout_any()
        .run();
    insta::assert_snapshot!("github", github.stdout);
    let human = project.arg("lint").status(1).stderr_any().run();
    insta::assert_snapshot!("human", human.stderr);
}

#[test]
fn select_ignore_and_fail_on() {
    let project = Test::new().mcp_toml(MIXED);
    // Warnings alone do not fail by default.
    project
        .clone()
        .args(["lint", "--ignore", "MCP015", "--format", "json"])
        .stdout_any()
        .run();
    project
        .clone()
        .args(["lint", "--ignore", "MCP015", "--fail-on", "warning"])
        .status(1)
        .stderr_any()
        .run();
    let selected = project
        .clone()
        .args(["lint", "--select", "image-digest", "--format", "json"])
        .stdout_any()
        .run();
    let document = selected.json();
    let rules: Vec<&str> = document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default())
        .collect();
    assert!(
        rules.iter().all(|r| *r == "MCP016" || r < &"MCP005"),
        "{rules:?}"
    );
    project
        .clone()
        .args(["lint", "--ignore", "read-only-rootfs"])
        .status(2)
        .stderr_contains("core rule")
        .run();
    project
        .args(["lint", "--select", "MCP999"])
        .status(2)
        .stderr_any()
        .run();
}

#[test]
fn lint_table_in_mcp_toml_cannot_ignore_a_core_rule() {
    Test::new()
        .mcp_toml(&format!("{MIXED}\n[lint]\nignore = [\"MCP003\"]\n"))
        .arg("lint")
        .status(2)
        .stderr_contains("a core rule cannot be ignored globally")
        .run();
    // fail_on = warning: the MCP013 warning fails.
    let output = Test::new()
        .mcp_toml(&format!(
            "{MIXED}\n[lint]\nignore = [\"image-pinned\", \"MCP016\"]\nfail_on = \"warning\"\n"
        ))
        .args(["lint", "--format", "json"])
        .status(1)
        .stdout_any()
        .run();
    assert!(!output.stdout.contains("MCP015"));
}

#[test]
fn rules_docs_are_in_sync_and_explain_teaches() {
    let project = Test::fixture("minimal");
    let markdown = project
        .clone()
        .args(["rules", "--format", "markdown"])
        .stdout_any()
        .run();
    assert_eq!(
        markdown.stdout,
        repo_text("docs/rules.md"),
        "docs/rules.md is stale: mcpgen rules --format markdown > docs/rules.md"
    );
    let rules = project
        .clone()
        .args(["rules", "--format", "json"])
        .stdout_any()
        .run()
        .json();
    assert_eq!(rules.as_array().map(Vec::len), Some(30));
    let mut explain = project.clone().args(["explain", "read-only-rootfs"]);
    for heading in [
        "## What it does",
        "## Why it matters",
        "## Bad",
        "## Good",
        "## Fix",
        "## References",
    ] {
        explain = explain.stdout_contains(heading);
    }
    explain.run();
    project
        .args(["explain", "MCP999"])
        .status(2)
        .stderr_any()
        .run();
}

const FIXABLE: &str = "# my stack\n[stack]\nname = \"x\"\n\n[defaults]\nuser = \"1000\"\nread_only = false # oops\n\
    limits = { cpus = 1, memory = \"64M\", pids = 10 }\n\n[servers.fs]\n\
    image = \"mcp/fs:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n\
    command = [\"fs\"]\ncap_drop = [\"NET_RAW\"] # keep this comment\nno_new_privileges = false\ninit = false\n";

#[test]
fn diff_shows_the_fixes_and_writes_nothing() {
    let output = Test::new()
        .mcp_toml(FIXABLE)
        .args(["lint", "--diff"])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(output.read("mcp.toml"), FIXABLE);
    insta::assert_snapshot!(output.stdout);
}

#[test]
fn fix_repairs_mcp_toml_keeping_comments() {
    let output = Test::new()
        .mcp_toml(FIXABLE)
        .args(["lint", "--fix"])
        .stderr_any()
        .run();
    let fixed = output.read("mcp.toml");
    for kept in ["# my stack", "# oops", "# keep this comment", "\"NET_RAW\""] {
        assert!(fixed.contains(kept), "{kept} lost:\n{fixed}");
    }
    assert!(fixed.contains("read_only = true") && fixed.contains("init = true"));
    output.then().arg("build").stderr_any().run();
    let again = output
        .then()
        .args(["lint", "--fix"])
        .stderr_contains("nothing to fix")
        .run();
    assert_eq!(again.read("mcp.toml"), fixed);
}
