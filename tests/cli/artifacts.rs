//! Snapshots of every artifact, for the bundled config and each fixture config.

use crate::support::{Project, code, stderr};

fn snapshot_all(name: &str, project: &Project) {
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let config = project.read("mcp.toml");
    let out_dir = config
        .lines()
        .find_map(|l| l.strip_prefix("out_dir = \""))
        .map_or("generated".to_string(), |rest| {
            rest.trim_end_matches('"').to_string()
        });
    let files = project.files(&out_dir);
    assert!(!files.is_empty());
    for file in &files {
        let contents = project.read(&format!("{out_dir}/{file}"));
        insta::assert_snapshot!(format!("{name}__{}", file.replace('/', "__")), contents);
    }
    insta::assert_snapshot!(format!("{name}__file_list"), files.join("\n"));
}

#[test]
fn bundled() {
    snapshot_all("bundled", &Project::bundled());
}

#[test]
fn minimal() {
    snapshot_all("minimal", &Project::fixture("minimal"));
}

#[test]
fn every_field() {
    snapshot_all("every_field", &Project::fixture("every-field"));
}

#[test]
fn profiles() {
    snapshot_all("profiles", &Project::fixture("profiles"));
}

#[test]
fn secret_egress() {
    snapshot_all("secret_egress", &Project::fixture("secret-egress"));
}

#[test]
fn schema_command_matches_the_committed_schema() {
    let project = Project::fixture("minimal");
    let output = project.run(&["schema"]);
    assert_eq!(code(&output), 0);
    let committed =
        std::fs::read_to_string(crate::support::repo_root().join("schema/mcp.schema.json"))
            .expect("schema/mcp.schema.json is committed");
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "schema/mcp.schema.json is stale: run `mcpgen schema > schema/mcp.schema.json`"
    );
}
