//! `doctor`, and the whole story: a user with Claude Desktop, Cursor and VS Code configured runs
//! `init --from`, `build`, `install`, and `doctor` says all is well.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::init::import_fixture;
use crate::install::{Machine, Os, servers};
use crate::support::{Project, code, stderr, stdout};

/// A stand-in for the docker CLI, so the engine checks run without an engine: `mode` is
/// `up`, `down` or `hung`.
fn fake_docker(dir: &Path, mode: &str) -> PathBuf {
    let path = dir.join(format!("docker-{mode}"));
    let body = match mode {
        "up" => {
            "case \"$1 $2\" in\n  'version --format') echo 4.9.3 ;;\n  'compose version') echo 'Docker Compose version v2.40.3' ;;\n  *) exit 1 ;;\nesac\n"
        }
        "down" => {
            "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n"
        }
        _ => "sleep 30\n",
    };
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write fake docker");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}

fn doctor(machine: &Machine, docker: &Path) -> Output {
    machine
        .command()
        .env("MCPGEN_DOCKER", docker)
        .env("MCPGEN_INSPECT_TIMEOUT", "1")
        .arg("doctor")
        .output()
        .expect("runs")
}

fn installed() -> Machine {
    let machine = Machine::new(Project::fixture("clients"), Os::Linux);
    machine.install_clients();
    assert_eq!(code(&machine.run(&["build"])), 0);
    let output = machine.run(&["install"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    machine
}

fn shown(machine: &Machine, output: &Output) -> String {
    stdout(output).replace(&machine.home().display().to_string(), "@HOME@")
}

#[test]
fn all_is_well_after_build_and_install() {
    let machine = installed();
    let docker = fake_docker(machine.home(), "up");
    let output = doctor(&machine, &docker);
    let text = shown(&machine, &output);
    assert_eq!(code(&output), 0, "{text}{}", stderr(&output));
    assert!(stderr(&output).contains("doctor: all is well"));
    insta::assert_snapshot!(
        "doctor__all_is_well",
        text.replace("@HOME@/docker-up", "docker")
    );
}

#[test]
fn each_failure_is_one_line_with_its_fix() {
    let machine = installed();
    let docker = fake_docker(machine.home(), "down");
    // A client file missing a server, a shim that lost its executable bit, a stale generated/.
    let cursor = machine.read("cursor").replace("\"notes\"", "\"renamed\"");
    machine.write("cursor", &cursor);
    let shim = machine
        .home()
        .join(".mcpgen/clients/shims/hardened_memory.sh");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    std::fs::remove_file(machine.config_path("zed")).expect("rm");
    let config = machine
        .project
        .read("mcp.toml")
        .replace("pids = 64", "pids = 65");
    machine.project.write("mcp.toml", &config);

    let output = doctor(&machine, &docker);
    assert_eq!(code(&output), 1);
    let text = shown(&machine, &output);
    for expected in [
        "FAIL  engine: not reachable: Cannot connect to the Docker daemon",
        "FAIL  compose: ",
        "FAIL  generated: 1 file(s) in generated/ are out of date\n      fix: mcpgen build",
        "FAIL  bundle: ~/.mcpgen/clients differs from generated/ in 1 file(s): shims/hardened_memory.sh",
        "FAIL  shims: not executable: shims/hardened_memory.sh",
        "FAIL  cursor: ~/.cursor/mcp.json: `notes` is missing; `renamed` is no longer in mcp.toml\n      fix: mcpgen install --client cursor",
        "FAIL  zed: ~/.config/zed/settings.json does not exist\n      fix: mcpgen install --client zed",
        "ok    vscode: ~/.config/Code/User/mcp.json launches the 2 current shim(s) (profile hardened)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(stderr(&output).contains("check(s) failed"));
}

#[test]
fn a_hung_engine_is_a_failed_check_not_a_hung_doctor() {
    let machine = installed();
    let docker = fake_docker(machine.home(), "hung");
    let started = std::time::Instant::now();
    let output = doctor(&machine, &docker);
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).contains("did not answer within 1s"),
        "{}",
        stdout(&output)
    );
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn clients_not_installed_here_are_skipped() {
    let machine = Machine::new(Project::fixture("clients"), Os::Linux);
    assert_eq!(code(&machine.run(&["build"])), 0);
    let docker = fake_docker(machine.home(), "up");
    let output = doctor(&machine, &docker);
    let text = shown(&machine, &output);
    assert!(
        text.contains("skip  windsurf: not installed here"),
        "{text}"
    );
    // The bundle is not installed yet: that is a failure, with its fix.
    assert!(text.contains("FAIL  bundle:") && text.contains("fix: mcpgen install"));
}

/// The "done": Claude Desktop, Cursor and VS Code already configured; `init --from`,
/// `build`, `install`; every client now launches the hardened shims with nothing of theirs lost,
/// and `doctor` says all is well.
#[test]
fn init_from_build_install_doctor() {
    for os in [Os::Macos, Os::Linux] {
        let machine = Machine::new(
            Project {
                dir: tempfile::tempdir().expect("tmp"),
            },
            os,
        );
        let clients = ["claude-desktop", "cursor", "vscode"];
        for client in clients {
            machine.write(client, &import_fixture(client, machine.home()));
        }
        let before: Vec<_> = clients
            .iter()
            .map(|c| servers(c, &machine.read(c)))
            .collect();
        let mut init = machine.command();
        init.arg("init");
        for client in clients {
            init.arg("--from").arg(machine.config_path(client));
        }
        let init = init.output().expect("runs");
        assert_eq!(code(&init), 0, "{}", stderr(&init));
        let build = machine.run(&["build"]);
        assert_eq!(code(&build), 0, "{}", stderr(&build));
        let install = machine.run(&["install"]);
        assert_eq!(code(&install), 0, "{}", stderr(&install));
        let docker = fake_docker(machine.home(), "up");
        let doctor = doctor(&machine, &docker);
        assert_eq!(code(&doctor), 0, "{}{}", stdout(&doctor), stderr(&doctor));
        let config = machine.project.read("mcp.toml");
        for (client, before) in clients.iter().zip(&before) {
            let after = servers(client, &machine.read(client));
            for (name, entry) in before {
                let imported = config.contains(&format!("[servers.{name}]"))
                    || config.contains("[servers.github-server]") && name == "GitHub Server";
                if imported {
                    // Now hardened, under the server's name.
                    continue;
                }
                // Not imported (unknown or remote): exactly as it was.
                assert_eq!(after.get(name), Some(entry), "{client}: {name} lost");
            }
            for (name, entry) in &after {
                if entry["command"] == "/bin/sh" {
                    assert!(config.contains(&format!("[servers.{name}]")), "{name}");
                }
            }
            let hardened = after.values().filter(|e| e["command"] == "/bin/sh").count();
            assert!(hardened >= 6, "{client}: {hardened} hardened entries");
        }
    }
}
