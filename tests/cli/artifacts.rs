//! Snapshots of every artifact, for the bundled config and each fixture config.

use crate::harness::{Test, repo_text};

fn snapshot_all(name: &str, test: Test) {
    let built = test.arg("build").stderr_any().run();
    let config = built.read("mcp.toml");
    let out_dir = config
        .lines()
        .find_map(|l| l.strip_prefix("out_dir = \""))
        .map_or("generated".to_string(), |rest| {
            rest.trim_end_matches('"').to_string()
        });
    let files = built.files(&out_dir);
    assert!(!files.is_empty());
    for file in &files {
        let contents = built.read(&format!("{out_dir}/{file}"));
        insta::assert_snapshot!(format!("{name}__{}", file.replace('/', "__")), contents);
    }
    insta::assert_snapshot!(format!("{name}__file_list"), files.join("\n"));
}

#[test]
fn bundled() {
    snapshot_all("bundled", Test::bundled());
}

#[test]
fn minimal() {
    snapshot_all("minimal", Test::fixture("minimal"));
}

#[test]
fn every_field() {
    snapshot_all("every_field", Test::fixture("every-field"));
}

#[test]
fn profiles() {
    snapshot_all("profiles", Test::fixture("profiles"));
}

#[test]
fn secret_egress() {
    snapshot_all("secret_egress", Test::fixture("secret-egress"));
}

#[test]
fn schema_command_matches_the_committed_schema() {
    let output = Test::new().arg("schema").stdout_any().run();
    assert!(
        output.stdout == repo_text("schema/mcp.schema.json"),
        "schema/mcp.schema.json is stale: run `mcpgen schema > schema/mcp.schema.json`"
    );
}
