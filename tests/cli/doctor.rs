//! `doctor`, and the whole story: a user with Claude Desktop, Cursor and VS Code configured runs
//! `init --from`, `build`, `install`, and `doctor` says all is well.

use std::path::{Path, PathBuf};

use crate::harness::{Output, Test};
use crate::init::import_fixture;
use crate::install::{Machine, Os, servers};

/// A stand-in for the docker CLI, so the engine checks run without an engine: `mode` is
/// `up`, `down` or `hung`.
fn fake_docker(dir: &Path, mode: &str) -> PathBuf {
    let path = dir.join(format!("docker-{mode}"));
    let body = match mode {
        "up" => {
            "case \"$1 $2\" in\n  'version --format') echo 4.9.3 ;;\n  'compose version') echo 'Docker Compose version v2.40.3' ;;\n  'inspect --type') echo \"Error: No such container: $6\" >&2; exit 1 ;;\n  *) exit 1 ;;\nesac\n"
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

/// `mcpgen doctor` with `docker` as the engine's CLI, which must exit `status`.
fn doctor(machine: &Machine, docker: &Path, status: i32) -> Output {
    machine
        .test()
        .env("MCPGEN_DOCKER", docker)
        .env("MCPGEN_INSPECT_TIMEOUT", "1")
        .arg("doctor")
        .status(status)
        .stdout_any()
        .stderr_any()
        .run()
}

fn installed() -> Machine {
    let machine = Machine::new(Test::fixture("clients"), Os::Linux);
    machine.install_clients();
    machine.test().arg("build").stderr_any().run();
    machine.test().arg("install").stderr_any().run();
    machine
}

fn shown(machine: &Machine, output: &Output) -> String {
    output
        .stdout
        .replace(&machine.home().display().to_string(), "@HOME@")
}

#[test]
fn all_is_well_after_build_and_install() {
    let machine = installed();
    let docker = fake_docker(machine.home(), "up");
    let output = doctor(&machine, &docker, 0);
    let text = shown(&machine, &output);
    assert!(output.stderr.contains("doctor: all is well"));
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
        .scratch()
        .read("mcp.toml")
        .replace("pids = 64", "pids = 65");
    machine.scratch().write("mcp.toml", &config);

    let output = doctor(&machine, &docker, 1);
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
        "skip  servers: the engine is not reachable: no container to look into",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(output.stderr.contains("check(s) failed"));
}

#[test]
fn a_hung_engine_is_a_failed_check_not_a_hung_doctor() {
    let machine = installed();
    let docker = fake_docker(machine.home(), "hung");
    let started = std::time::Instant::now();
    let output = doctor(&machine, &docker, 1);
    assert!(
        output.stdout.contains("did not answer within 1s"),
        "{}",
        output.stdout
    );
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn clients_not_installed_here_are_skipped() {
    let machine = Machine::new(Test::fixture("clients"), Os::Linux);
    machine.test().arg("build").stderr_any().run();
    let docker = fake_docker(machine.home(), "up");
    let output = doctor(&machine, &docker, 1);
    let text = shown(&machine, &output);
    assert!(
        text.contains("skip  windsurf: not installed here"),
        "{text}"
    );
    // The bundle is not installed yet: that is a failure, with its fix.
    assert!(text.contains("FAIL  bundle:") && text.contains("fix: mcpgen install"));
}

/// The issue's "done": Claude Desktop, Cursor and VS Code already configured; `init --from`,
/// `build`, `install`; every client now launches the hardened shims with nothing of theirs lost,
/// and `doctor` says all is well.
#[test]
fn init_from_build_install_doctor() {
    for os in [Os::Macos, Os::Linux] {
        let machine = Machine::new(Test::new(), os);
        let clients = ["claude-desktop", "cursor", "vscode"];
        for client in clients {
            machine.write(client, &import_fixture(client, machine.home()));
        }
        let before: Vec<_> = clients
            .iter()
            .map(|c| servers(c, &machine.read(c)))
            .collect();
        let mut init = machine.test().arg("init").stderr_any();
        for client in clients {
            init = init.arg("--from").arg(machine.config_path(client));
        }
        init.run();
        machine.test().arg("build").stderr_any().run();
        machine.test().arg("install").stderr_any().run();
        let docker = fake_docker(machine.home(), "up");
        doctor(&machine, &docker, 0);
        let config = machine.scratch().read("mcp.toml");
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

/// The shared fake engine (`tests/support/fake-docker`) behind a `docker` that carries its
/// settings: doctor passes its environment on, but probe gives the CLI only a client's.
struct FakeEngine {
    dir: PathBuf,
    docker: PathBuf,
}

const FAKE_DOCKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fake-docker");
const HELPER: &str = "/opt/mcpgen/mcpgen-helper";
/// `mcp/desktop-commander`'s `.Config` as the engine reports it: no ENTRYPOINT, a relative CMD.
const DESKTOP_COMMANDER: &str = r#"{"User":"","Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"Entrypoint":null,"Cmd":["node","dist/index.js"],"WorkingDir":"/usr/src/app"}"#;

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

impl FakeEngine {
    /// Containers in `state`, holding `files`; their image's `.Config` is `image_config`.
    fn new(home: &Path, state: &str, files: &[&str], image_config: &str) -> Self {
        let dir = home.join("fake-engine");
        std::fs::create_dir_all(dir.join("bin")).expect("mkdir");
        std::fs::write(dir.join("state"), format!("{state}\n")).expect("state");
        // What `docker exec -i` runs for a session: a server that cannot find its script.
        let server = dir.join("server");
        executable(
            &server,
            "#!/bin/sh\necho 'node:internal/modules/cjs/loader:1228' >&2\necho \"Error: Cannot find module '/app/dist/index.js'\" >&2\nexit 1\n",
        );
        let settings = [
            ("FAKE_DOCKER_LOG", dir.join("log").display().to_string()),
            (
                "FAKE_DOCKER_ENV_LOG",
                dir.join("env-log").display().to_string(),
            ),
            ("FAKE_DOCKER_STATE", dir.join("state").display().to_string()),
            ("FAKE_DOCKER_PIDS", dir.join("pids").display().to_string()),
            ("FAKE_DOCKER_SERVER", server.display().to_string()),
            ("FAKE_SERVER_RECORDS", dir.display().to_string()),
            ("FAKE_DOCKER_FILES", files.join(" ")),
            ("FAKE_DOCKER_IMAGE_CONFIG", image_config.to_string()),
            // The stack of the fixture: its containers carry its compose labels.
            ("FAKE_DOCKER_PROJECT", "clients".to_string()),
        ];
        let exports: String = settings
            .iter()
            .map(|(name, value)| format!("export {name}={}\n", sh_quote(value)))
            .collect();
        let docker = dir.join("bin/docker");
        executable(
            &docker,
            &format!(
                "#!/bin/sh\n{exports}exec {} \"$@\"\n",
                sh_quote(FAKE_DOCKER)
            ),
        );
        Self { dir, docker }
    }

    /// Every call, as argv without the leading `docker`.
    fn calls(&self) -> Vec<Vec<String>> {
        let log = std::fs::read(self.dir.join("log")).unwrap_or_default();
        let text = String::from_utf8_lossy(&log);
        let mut fields = text.split('\0');
        let mut calls = Vec::new();
        while let (Some(_pid), Some(argc)) = (fields.next(), fields.next()) {
            let Ok(argc) = argc.parse::<usize>() else {
                break;
            };
            calls.push(fields.by_ref().take(argc).map(str::to_string).collect());
        }
        calls
    }

    fn called(&self, argv: &[&str]) -> bool {
        self.calls().iter().any(|call| call == argv)
    }
}

/// Doctor's output from the server checks on (the engine's path shown as `docker`).
fn server_lines(machine: &Machine, output: &Output) -> String {
    let text = shown(machine, output);
    let start = text
        .find("  server ")
        .map_or(text.len(), |i| text[..i].rfind('\n').map_or(0, |n| n + 1));
    text[start..].to_string()
}

#[test]
fn each_running_servers_command_is_found_in_its_container() {
    let machine = installed();
    let engine = FakeEngine::new(
        machine.home(),
        "running",
        &[
            HELPER,
            "/usr/local/bin/node",
            "/app/dist/index.js",
            "/usr/bin/notes-server",
        ],
        DESKTOP_COMMANDER,
    );
    let output = doctor(&machine, &engine.docker, 0);
    let text = shown(&machine, &output);
    insta::assert_snapshot!(
        "doctor__servers_found",
        text.replace("@HOME@/fake-engine/bin/docker", "docker")
    );
    for call in [
        &[
            "inspect",
            "--type",
            "container",
            "--format",
            "{{.State.Status}}",
            "clients-memory",
        ][..],
        &[
            "exec",
            "clients-memory",
            HELPER,
            "health",
            "--exists",
            "--",
            "node",
        ],
        &["cp", "clients-memory:/app/dist/index.js", "-"],
        &[
            "exec",
            "clients-notes",
            HELPER,
            "health",
            "--exists",
            "--",
            "notes-server",
        ],
    ] {
        assert!(engine.called(call), "no {call:?} in {:?}", engine.calls());
    }
    // Nothing failed: the image was not looked up.
    assert!(
        !engine.calls().iter().any(|c| c[0] == "image"),
        "{:?}",
        engine.calls()
    );
}

#[test]
fn a_command_not_in_the_image_fails_beside_the_images_own_command() {
    let machine = installed();
    let engine = FakeEngine::new(
        machine.home(),
        "running",
        &[HELPER, "/usr/local/bin/node", "/usr/src/app/dist/index.js"],
        DESKTOP_COMMANDER,
    );
    let output = doctor(&machine, &engine.docker, 1);
    insta::assert_snapshot!(
        "doctor__command_not_in_image",
        server_lines(&machine, &output)
    );
    for image in ["mcp/memory:2026.8.31", "mcp/notes:1.0.0"] {
        let call = ["image", "inspect", "--format", "{{json .Config}}", image];
        assert!(engine.called(&call), "no {call:?} in {:?}", engine.calls());
    }
}

#[test]
fn stopped_containers_are_skipped_and_a_missing_helper_is_a_failure() {
    let machine = installed();
    let stopped = FakeEngine::new(machine.home(), "stopped", &[HELPER], DESKTOP_COMMANDER);
    let output = doctor(&machine, &stopped.docker, 0);
    let text = shown(&machine, &output);
    assert!(
        text.contains(
            "skip  server memory: container clients-memory is exited: nothing to look into (`mcpgen probe memory` starts it)"
        ),
        "{text}"
    );

    // Running, but without mcpgen's helper (a container from before the helper volume).
    let bare = FakeEngine::new(machine.home(), "running", &["/usr/local/bin/node"], "{}");
    let output = doctor(&machine, &bare.docker, 1);
    let text = shown(&machine, &output);
    let expected = "FAIL  server notes: cannot run mcpgen's helper in container clients-notes: OCI runtime exec failed: exec failed: unable to start container process: exec: \"/opt/mcpgen/mcpgen-helper\": stat /opt/mcpgen/mcpgen-helper: no such file or directory: unknown\n      fix: recreate the container: docker compose -f ~/.mcpgen/clients/docker-compose.mcp-only.yml -p clients up -d --force-recreate notes\n";
    assert!(text.contains(expected), "missing {expected:?} in\n{text}");
}

#[test]
fn a_hung_engine_call_in_a_server_check_is_bounded() {
    let machine = installed();
    // The engine answers `version` and `compose version`, then hangs on everything else.
    let engine = FakeEngine::new(machine.home(), "running", &[HELPER], "{}");
    let hung = machine.home().join("docker-hangs-later");
    executable(
        &hung,
        &format!(
            "#!/bin/sh\ncase \"$1\" in\n  version | compose) exec {} \"$@\" ;;\nesac\nsleep 30\n",
            sh_quote(&engine.docker.display().to_string())
        ),
    );
    let started = std::time::Instant::now();
    let output = doctor(&machine, &hung, 1);
    let text = shown(&machine, &output);
    assert!(
        text.contains("FAIL  server memory: `@HOME@/docker-hangs-later inspect --type container --format {{.State.Status}} clients-memory` did not answer within 1s"),
        "{text}"
    );
    // The servers are looked into at once: one timeout, not one per server.
    assert!(started.elapsed().as_secs() < 6, "{:?}", started.elapsed());
}

/// Replaces the figure before each ` ms` with `N`, keeping the columns (latencies vary).
fn without_latency(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" ms ") {
            Some(end) => {
                let start = line[..end]
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .len();
                let width = (end - start).max(1);
                format!("{}{:>width$}{}", &line[..start], "N", &line[end..])
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `mcpgen probe` lives beside doctor here: when a server exits at once in its container, probe
/// shows mcp.toml's command beside the image's own (this file owns the shared fake's use).
#[test]
fn probe_shows_the_images_own_command_when_the_server_exits_at_once() {
    let machine = installed();
    let engine = FakeEngine::new(
        machine.home(),
        "running",
        &[HELPER, "/usr/local/bin/node"],
        DESKTOP_COMMANDER,
    );
    // The generated shim, run with the fake engine first on its PATH.
    let shims = machine.scratch().join("generated/shims");
    let shim = shims.join("hardened_memory.sh");
    std::fs::rename(&shim, shims.join("real_memory.sh")).expect("rename");
    executable(
        &shim,
        &format!(
            "#!/bin/sh\nPATH={}:$PATH\nexport PATH\nexec bash \"$(dirname \"$0\")/real_memory.sh\" \"$@\"\n",
            sh_quote(&engine.docker.parent().expect("bin").display().to_string())
        ),
    );
    let probe = |format: &str| {
        machine
            .test()
            .env("MCPGEN_DOCKER", &engine.docker)
            .env("MCPGEN_INSPECT_TIMEOUT", "5")
            .args(["probe", "memory", "--timeout", "10s", "--format", format])
            .status(1)
            .stdout_any()
            .stderr_any()
            .run()
    };

    let human = probe("human");
    insta::assert_snapshot!(
        "probe__exits_at_once__human",
        without_latency(&human.stdout)
    );
    let call = [
        "image",
        "inspect",
        "--format",
        "{{json .Config}}",
        "mcp/memory:2026.8.31",
    ];
    assert!(engine.called(&call), "no {call:?} in {:?}", engine.calls());
    // The session ran mcp.toml's command behind the helper's gate.
    assert!(
        engine.calls().iter().any(|c| c[0] == "exec"
            && c.ends_with(&[
                "--".to_string(),
                "node".to_string(),
                "/app/dist/index.js".to_string()
            ])),
        "{:?}",
        engine.calls()
    );

    let value = probe("json").json();
    let memory = &value["servers"][0];
    assert_eq!(memory["path"], "failed");
    assert_eq!(
        memory["image"],
        serde_json::json!({
            "name": "mcp/memory:2026.8.31",
            "entrypoint": [],
            "cmd": ["node", "dist/index.js"],
            "workdir": "/usr/src/app",
            "user": "",
        })
    );
    assert_eq!(
        memory["command"],
        serde_json::json!(["node", "/app/dist/index.js"])
    );
    assert!(
        memory["hint"]
            .as_str()
            .unwrap_or_default()
            .starts_with(r#"set command = ["node", "dist/index.js"] in [servers.memory]"#),
        "{memory}"
    );

    // A server that failed for another reason (its secret is not set) gets no image facts.
    let value = machine
        .test()
        .env("MCPGEN_DOCKER", &engine.docker)
        .env_remove("NOTES_TOKEN")
        .args(["probe", "notes", "--timeout", "10s", "--format", "json"])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run()
        .json();
    assert_eq!(value["servers"][0]["path"], "failed", "{value}");
    assert!(value["servers"][0].get("image").is_none(), "{value}");
}
