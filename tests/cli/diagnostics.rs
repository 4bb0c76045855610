//! Every kind of bad input: the whole rendered diagnostic is pinned, caret included.

use crate::harness::{Test, fixture_text};

/// `build` of an invalid mcp.toml: exit 2, nothing written; the diagnostic.
fn diagnose(fixture: &str) -> String {
    let output = Test::new()
        .mcp_toml(&fixture_text(&format!("invalid/{fixture}")))
        .arg("build")
        .status(2)
        .stderr_any()
        .run();
    assert!(!output.join("generated").exists(), "nothing is written");
    output.stderr
}

#[test]
fn syntax_error() {
    insta::assert_snapshot!(diagnose("syntax.toml"));
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    insta::assert_snapshot!(diagnose("unknown-key.toml"));
}

#[test]
fn wrong_types() {
    insta::assert_snapshot!(diagnose("wrong-type.toml"));
}

#[test]
fn bad_units_and_ranges() {
    insta::assert_snapshot!(diagnose("bad-units.toml"));
}

#[test]
fn bad_names() {
    insta::assert_snapshot!(diagnose("bad-names.toml"));
}

#[test]
fn bad_references_nul_and_allows() {
    insta::assert_snapshot!(diagnose("bad-references.toml"));
}

#[test]
fn missing_keys() {
    insta::assert_snapshot!(diagnose("missing-keys.toml"));
}

#[test]
fn lint_findings_point_into_mcp_toml() {
    let output = Test::new()
        .mcp_toml(
            "[stack]\nname = \"x\"\n\n[defaults]\nuser = \"0:0\"\ncap_drop = [\"NET_RAW\"]\n\
             limits = { cpus = 0.5, memory = \"64M\" }\n\n[servers.fs]\nimage = \"mcp/fs:1\"\ncommand = [\"fs\"]\n\
             read_only = false\nno_new_privileges = false\n",
        )
        .arg("build")
        .status(1)
        .stderr_any()
        .run();
    insta::assert_snapshot!(output.stderr);
}

/// A build without the `runtime` feature (what the pre-commit hooks install) still knows
/// `mcpgen monitor`, and says how to get it rather than failing obscurely.
#[cfg(not(feature = "runtime"))]
#[test]
fn monitor_without_the_runtime_feature_says_how_to_get_it() {
    Test::bundled()
        .args(["monitor", "--once"])
        .status(2)
        .stderr_contains("this mcpgen was built without the health monitor")
        .stderr_contains("--features runtime")
        .run();
}
