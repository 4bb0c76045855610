//! `mcpgen lint` over mcp.toml: formats checked by their schemas and validators, flags, docs.

use crate::support::{Project, assert_lint_output_schema, code, repo_root, stderr, stdout};

/// One finding of each kind: an error, a warning, a suppressed one and an unused allow.
const MIXED: &str = "[stack]\nname = \"x\"\n[defaults]\nuser = \"1000\"\nlimits = { cpus = 1, memory = \"64M\", pids = 10 }\n\
    [servers.fs]\nimage = \"mcp/fs:1.0\"\ncommand = [\"fs\"]\nread_only = false\n\
    mounts = [{ source = \"/srv/data\", target = \"/data\", read_only = false }]\n\
    allow = [{ rule = \"MCP002\", reason = \"writes its cache next to itself\" }, { rule = \"MCP006\", reason = \"stale\" }]\n\
    [servers.gh]\nimage = \"gh:latest\"\ncommand = [\"gh\"]\n";

#[test]
fn json_output_matches_its_published_schema() {
    let project = Project::with_config(MIXED);
    let output = project.run(&["lint", "--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_lint_output_schema(&document);
    assert_eq!(document["summary"]["suppressed"], 1);
    insta::assert_snapshot!(stdout(&output));
}

#[cfg(feature = "tool-tests")]
#[test]
fn sarif_output_passes_microsofts_validator() {
    let project = Project::with_config(MIXED);
    let output = project.run(&["lint", "--format", "sarif"]);
    assert_eq!(code(&output), 1);
    project.write("out.sarif", &stdout(&output));
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
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
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
    let project = Project::with_config(MIXED);
    let github = project.run(&["lint", "--format", "github"]);
    assert_eq!(code(&github), 1);
    insta::assert_snapshot!("github", stdout(&github));
    let human = project.run(&["lint"]);
    assert_eq!(code(&human), 1);
    insta::assert_snapshot!("human", stderr(&human));
}

#[test]
fn select_ignore_and_fail_on() {
    let project = Project::with_config(MIXED);
    let only_warnings = project.run(&["lint", "--ignore", "MCP015", "--format", "json"]);
    assert_eq!(
        code(&only_warnings),
        0,
        "warnings alone do not fail by default"
    );
    let strict = project.run(&["lint", "--ignore", "MCP015", "--fail-on", "warning"]);
    assert_eq!(code(&strict), 1);
    let selected = project.run(&["lint", "--select", "image-digest", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&stdout(&selected)).expect("JSON");
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
    let core = project.run(&["lint", "--ignore", "read-only-rootfs"]);
    assert_eq!(code(&core), 2);
    assert!(stderr(&core).contains("core rule"));
    let unknown = project.run(&["lint", "--select", "MCP999"]);
    assert_eq!(code(&unknown), 2);
}

#[test]
fn lint_table_in_mcp_toml_cannot_ignore_a_core_rule() {
    let project = Project::with_config(&format!("{MIXED}\n[lint]\nignore = [\"MCP003\"]\n"));
    let output = project.run(&["lint"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("a core rule cannot be ignored globally"),
        "{}",
        stderr(&output)
    );
    let ok = Project::with_config(&format!(
        "{MIXED}\n[lint]\nignore = [\"image-pinned\", \"MCP016\"]\nfail_on = \"warning\"\n"
    ));
    let output = ok.run(&["lint", "--format", "json"]);
    assert!(!stdout(&output).contains("MCP015"));
    assert_eq!(
        code(&output),
        1,
        "fail_on = warning: the MCP013 warning fails"
    );
}

#[test]
fn rules_docs_are_in_sync_and_explain_teaches() {
    let project = Project::fixture("minimal");
    let markdown = project.run(&["rules", "--format", "markdown"]);
    let committed =
        std::fs::read_to_string(repo_root().join("docs/rules.md")).expect("docs/rules.md");
    assert_eq!(
        stdout(&markdown),
        committed,
        "docs/rules.md is stale: mcpgen rules --format markdown > docs/rules.md"
    );
    let json = project.run(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(rules.as_array().map(Vec::len), Some(30));
    let explain = project.run(&["explain", "read-only-rootfs"]);
    assert_eq!(code(&explain), 0);
    for heading in [
        "## What it does",
        "## Why it matters",
        "## Bad",
        "## Good",
        "## Fix",
        "## References",
    ] {
        assert!(stdout(&explain).contains(heading));
    }
    assert_eq!(code(&project.run(&["explain", "MCP999"])), 2);
}

const FIXABLE: &str = "# my stack\n[stack]\nname = \"x\"\n\n[defaults]\nuser = \"1000\"\nread_only = false # oops\n\
    limits = { cpus = 1, memory = \"64M\", pids = 10 }\n\n[servers.fs]\n\
    image = \"mcp/fs:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n\
    command = [\"fs\"]\ncap_drop = [\"NET_RAW\"] # keep this comment\nno_new_privileges = false\ninit = false\n";

#[test]
fn diff_shows_the_fixes_and_writes_nothing() {
    let project = Project::with_config(FIXABLE);
    let output = project.run(&["lint", "--diff"]);
    assert_eq!(code(&output), 1);
    assert_eq!(project.read("mcp.toml"), FIXABLE);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn fix_repairs_mcp_toml_keeping_comments() {
    let project = Project::with_config(FIXABLE);
    let output = project.run(&["lint", "--fix"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let fixed = project.read("mcp.toml");
    for kept in ["# my stack", "# oops", "# keep this comment", "\"NET_RAW\""] {
        assert!(fixed.contains(kept), "{kept} lost:\n{fixed}");
    }
    assert!(fixed.contains("read_only = true") && fixed.contains("init = true"));
    assert_eq!(code(&project.run(&["build"])), 0);
    let again = project.run(&["lint", "--fix"]);
    assert!(stderr(&again).contains("nothing to fix"));
    assert_eq!(project.read("mcp.toml"), fixed);
}
